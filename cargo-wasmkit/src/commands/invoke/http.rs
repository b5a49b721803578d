//! `invoke --http 'METHOD PATH'`: one request to an HTTP component, with
//! curl's options and output (the body on stdout as it streams, `-i` for
//! the head, `-v` for the request and response heads on stderr).

use std::io::IsTerminal;
use std::path::Path;

use clap::{Args, ValueEnum};
use wasmkit_core::{Diagnostic, Diagnostics, MessageFormat, Shell, Verbosity, codes, display_path};
use wasmkit_invoke::http::{
    CollectedResponse, HttpHandler, HttpRequest, ResponseHead, ResponseSink, Scheme, Upstreams,
    parse_upstream,
};
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{OutputSink, Runtime, SessionOptions, WasmInput};

use crate::commands::CommandResult;

/// The HTTP options of `invoke`.
#[derive(Debug, Args)]
pub struct HttpArgs {
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
pub enum SchemeArg {
    Http,
    Https,
}

/// A request and how its outgoing requests are answered, read from the
/// command line before anything is built.
#[derive(Debug)]
pub struct HttpPlan {
    request: HttpRequest,
    upstreams: Upstreams,
}

impl HttpArgs {
    /// The request to send, if `--http` is given, with every option checked.
    pub fn plan(&self) -> Result<Option<HttpPlan>, Diagnostics> {
        let Some(line) = &self.http else {
            return Ok(None);
        };
        let mut request = HttpRequest::parse_line(line)?;
        for header in &self.headers {
            request.add_header_arg(header)?;
        }
        request.set_authority(&self.authority)?;
        request.scheme = match self.scheme {
            SchemeArg::Http => Scheme::Http,
            SchemeArg::Https => Scheme::Https,
        };
        if let Some(data) = &self.data {
            request.body = match data.strip_prefix('@') {
                Some(file) => std::fs::read(file).map_err(|e| {
                    Diagnostic::read_failed(Path::new(&display_path(Path::new(file))), &e)
                        .with_note("the request body of `--data @FILE`")
                })?,
                None => data.as_bytes().to_vec(),
            };
        }
        let mut upstreams = Upstreams::new();
        for spec in &self.upstream {
            let (authority, answer) = parse_upstream(spec)?;
            if upstreams.answers(&authority) {
                return Err(Diagnostic::error(
                    codes::INVALID_OPTION,
                    format!("`--upstream` answers `{authority}` twice"),
                )
                .with_help("give one answer per authority")
                .into());
            }
            upstreams.answer(&authority, answer);
        }
        for authority in &self.allow_outbound {
            if upstreams.answers(authority) {
                return Err(Diagnostic::error(
                    codes::INVALID_OPTION,
                    format!("`{authority}` is both answered by `--upstream` and allowed by `--allow-outbound`"),
                )
                .with_help("keep one of the two")
                .into());
            }
            upstreams.allow(authority);
        }
        Ok(Some(HttpPlan { request, upstreams }))
    }

    /// Sends the request to `input` and reports the response.
    pub fn run(
        &self,
        shell: &Shell,
        runtime: &Runtime,
        input: &WasmInput,
        options: &SessionOptions,
        plan: &HttpPlan,
    ) -> CommandResult {
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
        // The handler's own prints go to stderr: stdout carries its response.
        let handler = HttpHandler::new(runtime, &component, options, OutputSink::stderr())?;
        let verbose = shell.verbosity() >= Verbosity::Verbose;
        if verbose {
            let mut text: String = plan
                .request
                .head_lines()
                .iter()
                .map(|l| format!("> {l}\n"))
                .collect();
            text.push_str(">\n");
            shell.write_stderr(&text);
        }
        let exchange = match shell.format() {
            MessageFormat::Human => {
                let mut sink = StdoutSink {
                    out: OutputSink::stdout(),
                    include: self.include,
                    verbose,
                    flush_each: std::io::stdout().is_terminal(),
                    shell,
                };
                let exchange = handler.exchange(&plan.request, &plan.upstreams, &mut sink);
                sink.out.flush();
                exchange
            }
            MessageFormat::Json => {
                let mut collected = CollectedResponse::default();
                let exchange = handler.exchange(&plan.request, &plan.upstreams, &mut collected);
                shell.json(&exchange.to_json(
                    &plan.request,
                    collected.response.as_ref(),
                    self.fail,
                ));
                return Ok(exchange.exit_status(self.fail));
            }
        };
        if verbose {
            for record in &exchange.outgoing {
                shell.write_stderr(&format!("* {}\n", record.summary()));
            }
        }
        shell.diagnostics(&exchange.problems(self.fail));
        Ok(exchange.exit_status(self.fail))
    }
}

/// The response on stdout as it streams (its head too with `-i`), and its
/// head on stderr with `-v`.
struct StdoutSink<'a> {
    out: OutputSink,
    include: bool,
    verbose: bool,
    flush_each: bool,
    shell: &'a Shell,
}

impl ResponseSink for StdoutSink<'_> {
    fn head(&mut self, head: &ResponseHead) {
        if self.verbose {
            let mut text: String = head.lines().iter().map(|l| format!("< {l}\n")).collect();
            text.push_str("<\n");
            self.shell.write_stderr(&text);
        }
        if self.include {
            for line in head.lines() {
                self.out.line(&line);
            }
            self.out.line("");
        }
    }

    fn chunk(&mut self, bytes: &[u8]) -> bool {
        self.out.write(bytes) && (!self.flush_each || self.out.flush())
    }
}
