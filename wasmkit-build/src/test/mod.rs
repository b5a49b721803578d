//! `cargo wasmkit test`: scenario tests for plugins.
//!
//! A scenario file ([`scenario`]) says what traffic a host sends through a
//! plugin and what must come of it. For each selected plugin this module
//! finds its `scenarios/*.toml` (or takes the files given), builds the
//! plugin as `build` does (or checks that its artifact is current), then
//! compiles each artifact once, loads it once per host, and runs every
//! scenario on each of its hosts in a fresh instance of the proxy-wasm
//! host model of `wasmkit_invoke` ([`runner`]); each run is judged against
//! the scenario's expectations ([`check`]). `--artifact` runs scenarios
//! against any `.wasm`, built by any toolchain.
//!
//! It prints nothing itself but the build's output: results reach the
//! caller as [`TestEvent`]s, and [`render`] and [`ScenarioRun::to_json`]
//! give them their human and JSON forms.

mod check;
pub mod component;
mod discover;
mod plan;
mod record;
pub mod render;
mod report;
mod runner;
pub mod scenario;
mod workers;

use std::path::{Path, PathBuf};
use std::time::Instant;

use wasmkit_core::workspace::Project;
use wasmkit_core::{Diagnostic, ExitStatus, HostKind, PluginConfig, Shell, codes};
use wasmkit_invoke::{Limits, WasmInput, WasmKind};

pub use check::CheckResult;
pub use component::ComponentScenario;
pub use discover::SCENARIO_DIR;
pub use plan::{PluginDefaults, plugin_kind};
pub use record::{CallRecord, CallsRecord, HttpRecord, RunKind, RunRecord};
pub use report::{ScenarioRun, TestSummary};
pub use scenario::Scenario;

use crate::BuildDirLock;
use crate::artifact::locate;

/// What the command line asks of a test run.
#[derive(Clone, Debug, Default)]
pub struct TestOptions {
    /// Scenario files given; none means every scenario of each plugin.
    pub files: Vec<PathBuf>,
    /// Name filters: a scenario runs when any is part of its name or file.
    pub filters: Vec<String>,
    /// `--host`: run every scenario on exactly these hosts.
    pub hosts: Vec<HostKind>,
    /// `--root-id`, over each plugin's `ROOT_ID`.
    pub root_id: Option<String>,
    /// `--vm-id`, over each plugin's `VM_ID`.
    pub vm_id: Option<String>,
    /// `--no-build`: use the current artifacts; a stale or missing one is
    /// an error.
    pub no_build: bool,
    /// Limits for every callback.
    pub limits: Limits,
}

/// Scenarios to run against one artifact.
#[derive(Clone, Debug)]
pub struct TestTarget {
    /// The plugin's name, or the artifact as given.
    pub name: String,
    /// The artifact.
    pub artifact: PathBuf,
    /// What its scenarios take from it.
    pub defaults: PluginDefaults,
    /// Its proxy-wasm scenarios, in order.
    pub scenarios: Vec<Scenario>,
    /// Its component scenarios, in order.
    pub components: Vec<ComponentScenario>,
}

/// A plugin's scenario files, as read.
#[derive(Debug, Default)]
struct Loaded {
    proxy: Vec<Scenario>,
    components: Vec<ComponentScenario>,
    filtered_out: usize,
}

impl Loaded {
    /// Reads `path` as a component scenario (`components`) or a proxy-wasm
    /// one; keeps it when the filters let it through.
    fn load(
        &mut self,
        path: &Path,
        display: &str,
        components: bool,
        filters: &[String],
        problems: &mut Vec<Diagnostic>,
    ) {
        if components {
            match component::load(path, display) {
                Ok(s) if discover::matches(filters, &s.name, &s.display) => self.components.push(s),
                Ok(_) => self.filtered_out += 1,
                Err(ds) => problems.extend(ds),
            }
        } else {
            match scenario::load(path, display) {
                Ok(s) if discover::matches(filters, &s.name, &s.display) => self.proxy.push(s),
                Ok(_) => self.filtered_out += 1,
                Err(ds) => problems.extend(ds),
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.proxy.is_empty() && self.components.is_empty()
    }
}

/// What a test run reports as it goes.
#[derive(Debug)]
pub enum TestEvent<'a> {
    /// Problems found: bad scenario files, builds that failed, artifacts
    /// that cannot run scenarios. Nothing of theirs runs; the rest does.
    Problems(&'a [Diagnostic]),
    /// The runs are about to start: this many of them.
    Running(usize),
    /// One run finished.
    Finished(&'a ScenarioRun),
}

/// How a test run ended.
#[derive(Debug)]
pub struct TestOutcome {
    /// Every run, in order.
    pub runs: Vec<ScenarioRun>,
    /// The counts.
    pub summary: TestSummary,
    /// 0 when every run passed, 1 when one failed (or a build), 2 when a
    /// scenario file was bad.
    pub status: ExitStatus,
}

/// Runs the scenarios of `plugins` (as `Project::select` resolved them):
/// each plugin's own, or the files in `options` (each must belong to one of
/// the plugins). `explicit` says the plugins were named (`-p`), so that one
/// without scenarios is worth a warning.
pub fn test_plugins(
    project: &Project,
    plugins: &[PluginConfig],
    explicit: bool,
    options: &TestOptions,
    shell: &Shell,
    mut on_event: impl FnMut(TestEvent<'_>),
) -> TestOutcome {
    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut tally = Tally::default();
    let files = files_by_plugin(plugins, options, explicit, &mut problems);
    let mut filtered_out = 0;
    let mut wanted: Vec<(usize, Loaded)> = Vec::new();
    for (i, paths) in files.into_iter().enumerate() {
        let mut loaded = Loaded::default();
        let components = component::plugin_runs_components(&plugins[i]);
        for path in paths {
            let display = discover::display(&path, project.root());
            loaded.load(&path, &display, components, &options.filters, &mut problems);
        }
        filtered_out += loaded.filtered_out;
        if !loaded.is_empty() {
            wanted.push((i, loaded));
        }
    }
    report_problems(&mut problems, &mut tally, &mut on_event);

    // Build (or check) only what has scenarios to run.
    let to_build: Vec<PluginConfig> = wanted.iter().map(|(i, _)| plugins[*i].clone()).collect();
    // Held until the runs are over, so that no other run rewrites an
    // artifact between its build (or check) and its compilation.
    let lock = if to_build.is_empty() {
        None
    } else {
        match BuildDirLock::acquire(project, shell) {
            Ok(lock) => Some(lock),
            Err(ds) => {
                problems.extend(ds);
                None
            }
        }
    };
    let artifacts = match &lock {
        Some(lock) => artifacts(
            project,
            &to_build,
            options.no_build,
            shell,
            lock,
            &mut problems,
        ),
        None => vec![None; to_build.len()],
    };
    report_problems(&mut problems, &mut tally, &mut on_event);
    let targets: Vec<TestTarget> = wanted
        .into_iter()
        .zip(artifacts)
        .filter_map(|((i, loaded), artifact)| {
            let plugin = &plugins[i];
            Some(TestTarget {
                name: plugin.name().to_string(),
                artifact: artifact?,
                defaults: plugin_defaults(plugin, options),
                scenarios: loaded.proxy,
                components: loaded.components,
            })
        })
        .collect();
    let outcome = run_targets(&targets, options, filtered_out, tally, on_event);
    drop(lock);
    outcome
}

/// Runs `options.files` against `artifact`, any `.wasm` or `.wat`, with the
/// defaults of a plugin that sets nothing (envoy, `http`) under the
/// command line's.
pub fn test_artifact(
    artifact: &Path,
    options: &TestOptions,
    mut on_event: impl FnMut(TestEvent<'_>),
) -> TestOutcome {
    let mut problems = Vec::new();
    let mut tally = Tally::default();
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut loaded = Loaded::default();
    // A component's scenarios are component scenarios; anything else's
    // (or an unreadable artifact's, reported when it is run) proxy-wasm ones.
    let components = WasmInput::read(artifact).is_ok_and(|i| i.kind == WasmKind::Component);
    if options.files.is_empty() {
        problems.push(
            Diagnostic::error(codes::USAGE, "`--artifact` needs the scenario files to run")
                .with_help("name them after the artifact: `cargo wasmkit test --artifact FILE SCENARIO...`"),
        );
    }
    for path in &options.files {
        let display = discover::display(path, &cwd);
        loaded.load(path, &display, components, &options.filters, &mut problems);
    }
    report_problems(&mut problems, &mut tally, &mut on_event);
    let name = wasmkit_core::display_path(artifact);
    let target = TestTarget {
        defaults: PluginDefaults {
            name: artifact
                .file_stem()
                .map_or_else(|| name.clone(), |s| s.to_string_lossy().into_owned()),
            host: None,
            hosts: options.hosts.clone(),
            kind: wasmkit_core::ProxyKind::Http,
            root_id: options.root_id.clone().unwrap_or_default(),
            vm_id: options.vm_id.clone().unwrap_or_default(),
        },
        name,
        artifact: artifact.to_path_buf(),
        scenarios: loaded.proxy,
        components: loaded.components,
    };
    run_targets(&[target], options, loaded.filtered_out, tally, on_event)
}

/// What a plugin's scenarios take from it, under the command line.
pub fn plugin_defaults(plugin: &PluginConfig, options: &TestOptions) -> PluginDefaults {
    PluginDefaults {
        name: plugin.name().to_string(),
        host: plugin.host.value,
        hosts: options.hosts.clone(),
        kind: plugin.proxy_kind.value,
        root_id: options
            .root_id
            .clone()
            .unwrap_or_else(|| plugin.root_id.value.clone()),
        vm_id: options
            .vm_id
            .clone()
            .unwrap_or_else(|| plugin.vm_id.value.clone()),
    }
}

/// Compiles, loads and runs the targets, reporting as it goes.
fn run_targets(
    targets: &[TestTarget],
    options: &TestOptions,
    filtered_out: usize,
    mut tally: Tally,
    mut on_event: impl FnMut(TestEvent<'_>),
) -> TestOutcome {
    let mut runs = Vec::new();
    let mut prepared = None;
    // Scenarios run on a fresh artifact as verify does: baseline code.
    match crate::verify::runtime(None) {
        Ok(runtime) => {
            let mut ready = runner::prepare(&runtime, targets);
            report_problems(&mut ready.problems, &mut tally, &mut on_event);
            let mut components = component::run::prepare(&runtime, targets, options.limits);
            report_problems(&mut components.problems, &mut tally, &mut on_event);
            prepared = Some((runtime, ready, components));
        }
        Err(d) => report_problems(&mut vec![d], &mut tally, &mut on_event),
    }
    let mut summary = TestSummary {
        filtered_out,
        errors: tally.errors,
        ..TestSummary::default()
    };
    let Some((runtime, prepared, components)) = prepared else {
        return TestOutcome {
            runs,
            summary,
            status: tally.status,
        };
    };
    on_event(TestEvent::Running(prepared.len() + components.len()));
    let started = Instant::now();
    let mut finished = |run: ScenarioRun| {
        if run.passed {
            summary.passed += 1;
        } else {
            summary.failed += 1;
        }
        on_event(TestEvent::Finished(&run));
        runs.push(run);
    };
    runner::run(&runtime, &prepared, options.limits, &mut finished);
    component::run::run(&runtime, &components, options.limits, &mut finished);
    summary.duration = started.elapsed();
    let mut status = tally.status;
    if summary.failed > 0 {
        status = status.worst(ExitStatus::Failure);
    }
    TestOutcome {
        runs,
        summary,
        status,
    }
}

/// Each plugin's scenario files: the files given, by the plugin they
/// belong to, or every plugin's own.
fn files_by_plugin(
    plugins: &[PluginConfig],
    options: &TestOptions,
    explicit: bool,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Vec<PathBuf>> {
    let mut files: Vec<Vec<PathBuf>> = vec![Vec::new(); plugins.len()];
    if options.files.is_empty() {
        let mut none = Vec::new();
        for (i, plugin) in plugins.iter().enumerate() {
            match discover::plugin_files(plugin.dir()) {
                Ok(found) if found.is_empty() => none.push(plugin.name()),
                Ok(found) => files[i] = found,
                Err(d) => problems.push(d),
            }
        }
        let every = none.len() == plugins.len() && !plugins.is_empty();
        if (explicit && !none.is_empty()) || every {
            problems.push(
                Diagnostic::warning(
                    codes::SCENARIO_OWNER,
                    format!("no scenarios for {}", quoted_list(&none)),
                )
                .with_help(format!(
                    "add scenario files as `<plugin>/{SCENARIO_DIR}/*.toml`; see `cargo wasmkit test --help`"
                )),
            );
        }
        return files;
    }
    let dirs: Vec<&Path> = plugins.iter().map(PluginConfig::dir).collect();
    for path in &options.files {
        if !path.is_file() {
            let e = std::fs::metadata(path)
                .err()
                .unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::IsADirectory));
            problems.push(Diagnostic::read_failed(path, &e));
            continue;
        }
        match discover::owner(path, &dirs) {
            Some(i) => files[i].push(path.clone()),
            None => problems.push(
                Diagnostic::error(
                    codes::SCENARIO_OWNER,
                    format!(
                        "`{}` is not inside a selected plugin",
                        wasmkit_core::display_path(path)
                    ),
                )
                .with_help("put it below the plugin's directory (or select that plugin with `-p`), or run it against any .wasm with `--artifact FILE`"),
            ),
        }
    }
    files
}

/// Each plugin's artifact: built now, or (with `no_build`) the current one;
/// `None` where there is none.
fn artifacts(
    project: &Project,
    plugins: &[PluginConfig],
    no_build: bool,
    shell: &Shell,
    lock: &BuildDirLock,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Option<PathBuf>> {
    if plugins.is_empty() {
        return Vec::new();
    }
    if no_build {
        return plugins
            .iter()
            .map(|plugin| {
                let location = locate(project, plugin);
                match location.state(plugin).into_current(plugin, &location) {
                    Ok(record) => Some(record.path),
                    Err(ds) => {
                        problems.extend(ds);
                        None
                    }
                }
            })
            .collect();
    }
    // Built as `build --no-verify` builds: the runs load the artifact with
    // the same static checks `verify` makes.
    let outcome = crate::build(
        project,
        plugins,
        &crate::BuildOptions::default(),
        shell,
        lock,
    );
    problems.extend(outcome.diagnostics);
    let mut out = vec![None; plugins.len()];
    for built in outcome.built {
        out[built.plugin] = Some(built.record.path);
    }
    out
}

/// What the problems so far stopped: the worst exit status, and how many
/// errors kept scenarios from running.
#[derive(Clone, Copy, Debug)]
struct Tally {
    status: ExitStatus,
    errors: usize,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            status: ExitStatus::Success,
            errors: 0,
        }
    }
}

fn report_problems(
    problems: &mut Vec<Diagnostic>,
    tally: &mut Tally,
    on_event: &mut impl FnMut(TestEvent<'_>),
) {
    if problems.is_empty() {
        return;
    }
    for d in problems.iter() {
        tally.status = tally.status.worst(d.exit_status());
        tally.errors += usize::from(d.is_error());
    }
    on_event(TestEvent::Problems(problems));
    problems.clear();
}

fn quoted_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => "the selected plugins".to_string(),
        [one] => format!("plugin {one}"),
        _ => format!("plugins {}", quoted.join(", ")),
    }
}

#[cfg(test)]
mod tests;
