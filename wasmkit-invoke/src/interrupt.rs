//! Stopping a running call from outside (Ctrl-C in an interactive session)
//! through the same epoch mechanism as `--timeout`: a store that is watched
//! checks, at each epoch tick, whether it was asked to stop and whether
//! the call's own deadline passed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use wasmtime::{Store, UpdateDeadline};

use crate::limits::{HasLimiter, Limits};

/// A request to stop the running call, shared with a signal handler.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// A request not yet made.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks the running call to stop; it traps at the next epoch tick
    /// (within a few milliseconds, unless it is blocked in the host). A
    /// request made while no call runs is forgotten when the next starts.
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a request is pending; clears it.
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

/// What a watched store checks at each tick.
#[derive(Debug)]
pub(crate) struct Watch {
    interrupt: Interrupt,
    /// When the current call's time limit runs out, if it has one.
    deadline: Option<Instant>,
    /// Whether the last call stopped because of the interrupt.
    interrupted: bool,
}

impl Watch {
    /// Whether the last call was stopped by the interrupt (not its time
    /// limit).
    pub(crate) fn interrupted(&self) -> bool {
        self.interrupted
    }
}

/// Makes calls on `store` interruptible by `interrupt`. The engine must
/// have epoch interruption on.
pub(crate) fn watch<T: HasLimiter + 'static>(store: &mut Store<T>, interrupt: Interrupt) {
    store.data_mut().limiter().watch = Some(Watch {
        interrupt,
        deadline: None,
        interrupted: false,
    });
    store.epoch_deadline_callback(|mut ctx| {
        let Some(watch) = ctx.data_mut().limiter().watch.as_mut() else {
            return Ok(UpdateDeadline::Interrupt);
        };
        if watch.interrupt.take() {
            watch.interrupted = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        if watch.deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(UpdateDeadline::Interrupt);
        }
        Ok(UpdateDeadline::Continue(1))
    });
}

/// Arms a watched store for the next call: a request made before it is
/// dropped, the time limit becomes a deadline the watch checks, and the
/// epoch deadline is the next tick. Does nothing on a store not watched.
pub(crate) fn arm<T: HasLimiter>(store: &mut Store<T>, limits: &Limits) {
    let Some(watch) = store.data_mut().limiter().watch.as_mut() else {
        return;
    };
    watch.interrupt.take();
    watch.interrupted = false;
    watch.deadline = limits.timeout.map(|t| Instant::now() + t);
    store.set_epoch_deadline(1);
}
