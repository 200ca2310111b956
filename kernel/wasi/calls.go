package wasi

// Call names one WASI preview1 function, for Proc.Syscall (counting,
// costs, traces). It is a small integer so the hot path passes no string.
type Call uint8

// The WASI preview1 functions, in the specification's order.
const (
	CallArgsGet Call = iota
	CallArgsSizesGet
	CallEnvironGet
	CallEnvironSizesGet
	CallClockResGet
	CallClockTimeGet
	CallFdAdvise
	CallFdAllocate
	CallFdClose
	CallFdDatasync
	CallFdFdstatGet
	CallFdFdstatSetFlags
	CallFdFdstatSetRights
	CallFdFilestatGet
	CallFdFilestatSetSize
	CallFdFilestatSetTimes
	CallFdPread
	CallFdPrestatGet
	CallFdPrestatDirName
	CallFdPwrite
	CallFdRead
	CallFdReaddir
	CallFdRenumber
	CallFdSeek
	CallFdSync
	CallFdTell
	CallFdWrite
	CallPathCreateDirectory
	CallPathFilestatGet
	CallPathFilestatSetTimes
	CallPathLink
	CallPathOpen
	CallPathReadlink
	CallPathRemoveDirectory
	CallPathRename
	CallPathSymlink
	CallPathUnlinkFile
	CallPollOneoff
	CallProcExit
	CallProcRaise
	CallSchedYield
	CallRandomGet
	CallSockAccept
	CallSockRecv
	CallSockSend
	CallSockShutdown
	NumCalls
)

var callNames = [NumCalls]string{
	"args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
	"clock_res_get", "clock_time_get", "fd_advise", "fd_allocate", "fd_close",
	"fd_datasync", "fd_fdstat_get", "fd_fdstat_set_flags",
	"fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size",
	"fd_filestat_set_times", "fd_pread", "fd_prestat_get",
	"fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir",
	"fd_renumber", "fd_seek", "fd_sync", "fd_tell", "fd_write",
	"path_create_directory", "path_filestat_get", "path_filestat_set_times",
	"path_link", "path_open", "path_readlink", "path_remove_directory",
	"path_rename", "path_symlink", "path_unlink_file", "poll_oneoff",
	"proc_exit", "proc_raise", "sched_yield", "random_get", "sock_accept",
	"sock_recv", "sock_send", "sock_shutdown",
}

// String returns the function's WASI name, e.g. "fd_write".
func (c Call) String() string {
	if c < NumCalls {
		return callNames[c]
	}
	return "wasi_call?"
}
