//! What to verify: the target for each file given on the command line and
//! for each selected plugin's artifact (with its `VERIFY_*` settings), and
//! the command-line options that replace those settings.

use std::path::PathBuf;

use wasmkit_core::workspace::Project;
use wasmkit_core::{
    Diagnostic, Diagnostics, HostKind, PluginConfig, SourceFile, codes, display_path,
};
use wasmkit_invoke::call::CallSource;

use super::{ExpectedCall, VerifyTarget, http};
use crate::artifact::locate;

/// `verify`'s command-line options that apply to files and, over their own
/// settings, to plugins: `--host`, `--config`, `--invoke`/`--expect`,
/// `--mock` (added to the plugin's) and `--http`.
#[derive(Clone, Debug, Default)]
pub struct VerifyOverrides {
    /// `--host`.
    pub host: Option<HostKind>,
    /// The bytes of `--config`.
    pub config: Option<Vec<u8>>,
    /// `--invoke` with its `--expect`.
    pub calls: Vec<ExpectedCall>,
    /// `--mock`.
    pub mocks: Vec<CallSource>,
    /// `--http`.
    pub http_checks: Vec<http::ExpectedStatus>,
    /// `--root-id`.
    pub root_id: Option<String>,
    /// `--vm-id`.
    pub vm_id: Option<String>,
}

impl VerifyOverrides {
    /// Reads the options as given: `--config` is read here, and there must
    /// be one `--expect` per `--invoke`, or none.
    pub fn parse(
        host: Option<HostKind>,
        config: Option<&std::path::Path>,
        invoke: &[String],
        expect: &[String],
        mock: &[String],
        http_checks: &[String],
    ) -> Result<VerifyOverrides, Diagnostics> {
        if !expect.is_empty() && expect.len() != invoke.len() {
            return Err(Diagnostic::error(
                codes::EXPECTATION_INVALID,
                format!(
                    "{} `--invoke` but {} `--expect`",
                    invoke.len(),
                    expect.len()
                ),
            )
            .with_help("give one `--expect` per `--invoke`, in the same order, or none")
            .into());
        }
        let config = match config {
            None => None,
            Some(path) => Some(std::fs::read(path).map_err(|e| Diagnostic::read_failed(path, &e))?),
        };
        let calls = invoke
            .iter()
            .enumerate()
            .map(|(i, call)| ExpectedCall {
                call: CallSource::argument(call),
                expect: expect.get(i).map(|e| CallSource::argument(e)),
            })
            .collect();
        let mocks = mock
            .iter()
            .map(|m| CallSource {
                file: SourceFile::new("<mock>", m.as_str()),
                span: 0..m.len(),
            })
            .collect();
        let http_checks = http_checks
            .iter()
            .map(|c| http::ExpectedStatus::argument(c))
            .collect::<Result<_, _>>()?;
        Ok(VerifyOverrides {
            host,
            config,
            calls,
            mocks,
            http_checks,
            root_id: None,
            vm_id: None,
        })
    }

    /// The targets for files given on the command line.
    pub fn file_targets(&self, files: &[PathBuf]) -> Vec<VerifyTarget> {
        files
            .iter()
            .map(|path| VerifyTarget {
                host: self.host,
                config: self.config.clone(),
                calls: self.calls.clone(),
                mocks: self.mocks.clone(),
                http_checks: self.http_checks.clone(),
                root_id: self.root_id.clone().unwrap_or_default(),
                vm_id: self.vm_id.clone().unwrap_or_default(),
                ..VerifyTarget::new(display_path(path), path.clone())
            })
            .collect()
    }

    /// The targets for the plugins' current artifacts, with these options
    /// over their settings. A plugin without a current artifact is
    /// reported (the second list), not verified.
    pub fn plugin_targets(
        &self,
        project: &Project,
        plugins: &[PluginConfig],
    ) -> (Vec<VerifyTarget>, Vec<Diagnostic>) {
        let mut targets = Vec::new();
        let mut unavailable = Vec::new();
        for plugin in plugins {
            let location = locate(project, plugin);
            match location.state(plugin).into_current(plugin, &location) {
                Ok(_) => targets.push(self.apply(plugin_target(plugin, location.wasm.clone()))),
                Err(ds) => unavailable.extend(ds),
            }
        }
        (targets, unavailable)
    }

    fn apply(&self, mut target: VerifyTarget) -> VerifyTarget {
        if let Some(host) = self.host {
            target.host = Some(host);
        }
        if self.config.is_some() {
            target.config.clone_from(&self.config);
            target.problems.clear();
        }
        if !self.calls.is_empty() {
            target.calls.clone_from(&self.calls);
        }
        target.mocks.extend(self.mocks.iter().cloned());
        if !self.http_checks.is_empty() {
            target.http_checks.clone_from(&self.http_checks);
        }
        if let Some(id) = &self.root_id {
            target.root_id.clone_from(id);
        }
        if let Some(id) = &self.vm_id {
            target.vm_id.clone_from(id);
        }
        target
    }
}

/// The target for a plugin's built artifact, with its resolved `HOST`,
/// `VERIFY_CONFIG`, `VERIFY_INVOKE`, `VERIFY_EXPECT`, `VERIFY_MOCKS` and
/// `VERIFY_HTTP`. Calls and
/// expected values are placed at their line of the file that set them, so
/// diagnostics about them point there.
pub fn plugin_target(plugin: &wasmkit_core::PluginConfig, artifact: PathBuf) -> VerifyTarget {
    let mut target = VerifyTarget::new(plugin.name(), artifact);
    target.host = plugin.host.value;
    target.proxy_kind = plugin.proxy_kind.value;
    target.root_id.clone_from(&plugin.root_id.value);
    target.vm_id.clone_from(&plugin.vm_id.value);
    if let Some(path) = &plugin.verify_config.value {
        match std::fs::read(path) {
            Ok(bytes) => target.config = Some(bytes),
            Err(e) => {
                let d = Diagnostic::read_failed(std::path::Path::new(&display_path(path)), &e)
                    .with_help("`VERIFY_CONFIG` is a path relative to the plugin's directory");
                target.problems.push(
                    plugin
                        .verify_config
                        .locate(d, "the plugin configuration file"),
                );
            }
        }
    }
    let sources = |setting: &wasmkit_core::config::Resolved<Vec<String>>| -> Vec<CallSource> {
        let (path, line) = match &setting.location {
            Some(loc) => (
                loc.file.path.clone(),
                loc.file.line_column(loc.span.start).0,
            ),
            None => (PathBuf::from(setting.origin.to_string()), 1),
        };
        setting
            .value
            .iter()
            .map(|text| {
                let file = wasmkit_core::SourceFile::starting_at_line(&path, text.as_str(), line);
                CallSource::within(&file, 0..text.len())
            })
            .collect()
    };
    let calls = sources(&plugin.verify_invoke);
    let mut expects = sources(&plugin.verify_expect).into_iter();
    target.calls = calls
        .into_iter()
        .map(|call| ExpectedCall {
            call,
            expect: expects.next(),
        })
        .collect();
    target.mocks = sources(&plugin.verify_mocks);
    // Resolution checked every `VERIFY_HTTP` check already.
    target.http_checks = http_check_sources(&plugin.verify_http)
        .unwrap_or_else(|| sources(&plugin.verify_http))
        .into_iter()
        .filter_map(|source| {
            wasmkit_core::http_check::HttpCheck::parse(source.text())
                .ok()
                .map(|check| http::ExpectedStatus { check, source })
        })
        .collect();
    target
}

/// Each `VERIFY_HTTP` check where it stands in the file that set it, so
/// that a failure points at the check itself; `None` when one of them
/// cannot be found there.
fn http_check_sources(
    setting: &wasmkit_core::config::Resolved<Vec<String>>,
) -> Option<Vec<CallSource>> {
    let location = setting.location.as_ref()?;
    let mut from = location.span.start;
    setting
        .value
        .iter()
        .map(|check| {
            let rest = location.file.text.get(from..location.span.end)?;
            let start = from + rest.find(check.as_str())?;
            from = start + check.len();
            Some(CallSource::within(&location.file, start..from))
        })
        .collect()
}
