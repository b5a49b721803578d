//! `[request]` and `[response]`: the HTTP messages a scenario sends
//! through the plugin, with their pseudo-headers, headers, body (whole or
//! in chunks) and trailers.

use std::ops::Range;

use wasmkit_invoke::proxy_wasm::HttpMessage;

use super::toml::{Entry, Fields, Reader};

const REQUEST_KEYS: &[&str] = &[
    "method",
    "path",
    "authority",
    "scheme",
    "headers",
    "body",
    "body-chunks",
    "trailers",
];
const RESPONSE_KEYS: &[&str] = &["status", "headers", "body", "body-chunks", "trailers"];

/// The request: `[request]`, or `GET /` to `example.com` when absent.
pub(super) fn request(reader: &mut Reader, entry: Option<Entry<'_>>) -> HttpMessage {
    let table = entry.and_then(|e| reader.table(&e));
    let fields = table.map(|t| reader.fields(t, "request", REQUEST_KEYS));
    let get = |reader: &mut Reader, key: &str, default: &str| -> String {
        fields
            .as_ref()
            .and_then(|f| f.get(key))
            .and_then(|e| reader.string(&e))
            .unwrap_or_else(|| default.to_string())
    };
    // Envoy's codecs put the pseudo-headers first.
    let mut headers = vec![
        (
            ":authority".to_string(),
            get(reader, "authority", "example.com"),
        ),
        (":path".to_string(), get(reader, "path", "/")),
        (":method".to_string(), get(reader, "method", "GET")),
        (":scheme".to_string(), get(reader, "scheme", "http")),
    ];
    rest(reader, fields.as_ref(), &mut headers, REQUEST_PSEUDO)
}

/// The upstream's response: `[response]`, or a bare 200 when absent.
pub(super) fn response(reader: &mut Reader, entry: Option<Entry<'_>>) -> HttpMessage {
    let table = entry.and_then(|e| reader.table(&e));
    let fields = table.map(|t| reader.fields(t, "response", RESPONSE_KEYS));
    let status = fields
        .as_ref()
        .and_then(|f| f.get("status"))
        .and_then(|e| reader.integer(&e, 100..1000))
        .unwrap_or(200);
    let mut headers = vec![(":status".to_string(), status.to_string())];
    rest(reader, fields.as_ref(), &mut headers, RESPONSE_PSEUDO)
}

/// Headers, body and trailers, after the pseudo-headers in `headers`. A
/// body gets a `content-length`, as a client or server sends one, unless
/// the headers already have it or `transfer-encoding`.
fn rest(
    reader: &mut Reader,
    fields: Option<&Fields<'_>>,
    headers: &mut Vec<(String, String)>,
    pseudo: &[&str],
) -> HttpMessage {
    let Some(fields) = fields else {
        return HttpMessage {
            headers: std::mem::take(headers),
            ..HttpMessage::default()
        };
    };
    if let Some(entry) = fields.get("headers") {
        headers.extend(header_list(reader, &entry, pseudo));
    }
    let body = body(reader, fields.get("body"), fields.get("body-chunks"));
    let trailers = fields
        .get("trailers")
        .map(|e| header_list(reader, &e, &[]))
        .unwrap_or_default();
    let length: usize = body.iter().map(Vec::len).sum();
    let framed = headers.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding")
    });
    if !body.is_empty() && !framed {
        headers.push(("content-length".to_string(), length.to_string()));
    }
    HttpMessage {
        headers: std::mem::take(headers),
        body,
        trailers,
    }
}

/// `body` (one chunk; empty is no body) or `body-chunks` (each a chunk,
/// empty ones included).
fn body(reader: &mut Reader, whole: Option<Entry<'_>>, chunks: Option<Entry<'_>>) -> Vec<Vec<u8>> {
    match (whole, chunks) {
        (Some(a), Some(b)) => {
            reader.conflict(
                &a,
                &b,
                "give the body whole (`body`) or in chunks (`body-chunks`), not both",
            );
            Vec::new()
        }
        (Some(entry), None) => match reader.string(&entry) {
            Some(text) if !text.is_empty() => vec![text.into_bytes()],
            _ => Vec::new(),
        },
        (None, Some(entry)) => reader
            .strings(&entry, false)
            .unwrap_or_default()
            .into_iter()
            .map(|(text, _)| text.into_bytes())
            .collect(),
        (None, None) => Vec::new(),
    }
}

/// The pseudo-headers of a request, each set by the key of the same name.
const REQUEST_PSEUDO: &[&str] = &["method", "path", "authority", "scheme"];
/// The pseudo-header of a response.
pub(super) const RESPONSE_PSEUDO: &[&str] = &["status"];

/// Headers or trailers: a table of names to values, or an array of
/// `[name, value]` pairs (for a name that repeats). Pseudo-headers are set
/// by keys of their own (`pseudo` names them; none for trailers).
pub(crate) fn header_list(
    reader: &mut Reader,
    entry: &Entry<'_>,
    pseudo: &[&str],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for HeaderPair {
        name,
        value,
        key_span: span,
        ..
    } in header_pairs(reader, entry)
    {
        if name.is_empty() {
            reader.invalid(span, "a header name cannot be empty", "empty name", None);
        } else if let Some(bare) = name.strip_prefix(':') {
            let table = entry.path.rsplit_once('.').map_or("", |(t, _)| t);
            let help = if pseudo.contains(&bare) {
                format!("set `{bare}` in `[{table}]` instead")
            } else {
                format!("`{}` has no pseudo-header `{name}`", entry.path)
            };
            reader.invalid(
                span,
                format!("`{name}` cannot be set in `{}`", entry.path),
                "a pseudo-header",
                Some(help),
            );
        } else {
            out.push((name, value));
        }
    }
    out
}

/// One header of a scenario file.
#[derive(Debug)]
pub(crate) struct HeaderPair {
    pub name: String,
    pub value: String,
    /// Where its name is (the whole pair, in an array).
    pub key_span: Range<usize>,
    /// Where the name and the value are.
    pub span: Range<usize>,
}

/// `name = value` entries of a table, or `[name, value]` pairs of an
/// array (for a name that repeats), each with its place.
pub(crate) fn header_pairs(reader: &mut Reader, entry: &Entry<'_>) -> Vec<HeaderPair> {
    let mut out = Vec::new();
    if let Some(array) = entry.item.as_array() {
        for value in array.iter() {
            let span = value.span().unwrap_or_else(|| entry.span.clone());
            let pair = value
                .as_array()
                .and_then(|a| match (a.get(0), a.get(1), a.len()) {
                    (Some(n), Some(v), 2) => Some((n.as_str()?, v.as_str()?)),
                    _ => None,
                });
            match pair {
                Some((name, value)) => out.push(HeaderPair {
                    name: name.to_string(),
                    value: value.to_string(),
                    key_span: span.clone(),
                    span,
                }),
                None => reader.invalid(
                    span,
                    format!(
                        "`{}` must hold `[name, value]` pairs of strings",
                        entry.path
                    ),
                    "not a pair of strings",
                    None,
                ),
            }
        }
    } else if let Some(t) = entry.item.as_table_like() {
        let fields = reader.fields(t, entry.path, &[]);
        for e in fields.all() {
            if let Some(value) = reader.string(&e) {
                out.push(HeaderPair {
                    name: e.key.to_string(),
                    value,
                    key_span: e.key_span.clone(),
                    span: e.key_span.start..e.span.end,
                });
            }
        }
    } else {
        reader.wrong_type(
            entry,
            "a table of names to values, or an array of `[name, value]` pairs",
        );
    }
    out
}
