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
mod render;
mod workspace;

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use wasmkit_core::config::is_cfg_name;
use wasmkit_core::{Diagnostic, Diagnostics, HostKind, codes, display_path};

use crate::plan::shell_quote;

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

/// What is at the destination before anything is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Destination {
    /// Nothing.
    Missing,
    /// An empty directory.
    EmptyDir,
}

impl Destination {
    fn inspect(dir: &Path) -> Result<Destination, Diagnostic> {
        let shown = display_path(dir);
        let refuse = |what: &str| {
            Diagnostic::error(
                codes::NEW_REFUSED,
                format!("destination `{shown}` already exists and {what}"),
            )
        };
        match fs::symlink_metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Destination::Missing),
            Err(e) => Err(Diagnostic::read_failed(Path::new(&shown), &e)),
            Ok(meta) if meta.is_dir() => {
                let mut entries = fs::read_dir(dir)
                    .map_err(|e| Diagnostic::read_failed(Path::new(&shown), &e))?;
                if entries.next().is_none() {
                    Ok(Destination::EmptyDir)
                } else {
                    Err(refuse("is not empty").with_help(
                        "choose a new path for the plugin, or empty that directory first",
                    ))
                }
            }
            Ok(_) => {
                Err(refuse("is not a directory").with_help("choose a new path for the plugin"))
            }
        }
    }
}

fn write_failed(path: &Path, what: &str, error: &io::Error) -> Diagnostic {
    Diagnostic::error(
        codes::WRITE_FAILED,
        format!("cannot {what} `{}`: {error}", display_path(path)),
    )
}

/// The package, in place at its destination.
#[derive(Debug)]
struct PlacedPackage {
    dir: PathBuf,
    destination: Destination,
    /// The package's top-level files and directories.
    entries: Vec<OsString>,
    /// The topmost directory created to hold the package, if any was.
    created_parent: Option<PathBuf>,
}

impl PlacedPackage {
    /// Renders `files` into a temporary directory beside `dir` (so on the
    /// same file system), then renames it to `dir`, or, when `dir` is an
    /// existing empty directory, renames its entries into `dir`. On failure
    /// nothing is left: not the temporary directory, not the entries, not
    /// the parents it created.
    fn write(
        dir: &Path,
        destination: Destination,
        files: &[(PathBuf, String)],
    ) -> Result<PlacedPackage, Diagnostic> {
        let parent = dir.parent().unwrap_or(Path::new("/"));
        let created_parent = parent
            .ancestors()
            .take_while(|a| !a.exists())
            .last()
            .map(Path::to_path_buf);
        let mut entries: Vec<OsString> = Vec::new();
        for (path, _) in files {
            if let Some(first) = path.iter().next()
                && !entries.iter().any(|e| e == first)
            {
                entries.push(first.to_os_string());
            }
        }
        fs::create_dir_all(parent).map_err(|e| write_failed(parent, "create", &e))?;
        let placed = PlacedPackage {
            dir: dir.to_path_buf(),
            destination,
            entries,
            created_parent,
        };
        match placed.stage_and_move(parent, files) {
            Ok(()) => Ok(placed),
            Err(d) => {
                if let Some(created) = &placed.created_parent {
                    // Best effort: the error being reported matters more.
                    let _ = fs::remove_dir_all(created);
                }
                Err(d)
            }
        }
    }

    fn stage_and_move(&self, parent: &Path, files: &[(PathBuf, String)]) -> Result<(), Diagnostic> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".wasmkit-new-");
        // A temporary directory is private (0700) by default; the package
        // gets the permissions `mkdir` would give it (0777 less the umask).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
        let staging = builder
            .tempdir_in(parent)
            .map_err(|e| write_failed(parent, "create a temporary directory in", &e))?;
        for (relative, text) in files {
            let path = staging.path().join(relative);
            if let Some(sub) = path.parent() {
                fs::create_dir_all(sub).map_err(|e| write_failed(sub, "create", &e))?;
            }
            fs::write(&path, text).map_err(|e| write_failed(&path, "write", &e))?;
        }
        match self.destination {
            Destination::Missing => {
                fs::rename(staging.path(), &self.dir)
                    .map_err(|e| write_failed(&self.dir, "create", &e))?;
                // The temporary directory is the package now: keep it.
                let _ = staging.keep();
            }
            // The directory itself stays (the user's shell may be in it);
            // its entries move in one by one, and back out on failure. The
            // emptied temporary directory is removed when `staging` drops.
            Destination::EmptyDir => {
                for (done, entry) in self.entries.iter().enumerate() {
                    let to = self.dir.join(entry);
                    let moved = if to.symlink_metadata().is_ok() {
                        Err(io::Error::new(
                            io::ErrorKind::AlreadyExists,
                            "it appeared while the plugin was being created",
                        ))
                    } else {
                        fs::rename(staging.path().join(entry), &to)
                    };
                    if let Err(e) = moved {
                        for back in &self.entries[..done] {
                            let _ = fs::rename(self.dir.join(back), staging.path().join(back));
                        }
                        return Err(write_failed(&to, "create", &e));
                    }
                }
            }
        }
        Ok(())
    }

    /// Takes the package away again, leaving the destination as it was.
    fn remove(self) {
        // Best effort: the error that made this necessary is what gets reported.
        match self.destination {
            Destination::Missing => {
                let _ = fs::remove_dir_all(&self.dir);
            }
            Destination::EmptyDir => {
                for entry in &self.entries {
                    let path = self.dir.join(entry);
                    let _ = if path.is_dir() {
                        fs::remove_dir_all(&path)
                    } else {
                        fs::remove_file(&path)
                    };
                }
            }
        }
        if let Some(created) = &self.created_parent {
            let _ = fs::remove_dir_all(created);
        }
    }
}

/// Replaces the root manifest with `edited`: a temporary file beside it,
/// renamed over it, so the manifest is either the old text or the new one.
/// Refuses when the file changed since it was read, or is read-only.
fn replace_manifest(manifest: &Path, original: &str, edited: &str) -> Result<(), Diagnostic> {
    let shown = display_path(manifest);
    let cannot = |why: String| {
        Diagnostic::error(
            codes::WRITE_FAILED,
            format!("cannot update `{shown}`: {why}"),
        )
    };
    // Through a symlink, the file it points to is the one to replace.
    let real = fs::canonicalize(manifest).map_err(|e| cannot(e.to_string()))?;
    let current = fs::read(&real).map_err(|e| cannot(e.to_string()))?;
    if current != original.as_bytes() {
        return Err(
            cannot("it changed while the plugin was being created".to_string())
                .with_help("run the command again"),
        );
    }
    // A rename replaces a file whatever its permissions, so the read-only
    // bit is honoured here, as an in-place write would. It is checked at
    // the write rather than ahead of it: the result would be the same, and
    // the removal of the package above covers any failure from here on.
    let permissions = fs::metadata(&real)
        .map_err(|e| cannot(e.to_string()))?
        .permissions();
    if permissions.readonly() {
        return Err(cannot("it is read-only".to_string())
            .with_help("make it writable, then run the command again"));
    }
    let dir = real.parent().unwrap_or(Path::new("/"));
    let mut temp = tempfile::Builder::new()
        .prefix(".Cargo.toml.")
        .tempfile_in(dir)
        .map_err(|e| cannot(e.to_string()))?;
    temp.write_all(edited.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .and_then(|()| temp.as_file().set_permissions(permissions))
        .map_err(|e| cannot(e.to_string()))?;
    temp.persist(&real)
        .map_err(|e| cannot(e.error.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(membership: Membership, kind: PluginKind) -> CreatedPlugin {
        CreatedPlugin {
            name: "hello".to_string(),
            kind,
            dir: PathBuf::from("/w/plugins/hello"),
            files: Vec::new(),
            membership,
        }
    }

    #[test]
    fn next_steps_build_and_invoke_from_inside_the_workspace() {
        let plugin = created(
            Membership::Added {
                manifest: PathBuf::from("/w/Cargo.toml"),
                member: "plugins/hello".to_string(),
            },
            PluginKind::Component,
        );
        let commands: Vec<String> = plugin
            .next_steps(Path::new("/w/plugins"))
            .into_iter()
            .map(|s| s.command)
            .collect();
        assert_eq!(
            commands,
            [
                "cargo wasmkit build -p hello",
                r#"cargo wasmkit invoke -p hello 'greet("world")'"#
            ]
        );
    }

    #[test]
    fn next_steps_go_to_the_workspace_first_from_outside() {
        let plugin = created(Membership::Standalone, PluginKind::ProxyWasm);
        let commands: Vec<String> = plugin
            .next_steps(Path::new("/w"))
            .into_iter()
            .map(|s| s.command)
            .collect();
        assert_eq!(
            commands,
            ["cd plugins/hello", "cargo wasmkit build -p hello"]
        );
    }

    #[test]
    fn tags_are_split_deduplicated_and_checked() {
        assert_eq!(
            check_tags(&["a,b".to_string(), "b".to_string(), "c d".to_string()]).unwrap(),
            ["a", "b", "c", "d"]
        );
        let d = check_tags(&["ok,not-a-cfg".to_string()]).unwrap_err();
        assert_eq!(d.message, "tag `not-a-cfg` is not a valid cfg name");
        assert_eq!(d.code, codes::INVALID_TAG);
    }

    #[test]
    fn host_must_fit_the_kind() {
        assert_eq!(
            check_host(PluginKind::ProxyWasm, None).unwrap(),
            HostKind::Envoy
        );
        assert_eq!(
            check_host(PluginKind::ProxyWasm, Some(HostKind::Higress)).unwrap(),
            HostKind::Higress
        );
        assert_eq!(
            check_host(PluginKind::Component, None).unwrap(),
            HostKind::Wasmtime
        );
        let d = check_host(PluginKind::Component, Some(HostKind::Envoy)).unwrap_err();
        assert_eq!(
            d.message,
            "`--host envoy` does not apply to a component plugin"
        );
        assert!(check_host(PluginKind::ProxyWasm, Some(HostKind::Wasmtime)).is_err());
    }
}
