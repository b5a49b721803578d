//! `cargo wasmkit invoke`: call a component's functions with WAVE
//! arguments, in an interactive session or as a batch, or send an HTTP
//! component a request ([`http`]).

mod http;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use wasmkit_build::InvokeRequest;
use wasmkit_core::config::CliOverrides;
use wasmkit_core::{Diagnostic, ExitStatus, MessageFormat, Shell, codes};
use wasmkit_invoke::batch::{CallsFrom, Invocation};
use wasmkit_invoke::flags::SessionFlags;
use wasmkit_invoke::runtime::OptLevel;
use wasmkit_invoke::{Runtime, RuntimeOptions, WasmInput};

use super::CommandResult;
use crate::cli::{ManifestArgs, OptLevelArg, ProfileArgs};
use crate::render;

#[derive(Debug, Args)]
pub(crate) struct InvokeArgs {
    /// A .wasm or .wat file (optional with -p or inside a plugin), then WAVE calls such as 'area(circle({radius: 1.0}))'
    #[arg(value_name = "FILE|CALL")]
    pub args: Vec<String>,
    /// Read calls from a file, one a line (`-` for stdin); without calls, they are read from stdin when it is not a terminal
    #[arg(long, value_name = "FILE")]
    pub calls_from: Option<PathBuf>,
    /// Open an interactive session on one instance (the default without calls when stdin is a terminal)
    // No `-i`: with `--http` it is `--include`, as with curl.
    #[arg(long)]
    pub interactive: bool,
    /// List the exports (functions, and resources in WIT) and, when any is mocked or unprovided (or with -v), the imports
    #[arg(long)]
    pub list: bool,
    /// Mock an import: NAME=VALUE, where VALUE is the WAVE value it returns, e.g. 'store.get=some("v")'
    #[arg(long, value_name = "NAME=VALUE")]
    pub mock: Vec<String>,
    /// Read mocks from a file, one NAME=VALUE a line (`//` comments)
    #[arg(long, value_name = "FILE")]
    pub mocks: Option<PathBuf>,
    /// Invoke the built artifact of this package
    #[arg(short, long, value_name = "SPEC")]
    pub package: Option<String>,
    /// Grant the guest a host directory, optionally under another guest path
    #[arg(long, value_name = "HOST[::GUEST]")]
    pub dir: Vec<String>,
    /// Give the guest an environment variable
    #[arg(long, value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Give the guest every environment variable of this process
    #[arg(long)]
    pub inherit_env: bool,
    /// Stop a call that runs longer than this (e.g. 500ms, 10s); no limit by default, as with `wasmtime run`
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Stop a call after this much fuel (wasm instructions, roughly)
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Cap on the guest's linear memory (e.g. 64MiB)
    #[arg(long, value_name = "BYTES", default_value = "1GiB")]
    pub max_memory: String,
    /// Do not read or write the compile cache
    #[arg(long)]
    pub no_cache: bool,
    /// How hard to optimise the compiled code
    #[arg(long, value_enum, value_name = "LEVEL", default_value = "auto")]
    pub opt_level: OptLevelArg,
    #[command(flatten, next_help_heading = "HTTP Options")]
    pub http: http::HttpArgs,
    /// Run the plugin's artifact even if it failed verification or was never verified
    #[arg(long)]
    pub no_verify: bool,
    #[command(flatten, next_help_heading = "Compilation Options")]
    pub profile: ProfileArgs,
    #[command(flatten, next_help_heading = "Manifest Options")]
    pub manifest: ManifestArgs,
}

impl InvokeArgs {
    pub(crate) fn run(&self, shell: &Shell) -> CommandResult {
        let options = self.session_flags().options()?;
        let http = self.http.plan()?;
        let target = self.request().resolve(shell)?;
        let no_calls = target.calls.is_empty() && self.calls_from.is_none();
        let interactive = self.interactive
            || (http.is_none() && no_calls && !self.list && std::io::stdin().is_terminal());
        if interactive {
            self.check_interactive(shell, no_calls, http.is_some())?;
        }
        let runtime = Runtime::new(&RuntimeOptions {
            fuel: self.fuel.is_some(),
            // A session's calls can be interrupted with Ctrl-C, which takes
            // the same epoch checks as a time limit.
            timeouts: options.limits.timeout.is_some() || interactive,
            // A session makes many calls on one instance: optimised code pays.
            opt_level: match (self.opt_level, interactive) {
                (OptLevelArg::Auto, true) => OptLevel::Speed,
                (level, _) => level.into(),
            },
            ..RuntimeOptions::with_default_cache(self.no_cache)
        })?;
        let input = WasmInput::read(&target.artifact)?;
        if let Some(plan) = &http {
            if let Some(call) = target.calls.first() {
                return Err(Diagnostic::error(
                    codes::USAGE,
                    format!(
                        "`--http` sends a request; it takes no WAVE calls, but `{call}` was given"
                    ),
                )
                .with_help("leave out the calls, or `--http`")
                .into());
            }
            let output = self.http.output();
            return render::http::send(shell, &runtime, &input, &options, plan, output);
        }
        let invocation = Invocation::compile(shell, &runtime, &input, &options)?;
        if self.list {
            invocation.list()?;
            if no_calls && !interactive {
                return Ok(ExitStatus::Success);
            }
        }
        if interactive {
            let (compiled, guest_out) = invocation.into_session_parts();
            let setup =
                render::session::setup(shell, runtime, target, options, guest_out, self.no_verify);
            return render::session::run(shell, setup, input, compiled);
        }
        let from = match &self.calls_from {
            Some(path) => CallsFrom::File(path),
            // No calls and stdin not a terminal: the calls come from stdin.
            None if no_calls && !self.list => CallsFrom::Stdin,
            None => CallsFrom::Arguments,
        };
        invocation.run(target.calls, from)
    }

    /// What a session cannot be combined with.
    fn check_interactive(
        &self,
        shell: &Shell,
        no_calls: bool,
        http: bool,
    ) -> Result<(), Diagnostic> {
        let refuse = |what: &str| {
            Diagnostic::error(
                codes::USAGE,
                format!("an interactive session cannot be combined with {what}"),
            )
        };
        if http {
            return Err(refuse("`--http`").with_help("leave out `-i`, or `--http`"));
        }
        if !no_calls {
            return Err(refuse("calls given up front").with_help(
                "leave out `-i` to run them, or the calls to type them in the session",
            ));
        }
        if shell.format() == MessageFormat::Json {
            return Err(refuse("`--message-format json`")
                .with_help("a session prints WAVE; use `--calls-from` for JSON results"));
        }
        Ok(())
    }

    fn session_flags(&self) -> SessionFlags<'_> {
        SessionFlags {
            dirs: &self.dir,
            env: &self.env,
            inherit_env: self.inherit_env,
            timeout: self.timeout.as_deref(),
            fuel: self.fuel,
            max_memory: &self.max_memory,
            mock: &self.mock,
            mocks_file: self.mocks.as_deref(),
        }
    }

    fn request(&self) -> InvokeRequest<'_> {
        InvokeRequest {
            args: &self.args,
            package: self.package.as_deref(),
            overrides: CliOverrides {
                release: self.profile.release,
                profile: self.profile.profile.clone(),
                ..CliOverrides::default()
            },
            cargo: self.manifest.cargo_options(),
            no_verify: self.no_verify,
        }
    }
}
