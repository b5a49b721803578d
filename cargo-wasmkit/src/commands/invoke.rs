//! `cargo wasmkit invoke`: call a component's functions with WAVE arguments.

use std::path::PathBuf;

use clap::Args;
use wasmkit_core::{Diagnostic, Shell, codes};

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
    /// List every callable export with its WIT signature
    #[arg(long)]
    pub list: bool,
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
    /// Stop a call that runs longer than this (e.g. 500ms, 10s)
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Stop a call after this much fuel (wasm instructions, roughly)
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Cap on the guest's linear memory (e.g. 64MiB)
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<String>,
    /// Do not read or write the compile cache
    #[arg(long)]
    pub no_cache: bool,
    #[command(flatten, next_help_heading = "Compilation Options")]
    pub profile: ProfileArgs,
    #[command(flatten, next_help_heading = "Manifest Options")]
    pub manifest: ManifestArgs,
}

impl InvokeArgs {
    pub fn run(&self, _shell: &Shell) -> CommandResult {
        Err(Diagnostic::error(codes::USAGE, "`invoke` is not available yet").into())
    }
}
