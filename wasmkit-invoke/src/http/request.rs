//! The request sent to a handler: what `--http 'METHOD PATH'`, `-H`,
//! `--data`, `--authority` and `--scheme` describe, checked as `http`
//! checks a request, and the `hyper` request the handler receives.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmkit_core::{Diagnostic, codes};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme as WasiScheme;

/// `http` or `https`: what the handler's `incoming-request.scheme` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scheme {
    /// `http` (the default, as `wasmtime serve` serves plain HTTP).
    #[default]
    Http,
    /// `https`.
    Https,
}

impl Scheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn to_wasi(self) -> WasiScheme {
        match self {
            Scheme::Http => WasiScheme::Http,
            Scheme::Https => WasiScheme::Https,
        }
    }
}

/// One request to a handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method, as given (`GET`, `POST`, `PURGE`).
    pub method: String,
    /// The path and query (`/items?id=3`).
    pub path_with_query: String,
    /// The authority (`localhost`, `example.com:8080`).
    pub authority: String,
    /// The scheme.
    pub scheme: Scheme,
    /// Headers, in order; `host` and `content-length` are added when absent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A `method` request for `path_with_query` to `localhost` over
    /// `http`, without headers or body.
    pub fn new(method: impl Into<String>, path_with_query: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path_with_query: path_with_query.into(),
            authority: "localhost".to_string(),
            scheme: Scheme::Http,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Reads `--http 'METHOD PATH'`.
    pub fn parse_line(line: &str) -> Result<HttpRequest, Diagnostic> {
        let invalid = |why: &str| {
            Diagnostic::error(
                codes::INVALID_OPTION,
                format!("invalid `--http '{line}'`: {why}"),
            )
            .with_help("write a method and a path, such as `--http 'GET /items?id=3'`")
        };
        let mut words = line.split_whitespace();
        let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
            return Err(invalid("expected a method and a path"));
        };
        let request = HttpRequest::new(method, path);
        request.check().map_err(|why| invalid(&why))?;
        Ok(request)
    }

    /// Adds a header from `-H 'name: value'`.
    pub fn add_header_arg(&mut self, arg: &str) -> Result<(), Diagnostic> {
        let invalid = |why: String| {
            Diagnostic::error(
                codes::INVALID_OPTION,
                format!("invalid `-H '{arg}'`: {why}"),
            )
            .with_help("write a header as `-H 'name: value'`")
        };
        let Some((name, value)) = arg.split_once(':') else {
            return Err(invalid("expected `name: value`".to_string()));
        };
        let (name, value) = (name.trim(), value.trim());
        http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("`{name}` is not a valid header name")))?;
        http::HeaderValue::from_str(value)
            .map_err(|_| invalid("the value has characters a header cannot hold".to_string()))?;
        self.headers.push((name.to_string(), value.to_string()));
        Ok(())
    }

    /// Sets `--authority`, checked.
    pub fn set_authority(&mut self, authority: &str) -> Result<(), Diagnostic> {
        authority
            .parse::<http::uri::Authority>()
            .ok()
            .filter(|a| a.as_str() == authority && !authority.contains('@'))
            .ok_or_else(|| {
                Diagnostic::error(
                    codes::INVALID_OPTION,
                    format!("invalid `--authority {authority}`"),
                )
                .with_help(
                    "write a host, optionally with a port: `example.com` or `localhost:8080`",
                )
            })?;
        self.authority = authority.to_string();
        Ok(())
    }

    /// Why the method or path cannot be sent, if they cannot.
    fn check(&self) -> Result<(), String> {
        http::Method::from_bytes(self.method.as_bytes())
            .map_err(|_| format!("`{}` is not a valid method", self.method))?;
        if !self.path_with_query.starts_with('/') {
            return Err(format!(
                "the path `{}` does not start with `/`",
                self.path_with_query
            ));
        }
        self.path_with_query
            .parse::<http::uri::PathAndQuery>()
            .map_err(|_| {
                format!(
                    "`{}` is not a valid path and query (spaces and some characters must be percent-encoded)",
                    self.path_with_query
                )
            })?;
        Ok(())
    }

    /// The headers the handler receives: the given ones, then `host` (the
    /// authority) and `content-length` (when there is a body) unless given,
    /// as an HTTP/1.1 client sends them.
    pub fn sent_headers(&self) -> Vec<(String, String)> {
        let has = |name: &str| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        let mut headers = Vec::with_capacity(self.headers.len() + 2);
        if !has("host") {
            headers.push(("host".to_string(), self.authority.clone()));
        }
        headers.extend(self.headers.iter().cloned());
        if !self.body.is_empty() && !has("content-length") {
            headers.push(("content-length".to_string(), self.body.len().to_string()));
        }
        headers
    }

    /// The request line and headers as `-v` shows them.
    pub fn head_lines(&self) -> Vec<String> {
        let mut lines = vec![format!("{} {} HTTP/1.1", self.method, self.path_with_query)];
        lines.extend(
            self.sent_headers()
                .into_iter()
                .map(|(n, v)| format!("{n}: {v}")),
        );
        lines
    }

    /// The request as the handler receives it.
    pub(crate) fn to_hyper(
        &self,
    ) -> Result<(WasiScheme, http::Request<wasmtime_wasi_http::WasiBody>), Diagnostic> {
        let invalid = |why: String| {
            Diagnostic::error(
                codes::INVALID_OPTION,
                format!(
                    "cannot send `{} {}`: {why}",
                    self.method, self.path_with_query
                ),
            )
        };
        self.check().map_err(invalid)?;
        let uri = http::Uri::builder()
            .scheme(self.scheme.as_str())
            .authority(self.authority.as_str())
            .path_and_query(self.path_with_query.as_str())
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(uri);
        for (name, value) in self.sent_headers() {
            builder = builder.header(name, value);
        }
        let body = Full::new(Bytes::from(self.body.clone()))
            .map_err(|never| match never {})
            .boxed_unsync();
        let request = builder.body(body).map_err(|e| invalid(e.to_string()))?;
        Ok((self.scheme.to_wasi(), request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        let r = HttpRequest::parse_line("GET /a?b=1").unwrap();
        assert_eq!(
            (r.method.as_str(), r.path_with_query.as_str()),
            ("GET", "/a?b=1")
        );
        for bad in ["GET", "GET /a b", "G(T /a", "GET a", "GET /a\u{1}b"] {
            assert_eq!(
                HttpRequest::parse_line(bad).unwrap_err().code,
                codes::INVALID_OPTION,
                "{bad}"
            );
        }
    }

    #[test]
    fn headers_and_authority() {
        let mut r = HttpRequest::new("POST", "/");
        r.add_header_arg("X-Test:  a b ").unwrap();
        assert!(r.add_header_arg("no colon").is_err());
        assert!(r.add_header_arg("bad name: x").is_err());
        r.set_authority("example.com:8080").unwrap();
        assert!(r.set_authority("user@example.com").is_err());
        assert!(r.set_authority("a/b").is_err());
        r.body = b"abc".to_vec();
        assert_eq!(
            r.head_lines(),
            [
                "POST / HTTP/1.1",
                "host: example.com:8080",
                "X-Test: a b",
                "content-length: 3"
            ]
        );
        r.headers.push(("Host".into(), "other".into()));
        assert_eq!(r.sent_headers()[0], ("X-Test".into(), "a b".into()));
    }
}
