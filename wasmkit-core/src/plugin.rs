//! Which workspace members are plugins, and why.
//!
//! A member is a plugin when it has a `.buildrc` beside its `Cargo.toml`, a
//! `[package.metadata.wasmkit]` table, or a `cdylib` library target (what
//! every proxy-wasm filter and wit-bindgen component already has), unless
//! its metadata says `plugin = false`. `-p` also takes a package that only
//! has a `bin` target. The reason is shown by `config`.

use std::fmt;
use std::path::PathBuf;

use cargo_metadata::{Package, Target};
use serde::Serialize;

/// Why a package is a plugin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PluginReason {
    /// It has a `.buildrc` beside its `Cargo.toml`.
    Buildrc {
        /// The file.
        path: PathBuf,
    },
    /// Its `Cargo.toml` has a `[package.metadata.wasmkit]` table.
    MetadataTable {
        /// The manifest.
        path: PathBuf,
    },
    /// Its library target is a `cdylib`.
    CdylibTarget,
    /// It was named with `-p`, and has a `bin` target to build.
    NamedWithBin {
        /// The binary.
        bin: String,
    },
}

impl fmt::Display for PluginReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginReason::Buildrc { path } => {
                write!(f, "a `.buildrc` ({})", crate::display_path(path))
            }
            PluginReason::MetadataTable { path } => write!(
                f,
                "a `[package.metadata.wasmkit]` table ({})",
                crate::display_path(path)
            ),
            PluginReason::CdylibTarget => f.write_str("a cdylib library target"),
            PluginReason::NamedWithBin { bin } => {
                write!(f, "named with `-p`, and has the bin target `{bin}`")
            }
        }
    }
}

/// What a package is to wasmkit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Membership {
    /// A plugin, for this reason.
    Plugin(PluginReason),
    /// Its metadata says `plugin = false`.
    OptedOut,
    /// Not a plugin unless named with `-p` (only a `bin` target), or not
    /// one at all (no `cdylib` and no `bin`).
    Not,
}

/// Whether `package` is a plugin when the workspace's plugins are listed,
/// and why.
pub fn membership(package: &Package) -> Membership {
    let table = package.metadata.get("wasmkit");
    if table
        .and_then(|t| t.get("plugin"))
        .and_then(serde_json::Value::as_bool)
        == Some(false)
    {
        return Membership::OptedOut;
    }
    let buildrc = crate::workspace::buildrc_path(package);
    if buildrc.is_file() {
        return Membership::Plugin(PluginReason::Buildrc { path: buildrc });
    }
    if table.is_some_and(serde_json::Value::is_object) {
        return Membership::Plugin(PluginReason::MetadataTable {
            path: package.manifest_path.clone().into_std_path_buf(),
        });
    }
    if package.targets.iter().any(Target::is_cdylib) {
        return Membership::Plugin(PluginReason::CdylibTarget);
    }
    Membership::Not
}

/// The reason a package named with `-p` is a plugin: as when listed, or
/// its `bin` target (the one named like the package, else the first).
pub fn named(package: &Package) -> Option<PluginReason> {
    match membership(package) {
        Membership::Plugin(reason) => Some(reason),
        Membership::OptedOut => None,
        Membership::Not => {
            let bins: Vec<&Target> = package.targets.iter().filter(|t| t.is_bin()).collect();
            let bin = bins
                .iter()
                .find(|t| t.name == package.name.as_str())
                .or(bins.first())?;
            Some(PluginReason::NamedWithBin {
                bin: bin.name.clone(),
            })
        }
    }
}
