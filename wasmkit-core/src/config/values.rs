//! The typed values of the enumerated keys (`COMPONENT`, `HOST`) and of the
//! tags and features a plugin is built with.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::origin::{Location, Origin};

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
    pub(super) const NAMES: &[&str] = &["none", "reactor", "command"];

    pub(super) fn parse(s: &str) -> Option<ComponentMode> {
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
    pub(super) const NAMES: &[&str] = &["wasmtime", "envoy", "higress"];

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
