//! The WASI preview1 functions the C++ host implements
//! (`FOR_ALL_WASI_FUNCTIONS` in proxy-wasm-cpp-host
//! `include/proxy-wasm/exports.h`): stdout and stderr become log lines,
//! clocks and randomness work, and there are no files, arguments or
//! environment. The functions that only answer a fixed errno are in the
//! dispatcher.

use wasmtime::Caller;

use super::Args;
use super::memory::{HostError, HostResult, check_range, read, write, write_u32, write_u64};
use super::record::{MAX_LOG_MESSAGE, Record, text};
use super::state::HostState;
use super::vm::unix_nanos;
use crate::proxy_wasm::abi::errno;
use crate::proxy_wasm::report::{LogLevel, LogSource};

/// `IOV_MAX`: more iovecs than this in one `fd_write` is an error.
const MAX_IOVS: u32 = 1_024;

impl HostState {
    fn next_random(&mut self) -> u64 {
        // xorshift64*: the host's randomness only has to look random.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// `fd_write`: stdout is logged at info, stderr at error, one line per
/// write.
pub(super) fn fd_write(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
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
    if count > MAX_IOVS {
        return Ok(errno::INVAL);
    }
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
    // The host logs each write as one line, without its newline.
    if text_out.last() == Some(&b'\n') {
        text_out.pop();
    }
    rec.arg("text", text(&text_out));
    if written > 0 {
        caller.data_mut().push_log(level, &text_out, source);
    }
    write_u32(caller, a.u32(3), written)?;
    Ok(errno::SUCCESS)
}

/// `fd_fdstat_get`: stdout and stderr are writable; nothing else is open.
pub(super) fn fd_fdstat_get(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let fd = a.u32(0);
    rec.arg("fd", fd);
    if fd != 1 && fd != 2 {
        return Ok(errno::BADF);
    }
    // Filetype and flags zero, rights base FD_WRITE (64).
    let mut stat = [0u8; 24];
    stat[8] = 64;
    write(caller, a.u32(1), &stat)?;
    Ok(errno::SUCCESS)
}

/// `environ_sizes_get` and `args_sizes_get`: none.
pub(super) fn sizes_get(caller: &mut Caller<'_, HostState>, a: &Args<'_>) -> HostResult<u32> {
    write_u32(caller, a.u32(0), 0)?;
    write_u32(caller, a.u32(1), 0)?;
    Ok(errno::SUCCESS)
}

/// `clock_time_get`: the realtime and monotonic clocks.
pub(super) fn clock_time_get(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let clock = a.u32(0);
    rec.arg("clock", clock);
    let now = match clock {
        0 => unix_nanos(),
        1 => caller.data().started.elapsed().as_nanos() as u64,
        _ => return Ok(errno::NOTSUP),
    };
    write_u64(caller, a.u32(2), now)?;
    Ok(errno::SUCCESS)
}

/// `random_get`.
pub(super) fn random_get(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let len = a.u32(1);
    rec.arg("len", len);
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

/// `proc_exit`: ends the callback, as wasmtime-wasi's exit does.
pub(super) fn proc_exit(a: &Args<'_>, rec: &mut Record) -> HostResult<u32> {
    let code = a.u32(0) as i32;
    rec.arg("code", code);
    Err(HostError::Fatal(wasmtime::Error::new(
        wasmtime_wasi::I32Exit(code),
    )))
}
