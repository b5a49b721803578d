//! What `invoke` runs: a file given first, or the built artifact of `-p`
//! (or of the current directory's plugin), built and verified first when
//! [`plugin_artifact`] says so.

use std::path::{Path, PathBuf};

use wasmkit_core::config::CliOverrides;
use wasmkit_core::workspace::{CargoOptions, PackageSelection, Project};
use wasmkit_core::{Diagnostic, Diagnostics, PluginConfig, Shell, codes};

use crate::pipeline::plugin_artifact;

/// The positionals and options that choose what `invoke` runs.
#[derive(Clone, Debug, Default)]
pub struct InvokeRequest<'a> {
    /// The positionals: a file then calls, or only calls.
    pub args: &'a [String],
    /// `-p`.
    pub package: Option<&'a str>,
    /// `--release`, `--profile`.
    pub overrides: CliOverrides,
    /// `--manifest-path`, `--locked`, ...
    pub cargo: CargoOptions,
    /// `--no-verify`: run what was built even if verification failed.
    pub no_verify: bool,
}

/// The artifact to invoke and the calls to make on it.
#[derive(Debug)]
pub struct InvokeTarget {
    /// The `.wasm` or `.wat` file.
    pub artifact: PathBuf,
    /// The calls given on the command line.
    pub calls: Vec<String>,
    /// With a plugin: its project and settings, to build it again.
    pub plugin: Option<(Project, PluginConfig)>,
}

impl InvokeRequest<'_> {
    /// Resolves the target. A first positional names a file when it exists
    /// or does not look like a call (it has no `(`); otherwise the plugin
    /// is the one `-p` names or the one the workspace selects, and several
    /// are refused with their names.
    pub fn resolve(&self, shell: &Shell) -> Result<InvokeTarget, Diagnostics> {
        if self.package.is_none()
            && let Some(first) = self.args.first()
            && (Path::new(first).exists() || !first.contains('('))
        {
            return Ok(InvokeTarget {
                artifact: PathBuf::from(first),
                calls: self.args[1..].to_vec(),
                plugin: None,
            });
        }
        let project = Project::load(&self.cargo)?;
        let selection = PackageSelection {
            packages: self.package.iter().map(ToString::to_string).collect(),
            ..PackageSelection::default()
        };
        let selected = project.select(&selection, &self.overrides)?;
        shell.diagnostics(&selected.warnings);
        let plugin = match selected.plugins.as_slice() {
            [one] => one,
            many => {
                let names: Vec<&str> = many.iter().map(PluginConfig::name).collect();
                return Err(Diagnostic::error(
                    codes::USAGE,
                    "which plugin? this workspace has several",
                )
                .with_note(format!("the plugins are: {}", names.join(", ")))
                .with_help("name one with `-p`, run inside its directory, or give a .wasm file")
                .into());
            }
        };
        let artifact = plugin_artifact(&project, plugin, self.no_verify, shell)?;
        let plugin = plugin.clone();
        Ok(InvokeTarget {
            artifact,
            calls: self.args.to_vec(),
            plugin: Some((project, plugin)),
        })
    }
}
