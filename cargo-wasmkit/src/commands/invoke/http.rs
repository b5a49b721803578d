//! `invoke --http 'METHOD PATH'`: one request to an HTTP component, with
//! curl's options; the output is `render::http`'s.

use clap::{Args, ValueEnum};
use wasmkit_core::Diagnostics;
use wasmkit_invoke::http::{HttpFlags, HttpPlan};

use crate::render::http::HttpOutput;

/// The HTTP options of `invoke`.
#[derive(Debug, Args)]
pub(crate) struct HttpArgs {
    /// Send one request to the component's wasi:http handler, e.g. 'GET /items?id=3'
    #[arg(long, value_name = "METHOD PATH", conflicts_with_all = ["list", "calls_from"])]
    pub http: Option<String>,
    /// A request header (repeatable)
    #[arg(
        short = 'H',
        long = "header",
        value_name = "NAME: VALUE",
        requires = "http"
    )]
    pub headers: Vec<String>,
    /// The request body: text, or @FILE for a file's bytes
    #[arg(short = 'd', long, value_name = "TEXT|@FILE", requires = "http")]
    pub data: Option<String>,
    /// The request's authority (its host and port)
    #[arg(
        long,
        value_name = "HOST",
        default_value = "localhost",
        requires = "http"
    )]
    pub authority: String,
    /// The request's scheme
    #[arg(long, value_enum, default_value = "http", requires = "http")]
    pub scheme: SchemeArg,
    /// Print the response status line and headers before the body
    #[arg(short = 'i', long, requires = "http")]
    pub include: bool,
    /// Exit with 1 when the response status is 400 or more
    #[arg(long, requires = "http")]
    pub fail: bool,
    /// Answer the handler's outgoing requests to AUTHORITY, without network (repeatable; BODY may be @FILE)
    #[arg(long, value_name = "AUTHORITY=STATUS[:BODY]", requires = "http")]
    pub upstream: Vec<String>,
    /// Let the handler's outgoing requests to AUTHORITY through to the network (repeatable)
    #[arg(long, value_name = "AUTHORITY", requires = "http")]
    pub allow_outbound: Vec<String>,
}

/// `--scheme`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum SchemeArg {
    Http,
    Https,
}

impl HttpArgs {
    /// The request to send, if `--http` is given, with every option checked.
    pub(crate) fn plan(&self) -> Result<Option<HttpPlan>, Diagnostics> {
        let Some(line) = &self.http else {
            return Ok(None);
        };
        let flags = HttpFlags {
            line,
            headers: &self.headers,
            data: self.data.as_deref(),
            authority: &self.authority,
            https: matches!(self.scheme, SchemeArg::Https),
            upstream: &self.upstream,
            allow_outbound: &self.allow_outbound,
        };
        flags.plan().map(Some)
    }

    /// How the response is shown.
    pub(crate) fn output(&self) -> HttpOutput {
        HttpOutput {
            include: self.include,
            fail: self.fail,
        }
    }
}
