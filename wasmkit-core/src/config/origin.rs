//! Provenance: where a setting's value came from, and the place in a file
//! a diagnostic about it points at.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Label, SourceFile};

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
    pub(super) fn default_because(reason: impl Into<String>) -> Origin {
        Origin::Default {
            reason: Some(reason.into()),
        }
    }

    pub(super) const DEFAULT: Origin = Origin::Default { reason: None };
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
    pub(super) fn default(value: T) -> Resolved<T> {
        Resolved {
            value,
            origin: Origin::DEFAULT,
            location: None,
        }
    }

    pub(super) fn default_because(value: T, reason: impl Into<String>) -> Resolved<T> {
        Resolved {
            value,
            origin: Origin::default_because(reason),
            location: None,
        }
    }

    pub(super) fn from_flag(value: T, flag: impl Into<String>) -> Resolved<T> {
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
