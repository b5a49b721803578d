//! The mock host's driver: it starts the VM the way the C++ host does,
//! creates and configures the root context, sends one POST with a JSON body
//! through an HTTP context, and decides from the callbacks' return values —
//! with the chosen host's conversion of StopIteration — whether the request
//! completes, is answered locally, or stalls.

use wasmkit_core::{Diagnostic, codes};
use wasmkit_invoke::limits::{CallContext, Limits, guest_error};
use wasmkit_invoke::runtime::Runtime;
use wasmtime::{Instance, Linker, Module, Store, Val, WasmBacktrace};

use super::abi::{self, Abi, Host};
use super::checks::StartModel;
use super::host::{
    self, Callout, CalloutResponse, HTTP_ID, HeaderMap, HostState, LocalReply, ROOT_ID,
    RestrictedCall, Restriction, capped,
};
use super::report::{Check, HttpExchange, ProxyWasmReport, RequestOutcome};

/// The request the mock sends: a chat-completion POST, the kind of request
/// whose JSON body AI-gateway plugins wait for.
const AUTHORITY: &str = "api.example.com";
const PATH: &str = "/v1/chat/completions";
const REQUEST_BODY: &str =
    r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"stream":false}"#;
const RESPONSE_BODY: &str = r#"{"id":"chatcmpl-wasmkit","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}]}"#;
const CALLOUT_BODY: &str = r#"{"ok":true,"from":"wasmkit mock upstream"}"#;

/// Rounds of callout and queue answers after one callback, so that a plugin
/// calling out from every callout response cannot keep the mock busy.
const MAX_PUMP_ROUNDS: usize = 32;
/// Log lines quoted in a diagnostic.
const LOG_LINES_IN_NOTES: usize = 20;

/// What the driver needs to know about the module.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunInput<'a> {
    pub(crate) host: Host,
    pub(crate) abi: Abi,
    pub(crate) start: StartModel,
    pub(crate) allocator: &'static str,
    pub(crate) config: &'a [u8],
    pub(crate) vm_config: &'a [u8],
    pub(crate) limits: Limits,
}

/// Runs the module in the mock host, adding checks, diagnostics, the
/// outcome, the exchange and the recorded calls to `report`.
pub(crate) fn run(
    runtime: &Runtime,
    module: &Module,
    input: &RunInput<'_>,
    report: &mut ProxyWasmReport,
) {
    let mut limits = input.limits;
    // Fuel can only be set when the engine meters it.
    if !runtime.meters_fuel() {
        limits.fuel = None;
    }
    let engine = runtime.engine();
    let state = HostState::new(
        input.abi,
        input.allocator,
        input.config,
        input.vm_config,
        limits.max_memory,
    );
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limiter);
    if runtime.meters_fuel() && limits.fuel.is_none() {
        // Metering without a limit: a tank that never runs dry.
        let _ = store.set_fuel(u64::MAX);
    }
    let mut linker = Linker::new(engine);
    if let Err(e) = host::define(&mut linker, engine, input.host, input.abi) {
        report.diagnostics.push(Diagnostic::error(
            codes::INSTANTIATE_FAILED,
            format!("cannot set up the mock {} host: {e}", input.host),
        ));
        return;
    }
    store
        .data_mut()
        .begin("instantiation", 0, Restriction::None);
    let instance = match limits
        .arm(&mut store)
        .and_then(|()| linker.instantiate(&mut store, module))
    {
        Ok(instance) => instance,
        Err(e) => {
            // A start function that traps, or memory beyond the cap, is the
            // guest's failure; anything else (linking) is the module not
            // fitting the host.
            let d = if e.downcast_ref::<wasmtime::Trap>().is_some()
                || store.data().limiter.refused().is_some()
            {
                guest_error(
                    &e,
                    CallContext {
                        name: "start",
                        limits: &limits,
                    },
                    Some(&store.data().limiter),
                )
            } else {
                let mut d = Diagnostic::error(
                    codes::INSTANTIATE_FAILED,
                    format!(
                        "the module does not instantiate in the mock {} host",
                        input.host
                    ),
                );
                for cause in e.chain() {
                    d = d.with_note(cause.to_string());
                }
                d
            };
            report.diagnostics.push(d);
            report
                .checks
                .push(Check::new("start", false, "the module did not instantiate"));
            collect(store.into_data(), report);
            return;
        }
    };
    let mut run = Run {
        store,
        instance,
        limits,
        host: input.host,
        abi: input.abi,
        failed_at: None,
        answered: Vec::new(),
        report,
    };
    run.lifecycle(input.start, input.config.len(), input.vm_config.len());
    run.collect();
}

/// A callback failed; its diagnostic is already in the report and the VM is
/// failed: the host calls nothing more.
struct Failed;

struct Run<'r> {
    store: Store<HostState>,
    instance: Instance,
    limits: Limits,
    host: Host,
    abi: Abi,
    failed_at: Option<&'static str>,
    answered: Vec<Callout>,
    report: &'r mut ProxyWasmReport,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// What a headers callback's return value makes the host do.
enum HeadersVerdict {
    Continue,
    /// StopIteration, honoured: the body keeps flowing.
    StopIteration,
    /// ContinueAndEndStream: the rest of the stream is dropped.
    EndStream,
    /// Everything stops until the plugin resumes; `converted` when the
    /// plugin said StopIteration and the host turned it into this.
    StopAll {
        converted: bool,
    },
}

#[derive(Clone, Copy, Debug)]
enum Stall {
    Headers {
        direction: Direction,
        raw: u32,
        converted: bool,
        local_reply: bool,
    },
    Body {
        direction: Direction,
        raw: u32,
    },
}

impl Run<'_> {
    fn state(&mut self) -> &mut HostState {
        self.store.data_mut()
    }

    /// Calls an export if the module has it: `Ok(None)` when it does not
    /// (the host then skips it), the return value (0 for none) otherwise.
    fn call(
        &mut self,
        name: &'static str,
        context: u32,
        args: &[u32],
        restriction: Restriction,
    ) -> Result<Option<u32>, Failed> {
        if self.failed_at.is_some() {
            return Err(Failed);
        }
        let Some(func) = self.instance.get_func(&mut self.store, name) else {
            return Ok(None);
        };
        let ty = func.ty(&self.store);
        // The static checks refused other shapes; never call with a wrong one.
        if ty.params().len() != args.len() {
            return Ok(None);
        }
        let params: Vec<Val> = args.iter().map(|&a| Val::I32(a as i32)).collect();
        let mut results: Vec<Val> = ty.results().map(|_| Val::I32(0)).collect();
        self.state().begin(name, context, restriction);
        let outcome = self
            .limits
            .arm(&mut self.store)
            .and_then(|()| func.call(&mut self.store, &params, &mut results));
        self.state().restriction = Restriction::None;
        match outcome {
            Ok(()) => Ok(Some(match results.first() {
                Some(Val::I32(v)) => *v as u32,
                _ => 0,
            })),
            Err(e) => {
                self.fail(name, &e);
                Err(Failed)
            }
        }
    }

    fn fail(&mut self, name: &'static str, error: &wasmtime::Error) {
        self.failed_at = Some(name);
        let state = self.store.data();
        let mut d = match error.downcast_ref::<RestrictedCall>() {
            Some(restricted) => {
                let mut d = restricted_diagnostic(name, restricted, self.host);
                if let Some(bt) = error.downcast_ref::<WasmBacktrace>() {
                    // Only the frames: its display may start with a heading.
                    let text = bt.to_string();
                    let frames: Vec<&str> = text
                        .lines()
                        .filter(|l| !l.trim().is_empty() && !l.starts_with("error while executing"))
                        .collect();
                    if !frames.is_empty() {
                        d = d.with_note(format!("wasm backtrace:\n{}", frames.join("\n")));
                    }
                }
                d
            }
            None => guest_error(
                error,
                CallContext {
                    name,
                    limits: &self.limits,
                },
                Some(&state.limiter),
            ),
        };
        if error.downcast_ref::<wasmtime_wasi::I32Exit>().is_some() {
            d = d.with_note(
                "the plugin called `proc_exit` (a command's `main` returning, or `std::process::exit`); \
                 the host treats it as an error and the VM is unusable afterwards",
            );
        }
        if let Some(logs) = state.log_excerpt(LOG_LINES_IN_NOTES) {
            d = d.with_note(logs);
        }
        let starting = matches!(
            name,
            "_initialize" | "main" | "_start" | "proxy_on_vm_start" | "proxy_on_configure"
        ) || (name == "proxy_on_context_create" && !state.alive.contains(&HTTP_ID));
        let after_response = matches!(name, "proxy_on_log" | "proxy_on_done" | "proxy_on_delete");
        d = d.with_note(if starting {
            format!(
                "{} fails the plugin's VM: the filter configuration that loads it is rejected",
                self.host
            )
        } else if after_response {
            format!(
                "{} fails the plugin's VM: every later request is answered 503 \
                 (or passes unfiltered if the filter is set to fail open)",
                self.host
            )
        } else {
            format!(
                "{} fails the plugin's VM: this request and every later one are answered 503 \
                 (or pass unfiltered if the filter is set to fail open)",
                self.host
            )
        });
        if d.help.is_empty() {
            d = d.with_help(format!(
                "fix what fails in `{name}`: the backtrace shows where; a Rust panic's message is in the plugin's log"
            ));
        }
        self.report.diagnostics.push(d);
    }

    fn lifecycle(&mut self, start: StartModel, config_len: usize, vm_config_len: usize) {
        if !self.start(start) || !self.start_root(config_len, vm_config_len) {
            return;
        }
        let outcome = self.request();
        self.finish_stream(&outcome);
        let (passed, detail) = match &outcome {
            RequestOutcome::Completed => (
                true,
                "completed: the upstream's response reached the client".to_string(),
            ),
            RequestOutcome::LocalResponse { status, at, .. } => {
                (true, format!("answered locally with {status} by `{at}`"))
            }
            RequestOutcome::Stalled { at, .. } => (false, format!("stalled in `{at}`")),
            RequestOutcome::Reset { at } => (true, format!("reset by the plugin in `{at}`")),
            RequestOutcome::Failed { at } => (false, format!("the plugin failed in `{at}`")),
        };
        self.report
            .checks
            .push(Check::new("request", passed, detail));
        self.report.outcome = Some(outcome);
        self.shutdown_root();
    }

    /// `WasmBase::startVm`: `_initialize` then `main`, or `_start`, with
    /// host calls restricted.
    fn start(&mut self, model: StartModel) -> bool {
        let (outcome, detail) = match model {
            StartModel::Reactor { main } => {
                let outcome = self
                    .call("_initialize", 0, &[], Restriction::StartUp)
                    .and_then(|_| {
                        if main {
                            self.call("main", 0, &[0, 0], Restriction::StartUp)
                                .map(|_| ())
                        } else {
                            Ok(())
                        }
                    });
                (
                    outcome,
                    if main {
                        "`_initialize` and `main` ran"
                    } else {
                        "`_initialize` ran"
                    },
                )
            }
            StartModel::Command => (
                self.call("_start", 0, &[], Restriction::StartUp)
                    .map(|_| ()),
                "`_start` ran to its end",
            ),
            StartModel::Nothing => (Ok(()), "nothing to run"),
        };
        match outcome {
            Ok(()) => {
                self.report.checks.push(Check::new("start", true, detail));
                true
            }
            Err(Failed) => {
                let at = self.failed_at.unwrap_or("start-up");
                self.report
                    .checks
                    .push(Check::new("start", false, format!("`{at}` failed")));
                false
            }
        }
    }

    /// `ContextBase::onStart` and `onConfigure` for the root context, then
    /// the answers to its callouts and one tick.
    fn start_root(&mut self, config_len: usize, vm_config_len: usize) -> bool {
        self.state().alive.insert(ROOT_ID);
        // The host lends the plugin its configuration while it creates the
        // root context too (`temp_plugin_` in `onStart`).
        self.state().configuring = true;
        let created = self.call(
            "proxy_on_context_create",
            ROOT_ID,
            &[ROOT_ID, 0],
            Restriction::None,
        );
        self.state().configuring = false;
        let vm_start = created.and_then(|_| {
            self.call(
                "proxy_on_vm_start",
                ROOT_ID,
                &[ROOT_ID, vm_config_len as u32],
                Restriction::None,
            )
        });
        match vm_start {
            Err(Failed) => {
                self.report.checks.push(Check::new(
                    "vm-start",
                    false,
                    "the plugin failed while the VM started",
                ));
                return false;
            }
            Ok(Some(0)) => {
                let mut d = Diagnostic::error(
                    codes::VM_START_REJECTED,
                    "the plugin refused to start: `proxy_on_vm_start` returned false",
                )
                .with_note(format!(
                    "the VM configuration was {vm_config_len} byte(s); {} does not load a plugin whose VM refuses to start",
                    self.host
                ));
                if let Some(logs) = self.store.data().log_excerpt(LOG_LINES_IN_NOTES) {
                    d = d.with_note(logs);
                }
                self.report.diagnostics.push(d.with_help(
                    "give the plugin the VM configuration it expects (`vm_config`); its log says what it wanted",
                ));
                self.report.checks.push(Check::new(
                    "vm-start",
                    false,
                    "`proxy_on_vm_start` returned false",
                ));
                return false;
            }
            Ok(returned) => self.report.checks.push(Check::new(
                "vm-start",
                true,
                if returned.is_some() {
                    "`proxy_on_vm_start` returned true"
                } else {
                    "no `proxy_on_vm_start`"
                },
            )),
        }
        self.state().configuring = true;
        let configured = self.call(
            "proxy_on_configure",
            ROOT_ID,
            &[ROOT_ID, config_len as u32],
            Restriction::None,
        );
        self.state().configuring = false;
        match configured {
            Err(Failed) => {
                self.report.checks.push(Check::new(
                    "configure",
                    false,
                    "the plugin failed while reading its configuration",
                ));
                return false;
            }
            Ok(Some(0)) => {
                let mut d = Diagnostic::error(
                    codes::CONFIGURE_REJECTED,
                    "the plugin rejected its configuration: `proxy_on_configure` returned false",
                )
                .with_note(if config_len == 0 {
                    "it was given no configuration (0 bytes)".to_string()
                } else {
                    format!("it was given {config_len} byte(s) of configuration")
                })
                .with_note(format!(
                    "{} does not load a filter whose plugin rejects its configuration",
                    self.host
                ));
                if let Some(logs) = self.store.data().log_excerpt(LOG_LINES_IN_NOTES) {
                    d = d.with_note(logs);
                }
                self.report.diagnostics.push(d.with_help(
                    "give the plugin the configuration it expects (`VERIFY_CONFIG` or `--config FILE`); its log says what it wanted",
                ));
                self.report.checks.push(Check::new(
                    "configure",
                    false,
                    "`proxy_on_configure` returned false",
                ));
                return false;
            }
            Ok(returned) => self.report.checks.push(Check::new(
                "configure",
                true,
                match returned {
                    Some(_) => format!(
                        "`proxy_on_configure` accepted {config_len} byte(s) of configuration"
                    ),
                    None => "no `proxy_on_configure`".to_string(),
                },
            )),
        }
        if self.pump().is_err() {
            return false;
        }
        // A plugin that set a tick period is ticked soon after start; one
        // tick shows what its timer does.
        if self.store.data().tick_period_ms > 0
            && (self
                .call("proxy_on_tick", ROOT_ID, &[ROOT_ID], Restriction::None)
                .is_err()
                || self.pump().is_err())
        {
            return false;
        }
        true
    }

    /// Answers callouts and queue notifications made so far, after the
    /// callback that made them returned (as an upstream that answers at
    /// once would).
    fn pump(&mut self) -> Result<(), Failed> {
        for _ in 0..MAX_PUMP_ROUNDS {
            let callout = self.state().signals.callouts.pop_front();
            if let Some(callout) = callout {
                let body = CALLOUT_BODY.as_bytes().to_vec();
                let headers: HeaderMap = vec![
                    (b":status".to_vec(), b"200".to_vec()),
                    (b"content-type".to_vec(), b"application/json".to_vec()),
                    (
                        b"content-length".to_vec(),
                        body.len().to_string().into_bytes(),
                    ),
                ];
                let args = [
                    ROOT_ID,
                    callout.token,
                    headers.len() as u32,
                    body.len() as u32,
                    0,
                ];
                self.state().callout_response = Some(CalloutResponse {
                    headers,
                    body,
                    trailers: Vec::new(),
                });
                self.answered.push(callout);
                // Responses go to the root context that made the call
                // (`http_call` always calls out from the root context).
                let outcome = self.call(
                    "proxy_on_http_call_response",
                    ROOT_ID,
                    &args,
                    Restriction::None,
                );
                self.state().callout_response = None;
                outcome?;
                continue;
            }
            let ready = self.state().signals.queue_ready.pop_front();
            if let Some((root, token)) = ready {
                self.call(
                    "proxy_on_queue_ready",
                    root,
                    &[root, token],
                    Restriction::None,
                )?;
                continue;
            }
            return Ok(());
        }
        let pending = self.state().signals.callouts.len();
        self.state().signals.callouts.clear();
        self.state().signals.queue_ready.clear();
        self.report.diagnostics.push(
            Diagnostic::warning(
                codes::HOST_CALL,
                format!(
                    "the plugin kept calling out from its callout responses; the mock stopped answering after {MAX_PUMP_ROUNDS} rounds ({pending} left)"
                ),
            )
            .with_help("make sure a callout response does not always start another callout"),
        );
        Ok(())
    }

    fn headers_verdict(&self, raw: u32, stop_next: bool) -> HeadersVerdict {
        // A local response, or a value beyond the enum, stops everything
        // (`convertVmCallResultToFilterHeadersStatus`).
        if stop_next || raw > 4 {
            return HeadersVerdict::StopAll { converted: false };
        }
        match raw {
            0 => HeadersVerdict::Continue,
            1 if self.host.honours_headers_stop_iteration(self.abi) => {
                HeadersVerdict::StopIteration
            }
            1 => HeadersVerdict::StopAll { converted: true },
            2 => HeadersVerdict::EndStream,
            _ => HeadersVerdict::StopAll { converted: false },
        }
    }

    fn clear_resume(&mut self) {
        let signals = &mut self.state().signals;
        signals.continue_request = false;
        signals.continue_response = false;
        signals.ignored_resume = None;
    }

    fn take_resume(&mut self, direction: Direction) -> bool {
        let signals = &mut self.state().signals;
        match direction {
            Direction::Request => std::mem::take(&mut signals.continue_request),
            Direction::Response => std::mem::take(&mut signals.continue_response),
        }
    }

    fn failed_outcome(&self) -> RequestOutcome {
        RequestOutcome::Failed {
            at: self.failed_at.unwrap_or("a callback").to_string(),
        }
    }

    /// Runs a stream callback and what the host does right after it:
    /// answering callouts. `None` when the VM failed.
    fn stream_callback(&mut self, name: &'static str, args: &[u32]) -> Option<(u32, bool)> {
        self.clear_resume();
        let raw = self
            .call(name, HTTP_ID, args, Restriction::None)
            .ok()?
            .unwrap_or(0);
        let stop_next = self.store.data().signals.stop_next_iteration;
        self.pump().ok()?;
        Some((raw, stop_next))
    }

    fn request(&mut self) -> RequestOutcome {
        self.state().alive.insert(HTTP_ID);
        if self
            .call(
                "proxy_on_context_create",
                HTTP_ID,
                &[HTTP_ID, ROOT_ID],
                Restriction::None,
            )
            .is_err()
        {
            return self.failed_outcome();
        }
        let body = REQUEST_BODY.as_bytes().to_vec();
        let headers: HeaderMap = [
            (":authority", AUTHORITY.to_string()),
            (":path", PATH.to_string()),
            (":method", "POST".to_string()),
            (":scheme", "http".to_string()),
            ("content-type", "application/json".to_string()),
            ("content-length", body.len().to_string()),
            (
                "x-request-id",
                "4f6c2a7e-0c1d-4d7b-9a51-wasmkit00001".to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.into_bytes()))
        .collect();
        let count = headers.len() as u32;
        self.state().request_headers = Some(headers);
        let args: &[u32] = if self.abi.is_0_1() {
            &[HTTP_ID, count]
        } else {
            &[HTTP_ID, count, 0]
        };
        let Some((raw, stop_next)) = self.stream_callback("proxy_on_request_headers", args) else {
            return self.failed_outcome();
        };
        if let Some(end) = self.ended(Direction::Request) {
            return end;
        }
        let deliver_body = match self.headers_verdict(raw, stop_next) {
            HeadersVerdict::Continue | HeadersVerdict::StopIteration => true,
            HeadersVerdict::EndStream => false,
            HeadersVerdict::StopAll { converted } => {
                if !self.take_resume(Direction::Request) {
                    return self.stall(Stall::Headers {
                        direction: Direction::Request,
                        raw,
                        converted,
                        local_reply: false,
                    });
                }
                true
            }
        };
        if deliver_body {
            let len = body.len() as u32;
            self.state().request_body = Some(body);
            self.state().end_of_stream = true;
            let Some((raw, stop_next)) =
                self.stream_callback("proxy_on_request_body", &[HTTP_ID, len, 1])
            else {
                return self.failed_outcome();
            };
            self.state().end_of_stream = false;
            if let Some(end) = self.ended(Direction::Request) {
                return end;
            }
            if (raw != 0 || stop_next) && !self.take_resume(Direction::Request) {
                return self.stall(Stall::Body {
                    direction: Direction::Request,
                    raw,
                });
            }
        }
        self.response(None)
    }

    /// The response phase: the upstream's response, or the plugin's local
    /// response, which Envoy sends through the encoder filters, this one
    /// included (the response callbacks see it).
    fn response(&mut self, local: Option<LocalReply>) -> RequestOutcome {
        let (headers, body) = match &local {
            None => {
                let body = RESPONSE_BODY.as_bytes().to_vec();
                let headers: HeaderMap = vec![
                    (b":status".to_vec(), b"200".to_vec()),
                    (b"content-type".to_vec(), b"application/json".to_vec()),
                    (
                        b"content-length".to_vec(),
                        body.len().to_string().into_bytes(),
                    ),
                ];
                (headers, body)
            }
            Some(reply) => (local_reply_headers(reply), reply.body.clone()),
        };
        let count = headers.len() as u32;
        let end_of_stream = body.is_empty();
        self.state().response_headers = Some(headers);
        let args: &[u32] = if self.abi.is_0_1() {
            &[HTTP_ID, count]
        } else {
            &[HTTP_ID, count, u32::from(end_of_stream)]
        };
        let Some((raw, stop_next)) = self.stream_callback("proxy_on_response_headers", args) else {
            return self.failed_outcome();
        };
        if let Some(end) = self.ended(Direction::Response) {
            return end;
        }
        let deliver_body = match self.headers_verdict(raw, stop_next) {
            HeadersVerdict::Continue | HeadersVerdict::StopIteration => !end_of_stream,
            HeadersVerdict::EndStream => false,
            HeadersVerdict::StopAll { converted } => {
                if !self.take_resume(Direction::Response) {
                    return self.stall(Stall::Headers {
                        direction: Direction::Response,
                        raw,
                        converted,
                        local_reply: local.is_some(),
                    });
                }
                !end_of_stream
            }
        };
        if deliver_body {
            let len = body.len() as u32;
            self.state().response_body = Some(body);
            self.state().end_of_stream = true;
            let Some((raw, stop_next)) =
                self.stream_callback("proxy_on_response_body", &[HTTP_ID, len, 1])
            else {
                return self.failed_outcome();
            };
            self.state().end_of_stream = false;
            if let Some(end) = self.ended(Direction::Response) {
                return end;
            }
            if (raw != 0 || stop_next) && !self.take_resume(Direction::Response) {
                return self.stall(Stall::Body {
                    direction: Direction::Response,
                    raw,
                });
            }
        }
        match local {
            None => RequestOutcome::Completed,
            Some(reply) => RequestOutcome::LocalResponse {
                status: reply.status,
                body: capped(&reply.body, 4096),
                at: reply.callback.to_string(),
            },
        }
    }

    /// A reset or a local response asked for by the callback that just ran
    /// (or by a callout response after it).
    fn ended(&mut self, direction: Direction) -> Option<RequestOutcome> {
        if let Some(at) = self.state().signals.close.take() {
            return Some(RequestOutcome::Reset { at: at.to_string() });
        }
        let reply = self.state().signals.local_reply.take()?;
        Some(match direction {
            Direction::Request => self.response(Some(reply)),
            // The response has started: Envoy replies directly, without
            // running the filters again.
            Direction::Response => {
                let headers = local_reply_headers(&reply);
                let state = self.state();
                state.response_headers = Some(headers);
                state.response_body = Some(reply.body.clone());
                RequestOutcome::LocalResponse {
                    status: reply.status,
                    body: capped(&reply.body, 4096),
                    at: reply.callback.to_string(),
                }
            }
        })
    }

    fn stall(&mut self, stall: Stall) -> RequestOutcome {
        let host = self.host;
        let abi = self.abi.version();
        let from_local_reply = matches!(
            stall,
            Stall::Headers {
                local_reply: true,
                ..
            }
        );
        let (direction, callback, reason, message, helps) = match stall {
            Stall::Headers {
                direction,
                raw,
                converted,
                local_reply: _,
            } => {
                let word = direction.word();
                let callback = if direction == Direction::Request {
                    "proxy_on_request_headers"
                } else {
                    "proxy_on_response_headers"
                };
                let body_callback = if direction == Direction::Request {
                    "the body callback"
                } else {
                    "the response-body callback"
                };
                let hangs = hangs(direction);
                let mut helps = Vec::new();
                let reason = if converted {
                    match host {
                        Host::Higress => helps.push(
                            "build with the tag that marks the module 0.2.100 for Higress (EXTRA_TAGS=proxy_wasm_version_0_2_100), or do not stop in the headers callback"
                                .to_string(),
                        ),
                        Host::Envoy => {
                            helps.push(format!(
                                "do not stop in the headers callback to wait for the body: return Continue there and do the work in `proxy_on_{word}_body`, returning StopIterationAndBuffer until `end_of_stream`"
                            ));
                            helps.push(
                                "Envoy 1.35 and later can be configured to honour StopIteration from the headers callbacks (`allow_on_headers_stop_iteration`)"
                                    .to_string(),
                            );
                        }
                    }
                    format!(
                        "the {word}-headers callback returned StopIteration with a body still to come; this host ({host}), for ABI {abi} modules, turns that into stop-all-iteration, so {body_callback} is never called and {hangs}"
                    )
                } else {
                    helps.push(format!(
                        "resume the {word} with `{}` when the plugin is done with it (from a callout response, after `proxy_set_effective_context`), or return Continue",
                        resume_call(self.abi, direction)
                    ));
                    format!(
                        "the {word}-headers callback returned {} ({raw}); the host stops all iteration until the plugin resumes the {word}, and nothing did, so {body_callback} is never called and {hangs}",
                        abi::headers_action_name(raw)
                    )
                };
                let message = format!(
                    "the {word} never completes: `{callback}` returned {} and nothing resumed it",
                    abi::headers_action_name(raw)
                );
                (direction, callback, reason, message, helps)
            }
            Stall::Body { direction, raw } => {
                let word = direction.word();
                let callback = if direction == Direction::Request {
                    "proxy_on_request_body"
                } else {
                    "proxy_on_response_body"
                };
                let reason = format!(
                    "the {word}-body callback returned {} ({raw}) at the end of the body; with no more body to come, only the plugin can resume the {word}, and nothing did, so {}",
                    abi::data_action_name(raw),
                    hangs(direction)
                );
                let message = format!(
                    "the {word} never completes: `{callback}` stopped it at the end of the body and nothing resumed it"
                );
                let helps = vec![format!(
                    "return Continue from `{callback}` when `end_of_stream` is set (pause only while more body is coming), or resume the {word} with `{}` where the work finishes",
                    resume_call(self.abi, direction)
                )];
                (direction, callback, reason, message, helps)
            }
        };
        let mut d = Diagnostic::error(codes::REQUEST_STALLED, message).with_note(reason.clone());
        if from_local_reply {
            d = d.with_note(
                "this was the plugin's own local response passing through its response callbacks",
            );
        }
        if !self.answered.is_empty() {
            let calls: Vec<String> = self
                .answered
                .iter()
                .map(|c| format!("token {} to `{}` {}", c.token, c.upstream, c.path))
                .collect();
            d = d.with_note(format!(
                "the mock answered the plugin's HTTP callout(s) ({}) with 200, and no callout response resumed the {}",
                calls.join("; "),
                direction.word()
            ));
        }
        if let Some((at, function)) = self.store.data().signals.ignored_resume.clone() {
            d = d.with_note(format!(
                "`{at}` called `{function}` from the root context, where it acts on no stream: call `proxy_set_effective_context` with the HTTP context first"
            ));
        }
        d = d.with_note(format!(
            "a real {host} holds the {} until a timeout resets the stream",
            direction.word()
        ));
        if let Some(logs) = self.store.data().log_excerpt(LOG_LINES_IN_NOTES) {
            d = d.with_note(logs);
        }
        // When the plugin waited on a callout, resuming is the fix; the
        // general advice applies to plugins that wait on the body.
        let ignored = self.store.data().signals.ignored_resume.clone();
        let resume = resume_call(self.abi, direction);
        let word = direction.word();
        let helps = if let Some((at, function)) = ignored {
            vec![format!(
                "in `{at}`, call `proxy_set_effective_context` with the HTTP context's id before `{function}`, so that it acts on the {word}"
            )]
        } else if self.answered.is_empty() {
            helps
        } else {
            vec![format!(
                "resume the {word} with `{resume}` from `proxy_on_http_call_response` once the callout has answered (after `proxy_set_effective_context` with the HTTP context's id)"
            )]
        };
        for help in helps {
            d = d.with_help(help);
        }
        self.report.diagnostics.push(d);
        RequestOutcome::Stalled {
            at: callback.to_string(),
            reason,
        }
    }

    /// The end of the stream: the access-log callback, then done and
    /// delete. A stalled stream ends this way too, when its timeout resets
    /// it.
    fn finish_stream(&mut self, outcome: &RequestOutcome) {
        if !matches!(outcome, RequestOutcome::Failed { .. }) {
            self.state().log_phase = true;
            let _ = self.call("proxy_on_log", HTTP_ID, &[HTTP_ID], Restriction::None);
            self.state().log_phase = false;
            let _ = self.call("proxy_on_done", HTTP_ID, &[HTTP_ID], Restriction::None);
            let _ = self.call("proxy_on_delete", HTTP_ID, &[HTTP_ID], Restriction::None);
        }
        self.state().alive.remove(&HTTP_ID);
        let state = self.store.data();
        let pairs = |map: &Option<HeaderMap>| -> Vec<(String, String)> {
            map.iter()
                .flatten()
                .map(|(k, v)| (capped(k, 1024), capped(v, 4096)))
                .collect()
        };
        let body = |b: &Option<Vec<u8>>| {
            b.as_deref()
                .map(|b| capped(b, 64 * 1024))
                .unwrap_or_default()
        };
        self.report.exchange = Some(HttpExchange {
            request_headers: pairs(&state.request_headers),
            request_body: body(&state.request_body),
            response_headers: pairs(&state.response_headers),
            response_body: body(&state.response_body),
        });
    }

    /// Shutting the VM down: `proxy_on_done` on the root context, then
    /// `proxy_on_delete` now or once the plugin calls `proxy_done`.
    fn shutdown_root(&mut self) {
        match self.call("proxy_on_done", ROOT_ID, &[ROOT_ID], Restriction::None) {
            Err(Failed) => {}
            Ok(Some(0)) => {
                self.state().signals.root_pending_done = true;
                if self.pump().is_ok() && self.store.data().signals.done_called {
                    let _ = self.call("proxy_on_delete", ROOT_ID, &[ROOT_ID], Restriction::None);
                }
            }
            Ok(_) => {
                let _ = self.call("proxy_on_delete", ROOT_ID, &[ROOT_ID], Restriction::None);
            }
        }
    }

    /// Moves what the host recorded into the report.
    fn collect(self) {
        let Run { store, report, .. } = self;
        collect(store.into_data(), report);
    }
}

/// Moves what the host recorded into the report, with its verdict on the
/// plugin's host calls.
fn collect(state: HostState, report: &mut ProxyWasmReport) {
    let bad = state.diagnostics.iter().filter(|d| d.is_error()).count();
    let total = state.calls.len() + state.calls_dropped;
    report.checks.push(Check::new(
        "host-calls",
        bad == 0,
        if bad == 0 {
            format!("{total} host call(s), none malformed")
        } else {
            format!("{total} host call(s), {bad} malformed (see the diagnostics)")
        },
    ));
    report.diagnostics.extend(state.diagnostics);
    report.host_calls = state.calls;
    report.host_calls_dropped = state.calls_dropped;
    report.logs = state.logs;
    report.logs_dropped = state.logs_dropped;
}

fn hangs(direction: Direction) -> &'static str {
    match direction {
        Direction::Request => "the request hangs",
        Direction::Response => "the response never reaches the client",
    }
}

fn resume_call(abi: Abi, direction: Direction) -> &'static str {
    match (abi.is_0_1(), direction) {
        (true, Direction::Request) => "proxy_continue_request()",
        (true, Direction::Response) => "proxy_continue_response()",
        (false, Direction::Request) => "proxy_continue_stream(0)",
        (false, Direction::Response) => "proxy_continue_stream(1)",
    }
}

/// The headers of Envoy's local reply: the status, a text content type for
/// a body, its length, then the plugin's headers (replacing same names).
fn local_reply_headers(reply: &LocalReply) -> HeaderMap {
    let mut headers: HeaderMap = vec![(b":status".to_vec(), reply.status.to_string().into_bytes())];
    if !reply.body.is_empty() {
        headers.push((
            b"content-length".to_vec(),
            reply.body.len().to_string().into_bytes(),
        ));
        headers.push((b"content-type".to_vec(), b"text/plain".to_vec()));
    }
    for (k, v) in &reply.headers {
        let key = k.to_ascii_lowercase();
        match headers.iter_mut().find(|(name, _)| *name == key) {
            Some(slot) => slot.1.clone_from(v),
            None => headers.push((key, v.clone())),
        }
    }
    headers
}

fn restricted_diagnostic(name: &str, call: &RestrictedCall, host: Host) -> Diagnostic {
    let function = &call.function;
    match call.during {
        Restriction::Allocating => Diagnostic::error(
            codes::HOST_CALL,
            format!(
                "the module's allocator called `{function}` while the host was allocating memory for `{name}`"
            ),
        )
        .with_note(format!(
            "while its allocator runs, {host} allows only `proxy_log`, `fd_write` and `clock_time_get`; anything else traps with `restricted_callback`"
        ))
        .with_help("keep the allocator to allocating: `proxy_on_memory_allocate` must not call the host"),
        _ => {
            let help = if function.ends_with("proc_exit") {
                "build the plugin as a reactor (`crate-type = [\"cdylib\"]`, or `-buildmode=c-shared` for Go): a command's `_start` ends by exiting"
            } else {
                "move the call into `proxy_on_vm_start` or `proxy_on_configure`, where the host allows it"
            };
            Diagnostic::error(
                codes::HOST_CALL,
                format!("`{name}` called `{function}` during start-up, which {host} forbids"),
            )
            .with_note(format!(
                "while it runs `_initialize`, `main` or `_start`, the host allows only `proxy_log` and the WASI calls for output, arguments, environment, preopens, clocks and randomness; anything else traps with `restricted_callback` (the host logs \"Function: {name} failed: Uncaught Error: restricted_callback\")"
            ))
            .with_help(help)
        }
    }
}
