//! `cargo wasmkit verify`: load artifacts in wasmtime and exercise them the
//! way their host will.

use std::path::PathBuf;

use clap::Args;
use wasmkit_build::artifact::locate;
use wasmkit_build::verify::http::ExpectedStatus;
use wasmkit_build::verify::{self, ExpectedCall, VerifySettings, VerifyTarget};
use wasmkit_core::{Diagnostic, Diagnostics, HostKind, Shell, codes};
use wasmkit_invoke::call::CallSource;
use wasmkit_invoke::{Runtime, RuntimeOptions};

use super::CommandResult;
use crate::cli::CargoSelection;

#[derive(Debug, Args)]
pub struct VerifyArgs {
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
    pub fn run(&self, shell: &Shell) -> CommandResult {
        let settings = VerifySettings {
            limits: verify::default_limits(),
            run_commands: self.run,
            deny_warnings: self.deny_warnings,
        };
        let (targets, unavailable) = if self.files.is_empty() {
            self.plugin_targets()?
        } else {
            (self.file_targets()?, Vec::new())
        };
        let runtime = Runtime::new(&RuntimeOptions::with_default_cache(false))?;
        let reports = verify::verify(&runtime, &targets, &settings);
        let status = verify::print_reports(shell, &reports, self.deny_warnings);
        shell.diagnostics(&unavailable);
        let unavailable = Diagnostics(unavailable).exit_status();
        Ok(status.worst(unavailable))
    }

    /// `--config`, `--invoke` and `--expect`, which apply to files and, over
    /// their own settings, to plugins.
    fn overrides(&self) -> Result<(Option<Vec<u8>>, Vec<ExpectedCall>), Diagnostics> {
        if !self.expect.is_empty() && self.expect.len() != self.invoke.len() {
            return Err(Diagnostic::error(
                codes::EXPECTATION_INVALID,
                format!(
                    "{} `--invoke` but {} `--expect`",
                    self.invoke.len(),
                    self.expect.len()
                ),
            )
            .with_help("give one `--expect` per `--invoke`, in the same order, or none")
            .into());
        }
        let config = match &self.config {
            None => None,
            Some(path) => Some(std::fs::read(path).map_err(|e| Diagnostic::read_failed(path, &e))?),
        };
        let calls: Vec<ExpectedCall> = self
            .invoke
            .iter()
            .enumerate()
            .map(|(i, call)| ExpectedCall {
                call: CallSource::argument(call),
                expect: self.expect.get(i).map(|e| CallSource::argument(e)),
            })
            .collect();
        Ok((config, calls))
    }

    fn mocks(&self) -> Vec<CallSource> {
        self.mock
            .iter()
            .map(|m| CallSource {
                file: wasmkit_core::SourceFile::new("<mock>", m.as_str()),
                span: 0..m.len(),
            })
            .collect()
    }

    /// `--http`, which replaces a plugin's `VERIFY_HTTP`.
    fn http_checks(&self) -> Result<Vec<ExpectedStatus>, Diagnostics> {
        Ok(self
            .http
            .iter()
            .map(|c| ExpectedStatus::argument(c))
            .collect::<Result<_, _>>()?)
    }

    fn file_targets(&self) -> Result<Vec<VerifyTarget>, Diagnostics> {
        let (config, calls) = self.overrides()?;
        let http_checks = self.http_checks()?;
        Ok(self
            .files
            .iter()
            .map(|path| VerifyTarget {
                host: self.host.map(HostKind::from),
                config: config.clone(),
                calls: calls.clone(),
                mocks: self.mocks(),
                http_checks: http_checks.clone(),
                ..VerifyTarget::new(wasmkit_core::display_path(path), path.clone())
            })
            .collect())
    }

    /// The selected plugins' artifacts. A plugin without a current artifact
    /// is reported, not verified.
    fn plugin_targets(&self) -> Result<(Vec<VerifyTarget>, Vec<Diagnostic>), Diagnostics> {
        let (config, calls) = self.overrides()?;
        let http_checks = self.http_checks()?;
        let (project, selected) = self.selection.select(&[])?;
        let mut targets = Vec::new();
        let mut unavailable = selected.warnings;
        for plugin in &selected.plugins {
            let location = locate(&project, plugin);
            match location.state(plugin).into_current(plugin, &location) {
                Ok(_) => {
                    let mut target = verify::plugin_target(plugin, location.wasm.clone());
                    if let Some(host) = self.host {
                        target.host = Some(host.into());
                    }
                    if config.is_some() {
                        target.config.clone_from(&config);
                        target.problems.clear();
                    }
                    if !calls.is_empty() {
                        target.calls.clone_from(&calls);
                    }
                    target.mocks.extend(self.mocks());
                    if !http_checks.is_empty() {
                        target.http_checks.clone_from(&http_checks);
                    }
                    targets.push(target);
                }
                Err(ds) => unavailable.extend(ds),
            }
        }
        Ok((targets, unavailable))
    }
}
