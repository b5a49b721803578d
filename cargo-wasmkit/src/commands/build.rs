//! `cargo wasmkit build`: build every selected plugin with its own
//! settings, then verify what was built.

use clap::Args;
use wasmkit_build::BuildOptions;
use wasmkit_build::verify::{self, VerifySettings};
use wasmkit_core::workspace::Project;
use wasmkit_core::{ExitStatus, MessageFormat, PluginConfig, Shell};
use wasmkit_invoke::{Runtime, RuntimeOptions};

use super::CommandResult;
use super::verify::{report, verify_limits};
use crate::cli::CargoSelection;

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub selection: CargoSelection,
    /// Extra build tags for the selected plugins, comma-separated
    #[arg(long, value_name = "TAGS", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Do not verify the built artifacts
    #[arg(long)]
    pub no_verify: bool,
    /// Print each plugin's cargo command line, environment, and where each setting came from
    #[arg(long)]
    pub explain: bool,
    /// Make verification warnings fail the build
    #[arg(long)]
    pub deny_warnings: bool,
}

/// How `build_and_verify` runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildSteps {
    pub explain: bool,
    pub no_verify: bool,
    pub deny_warnings: bool,
}

impl BuildArgs {
    pub fn run(&self, shell: &Shell) -> CommandResult {
        let (project, selected) = self.selection.select(&self.tags)?;
        shell.diagnostics(&selected.warnings);
        let steps = BuildSteps {
            explain: self.explain,
            no_verify: self.no_verify,
            deny_warnings: self.deny_warnings,
        };
        Ok(build_and_verify(&project, &selected.plugins, steps, shell))
    }
}

/// Builds the plugins, prints their records (JSON) and diagnostics, then
/// verifies what was built unless told not to. A plugin that fails
/// verification fails the build.
pub fn build_and_verify(
    project: &Project,
    plugins: &[PluginConfig],
    steps: BuildSteps,
    shell: &Shell,
) -> ExitStatus {
    let options = BuildOptions {
        explain: steps.explain,
    };
    let outcome = wasmkit_build::build(project, plugins, &options, shell);
    if shell.format() == MessageFormat::Json {
        for built in &outcome.built {
            shell.json(&built.record.to_json());
        }
    }
    shell.diagnostics(&outcome.diagnostics);
    let status = outcome.exit_status();
    if steps.no_verify || outcome.built.is_empty() {
        return status;
    }
    let runtime = match Runtime::new(&RuntimeOptions::with_default_cache(false)) {
        Ok(r) => r,
        Err(d) => {
            shell.diagnostic(&d);
            return status.worst(d.exit_status());
        }
    };
    let targets: Vec<_> = outcome
        .built
        .iter()
        .map(|b| verify::plugin_target(&plugins[b.plugin], b.record.path.clone()))
        .collect();
    let settings = VerifySettings {
        limits: verify_limits(),
        run_commands: false,
        deny_warnings: steps.deny_warnings,
    };
    let reports = verify::verify(&runtime, &targets, &settings);
    status.worst(report(shell, &reports, steps.deny_warnings))
}
