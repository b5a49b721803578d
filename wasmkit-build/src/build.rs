//! Running a build: mark the records stale, check the targets, run the
//! planned cargo invocations (retrying members of a failed batch alone),
//! then copy, wrap and record each artifact.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Instant;

use wasmkit_core::config::ComponentMode;
use wasmkit_core::workspace::{Project, cargo_program};
use wasmkit_core::{
    Diagnostic, Diagnostics, ExitStatus, MessageFormat, PluginConfig, Shell, Verbosity, codes,
};

use crate::artifact::{self, ArtifactFacts, ArtifactKind, ArtifactRecord, FileStamp, location_in};
use crate::cargo::{self, InvocationOutcome};
use crate::component;
use crate::display::BuildDisplay;
use crate::explain;
use crate::pipeline::BuildDirLock;
use crate::plan::{
    self, CargoContext, CrateTarget, EnvRustflags, Invocation, Member, MemberDependencies,
};
use crate::toolchain::Toolchain;

/// How to build.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Print, per plugin, where each setting came from and the cargo
    /// command and environment that build it (also on with `-v`).
    pub explain: bool,
}

/// A plugin that was built.
#[derive(Clone, Debug)]
pub struct BuiltArtifact {
    /// Index into the plugins given to [`build`].
    pub plugin: usize,
    /// Its record (also written beside the artifact).
    pub record: ArtifactRecord,
}

/// What a build did.
#[derive(Debug, Default)]
pub struct BuildOutcome {
    /// The plugins built, in the order of the plugins given.
    pub built: Vec<BuiltArtifact>,
    /// Why others were not (each names its plugin), and anything else worth saying.
    pub diagnostics: Vec<Diagnostic>,
}

impl BuildOutcome {
    /// The exit status: the worst of the diagnostics (1 for a build that
    /// failed, 2 for bad input such as a missing target).
    pub fn exit_status(&self) -> ExitStatus {
        self.diagnostics
            .iter()
            .map(Diagnostic::exit_status)
            .fold(ExitStatus::Success, ExitStatus::worst)
    }
}

/// Builds `plugins` (as `Project::select` resolved them), each with its own
/// settings. Status, progress and cargo's messages go to `shell`; the
/// outcome says what was built and why anything was not. The caller holds
/// the build directory's lock for as long as the records must stay its own.
pub fn build(
    project: &Project,
    plugins: &[PluginConfig],
    options: &BuildOptions,
    shell: &Shell,
    _lock: &BuildDirLock,
) -> BuildOutcome {
    let start = Instant::now();
    let mut outcome = BuildOutcome::default();
    let mut failed: Vec<(usize, Diagnostic)> = Vec::new();

    // First of all: nothing of these plugins may look current until this
    // build has rebuilt it.
    let mut previous: Vec<Option<ArtifactRecord>> = Vec::with_capacity(plugins.len());
    for plugin in plugins {
        match artifact::mark_stale(&location_in(project.target_dir(), plugin)) {
            Ok(record) => previous.push(record),
            Err(ds) => {
                outcome.diagnostics.extend(ds);
                previous.push(None);
            }
        }
    }

    let explain = options.explain || shell.verbosity() >= Verbosity::Verbose;
    let ctx = cargo_context(project, shell);
    let mut plan = plan::plan(plugins, &ctx);
    failed.append(&mut plan.rejected);

    // Targets, each checked (and installed) once, before cargo runs.
    let mut missing: Vec<String> = Vec::new();
    let mut toolchain_note = match Toolchain::locate(project.root()) {
        Ok(toolchain) => {
            let mut targets: Vec<&str> = Vec::new();
            for inv in &plan.invocations {
                if !targets.contains(&inv.settings.target.as_str()) {
                    targets.push(&inv.settings.target);
                }
            }
            for target in targets {
                let needing: Vec<&PluginConfig> = plan
                    .invocations
                    .iter()
                    .filter(|inv| inv.settings.target == target)
                    .flat_map(|inv| inv.members.iter().map(|m| &plugins[m.plugin]))
                    .collect();
                if let Err(ds) = toolchain.ensure_target(target, &needing, shell) {
                    outcome.diagnostics.extend(ds);
                    missing.push(target.to_string());
                }
            }
            format!("toolchain: {}", toolchain.sysroot.display())
        }
        // Cargo will say what is wrong with the toolchain, in its words.
        Err(why) => format!("cannot check the installed targets: {why}"),
    };
    if explain {
        toolchain_note.push_str("\n\n");
        shell.write_stderr(&toolchain_note);
        shell.write_stderr(&explain::render(plugins, &plan, &missing, &ctx));
    }
    plan.invocations
        .retain(|inv| !missing.contains(&inv.settings.target));

    let building: Vec<usize> = plan
        .invocations
        .iter()
        .flat_map(|inv| inv.members.iter().map(|m| m.plugin))
        .collect();
    let display = BuildDisplay::new(shell, plugins, &building);

    let mut queue: VecDeque<Invocation> = plan.invocations.into();
    while let Some(invocation) = queue.pop_front() {
        display.invocation_started(&invocation);
        let result = cargo::run(&invocation, plugins, shell, &display);
        let mut retry: Vec<Member> = Vec::new();
        for (i, member) in invocation.members.iter().enumerate() {
            let plugin = &plugins[member.plugin];
            match settle(&invocation, i, &result) {
                Settled::Built(path) => {
                    let previous = previous[member.plugin].as_ref();
                    match finish(project, plugin, member.plugin, &path, previous, &display) {
                        Ok(record) => {
                            display.built(member.plugin, &record);
                            outcome.built.push(BuiltArtifact {
                                plugin: member.plugin,
                                record,
                            });
                        }
                        Err(ds) => {
                            display.failed(member.plugin);
                            failed.extend(ds.into_iter().map(|d| (member.plugin, d)));
                        }
                    }
                }
                Settled::Retry => {
                    display.retrying(member.plugin);
                    retry.push(member.clone());
                }
                settled => {
                    display.failed(member.plugin);
                    let d = settled.diagnostic(plugin, &invocation, shell.format());
                    failed.push((member.plugin, d));
                }
            }
        }
        // Retried next, before the rest of the plan, in workspace order.
        for member in retry.into_iter().rev() {
            queue.push_front(plan::retry_alone(plugins, member, &ctx));
        }
    }

    outcome.built.sort_by_key(|b| b.plugin);
    failed.sort_by_key(|(plugin, _)| *plugin);
    let summary = (!outcome.built.is_empty()).then(|| summary(plugins, &outcome, start));
    display.finish(summary);
    outcome
        .diagnostics
        .extend(failed.into_iter().map(|(_, d)| d));
    outcome
}

fn cargo_context(project: &Project, shell: &Shell) -> CargoContext {
    let json = shell.format() == MessageFormat::Json;
    CargoContext {
        program: cargo_program(),
        manifest_path: project.root().join("Cargo.toml"),
        lock_args: project.cargo.lock_args(),
        color: shell.cargo_color(),
        // With our JSON output, cargo's messages pass through unchanged;
        // ANSI in their `rendered` text only when colour was asked for.
        message_format: if json && shell.cargo_color() != "always" {
            "json"
        } else {
            "json-diagnostic-rendered-ansi"
        },
        quiet: shell.verbosity() == Verbosity::Quiet,
        verbose: shell.verbosity() >= Verbosity::VeryVerbose,
        // Bars are drawn exactly when the shell allows progress.
        progress: shell.progress_allowed(),
        target_dir: project.target_dir().to_path_buf(),
        env_rustflags: EnvRustflags::from_env(),
        member_dependencies: MemberDependencies::of(project.members()),
    }
}

/// What became of one plugin of a finished cargo run.
enum Settled {
    /// Cargo produced its `.wasm`.
    Built(std::path::PathBuf),
    /// Its batch failed before building it.
    Retry,
    /// Cargo could not be started.
    SpawnFailed(String),
    /// The compiler reported errors in its package.
    CompileErrors,
    /// Cargo failed (its own error, or a dependency's).
    CargoFailed(Option<std::process::ExitStatus>),
    /// Cargo succeeded without producing the plugin's `.wasm` (from this crate).
    NoWasm(CrateTarget),
    /// Cargo's output could not be read (why), so what it built is unknown.
    OutputLost(String),
}

fn settle(invocation: &Invocation, i: usize, result: &InvocationOutcome) -> Settled {
    if let Some(why) = &result.spawn_error {
        return Settled::SpawnFailed(why.clone());
    }
    if result.errors[i] {
        return Settled::CompileErrors;
    }
    if let Some(path) = &result.artifacts[i] {
        return Settled::Built(path.clone());
    }
    if let Some(why) = &result.read_error {
        return Settled::OutputLost(why.clone());
    }
    match (result.success(), invocation.members.len() > 1) {
        // Cargo stopped before building this one (an error before compiling,
        // or in a dependency): only a run of its own says whether it builds.
        (false, true) => Settled::Retry,
        (false, false) => Settled::CargoFailed(result.status),
        (true, _) => Settled::NoWasm(invocation.members[i].crate_target.clone()),
    }
}

impl Settled {
    fn diagnostic(
        &self,
        plugin: &PluginConfig,
        invocation: &Invocation,
        format: MessageFormat,
    ) -> Diagnostic {
        let where_shown = match format {
            MessageFormat::Human => "above",
            MessageFormat::Json => "in cargo's messages",
        };
        let explain = format!(
            "`cargo wasmkit build -p {} --explain` shows the cargo command and its settings",
            plugin.name()
        );
        let d = match self {
            Settled::SpawnFailed(why) => {
                return Diagnostic::error(
                    codes::CARGO_SPAWN,
                    format!(
                        "cannot run cargo to build plugin `{}`: {why}",
                        plugin.name()
                    ),
                )
                .with_note(format!("command: {}", invocation.command_line()))
                .with_help("is cargo on PATH, or `CARGO` set?");
            }
            Settled::CompileErrors => build_failed(plugin, "")
                .with_note(format!("the compiler's errors are shown {where_shown}")),
            Settled::CargoFailed(status) => {
                let status = status.map_or_else(|| "failed".to_string(), |s| s.to_string());
                build_failed(plugin, &format!(" (cargo: {status})"))
                    .with_note(format!("cargo's errors are shown {where_shown}"))
            }
            Settled::NoWasm(crate_target) => build_failed(plugin, "").with_note(format!(
                "cargo succeeded but produced no `.wasm` from the plugin's {crate_target} for `{}`",
                plugin.target.value
            )),
            Settled::OutputLost(why) => build_failed(plugin, "")
                .with_note(why.clone())
                .with_note("what cargo said about this plugin may be lost"),
            Settled::Built(_) | Settled::Retry => build_failed(plugin, ""),
        };
        d.with_help(explain)
    }
}

/// Copies (and wraps) the artifact cargo built at `cargo_artifact`, then
/// writes its fresh record. When cargo left its output as it was when the
/// `previous` record was written, the artifact in place is kept (its time
/// brought up to now, as a copy would) instead of being copied, wrapped and
/// hashed again: a no-op build stays cheap.
fn finish(
    project: &Project,
    plugin: &PluginConfig,
    index: usize,
    cargo_artifact: &Path,
    previous: Option<&ArtifactRecord>,
    display: &BuildDisplay<'_>,
) -> Result<ArtifactRecord, Diagnostics> {
    let location = location_in(project.target_dir(), plugin);
    let stamp = FileStamp::of(cargo_artifact);
    if let Some(previous) = previous
        && previous.still_describes(plugin, &location, cargo_artifact, stamp)
        && touch(&location.wasm).is_ok()
    {
        let record = ArtifactRecord::fresh(
            plugin,
            project.root(),
            &location,
            cargo_artifact,
            previous.facts(),
        );
        record.write(&location.record)?;
        return Ok(record);
    }

    let built = std::fs::read(cargo_artifact).map_err(|e| {
        let d = build_failed(plugin, "").with_note(format!(
            "cannot read `{}`, which cargo built: {e}",
            wasmkit_core::display_path(cargo_artifact)
        ));
        Diagnostics::from(d)
    })?;
    let bytes = if plugin.component.value == ComponentMode::None {
        built
    } else {
        display.wrapping(index);
        component::wrap(&built, plugin.component.value)
            .map_err(|e| Diagnostics::from(wrap_failed(plugin, &built, &e)))?
    };
    artifact::write_atomically(&location.wasm, &bytes)?;
    // Bytes verified before (the same artifact rebuilt) keep their verdict.
    let facts = ArtifactFacts::of(&bytes, stamp).verified_as(previous);
    let record = ArtifactRecord::fresh(plugin, project.root(), &location, cargo_artifact, facts);
    record.write(&location.record)?;
    Ok(record)
}

/// Sets the file's modification time to now.
fn touch(path: &Path) -> std::io::Result<()> {
    std::fs::File::options()
        .write(true)
        .open(path)?
        .set_modified(std::time::SystemTime::now())
}

fn wrap_failed(plugin: &PluginConfig, built: &[u8], error: &component::WrapError) -> Diagnostic {
    let kind = ArtifactKind::of(built).describe();
    let d = Diagnostic::error(
        codes::COMPONENT_WRAP,
        format!(
            "cannot wrap plugin `{}` into a component (COMPONENT={}): {error}",
            plugin.name(),
            plugin.component.value.as_str()
        ),
    )
    .with_note(format!(
        "cargo built a {kind} for `{}`",
        plugin.target.value
    ));
    let d = match plugin.component.value {
        ComponentMode::Command => d.with_help(
            "`command` needs a binary with `main` (`_start`); use `reactor` for a library",
        ),
        _ => d.with_help(
            "COMPONENT wraps a `wasm32-wasip1` core module; for `wasm32-wasip2`, which builds components, use COMPONENT=none",
        ),
    };
    plugin.component.locate(d, "set here")
}

fn build_failed(plugin: &PluginConfig, suffix: &str) -> Diagnostic {
    Diagnostic::error(
        codes::BUILD_FAILED,
        format!("failed to build plugin `{}`{suffix}", plugin.name()),
    )
    .with_origin(wasmkit_core::display_path(
        plugin.package.manifest_path.as_std_path(),
    ))
}

fn summary(plugins: &[PluginConfig], outcome: &BuildOutcome, start: Instant) -> String {
    let mut profiles: Vec<&str> = Vec::new();
    for b in &outcome.built {
        let p = plugins[b.plugin].profile.value.as_str();
        if !profiles.contains(&p) {
            profiles.push(p);
        }
    }
    let profiles: Vec<String> = profiles.iter().map(|p| format!("`{p}`")).collect();
    let count = if outcome.built.len() == plugins.len() {
        format!("{}", plugins.len())
    } else {
        format!("{} of {}", outcome.built.len(), plugins.len())
    };
    let noun = if plugins.len() == 1 {
        "plugin"
    } else {
        "plugins"
    };
    format!(
        "{count} {noun} ({} profile{}) in {:.2}s",
        profiles.join(", "),
        if profiles.len() == 1 { "" } else { "s" },
        start.elapsed().as_secs_f64()
    )
}
