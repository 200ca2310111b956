package cpu

import (
	"context"
	"os"
)

// The spec harness's capture-everywhere mode moves each suspended thread
// through bytes into a fresh instance.
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
		if os.Getenv("NOCLOSE") == "" {
			_ = th.Close()
		}
		return nt, nil
	}
}
