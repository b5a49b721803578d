//! `invoke --http`'s output, as curl's: the body on stdout as it streams,
//! the head too with `-i`, the request and response heads on stderr with
//! `-v`, or one JSON object.

use std::io::IsTerminal;

use wasmkit_core::{MessageFormat, Shell, Verbosity};
use wasmkit_invoke::http::{CollectedResponse, HttpPlan, ResponseHead, ResponseSink};
use wasmkit_invoke::{OutputSink, Runtime, SessionOptions, WasmInput};

use crate::commands::CommandResult;

/// How the response is shown.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HttpOutput {
    /// `-i`: the status line and headers before the body.
    pub include: bool,
    /// `--fail`: a status of 400 or more exits with 1.
    pub fail: bool,
}

/// Sends the plan's request to `input` and shows the response.
pub(crate) fn send(
    shell: &Shell,
    runtime: &Runtime,
    input: &WasmInput,
    options: &SessionOptions,
    plan: &HttpPlan,
    output: HttpOutput,
) -> CommandResult {
    let handler = HttpPlan::handler(runtime, input, options)?;
    let verbose = shell.verbosity() >= Verbosity::Verbose;
    if verbose {
        shell.write_stderr(&head_text('>', &plan.request.head_lines()));
    }
    if shell.format() == MessageFormat::Json {
        let mut collected = CollectedResponse::default();
        let exchange = plan.send(&handler, &mut collected);
        shell.json(&exchange.to_json(&plan.request, collected.response.as_ref(), output.fail));
        return Ok(exchange.exit_status(output.fail));
    }
    let mut sink = StdoutSink {
        out: OutputSink::stdout(),
        include: output.include,
        verbose,
        flush_each: std::io::stdout().is_terminal(),
        shell,
    };
    let exchange = plan.send(&handler, &mut sink);
    sink.out.flush();
    if verbose {
        for record in &exchange.outgoing {
            shell.write_stderr(&format!("* {}\n", record.summary()));
        }
    }
    shell.diagnostics(&exchange.problems(output.fail));
    Ok(exchange.exit_status(output.fail))
}

/// A message head as curl's `-v` shows it: each line after `mark` and a
/// space, then the mark alone.
fn head_text(mark: char, lines: &[String]) -> String {
    let mut text: String = lines.iter().map(|l| format!("{mark} {l}\n")).collect();
    text.push(mark);
    text.push('\n');
    text
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
            self.shell.write_stderr(&head_text('<', &head.lines()));
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
