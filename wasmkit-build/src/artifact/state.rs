//! Whether a plugin's artifact can be used as it is: missing, stale after
//! a build that did not succeed, out of date against its sources or
//! settings, or current.

use std::path::Path;
use std::time::SystemTime;

use wasmkit_core::{Diagnostic, Diagnostics, PluginConfig, codes};

use super::{ArtifactLocation, ArtifactRecord};

/// What is known about a plugin's artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArtifactState {
    /// No artifact, or no record of how it was built.
    Missing,
    /// The last build of the plugin failed or was interrupted.
    Stale(ArtifactRecord),
    /// Built by a successful build, but its sources or settings changed since.
    Outdated {
        /// The record.
        record: ArtifactRecord,
        /// What changed.
        why: String,
    },
    /// Built by the last build, from the sources and settings as they are.
    Current(ArtifactRecord),
}

impl ArtifactState {
    /// The record when the artifact is current, else a diagnostic saying why
    /// it cannot be used (`missing-artifact` or `stale-artifact`) and how to
    /// rebuild it.
    pub fn into_current(
        self,
        plugin: &PluginConfig,
        location: &ArtifactLocation,
    ) -> Result<ArtifactRecord, Diagnostics> {
        let origin = wasmkit_core::display_path(&location.wasm);
        let help = format!("build it with `cargo wasmkit build -p {}`", plugin.name());
        let d = match self {
            ArtifactState::Current(record) => return Ok(record),
            ArtifactState::Missing => Diagnostic::error(
                codes::MISSING_ARTIFACT,
                format!("plugin `{}` has not been built", plugin.name()),
            ),
            ArtifactState::Stale(_) => Diagnostic::error(
                codes::STALE_ARTIFACT,
                format!(
                    "the artifact of plugin `{}` is stale: its last build failed or was interrupted",
                    plugin.name()
                ),
            ),
            ArtifactState::Outdated { why, .. } => Diagnostic::error(
                codes::STALE_ARTIFACT,
                format!(
                    "the artifact of plugin `{}` is out of date: {why}",
                    plugin.name()
                ),
            ),
        };
        Err(d.with_origin(origin).with_help(help).into())
    }
}

impl ArtifactLocation {
    /// The record, if there is one.
    pub fn read_record(&self) -> Result<Option<ArtifactRecord>, Diagnostics> {
        if !self.record.is_file() {
            return Ok(None);
        }
        ArtifactRecord::read(&self.record).map(Some)
    }

    /// Whether the artifact exists, was written by the last build of the
    /// plugin, and is newer than its sources with the same settings. An
    /// unreadable record counts as missing.
    pub fn state(&self, plugin: &PluginConfig) -> ArtifactState {
        let record = match self.read_record() {
            Ok(Some(record)) if self.wasm.is_file() => record,
            _ => return ArtifactState::Missing,
        };
        if !record.is_fresh() {
            return ArtifactState::Stale(record);
        }
        if let Some(setting) = record.settings_mismatch(plugin) {
            return ArtifactState::Outdated {
                why: format!("it was built with another `{setting}`"),
                record,
            };
        }
        if !artifact_newer_than_sources(plugin, &record) {
            return ArtifactState::Outdated {
                why: "its sources changed since it was built".to_string(),
                record,
            };
        }
        ArtifactState::Current(record)
    }
}

/// Whether `record` is fresh, matches `plugin`'s settings, and its artifact
/// is at least as new as the newest file of the package (below its
/// directory, skipping `target/` and hidden directories), its `.buildrc`,
/// and the workspace's `Cargo.toml` and `Cargo.lock`.
///
/// Path dependencies outside the package directory are not looked at;
/// cargo's own fingerprints cover them when the plugin is rebuilt.
pub fn is_up_to_date(plugin: &PluginConfig, record: &ArtifactRecord) -> bool {
    record.is_fresh()
        && record.settings_mismatch(plugin).is_none()
        && artifact_newer_than_sources(plugin, record)
}

fn artifact_newer_than_sources(plugin: &PluginConfig, record: &ArtifactRecord) -> bool {
    let Some(built) = modified(&record.path) else {
        return false;
    };
    let mut newest = newest_below(plugin.dir(), true);
    let inputs = [
        plugin.buildrc_path.clone(),
        Some(record.workspace_root.join("Cargo.toml")),
        Some(record.workspace_root.join("Cargo.lock")),
    ];
    for path in inputs.iter().flatten() {
        newest = newest.max(modified(path));
    }
    newest.is_none_or(|n| n <= built)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of the files below `dir`, skipping
/// `target/`, hidden directories and (at the plugin's top level) its
/// `scenarios/`: scenarios are read by `test`, not built into the artifact.
fn newest_below(dir: &Path, top: bool) -> Option<SystemTime> {
    let mut newest = None;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return None;
    };
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        if file_type.is_dir() {
            let hidden = name.to_string_lossy().starts_with('.');
            let scenarios = top && name == crate::test::SCENARIO_DIR;
            if name != "target" && !hidden && !scenarios {
                newest = newest.max(newest_below(&entry.path(), false));
            }
        } else {
            newest = newest.max(entry.metadata().and_then(|m| m.modified()).ok());
        }
    }
    newest
}
