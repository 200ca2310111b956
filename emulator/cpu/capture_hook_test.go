package cpu

import "context"

func init() {
	specCaptureRestore = func(ctx context.Context, th *Thread, cfg ThreadConfig) (*Thread, error) {
		c, err := th.Capture(ctx)
		if err != nil {
			return nil, err
		}
		b, err := c.MarshalBinary()
		if err != nil {
			return nil, err
		}
		var c2 Capture
		if err := c2.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		nt, err := th.Program().Restore(ctx, &c2, cfg)
		if err != nil {
			return nil, err
		}
		_ = th.Close()
		return nt, nil
	}
}
