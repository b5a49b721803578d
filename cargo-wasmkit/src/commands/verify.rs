//! `cargo wasmkit verify`: load artifacts in wasmtime and exercise them the
//! way their host will.

use std::path::PathBuf;

use clap::Args;
use wasmkit_core::{Diagnostic, Shell, codes};

use super::CommandResult;
use crate::cli::CargoSelection;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Files to verify (.wasm or .wat); without them, the selected plugins' built artifacts
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: CargoSelection,
    /// The host profile to check against
    #[arg(long, value_enum)]
    pub host: Option<HostArg>,
    /// Plugin configuration file (its bytes are passed to `proxy_on_configure`)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A WAVE call to make on the component, e.g. 'area(circle({radius: 1.0}))'
    #[arg(long = "invoke", value_name = "CALL")]
    pub invoke: Vec<String>,
    /// The WAVE value the matching --invoke must return
    #[arg(long = "expect", value_name = "VALUE")]
    pub expect: Vec<String>,
    /// Also run WASI command modules (`_start`)
    #[arg(long)]
    pub run: bool,
    /// Make warnings count as errors
    #[arg(long)]
    pub deny_warnings: bool,
}

/// `--host`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum HostArg {
    Wasmtime,
    Envoy,
    Higress,
}

impl VerifyArgs {
    pub fn run(&self, _shell: &Shell) -> CommandResult {
        Err(Diagnostic::error(codes::USAGE, "`verify` is not available yet").into())
    }
}
