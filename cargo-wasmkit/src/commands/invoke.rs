//! `cargo wasmkit invoke`: call a component's functions with WAVE
//! arguments, or send an HTTP component a request ([`http`]).

mod http;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use wasmkit_core::config::CliOverrides;
use wasmkit_core::workspace::{PackageSelection, Project};
use wasmkit_core::{
    Diagnostic, Diagnostics, ExitStatus, MessageFormat, PluginConfig, Shell, Verbosity, codes,
    display_path,
};
use wasmkit_invoke::calls::Calls;
use wasmkit_invoke::limits::{self, Limits};
use wasmkit_invoke::mocks;
use wasmkit_invoke::runner::{Format, Runner};
use wasmkit_invoke::runtime::CacheOutcome;
use wasmkit_invoke::sandbox::{DirGrant, parse_env};
use wasmkit_invoke::{
    OutputSink, Runtime, RuntimeOptions, SandboxOptions, Session, SessionOptions, WasmInput,
};

use super::CommandResult;
use crate::cli::{ManifestArgs, ProfileArgs};

#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// A .wasm or .wat file (optional with -p or inside a plugin), then WAVE calls such as 'area(circle({radius: 1.0}))'
    #[arg(value_name = "FILE|CALL")]
    pub args: Vec<String>,
    /// Read calls from a file, one a line (`-` for stdin)
    #[arg(long, value_name = "FILE")]
    pub calls_from: Option<PathBuf>,
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
    pub fn run(&self, shell: &Shell) -> CommandResult {
        let options = self.session_options()?;
        let http = self.http.plan()?;
        let (artifact, call_args) = self.artifact(shell)?;
        let runtime = Runtime::new(&RuntimeOptions {
            fuel: self.fuel.is_some(),
            timeouts: options.limits.timeout.is_some(),
            ..RuntimeOptions::with_default_cache(self.no_cache)
        })?;
        let input = WasmInput::read(&artifact)?;
        if let Some(plan) = &http {
            if let Some(call) = call_args.first() {
                return Err(Diagnostic::error(
                    codes::USAGE,
                    format!(
                        "`--http` sends a request; it takes no WAVE calls, but `{call}` was given"
                    ),
                )
                .with_help("leave out the calls, or `--http`")
                .into());
            }
            return self.http.run(shell, &runtime, &input, &options, plan);
        }
        let format = match shell.format() {
            MessageFormat::Json => Format::Json,
            MessageFormat::Human => Format::Wave,
        };
        let results = OutputSink::stdout();
        // With JSON on stdout, the guest's own stdout is captured and carried
        // inside each call's object instead of breaking the JSON lines.
        let guest_out = match format {
            Format::Json => OutputSink::capture(1 << 20),
            Format::Wave => results.clone(),
        };
        let started = Instant::now();
        let (compiled, cache) = runtime.compile(&input)?;
        if cache == CacheOutcome::Untrusted {
            shell.warn(
                "the compile cache is writable by other users, so it was not used \
                 (`cargo wasmkit cache` shows where it is)",
            );
        }
        let verbose = shell.verbosity() >= Verbosity::Verbose;
        let verbose_line = |line: &str| shell.write_stderr(&format!("{line}\n"));
        let runner = Runner {
            results: &results,
            guest_out: &guest_out,
            format,
            verbose: verbose.then_some(&verbose_line as &dyn Fn(&str)),
        };
        if self.list {
            // The listing needs no instance: a component whose imports
            // nothing provides is listed all the same.
            runner.list(
                &Session::catalog(&runtime, &compiled, &input, &options)?,
                verbose,
            );
            if call_args.is_empty() && self.calls_from.is_none() {
                return Ok(ExitStatus::Success);
            }
        }
        let calls = Calls::new(call_args, self.calls_from.as_deref())?;
        if calls.is_empty() {
            return Err(Diagnostic::error(codes::USAGE, "nothing to call")
                .with_help(
                    "give calls such as 'area(circle({radius: 1.0}))', `--calls-from FILE`, or `--list`",
                )
                .into());
        }
        let mut session =
            Session::instantiate(&runtime, &compiled, &input, &options, &guest_out, None)?;
        shell.verbose(format_args!(
            "loaded {} ({cache:?}) in {:.1?}",
            display_path(&artifact),
            started.elapsed()
        ));
        Ok(runner.run(&mut session, calls, &mut |d: &Diagnostic| {
            shell.diagnostic(d);
        }))
    }

    fn session_options(&self) -> Result<SessionOptions, Diagnostic> {
        let timeout = match &self.timeout {
            None => None,
            Some(t) => limits::parse_timeout(t).map_err(|e| {
                Diagnostic::error(
                    codes::INVALID_OPTION,
                    format!("invalid `--timeout {t}`: {e}"),
                )
                .with_help("write a duration such as `500ms`, `10s` or `2m`, or `off`")
            })?,
        };
        let max_memory = limits::parse_bytes(&self.max_memory).ok_or_else(|| {
            Diagnostic::error(
                codes::INVALID_OPTION,
                format!("invalid `--max-memory {}`", self.max_memory),
            )
            .with_help("write a size such as `64MiB`, `1GiB` or a number of bytes")
        })?;
        let dirs = self
            .dir
            .iter()
            .map(|d| DirGrant::parse(d))
            .collect::<Result<_, _>>()?;
        let env = self
            .env
            .iter()
            .map(|e| parse_env(e))
            .collect::<Result<_, _>>()?;
        let mut mocks = match &self.mocks {
            Some(path) => mocks::read_file(path)?,
            None => Vec::new(),
        };
        for m in &self.mock {
            mocks.push(mocks::from_argument(m)?);
        }
        Ok(SessionOptions {
            sandbox: SandboxOptions {
                dirs,
                env,
                inherit_env: self.inherit_env,
            },
            limits: Limits {
                timeout,
                fuel: self.fuel,
                max_memory,
            },
            mocks,
        })
    }

    /// The artifact to invoke and the calls: a file given first, or the
    /// built artifact of `-p` (or of the current directory's plugin), built
    /// and verified first when it is missing or older than its sources, and
    /// verified first when its last verification did not pass.
    fn artifact(&self, shell: &Shell) -> Result<(PathBuf, Vec<String>), Diagnostics> {
        if self.package.is_none()
            && let Some(first) = self.args.first()
            && (Path::new(first).exists() || !first.contains('('))
        {
            return Ok((PathBuf::from(first), self.args[1..].to_vec()));
        }
        let project = Project::load(&self.manifest.cargo_options())?;
        let selection = PackageSelection {
            packages: self.package.iter().cloned().collect(),
            ..PackageSelection::default()
        };
        let overrides = CliOverrides {
            release: self.profile.release,
            profile: self.profile.profile.clone(),
            ..CliOverrides::default()
        };
        let selected = project.select(&selection, &overrides)?;
        shell.diagnostics(&selected.warnings);
        let plugin = match selected.plugins.as_slice() {
            [one] => one,
            many => {
                let names: Vec<&str> = many.iter().map(PluginConfig::name).collect();
                return Err(Diagnostic::error(
                    codes::USAGE,
                    "which plugin? this workspace has several",
                )
                .with_note(format!("the plugins are: {}", names.join(", ")))
                .with_help("name one with `-p`, run inside its directory, or give a .wasm file")
                .into());
            }
        };
        let wasm = wasmkit_build::plugin_artifact(&project, plugin, self.no_verify, shell)?;
        Ok((wasm, self.args.clone()))
    }
}
