//! The guest's memory as host functions see it: reading arguments,
//! writing results, and handing data over through the guest's allocator
//! (`WasmBase::allocMemory`, `copyToPointerSize`). Guest data is never
//! trusted: a range outside memory is a [`Fault`], which the host answers
//! with a status and a diagnostic, never a panic.

use wasmkit_core::{Diagnostic, codes};
use wasmtime::{Caller, Extern, Val};

use super::state::{HostState, Restriction};
use crate::proxy_wasm::abi::{ImportModule, errno, status};

/// Where guest data went wrong.
#[derive(Clone, Copy, Debug)]
pub(super) enum Fault {
    /// Reading arguments outside memory.
    Read { ptr: u32, len: u32, size: usize },
    /// Writing results outside memory.
    Write { ptr: u32, len: usize, size: usize },
    /// No exported memory at all.
    NoMemory,
    /// The allocator returned an unusable pointer.
    Allocator { ptr: u32, len: usize },
    /// A header map whose sizes run past its data.
    Pairs,
}

impl Fault {
    /// One diagnostic per kind of fault per function and callback.
    pub(super) fn kind(self) -> &'static str {
        match self {
            Fault::Read { .. } => "read",
            Fault::Write { .. } => "write",
            Fault::NoMemory => "no-memory",
            Fault::Allocator { .. } => "allocator",
            Fault::Pairs => "pairs",
        }
    }
}

/// Why a host function did not answer normally: a fault in guest data,
/// which the host answers with a status, or a fatal error that ends the
/// callback (`proc_exit`, a trap in the guest's allocator).
pub(super) enum HostError {
    Fault(Fault),
    Fatal(wasmtime::Error),
}

impl From<Fault> for HostError {
    fn from(f: Fault) -> Self {
        HostError::Fault(f)
    }
}

/// What a host function's family code returns.
pub(super) type HostResult<T> = Result<T, HostError>;

fn memory(caller: &mut Caller<'_, HostState>) -> HostResult<wasmtime::Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or(HostError::Fault(Fault::NoMemory))
}

pub(super) fn read(caller: &mut Caller<'_, HostState>, ptr: u32, len: u32) -> HostResult<Vec<u8>> {
    let memory = memory(caller)?;
    let data = memory.data(&*caller);
    let start = ptr as usize;
    start
        .checked_add(len as usize)
        .and_then(|end| data.get(start..end))
        .map(<[u8]>::to_vec)
        .ok_or(HostError::Fault(Fault::Read {
            ptr,
            len,
            size: data.len(),
        }))
}

/// Checks that a range lies in memory without copying it.
pub(super) fn check_range(
    caller: &mut Caller<'_, HostState>,
    ptr: u32,
    len: u32,
) -> HostResult<()> {
    let memory = memory(caller)?;
    let size = memory.data_size(&*caller);
    match (ptr as usize).checked_add(len as usize) {
        Some(end) if end <= size => Ok(()),
        _ => Err(HostError::Fault(Fault::Read { ptr, len, size })),
    }
}

pub(super) fn write(caller: &mut Caller<'_, HostState>, ptr: u32, bytes: &[u8]) -> HostResult<()> {
    let memory = memory(caller)?;
    let data = memory.data_mut(&mut *caller);
    let size = data.len();
    let start = ptr as usize;
    match start
        .checked_add(bytes.len())
        .and_then(|end| data.get_mut(start..end))
    {
        Some(slot) => {
            slot.copy_from_slice(bytes);
            Ok(())
        }
        None => Err(HostError::Fault(Fault::Write {
            ptr,
            len: bytes.len(),
            size,
        })),
    }
}

pub(super) fn write_u32(
    caller: &mut Caller<'_, HostState>,
    ptr: u32,
    value: u32,
) -> HostResult<()> {
    write(caller, ptr, &value.to_le_bytes())
}

pub(super) fn write_u64(
    caller: &mut Caller<'_, HostState>,
    ptr: u32,
    value: u64,
) -> HostResult<()> {
    write(caller, ptr, &value.to_le_bytes())
}

/// Copies bytes into memory the guest allocator hands out
/// (`WasmBase::allocMemory`); the allocator runs restricted.
fn allocate(caller: &mut Caller<'_, HostState>, bytes: &[u8]) -> HostResult<u32> {
    let len = bytes.len();
    let size = i32::try_from(len).map_err(|_| Fault::Allocator { ptr: 0, len })?;
    let name = caller.data().allocator;
    let Some(func) = caller.get_export(name).and_then(Extern::into_func) else {
        return Err(Fault::Allocator { ptr: 0, len }.into());
    };
    let previous = std::mem::replace(&mut caller.data_mut().restriction, Restriction::Allocating);
    let mut results = [Val::I32(0)];
    let outcome = func.call(&mut *caller, &[Val::I32(size)], &mut results);
    caller.data_mut().restriction = previous;
    outcome.map_err(HostError::Fatal)?;
    let ptr = match results[0] {
        Val::I32(p) => p as u32,
        _ => 0,
    };
    if ptr == 0 {
        return Err(Fault::Allocator { ptr, len }.into());
    }
    write(caller, ptr, bytes).map_err(|_| Fault::Allocator { ptr, len })?;
    Ok(ptr)
}

/// Hands bytes to the guest through a pointer and a size out-parameter
/// (`copyToPointerSize`): nothing is allocated for empty data, and the
/// pointer is then 0.
pub(super) fn give(
    caller: &mut Caller<'_, HostState>,
    bytes: &[u8],
    ptr_ptr: u32,
    size_ptr: u32,
) -> HostResult<()> {
    let ptr = if bytes.is_empty() {
        0
    } else {
        allocate(caller, bytes)?
    };
    write_u32(caller, ptr_ptr, ptr)?;
    write_u32(caller, size_ptr, bytes.len() as u32)
}

pub(super) fn fault_diagnostic(
    fault: Fault,
    callback: &str,
    function: &str,
    code: u32,
    module: ImportModule,
) -> Diagnostic {
    let answered = match module {
        ImportModule::Env => format!("the host answered {} ({code}) instead", status::name(code)),
        ImportModule::Wasi => format!(
            "the host answered errno {} ({code}) instead",
            errno::name(code)
        ),
    };
    match fault {
        Fault::Read { ptr, len, size } => Diagnostic::error(
            codes::HOST_CALL,
            format!(
                "`{callback}` passed `{function}` {len} byte(s) at {ptr:#x}, outside its {size}-byte memory"
            ),
        )
        .with_note(answered)
        .with_help("pass pointers into the module's own memory with their exact lengths (in Rust, `slice.as_ptr()` and `slice.len()`)"),
        Fault::Write { ptr, len, size } => Diagnostic::error(
            codes::HOST_CALL,
            format!(
                "`{callback}` gave `{function}` an out-pointer at {ptr:#x} ({len} byte(s)), outside its {size}-byte memory"
            ),
        )
        .with_note(answered)
        .with_help("pass the address of a live variable for the host to write the result into"),
        Fault::NoMemory => Diagnostic::error(
            codes::HOST_CALL,
            format!("`{callback}` called `{function}`, but the module exports no memory named `memory`"),
        )
        .with_note(answered)
        .with_help("export the module's linear memory as `memory`, as every toolchain does by default"),
        Fault::Allocator { ptr, len } => Diagnostic::error(
            codes::HOST_CALL,
            format!(
                "the module's allocator returned {ptr:#x} for {len} byte(s) that `{function}` had to hand back, which is not usable memory"
            ),
        )
        .with_note(answered)
        .with_help("`proxy_on_memory_allocate(size)` must return the address of `size` writable bytes the plugin then owns"),
        Fault::Pairs => Diagnostic::error(
            codes::HOST_CALL,
            format!("`{callback}` passed `{function}` a malformed header map"),
        )
        .with_note("its sizes run past its data; the host reads such a map as empty (or, when only the strings overrun, reads past the buffer)")
        .with_help("encode maps as a u32 count, the u32 key and value sizes of each pair, then each key and value followed by a NUL byte"),
    }
}
