//! The WASI preview1 functions the C++ host registers, under both
//! `wasi_snapshot_preview1` and `wasi_unstable` (`FOR_ALL_WASI_FUNCTIONS`
//! in proxy-wasm-cpp-host `include/proxy-wasm/exports.h`, the same 45 in
//! Higress's fork), with the signatures `src/exports.cc` gives them, and
//! which of them a module may call while the host starts it
//! (`WasmBase::startVm`) or runs its allocator (`WasmBase::allocMemory`).

use super::functions::{HostFn, HostFnSpec, ImportModule, Sig, Ty};
use super::{Avail, Host};

/// A WASI function the hosts provide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WasiFn {
    FdWrite,
    FdRead,
    FdSeek,
    FdClose,
    FdFdstatGet,
    FdFdstatSetFlags,
    FdFdstatSetRights,
    EnvironGet,
    EnvironSizesGet,
    ArgsGet,
    ArgsSizesGet,
    ClockTimeGet,
    ClockResGet,
    FdAdvise,
    FdAllocate,
    FdDatasync,
    FdFilestatSetSize,
    FdFilestatSetTimes,
    FdPread,
    FdPwrite,
    FdReaddir,
    FdRenumber,
    FdSync,
    FdTell,
    PathCreateDirectory,
    PathFilestatSetTimes,
    PathLink,
    PathReadlink,
    PathRemoveDirectory,
    PathRename,
    PathSymlink,
    PathUnlinkFile,
    SockAccept,
    SockRecv,
    SockSend,
    SockShutdown,
    RandomGet,
    SchedYield,
    PollOneoff,
    ProcExit,
    PathOpen,
    FdPrestatGet,
    FdPrestatDirName,
    PathFilestatGet,
    FdFilestatGet,
}

const I: Ty = Ty::I32;
const J: Ty = Ty::I64;
const W: &[Ty] = &[Ty::I32];

const fn wasi(
    function: WasiFn,
    name: &'static str,
    params: &'static [Ty],
    results: &'static [Ty],
) -> HostFnSpec {
    HostFnSpec {
        function: HostFn::Wasi(function),
        module: ImportModule::Wasi,
        name,
        sig: Sig { params, results },
        avail: Avail::Always,
    }
}

use WasiFn as F;

/// Every WASI function, with the signature cpp-host registers. Two differ
/// from WASI preview1: cpp-host declares `path_link` with six parameters
/// and `path_symlink` with four (`wasi_unstable_path_link`,
/// `wasi_unstable_path_symlink` in `src/exports.cc`), so a module importing
/// the preview1 shapes fails to link there, and here.
#[rustfmt::skip]
pub(crate) const WASI_FUNCTIONS: &[HostFnSpec] = &[
    wasi(F::FdWrite, "fd_write", &[I, I, I, I], W),
    wasi(F::FdRead, "fd_read", &[I, I, I, I], W),
    wasi(F::FdSeek, "fd_seek", &[I, J, I, I], W),
    wasi(F::FdClose, "fd_close", W, W),
    wasi(F::FdFdstatGet, "fd_fdstat_get", &[I, I], W),
    wasi(F::FdFdstatSetFlags, "fd_fdstat_set_flags", &[I, I], W),
    wasi(F::FdFdstatSetRights, "fd_fdstat_set_rights", &[I, J, J], W),
    wasi(F::EnvironGet, "environ_get", &[I, I], W),
    wasi(F::EnvironSizesGet, "environ_sizes_get", &[I, I], W),
    wasi(F::ArgsGet, "args_get", &[I, I], W),
    wasi(F::ArgsSizesGet, "args_sizes_get", &[I, I], W),
    wasi(F::ClockTimeGet, "clock_time_get", &[I, J, I], W),
    wasi(F::ClockResGet, "clock_res_get", &[I, I], W),
    wasi(F::FdAdvise, "fd_advise", &[I, J, J, I], W),
    wasi(F::FdAllocate, "fd_allocate", &[I, J, J], W),
    wasi(F::FdDatasync, "fd_datasync", W, W),
    wasi(F::FdFilestatSetSize, "fd_filestat_set_size", &[I, J], W),
    wasi(F::FdFilestatSetTimes, "fd_filestat_set_times", &[I, J, J, I], W),
    wasi(F::FdPread, "fd_pread", &[I, I, I, J, I], W),
    wasi(F::FdPwrite, "fd_pwrite", &[I, I, I, J, I], W),
    wasi(F::FdReaddir, "fd_readdir", &[I, I, I, J, I], W),
    wasi(F::FdRenumber, "fd_renumber", &[I, I], W),
    wasi(F::FdSync, "fd_sync", W, W),
    wasi(F::FdTell, "fd_tell", &[I, I], W),
    wasi(F::PathCreateDirectory, "path_create_directory", &[I, I, I], W),
    wasi(F::PathFilestatSetTimes, "path_filestat_set_times", &[I, I, I, I, J, J, I], W),
    wasi(F::PathLink, "path_link", &[I, I, I, I, I, I], W),
    wasi(F::PathReadlink, "path_readlink", &[I, I, I, I, I, I], W),
    wasi(F::PathRemoveDirectory, "path_remove_directory", &[I, I, I], W),
    wasi(F::PathRename, "path_rename", &[I, I, I, I, I, I], W),
    wasi(F::PathSymlink, "path_symlink", &[I, I, I, I], W),
    wasi(F::PathUnlinkFile, "path_unlink_file", &[I, I, I], W),
    wasi(F::SockAccept, "sock_accept", &[I, I, I], W),
    wasi(F::SockRecv, "sock_recv", &[I, I, I, I, I, I], W),
    wasi(F::SockSend, "sock_send", &[I, I, I, I, I], W),
    wasi(F::SockShutdown, "sock_shutdown", &[I, I], W),
    wasi(F::RandomGet, "random_get", &[I, I], W),
    wasi(F::SchedYield, "sched_yield", &[], W),
    wasi(F::PollOneoff, "poll_oneoff", &[I, I, I, I], W),
    wasi(F::ProcExit, "proc_exit", W, &[]),
    wasi(F::PathOpen, "path_open", &[I, I, I, I, I, J, J, I, I], W),
    wasi(F::FdPrestatGet, "fd_prestat_get", &[I, I], W),
    wasi(F::FdPrestatDirName, "fd_prestat_dir_name", &[I, I, I], W),
    wasi(F::PathFilestatGet, "path_filestat_get", &[I, I, I, I, I], W),
    wasi(F::FdFilestatGet, "fd_filestat_get", &[I, I], W),
];

/// Whether the module may call `f` while the host runs `_initialize`,
/// `main`, `__main_void` or `_start`; anything else traps with
/// `restricted_callback`. cpp-host's `WasmBase::startVm` allows logging,
/// arguments, environment, clocks, randomness, the calls the Go runtime
/// makes while it starts, and every WASI stub; not `proc_exit`,
/// `sched_yield`, `fd_read`, `fd_seek`, `fd_close` or `path_open`.
/// Higress's fork lists the same WASI calls but not
/// `emscripten_notify_memory_growth`.
pub(crate) fn allowed_during_start(host: Host, f: HostFn) -> bool {
    match f {
        HostFn::Log => true,
        HostFn::EmscriptenNotifyMemoryGrowth => host == Host::Envoy,
        HostFn::Wasi(w) => !matches!(
            w,
            F::ProcExit | F::SchedYield | F::FdRead | F::FdSeek | F::FdClose | F::PathOpen
        ),
        _ => false,
    }
}

/// Whether the module's allocator may call `f` while the host allocates
/// memory to hand data over (`WasmBase::allocMemory`): upstream allows
/// logging, `fd_write`, `clock_time_get` and `poll_oneoff` (the Go
/// runtime's GC sleeps); Higress's fork restricts nothing there.
pub(crate) fn allowed_during_allocation(host: Host, f: HostFn) -> bool {
    host == Host::Higress
        || matches!(
            f,
            HostFn::Log | HostFn::Wasi(F::FdWrite | F::ClockTimeGet | F::PollOneoff)
        )
}
