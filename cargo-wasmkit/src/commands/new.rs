//! `cargo wasmkit new`: create a plugin that builds, verifies and answers
//! `invoke` at once.

use std::path::PathBuf;

use clap::Args;
use wasmkit_core::{Diagnostic, Shell, codes};

use super::CommandResult;

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Where to create the plugin
    pub path: PathBuf,
    /// What kind of plugin
    #[arg(long, value_enum)]
    pub kind: KindArg,
    /// Package name (default: the directory name)
    #[arg(long)]
    pub name: Option<String>,
    /// Build tags to put in the plugin's .buildrc, comma-separated
    #[arg(long, value_name = "TAGS", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// The host the plugin targets (proxy-wasm)
    #[arg(long, value_enum)]
    pub host: Option<super::verify::HostArg>,
}

/// `--kind`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum KindArg {
    Component,
    ProxyWasm,
}

impl NewArgs {
    pub fn run(&self, _shell: &Shell) -> CommandResult {
        Err(Diagnostic::error(codes::USAGE, "`new` is not available yet").into())
    }
}
