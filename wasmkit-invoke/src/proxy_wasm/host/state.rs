//! What the mock host knows, kept in the store: the run's plan, the
//! contexts and which one a call acts on, the stream's state
//! ([`StreamState`](super::stream::StreamState)), each hostcall family's
//! state, what the plugin asked of the stream ([`Signals`]), which calls
//! are allowed right now ([`Restriction`]), the virtual clock, and the
//! budget of bytes the host keeps for the plugin.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use wasmkit_core::{Diagnostic, codes};

use super::callouts::{Callout, CalloutResponse};
use super::grpc::{GrpcCall, GrpcDelivery};
use super::higress::RedisCall;
use super::metrics::Metrics;
use super::shared::SharedStore;
use super::stream::StreamState;
use super::stream_control::LocalReply;
use crate::limits::GuestLimiter;
use crate::proxy_wasm::abi::{Abi, Host};
use crate::proxy_wasm::plan::RunPlan;
use crate::proxy_wasm::report::{CalloutRecord, HostCall, LogLine};

/// The root context's id: cpp-host gives the VM context 0 and allocates
/// the rest from 1 (`WasmBase::allocContextId`).
pub(crate) const ROOT_ID: u32 = 1;
/// The stream's context (HTTP stream or network connection).
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
    /// `_initialize`, `main`, `__main_void`, `_start`.
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

/// What the plugin asked the host to do; the driver acts on these after
/// the callback returns, as Envoy defers them (`addAfterVmCallAction`).
#[derive(Debug, Default)]
pub(crate) struct Signals {
    /// `continueStream` per stream type: request, response, downstream,
    /// upstream.
    pub(crate) resume: [bool; 4],
    /// A continue or close made where there is no stream: the callback
    /// that did it and the function.
    pub(crate) ignored_resume: Option<(&'static str, String)>,
    pub(crate) local_reply: Option<LocalReply>,
    /// `closeStream`: the callback and the stream type.
    pub(crate) close: Option<(&'static str, u32)>,
    /// Set by `proxy_send_local_response`: the callback's return value is
    /// overridden to stop (`stopNextIteration`).
    pub(crate) stop_next_iteration: bool,
    pub(crate) callouts: VecDeque<Callout>,
    pub(crate) grpc: VecDeque<GrpcDelivery>,
    pub(crate) redis: VecDeque<RedisCall>,
    pub(crate) queue_ready: VecDeque<(u32, u32)>,
    pub(crate) root_pending_done: bool,
    pub(crate) done_called: bool,
}

/// A header map read where Envoy holds none, kept to explain a failure.
#[derive(Clone, Debug)]
pub(crate) struct LateRead {
    pub(crate) callback: &'static str,
    pub(crate) function: String,
    pub(crate) what: String,
    /// Why the map is gone, in the host's terms.
    pub(crate) why: String,
}

/// Everything the mock host knows, kept in the store.
#[derive(Debug)]
pub(crate) struct HostState {
    pub(crate) limiter: GuestLimiter,
    pub(crate) abi: Abi,
    pub(crate) host: Host,
    pub(crate) plan: Arc<RunPlan>,
    pub(super) allocator: &'static str,
    /// The callback running now.
    pub(crate) callback: &'static str,
    /// The context it runs in.
    pub(crate) context: u32,
    pub(super) effective: Option<u32>,
    pub(crate) restriction: Restriction,
    /// During the root context's creation and `proxy_on_configure` the
    /// plugin configuration is readable (`temp_plugin_`).
    pub(crate) configuring: bool,
    pub(crate) alive: BTreeSet<u32>,
    pub(crate) stream: StreamState,
    /// The answer of the callout being delivered (`http_call_response_`).
    pub(crate) callout_response: Option<CalloutResponse>,
    /// The gRPC message being delivered (`grpc_receive_buffer_`).
    pub(crate) grpc_receive: Option<Vec<u8>>,
    /// The Redis answer being delivered (`redis_call_response_`).
    pub(crate) redis_response: Option<Vec<u8>>,
    /// The root context's `status_code_` and `status_message_`
    /// (`proxy_get_status`).
    pub(crate) status: (u32, Vec<u8>),
    pub(super) properties: BTreeMap<Vec<u8>, Vec<u8>>,
    pub(super) shared: SharedStore,
    pub(super) metrics: Metrics,
    pub(crate) tick_period_ms: u32,
    /// Virtual milliseconds since the VM started.
    pub(crate) now_ms: u64,
    pub(crate) wall_base_ns: u64,
    pub(super) next_http_call: u32,
    pub(super) next_grpc_call: u32,
    pub(super) next_grpc_stream: u32,
    pub(super) next_redis_call: u32,
    pub(crate) grpc_calls: BTreeMap<u32, GrpcCall>,
    pub(crate) callout_records: Vec<CalloutRecord>,
    pub(crate) signals: Signals,
    pub(crate) late_reads: Vec<LateRead>,
    /// The property paths the plugin read, with what it got.
    pub(crate) property_reads: Vec<(String, Option<Vec<u8>>)>,
    pub(crate) proc_exit: Option<(&'static str, i32)>,
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
        host: Host,
        abi: Abi,
        allocator: &'static str,
        plan: Arc<RunPlan>,
        max_memory: usize,
    ) -> HostState {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        HostState {
            limiter: GuestLimiter::new(max_memory),
            abi,
            host,
            plan,
            allocator,
            callback: "instantiation",
            context: 0,
            effective: None,
            restriction: Restriction::None,
            configuring: false,
            alive: BTreeSet::new(),
            stream: StreamState::default(),
            callout_response: None,
            grpc_receive: None,
            redis_response: None,
            status: (0, Vec::new()),
            properties: BTreeMap::new(),
            shared: SharedStore::new(),
            metrics: Metrics::default(),
            tick_period_ms: 0,
            now_ms: 0,
            wall_base_ns: wall,
            // cpp-host `WasmBase`: callout ids carry their type in the low
            // two bits and step by 4 (`nextHttpCallId` and friends).
            next_http_call: 0,
            next_grpc_call: 1,
            next_grpc_stream: 2,
            next_redis_call: 3,
            grpc_calls: BTreeMap::new(),
            callout_records: Vec::new(),
            signals: Signals::default(),
            late_reads: Vec::new(),
            property_reads: Vec::new(),
            proc_exit: None,
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
            rng: wall | 1,
        }
    }

    /// Prepares for a call into the guest. The effective context is per
    /// call in the C++ host (`SaveRestoreContext` resets it), and so is
    /// `stopNextIteration` (`DeferAfterCallActions`).
    pub(crate) fn begin(&mut self, callback: &'static str, context: u32, restriction: Restriction) {
        self.callback = callback;
        self.context = context;
        self.effective = None;
        self.restriction = restriction;
        self.signals.stop_next_iteration = false;
        self.limiter.reset();
    }

    /// The context host calls act on (`contextOrEffectiveContext`).
    pub(crate) fn acting_context(&self) -> u32 {
        match self.effective {
            Some(id) if self.alive.contains(&id) => id,
            _ => self.context,
        }
    }

    /// Whether calls act on the stream's context.
    pub(crate) fn in_stream(&self) -> bool {
        self.acting_context() == HTTP_ID && self.alive.contains(&HTTP_ID)
    }

    /// Wall-clock nanoseconds: the time the run started plus virtual time.
    pub(crate) fn wall_ns(&self) -> u64 {
        self.wall_base_ns
            .saturating_add(self.now_ms.saturating_mul(1_000_000))
    }

    /// Monotonic nanoseconds: real time spent plus virtual time.
    pub(crate) fn monotonic_ns(&self) -> u64 {
        (self.started.elapsed().as_nanos() as u64)
            .saturating_add(self.now_ms.saturating_mul(1_000_000))
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
