//! The fully resolved settings of one plugin.

use std::path::{Path, PathBuf};

use crate::plugin::PluginReason;
use crate::proxy_kind::ProxyKind;

use super::origin::Resolved;
use super::values::{ComponentMode, Feature, HostKind, Tag};

/// The fully resolved settings of one plugin.
#[derive(Clone, Debug)]
pub struct PluginConfig {
    /// The package, as cargo describes it.
    pub package: cargo_metadata::Package,
    /// Why it is a plugin.
    pub reason: PluginReason,
    /// The `.buildrc`, if there is one.
    pub buildrc_path: Option<PathBuf>,
    /// `EXTRA_TAGS` plus `--tags`.
    pub tags: Vec<Tag>,
    /// `FEATURES` plus `--features`.
    pub features: Vec<Feature>,
    /// `--all-features`.
    pub all_features: Resolved<bool>,
    /// `NO_DEFAULT_FEATURES` or `--no-default-features`.
    pub no_default_features: Resolved<bool>,
    /// `TARGET`.
    pub target: Resolved<String>,
    /// `PROFILE`, `--release` or `--profile`.
    pub profile: Resolved<String>,
    /// `RUSTFLAGS`.
    pub rustflags: Resolved<Vec<String>>,
    /// `COMPONENT`.
    pub component: Resolved<ComponentMode>,
    /// `HOST`; `None` means "by artifact kind" (envoy for proxy-wasm, wasmtime otherwise).
    pub host: Resolved<Option<HostKind>>,
    /// `PROXY_KIND`: how a proxy-wasm host uses the plugin.
    pub proxy_kind: Resolved<ProxyKind>,
    /// `ROOT_ID`: the root id a proxy-wasm host configures the plugin with.
    pub root_id: Resolved<String>,
    /// `VM_ID`: the proxy-wasm VM id.
    pub vm_id: Resolved<String>,
    /// `VERIFY_CONFIG`, resolved against the plugin directory.
    pub verify_config: Resolved<Option<PathBuf>>,
    /// `VERIFY_INVOKE`.
    pub verify_invoke: Resolved<Vec<String>>,
    /// `VERIFY_EXPECT`.
    pub verify_expect: Resolved<Vec<String>>,
    /// `VERIFY_MOCKS`: `NAME=VALUE` items.
    pub verify_mocks: Resolved<Vec<String>>,
    /// `VERIFY_HTTP`: checks, each valid `METHOD PATH -> STATUS`.
    pub verify_http: Resolved<Vec<String>>,
}

impl PluginConfig {
    /// The package name.
    pub fn name(&self) -> &str {
        &self.package.name
    }

    /// The directory holding the plugin's `Cargo.toml`.
    pub fn dir(&self) -> &Path {
        self.package
            .manifest_path
            .parent()
            .map_or(Path::new("."), |p| p.as_std_path())
    }

    /// The directory cargo uses for the profile (`dev` builds into `debug`).
    pub fn profile_dir(&self) -> &str {
        profile_dir_name(&self.profile.value)
    }
}

/// Cargo's directory name for a profile: `dev` and `test` build into
/// `debug`, `release` and `bench` into `release`, others into their name.
pub fn profile_dir_name(profile: &str) -> &str {
    match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    }
}
