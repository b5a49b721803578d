//! What a run recorded, by the kind of artifact it drove: the proxy-wasm
//! host model's report, each call of a component scenario with its result
//! and the mocked imports it reached, or an HTTP component's response with
//! its outgoing requests; and their JSON forms.

use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use wasmkit_core::{Diagnostic, ProxyKind};
use wasmkit_invoke::ImportCall;
use wasmkit_invoke::http::{HttpResponse, OutgoingOutcome, OutgoingRecord};
use wasmkit_invoke::proxy_wasm::ProxyWasmReport;

/// How a run drove its artifact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// A proxy-wasm plugin, as an HTTP filter, a network filter or a service.
    Proxy(ProxyKind),
    /// WAVE calls on one component instance.
    Calls,
    /// A request to a component's `wasi:http/incoming-handler`.
    HttpHandler,
}

impl RunKind {
    /// `http`, `network`, `service`, `calls` or `http-handler`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Proxy(kind) => kind.as_str(),
            RunKind::Calls => "calls",
            RunKind::HttpHandler => "http-handler",
        }
    }
}

impl Serialize for RunKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What a run recorded.
#[derive(Clone, Debug)]
pub enum RunRecord {
    /// The proxy-wasm host model's report.
    ProxyWasm(Box<ProxyWasmReport>),
    /// Calls on a component.
    Calls(CallsRecord),
    /// A request to an HTTP component.
    Http(HttpRecord),
}

impl RunRecord {
    /// The run's own diagnostics: traps, failed instantiation, calls that
    /// failed unexpectedly.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            RunRecord::ProxyWasm(r) => &r.diagnostics,
            RunRecord::Calls(r) => &r.diagnostics,
            RunRecord::Http(r) => &r.diagnostics,
        }
    }
}

/// The calls of a calls scenario, in order.
#[derive(Clone, Debug, Default)]
pub struct CallsRecord {
    /// Each call made (or not, after the instance failed).
    pub calls: Vec<CallRecord>,
    /// The handles dropped at the end (`<counter #1>`).
    pub dropped: Vec<String>,
    /// The guest's stdout and stderr, as far as kept.
    pub output: String,
    /// Errors nobody expected.
    pub diagnostics: Vec<Diagnostic>,
}

/// One call.
#[derive(Clone, Debug, Serialize)]
pub struct CallRecord {
    /// The call as written.
    pub call: String,
    /// Its results as WAVE, when it returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Its error's message, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether it ran (it does not after the instance failed).
    pub ran: bool,
    /// The mocked (and unprovided) imports it reached, in order.
    pub imports: Vec<ImportCall>,
}

/// A request to an HTTP component.
#[derive(Clone, Debug, Default)]
pub struct HttpRecord {
    /// The request line: `GET /items`.
    pub request: String,
    /// The response, if the handler sent one.
    pub response: Option<HttpResponse>,
    /// Its outgoing requests, in order.
    pub outgoing: Vec<OutgoingRecord>,
    /// The guest's stdout and stderr, as far as kept.
    pub output: String,
    /// Why the request failed (a trap, a timeout, no response).
    pub diagnostics: Vec<Diagnostic>,
}

/// An outgoing request as a scenario's record shows it:
/// `GET http://api.example.com/x -> 200`.
pub(crate) fn outgoing_line(record: &OutgoingRecord) -> String {
    let got = match &record.outcome {
        OutgoingOutcome::Denied => format!(
            "refused (HTTP-request-denied): no `[callouts.\"{}\"]`",
            record.authority
        ),
        OutgoingOutcome::Answered(status) => status.to_string(),
        OutgoingOutcome::Failed(f) => format!("fail = \"{}\"", f.as_str()),
        OutgoingOutcome::Network(Ok(status)) => format!("{status} from the network"),
        OutgoingOutcome::Network(Err(e)) => format!("failed on the network: {e}"),
        OutgoingOutcome::Pending => "never awaited".to_string(),
    };
    format!("{} -> {got}", record.target())
}

impl RunRecord {
    /// The fields a run's JSON object gets from its record.
    pub(crate) fn json_fields(&self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        match self {
            RunRecord::ProxyWasm(report) => {
                if let Ok(Value::Object(fields)) = serde_json::to_value(report) {
                    for (key, value) in fields {
                        let key = match key.as_str() {
                            // The host's own checks (ABI, allocator, start...),
                            // apart from the scenario's.
                            "checks" => "host_checks".to_string(),
                            "outcome" => "outcome_detail".to_string(),
                            _ => key,
                        };
                        map.insert(key, value);
                    }
                }
            }
            RunRecord::Calls(record) => {
                map.insert("calls".into(), json!(record.calls));
                map.insert("dropped".into(), json!(record.dropped));
                map.insert("output".into(), json!(record.output));
            }
            RunRecord::Http(record) => {
                map.insert("request".into(), json!(record.request));
                map.insert(
                    "response".into(),
                    record
                        .response
                        .as_ref()
                        .map_or(Value::Null, HttpResponse::to_json),
                );
                map.insert(
                    "outgoing".into(),
                    record
                        .outgoing
                        .iter()
                        .map(OutgoingRecord::to_json)
                        .collect(),
                );
                map.insert("output".into(), json!(record.output));
            }
        }
        map.insert(
            "diagnostics".into(),
            self.diagnostics().iter().map(Diagnostic::to_json).collect(),
        );
        map
    }
}
