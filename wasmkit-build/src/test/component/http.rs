//! The HTTP form of a component scenario: the `[request]` sent to the
//! component's `wasi:http/incoming-handler`, the answers of the upstreams
//! its outgoing requests reach (`[callouts.<authority>]`), and `[expect]`:
//! the status, headers and body the client gets, and the authorities
//! called, in order. An authority the scenario does not answer is refused
//! (`HTTP-request-denied`), as `invoke --http` refuses it.

use std::ops::Range;

use wasmkit_invoke::http::{HttpRequest, Scheme, UpstreamAnswer, UpstreamFailure, Upstreams};

use crate::test::scenario::answers::{ANSWER_KEYS, Answer, answer};
use crate::test::scenario::message::{HeaderPair, header_list, header_pairs};
use crate::test::scenario::toml::{Entry, Fields, Reader};
use crate::test::scenario::{Expectation, Expected, Side};

const REQUEST_KEYS: &[&str] = &["method", "path", "authority", "scheme", "headers", "body"];
const EXPECT_KEYS: &[&str] = &[
    "status",
    "response-headers",
    "response-headers-absent",
    "response-body",
    "callouts",
];

/// One request to an HTTP handler and what must come of it.
#[derive(Clone, Debug)]
pub struct HttpScenario {
    /// `[request]`: `GET /` to `localhost` over `http` by default, as
    /// `invoke --http` sends it.
    pub request: HttpRequest,
    /// `[callouts.<authority>]`.
    pub upstreams: Upstreams,
    /// `[expect]`, one entry per check, in the file's order.
    pub expect: Vec<Expectation>,
}

/// Reads `[request]`, `[callouts]` and `[expect]` from the top-level
/// `fields`.
pub(super) fn read(reader: &mut Reader, fields: &Fields<'_>) -> HttpScenario {
    let request = request(reader, fields.get("request"));
    let upstreams = fields
        .get("callouts")
        .map(|e| callouts(reader, &e))
        .unwrap_or_default();
    let expect = fields
        .get("expect")
        .map(|e| expect(reader, &e))
        .unwrap_or_default();
    HttpScenario {
        request,
        upstreams,
        expect,
    }
}

fn request(reader: &mut Reader, entry: Option<Entry<'_>>) -> HttpRequest {
    let mut request = HttpRequest::new("GET", "/");
    let Some(entry) = entry else {
        return request;
    };
    let Some(table) = reader.table(&entry) else {
        return request;
    };
    let fields = reader.fields(table, "request", REQUEST_KEYS);
    if let Some(e) = fields.get("method")
        && let Some(method) = reader.string(&e)
    {
        if method.is_empty() || !method.bytes().all(is_token_byte) {
            reader.invalid(
                e.span.clone(),
                format!("`{method}` is not an HTTP method"),
                "not a method",
                Some("a method is a word such as `GET`, `POST` or `PURGE`".to_string()),
            );
        }
        request.method = method;
    }
    if let Some(e) = fields.get("path")
        && let Some(path) = reader.string(&e)
    {
        if !path.starts_with('/') {
            reader.invalid(
                e.span.clone(),
                format!("the path `{path}` does not start with `/`"),
                "not a path",
                Some("write the path and query as a client sends them: `/items?id=3`".to_string()),
            );
        } else if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            reader.invalid(
                e.span.clone(),
                format!("the path `{path}` has spaces or control characters"),
                "not sendable",
                Some("percent-encode them: a space is `%20`".to_string()),
            );
        }
        request.path_with_query = path;
    }
    if let Some(e) = fields.get("authority")
        && let Some(authority) = reader.string(&e)
    {
        if !is_authority(&authority) {
            reader.invalid(
                e.span.clone(),
                format!("`{authority}` is not a host[:port]"),
                "not an authority",
                Some(
                    "write a host, optionally with a port: `example.com` or `localhost:8080`"
                        .to_string(),
                ),
            );
        }
        request.authority = authority;
    }
    if let Some(e) = fields.get("scheme")
        && let Some(scheme) = reader.string(&e)
    {
        match scheme.as_str() {
            "http" => request.scheme = Scheme::Http,
            "https" => request.scheme = Scheme::Https,
            other => reader.invalid(
                e.span.clone(),
                format!("unknown scheme `{other}`"),
                "not a scheme",
                Some("`scheme` is `http` or `https`".to_string()),
            ),
        }
    }
    if let Some(e) = fields.get("headers") {
        request.headers = header_list(reader, &e, &[]);
    }
    if let Some(e) = fields.get("body")
        && let Some(body) = reader.string(&e)
    {
        request.body = body.into_bytes();
    }
    request
}

/// A byte of an HTTP token (RFC 9110 `tchar`).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `host` or `host:port`, as an authority without user info.
fn is_authority(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => (h, Some(p)),
        _ => (s, None),
    };
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._[]:".contains(&b))
        && port.is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok())
}

/// Every `[callouts.<authority>]`.
fn callouts(reader: &mut Reader, entry: &Entry<'_>) -> Upstreams {
    let mut upstreams = Upstreams::new();
    let Some(table) = reader.table(entry) else {
        return upstreams;
    };
    let fields = reader.fields(table, "callouts", &[]);
    for authority in fields.all() {
        let Some(t) = reader.table(&authority) else {
            continue;
        };
        // `[callouts.api.example.com]` is three nested tables in TOML.
        if let Some((key, span, whole)) = nested_authority(authority.key, t) {
            reader.invalid(
                span,
                format!("`{}.{key}` is a table, not an answer", authority.path),
                "a dot in an unquoted key nests a table",
                Some(format!(
                    "quote an authority that has dots: `[callouts.\"{whole}\"]`"
                )),
            );
            continue;
        }
        if !is_authority(authority.key) {
            reader.invalid(
                authority.key_span.clone(),
                format!("`{}` is not a host[:port]", authority.key),
                "not an authority",
                Some(
                    "name the authority the handler sends to: `[callouts.\"api.example.com\"]`"
                        .to_string(),
                ),
            );
        }
        let f = reader.fields(t, authority.path, ANSWER_KEYS);
        let answer = answer(reader, &f, "request", &[]).map(|a| match a {
            Answer::Reset => UpstreamAnswer::Fail(UpstreamFailure::Reset),
            Answer::Timeout => UpstreamAnswer::Fail(UpstreamFailure::Timeout),
            Answer::Respond {
                status,
                headers,
                body,
            } => UpstreamAnswer::Respond {
                status,
                headers,
                body,
            },
        });
        if let Some(answer) = answer {
            upstreams.answer(authority.key, answer);
        }
    }
    upstreams
}

/// The first key under `table` that is a table and no answer's key (where
/// an unquoted dotted authority nests), its place, and the authority the
/// nesting spells.
fn nested_authority(
    first: &str,
    table: &dyn toml_edit::TableLike,
) -> Option<(String, Range<usize>, String)> {
    let is_nested =
        |(k, v): &(&str, &toml_edit::Item)| v.is_table_like() && !ANSWER_KEYS.contains(k);
    let (key, mut item) = table.iter().find(is_nested)?;
    let span = table
        .key(key)
        .and_then(toml_edit::Key::span)
        .unwrap_or(0..0);
    let mut whole = format!("{first}.{key}");
    while let Some((k, inner)) = item.as_table_like().and_then(|t| t.iter().find(is_nested)) {
        whole.push('.');
        whole.push_str(k);
        item = inner;
    }
    Some((key.to_string(), span, whole))
}

/// `[expect]`.
fn expect(reader: &mut Reader, entry: &Entry<'_>) -> Vec<Expectation> {
    let Some(table) = reader.table(entry) else {
        return Vec::new();
    };
    let fields = reader.fields(table, "expect", EXPECT_KEYS);
    let mut out = Vec::new();
    for e in fields.all() {
        let Some(key) = EXPECT_KEYS.iter().copied().find(|k| *k == e.key) else {
            continue;
        };
        let whole: Range<usize> = e.key_span.start..e.span.end;
        let mut push = |expected: Expected, span: Range<usize>| {
            out.push(Expectation {
                expected,
                key,
                span,
            });
        };
        match key {
            "status" => {
                if let Some(n) = reader.integer(&e, 100..1000) {
                    push(Expected::Status(u16::try_from(n).unwrap_or(0)), whole);
                }
            }
            "response-headers" => {
                for HeaderPair {
                    name, value, span, ..
                } in header_pairs(reader, &e)
                {
                    push(
                        Expected::Header {
                            side: Side::Client,
                            name,
                            value,
                        },
                        span,
                    );
                }
            }
            "response-headers-absent" => {
                for (name, span) in reader.strings(&e, true).unwrap_or_default() {
                    push(
                        Expected::HeaderAbsent {
                            side: Side::Client,
                            name,
                        },
                        span,
                    );
                }
            }
            "response-body" => {
                if let Some(body) = reader.string(&e) {
                    push(
                        Expected::Body {
                            side: Side::Client,
                            body,
                        },
                        whole,
                    );
                }
            }
            "callouts" => {
                if let Some(authorities) = reader.strings(&e, false) {
                    push(
                        Expected::Callouts(authorities.into_iter().map(|(a, _)| a).collect()),
                        whole,
                    );
                }
            }
            _ => {}
        }
    }
    out
}
