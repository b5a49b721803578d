//! What the mock host knows, kept in the store: the contexts and which one
//! a call acts on, the stream's header maps and bodies, each hostcall
//! family's state, what the plugin asked of the stream ([`Signals`]), which
//! calls are allowed right now ([`Restriction`]), and the budget of bytes
//! the host keeps for the plugin.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use wasmkit_core::{Diagnostic, codes};

use super::callouts::{Callout, CalloutResponse};
use super::headers::HeaderMap;
use super::metrics::Metric;
use super::shared::SharedStore;
use super::stream_control::LocalReply;
use crate::limits::GuestLimiter;
use crate::proxy_wasm::abi::Abi;
use crate::proxy_wasm::report::{HostCall, LogLine};

/// The root context's id (the first context the host allocates; 0 is the VM).
pub(crate) const ROOT_ID: u32 = 1;
/// The HTTP context's id.
pub(crate) const HTTP_ID: u32 = 2;

/// The least the plugin may make the host keep (headers, bodies, shared
/// data, queues, properties). The budget is the guest's memory cap, but at
/// least this: the guest's memory is capped, the host's must be too, or a
/// loop of host calls could exhaust this process.
const MIN_STORE_BUDGET: usize = 16 << 20;

/// Which host calls are allowed right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Restriction {
    None,
    /// `_initialize`, `main`, `_start`.
    StartUp,
    /// The guest allocator, called by the host to hand data over.
    Allocating,
}

/// A host call the host forbids at this point: the C++ host traps with
/// `restricted_callback`.
#[derive(Debug)]
pub(crate) struct RestrictedCall {
    pub(crate) function: String,
    pub(crate) during: Restriction,
}

impl fmt::Display for RestrictedCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("restricted_callback")
    }
}

impl std::error::Error for RestrictedCall {}

/// What the plugin asked the host to do with the stream; the driver acts on
/// these after the callback returns, as the host defers them.
#[derive(Debug, Default)]
pub(crate) struct Signals {
    pub(crate) continue_request: bool,
    pub(crate) continue_response: bool,
    /// A continue or close made where there is no stream: the callback
    /// that did it and the function.
    pub(crate) ignored_resume: Option<(&'static str, String)>,
    pub(crate) local_reply: Option<LocalReply>,
    pub(crate) close: Option<&'static str>,
    /// Set by `proxy_send_local_response`: the callback's return value is
    /// overridden to stop (`stopNextIteration`).
    pub(crate) stop_next_iteration: bool,
    pub(crate) callouts: VecDeque<Callout>,
    pub(crate) queue_ready: VecDeque<(u32, u32)>,
    pub(crate) root_pending_done: bool,
    pub(crate) done_called: bool,
}

/// Everything the mock host knows, kept in the store.
#[derive(Debug)]
pub(crate) struct HostState {
    pub(crate) limiter: GuestLimiter,
    pub(crate) abi: Abi,
    pub(super) allocator: &'static str,
    /// The callback running now.
    pub(crate) callback: &'static str,
    /// The context it runs in.
    pub(crate) context: u32,
    pub(super) effective: Option<u32>,
    pub(crate) restriction: Restriction,
    pub(crate) log_phase: bool,
    /// During `proxy_on_configure`: the plugin configuration is readable.
    pub(crate) configuring: bool,
    pub(crate) alive: BTreeSet<u32>,
    pub(crate) request_headers: Option<HeaderMap>,
    pub(crate) request_body: Option<Vec<u8>>,
    pub(crate) request_trailers: Option<HeaderMap>,
    pub(crate) response_headers: Option<HeaderMap>,
    pub(crate) response_body: Option<Vec<u8>>,
    pub(crate) response_trailers: Option<HeaderMap>,
    /// Whether the body callback running now has the end of the stream.
    pub(crate) end_of_stream: bool,
    pub(crate) callout_response: Option<CalloutResponse>,
    pub(super) plugin_config: Vec<u8>,
    pub(super) vm_config: Vec<u8>,
    pub(super) properties: BTreeMap<Vec<u8>, Vec<u8>>,
    pub(super) shared: SharedStore,
    pub(super) metrics: Vec<Metric>,
    pub(crate) tick_period_ms: u32,
    pub(super) next_token: u32,
    pub(crate) signals: Signals,
    pub(crate) calls: Vec<HostCall>,
    pub(crate) calls_dropped: usize,
    pub(super) recorded_bytes: usize,
    stored_bytes: usize,
    store_budget: usize,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) logs_dropped: usize,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(super) diagnostic_keys: BTreeSet<String>,
    pub(super) started: Instant,
    pub(super) rng: u64,
}

impl HostState {
    pub(crate) fn new(
        abi: Abi,
        allocator: &'static str,
        plugin_config: &[u8],
        vm_config: &[u8],
        max_memory: usize,
    ) -> HostState {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        HostState {
            limiter: GuestLimiter::new(max_memory),
            abi,
            allocator,
            callback: "instantiation",
            context: 0,
            effective: None,
            restriction: Restriction::None,
            log_phase: false,
            configuring: false,
            alive: BTreeSet::new(),
            request_headers: None,
            request_body: None,
            request_trailers: None,
            response_headers: None,
            response_body: None,
            response_trailers: None,
            end_of_stream: false,
            callout_response: None,
            plugin_config: plugin_config.to_vec(),
            vm_config: vm_config.to_vec(),
            properties: BTreeMap::new(),
            shared: SharedStore::new(),
            metrics: Vec::new(),
            tick_period_ms: 0,
            next_token: 1,
            signals: Signals::default(),
            calls: Vec::new(),
            calls_dropped: 0,
            recorded_bytes: 0,
            stored_bytes: 0,
            store_budget: max_memory.max(MIN_STORE_BUDGET),
            logs: Vec::new(),
            logs_dropped: 0,
            diagnostics: Vec::new(),
            diagnostic_keys: BTreeSet::new(),
            started: Instant::now(),
            rng: seed | 1,
        }
    }

    /// Prepares for a call into the guest. The effective context is per
    /// call in the C++ host (`SaveRestoreContext` resets it).
    pub(crate) fn begin(&mut self, callback: &'static str, context: u32, restriction: Restriction) {
        self.callback = callback;
        self.context = context;
        self.effective = None;
        self.restriction = restriction;
        self.signals.stop_next_iteration = false;
        self.limiter.reset();
    }

    /// The context host calls act on.
    pub(super) fn acting_context(&self) -> u32 {
        match self.effective {
            Some(id) if self.alive.contains(&id) => id,
            _ => self.context,
        }
    }

    pub(super) fn in_http(&self) -> bool {
        self.acting_context() == HTTP_ID && self.alive.contains(&HTTP_ID)
    }

    /// Accounts for bytes the host keeps for the plugin; `false` (and a
    /// diagnostic) once the budget is spent. Never given back: a
    /// conservative count is enough to stop a runaway loop.
    pub(super) fn keep(&mut self, bytes: usize) -> bool {
        self.stored_bytes = self.stored_bytes.saturating_add(bytes);
        if self.stored_bytes <= self.store_budget {
            return true;
        }
        let d = Diagnostic::error(
            codes::HOST_CALL,
            format!(
                "`{}` made the host keep more than {} MiB (headers, bodies, shared data, queues, properties)",
                self.callback,
                self.store_budget >> 20
            ),
        )
        .with_note("the mock keeps at most the guest's memory cap (`--max-memory`) for a plugin and answered InternalFailure (10) from then on; a real host would keep growing")
        .with_help("look for a loop that adds headers, body data, shared data or queue items without end");
        self.host_diagnostic("budget".into(), d);
        false
    }
}
