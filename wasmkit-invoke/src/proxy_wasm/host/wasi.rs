//! The WASI preview1 functions as the C++ host implements them
//! (`wasi_unstable_*` in proxy-wasm-cpp-host `src/exports.cc`): stdout and
//! stderr become log lines, clocks (the run's, virtual time included),
//! randomness and the configured environment work, `poll_oneoff` and
//! `sched_yield` succeed at once, `proc_exit` only logs, and the file and
//! socket functions answer their fixed errnos.

use wasmtime::Caller;

use super::Args;
use super::memory::{HostResult, check_range, read, write, write_u32, write_u64};
use super::record::{MAX_LOG_MESSAGE, Record, text};
use super::state::HostState;
use crate::proxy_wasm::abi::{WasiFn, errno};
use crate::proxy_wasm::report::{LogLevel, LogSource};

/// `PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES` (`include/proxy-wasm/limits.h`).
const MAX_RANDOM_BYTES: u32 = 64 * 1024;

impl HostState {
    fn next_random(&mut self) -> u64 {
        // xorshift64*: the host's randomness only has to look random.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn stdio(fd: u32) -> bool {
    fd == 1 || fd == 2
}

/// Answers a WASI call.
pub(super) fn dispatch(
    caller: &mut Caller<'_, HostState>,
    f: WasiFn,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    use WasiFn as F;
    let fd = a.u32(0);
    Ok(match f {
        F::FdWrite => fd_write(caller, a, rec, a.u32(3))?,
        F::FdPwrite if stdio(fd) => fd_write(caller, a, rec, a.u32(4))?,
        F::FdFdstatGet => fd_fdstat_get(caller, a, rec)?,
        F::EnvironSizesGet => environ_sizes_get(caller, a)?,
        F::EnvironGet => environ_get(caller, a)?,
        F::ArgsSizesGet => {
            write_u32(caller, a.u32(0), 0)?;
            write_u32(caller, a.u32(1), 0)?;
            errno::SUCCESS
        }
        F::ClockTimeGet => clock_time_get(caller, a, rec)?,
        F::ClockResGet => match fd {
            0 | 1 => {
                write_u64(caller, a.u32(1), 1)?;
                errno::SUCCESS
            }
            _ => errno::NOTSUP,
        },
        F::RandomGet => random_get(caller, a, rec)?,
        F::PollOneoff => {
            // No events: `nevents` is 0 and the call succeeds (the Go
            // runtime needs success).
            write_u32(caller, a.u32(3), 0)?;
            errno::SUCCESS
        }
        F::ProcExit => {
            // cpp-host only logs (`context->error("wasi_unstable
            // proc_exit")`) and returns; the code after it traps.
            let code = fd as i32;
            rec.arg("code", code);
            let state = caller.data_mut();
            state.proc_exit.get_or_insert((state.callback, code));
            errno::SUCCESS
        }
        F::FdReaddir => {
            write_u32(caller, a.u32(4), 0)?;
            // cpp-host answers 20 (which WASI numbers `exist`) where it
            // means ENOTDIR.
            20
        }
        F::FdTell if stdio(fd) => {
            write_u64(caller, a.u32(1), 0)?;
            errno::SUCCESS
        }
        F::PathReadlink => {
            write_u32(caller, a.u32(5), 0)?;
            errno::NOTSUP
        }
        F::SockAccept => {
            write_u64(caller, a.u32(2), 0)?;
            errno::NOTSUP
        }
        F::SockRecv => {
            write_u32(caller, a.u32(4), 0)?;
            write(caller, a.u32(5), &[0, 0])?;
            errno::NOTSUP
        }
        F::SockSend => {
            write_u32(caller, a.u32(4), 0)?;
            errno::NOTSUP
        }
        F::SchedYield | F::FdSeek | F::FdClose | F::ArgsGet | F::FdAdvise => errno::SUCCESS,
        F::FdAllocate
        | F::FdDatasync
        | F::FdFdstatSetRights
        | F::FdFilestatSetSize
        | F::FdFilestatSetTimes
        | F::FdSync => {
            if stdio(fd) {
                errno::SUCCESS
            } else {
                errno::BADF
            }
        }
        F::FdRenumber if stdio(fd) && stdio(a.u32(1)) => errno::NOTSUP,
        F::FdRead | F::FdPrestatDirName | F::FdFdstatSetFlags | F::FdPread => errno::NOSYS,
        F::PathOpen => errno::NOENT,
        F::PathFilestatGet
        | F::PathCreateDirectory
        | F::PathFilestatSetTimes
        | F::PathLink
        | F::PathRemoveDirectory
        | F::PathRename
        | F::PathSymlink
        | F::PathUnlinkFile
        | F::SockShutdown => errno::NOTSUP,
        F::FdPrestatGet | F::FdFilestatGet | F::FdPwrite | F::FdTell | F::FdRenumber => errno::BADF,
    })
}

/// `fd_write` and `fd_pwrite` (`writevImpl`): stdout is logged at info,
/// stderr at error, one line per write without its newline.
fn fd_write(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
    written_ptr: u32,
) -> HostResult<u32> {
    let fd = a.u32(0);
    rec.arg("fd", fd);
    let (level, source) = match fd {
        1 => (LogLevel::Info, LogSource::Stdout),
        2 => (LogLevel::Error, LogSource::Stderr),
        _ => return Ok(errno::BADF),
    };
    let iovs = a.u32(1);
    let count = a.u32(2);
    let mut text_out = Vec::new();
    let mut written: u32 = 0;
    for i in 0..count {
        let at = iovs.wrapping_add(i.wrapping_mul(8));
        let iov = read(caller, at, 8)?;
        let buf = u32::from_le_bytes([iov[0], iov[1], iov[2], iov[3]]);
        let len = u32::from_le_bytes([iov[4], iov[5], iov[6], iov[7]]);
        if len > 0 {
            // Every byte must be in memory; only a log line's worth
            // is copied.
            check_range(caller, buf, len)?;
            let room = MAX_LOG_MESSAGE.saturating_sub(text_out.len());
            let take = len.min(u32::try_from(room).unwrap_or(u32::MAX));
            if take > 0 {
                text_out.extend_from_slice(&read(caller, buf, take)?);
            }
            written = written.wrapping_add(len);
        }
    }
    if text_out.last() == Some(&b'\n') {
        text_out.pop();
    }
    rec.arg("text", text(&text_out));
    if written > 0 {
        caller.data_mut().push_log(level, &text_out, source);
    }
    write_u32(caller, written_ptr, written)?;
    Ok(errno::SUCCESS)
}

/// `fd_fdstat_get`: stdout and stderr are writable; nothing else is open.
fn fd_fdstat_get(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let fd = a.u32(0);
    rec.arg("fd", fd);
    if !stdio(fd) {
        return Ok(errno::BADF);
    }
    // Filetype and flags zero, rights base FD_WRITE (64).
    let mut stat = [0u8; 24];
    stat[8] = 64;
    write(caller, a.u32(1), &stat)?;
    Ok(errno::SUCCESS)
}

/// The environment as `KEY=VALUE\0` strings.
fn environment(caller: &Caller<'_, HostState>) -> Vec<Vec<u8>> {
    caller
        .data()
        .plan
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={v}\0").into_bytes())
        .collect()
}

/// `environ_sizes_get`: the configured variables.
fn environ_sizes_get(caller: &mut Caller<'_, HostState>, a: &Args<'_>) -> HostResult<u32> {
    let env = environment(caller);
    let size: usize = env.iter().map(Vec::len).sum();
    write_u32(caller, a.u32(0), env.len() as u32)?;
    write_u32(caller, a.u32(1), size as u32)?;
    Ok(errno::SUCCESS)
}

/// `environ_get`: pointers into the buffer, then the strings.
fn environ_get(caller: &mut Caller<'_, HostState>, a: &Args<'_>) -> HostResult<u32> {
    let mut array = a.u32(0);
    let mut buf = a.u32(1);
    for entry in environment(caller) {
        write_u32(caller, array, buf)?;
        write(caller, buf, &entry)?;
        buf = buf.wrapping_add(entry.len() as u32);
        array = array.wrapping_add(4);
    }
    Ok(errno::SUCCESS)
}

/// `clock_time_get`: the realtime and monotonic clocks.
fn clock_time_get(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let clock = a.u32(0);
    rec.arg("clock", clock);
    let now = match clock {
        0 => caller.data().wall_ns(),
        1 => caller.data().monotonic_ns(),
        _ => return Ok(errno::NOTSUP),
    };
    write_u64(caller, a.u32(2), now)?;
    Ok(errno::SUCCESS)
}

/// `random_get`: at most 64 KiB at a time.
fn random_get(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let len = a.u32(1);
    rec.arg("len", len);
    if len > MAX_RANDOM_BYTES {
        return Ok(errno::INVAL);
    }
    if len == 0 {
        return Ok(errno::SUCCESS);
    }
    // Check the range before generating anything.
    check_range(caller, a.u32(0), len)?;
    let state = caller.data_mut();
    let mut bytes = Vec::with_capacity(len as usize);
    while bytes.len() < len as usize {
        bytes.extend_from_slice(&state.next_random().to_le_bytes());
    }
    bytes.truncate(len as usize);
    write(caller, a.u32(0), &bytes)?;
    Ok(errno::SUCCESS)
}
