//go:build !wasip1

package dosemu

// Outside a dosemu guest there is no "dosemu" host module: every call
// answers ENOSYS, so code using this package still builds and vets on
// the host.

const enosys = int32(ENOSYS)

func self(*int64) int32                                     { return enosys }
func parent(*int64) int32                                   { return enosys }
func computers(_, _ *int32) int32                           { return enosys }
func computerName(int32, []byte, *uint32) int32             { return enosys }
func now(*int64) int32                                      { return enosys }
func spawn(int32, string, []byte, []byte, *int64) int32     { return enosys }
func wait(int64, int32, *int64, *int32) int32               { return enosys }
func fork(*int64) int32                                     { return enosys }
func exec(string, []byte, []byte) int32                     { return enosys }
func kill(int64, int32) int32                               { return enosys }
func signal(int32, uint32) int32                            { return enosys }
func pipe(*[2]int32) int32                                  { return enosys }
func cloexec(int32, int32) int32                            { return enosys }
func migrate(int32, int32) int32                            { return enosys }
func socket(int32, *int32) int32                            { return enosys }
func bind(int32, int32, int32) int32                        { return enosys }
func listen(int32, int32) int32                             { return enosys }
func connect(int32, int32, int32) int32                     { return enosys }
func accept(int32, *int32, *int32, *int32) int32            { return enosys }
func sendto(int32, []byte, int32, int32, *uint32) int32     { return enosys }
func recvfrom(int32, []byte, *uint32, *int32, *int32) int32 { return enosys }
func sockname(int32, *int32, *int32) int32                  { return enosys }
func nameRegister(string, int32) int32                      { return enosys }
func nameLookup(string, int32, *int32, *int32) int32        { return enosys }
