//! A component's `wasi:http/incoming-handler`, pre-instantiated once and
//! instantiated per request, as `wasmtime serve` does
//! (`ServeCommand::handle_request`): a fresh store, the request and the
//! response outparam as resources, `handle` called on the asynchronous
//! linker while the response body is read as the handler writes it.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use wasmkit_core::{Diagnostic, codes};
use wasmtime::Store;
use wasmtime::component::{Component, Linker};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme as WasiScheme};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use super::HttpState;
use super::request::HttpRequest;
use super::response::{CollectedResponse, HttpResponse, ResponseHead, ResponseSink};
use super::upstream::{OutboundHooks, OutgoingLog, OutgoingRecord, Upstreams};
use crate::component::{ComponentState, instantiate_error};
use crate::limits::{CallContext, Limits, guest_error};
use crate::profile;
use crate::runtime::Runtime;
use crate::sandbox::{OutputSink, SandboxOptions};
use crate::session::SessionOptions;

/// The export a handler is called through, as diagnostics name it.
pub const HANDLE: &str = "wasi:http/incoming-handler.handle";

/// How long past its time limit a request may run before it is dropped:
/// a guest still running wasm is stopped by the epoch deadline at the
/// limit, with a backtrace; this catches one waiting on the host.
const TIMEOUT_GRACE: Duration = Duration::from_secs(1);

type SentResponse = Result<http::Response<HyperOutgoingBody>, ErrorCode>;

/// A component ready to serve requests.
pub struct HttpHandler {
    pre: ProxyPre<ComponentState>,
    sandbox: SandboxOptions,
    limits: Limits,
    guest_output: OutputSink,
}

impl std::fmt::Debug for HttpHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpHandler").finish_non_exhaustive()
    }
}

/// What one request got, with the body sent to a [`ResponseSink`].
#[derive(Debug, Default)]
pub struct Exchange {
    /// The response head, if the handler set a response.
    pub head: Option<ResponseHead>,
    /// The handler's outgoing requests, in the order it made them.
    pub outgoing: Vec<OutgoingRecord>,
    /// Why the request failed (a trap, a timeout, no response), if it did;
    /// the head and part of the body may have been sent before.
    pub failure: Option<Diagnostic>,
    /// The sink stopped taking the body (its reader went away).
    pub reader_gone: bool,
}

/// What one request got, with the body collected.
#[derive(Debug, Default)]
pub struct HttpOutcome {
    /// The response, if the handler set one (its body as far as it came).
    pub response: Option<HttpResponse>,
    /// The handler's outgoing requests, in the order it made them.
    pub outgoing: Vec<OutgoingRecord>,
    /// Why the request failed, if it did.
    pub failure: Option<Diagnostic>,
}

impl HttpHandler {
    /// Prepares `component` (compiled by `runtime`) to serve requests in
    /// `options`' sandbox and limits; its own stdout and stderr go to
    /// `guest_output`. Fails when the component does not export
    /// `wasi:http/incoming-handler` or imports what the profile lacks.
    pub fn new(
        runtime: &Runtime,
        component: &Component,
        options: &SessionOptions,
        guest_output: OutputSink,
    ) -> Result<HttpHandler, Diagnostic> {
        let engine = runtime.engine();
        if !exports_handler(engine, component) {
            return Err(not_a_handler(component, engine));
        }
        let mut linker = Linker::new(engine);
        profile::add_to_linker_async(&mut linker)?;
        let instance_pre = linker
            .instantiate_pre(component)
            .map_err(|e| instantiate_error(&e))?;
        let pre = ProxyPre::new(instance_pre)
            .map_err(|e| not_a_handler(component, engine).with_note(format!("{e:#}")))?;
        Ok(HttpHandler {
            pre,
            sandbox: options.sandbox.clone(),
            limits: options.limits,
            guest_output,
        })
    }

    /// Sends `request` to a fresh instance, its outgoing requests answered
    /// by `upstreams`, and collects the response.
    pub fn handle(&self, request: &HttpRequest, upstreams: &Upstreams) -> HttpOutcome {
        let mut collected = CollectedResponse::default();
        let exchange = self.exchange(request, upstreams, &mut collected);
        HttpOutcome {
            response: collected.response,
            outgoing: exchange.outgoing,
            failure: exchange.failure,
        }
    }

    /// Sends `request` to a fresh instance, its outgoing requests answered
    /// by `upstreams`, and streams the response into `sink`. Blocks; call it
    /// from outside async code.
    pub fn exchange(
        &self,
        request: &HttpRequest,
        upstreams: &Upstreams,
        sink: &mut dyn ResponseSink,
    ) -> Exchange {
        let log = OutgoingLog::default();
        let mut exchange = Exchange::default();
        if let Err(d) = self.run(request, upstreams, &log, sink, &mut exchange) {
            exchange.failure = Some(d);
        }
        if exchange.reader_gone {
            // What the handler did once nobody was reading is nobody's concern.
            exchange.failure = None;
        }
        exchange.outgoing = log.records();
        exchange
    }

    fn store(
        &self,
        upstreams: &Upstreams,
        log: &OutgoingLog,
    ) -> Result<Store<ComponentState>, Diagnostic> {
        let mut wasi = self
            .sandbox
            .builder(&self.guest_output, Some(&self.guest_output))?;
        let hooks = OutboundHooks::new(Arc::new(upstreams.clone()), log.clone());
        let state = ComponentState::new(
            wasi.build(),
            self.limits.max_memory,
            HttpState::new(hooks),
            Vec::new(),
        );
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|s| &mut s.limiter);
        self.limits
            .arm(&mut store)
            .map_err(|e| Diagnostic::error(codes::INSTANTIATE_FAILED, e.to_string()))?;
        Ok(store)
    }

    fn run(
        &self,
        request: &HttpRequest,
        upstreams: &Upstreams,
        log: &OutgoingLog,
        sink: &mut dyn ResponseSink,
        exchange: &mut Exchange,
    ) -> Result<(), Diagnostic> {
        let (scheme, hyper_request) = request.to_hyper()?;
        let store = self.store(upstreams, log)?;
        let pre = self.pre.clone();
        let limits = self.limits;
        wasmtime_wasi::runtime::in_tokio(async move {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            // The guest runs as its own task, so that the body it writes is
            // read here while it writes (the stream holds one chunk).
            let guest = wasmtime_wasi::runtime::spawn(serve(
                pre,
                store,
                limits,
                scheme,
                hyper_request,
                sender,
            ));
            let drive = async {
                let body_error = match receiver.await {
                    Ok(Ok(response)) => stream(response, sink, exchange).await,
                    Ok(Err(code)) => {
                        Some(format!("the handler answered with the error `{code:?}`"))
                    }
                    Err(_) => None,
                };
                guest.await?;
                match (&exchange.head, body_error) {
                    (None, None) => Err(no_response()),
                    (None, Some(why)) => Err(Diagnostic::error(codes::NO_RESPONSE, why)),
                    (Some(_), Some(why)) => Err(Diagnostic::error(
                        codes::NO_RESPONSE,
                        format!("the response body ended with an error: {why}"),
                    )),
                    (Some(_), None) => Ok(()),
                }
            };
            match limits.timeout {
                None => drive.await,
                Some(limit) => tokio::time::timeout(limit + TIMEOUT_GRACE, drive)
                    .await
                    .unwrap_or_else(|_| Err(waited_too_long(limit))),
            }
        })
    }
}

/// Instantiates and calls `handle` in `store`, which is dropped at the end
/// (and with it the response outparam, if the guest never set it).
async fn serve(
    pre: ProxyPre<ComponentState>,
    mut store: Store<ComponentState>,
    limits: Limits,
    scheme: WasiScheme,
    request: http::Request<wasmtime_wasi_http::WasiBody>,
    sender: tokio::sync::oneshot::Sender<SentResponse>,
) -> Result<(), Diagnostic> {
    let failed = |store: &Store<ComponentState>, name: &str, e: &wasmtime::Error| {
        guest_error(
            e,
            CallContext {
                name,
                limits: &limits,
            },
            Some(&store.data().limiter),
        )
    };
    let proxy = match pre.instantiate_async(&mut store).await {
        Ok(proxy) => proxy,
        Err(e) => return Err(failed(&store, "instantiation", &e)),
    };
    let resources = {
        let mut http = store.data_mut().http();
        http.new_incoming_request(scheme, request)
            .and_then(|req| Ok((req, http.new_response_outparam(sender)?)))
    };
    let (req, out) = resources.map_err(|e| {
        Diagnostic::error(
            codes::INSTANTIATE_FAILED,
            format!("cannot pass the request to the handler: {e:#}"),
        )
    })?;
    proxy
        .wasi_http_incoming_handler()
        .call_handle(&mut store, req, out)
        .await
        .map_err(|e| failed(&store, HANDLE, &e))
}

/// Sends the head to `sink`, then the body as it comes. Returns why the
/// body ended early, if it did.
async fn stream(
    response: http::Response<HyperOutgoingBody>,
    sink: &mut dyn ResponseSink,
    exchange: &mut Exchange,
) -> Option<String> {
    let (parts, mut body) = response.into_parts();
    let head = ResponseHead::from_parts(&parts);
    sink.head(&head);
    exchange.head = Some(head);
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data()
                    && !sink.chunk(&data)
                {
                    exchange.reader_gone = true;
                    return None;
                }
            }
            Err(e) => return Some(e.to_string()),
        }
    }
    None
}

/// Whether the component exports `wasi:http/incoming-handler` (any 0.2.x).
fn exports_handler(engine: &wasmtime::Engine, component: &Component) -> bool {
    component
        .component_type()
        .exports(engine)
        .any(|(name, _)| name.starts_with("wasi:http/incoming-handler@0.2."))
}

fn not_a_handler(component: &Component, engine: &wasmtime::Engine) -> Diagnostic {
    let exports: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(name, _)| format!("`{name}`"))
        .collect();
    let d = Diagnostic::error(
        codes::NOT_AN_HTTP_HANDLER,
        "the component does not export `wasi:http/incoming-handler@0.2.x`, so it cannot take HTTP requests",
    );
    let d = if exports.is_empty() {
        d.with_note("it exports nothing")
    } else if exports.len() <= 4 {
        d.with_note(format!("it exports {}", exports.join(", ")))
    } else {
        d.with_note(format!(
            "it exports {} and {} more",
            exports[..3].join(", "),
            exports.len() - 3
        ))
    };
    d.with_help("call its functions with WAVE instead (see them with `--list`), or build it with `wasip2::http::proxy::export!`")
}

fn no_response() -> Diagnostic {
    Diagnostic::error(
        codes::NO_RESPONSE,
        format!("`{HANDLE}` returned without sending a response"),
    )
    .with_help("the handler must call `ResponseOutparam::set` before it returns")
}

fn waited_too_long(limit: Duration) -> Diagnostic {
    Diagnostic::error(
        codes::TIMEOUT,
        format!(
            "`{HANDLE}` timed out after {}",
            humantime::format_duration(limit)
        ),
    )
    .with_note("the handler was waiting on the host (an outgoing request or a stream) when its time limit expired")
    .with_help("if it just needs longer, raise the limit with `--timeout`")
}
