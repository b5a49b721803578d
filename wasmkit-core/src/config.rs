//! Resolving a plugin's settings from its layers, each value remembering
//! where it came from.
//!
//! Precedence, highest first: command-line flags, `.buildrc`,
//! `[package.metadata.wasmkit]`, `[workspace.metadata.wasmkit]`, built-in
//! defaults. The highest layer that sets a key decides its value; `--tags`
//! and `--features` add to the plugin's own tags and features.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::buildrc::Buildrc;
use crate::codes;
use crate::diagnostic::{Diagnostic, Diagnostics, Label, SourceFile};
use crate::keys::Key;
use crate::metadata::{MetadataTable, MetadataValue, TableKind};
use crate::plugin::PluginReason;

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Origin {
    /// A command-line flag.
    CommandLine {
        /// The flag, as typed.
        flag: String,
    },
    /// A line of the plugin's `.buildrc`.
    Buildrc {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column of the value.
        column: usize,
    },
    /// The plugin's `[package.metadata.wasmkit]`.
    PackageMetadata {
        /// The manifest.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// The workspace's `[workspace.metadata.wasmkit]`.
    WorkspaceMetadata {
        /// The manifest.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// The built-in default.
    Default {
        /// Why this default applies, where it depends on the package.
        reason: Option<String>,
    },
}

impl Origin {
    fn default_because(reason: impl Into<String>) -> Origin {
        Origin::Default {
            reason: Some(reason.into()),
        }
    }

    const DEFAULT: Origin = Origin::Default { reason: None };
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::CommandLine { flag } => write!(f, "command line `{flag}`"),
            Origin::Buildrc { path, line, column } => {
                write!(f, "{}:{line}:{column}", crate::display_path(path))
            }
            Origin::PackageMetadata { path, line } => write!(
                f,
                "{}:{line} [package.metadata.wasmkit]",
                crate::display_path(path)
            ),
            Origin::WorkspaceMetadata { path, line } => write!(
                f,
                "{}:{line} [workspace.metadata.wasmkit]",
                crate::display_path(path)
            ),
            Origin::Default { reason: None } => f.write_str("default"),
            Origin::Default {
                reason: Some(reason),
            } => write!(f, "default: {reason}"),
        }
    }
}

/// A place in a configuration file, for diagnostics about a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: Arc<SourceFile>,
    /// The value's bytes.
    pub span: Range<usize>,
}

impl Location {
    /// A primary label at this place.
    pub fn label(&self, message: impl Into<String>) -> Label {
        Label::primary(&self.file, self.span.clone(), message)
    }

    /// A primary label at `part` of the value (one item of a list), or at
    /// the whole value when `part` is not found in it.
    pub fn label_part(&self, part: &str, message: impl Into<String>) -> Label {
        let span = self
            .file
            .text
            .get(self.span.clone())
            .and_then(|value| value.find(part))
            .map_or(self.span.clone(), |at| {
                self.span.start + at..self.span.start + at + part.len()
            });
        Label::primary(&self.file, span, message)
    }
}

/// A resolved value and its provenance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
    /// Where it is written, when it comes from a file.
    pub location: Option<Location>,
}

impl<T> Resolved<T> {
    fn default(value: T) -> Resolved<T> {
        Resolved {
            value,
            origin: Origin::DEFAULT,
            location: None,
        }
    }

    fn default_because(value: T, reason: impl Into<String>) -> Resolved<T> {
        Resolved {
            value,
            origin: Origin::default_because(reason),
            location: None,
        }
    }

    fn from_flag(value: T, flag: impl Into<String>) -> Resolved<T> {
        Resolved {
            value,
            origin: Origin::CommandLine { flag: flag.into() },
            location: None,
        }
    }

    /// Adds the location's label to a diagnostic about this value, or names
    /// the origin when there is no file to point into.
    pub fn locate(&self, diagnostic: Diagnostic, label: impl Into<String>) -> Diagnostic {
        match &self.location {
            Some(loc) => diagnostic.with_label(loc.label(label)),
            None => diagnostic.with_note(format!("set by {}", self.origin)),
        }
    }
}

/// `COMPONENT`: whether and how to wrap a core module into a component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentMode {
    /// Leave the artifact as built.
    None,
    /// Wrap with the WASI preview1 reactor adapter (a library).
    Reactor,
    /// Wrap with the WASI preview1 command adapter (a program with `main`).
    Command,
}

impl ComponentMode {
    const NAMES: &[&str] = &["none", "reactor", "command"];

    fn parse(s: &str) -> Option<ComponentMode> {
        match s {
            "none" => Some(ComponentMode::None),
            "reactor" => Some(ComponentMode::Reactor),
            "command" => Some(ComponentMode::Command),
            _ => None,
        }
    }

    /// The spelling in `.buildrc`.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentMode::None => "none",
            ComponentMode::Reactor => "reactor",
            ComponentMode::Command => "command",
        }
    }
}

/// `HOST`: which host verify models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKind {
    /// wasmtime with WASI 0.2 (components) or preview1 (modules).
    Wasmtime,
    /// Upstream Envoy's proxy-wasm host.
    Envoy,
    /// The Higress gateway's proxy-wasm host.
    Higress,
}

impl HostKind {
    const NAMES: &[&str] = &["wasmtime", "envoy", "higress"];

    /// Parses `wasmtime`, `envoy` or `higress`.
    pub fn parse(s: &str) -> Option<HostKind> {
        match s {
            "wasmtime" => Some(HostKind::Wasmtime),
            "envoy" => Some(HostKind::Envoy),
            "higress" => Some(HostKind::Higress),
            _ => None,
        }
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Wasmtime => "wasmtime",
            HostKind::Envoy => "envoy",
            HostKind::Higress => "higress",
        }
    }
}

impl fmt::Display for HostKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a tag reaches the build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagUse {
    /// The plugin declares a cargo feature of that name.
    Feature,
    /// A `--cfg` for the plugin crate only.
    Cfg,
}

/// One build tag and how it is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    /// The tag.
    pub name: String,
    /// Feature or cfg.
    pub applied_as: TagUse,
    /// Where it came from.
    pub origin: Origin,
    /// Where it is written.
    pub location: Option<Location>,
}

/// One feature to enable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feature {
    /// The feature name (of the plugin's own package).
    pub name: String,
    /// Where it came from.
    pub origin: Origin,
}

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

    /// Every setting as (key, value as `.buildrc` would write it, origin),
    /// for `config` and `build --explain`.
    pub fn settings(&self) -> Vec<(Key, String, String)> {
        let list_origin = |origins: Vec<&Origin>| -> String {
            let mut uniq: Vec<String> = Vec::new();
            for o in origins {
                let s = o.to_string();
                if !uniq.contains(&s) {
                    uniq.push(s);
                }
            }
            if uniq.is_empty() {
                Origin::DEFAULT.to_string()
            } else {
                uniq.join("; ")
            }
        };
        Key::ALL
            .into_iter()
            .map(|key| {
                let (value, origin) = match key {
                    Key::ExtraTags => (
                        self.tags
                            .iter()
                            .map(|t| {
                                let how = match t.applied_as {
                                    TagUse::Feature => "feature",
                                    TagUse::Cfg => "cfg",
                                };
                                format!("{} ({how})", t.name)
                            })
                            .collect::<Vec<_>>()
                            .join(" "),
                        list_origin(self.tags.iter().map(|t| &t.origin).collect()),
                    ),
                    Key::Features => (
                        self.features
                            .iter()
                            .map(|f| f.name.clone())
                            .collect::<Vec<_>>()
                            .join(" "),
                        list_origin(self.features.iter().map(|f| &f.origin).collect()),
                    ),
                    Key::NoDefaultFeatures => (
                        self.no_default_features.value.to_string(),
                        self.no_default_features.origin.to_string(),
                    ),
                    Key::Target => (self.target.value.clone(), self.target.origin.to_string()),
                    Key::Profile => (self.profile.value.clone(), self.profile.origin.to_string()),
                    Key::Rustflags => (
                        self.rustflags.value.join(" "),
                        self.rustflags.origin.to_string(),
                    ),
                    Key::Component => (
                        self.component.value.as_str().to_string(),
                        self.component.origin.to_string(),
                    ),
                    Key::Host => (
                        self.host.value.map_or("auto", HostKind::as_str).to_string(),
                        self.host.origin.to_string(),
                    ),
                    Key::VerifyConfig => (
                        self.verify_config
                            .value
                            .as_deref()
                            .map(|p| crate::display_path(p).to_string())
                            .unwrap_or_default(),
                        self.verify_config.origin.to_string(),
                    ),
                    Key::VerifyInvoke => (
                        self.verify_invoke.value.join("; "),
                        self.verify_invoke.origin.to_string(),
                    ),
                    Key::VerifyExpect => (
                        self.verify_expect.value.join("; "),
                        self.verify_expect.origin.to_string(),
                    ),
                    Key::VerifyMocks => (
                        self.verify_mocks.value.join("; "),
                        self.verify_mocks.origin.to_string(),
                    ),
                    Key::VerifyHttp => (
                        self.verify_http.value.join("; "),
                        self.verify_http.origin.to_string(),
                    ),
                };
                (key, value, origin)
            })
            .collect()
    }

    /// The JSON object `config --message-format json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let origin_json = |o: &Origin| serde_json::to_value(o).unwrap_or_default();
        let resolved = |value: serde_json::Value, origin: &Origin| serde_json::json!({ "value": value, "origin": origin_json(origin) });
        let mut settings = serde_json::Map::new();
        settings.insert(
            Key::ExtraTags.buildrc_name().into(),
            serde_json::Value::Array(
                self.tags
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "value": t.name,
                            "applied-as": t.applied_as,
                            "origin": origin_json(&t.origin),
                        })
                    })
                    .collect(),
            ),
        );
        settings.insert(
            Key::Features.buildrc_name().into(),
            serde_json::Value::Array(
                self.features
                    .iter()
                    .map(|f| serde_json::json!({ "value": f.name, "origin": origin_json(&f.origin) }))
                    .collect(),
            ),
        );
        settings.insert(
            Key::NoDefaultFeatures.buildrc_name().into(),
            resolved(
                self.no_default_features.value.into(),
                &self.no_default_features.origin,
            ),
        );
        settings.insert(
            Key::Target.buildrc_name().into(),
            resolved(self.target.value.clone().into(), &self.target.origin),
        );
        settings.insert(
            Key::Profile.buildrc_name().into(),
            resolved(self.profile.value.clone().into(), &self.profile.origin),
        );
        settings.insert(
            Key::Rustflags.buildrc_name().into(),
            resolved(self.rustflags.value.clone().into(), &self.rustflags.origin),
        );
        settings.insert(
            Key::Component.buildrc_name().into(),
            resolved(self.component.value.as_str().into(), &self.component.origin),
        );
        settings.insert(
            Key::Host.buildrc_name().into(),
            resolved(
                self.host.value.map(HostKind::as_str).into(),
                &self.host.origin,
            ),
        );
        settings.insert(
            Key::VerifyConfig.buildrc_name().into(),
            resolved(
                self.verify_config
                    .value
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .into(),
                &self.verify_config.origin,
            ),
        );
        settings.insert(
            Key::VerifyInvoke.buildrc_name().into(),
            resolved(
                self.verify_invoke.value.clone().into(),
                &self.verify_invoke.origin,
            ),
        );
        settings.insert(
            Key::VerifyExpect.buildrc_name().into(),
            resolved(
                self.verify_expect.value.clone().into(),
                &self.verify_expect.origin,
            ),
        );
        settings.insert(
            Key::VerifyMocks.buildrc_name().into(),
            resolved(
                self.verify_mocks.value.clone().into(),
                &self.verify_mocks.origin,
            ),
        );
        settings.insert(
            Key::VerifyHttp.buildrc_name().into(),
            resolved(
                self.verify_http.value.clone().into(),
                &self.verify_http.origin,
            ),
        );
        serde_json::json!({
            "reason": "wasmkit-plugin-config",
            "package": self.package.name,
            "version": self.package.version.to_string(),
            "manifest_path": self.package.manifest_path,
            "plugin": serde_json::to_value(&self.reason).unwrap_or_default(),
            "buildrc": self.buildrc_path,
            "settings": settings,
        })
    }
}

/// Settings rows (name, value, origin) as aligned lines
/// `  NAME  value  origin`, for `config` and `build --explain`: an empty
/// value shows as `-`, and the value column is at most `max_width` wide.
pub fn settings_table<'a>(
    rows: impl IntoIterator<Item = (&'a str, String, String)>,
    max_width: usize,
) -> Vec<String> {
    let rows: Vec<(&str, String, String)> = rows
        .into_iter()
        .map(|(name, value, origin)| {
            let value = if value.is_empty() { "-".into() } else { value };
            (name, value, origin)
        })
        .collect();
    let width = rows
        .iter()
        .map(|(_, v, _)| v.chars().count())
        .max()
        .unwrap_or(1)
        .min(max_width);
    rows.into_iter()
        .map(|(name, value, origin)| format!("  {name:<19}  {value:<width$}  {origin}"))
        .collect()
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

/// Settings given on the command line, applied to every selected plugin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CliOverrides {
    /// `--tags` (each entry may hold several, comma-separated).
    pub tags: Vec<String>,
    /// `--features` (each entry may hold several; `pkg/feat` limits one to a package).
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// `--release`.
    pub release: bool,
    /// `--profile`.
    pub profile: Option<String>,
}

/// The layers of one plugin, highest precedence first (below the command line).
#[derive(Debug)]
pub struct Layers<'a> {
    /// The `.buildrc`.
    pub buildrc: Option<&'a Buildrc>,
    /// `[package.metadata.wasmkit]`.
    pub package: Option<&'a MetadataTable>,
    /// `[workspace.metadata.wasmkit]`.
    pub workspace: Option<&'a MetadataTable>,
}

enum Raw<'a> {
    Text(&'a str),
    List(&'a [String]),
    Bool(bool),
}

impl Layers<'_> {
    fn lookup(&self, key: Key) -> Option<(Raw<'_>, Origin, Location)> {
        if let Some(rc) = self.buildrc
            && let Some(entry) = rc.get(key)
        {
            let (line, column) = rc.file.line_column(entry.value_span.start);
            return Some((
                Raw::Text(&entry.value),
                Origin::Buildrc {
                    path: rc.path.clone(),
                    line,
                    column,
                },
                Location {
                    file: Arc::clone(&rc.file),
                    span: entry.value_span.clone(),
                },
            ));
        }
        for table in [self.package, self.workspace].into_iter().flatten() {
            if let Some(entry) = table.get(key) {
                let (line, _) = table.file.line_column(entry.span.start);
                let path = table.path.clone();
                let origin = match table.kind {
                    TableKind::Package => Origin::PackageMetadata { path, line },
                    TableKind::Workspace => Origin::WorkspaceMetadata { path, line },
                };
                let raw = match &entry.value {
                    MetadataValue::String(s) => Raw::Text(s),
                    MetadataValue::List(l) => Raw::List(l),
                    MetadataValue::Bool(b) => Raw::Bool(*b),
                };
                return Some((
                    raw,
                    origin,
                    Location {
                        file: Arc::clone(&table.file),
                        span: entry.span.clone(),
                    },
                ));
            }
        }
        None
    }
}

/// Resolves every setting of `package` from its layers and the command line.
pub fn resolve(
    package: &cargo_metadata::Package,
    reason: PluginReason,
    buildrc_path: Option<PathBuf>,
    layers: &Layers<'_>,
    cli: &CliOverrides,
) -> Result<PluginConfig, Diagnostics> {
    let mut errors = Vec::new();
    let plugin_dir = package
        .manifest_path
        .parent()
        .map_or_else(PathBuf::new, |p| p.as_std_path().to_path_buf());

    let mut resolver = Resolver {
        layers,
        errors: &mut errors,
    };

    // Lists.
    let tag_words = resolver.list(Key::ExtraTags, split_words);
    let feature_words = resolver.list(Key::Features, split_words);
    let rustflags = resolver
        .list(Key::Rustflags, |s| {
            s.split_whitespace().map(str::to_string).collect()
        })
        .unwrap_or_else(|| Resolved::default(Vec::new()));
    let verify_invoke = resolver
        .list(Key::VerifyInvoke, split_wave_list)
        .unwrap_or_else(|| Resolved::default(Vec::new()));
    let verify_expect = resolver
        .list(Key::VerifyExpect, split_wave_list)
        .unwrap_or_else(|| Resolved::default(Vec::new()));
    let verify_mocks = resolver
        .list(Key::VerifyMocks, split_wave_list)
        .unwrap_or_else(|| Resolved::default(Vec::new()));
    let verify_http = resolver
        .list(Key::VerifyHttp, crate::http_check::split_checks)
        .unwrap_or_else(|| Resolved::default(Vec::new()));

    // Scalars.
    let no_default_features = resolver
        .boolean(Key::NoDefaultFeatures)
        .unwrap_or_else(|| Resolved::default(false));
    let target = resolver
        .scalar(Key::Target, |s| {
            if s.starts_with("wasm32") || s.starts_with("wasm64") {
                Ok(s.to_string())
            } else {
                Err("a WebAssembly target such as `wasm32-wasip1` or `wasm32-wasip2`".to_string())
            }
        })
        .unwrap_or_else(|| {
            if let Some(bindings) = ["wit-bindgen", "wasip2"]
                .into_iter()
                .find(|name| depends_on(package, name))
            {
                Resolved::default_because(
                    "wasm32-wasip2".to_string(),
                    format!("the package depends on {bindings}"),
                )
            } else {
                Resolved::default("wasm32-wasip1".to_string())
            }
        });
    let profile_setting = resolver.scalar(Key::Profile, |s| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            Ok(s.to_string())
        } else {
            Err("a cargo profile name such as `dev` or `release`".to_string())
        }
    });
    let component = resolver
        .scalar(Key::Component, |s| {
            ComponentMode::parse(s).ok_or_else(|| one_of(ComponentMode::NAMES))
        })
        .unwrap_or_else(|| Resolved::default(ComponentMode::None));
    let host = resolver
        .scalar(Key::Host, |s| {
            HostKind::parse(s)
                .map(Some)
                .ok_or_else(|| one_of(HostKind::NAMES))
        })
        .unwrap_or_else(|| {
            Resolved::default_because(None, "envoy for proxy-wasm modules, wasmtime otherwise")
        });
    let host = host_for_kind(host, &target.value, component.value);
    let verify_config = resolver
        .scalar(Key::VerifyConfig, |s| {
            if s.is_empty() {
                Err("a file path, relative to the plugin directory".to_string())
            } else {
                Ok(Some(plugin_dir.join(s)))
            }
        })
        .unwrap_or_else(|| Resolved::default(None));

    // Command line on top.
    let profile = if let Some(p) = &cli.profile {
        Resolved::from_flag(p.clone(), format!("--profile {p}"))
    } else if cli.release {
        Resolved::from_flag("release".to_string(), "--release")
    } else {
        profile_setting.unwrap_or_else(|| Resolved::default("dev".to_string()))
    };
    let no_default_features = if cli.no_default_features {
        Resolved::from_flag(true, "--no-default-features")
    } else {
        no_default_features
    };
    let all_features = if cli.all_features {
        Resolved::from_flag(true, "--all-features")
    } else {
        Resolved::default(false)
    };

    let mut features: Vec<Feature> = Vec::new();
    if let Some(words) = feature_words {
        for name in words.value {
            push_feature(&mut features, name, &words.origin);
        }
    }
    for arg in &cli.features {
        for word in split_words(arg) {
            let name = match word.split_once('/') {
                Some((pkg, feat)) if pkg == package.name.as_str() => feat.to_string(),
                Some(_) => continue,
                None => word,
            };
            let origin = Origin::CommandLine {
                flag: format!("--features {arg}"),
            };
            push_feature(&mut features, name, &origin);
        }
    }

    let mut tags: Vec<Tag> = Vec::new();
    let mut tag_sources: Vec<(String, Origin, Option<Location>)> = Vec::new();
    if let Some(words) = tag_words {
        for name in words.value {
            tag_sources.push((name, words.origin.clone(), words.location.clone()));
        }
    }
    for arg in &cli.tags {
        for name in split_words(arg) {
            tag_sources.push((
                name,
                Origin::CommandLine {
                    flag: format!("--tags {arg}"),
                },
                None,
            ));
        }
    }
    for (name, origin, location) in tag_sources {
        if tags.iter().any(|t| t.name == name) {
            continue;
        }
        let applied_as = if package.features.contains_key(&name) {
            TagUse::Feature
        } else if is_cfg_name(&name) {
            TagUse::Cfg
        } else {
            let d = Diagnostic::error(
                codes::INVALID_TAG,
                format!(
                    "tag `{name}` of plugin `{}` is neither a feature of the package nor a valid cfg name",
                    package.name
                ),
            )
            .with_help(format!(
                "declare a feature `{name}` in `{}` or use a name of letters, digits and `_`",
                crate::display_path(package.manifest_path.as_std_path())
            ));
            errors.push(match &location {
                Some(loc) => d.with_label(loc.label("this tag")),
                None => d.with_note(format!("given by {origin}")),
            });
            continue;
        };
        tags.push(Tag {
            name,
            applied_as,
            origin,
            location,
        });
    }

    for check in &verify_http.value {
        if let Err(why) = crate::http_check::HttpCheck::parse(check) {
            let d = Diagnostic::error(
                codes::INVALID_VALUE,
                format!("invalid `VERIFY_HTTP` check `{check}`: {why}"),
            )
            .with_help(format!(
                "write `;`-separated checks, each {}",
                crate::http_check::HTTP_CHECK_FORM
            ));
            errors.push(match &verify_http.location {
                Some(loc) => d.with_label(loc.label_part(check, "this check")),
                None => d.with_note(format!("set by {}", verify_http.origin)),
            });
        }
    }

    if !verify_expect.value.is_empty() && verify_expect.value.len() != verify_invoke.value.len() {
        let d = Diagnostic::error(
            codes::EXPECTATION_INVALID,
            format!(
                "plugin `{}` has {} `VERIFY_INVOKE` call(s) but {} `VERIFY_EXPECT` value(s)",
                package.name,
                verify_invoke.value.len(),
                verify_expect.value.len()
            ),
        )
        .with_help("give one expected value per call, `;`-separated, in the same order");
        errors.push(verify_expect.locate(d, "these expected values"));
    }

    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    Ok(PluginConfig {
        package: package.clone(),
        reason,
        buildrc_path,
        tags,
        features,
        all_features,
        no_default_features,
        target,
        profile,
        rustflags,
        component,
        host,
        verify_config,
        verify_invoke,
        verify_expect,
        verify_mocks,
        verify_http,
    })
}

/// A `HOST` the workspace sets for everyone (its filters, typically) that
/// names a proxy-wasm host does not apply to a plugin that builds a
/// component, which no proxy-wasm host can load: the component is verified
/// against wasmtime, and the origin says why. Set on the plugin itself, the
/// same `HOST` stands, and verify reports the mismatch.
fn host_for_kind(
    host: Resolved<Option<HostKind>>,
    target: &str,
    component: ComponentMode,
) -> Resolved<Option<HostKind>> {
    let inherited = matches!(host.origin, Origin::WorkspaceMetadata { .. });
    let proxy_host = matches!(host.value, Some(HostKind::Envoy | HostKind::Higress));
    // wasm32-wasip2 links a component; COMPONENT wraps a module into one.
    let builds_component = target == "wasm32-wasip2" || component != ComponentMode::None;
    if !(inherited && proxy_host && builds_component) {
        return host;
    }
    let why = if component == ComponentMode::None {
        format!("`{target}` builds a component")
    } else {
        format!("`COMPONENT={}` makes a component", component.as_str())
    };
    Resolved::default_because(
        Some(HostKind::Wasmtime),
        format!(
            "{why}; `host = \"{}\"` ({}) is for proxy-wasm modules",
            host.value.map_or("", HostKind::as_str),
            host.origin
        ),
    )
}

fn push_feature(features: &mut Vec<Feature>, name: String, origin: &Origin) {
    if !features.iter().any(|f| f.name == name) {
        features.push(Feature {
            name,
            origin: origin.clone(),
        });
    }
}

fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    format!("one of {}", quoted.join(", "))
}

struct Resolver<'l, 'e> {
    layers: &'l Layers<'l>,
    errors: &'e mut Vec<Diagnostic>,
}

impl Resolver<'_, '_> {
    fn invalid(&mut self, key: Key, location: &Location, expected: &str, found: &str) {
        self.errors.push(
            Diagnostic::error(
                codes::INVALID_VALUE,
                format!("invalid value `{found}` for `{key}`"),
            )
            .with_label(location.label(format!("expected {expected}"))),
        );
    }

    fn list(
        &mut self,
        key: Key,
        split: impl Fn(&str) -> Vec<String>,
    ) -> Option<Resolved<Vec<String>>> {
        let (raw, origin, location) = self.layers.lookup(key)?;
        let value = match raw {
            Raw::Text(s) => split(s),
            Raw::List(items) => items
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Raw::Bool(b) => {
                self.invalid(key, &location, "a list", &b.to_string());
                return None;
            }
        };
        Some(Resolved {
            value,
            origin,
            location: Some(location),
        })
    }

    fn boolean(&mut self, key: Key) -> Option<Resolved<bool>> {
        let (raw, origin, location) = self.layers.lookup(key)?;
        let value = match raw {
            Raw::Bool(b) => b,
            Raw::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    self.invalid(key, &location, "`true` or `false`", s);
                    return None;
                }
            },
            Raw::List(_) => {
                self.invalid(key, &location, "`true` or `false`", "a list");
                return None;
            }
        };
        Some(Resolved {
            value,
            origin,
            location: Some(location),
        })
    }

    fn scalar<T>(
        &mut self,
        key: Key,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Resolved<T>> {
        let (raw, origin, location) = self.layers.lookup(key)?;
        let Raw::Text(text) = raw else {
            self.invalid(key, &location, "a string", "a list");
            return None;
        };
        let text = text.trim();
        match parse(text) {
            Ok(value) => Some(Resolved {
                value,
                origin,
                location: Some(location),
            }),
            Err(expected) => {
                self.invalid(key, &location, &expected, text);
                None
            }
        }
    }
}

/// Splits a tag or feature list: words separated by spaces or commas.
pub fn split_words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits a `;`-separated list of WAVE calls or values, leaving `;` inside
/// WAVE strings and chars alone.
pub fn split_wave_list(s: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                current.push(c);
                // Copy the literal through its closing quote, honouring escapes.
                while let Some(d) = chars.next() {
                    current.push(d);
                    if d == '\\' {
                        if let Some(e) = chars.next() {
                            current.push(e);
                        }
                    } else if d == c {
                        break;
                    }
                }
            }
            ';' => items.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    items.push(current);
    items
        .into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect()
}

/// Whether `name` can be a `--cfg` name (a Rust identifier).
pub fn is_cfg_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn depends_on(package: &cargo_metadata::Package, name: &str) -> bool {
    package
        .dependencies
        .iter()
        .any(|d| d.name == name && d.kind == cargo_metadata::DependencyKind::Normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_table_aligns_values_and_caps_the_column() {
        let row = |name, value: &str, origin: &str| (name, value.to_string(), origin.to_string());
        assert_eq!(
            settings_table(
                [
                    row("TARGET", "wasm32-wasip1", "default"),
                    row("RUSTFLAGS", "", "default"),
                    row("EXTRA_TAGS", &"t".repeat(30), ".buildrc:1"),
                ],
                20,
            ),
            vec![
                "  TARGET               wasm32-wasip1         default",
                "  RUSTFLAGS            -                     default",
                format!("  EXTRA_TAGS           {}  .buildrc:1", "t".repeat(30)).as_str(),
            ]
        );
    }

    #[test]
    fn wave_lists_split_outside_literals() {
        assert_eq!(
            split_wave_list(r#"greet("a;b"); area(circle({radius: 1.0})) ;  ; c(';')"#),
            vec![r#"greet("a;b")"#, "area(circle({radius: 1.0}))", "c(';')"]
        );
        assert_eq!(split_wave_list(r#"f("\";")"#), vec![r#"f("\";")"#]);
    }

    #[test]
    fn words_split_on_spaces_and_commas() {
        assert_eq!(split_words("a, b  c,d"), vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn cfg_names() {
        assert!(is_cfg_name("proxy_wasm_version_0_2_100"));
        assert!(!is_cfg_name("0abc"));
        assert!(!is_cfg_name("with-dash"));
        assert!(!is_cfg_name(""));
    }
}
