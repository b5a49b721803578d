//! The layers a plugin's settings come from, and reading one key from the
//! highest layer that sets it, as a list, a boolean or a parsed scalar.

use std::sync::Arc;

use crate::buildrc::Buildrc;
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::keys::Key;
use crate::metadata::{MetadataTable, MetadataValue, TableKind};

use super::origin::{Location, Origin, Resolved};

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

pub(super) enum Raw<'a> {
    Text(&'a str),
    List(&'a [String]),
    Bool(bool),
}

impl Layers<'_> {
    pub(super) fn lookup(&self, key: Key) -> Option<(Raw<'_>, Origin, Location)> {
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

pub(super) struct Resolver<'l, 'e> {
    pub(super) layers: &'l Layers<'l>,
    pub(super) errors: &'e mut Vec<Diagnostic>,
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

    pub(super) fn list(
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

    pub(super) fn boolean(&mut self, key: Key) -> Option<Resolved<bool>> {
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

    pub(super) fn scalar<T>(
        &mut self,
        key: Key,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Resolved<T>> {
        let (raw, origin, location) = self.layers.lookup(key)?;
        let Raw::Text(text) = raw else {
            let found = match raw {
                Raw::Bool(b) => b.to_string(),
                _ => "a list".to_string(),
            };
            self.invalid(key, &location, "a string", &found);
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
