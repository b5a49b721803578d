//! Built artifacts and their records: where a plugin's `.wasm` is, what it
//! was built with, and whether it is current.
//!
//! Each plugin's artifact is `<target-dir>/wasmkit/<profile-dir>/<package>.wasm`
//! (the same path for every target triple), with a JSON [`ArtifactRecord`]
//! beside it (`<package>.json`). Both are written atomically (a temporary
//! file in the same directory, then a rename). Before a build, the records
//! of the plugins it builds are marked stale; only a successful build writes
//! a fresh record. So a failed or interrupted build leaves the previous
//! artifact intact and its record stale, never an artifact that looks
//! current.
//!
//! The record also says whether the artifact passed verification, and
//! against which host ([`Verification`]): a build writes it once verify
//! has run, so that `invoke -p` runs only what passed.
//!
//! `invoke -p` and `verify` find artifacts with [`locate`] and decide
//! whether to trust them with [`ArtifactLocation::state`] or
//! [`is_up_to_date`].

mod kind;
mod state;
mod verification;

pub use kind::ArtifactKind;
pub use state::{ArtifactState, is_up_to_date};
pub use verification::{Verification, VerificationResult};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use wasmkit_core::config::{ComponentMode, TagUse};
use wasmkit_core::fs::{self, AtomicWrite};
use wasmkit_core::workspace::Project;
use wasmkit_core::{Diagnostic, Diagnostics, PluginConfig, codes};

/// The `reason` of a record in JSON output, next to cargo's own messages.
pub const RECORD_REASON: &str = "wasmkit-artifact";

/// The version of the tool that writes records: the component adapters,
/// and so wrapped artifacts, come with it.
const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where a plugin's artifact and its record are (whether or not they exist).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactLocation {
    /// `<target-dir>/wasmkit/<profile-dir>/<package>.wasm`.
    pub wasm: PathBuf,
    /// `<target-dir>/wasmkit/<profile-dir>/<package>.json`.
    pub record: PathBuf,
}

/// Where `plugin`'s artifact is in `project`, for its resolved profile.
pub fn locate(project: &Project, plugin: &PluginConfig) -> ArtifactLocation {
    location_in(project.target_dir(), plugin)
}

/// Where `plugin`'s artifact is below cargo's target directory `target_dir`.
pub fn location_in(target_dir: &Path, plugin: &PluginConfig) -> ArtifactLocation {
    let dir = target_dir.join("wasmkit").join(plugin.profile_dir());
    ArtifactLocation {
        wasm: dir.join(format!("{}.wasm", plugin.name())),
        record: dir.join(format!("{}.json", plugin.name())),
    }
}

/// Whether the record describes the artifact of the last successful build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactStatus {
    /// The last build of the plugin succeeded and wrote this artifact.
    Fresh,
    /// A build started after this artifact was written, and did not succeed
    /// (it failed, or was interrupted).
    Stale,
}

/// The component wrapping applied after cargo (`COMPONENT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentWrap {
    /// None: the artifact is what cargo built.
    None,
    /// Wrapped with the WASI preview1 reactor adapter.
    Reactor,
    /// Wrapped with the WASI preview1 command adapter.
    Command,
}

impl From<ComponentMode> for ComponentWrap {
    fn from(mode: ComponentMode) -> Self {
        match mode {
            ComponentMode::None => ComponentWrap::None,
            ComponentMode::Reactor => ComponentWrap::Reactor,
            ComponentMode::Command => ComponentWrap::Command,
        }
    }
}

/// How a tag reached the build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagApplied {
    /// As the plugin's cargo feature of that name.
    Feature,
    /// As `--cfg` for the plugin crate only.
    Cfg,
}

impl From<TagUse> for TagApplied {
    fn from(use_: TagUse) -> Self {
        match use_ {
            TagUse::Feature => TagApplied::Feature,
            TagUse::Cfg => TagApplied::Cfg,
        }
    }
}

/// A tag of the build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRecord {
    /// The tag.
    pub name: String,
    /// Feature or cfg.
    pub applied_as: TagApplied,
    /// Where it came from, as `config --message-format json` shows origins.
    pub origin: serde_json::Value,
}

/// A feature enabled for the build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureRecord {
    /// The feature of the plugin's package.
    pub name: String,
    /// Where it came from.
    pub origin: serde_json::Value,
}

/// What a build produced, and with which settings. Stored as JSON beside
/// the artifact and printed by `build --message-format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRecord {
    /// The package.
    pub package: String,
    /// Its version.
    pub version: String,
    /// Its manifest.
    pub manifest_path: PathBuf,
    /// The workspace root (its `Cargo.toml` and `Cargo.lock` are inputs too).
    pub workspace_root: PathBuf,
    /// The artifact.
    pub path: PathBuf,
    /// The file cargo produced, before copying (and wrapping).
    pub cargo_artifact: PathBuf,
    /// The target triple.
    pub target: String,
    /// The cargo profile.
    pub profile: String,
    /// Tags, and how each was applied.
    pub tags: Vec<TagRecord>,
    /// Features enabled (besides tags that are features).
    pub features: Vec<FeatureRecord>,
    /// Built with `--no-default-features`.
    pub no_default_features: bool,
    /// Built with `--all-features`.
    pub all_features: bool,
    /// The plugin's `RUSTFLAGS`.
    pub rustflags: Vec<String>,
    /// The component wrapping applied.
    pub component: ComponentWrap,
    /// Component or core module.
    pub kind: ArtifactKind,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the artifact, lower-case hex.
    pub sha256: String,
    /// Fresh, or stale after a build that did not succeed.
    pub status: ArtifactStatus,
    /// The cargo-wasmkit version that wrote the artifact.
    #[serde(default)]
    pub tool_version: String,
    /// `cargo_artifact` as it was when copied: when cargo leaves it as it
    /// is, the next build does not copy, wrap and hash it again.
    #[serde(default)]
    pub cargo_artifact_stamp: Option<FileStamp>,
    /// Whether the artifact passed verification, and against which host.
    #[serde(default)]
    pub verification: Verification,
}

/// A file's size and modification time, to tell whether it was rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, in nanoseconds since the Unix epoch.
    pub modified_ns: u64,
}

impl FileStamp {
    /// The stamp of the file at `path`, if it can be read.
    pub fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        let since_epoch = meta
            .modified()
            .ok()?
            .duration_since(SystemTime::UNIX_EPOCH)
            .ok()?;
        Some(FileStamp {
            size: meta.len(),
            modified_ns: u64::try_from(since_epoch.as_nanos()).ok()?,
        })
    }
}

/// What the artifact itself is, apart from the settings that made it.
#[derive(Clone, Debug)]
pub(crate) struct ArtifactFacts {
    pub(crate) kind: ArtifactKind,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) cargo_artifact_stamp: Option<FileStamp>,
    /// What verification said of these very bytes, if anything.
    pub(crate) verification: Verification,
}

impl ArtifactFacts {
    pub(crate) fn of(bytes: &[u8], cargo_artifact_stamp: Option<FileStamp>) -> ArtifactFacts {
        ArtifactFacts {
            kind: ArtifactKind::of(bytes),
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            cargo_artifact_stamp,
            verification: Verification::default(),
        }
    }

    /// Keeps `previous`'s verification when it was of the same bytes.
    pub(crate) fn verified_as(mut self, previous: Option<&ArtifactRecord>) -> ArtifactFacts {
        if let Some(previous) = previous.filter(|p| p.sha256 == self.sha256) {
            self.verification = previous.verification.clone();
        }
        self
    }
}

impl ArtifactRecord {
    /// A fresh record of `bytes` written to `location` for `plugin`.
    pub(crate) fn fresh(
        plugin: &PluginConfig,
        workspace_root: &Path,
        location: &ArtifactLocation,
        cargo_artifact: &Path,
        facts: ArtifactFacts,
    ) -> ArtifactRecord {
        let origin = |o| serde_json::to_value(o).unwrap_or_default();
        ArtifactRecord {
            package: plugin.name().to_string(),
            version: plugin.package.version.to_string(),
            manifest_path: plugin.package.manifest_path.clone().into_std_path_buf(),
            workspace_root: workspace_root.to_path_buf(),
            path: location.wasm.clone(),
            cargo_artifact: cargo_artifact.to_path_buf(),
            target: plugin.target.value.clone(),
            profile: plugin.profile.value.clone(),
            tags: plugin
                .tags
                .iter()
                .map(|t| TagRecord {
                    name: t.name.clone(),
                    applied_as: t.applied_as.into(),
                    origin: origin(&t.origin),
                })
                .collect(),
            features: plugin
                .features
                .iter()
                .map(|f| FeatureRecord {
                    name: f.name.clone(),
                    origin: origin(&f.origin),
                })
                .collect(),
            no_default_features: plugin.no_default_features.value,
            all_features: plugin.all_features.value,
            rustflags: plugin.rustflags.value.clone(),
            component: plugin.component.value.into(),
            kind: facts.kind,
            size: facts.size,
            sha256: facts.sha256,
            status: ArtifactStatus::Fresh,
            tool_version: TOOL_VERSION.to_string(),
            cargo_artifact_stamp: facts.cargo_artifact_stamp,
            verification: facts.verification,
        }
    }

    /// Whether the artifact this (previous) record describes is still what
    /// a build that produced `cargo_artifact` (with `stamp`) would write:
    /// the record was fresh, by this version, with the same settings, cargo
    /// left its output as it was, and the artifact is still there.
    pub(crate) fn still_describes(
        &self,
        plugin: &PluginConfig,
        location: &ArtifactLocation,
        cargo_artifact: &Path,
        stamp: Option<FileStamp>,
    ) -> bool {
        self.is_fresh()
            && self.tool_version == TOOL_VERSION
            && self.settings_mismatch(plugin).is_none()
            && self.path == location.wasm
            && self.cargo_artifact == cargo_artifact
            && stamp.is_some()
            && self.cargo_artifact_stamp == stamp
            && std::fs::metadata(&location.wasm).is_ok_and(|m| m.len() == self.size)
    }

    /// The facts of the artifact this record describes.
    pub(crate) fn facts(&self) -> ArtifactFacts {
        ArtifactFacts {
            kind: self.kind,
            size: self.size,
            sha256: self.sha256.clone(),
            cargo_artifact_stamp: self.cargo_artifact_stamp,
            verification: self.verification.clone(),
        }
    }

    /// Reads a record.
    pub fn read(path: &Path) -> Result<ArtifactRecord, Diagnostics> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Diagnostics::from(Diagnostic::read_failed(path, &e)))?;
        serde_json::from_str(&text).map_err(|e| {
            Diagnostic::error(
                codes::STALE_ARTIFACT,
                format!("the artifact record `{}` is unreadable", path.display()),
            )
            .with_note(e.to_string())
            .with_help("build the plugin again with `cargo wasmkit build`")
            .into()
        })
    }

    /// The record as one JSON object, with `"reason": "wasmkit-artifact"`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("reason".into(), RECORD_REASON.into());
        }
        value
    }

    /// Whether the last build of the plugin succeeded and wrote this artifact.
    pub fn is_fresh(&self) -> bool {
        self.status == ArtifactStatus::Fresh
    }

    /// The first build setting in which the record differs from what
    /// `plugin` resolves to now, if any.
    pub fn settings_mismatch(&self, plugin: &PluginConfig) -> Option<&'static str> {
        let mut tags_now: Vec<(String, TagApplied)> = plugin
            .tags
            .iter()
            .map(|t| (t.name.clone(), t.applied_as.into()))
            .collect();
        let mut tags_then: Vec<(String, TagApplied)> = self
            .tags
            .iter()
            .map(|t| (t.name.clone(), t.applied_as))
            .collect();
        tags_now.sort();
        tags_then.sort();
        let mut features_now: Vec<&str> = plugin.features.iter().map(|f| f.name.as_str()).collect();
        let mut features_then: Vec<&str> = self.features.iter().map(|f| f.name.as_str()).collect();
        features_now.sort_unstable();
        features_then.sort_unstable();
        if self.package != plugin.name() {
            Some("package")
        } else if self.target != plugin.target.value {
            Some("TARGET")
        } else if self.profile != plugin.profile.value {
            Some("PROFILE")
        } else if tags_now != tags_then {
            Some("EXTRA_TAGS")
        } else if features_now != features_then {
            Some("FEATURES")
        } else if self.no_default_features != plugin.no_default_features.value {
            Some("NO_DEFAULT_FEATURES")
        } else if self.all_features != plugin.all_features.value {
            Some("--all-features")
        } else if self.rustflags != plugin.rustflags.value {
            Some("RUSTFLAGS")
        } else if self.component != ComponentWrap::from(plugin.component.value) {
            Some("COMPONENT")
        } else {
            None
        }
    }

    /// Writes the record to `path` atomically.
    pub(crate) fn write(&self, path: &Path) -> Result<(), Diagnostics> {
        let mut text = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
        text.push('\n');
        write_atomically(path, text.as_bytes())
    }
}

/// Records `verification` in the record at `location`, if that record still
/// describes the artifact with `sha256` (the caller holds the build
/// directory lock, so it does unless the file was changed by hand).
pub(crate) fn record_verification(
    location: &ArtifactLocation,
    sha256: &str,
    verification: Verification,
) -> Result<Option<ArtifactRecord>, Diagnostics> {
    let Some(mut record) = location.read_record()? else {
        return Ok(None);
    };
    if record.sha256 != sha256 {
        return Ok(None);
    }
    record.verification = verification;
    record.write(&location.record)?;
    Ok(Some(record))
}

/// Marks the record at `location` stale, atomically, before a build, and
/// returns it as it was. A record that cannot be read is removed, so that
/// nothing looks current.
pub(crate) fn mark_stale(
    location: &ArtifactLocation,
) -> Result<Option<ArtifactRecord>, Diagnostics> {
    match location.read_record() {
        Ok(None) => Ok(None),
        Ok(Some(record)) => {
            if record.status != ArtifactStatus::Stale {
                let mut stale = record.clone();
                stale.status = ArtifactStatus::Stale;
                stale.write(&location.record)?;
            }
            Ok(Some(record))
        }
        Err(_) => {
            std::fs::remove_file(&location.record)
                .map_err(|e| write_failed(&location.record, &e))?;
            Ok(None)
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so that readers see the old file or the new one, never a
/// part. (No fsync: the guarantee wanted is against interrupted builds, not
/// power loss.)
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Diagnostics> {
    // Artifacts are ordinary build outputs, readable by everyone.
    let how = AtomicWrite::new().readable_by_all();
    fs::write_atomically(path, &how, |file| file.write_all(bytes))
        .map_err(|e| write_failed(path, &e))
}

pub(crate) fn write_failed(path: &Path, error: &std::io::Error) -> Diagnostics {
    Diagnostic::error(
        codes::WRITE_FAILED,
        format!(
            "cannot write `{}`: {error}",
            wasmkit_core::display_path(path)
        ),
    )
    .into()
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    fs::hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: ArtifactStatus) -> ArtifactRecord {
        ArtifactRecord {
            package: "p".into(),
            version: "0.1.0".into(),
            manifest_path: "/w/p/Cargo.toml".into(),
            workspace_root: "/w".into(),
            path: "/w/target/wasmkit/debug/p.wasm".into(),
            cargo_artifact: "/w/target/wasm32-wasip1/debug/p.wasm".into(),
            target: "wasm32-wasip1".into(),
            profile: "dev".into(),
            tags: vec![TagRecord {
                name: "t".into(),
                applied_as: TagApplied::Cfg,
                origin: serde_json::json!({"kind": "default", "reason": null}),
            }],
            features: Vec::new(),
            no_default_features: false,
            all_features: false,
            rustflags: Vec::new(),
            component: ComponentWrap::None,
            kind: ArtifactKind::CoreModule,
            size: 8,
            sha256: sha256_hex(b"\0asm\x01\0\0\0"),
            status,
            tool_version: TOOL_VERSION.into(),
            cargo_artifact_stamp: None,
            verification: Verification::default(),
        }
    }

    #[test]
    fn records_round_trip_and_mark_stale_atomically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let location = ArtifactLocation {
            wasm: dir.path().join("p.wasm"),
            record: dir.path().join("p.json"),
        };
        let fresh = record(ArtifactStatus::Fresh);
        fresh.write(&location.record).expect("write");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&location.record).expect("read"))
                .expect("json");
        assert_eq!(json["reason"], RECORD_REASON);
        assert_eq!(json["status"], "fresh");
        assert_eq!(json["kind"], "core-module");
        assert_eq!(json["tags"][0]["applied_as"], "cfg");
        assert_eq!(
            json["verification"],
            serde_json::json!({"result": "not-run", "host": null, "settings_sha256": null})
        );
        assert_eq!(ArtifactRecord::read(&location.record).expect("read"), fresh);

        let previous = mark_stale(&location).expect("mark");
        assert_eq!(previous, Some(fresh.clone()));
        let stale = ArtifactRecord::read(&location.record).expect("read");
        assert_eq!(stale.status, ArtifactStatus::Stale);
        assert_eq!(stale.sha256, fresh.sha256);
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("p.json")]);
    }

    #[test]
    fn unreadable_records_are_removed_when_marking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let location = ArtifactLocation {
            wasm: dir.path().join("p.wasm"),
            record: dir.path().join("p.json"),
        };
        std::fs::write(&location.record, "{ not json").expect("write");
        mark_stale(&location).expect("mark");
        assert!(!location.record.exists());
        assert_eq!(location.read_record(), Ok(None));
    }
}
