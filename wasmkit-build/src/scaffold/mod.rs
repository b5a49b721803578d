//! Creating a plugin package: `cargo wasmkit new`.
//!
//! This module owns the package name rules ([`check_package_name`]), the
//! templates embedded in the binary, finding the workspace the package
//! joins (the way cargo finds it), the edit of the root manifest's
//! `members`, and writing all of it so that a failure leaves nothing behind.
//! [`create`] does the whole job and says what it did in a
//! [`CreatedPlugin`]; it prints nothing.
//!
//! All-or-nothing: everything is checked before anything is written; the
//! package is rendered into a temporary directory beside its destination
//! and renamed into place; the root manifest is replaced (temporary file,
//! rename) only after that, and a failure there removes the package again.

mod name;
mod place;
mod render;
mod workspace;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use wasmkit_core::config::is_cfg_name;
use wasmkit_core::{Diagnostic, Diagnostics, HostKind, codes, display_path};

use crate::plan::shell_quote;
use place::{Destination, PlacedPackage, replace_manifest};

pub use name::{
    InvalidName, NameProblem, check_package_name, lib_name, suggest_package_name, wit_name,
};

use render::TemplateInput;
use workspace::{MemberChange, Placement};

/// The kinds of plugin `new` creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluginKind {
    /// A wit-bindgen component for `wasm32-wasip2`.
    Component,
    /// A proxy-wasm SDK filter for `wasm32-wasip1`.
    ProxyWasm,
    /// A `wasi:http` handler on the `wasip2` crate, for `wasm32-wasip2`.
    Http,
}

impl PluginKind {
    /// The name `--kind` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Component => "component",
            PluginKind::ProxyWasm => "proxy-wasm",
            PluginKind::Http => "http",
        }
    }

    /// A WAVE call a new plugin of this kind answers, for `invoke`.
    pub fn sample_call(self) -> Option<&'static str> {
        match self {
            PluginKind::Component => Some(r#"greet("world")"#),
            PluginKind::ProxyWasm | PluginKind::Http => None,
        }
    }
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to create.
#[derive(Clone, Debug)]
pub struct NewPlugin {
    /// The package directory (relative to the current directory, or absolute).
    pub path: PathBuf,
    /// The kind of plugin.
    pub kind: PluginKind,
    /// The package name; the directory name when `None`.
    pub name: Option<String>,
    /// `EXTRA_TAGS` for the `.buildrc`; entries may hold several, comma- or
    /// space-separated.
    pub tags: Vec<String>,
    /// `HOST` for the `.buildrc` of a proxy-wasm plugin (default `envoy`).
    pub host: Option<HostKind>,
}

/// How the new package relates to a workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Membership {
    /// No workspace above it: the package is its own workspace.
    Standalone,
    /// Added to `members` of the workspace root manifest.
    Added {
        /// The root manifest.
        manifest: PathBuf,
        /// The new entry.
        member: String,
    },
    /// Already covered by a `members` glob; the root manifest is unchanged.
    CoveredByGlob {
        /// The root manifest.
        manifest: PathBuf,
        /// The package's path relative to the root.
        member: String,
        /// The glob that covers it.
        glob: String,
    },
}

/// What [`create`] made.
#[derive(Clone, Debug)]
pub struct CreatedPlugin {
    /// The package name.
    pub name: String,
    /// The kind of plugin.
    pub kind: PluginKind,
    /// The package directory (absolute).
    pub dir: PathBuf,
    /// The files written, relative to `dir`.
    pub files: Vec<PathBuf>,
    /// Its place in a workspace.
    pub membership: Membership,
}

/// A command to run next, and what it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextStep {
    /// What the command does, e.g. "build and verify it".
    pub purpose: &'static str,
    /// The command line, quoted for a POSIX shell.
    pub command: String,
}

impl CreatedPlugin {
    /// The directory cargo commands for the new package run in: the
    /// workspace root, or the package itself when it is standalone.
    pub fn workspace_root(&self) -> &Path {
        match &self.membership {
            Membership::Standalone => &self.dir,
            Membership::Added { manifest, .. } | Membership::CoveredByGlob { manifest, .. } => {
                manifest.parent().unwrap_or(&self.dir)
            }
        }
    }

    /// The commands that build, verify and call the new plugin, run from
    /// `cwd` (with a `cd` first when `cwd` is outside its workspace).
    pub fn next_steps(&self, cwd: &Path) -> Vec<NextStep> {
        let mut steps = Vec::new();
        let root = self.workspace_root();
        if !cwd.starts_with(root) {
            let shown = root
                .strip_prefix(cwd)
                .map_or_else(|_| root.to_path_buf(), Path::to_path_buf);
            steps.push(NextStep {
                purpose: "go to its workspace",
                command: format!("cd {}", shell_quote(&shown.to_string_lossy())),
            });
        }
        steps.push(NextStep {
            purpose: "build and verify it",
            command: format!("cargo wasmkit build -p {}", self.name),
        });
        if self.kind == PluginKind::Http {
            steps.push(NextStep {
                purpose: "send it a request",
                command: format!("cargo wasmkit invoke -p {} --http 'GET /'", self.name),
            });
        }
        if let Some(call) = self.kind.sample_call() {
            steps.push(NextStep {
                purpose: "call it",
                command: format!(
                    "cargo wasmkit invoke -p {} {}",
                    self.name,
                    shell_quote(call)
                ),
            });
        }
        steps.push(NextStep {
            purpose: "run its scenarios",
            command: format!("cargo wasmkit test -p {}", self.name),
        });
        steps
    }

    /// The JSON line `new --message-format json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let workspace = match &self.membership {
            Membership::Standalone => serde_json::json!({ "change": "standalone" }),
            Membership::Added { manifest, member } => serde_json::json!({
                "change": "added",
                "manifest": manifest,
                "member": member,
            }),
            Membership::CoveredByGlob {
                manifest,
                member,
                glob,
            } => serde_json::json!({
                "change": "covered",
                "manifest": manifest,
                "member": member,
                "glob": glob,
            }),
        };
        serde_json::json!({
            "reason": "wasmkit-new",
            "package": self.name,
            "kind": self.kind.as_str(),
            "path": self.dir,
            "files": self.files,
            "workspace": workspace,
        })
    }
}

/// Creates the plugin package, and adds it to its workspace's members.
pub fn create(request: &NewPlugin) -> Result<CreatedPlugin, Diagnostics> {
    let cwd = std::env::current_dir().map_err(|e| {
        Diagnostic::error(
            codes::READ_FAILED,
            format!("cannot read the current directory: {e}"),
        )
    })?;
    let dir = workspace::normalize(&cwd.join(&request.path));

    // Everything that can be checked is checked before anything is written.
    let name = package_name(request, &dir)?;
    let tags = check_tags(&request.tags)?;
    let host = check_host(request.kind, request.host)?;
    let placement = workspace::place(&dir)?;
    let destination = Destination::inspect(&dir)?;

    let (inherited_keys, inherit_lints) = match &placement {
        Placement::Standalone => (&[][..], false),
        Placement::Member(plan) => (&plan.inherited_keys[..], plan.inherit_lints),
    };
    let files = render::render(&TemplateInput {
        name: &name,
        kind: request.kind,
        host,
        tags: &tags,
        inherited_keys,
        inherit_lints,
    });

    let placed = PlacedPackage::write(&dir, destination, &files)?;
    let membership = match placement {
        Placement::Standalone => Membership::Standalone,
        Placement::Member(plan) => match plan.change {
            MemberChange::CoveredBy(glob) => Membership::CoveredByGlob {
                manifest: plan.manifest,
                member: plan.member,
                glob,
            },
            MemberChange::Add(edited) => {
                if let Err(d) = replace_manifest(&plan.manifest, &plan.text, &edited) {
                    let shown = display_path(&dir);
                    let note = match placed.destination {
                        Destination::Missing => {
                            format!("nothing was created: `{shown}` was removed again")
                        }
                        Destination::EmptyDir => {
                            format!("nothing was created: `{shown}` is empty again")
                        }
                    };
                    placed.remove();
                    return Err(d.with_note(note).into());
                }
                Membership::Added {
                    manifest: plan.manifest,
                    member: plan.member,
                }
            }
        },
    };
    Ok(CreatedPlugin {
        name,
        kind: request.kind,
        dir,
        files: files.into_iter().map(|(path, _)| path).collect(),
        membership,
    })
}

/// `--name`, or the directory name, checked like cargo checks it.
fn package_name(request: &NewPlugin, dir: &Path) -> Result<String, Diagnostic> {
    let (name, from_dir) = match &request.name {
        Some(name) => (name.clone(), false),
        None => match dir.file_name().and_then(OsStr::to_str) {
            Some(name) => (name.to_string(), true),
            None => {
                return Err(Diagnostic::error(
                    codes::NEW_REFUSED,
                    format!(
                        "cannot take a package name from the path `{}`",
                        display_path(dir)
                    ),
                )
                .with_help("give the package a name with `--name NAME`"));
            }
        },
    };
    check_package_name(&name).map_err(|invalid| {
        let mut d = Diagnostic::error(codes::NEW_REFUSED, invalid.to_string());
        if from_dir {
            d = d.with_note(format!(
                "the package is named after its directory, `{name}`, unless `--name` gives another name"
            ));
        }
        match suggest_package_name(&name) {
            Some(other) => d.with_help(format!("choose another name, for example `--name {other}`")),
            None => d.with_help("choose another name with `--name NAME`"),
        }
    })?;
    Ok(name)
}

/// The `--tags` entries, split and deduplicated. A new package declares no
/// features, so each tag will be a `--cfg` and must be a cfg name.
fn check_tags(tags: &[String]) -> Result<Vec<String>, Diagnostic> {
    let mut checked: Vec<String> = Vec::new();
    for tag in tags
        .iter()
        .flat_map(|t| t.split([',', ' ']))
        .filter(|t| !t.is_empty())
    {
        if !is_cfg_name(tag) {
            return Err(Diagnostic::error(
                codes::INVALID_TAG,
                format!("tag `{tag}` is not a valid cfg name"),
            )
            .with_help(
                "the new package declares no features, so each tag becomes a `--cfg`: letters, digits and `_`, not starting with a digit",
            ));
        }
        if !checked.iter().any(|t| t == tag) {
            checked.push(tag.to_string());
        }
    }
    Ok(checked)
}

/// The host the plugin's `.buildrc` names.
fn check_host(kind: PluginKind, host: Option<HostKind>) -> Result<HostKind, Diagnostic> {
    match (kind, host) {
        (PluginKind::Component | PluginKind::Http, None | Some(HostKind::Wasmtime)) => {
            Ok(HostKind::Wasmtime)
        }
        (PluginKind::ProxyWasm, None) => Ok(HostKind::Envoy),
        (PluginKind::ProxyWasm, Some(host @ (HostKind::Envoy | HostKind::Higress))) => Ok(host),
        (kind, Some(host)) => Err(Diagnostic::error(
            codes::USAGE,
            format!("`--host {host}` does not apply to a {kind} plugin"),
        )
        .with_help(match kind {
            PluginKind::Component | PluginKind::Http => {
                "a component runs on wasmtime; leave out `--host`"
            }
            PluginKind::ProxyWasm => "a proxy-wasm plugin's host is `envoy` or `higress`",
        })),
    }
}

#[cfg(test)]
mod tests;
