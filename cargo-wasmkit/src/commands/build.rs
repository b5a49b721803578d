//! `cargo wasmkit build`: build every selected plugin with its own
//! settings, then verify what was built.

use clap::Args;
use wasmkit_build::{BuildSteps, build_and_verify};
use wasmkit_core::Shell;

use super::CommandResult;
use crate::cli::{CargoSelection, OptLevelArg};

#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
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
    /// How hard to optimise the code verification compiles [default: baseline]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub opt_level: Option<OptLevelArg>,
}

impl BuildArgs {
    pub(crate) fn run(&self, shell: &Shell) -> CommandResult {
        let (project, selected) = self.selection.select(&self.tags)?;
        shell.diagnostics(&selected.warnings);
        let steps = BuildSteps {
            explain: self.explain,
            no_verify: self.no_verify,
            deny_warnings: self.deny_warnings,
            opt_level: self.opt_level.map(Into::into),
        };
        Ok(build_and_verify(&project, &selected.plugins, steps, shell))
    }
}
