//! The mock host's side of the ABI: its state (contexts, header maps,
//! buffers, properties, shared data, queues, metrics, callouts) and every
//! host function, behaving as Envoy's `Context` and proxy-wasm-cpp-host's
//! `exports.cc` do, including their status codes. Every call is recorded.
//!
//! Guest data is never trusted: a pointer outside the module's memory gets
//! the host's `InvalidMemoryAccess` (or WASI `EFAULT`) and a `host-call`
//! diagnostic, never a panic.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use wasmkit_core::{Diagnostic, codes};
use wasmkit_invoke::limits::GuestLimiter;
use wasmtime::{Caller, Engine, Extern, FuncType, Linker, Val, ValType};

use super::abi::{
    self, ALLOWED_DURING_ALLOCATION, ALLOWED_DURING_START, Abi, HOST_FUNCTIONS, Host, HostFn,
    HostFnSpec, ImportModule, Ty, errno, status,
};
use super::report::{HostCall, LogLevel, LogLine, LogSource};

/// The root context's id (the first context the host allocates; 0 is the VM).
pub(crate) const ROOT_ID: u32 = 1;
/// The HTTP context's id.
pub(crate) const HTTP_ID: u32 = 2;

/// Recording caps, so that a plugin looping over host calls cannot make the
/// report grow without bound.
const MAX_CALLS: usize = 5_000;
const MAX_RECORDED_BYTES: usize = 32 << 20;
const MAX_LOGS: usize = 2_000;
const MAX_TEXT: usize = 512;
const MAX_PAIRS_RECORDED: usize = 32;
const MAX_LOG_MESSAGE: usize = 4_096;
const MAX_HOST_DIAGNOSTICS: usize = 20;
/// The least the plugin may make the host keep (headers, bodies, shared
/// data, queues, properties). The budget is the guest's memory cap, but at
/// least this: the guest's memory is capped, the host's must be too, or a
/// loop of host calls could exhaust this process.
const MIN_STORE_BUDGET: usize = 16 << 20;
/// Callouts waiting for an answer.
const MAX_PENDING_CALLOUTS: usize = 1_024;
/// `IOV_MAX`: more iovecs than this in one `fd_write` is an error.
const MAX_IOVS: u32 = 1_024;

/// Header pairs, in order; keys lowercase as Envoy stores them.
pub(crate) type HeaderMap = Vec<(Vec<u8>, Vec<u8>)>;

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

/// A local response the plugin asked for.
#[derive(Clone, Debug)]
pub(crate) struct LocalReply {
    pub(crate) status: u32,
    pub(crate) body: Vec<u8>,
    pub(crate) headers: HeaderMap,
    pub(crate) callback: &'static str,
}

/// An HTTP callout waiting for its (mock) response.
#[derive(Clone, Debug)]
pub(crate) struct Callout {
    pub(crate) token: u32,
    pub(crate) upstream: String,
    pub(crate) path: String,
}

/// The response of a callout, visible while its callback runs.
#[derive(Clone, Debug)]
pub(crate) struct CalloutResponse {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    pub(crate) trailers: HeaderMap,
}

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

#[derive(Debug)]
struct Queue {
    name: Vec<u8>,
    owner: u32,
    items: VecDeque<Vec<u8>>,
}

#[derive(Debug)]
struct Metric {
    kind: u32,
    name: Vec<u8>,
    value: u64,
}

/// Everything the mock host knows, kept in the store.
#[derive(Debug)]
pub(crate) struct HostState {
    pub(crate) limiter: GuestLimiter,
    pub(crate) abi: Abi,
    allocator: &'static str,
    /// The callback running now.
    pub(crate) callback: &'static str,
    /// The context it runs in.
    pub(crate) context: u32,
    effective: Option<u32>,
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
    plugin_config: Vec<u8>,
    vm_config: Vec<u8>,
    properties: BTreeMap<Vec<u8>, Vec<u8>>,
    shared_data: BTreeMap<Vec<u8>, (Vec<u8>, u32)>,
    next_cas: u32,
    queues: Vec<Queue>,
    metrics: Vec<Metric>,
    pub(crate) tick_period_ms: u32,
    next_token: u32,
    pub(crate) signals: Signals,
    pub(crate) calls: Vec<HostCall>,
    pub(crate) calls_dropped: usize,
    recorded_bytes: usize,
    stored_bytes: usize,
    store_budget: usize,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) logs_dropped: usize,
    pub(crate) diagnostics: Vec<Diagnostic>,
    diagnostic_keys: BTreeSet<String>,
    started: Instant,
    rng: u64,
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
            shared_data: BTreeMap::new(),
            next_cas: 1,
            queues: Vec::new(),
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
    fn acting_context(&self) -> u32 {
        match self.effective {
            Some(id) if self.alive.contains(&id) => id,
            _ => self.context,
        }
    }

    fn in_http(&self) -> bool {
        self.acting_context() == HTTP_ID && self.alive.contains(&HTTP_ID)
    }

    /// The plugin's log lines so far, for notes.
    pub(crate) fn log_excerpt(&self, max: usize) -> Option<String> {
        if self.logs.is_empty() {
            return None;
        }
        let skip = self.logs.len().saturating_sub(max);
        let mut text = if skip > 0 {
            format!("the plugin's last {max} log lines:")
        } else {
            "the plugin's log:".to_string()
        };
        for line in &self.logs[skip..] {
            text.push_str(&format!(
                "\n  [{}] {}: {}",
                line.level.as_str(),
                line.callback,
                line.message
            ));
        }
        Some(text)
    }

    fn push_log(&mut self, level: LogLevel, message: &[u8], source: LogSource) {
        if self.logs.len() >= MAX_LOGS {
            self.logs_dropped += 1;
            return;
        }
        self.logs.push(LogLine {
            level,
            message: capped(message, MAX_LOG_MESSAGE),
            callback: self.callback.to_string(),
            source,
        });
    }

    /// Records a `host-call` diagnostic once per key.
    fn host_diagnostic(&mut self, key: String, diagnostic: Diagnostic) {
        if self.diagnostics.len() < MAX_HOST_DIAGNOSTICS && self.diagnostic_keys.insert(key) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// Accounts for bytes the host keeps for the plugin; `false` (and a
    /// diagnostic) once the budget is spent. Never given back: a
    /// conservative count is enough to stop a runaway loop.
    fn keep(&mut self, bytes: usize) -> bool {
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

    fn next_random(&mut self) -> u64 {
        // xorshift64*: the host's randomness only has to look random.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Header map for reading (`getConstMap`).
    fn map(&self, map: u32) -> Option<&HeaderMap> {
        let http = self.in_http();
        match map {
            0 if http => self.request_headers.as_ref(),
            1 if http => self.request_trailers.as_ref(),
            2 if http => self.response_headers.as_ref(),
            3 if http => self.response_trailers.as_ref(),
            6 => self.callout_response.as_ref().map(|r| &r.headers),
            7 => self.callout_response.as_ref().map(|r| &r.trailers),
            _ => None,
        }
    }

    /// Header map for writing (`getMap`): trailers appear when a body
    /// callback at the end of the stream adds them; callout responses and
    /// gRPC metadata are read-only.
    fn map_mut(&mut self, map: u32) -> Option<&mut HeaderMap> {
        if !self.in_http() {
            return None;
        }
        let eos = self.end_of_stream;
        match map {
            0 => self.request_headers.as_mut(),
            1 => {
                if self.request_trailers.is_none() && eos && self.request_body.is_some() {
                    self.request_trailers = Some(Vec::new());
                }
                self.request_trailers.as_mut()
            }
            2 => self.response_headers.as_mut(),
            3 => {
                if self.response_trailers.is_none() && eos && self.response_body.is_some() {
                    self.response_trailers = Some(Vec::new());
                }
                self.response_trailers.as_mut()
            }
            _ => None,
        }
    }

    /// A buffer by type (`Context::getBuffer`).
    fn buffer(&self, buffer: u32) -> Buffer<'_> {
        let http = self.in_http();
        match buffer {
            0 => match (&self.request_body, http) {
                (Some(b), true) => Buffer::Mutable(b),
                _ => Buffer::Null,
            },
            1 => match (&self.response_body, http) {
                (Some(b), true) => Buffer::Mutable(b),
                _ => Buffer::Null,
            },
            2 | 3 | 5 | 8 => Buffer::Null,
            4 => self
                .callout_response
                .as_ref()
                .map_or(Buffer::Absent, |r| Buffer::Const(&r.body)),
            6 => Buffer::Const(&self.vm_config),
            7 if self.configuring => Buffer::Const(&self.plugin_config),
            _ => Buffer::Absent,
        }
    }

    fn buffer_mut(&mut self, buffer: u32) -> Option<&mut Vec<u8>> {
        if !self.in_http() {
            return None;
        }
        match buffer {
            0 => self.request_body.as_mut(),
            1 => self.response_body.as_mut(),
            _ => None,
        }
    }

    /// Properties Envoy answers from the stream and the plugin; values are
    /// raw bytes, integers 8-byte little-endian. Others are NotFound.
    fn builtin_property(&self, path: &[&str]) -> Option<Vec<u8>> {
        let http = self.in_http();
        let request = |name: &str| header_value(self.request_headers.as_ref()?, name.as_bytes());
        match path {
            ["plugin_name"] => Some(b"wasmkit-verify".to_vec()),
            ["plugin_root_id"] | ["plugin_vm_id"] => Some(Vec::new()),
            ["request", field] if http => match *field {
                "path" => request(":path"),
                "url_path" => request(":path").map(|p| {
                    let end = p.iter().position(|&b| b == b'?').unwrap_or(p.len());
                    p[..end].to_vec()
                }),
                "host" => request(":authority"),
                "method" => request(":method"),
                "scheme" => request(":scheme"),
                "id" => request("x-request-id"),
                "protocol" => Some(b"HTTP/1.1".to_vec()),
                _ => None,
            },
            ["response", "code"] if http => {
                let status = header_value(self.response_headers.as_ref()?, b":status")?;
                let code: i64 = std::str::from_utf8(&status).ok()?.parse().ok()?;
                Some(code.to_le_bytes().to_vec())
            }
            ["source", "address"] if http => Some(b"127.0.0.1:53142".to_vec()),
            ["destination", "address"] if http => Some(b"127.0.0.1:10000".to_vec()),
            _ => None,
        }
    }
}

enum Buffer<'a> {
    /// A body the plugin may read and change.
    Mutable(&'a [u8]),
    /// Readable only (configuration, a callout's body).
    Const(&'a [u8]),
    /// No buffer behind it: reads as empty, writes are NotFound.
    Null,
    /// No such buffer now: NotFound.
    Absent,
}

/// The first value of a header.
pub(crate) fn header_value(map: &HeaderMap, name: &[u8]) -> Option<Vec<u8>> {
    map.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Lossy UTF-8, cut at `max` bytes.
pub(crate) fn capped(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
    if bytes.len() > max {
        format!("{text}… ({} bytes)", bytes.len())
    } else {
        text
    }
}

fn text(bytes: &[u8]) -> Value {
    Value::String(capped(bytes, MAX_TEXT))
}

fn pairs_json(pairs: &HeaderMap) -> Value {
    Value::Array(
        pairs
            .iter()
            .take(MAX_PAIRS_RECORDED)
            .map(|(k, v)| json!([capped(k, MAX_TEXT), capped(v, MAX_TEXT)]))
            .collect(),
    )
}

/// The ABI's map encoding: a u32 count, then each pair's key and value
/// lengths (u32), then each key and value followed by a NUL (`marshalPairs`).
pub(crate) fn serialize_pairs(pairs: &HeaderMap) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k);
        out.push(0);
        out.extend_from_slice(v);
        out.push(0);
    }
    out
}

/// Parses the map encoding. Fewer than four bytes is an empty map, as the
/// host reads it; `None` when the sizes run past the data (the C++ host
/// reads out of bounds there; the mock refuses).
pub(crate) fn parse_pairs(bytes: &[u8]) -> Option<HeaderMap> {
    if bytes.len() < 4 {
        return Some(Vec::new());
    }
    let word = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let count = word(0)?;
    let mut pos = count.checked_mul(8)?.checked_add(4)?;
    if pos > bytes.len() {
        return None;
    }
    let mut pairs = Vec::with_capacity(count);
    for i in 0..count {
        let key_len = word(4 + i * 8)?;
        let value_len = word(8 + i * 8)?;
        let key = bytes.get(pos..pos.checked_add(key_len)?)?;
        pos = pos.checked_add(key_len)?.checked_add(1)?;
        let value = bytes.get(pos..pos.checked_add(value_len)?)?;
        pos = pos.checked_add(value_len)?.checked_add(1)?;
        pairs.push((key.to_vec(), value.to_vec()));
    }
    Some(pairs)
}

fn lowercase(key: &[u8]) -> Vec<u8> {
    key.to_ascii_lowercase()
}

/// Defines every function this host provides for this ABI in `linker`.
pub(crate) fn define(
    linker: &mut Linker<HostState>,
    engine: &Engine,
    host: Host,
    abi: Abi,
) -> wasmtime::Result<()> {
    let val = |t: &Ty| match t {
        Ty::I32 => ValType::I32,
        Ty::I64 => ValType::I64,
    };
    for spec in HOST_FUNCTIONS
        .iter()
        .filter(|s| s.avail.provided(host, abi))
    {
        let ty = FuncType::new(
            engine,
            spec.sig.params.iter().map(val),
            spec.sig.results.iter().map(val),
        );
        let modules: &[&'static str] = match spec.module {
            ImportModule::Env => &["env"],
            ImportModule::Wasi => &abi::WASI_MODULES,
        };
        for &module in modules {
            let spec = *spec;
            linker.func_new(
                module,
                spec.name,
                ty.clone(),
                move |mut caller, params, results| {
                    let code = call(&mut caller, &spec, module, params)?;
                    if let Some(slot) = results.first_mut() {
                        *slot = Val::I32(code as i32);
                    }
                    Ok(())
                },
            )?;
        }
    }
    Ok(())
}

/// Where guest data went wrong.
#[derive(Clone, Copy, Debug)]
enum Fault {
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
    fn kind(self) -> &'static str {
        match self {
            Fault::Read { .. } => "read",
            Fault::Write { .. } => "write",
            Fault::NoMemory => "no-memory",
            Fault::Allocator { .. } => "allocator",
            Fault::Pairs => "pairs",
        }
    }
}

enum HostError {
    Fault(Fault),
    Fatal(wasmtime::Error),
}

impl From<Fault> for HostError {
    fn from(f: Fault) -> Self {
        HostError::Fault(f)
    }
}

type HostResult<T> = Result<T, HostError>;

/// One call being recorded.
struct Record {
    arguments: Map<String, Value>,
    returned: Option<Value>,
}

impl Record {
    fn arg(&mut self, name: &str, value: impl Into<Value>) {
        self.arguments.insert(name.to_string(), value.into());
    }
}

fn call(
    caller: &mut Caller<'_, HostState>,
    spec: &HostFnSpec,
    module: &'static str,
    params: &[Val],
) -> wasmtime::Result<u32> {
    let function = match spec.module {
        ImportModule::Env => spec.name.to_string(),
        ImportModule::Wasi => format!("{module}.{}", spec.name),
    };
    let restriction = caller.data().restriction;
    let allowed = match restriction {
        Restriction::None => true,
        Restriction::StartUp => ALLOWED_DURING_START.contains(&spec.function),
        Restriction::Allocating => ALLOWED_DURING_ALLOCATION.contains(&spec.function),
    };
    let context = caller.data().acting_context();
    let callback = caller.data().callback;
    if !allowed {
        record(
            caller.data_mut(),
            callback,
            context,
            &function,
            Record::empty(),
            None,
            spec.module,
        );
        return Err(wasmtime::Error::new(RestrictedCall {
            function,
            during: restriction,
        }));
    }
    let mut rec = Record::empty();
    let outcome = dispatch(caller, spec.function, &Args(params), &mut rec);
    let code = match outcome {
        Ok(code) => code,
        Err(HostError::Fatal(e)) => {
            record(
                caller.data_mut(),
                callback,
                context,
                &function,
                rec,
                None,
                spec.module,
            );
            return Err(e);
        }
        Err(HostError::Fault(fault)) => {
            let code = match spec.module {
                ImportModule::Env => status::INVALID_MEMORY_ACCESS,
                ImportModule::Wasi => errno::FAULT,
            };
            let state = caller.data_mut();
            let d = fault_diagnostic(fault, callback, &function, code, spec.module);
            state.host_diagnostic(format!("{callback}/{function}/{}", fault.kind()), d);
            code
        }
    };
    record(
        caller.data_mut(),
        callback,
        context,
        &function,
        rec,
        Some(code),
        spec.module,
    );
    Ok(code)
}

impl Record {
    fn empty() -> Record {
        Record {
            arguments: Map::new(),
            returned: None,
        }
    }
}

fn record(
    state: &mut HostState,
    callback: &'static str,
    context: u32,
    function: &str,
    rec: Record,
    code: Option<u32>,
    module: ImportModule,
) {
    let size = rec.arguments.values().map(json_size).sum::<usize>()
        + rec.returned.as_ref().map_or(0, json_size)
        + function.len();
    if state.calls.len() >= MAX_CALLS || state.recorded_bytes + size > MAX_RECORDED_BYTES {
        state.calls_dropped += 1;
        return;
    }
    state.recorded_bytes += size;
    state.calls.push(HostCall {
        callback: callback.to_string(),
        context_id: context,
        function: function.to_string(),
        arguments: rec.arguments,
        returned: rec.returned,
        status: code,
        status_name: code.map(|c| match module {
            ImportModule::Env => status::name(c),
            ImportModule::Wasi => errno::name(c),
        }),
    });
}

/// A map argument as the host reads it: malformed sizes make it empty
/// (`toPairs`), which the mock also reports.
fn pairs_or_empty(caller: &mut Caller<'_, HostState>, raw: &[u8], function: &str) -> HeaderMap {
    parse_pairs(raw).unwrap_or_else(|| {
        let state = caller.data_mut();
        let d = fault_diagnostic(Fault::Pairs, state.callback, function, 0, ImportModule::Env);
        state.host_diagnostic(format!("pairs/{function}"), d);
        Vec::new()
    })
}

/// About how many bytes a recorded value holds.
fn json_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(json_size).sum::<usize>() + 8,
        Value::Object(map) => {
            map.iter()
                .map(|(k, v)| k.len() + json_size(v))
                .sum::<usize>()
                + 8
        }
        _ => 8,
    }
}

fn fault_diagnostic(
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

struct Args<'a>(&'a [Val]);

impl Args<'_> {
    fn u32(&self, i: usize) -> u32 {
        match self.0.get(i) {
            Some(Val::I32(v)) => *v as u32,
            Some(Val::I64(v)) => *v as u32,
            _ => 0,
        }
    }

    fn i64(&self, i: usize) -> i64 {
        match self.0.get(i) {
            Some(Val::I64(v)) => *v,
            Some(Val::I32(v)) => i64::from(*v),
            _ => 0,
        }
    }
}

fn memory(caller: &mut Caller<'_, HostState>) -> HostResult<wasmtime::Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or(HostError::Fault(Fault::NoMemory))
}

fn read(caller: &mut Caller<'_, HostState>, ptr: u32, len: u32) -> HostResult<Vec<u8>> {
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
fn check_range(caller: &mut Caller<'_, HostState>, ptr: u32, len: u32) -> HostResult<()> {
    let memory = memory(caller)?;
    let size = memory.data_size(&*caller);
    match (ptr as usize).checked_add(len as usize) {
        Some(end) if end <= size => Ok(()),
        _ => Err(HostError::Fault(Fault::Read { ptr, len, size })),
    }
}

fn write(caller: &mut Caller<'_, HostState>, ptr: u32, bytes: &[u8]) -> HostResult<()> {
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

fn write_u32(caller: &mut Caller<'_, HostState>, ptr: u32, value: u32) -> HostResult<()> {
    write(caller, ptr, &value.to_le_bytes())
}

fn write_u64(caller: &mut Caller<'_, HostState>, ptr: u32, value: u64) -> HostResult<()> {
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
fn give(
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

fn unmodelled(caller: &mut Caller<'_, HostState>, function: &str, what: &str, code: u32) -> u32 {
    let state = caller.data_mut();
    let d = Diagnostic::warning(
        codes::HOST_CALL,
        format!("`{}` called `{function}`, which the mock host does not model", state.callback),
    )
    .with_note(format!(
        "{what}; the mock answered {} ({code}), so the plugin's handling of a real answer was not exercised",
        status::name(code)
    ));
    state.host_diagnostic(format!("unmodelled/{function}"), d);
    code
}

fn no_stream(caller: &mut Caller<'_, HostState>, function: &str) {
    let state = caller.data_mut();
    let callback = state.callback;
    state.signals.ignored_resume = Some((callback, function.to_string()));
    let d = Diagnostic::warning(
        codes::HOST_CALL,
        format!("`{callback}` called `{function}` outside an HTTP context: it has no effect"),
    )
    .with_note(format!(
        "`{callback}` runs in the root context; stream calls there act on no stream (the host returns Ok and does nothing)"
    ))
    .with_help("call `proxy_set_effective_context` with the HTTP context's id first (the Rust SDK does it before `on_http_call_response`)");
    state.host_diagnostic(format!("nostream/{callback}/{function}"), d);
}

fn dispatch(
    caller: &mut Caller<'_, HostState>,
    f: HostFn,
    a: &Args<'_>,
    rec: &mut Record,
) -> HostResult<u32> {
    use status::{
        BAD_ARGUMENT, CAS_MISMATCH, EMPTY, INTERNAL_FAILURE, NOT_FOUND, OK, UNIMPLEMENTED,
    };
    Ok(match f {
        HostFn::Log => {
            let level = a.u32(0);
            rec.arg(
                "level",
                LogLevel::from_u32(level).map_or_else(|| json!(level), |l| json!(l.as_str())),
            );
            let Some(level) = LogLevel::from_u32(level) else {
                return Ok(BAD_ARGUMENT);
            };
            let message = read(caller, a.u32(1), a.u32(2))?;
            rec.arg("message", text(&message));
            caller
                .data_mut()
                .push_log(level, &message, LogSource::ProxyLog);
            OK
        }
        HostFn::GetStatus => {
            write_u32(caller, a.u32(0), 0)?;
            give(caller, b"", a.u32(1), a.u32(2))?;
            OK
        }
        HostFn::SetProperty => {
            let path = read(caller, a.u32(0), a.u32(1))?;
            let value = read(caller, a.u32(2), a.u32(3))?;
            rec.arg("path", property_path_json(&path));
            rec.arg("value", text(&value));
            let state = caller.data_mut();
            if !state.in_http() {
                return Ok(NOT_FOUND);
            }
            if !state.keep(path.len() + value.len()) {
                return Ok(INTERNAL_FAILURE);
            }
            state.properties.insert(path, value);
            OK
        }
        HostFn::GetProperty => {
            let path = read(caller, a.u32(0), a.u32(1))?;
            rec.arg("path", property_path_json(&path));
            let state = caller.data();
            let value = match state.properties.get(&path) {
                Some(v) if state.in_http() => Some(v.clone()),
                _ => {
                    property_segments(&path).and_then(|segments| state.builtin_property(&segments))
                }
            };
            let Some(value) = value else {
                return Ok(NOT_FOUND);
            };
            rec.returned = Some(text(&value));
            give(caller, &value, a.u32(2), a.u32(3))?;
            OK
        }
        HostFn::SendLocalResponse => {
            let status_code = a.u32(0);
            let details = read(caller, a.u32(1), a.u32(2))?;
            let body = read(caller, a.u32(3), a.u32(4))?;
            let raw_headers = read(caller, a.u32(5), a.u32(6))?;
            rec.arg("status_code", status_code);
            rec.arg("details", text(&details));
            rec.arg("body", text(&body));
            rec.arg("grpc_status", a.u32(7) as i32);
            let headers = pairs_or_empty(caller, &raw_headers, "proxy_send_local_response");
            rec.arg("headers", pairs_json(&headers));
            if !caller.data().in_http() {
                no_stream(caller, "proxy_send_local_response");
                return Ok(OK);
            }
            let state = caller.data_mut();
            let callback = state.callback;
            if state.signals.local_reply.is_none() {
                state.signals.local_reply = Some(LocalReply {
                    status: status_code,
                    body,
                    headers,
                    callback,
                });
            }
            state.signals.stop_next_iteration = true;
            OK
        }
        HostFn::GetSharedData => {
            let key = read(caller, a.u32(0), a.u32(1))?;
            rec.arg("key", text(&key));
            let Some((value, cas)) = caller.data().shared_data.get(&key).cloned() else {
                return Ok(NOT_FOUND);
            };
            rec.returned = Some(json!({ "value": text(&value), "cas": cas }));
            give(caller, &value, a.u32(2), a.u32(3))?;
            write_u32(caller, a.u32(4), cas)?;
            OK
        }
        HostFn::SetSharedData => {
            let key = read(caller, a.u32(0), a.u32(1))?;
            let value = read(caller, a.u32(2), a.u32(3))?;
            let cas = a.u32(4);
            rec.arg("key", text(&key));
            rec.arg("value", text(&value));
            rec.arg("cas", cas);
            let state = caller.data_mut();
            if let Some((_, current)) = state.shared_data.get(&key)
                && cas != 0
                && cas != *current
            {
                return Ok(CAS_MISMATCH);
            }
            if !state.keep(key.len() + value.len()) {
                return Ok(INTERNAL_FAILURE);
            }
            let next = state.next_cas;
            state.next_cas = state.next_cas.wrapping_add(1).max(1);
            state.shared_data.insert(key, (value, next));
            OK
        }
        HostFn::RegisterSharedQueue => {
            let name = read(caller, a.u32(0), a.u32(1))?;
            rec.arg("name", text(&name));
            let state = caller.data_mut();
            // Queue-ready notifications go to the root context.
            let owner = ROOT_ID;
            let token = match state.queues.iter().position(|q| q.name == name) {
                Some(i) => {
                    state.queues[i].owner = owner;
                    i as u32 + 1
                }
                None => {
                    state.queues.push(Queue {
                        name,
                        owner,
                        items: VecDeque::new(),
                    });
                    state.queues.len() as u32
                }
            };
            rec.returned = Some(json!(token));
            write_u32(caller, a.u32(2), token)?;
            OK
        }
        HostFn::ResolveSharedQueue => {
            let vm_id = read(caller, a.u32(0), a.u32(1))?;
            let name = read(caller, a.u32(2), a.u32(3))?;
            rec.arg("vm_id", text(&vm_id));
            rec.arg("name", text(&name));
            // The mock runs one VM with the empty id.
            let found = (vm_id.is_empty())
                .then(|| caller.data().queues.iter().position(|q| q.name == name))
                .flatten();
            let Some(i) = found else {
                return Ok(NOT_FOUND);
            };
            let token = i as u32 + 1;
            rec.returned = Some(json!(token));
            write_u32(caller, a.u32(4), token)?;
            OK
        }
        HostFn::DequeueSharedQueue => {
            let token = a.u32(0);
            rec.arg("token", token);
            let state = caller.data_mut();
            let Some(queue) = token
                .checked_sub(1)
                .and_then(|i| state.queues.get_mut(i as usize))
            else {
                return Ok(NOT_FOUND);
            };
            let Some(item) = queue.items.pop_front() else {
                return Ok(EMPTY);
            };
            rec.returned = Some(text(&item));
            give(caller, &item, a.u32(1), a.u32(2))?;
            OK
        }
        HostFn::EnqueueSharedQueue => {
            let token = a.u32(0);
            let data = read(caller, a.u32(1), a.u32(2))?;
            rec.arg("token", token);
            rec.arg("data", text(&data));
            let state = caller.data_mut();
            if !state.keep(data.len()) {
                return Ok(INTERNAL_FAILURE);
            }
            let Some(queue) = token
                .checked_sub(1)
                .and_then(|i| state.queues.get_mut(i as usize))
            else {
                return Ok(NOT_FOUND);
            };
            queue.items.push_back(data);
            let ready = (queue.owner, token);
            // One notification per queue until it is delivered.
            if !state.signals.queue_ready.contains(&ready) {
                state.signals.queue_ready.push_back(ready);
            }
            OK
        }
        HostFn::GetHeaderMapValue => {
            let map = a.u32(0);
            rec.arg("map", abi::map_name(map));
            if map > 7 {
                return Ok(BAD_ARGUMENT);
            }
            let key = lowercase(&read(caller, a.u32(1), a.u32(2))?);
            rec.arg("key", text(&key));
            let state = caller.data();
            let Some(pairs) = state.map(map) else {
                return Ok(if state.log_phase {
                    NOT_FOUND
                } else {
                    BAD_ARGUMENT
                });
            };
            let value = match header_value(pairs, &key) {
                Some(v) => v,
                // 0.1.0 answers an absent header with an empty value.
                None if state.abi.is_0_1() => Vec::new(),
                None => return Ok(NOT_FOUND),
            };
            rec.returned = Some(text(&value));
            give(caller, &value, a.u32(3), a.u32(4))?;
            OK
        }
        HostFn::AddHeaderMapValue | HostFn::ReplaceHeaderMapValue => {
            let map = a.u32(0);
            rec.arg("map", abi::map_name(map));
            if map > 7 {
                return Ok(BAD_ARGUMENT);
            }
            let key = lowercase(&read(caller, a.u32(1), a.u32(2))?);
            let value = read(caller, a.u32(3), a.u32(4))?;
            rec.arg("key", text(&key));
            rec.arg("value", text(&value));
            let state = caller.data_mut();
            if state.map_mut(map).is_some() && !state.keep(key.len() + value.len()) {
                return Ok(INTERNAL_FAILURE);
            }
            let Some(pairs) = state.map_mut(map) else {
                return Ok(BAD_ARGUMENT);
            };
            if f == HostFn::AddHeaderMapValue {
                pairs.push((key, value));
            } else {
                // `setCopy`: the first occurrence takes the value, the rest go.
                match pairs.iter().position(|(k, _)| *k == key) {
                    Some(first) => {
                        pairs[first].1 = value;
                        let mut index = 0;
                        pairs.retain(|(k, _)| {
                            let keep = index <= first || *k != key;
                            index += 1;
                            keep
                        });
                    }
                    None => pairs.push((key, value)),
                }
            }
            OK
        }
        HostFn::RemoveHeaderMapValue => {
            let map = a.u32(0);
            rec.arg("map", abi::map_name(map));
            if map > 7 {
                return Ok(BAD_ARGUMENT);
            }
            let key = lowercase(&read(caller, a.u32(1), a.u32(2))?);
            rec.arg("key", text(&key));
            let Some(pairs) = caller.data_mut().map_mut(map) else {
                return Ok(BAD_ARGUMENT);
            };
            pairs.retain(|(k, _)| *k != key);
            OK
        }
        HostFn::GetHeaderMapPairs => {
            let map = a.u32(0);
            rec.arg("map", abi::map_name(map));
            if map > 7 {
                return Ok(BAD_ARGUMENT);
            }
            // Envoy answers an unavailable map with no pairs, not an error.
            let pairs = caller.data().map(map).cloned().unwrap_or_default();
            rec.returned = Some(pairs_json(&pairs));
            let bytes = if pairs.is_empty() {
                Vec::new()
            } else {
                serialize_pairs(&pairs)
            };
            give(caller, &bytes, a.u32(1), a.u32(2))?;
            OK
        }
        HostFn::SetHeaderMapPairs => {
            let map = a.u32(0);
            rec.arg("map", abi::map_name(map));
            if map > 7 {
                return Ok(BAD_ARGUMENT);
            }
            let raw = read(caller, a.u32(1), a.u32(2))?;
            let pairs = pairs_or_empty(caller, &raw, "proxy_set_header_map_pairs");
            rec.arg("pairs", pairs_json(&pairs));
            let state = caller.data_mut();
            if state.map_mut(map).is_some() && !state.keep(raw.len()) {
                return Ok(INTERNAL_FAILURE);
            }
            let Some(target) = state.map_mut(map) else {
                return Ok(BAD_ARGUMENT);
            };
            *target = pairs.into_iter().map(|(k, v)| (lowercase(&k), v)).collect();
            OK
        }
        HostFn::GetHeaderMapSize => {
            let map = a.u32(0);
            rec.arg("map", abi::map_name(map));
            if map > 7 {
                return Ok(BAD_ARGUMENT);
            }
            // Envoy answers the map's size in bytes (`byteSize`), not its
            // number of entries.
            let Some(pairs) = caller.data_mut().map_mut(map) else {
                return Ok(BAD_ARGUMENT);
            };
            let size: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
            rec.returned = Some(json!(size));
            write_u32(caller, a.u32(1), size as u32)?;
            OK
        }
        HostFn::GetBufferStatus => {
            let buffer = a.u32(0);
            rec.arg("buffer", abi::buffer_name(buffer));
            if buffer > 8 {
                return Ok(BAD_ARGUMENT);
            }
            let len = match caller.data().buffer(buffer) {
                Buffer::Absent => return Ok(NOT_FOUND),
                Buffer::Null => 0,
                Buffer::Const(b) | Buffer::Mutable(b) => b.len(),
            };
            rec.returned = Some(json!(len));
            write_u32(caller, a.u32(1), len as u32)?;
            write_u32(caller, a.u32(2), 0)?;
            OK
        }
        HostFn::GetBufferBytes => {
            let buffer = a.u32(0);
            let start = a.u32(1) as usize;
            let length = a.u32(2) as usize;
            rec.arg("buffer", abi::buffer_name(buffer));
            rec.arg("start", start);
            rec.arg("max_size", length);
            if buffer > 8 {
                return Ok(BAD_ARGUMENT);
            }
            let bytes = match caller.data().buffer(buffer) {
                Buffer::Absent => return Ok(NOT_FOUND),
                Buffer::Null => Vec::new(),
                Buffer::Const(b) | Buffer::Mutable(b) => {
                    let end = start.saturating_add(length).min(b.len());
                    b.get(start..end).map(<[u8]>::to_vec).unwrap_or_default()
                }
            };
            rec.returned = Some(text(&bytes));
            // Nothing to hand over: the host leaves the out-pointers alone.
            if !bytes.is_empty() {
                give(caller, &bytes, a.u32(3), a.u32(4))?;
            }
            OK
        }
        HostFn::SetBufferBytes => {
            let buffer = a.u32(0);
            let start = a.u32(1) as usize;
            let length = a.u32(2) as usize;
            rec.arg("buffer", abi::buffer_name(buffer));
            rec.arg("start", start);
            rec.arg("size", length);
            if buffer > 8 {
                return Ok(BAD_ARGUMENT);
            }
            let data = read(caller, a.u32(3), a.u32(4))?;
            rec.arg("data", text(&data));
            let state = caller.data_mut();
            match state.buffer(buffer) {
                Buffer::Absent | Buffer::Null => return Ok(NOT_FOUND),
                Buffer::Const(_) => return Ok(BAD_ARGUMENT),
                Buffer::Mutable(_) => {}
            }
            if !state.keep(data.len()) {
                return Ok(INTERNAL_FAILURE);
            }
            let Some(body) = state.buffer_mut(buffer) else {
                return Ok(NOT_FOUND);
            };
            // Envoy's `Buffer::copyFrom`: at 0, drain `length` and prepend;
            // at or past the end, append; anything else is refused.
            if start == 0 {
                body.drain(..length.min(body.len()));
                body.splice(0..0, data);
            } else if start >= body.len() {
                body.extend_from_slice(&data);
            } else {
                return Ok(BAD_ARGUMENT);
            }
            OK
        }
        HostFn::HttpCall => {
            let upstream = read(caller, a.u32(0), a.u32(1))?;
            let raw_headers = read(caller, a.u32(2), a.u32(3))?;
            let body = read(caller, a.u32(4), a.u32(5))?;
            let raw_trailers = read(caller, a.u32(6), a.u32(7))?;
            let timeout = a.u32(8);
            let headers = pairs_or_empty(caller, &raw_headers, "proxy_http_call");
            let trailers = pairs_or_empty(caller, &raw_trailers, "proxy_http_call");
            rec.arg("upstream", text(&upstream));
            rec.arg("headers", pairs_json(&headers));
            rec.arg("body", text(&body));
            rec.arg("trailers", pairs_json(&trailers));
            rec.arg("timeout_ms", timeout);
            // The host writes the token slot first to check it.
            write_u32(caller, a.u32(9), 0)?;
            let has = |name: &[u8]| headers.iter().any(|(k, _)| lowercase(k) == name);
            if i32::try_from(timeout).is_err() || upstream.is_empty() {
                return Ok(BAD_ARGUMENT);
            }
            if !(has(b":method") && has(b":path") && has(b":authority")) {
                let state = caller.data_mut();
                let d = Diagnostic::warning(
                    codes::HOST_CALL,
                    format!("`{}` made an HTTP callout without `:method`, `:path` and `:authority`", state.callback),
                )
                .with_note("Envoy refuses such a callout with BadArgument (2)")
                .with_help("set the `:method`, `:path` and `:authority` headers of every `proxy_http_call`");
                state.host_diagnostic("callout-headers".into(), d);
                return Ok(BAD_ARGUMENT);
            }
            let state = caller.data_mut();
            if state.signals.callouts.len() >= MAX_PENDING_CALLOUTS {
                let d = Diagnostic::error(
                    codes::HOST_CALL,
                    format!(
                        "`{}` started more than {MAX_PENDING_CALLOUTS} HTTP callouts at once",
                        state.callback
                    ),
                )
                .with_note("the mock host answered InternalFailure (10) to the rest")
                .with_help("look for a loop that calls `proxy_http_call` without end");
                state.host_diagnostic("callouts".into(), d);
                return Ok(INTERNAL_FAILURE);
            }
            let token = state.next_token;
            state.next_token = state.next_token.wrapping_add(1).max(1);
            let path = headers
                .iter()
                .find(|(k, _)| lowercase(k) == b":path")
                .map(|(_, v)| capped(v, MAX_TEXT))
                .unwrap_or_default();
            state.signals.callouts.push_back(Callout {
                token,
                upstream: capped(&upstream, MAX_TEXT),
                path,
            });
            rec.returned = Some(json!({ "token": token }));
            write_u32(caller, a.u32(9), token)?;
            OK
        }
        HostFn::GrpcCall
        | HostFn::GrpcStream
        | HostFn::GrpcSend
        | HostFn::GrpcCancel
        | HostFn::GrpcClose => {
            let name = match f {
                HostFn::GrpcCall => "proxy_grpc_call",
                HostFn::GrpcStream => "proxy_grpc_stream",
                HostFn::GrpcSend => "proxy_grpc_send",
                HostFn::GrpcCancel => "proxy_grpc_cancel",
                _ => "proxy_grpc_close",
            };
            unmodelled(
                caller,
                name,
                "gRPC callouts need a gRPC upstream",
                UNIMPLEMENTED,
            )
        }
        HostFn::SetTickPeriod => {
            let period = a.u32(0);
            rec.arg("period_ms", period);
            caller.data_mut().tick_period_ms = period;
            OK
        }
        HostFn::GetCurrentTime => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            rec.returned = Some(json!(now));
            write_u64(caller, a.u32(0), now)?;
            OK
        }
        HostFn::DefineMetric => {
            let kind = a.u32(0);
            let name = read(caller, a.u32(1), a.u32(2))?;
            rec.arg(
                "type",
                match kind {
                    0 => json!("counter"),
                    1 => json!("gauge"),
                    2 => json!("histogram"),
                    other => json!(other),
                },
            );
            rec.arg("name", text(&name));
            if kind > 2 {
                return Ok(BAD_ARGUMENT);
            }
            let state = caller.data_mut();
            if !state.keep(name.len() + 16) {
                return Ok(INTERNAL_FAILURE);
            }
            let index = match state
                .metrics
                .iter()
                .position(|m| m.name == name && m.kind == kind)
            {
                Some(i) => i,
                None => {
                    state.metrics.push(Metric {
                        kind,
                        name,
                        value: 0,
                    });
                    state.metrics.len() - 1
                }
            };
            // The low bits carry the type, as the host's ids do.
            let Some(id) = u32::try_from(index + 1)
                .ok()
                .and_then(|n| n.checked_mul(4))
                .map(|n| n | kind)
            else {
                return Ok(INTERNAL_FAILURE);
            };
            rec.returned = Some(json!(id));
            write_u32(caller, a.u32(3), id)?;
            OK
        }
        HostFn::IncrementMetric | HostFn::RecordMetric | HostFn::GetMetric => {
            let id = a.u32(0);
            rec.arg("metric_id", id);
            let state = caller.data_mut();
            let Some(metric) = (id >> 2)
                .checked_sub(1)
                .and_then(|i| state.metrics.get_mut(i as usize))
                .filter(|m| m.kind == id & 3)
            else {
                return Ok(NOT_FOUND);
            };
            match f {
                HostFn::IncrementMetric => {
                    let offset = a.i64(1);
                    rec.arg("offset", offset);
                    match metric.kind {
                        0 if offset >= 0 => metric.value = metric.value.wrapping_add(offset as u64),
                        1 => metric.value = (metric.value as i64).wrapping_add(offset) as u64,
                        _ => return Ok(BAD_ARGUMENT),
                    }
                    OK
                }
                HostFn::RecordMetric => {
                    let value = a.i64(1) as u64;
                    rec.arg("value", value);
                    match metric.kind {
                        0 => metric.value = metric.value.wrapping_add(value),
                        _ => metric.value = value,
                    }
                    OK
                }
                _ => {
                    if metric.kind == 2 {
                        return Ok(BAD_ARGUMENT);
                    }
                    let value = metric.value;
                    rec.returned = Some(json!(value));
                    write_u64(caller, a.u32(1), value)?;
                    OK
                }
            }
        }
        HostFn::SetEffectiveContext => {
            let id = a.u32(0);
            rec.arg("context_id", id);
            let state = caller.data_mut();
            if !state.alive.contains(&id) {
                return Ok(BAD_ARGUMENT);
            }
            state.effective = Some(id);
            OK
        }
        HostFn::Done => {
            let state = caller.data_mut();
            if !state.signals.root_pending_done {
                return Ok(NOT_FOUND);
            }
            state.signals.done_called = true;
            OK
        }
        HostFn::CallForeignFunction => {
            let name = read(caller, a.u32(0), a.u32(1))?;
            let arguments = read(caller, a.u32(2), a.u32(3))?;
            rec.arg("name", text(&name));
            rec.arg("arguments", text(&arguments));
            let name = capped(&name, MAX_TEXT);
            unmodelled(
                caller,
                &format!("proxy_call_foreign_function(\"{name}\")"),
                "foreign functions are host-specific; an unregistered name is NotFound in the host too",
                NOT_FOUND,
            )
        }
        HostFn::PthreadEqual => u32::from(a.u32(0) == a.u32(1)),
        HostFn::EmscriptenNotifyMemoryGrowth => 0,
        HostFn::GetConfiguration => {
            let state = caller.data();
            let config = if state.configuring {
                state.plugin_config.clone()
            } else {
                state.vm_config.clone()
            };
            rec.returned = Some(text(&config));
            give(caller, &config, a.u32(0), a.u32(1))?;
            OK
        }
        HostFn::ContinueRequest
        | HostFn::ContinueResponse
        | HostFn::ContinueStream
        | HostFn::CloseStream => {
            let (stream, name) = match f {
                HostFn::ContinueRequest => (0, "proxy_continue_request"),
                HostFn::ContinueResponse => (1, "proxy_continue_response"),
                HostFn::ContinueStream => (a.u32(0), "proxy_continue_stream"),
                _ => (a.u32(0), "proxy_close_stream"),
            };
            if matches!(f, HostFn::ContinueStream | HostFn::CloseStream) {
                rec.arg(
                    "stream",
                    match stream {
                        0 => json!("http-request"),
                        1 => json!("http-response"),
                        2 => json!("downstream"),
                        3 => json!("upstream"),
                        other => json!(other),
                    },
                );
            }
            if stream > 3 {
                return Ok(BAD_ARGUMENT);
            }
            if !caller.data().in_http() {
                no_stream(caller, name);
                return Ok(OK);
            }
            let state = caller.data_mut();
            match (f, stream) {
                (HostFn::CloseStream, 0 | 1) => state.signals.close = Some(state.callback),
                (_, 0) => state.signals.continue_request = true,
                (_, 1) => state.signals.continue_response = true,
                // An HTTP filter has no downstream or upstream stream.
                _ => return Ok(BAD_ARGUMENT),
            }
            OK
        }
        HostFn::ClearRouteCache => OK,
        HostFn::GetLogLevel => {
            // Envoy's default level for Wasm logs: info.
            write_u32(caller, a.u32(0), 2)?;
            rec.returned = Some(json!("info"));
            OK
        }
        HostFn::RedisInit | HostFn::RedisCall => {
            let name = if f == HostFn::RedisInit {
                "proxy_redis_init"
            } else {
                "proxy_redis_call"
            };
            unmodelled(
                caller,
                name,
                "Redis calls need a Redis upstream",
                UNIMPLEMENTED,
            )
        }
        HostFn::InjectEncodedData => {
            let data = read(caller, a.u32(0), a.u32(1))?;
            rec.arg("data", text(&data));
            rec.arg("end_of_stream", a.u32(2) != 0);
            OK
        }
        HostFn::SetUpstreamOverrideHost => {
            let host = read(caller, a.u32(0), a.u32(1))?;
            rec.arg("host", text(&host));
            OK
        }
        HostFn::GetUpstreamHosts => unmodelled(
            caller,
            "proxy_get_upstream_hosts",
            "upstream hosts come from the gateway's clusters",
            UNIMPLEMENTED,
        ),
        HostFn::FdWrite => {
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
            errno::SUCCESS
        }
        HostFn::FdRead => errno::NOSYS,
        // The host logs these and reports success.
        HostFn::FdSeek | HostFn::FdClose => errno::SUCCESS,
        HostFn::FdFdstatGet => {
            let fd = a.u32(0);
            rec.arg("fd", fd);
            if fd != 1 && fd != 2 {
                return Ok(errno::BADF);
            }
            // Filetype and flags zero, rights base FD_WRITE (64).
            let mut stat = [0u8; 24];
            stat[8] = 64;
            write(caller, a.u32(1), &stat)?;
            errno::SUCCESS
        }
        HostFn::EnvironGet | HostFn::ArgsGet => errno::SUCCESS,
        HostFn::EnvironSizesGet | HostFn::ArgsSizesGet => {
            write_u32(caller, a.u32(0), 0)?;
            write_u32(caller, a.u32(1), 0)?;
            errno::SUCCESS
        }
        HostFn::ClockTimeGet => {
            let clock = a.u32(0);
            rec.arg("clock", clock);
            let now = match clock {
                0 => SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64),
                1 => caller.data().started.elapsed().as_nanos() as u64,
                _ => return Ok(errno::NOTSUP),
            };
            write_u64(caller, a.u32(2), now)?;
            errno::SUCCESS
        }
        HostFn::RandomGet => {
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
            errno::SUCCESS
        }
        HostFn::ProcExit => {
            let code = a.u32(0) as i32;
            rec.arg("code", code);
            return Err(HostError::Fatal(wasmtime::Error::new(
                wasmtime_wasi::I32Exit(code),
            )));
        }
        HostFn::PathOpen => errno::NOENT,
        HostFn::FdPrestatGet => errno::BADF,
        HostFn::FdPrestatDirName => errno::NOSYS,
    })
}

/// A property path as the SDKs encode it: segments separated by NUL bytes
/// (the Rust SDK also ends it with one).
fn property_segments(path: &[u8]) -> Option<Vec<&str>> {
    let path = path.strip_suffix(b"\0").unwrap_or(path);
    path.split(|&b| b == 0)
        .map(|s| std::str::from_utf8(s).ok())
        .collect()
}

fn property_path_json(path: &[u8]) -> Value {
    let path = path.strip_suffix(b"\0").unwrap_or(path);
    Value::Array(path.split(|&b| b == 0).map(text).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip_and_refuse_overruns() {
        let pairs: HeaderMap = vec![
            (b":path".to_vec(), b"/".to_vec()),
            (b"x".to_vec(), Vec::new()),
        ];
        let bytes = serialize_pairs(&pairs);
        assert_eq!(parse_pairs(&bytes), Some(pairs));
        assert_eq!(parse_pairs(&[]), Some(Vec::new()));
        // A count that runs past the data.
        assert_eq!(parse_pairs(&[9, 0, 0, 0]), None);
        // Sizes that run past the data.
        let mut bad = bytes.clone();
        bad[4] = 200;
        assert_eq!(parse_pairs(&bad), None);
        assert_eq!(parse_pairs(&[0xff, 0xff, 0xff, 0xff, 1, 2]), None);
    }

    #[test]
    fn property_paths() {
        assert_eq!(
            property_segments(b"request\0path\0"),
            Some(vec!["request", "path"])
        );
        assert_eq!(property_segments(b"plugin_name"), Some(vec!["plugin_name"]));
        assert_eq!(property_segments(b"\xff"), None);
    }

    #[test]
    fn capped_text_says_how_long_it_was() {
        assert_eq!(capped(b"abc", 10), "abc");
        assert_eq!(capped(b"abcdef", 3), "abc… (6 bytes)");
    }
}
