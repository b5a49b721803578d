//! Build, then verify, under the build directory's lock; and the decision
//! `invoke -p` makes about the artifact it runs. The binary calls these and
//! renders nothing of its own.
//!
//! `<target-dir>/wasmkit/` is shared by every run on the workspace. A lock
//! on it (`<target-dir>/wasmkit/.lock`, like cargo's on its build
//! directory) covers the whole sequence from marking records stale to
//! writing the verified records, so that one run's record never describes
//! another run's bytes. `invoke -p` holds it while it decides whether to
//! build or verify.

use std::path::PathBuf;

use wasmkit_core::lock::{FileLock, LockKind};
use wasmkit_core::workspace::Project;
use wasmkit_core::{
    Diagnostic, Diagnostics, ExitStatus, MessageFormat, PluginConfig, Shell, codes,
};
use wasmkit_invoke::runtime::OptLevel;

use crate::artifact::{self, ArtifactRecord, ArtifactState, Verification, locate};
use crate::build::{BuildOptions, build};
use crate::verify::{self, ArtifactReport, Verdict, VerifySettings};

/// What the wait for the build directory is called on stderr.
const BUILD_DIR_WHAT: &str = "wasmkit build directory";

/// The build directory lock, held while it lives.
#[derive(Debug)]
pub struct BuildDirLock {
    _lock: FileLock,
}

impl BuildDirLock {
    /// Takes the lock on `<target-dir>/wasmkit/`, waiting (and saying so)
    /// while another run holds it.
    pub fn acquire(project: &Project, shell: &Shell) -> Result<BuildDirLock, Diagnostics> {
        let dir = project.target_dir().join("wasmkit");
        let path = dir.join(".lock");
        FileLock::acquire(&path, LockKind::Exclusive, BUILD_DIR_WHAT, shell)
            .map(|lock| BuildDirLock { _lock: lock })
            .map_err(|e| {
                Diagnostic::error(
                    codes::WRITE_FAILED,
                    format!(
                        "cannot lock the build directory `{}`: {e}",
                        wasmkit_core::display_path(&dir)
                    ),
                )
                .into()
            })
    }
}

/// How [`build_and_verify`] runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildSteps {
    /// `--explain`.
    pub explain: bool,
    /// `--no-verify`.
    pub no_verify: bool,
    /// `--deny-warnings`.
    pub deny_warnings: bool,
    /// `--opt-level` for verification (baseline when not given).
    pub opt_level: Option<OptLevel>,
}

/// Builds the plugins, verifies what was built (unless told not to) and
/// records the verdict with each artifact; prints the diagnostics, the
/// verify reports and (JSON) the records. A plugin that fails
/// verification fails the build.
pub fn build_and_verify(
    project: &Project,
    plugins: &[PluginConfig],
    steps: BuildSteps,
    shell: &Shell,
) -> ExitStatus {
    match BuildDirLock::acquire(project, shell) {
        Ok(lock) => build_and_verify_locked(project, plugins, steps, shell, &lock),
        Err(ds) => {
            shell.diagnostics(&ds.0);
            ds.exit_status()
        }
    }
}

fn build_and_verify_locked(
    project: &Project,
    plugins: &[PluginConfig],
    steps: BuildSteps,
    shell: &Shell,
    lock: &BuildDirLock,
) -> ExitStatus {
    let options = BuildOptions {
        explain: steps.explain,
    };
    let outcome = build(project, plugins, &options, shell, lock);
    shell.diagnostics(&outcome.diagnostics);
    let mut status = outcome.exit_status();
    let mut records: Vec<ArtifactRecord> = outcome.built.iter().map(|b| b.record.clone()).collect();
    let mut reports = Vec::new();
    if !steps.no_verify && !outcome.built.is_empty() {
        let built: Vec<&PluginConfig> = outcome.built.iter().map(|b| &plugins[b.plugin]).collect();
        match verify_and_record(project, &built, steps.deny_warnings, steps.opt_level) {
            Ok((verified, mut problems)) => {
                for (record, (report, updated)) in records.iter_mut().zip(verified) {
                    if let Some(updated) = updated {
                        *record = updated;
                    }
                    reports.push(report);
                }
                shell.diagnostics(&problems);
                status = status.worst(Diagnostics(std::mem::take(&mut problems)).exit_status());
            }
            Err(d) => {
                shell.diagnostic(&d);
                status = status.worst(d.exit_status());
            }
        }
    }
    if shell.format() == MessageFormat::Json {
        for record in &records {
            shell.json(&record.to_json());
        }
    }
    status.worst(verify::print_reports(shell, &reports, steps.deny_warnings))
}

/// A report, and the record it updated (if the record was still there).
type Verified = (ArtifactReport, Option<ArtifactRecord>);

/// Verifies the current artifacts of `plugins` with their own settings and
/// records each verdict. Returns the reports in order, and problems met
/// while recording. The caller holds the build directory lock.
fn verify_and_record(
    project: &Project,
    plugins: &[&PluginConfig],
    deny_warnings: bool,
    opt_level: Option<OptLevel>,
) -> Result<(Vec<Verified>, Vec<Diagnostic>), Diagnostic> {
    let runtime = verify::runtime(opt_level)?;
    let targets: Vec<_> = plugins
        .iter()
        .map(|p| verify::plugin_target(p, locate(project, p).wasm))
        .collect();
    let settings = VerifySettings {
        limits: verify::default_limits(),
        run_commands: false,
        deny_warnings,
    };
    let reports = verify::verify(&runtime, &targets, &settings);
    let mut verified = Vec::new();
    let mut problems = Vec::new();
    for ((report, target), plugin) in reports.into_iter().zip(&targets).zip(plugins) {
        let location = locate(project, plugin);
        let sha256 = std::fs::read(&location.wasm)
            .map(|bytes| artifact::sha256_hex(&bytes))
            .unwrap_or_default();
        let verification = Verification::of(&report, target);
        let updated = match artifact::record_verification(&location, &sha256, verification) {
            Ok(updated) => updated,
            Err(ds) => {
                problems.extend(ds);
                None
            }
        };
        verified.push((report, updated));
    }
    Ok((verified, problems))
}

/// The artifact `invoke -p` runs for `plugin`: built and verified first
/// when it is missing, stale or older than its sources; verified first
/// when it is current but its verification failed, never ran, or ran with
/// other verify settings. Refused when either fails, after the build's or
/// verify's own diagnostics; `no_verify` skips verification and runs what
/// was built.
pub fn plugin_artifact(
    project: &Project,
    plugin: &PluginConfig,
    no_verify: bool,
    shell: &Shell,
) -> Result<PathBuf, Diagnostics> {
    let lock = BuildDirLock::acquire(project, shell)?;
    let location = locate(project, plugin);
    let ArtifactState::Current(record) = location.state(plugin) else {
        let steps = BuildSteps {
            no_verify,
            ..BuildSteps::default()
        };
        let plugins = std::slice::from_ref(plugin);
        let status = build_and_verify_locked(project, plugins, steps, shell, &lock);
        if status != ExitStatus::Success {
            let d = refused(
                codes::BUILD_FAILED,
                plugin,
                "its build or verification failed",
            );
            return Err(d.into());
        }
        return Ok(location.wasm);
    };
    if no_verify {
        return Ok(location.wasm);
    }
    let target = verify::plugin_target(plugin, location.wasm.clone());
    if record.verification.vouches_for(&target) {
        return Ok(location.wasm);
    }
    shell.verbose(format_args!(
        "verifying `{}` before running it: its last verification {}",
        plugin.name(),
        record.verification.describe()
    ));
    let (verified, problems) = verify_and_record(project, &[plugin], false, None)?;
    shell.diagnostics(&problems);
    let reports: Vec<ArtifactReport> = verified.into_iter().map(|(r, _)| r).collect();
    verify::print_reports(shell, &reports, false);
    if reports.iter().any(|r| r.verdict == Verdict::Fail) {
        let d = refused(
            codes::UNVERIFIED_ARTIFACT,
            plugin,
            "its artifact failed verification",
        )
        .with_origin(wasmkit_core::display_path(&location.wasm))
        .with_help("`--no-verify` runs it anyway");
        return Err(d.into());
    }
    Ok(location.wasm)
}

fn refused(code: wasmkit_core::Code, plugin: &PluginConfig, why: &str) -> Diagnostic {
    Diagnostic::error(code, format!("cannot invoke `{}`: {why}", plugin.name()))
        .with_note("the errors are shown above")
}
