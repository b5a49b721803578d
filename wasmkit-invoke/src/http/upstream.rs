//! Outgoing requests from a handler: refused by default
//! (`HTTP-request-denied`), answered without any network by an
//! [`UpstreamAnswer`] for their authority, or let through to the network
//! for an allowed authority; each one recorded, in order.
//!
//! This is wasmtime-wasi-http's `WasiHttpHooks::send_request`, the hook
//! `wasmtime serve` leaves to `default_send_request`.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmkit_core::{Diagnostic, codes, display_path};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// The most bytes of an outgoing request body kept in its record.
const RECORDED_BODY_CAP: usize = 16 << 20;

/// How an upstream fails a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamFailure {
    /// The connection is reset: the guest gets `connection-terminated`.
    Reset,
    /// No answer in time: the guest gets `connection-read-timeout`, as from
    /// wasmtime when the first byte does not come (at once, without waiting).
    Timeout,
}

impl UpstreamFailure {
    /// `reset` or `timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamFailure::Reset => "reset",
            UpstreamFailure::Timeout => "timeout",
        }
    }
}

/// What the requests to one authority get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamAnswer {
    /// A response.
    Respond {
        /// Its status.
        status: u16,
        /// Its headers.
        headers: Vec<(String, String)>,
        /// Its body.
        body: Vec<u8>,
    },
    /// A failure.
    Fail(UpstreamFailure),
}

/// The answers per authority, and the authorities let through to the
/// network. Authorities compare as the guest writes them (host and port),
/// ignoring case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upstreams {
    answers: Vec<(String, UpstreamAnswer)>,
    allowed: Vec<String>,
}

/// What one outgoing request gets.
enum Route {
    Deny,
    Answer(UpstreamAnswer),
    Network,
}

impl Upstreams {
    /// No answers, nothing allowed: every outgoing request is refused.
    pub fn new() -> Upstreams {
        Upstreams::default()
    }

    /// Answers every request to `authority` with `answer` (replacing an
    /// earlier answer for it).
    pub fn answer(&mut self, authority: &str, answer: UpstreamAnswer) {
        self.answers
            .retain(|(a, _)| !a.eq_ignore_ascii_case(authority));
        self.answers.push((authority.to_string(), answer));
    }

    /// Lets requests to `authority` through to the network.
    pub fn allow(&mut self, authority: &str) {
        self.allowed.push(authority.to_string());
    }

    /// Whether an answer is set for `authority`.
    pub fn answers(&self, authority: &str) -> bool {
        self.answers
            .iter()
            .any(|(a, _)| a.eq_ignore_ascii_case(authority))
    }

    fn route(&self, authority: &str) -> Route {
        if let Some((_, answer)) = self
            .answers
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(authority))
        {
            Route::Answer(answer.clone())
        } else if self
            .allowed
            .iter()
            .any(|a| a.eq_ignore_ascii_case(authority))
        {
            Route::Network
        } else {
            Route::Deny
        }
    }
}

/// Reads `--upstream 'AUTHORITY=STATUS[:BODY]'`; a BODY of `@FILE` is the
/// file's bytes (relative to the current directory).
pub fn parse_upstream(spec: &str) -> Result<(String, UpstreamAnswer), Diagnostic> {
    let invalid = |why: String| {
        Diagnostic::error(
            codes::INVALID_OPTION,
            format!("invalid `--upstream '{spec}'`: {why}"),
        )
        .with_help("write `AUTHORITY=STATUS[:BODY]`, e.g. `api.example.com=200:{\"ok\":true}` or `api.example.com=404`; BODY `@FILE` reads a file")
    };
    let Some((authority, answer)) = spec.split_once('=') else {
        return Err(invalid("expected `AUTHORITY=STATUS[:BODY]`".to_string()));
    };
    let authority = authority.trim();
    if authority.is_empty()
        || authority
            .parse::<http::uri::Authority>()
            .map_or(true, |a| a.as_str() != authority)
    {
        return Err(invalid(format!("`{authority}` is not a host[:port]")));
    }
    let (status, body) = match answer.split_once(':') {
        Some((status, body)) => (status, Some(body)),
        None => (answer, None),
    };
    let status: u16 = status
        .trim()
        .parse()
        .ok()
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| invalid(format!("`{status}` is not an HTTP status (100 to 999)")))?;
    let body = match body {
        None => Vec::new(),
        Some(file) if file.starts_with('@') => {
            let path = Path::new(&file[1..]);
            std::fs::read(path).map_err(|e| {
                Diagnostic::read_failed(Path::new(&display_path(path)), &e)
                    .with_note(format!("the body of `--upstream '{spec}'`"))
            })?
        }
        Some(text) => text.as_bytes().to_vec(),
    };
    Ok((
        authority.to_string(),
        UpstreamAnswer::Respond {
            status,
            headers: Vec::new(),
            body,
        },
    ))
}

/// What happened to an outgoing request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutgoingOutcome {
    /// Refused: no answer and not allowed. The guest got `HTTP-request-denied`.
    Denied,
    /// Answered by the upstream answer with this status.
    Answered(u16),
    /// Failed by the upstream answer.
    Failed(UpstreamFailure),
    /// Sent to the network: its status, or why it failed.
    Network(Result<u16, String>),
    /// Still pending when the handler finished (it never waited for it).
    Pending,
}

/// One outgoing request, as the handler sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingRecord {
    /// The method.
    pub method: String,
    /// `http` or `https`.
    pub scheme: String,
    /// The authority the guest asked for.
    pub authority: String,
    /// The path and query.
    pub path_with_query: String,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (kept for answered requests only, up to 16 MiB).
    pub body: Vec<u8>,
    /// What it got.
    pub outcome: OutgoingOutcome,
}

impl OutgoingRecord {
    fn from_parts(parts: &http::request::Parts) -> OutgoingRecord {
        OutgoingRecord {
            method: parts.method.to_string(),
            scheme: parts.uri.scheme_str().unwrap_or("https").to_string(),
            authority: parts
                .uri
                .authority()
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
            path_with_query: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: Vec::new(),
            outcome: OutgoingOutcome::Pending,
        }
    }

    /// `GET http://api.example.com/items`.
    pub fn target(&self) -> String {
        format!(
            "{} {}://{}{}",
            self.method, self.scheme, self.authority, self.path_with_query
        )
    }

    /// One line for `-v`: the request and what it got.
    pub fn summary(&self) -> String {
        let got = match &self.outcome {
            OutgoingOutcome::Denied => "denied (HTTP-request-denied)".to_string(),
            OutgoingOutcome::Answered(status) => format!("{status} from --upstream"),
            OutgoingOutcome::Failed(f) => format!("{} from --upstream", f.as_str()),
            OutgoingOutcome::Network(Ok(status)) => format!("{status} from the network"),
            OutgoingOutcome::Network(Err(e)) => format!("failed on the network: {e}"),
            OutgoingOutcome::Pending => "never awaited".to_string(),
        };
        format!("outgoing {}: {got}", self.target())
    }

    /// For a refused request, the warning that says which authority was
    /// asked for and how to open it.
    pub fn denied_warning(&self) -> Option<Diagnostic> {
        if self.outcome != OutgoingOutcome::Denied {
            return None;
        }
        let authority = &self.authority;
        Some(
            Diagnostic::warning(
                codes::OUTBOUND_DENIED,
                format!("the handler's outgoing request to `{authority}` was refused"),
            )
            .with_note(format!(
                "{}: the handler got `HTTP-request-denied` (outgoing HTTP is off by default)",
                self.target()
            ))
            .with_help(format!(
                "answer it without network with `--upstream '{authority}=200:BODY'`, or let it through with `--allow-outbound {authority}`"
            )),
        )
    }

    /// The record as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let outcome = match &self.outcome {
            OutgoingOutcome::Denied => serde_json::json!({ "denied": true }),
            OutgoingOutcome::Answered(s) => serde_json::json!({ "status": s }),
            OutgoingOutcome::Failed(f) => serde_json::json!({ "fail": f.as_str() }),
            OutgoingOutcome::Network(Ok(s)) => serde_json::json!({ "network": true, "status": s }),
            OutgoingOutcome::Network(Err(e)) => {
                serde_json::json!({ "network": true, "error": e })
            }
            OutgoingOutcome::Pending => serde_json::json!({ "pending": true }),
        };
        serde_json::json!({
            "method": self.method,
            "scheme": self.scheme,
            "authority": self.authority,
            "path_with_query": self.path_with_query,
            "headers": self.headers.iter().map(|(n, v)| [n, v]).collect::<Vec<_>>(),
            "body": String::from_utf8_lossy(&self.body),
            "outcome": outcome,
        })
    }
}

/// The records of one request's outgoing requests, shared with the hook.
#[derive(Clone, Debug, Default)]
pub(crate) struct OutgoingLog(Arc<Mutex<Vec<OutgoingRecord>>>);

impl OutgoingLog {
    fn with<R>(&self, f: impl FnOnce(&mut Vec<OutgoingRecord>) -> R) -> R {
        f(&mut self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    fn push(&self, record: OutgoingRecord) -> usize {
        self.with(|records| {
            records.push(record);
            records.len() - 1
        })
    }

    fn update(&self, index: usize, f: impl FnOnce(&mut OutgoingRecord)) {
        self.with(|records| {
            if let Some(r) = records.get_mut(index) {
                f(r);
            }
        });
    }

    /// Every record so far.
    pub(crate) fn records(&self) -> Vec<OutgoingRecord> {
        self.with(|records| records.clone())
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

/// The hook: routes each outgoing request and records it.
#[derive(Clone, Debug, Default)]
pub(crate) struct OutboundHooks {
    upstreams: Arc<Upstreams>,
    log: OutgoingLog,
}

impl OutboundHooks {
    pub(crate) fn new(upstreams: Arc<Upstreams>, log: OutgoingLog) -> OutboundHooks {
        OutboundHooks { upstreams, log }
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> ResponseFuture {
        let (parts, body) = request.into_parts();
        let index = self.log.push(OutgoingRecord::from_parts(&parts));
        let route = self
            .upstreams
            .route(parts.uri.authority().map_or("", |a| a.as_str()));
        let log = self.log.clone();
        Box::new(async move {
            match route {
                Route::Deny => {
                    log.update(index, |r| r.outcome = OutgoingOutcome::Denied);
                    Err(Error::HttpRequestDenied)
                }
                Route::Answer(answer) => {
                    let body = collect_capped(body).await;
                    log.update(index, |r| r.body = body);
                    answer_with(&answer, &log, index)
                }
                Route::Network => {
                    let request = http::Request::from_parts(parts, body);
                    match wasmtime_wasi_http::default_send_request(request, options).await {
                        Ok((response, io)) => {
                            let status = response.status().as_u16();
                            log.update(index, |r| r.outcome = OutgoingOutcome::Network(Ok(status)));
                            Ok((
                                response.map(BodyExt::boxed_unsync),
                                Box::new(io) as Box<dyn Future<Output = _> + Send>,
                            ))
                        }
                        Err(e) => {
                            let text = e.to_string();
                            log.update(index, |r| r.outcome = OutgoingOutcome::Network(Err(text)));
                            Err(e)
                        }
                    }
                }
            }
        })
    }
}

#[expect(
    clippy::type_complexity,
    reason = "the hook's return type, fixed by wasmtime-wasi-http"
)]
fn answer_with(
    answer: &UpstreamAnswer,
    log: &OutgoingLog,
    index: usize,
) -> Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), Error>> + Send>,
    ),
    Error,
> {
    match answer {
        UpstreamAnswer::Respond {
            status,
            headers,
            body,
        } => {
            let mut builder = http::Response::builder().status(*status);
            for (name, value) in headers {
                builder = builder.header(name, value);
            }
            let body = Full::new(Bytes::from(body.clone()))
                .map_err(|never| match never {})
                .boxed_unsync();
            let response = builder
                .body(body)
                .map_err(|e| Error::InternalError(Some(e.to_string())))?;
            log.update(index, |r| r.outcome = OutgoingOutcome::Answered(*status));
            Ok((response, Box::new(async { Ok(()) })))
        }
        UpstreamAnswer::Fail(failure) => {
            log.update(index, |r| r.outcome = OutgoingOutcome::Failed(*failure));
            Err(match failure {
                UpstreamFailure::Reset => Error::ConnectionTerminated,
                UpstreamFailure::Timeout => Error::ConnectionReadTimeout,
            })
        }
    }
}

/// The body's bytes, up to [`RECORDED_BODY_CAP`]; the rest is read and
/// dropped, and a body that fails ends where it failed.
async fn collect_capped(mut body: WasiBody) -> Vec<u8> {
    let mut kept = Vec::new();
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            let room = RECORDED_BODY_CAP.saturating_sub(kept.len()).min(data.len());
            kept.extend_from_slice(&data[..room]);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_specs() {
        let (authority, answer) = parse_upstream("api.example.com:8080=201:a:b").unwrap();
        assert_eq!(authority, "api.example.com:8080");
        assert_eq!(
            answer,
            UpstreamAnswer::Respond {
                status: 201,
                headers: vec![],
                body: b"a:b".to_vec()
            }
        );
        let (_, answer) = parse_upstream("x=404").unwrap();
        assert!(
            matches!(answer, UpstreamAnswer::Respond { status: 404, ref body, .. } if body.is_empty())
        );
        for bad in [
            "x",
            "=200",
            "x=abc",
            "x=99",
            "x=1000",
            "a b=200",
            "x=200:@/no/such/file",
        ] {
            assert!(parse_upstream(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn routes_ignore_case_and_answers_win() {
        let mut u = Upstreams::new();
        u.answer(
            "API.example.com",
            UpstreamAnswer::Fail(UpstreamFailure::Reset),
        );
        u.allow("open.example.com");
        assert!(matches!(u.route("api.EXAMPLE.com"), Route::Answer(_)));
        assert!(matches!(u.route("open.example.com"), Route::Network));
        assert!(matches!(u.route("api.example.com:80"), Route::Deny));
        assert!(u.answers("api.example.com"));
    }
}
