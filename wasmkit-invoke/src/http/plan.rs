//! One request as the command line gives it (`invoke --http`), checked
//! into an [`HttpPlan`] before anything is built, and sent to a component.

use std::path::Path;

use wasmkit_core::{Diagnostic, Diagnostics, codes, display_path};

use super::handler::{Exchange, HttpHandler};
use super::request::{HttpRequest, Scheme};
use super::response::ResponseSink;
use super::upstream::{Upstreams, parse_upstream};
use crate::runtime::Compiled;
use crate::{OutputSink, Runtime, SessionOptions, WasmInput};

/// The request options as typed: `--http`, `-H`, `-d`, `--authority`,
/// `--scheme`, `--upstream`, `--allow-outbound`.
#[derive(Clone, Debug, Default)]
pub struct HttpFlags<'a> {
    /// `METHOD PATH`.
    pub line: &'a str,
    /// `NAME: VALUE` each.
    pub headers: &'a [String],
    /// Text, or `@FILE` for a file's bytes.
    pub data: Option<&'a str>,
    /// The request's host and port.
    pub authority: &'a str,
    /// `https` rather than `http`.
    pub https: bool,
    /// `AUTHORITY=STATUS[:BODY]` each.
    pub upstream: &'a [String],
    /// Authorities let through to the network.
    pub allow_outbound: &'a [String],
}

/// A request and how its outgoing requests are answered.
#[derive(Debug)]
pub struct HttpPlan {
    /// The request.
    pub request: HttpRequest,
    /// The answers to its outgoing requests.
    pub upstreams: Upstreams,
}

impl HttpFlags<'_> {
    /// Checks every option into the plan, or says which is wrong.
    pub fn plan(&self) -> Result<HttpPlan, Diagnostics> {
        let mut request = HttpRequest::parse_line(self.line)?;
        for header in self.headers {
            request.add_header_arg(header)?;
        }
        request.set_authority(self.authority)?;
        request.scheme = if self.https {
            Scheme::Https
        } else {
            Scheme::Http
        };
        if let Some(data) = self.data {
            request.body = match data.strip_prefix('@') {
                Some(file) => std::fs::read(file).map_err(|e| {
                    Diagnostic::read_failed(Path::new(&display_path(Path::new(file))), &e)
                        .with_note("the request body of `--data @FILE`")
                })?,
                None => data.as_bytes().to_vec(),
            };
        }
        Ok(HttpPlan {
            request,
            upstreams: self.upstreams()?,
        })
    }

    fn upstreams(&self) -> Result<Upstreams, Diagnostic> {
        let mut upstreams = Upstreams::new();
        for spec in self.upstream {
            let (authority, answer) = parse_upstream(spec)?;
            if upstreams.answers(&authority) {
                return Err(Diagnostic::error(
                    codes::INVALID_OPTION,
                    format!("`--upstream` answers `{authority}` twice"),
                )
                .with_help("give one answer per authority"));
            }
            upstreams.answer(&authority, answer);
        }
        for authority in self.allow_outbound {
            if upstreams.answers(authority) {
                return Err(Diagnostic::error(
                    codes::INVALID_OPTION,
                    format!(
                        "`{authority}` is both answered by `--upstream` and allowed by `--allow-outbound`"
                    ),
                )
                .with_help("keep one of the two"));
            }
            upstreams.allow(authority);
        }
        Ok(upstreams)
    }
}

impl HttpPlan {
    /// Compiles `input`, which must be a component exporting
    /// `wasi:http/incoming-handler`, into the handler that serves the
    /// request in `options`' sandbox; the handler's own prints go to stderr
    /// (stdout carries the response).
    pub fn handler(
        runtime: &Runtime,
        input: &WasmInput,
        options: &SessionOptions,
    ) -> Result<HttpHandler, Diagnostics> {
        let (compiled, _) = runtime.compile(input)?;
        let Compiled::Component(component) = compiled else {
            return Err(Diagnostic::error(
                codes::NOT_AN_HTTP_HANDLER,
                format!(
                    "`{}` is a core module, which cannot take HTTP requests",
                    display_path(&input.path)
                ),
            )
            .with_help(
                "`--http` sends requests to components that export `wasi:http/incoming-handler`",
            )
            .into());
        };
        Ok(HttpHandler::new(
            runtime,
            &component,
            options,
            OutputSink::stderr(),
        )?)
    }

    /// Sends the request to a fresh instance of `handler` and streams the
    /// response into `sink`.
    pub fn send(&self, handler: &HttpHandler, sink: &mut dyn ResponseSink) -> Exchange {
        handler.exchange(&self.request, &self.upstreams, sink)
    }
}
