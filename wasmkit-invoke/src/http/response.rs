//! The handler's response: its head (status and headers), where its body
//! goes as it streams ([`ResponseSink`]), and the whole response collected
//! in memory ([`HttpResponse`]) with its JSON form.

use base64::Engine as _;

/// The status and headers of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// Headers, in the order the handler set them (values not UTF-8 are
    /// shown with replacement characters).
    pub headers: Vec<(String, String)>,
}

impl ResponseHead {
    pub(crate) fn from_parts(parts: &http::response::Parts) -> ResponseHead {
        ResponseHead {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
        }
    }

    /// `HTTP/1.1 200 OK`.
    pub fn status_line(&self) -> String {
        let reason = http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason());
        match reason {
            Some(reason) => format!("HTTP/1.1 {} {reason}", self.status),
            None => format!("HTTP/1.1 {}", self.status),
        }
    }

    /// The status line, then one `name: value` line per header.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.status_line()];
        lines.extend(self.headers.iter().map(|(n, v)| format!("{n}: {v}")));
        lines
    }

    /// The values of header `name` (any case), in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Where a response goes while it streams.
pub trait ResponseSink {
    /// The head, once the handler has set its response.
    fn head(&mut self, head: &ResponseHead);
    /// A piece of the body. Returns `false` when the reader has gone (then
    /// the rest of the body is not read).
    fn chunk(&mut self, bytes: &[u8]) -> bool;
}

/// A whole response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status and headers.
    pub head: ResponseHead,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text when it is UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// `status`, `headers` (`[name, value]` pairs, in order) and `body`:
    /// the text when it is UTF-8, else base64 with `body_encoding` saying so.
    pub fn to_json(&self) -> serde_json::Value {
        let (body, encoding) = match self.body_text() {
            Some(text) => (text.to_string(), "utf-8"),
            None => (
                base64::engine::general_purpose::STANDARD.encode(&self.body),
                "base64",
            ),
        };
        serde_json::json!({
            "status": self.head.status,
            "headers": self.head.headers.iter().map(|(n, v)| [n, v]).collect::<Vec<_>>(),
            "body": body,
            "body_encoding": encoding,
        })
    }
}

/// A sink that keeps the whole response in memory.
#[derive(Clone, Debug, Default)]
pub struct CollectedResponse {
    /// The response, once its head arrived.
    pub response: Option<HttpResponse>,
}

impl ResponseSink for CollectedResponse {
    fn head(&mut self, head: &ResponseHead) {
        self.response = Some(HttpResponse {
            head: head.clone(),
            body: Vec::new(),
        });
    }

    fn chunk(&mut self, bytes: &[u8]) -> bool {
        if let Some(r) = &mut self.response {
            r.body.extend_from_slice(bytes);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_body_is_text_or_base64() {
        let head = ResponseHead {
            status: 404,
            headers: vec![("x-a".into(), "1".into()), ("x-a".into(), "2".into())],
        };
        let text = HttpResponse {
            head: head.clone(),
            body: b"missing".to_vec(),
        };
        assert_eq!(
            text.to_json(),
            serde_json::json!({
                "status": 404,
                "headers": [["x-a", "1"], ["x-a", "2"]],
                "body": "missing",
                "body_encoding": "utf-8",
            })
        );
        let binary = HttpResponse {
            head,
            body: vec![0xff, 0x00],
        };
        assert_eq!(binary.to_json()["body"], "/wA=");
        assert_eq!(binary.to_json()["body_encoding"], "base64");
        assert_eq!(binary.head.status_line(), "HTTP/1.1 404 Not Found");
        assert_eq!(binary.head.header_values("X-A"), ["1", "2"]);
    }
}
