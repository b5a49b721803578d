//! Shared data (key, value and CAS) and shared queues, for the one VM the
//! mock runs (`proxy_*_shared_data`, `proxy_*_shared_queue`; proxy-wasm-cpp-host
//! `src/shared_data.cc` and `src/shared_queue.cc`).

use std::collections::{BTreeMap, VecDeque};

use serde_json::json;
use wasmtime::Caller;

use super::Args;
use super::memory::{HostResult, give, read, write_u32};
use super::record::{Record, text};
use super::state::{HostState, ROOT_ID};
use crate::proxy_wasm::abi::status::{CAS_MISMATCH, EMPTY, INTERNAL_FAILURE, NOT_FOUND, OK};

/// The shared data and queues of the VM.
#[derive(Debug)]
pub(super) struct SharedStore {
    /// Values with their CAS.
    data: BTreeMap<Vec<u8>, (Vec<u8>, u32)>,
    next_cas: u32,
    /// Queues; a queue's token is its index plus one.
    queues: Vec<Queue>,
}

impl SharedStore {
    pub(super) fn new() -> SharedStore {
        SharedStore {
            data: BTreeMap::new(),
            next_cas: 1,
            queues: Vec::new(),
        }
    }
}

#[derive(Debug)]
struct Queue {
    name: Vec<u8>,
    /// The root context that is told when an item arrives.
    owner: u32,
    items: VecDeque<Vec<u8>>,
}

/// `proxy_get_shared_data`.
pub(super) fn get_data(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let key = read(caller, a.u32(0), a.u32(1))?;
    rec.arg("key", text(&key));
    let Some((value, cas)) = caller.data().shared.data.get(&key).cloned() else {
        return Ok(NOT_FOUND);
    };
    rec.returned = Some(json!({ "value": text(&value), "cas": cas }));
    give(caller, &value, a.u32(2), a.u32(3))?;
    write_u32(caller, a.u32(4), cas)?;
    Ok(OK)
}

/// `proxy_set_shared_data`: a CAS of 0 always writes.
pub(super) fn set_data(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let key = read(caller, a.u32(0), a.u32(1))?;
    let value = read(caller, a.u32(2), a.u32(3))?;
    let cas = a.u32(4);
    rec.arg("key", text(&key));
    rec.arg("value", text(&value));
    rec.arg("cas", cas);
    let state = caller.data_mut();
    if let Some((_, current)) = state.shared.data.get(&key)
        && cas != 0
        && cas != *current
    {
        return Ok(CAS_MISMATCH);
    }
    if !state.keep(key.len() + value.len()) {
        return Ok(INTERNAL_FAILURE);
    }
    let shared = &mut state.shared;
    let next = shared.next_cas;
    shared.next_cas = shared.next_cas.wrapping_add(1).max(1);
    shared.data.insert(key, (value, next));
    Ok(OK)
}

/// `proxy_register_shared_queue`.
pub(super) fn register_queue(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let name = read(caller, a.u32(0), a.u32(1))?;
    rec.arg("name", text(&name));
    let queues = &mut caller.data_mut().shared.queues;
    // Queue-ready notifications go to the root context.
    let owner = ROOT_ID;
    let token = match queues.iter().position(|q| q.name == name) {
        Some(i) => {
            queues[i].owner = owner;
            i as u32 + 1
        }
        None => {
            queues.push(Queue {
                name,
                owner,
                items: VecDeque::new(),
            });
            queues.len() as u32
        }
    };
    rec.returned = Some(json!(token));
    write_u32(caller, a.u32(2), token)?;
    Ok(OK)
}

/// `proxy_resolve_shared_queue`.
pub(super) fn resolve_queue(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let vm_id = read(caller, a.u32(0), a.u32(1))?;
    let name = read(caller, a.u32(2), a.u32(3))?;
    rec.arg("vm_id", text(&vm_id));
    rec.arg("name", text(&name));
    // The mock runs one VM; an empty id names it
    // (`ContextBase::lookupSharedQueue`).
    let own = vm_id.is_empty() || vm_id == caller.data().plan.vm_id.as_bytes();
    let found = own
        .then(|| {
            caller
                .data()
                .shared
                .queues
                .iter()
                .position(|q| q.name == name)
        })
        .flatten();
    let Some(i) = found else {
        return Ok(NOT_FOUND);
    };
    let token = i as u32 + 1;
    rec.returned = Some(json!(token));
    write_u32(caller, a.u32(4), token)?;
    Ok(OK)
}

/// The queue a token names.
fn by_token(state: &mut HostState, token: u32) -> Option<&mut Queue> {
    token
        .checked_sub(1)
        .and_then(|i| state.shared.queues.get_mut(i as usize))
}

/// `proxy_dequeue_shared_queue`.
pub(super) fn dequeue(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let token = a.u32(0);
    rec.arg("token", token);
    let Some(queue) = by_token(caller.data_mut(), token) else {
        return Ok(NOT_FOUND);
    };
    let Some(item) = queue.items.pop_front() else {
        return Ok(EMPTY);
    };
    rec.returned = Some(text(&item));
    give(caller, &item, a.u32(1), a.u32(2))?;
    Ok(OK)
}

/// `proxy_enqueue_shared_queue`: the queue's owner is told once, until the
/// notification is delivered.
pub(super) fn enqueue(
    caller: &mut Caller<'_, HostState>,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    let token = a.u32(0);
    let data = read(caller, a.u32(1), a.u32(2))?;
    rec.arg("token", token);
    rec.arg("data", text(&data));
    let state = caller.data_mut();
    if !state.keep(data.len()) {
        return Ok(INTERNAL_FAILURE);
    }
    let Some(queue) = by_token(state, token) else {
        return Ok(NOT_FOUND);
    };
    queue.items.push_back(data);
    let ready = (queue.owner, token);
    // One notification per queue until it is delivered.
    if !state.signals.queue_ready.contains(&ready) {
        state.signals.queue_ready.push_back(ready);
    }
    Ok(OK)
}
