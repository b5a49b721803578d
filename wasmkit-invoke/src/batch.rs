//! `invoke` without a session: compile the artifact, print `--list`, and
//! run a batch of calls (given, from `--calls-from`, or piped in) on one
//! instance, results on stdout as WAVE lines or JSON objects.

use std::cell::Cell;
use std::path::Path;
use std::time::Instant;

use wasmkit_core::{
    Diagnostic, Diagnostics, ExitStatus, MessageFormat, Shell, Verbosity, codes, display_path,
};

use crate::calls::Calls;
use crate::runner::{Format, Runner};
use crate::runtime::{CacheOutcome, Compilation, Compiled};
use crate::{OutputSink, Runtime, Session, SessionOptions, WasmInput};

/// Where the calls come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallsFrom<'a> {
    /// Only the calls on the command line (none with `--list` alone).
    Arguments,
    /// `--calls-from FILE` (`-` for stdin) after them.
    File(&'a Path),
    /// No calls given and stdin is not a terminal: stdin, as with
    /// `--calls-from -`; reading none is an error.
    Stdin,
}

/// An artifact compiled for `invoke`, with the sinks its results and its
/// guest's stdout go to.
pub struct Invocation<'a> {
    shell: &'a Shell,
    runtime: &'a Runtime,
    input: &'a WasmInput,
    options: &'a SessionOptions,
    compilation: Compilation,
    started: Instant,
    format: Format,
    results: OutputSink,
    guest_out: OutputSink,
}

impl<'a> Invocation<'a> {
    /// Compiles `input` (warning when the compile cache is not to be
    /// trusted). With JSON on stdout, the guest's own stdout is captured and
    /// carried inside each call's object instead of breaking the JSON lines.
    pub fn compile(
        shell: &'a Shell,
        runtime: &'a Runtime,
        input: &'a WasmInput,
        options: &'a SessionOptions,
    ) -> Result<Invocation<'a>, Diagnostic> {
        let started = Instant::now();
        let compilation = runtime.compile_with_info(input)?;
        if compilation.cache == CacheOutcome::Untrusted {
            shell.warn(
                "the compile cache is writable by other users, so it was not used \
                 (`cargo wasmkit cache` shows where it is)",
            );
        }
        let results = OutputSink::stdout();
        let (format, guest_out) = match shell.format() {
            MessageFormat::Json => (Format::Json, OutputSink::capture(1 << 20)),
            MessageFormat::Human => (Format::Wave, results.clone()),
        };
        Ok(Invocation {
            shell,
            runtime,
            input,
            options,
            compilation,
            started,
            format,
            results,
            guest_out,
        })
    }

    /// Prints the exports and imports. It needs no instance: a component
    /// whose imports nothing provides is listed all the same.
    pub fn list(&self) -> Result<(), Diagnostic> {
        let catalog = Session::catalog(&self.compilation.compiled, self.input, self.options)?;
        let verbose = self.shell.verbosity() >= Verbosity::Verbose;
        self.with_runner(|runner| runner.list(&catalog, verbose));
        Ok(())
    }

    /// The compiled artifact and the guest's stdout, for a session.
    pub fn into_session_parts(self) -> (Compiled, OutputSink) {
        (self.compilation.compiled, self.guest_out)
    }

    /// Runs `calls`, then those from `from`, on one instance, each result
    /// and error reported as it comes; returns the worst exit status.
    pub fn run(self, calls: Vec<String>, from: CallsFrom<'_>) -> Result<ExitStatus, Diagnostics> {
        let calls_from = match from {
            CallsFrom::Arguments => None,
            CallsFrom::File(path) => Some(path),
            CallsFrom::Stdin => Some(Path::new("-")),
        };
        let read = Cell::new(0usize);
        let calls = Calls::new(calls, calls_from)?.inspect(|_| read.set(read.get() + 1));
        let compiled = &self.compilation.compiled;
        let mut session = Session::instantiate(
            self.runtime,
            compiled,
            self.input,
            self.options,
            &self.guest_out,
            None,
        )?;
        self.shell.verbose(format_args!(
            "loaded {} ({:?}, {}: {}) in {:.1?}",
            display_path(&self.input.path),
            self.compilation.cache,
            self.compilation.tier.name(),
            self.compilation.why,
            self.started.elapsed()
        ));
        let status = self.with_runner(|runner| {
            runner.run(&mut session, calls, &mut |d: &Diagnostic| {
                self.shell.diagnostic(d);
            })
        });
        if from == CallsFrom::Stdin && read.get() == 0 {
            return Err(Diagnostic::error(codes::USAGE, "nothing to call")
                .with_help(
                    "give calls such as 'area(circle({radius: 1.0}))', pipe them in, \
                     `--calls-from FILE`, or `--list`",
                )
                .into());
        }
        Ok(status)
    }

    fn with_runner<T>(&self, f: impl FnOnce(&Runner<'_>) -> T) -> T {
        let verbose = self.shell.verbosity() >= Verbosity::Verbose;
        let verbose_line = |line: &str| self.shell.write_stderr(&format!("{line}\n"));
        f(&Runner {
            results: &self.results,
            guest_out: &self.guest_out,
            format: self.format,
            verbose: verbose.then_some(&verbose_line as &dyn Fn(&str)),
        })
    }
}

impl std::fmt::Debug for Invocation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invocation")
            .field("input", &self.input.path)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}
