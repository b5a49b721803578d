//! `cargo wasmkit verify`: load artifacts in wasmtime and exercise them the
//! way their host will.

use std::path::PathBuf;

use clap::Args;
use wasmkit_build::verify::{self, VerifyOverrides, VerifySettings};
use wasmkit_core::{Diagnostics, HostKind, Shell};

use super::CommandResult;
use crate::cli::{CargoSelection, OptLevelArg};

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Files to verify (.wasm or .wat); without them, the selected plugins' built artifacts
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub selection: CargoSelection,
    /// The host profile to check against (default: the plugin's HOST, else envoy for proxy-wasm modules and wasmtime otherwise)
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
    /// Mock an import of the component for the --invoke calls: NAME=VALUE (added to the plugin's VERIFY_MOCKS)
    #[arg(long = "mock", value_name = "NAME=VALUE")]
    pub mock: Vec<String>,
    /// A request to send to an HTTP component and the status it must get, e.g. 'GET /health -> 200'
    #[arg(long = "http", value_name = "METHOD PATH -> STATUS")]
    pub http: Vec<String>,
    /// The proxy-wasm root id the host configures the plugin with (over its ROOT_ID), as Envoy's `root_id`
    #[arg(long, value_name = "ID")]
    pub root_id: Option<String>,
    /// The proxy-wasm VM id (over the plugin's VM_ID), as Envoy's `vm_config.vm_id`
    #[arg(long, value_name = "ID")]
    pub vm_id: Option<String>,
    /// Also run WASI command modules (`_start`)
    #[arg(long)]
    pub run: bool,
    /// Make warnings count as errors
    #[arg(long)]
    pub deny_warnings: bool,
    /// How hard to optimise the code compiled for verification [default: baseline]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub opt_level: Option<OptLevelArg>,
}

/// `--host`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum HostArg {
    Wasmtime,
    Envoy,
    Higress,
}

impl From<HostArg> for HostKind {
    fn from(h: HostArg) -> HostKind {
        match h {
            HostArg::Wasmtime => HostKind::Wasmtime,
            HostArg::Envoy => HostKind::Envoy,
            HostArg::Higress => HostKind::Higress,
        }
    }
}

impl VerifyArgs {
    pub(crate) fn run(&self, shell: &Shell) -> CommandResult {
        let settings = VerifySettings {
            limits: verify::default_limits(),
            run_commands: self.run,
            deny_warnings: self.deny_warnings,
        };
        let overrides = VerifyOverrides::parse(
            self.host.map(HostKind::from),
            self.config.as_deref(),
            &self.invoke,
            &self.expect,
            &self.mock,
            &self.http,
        )?;
        let overrides = VerifyOverrides {
            root_id: self.root_id.clone(),
            vm_id: self.vm_id.clone(),
            ..overrides
        };
        let (targets, unavailable) = if self.files.is_empty() {
            let (project, selected) = self.selection.select(&[])?;
            let (targets, mut unavailable) = overrides.plugin_targets(&project, &selected.plugins);
            unavailable.splice(0..0, selected.warnings);
            (targets, unavailable)
        } else {
            (overrides.file_targets(&self.files), Vec::new())
        };
        let runtime = verify::runtime(self.opt_level.map(Into::into))?;
        let reports = verify::verify(&runtime, &targets, &settings);
        let status = verify::print_reports(shell, &reports, self.deny_warnings);
        shell.diagnostics(&unavailable);
        let unavailable = Diagnostics(unavailable).exit_status();
        Ok(status.worst(unavailable))
    }
}
