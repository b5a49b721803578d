//! The cargo workspace: read with `cargo metadata` (through `$CARGO`), its
//! plugins found and selected the way cargo selects packages.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use cargo_metadata::{Metadata, MetadataCommand, Package};

use crate::buildrc::Buildrc;
use crate::codes;
use crate::config::{self, CliOverrides, Layers, PluginConfig};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::metadata::{MetadataTable, TableKind};
use crate::plugin::{self, Membership, PluginReason};
use crate::suggest::did_you_mean;

/// The file name of the per-plugin settings file.
pub const BUILDRC: &str = ".buildrc";

/// The cargo program to run: `$CARGO` (set by cargo for its subcommands),
/// else `cargo` from `PATH`.
pub fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

/// The cargo flags that are passed through to every cargo invocation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CargoOptions {
    /// `--manifest-path`.
    pub manifest_path: Option<PathBuf>,
    /// `--locked`.
    pub locked: bool,
    /// `--offline`.
    pub offline: bool,
    /// `--frozen`.
    pub frozen: bool,
}

impl CargoOptions {
    /// `--locked`, `--offline`, `--frozen` as cargo takes them.
    pub fn lock_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.locked {
            args.push("--locked".to_string());
        }
        if self.offline {
            args.push("--offline".to_string());
        }
        if self.frozen {
            args.push("--frozen".to_string());
        }
        args
    }
}

/// Which packages `-p`, `--workspace` and `--exclude` select.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageSelection {
    /// `-p/--package`.
    pub packages: Vec<String>,
    /// `--workspace`.
    pub workspace: bool,
    /// `--exclude`.
    pub exclude: Vec<String>,
}

/// A cargo workspace and its wasmkit settings.
#[derive(Debug)]
pub struct Project {
    /// What `cargo metadata --no-deps` said.
    pub metadata: Metadata,
    /// The flags passed through to cargo.
    pub cargo: CargoOptions,
    workspace_table: Option<MetadataTable>,
    current_manifest: Option<PathBuf>,
}

/// The plugins a command works on.
#[derive(Debug)]
pub struct Selected {
    /// Resolved plugins, in workspace order.
    pub plugins: Vec<PluginConfig>,
    /// Things worth a warning (an `--exclude` that matched nothing).
    pub warnings: Vec<Diagnostic>,
}

impl Project {
    /// Reads the workspace of `--manifest-path`, or of the current directory.
    pub fn load(cargo: &CargoOptions) -> Result<Project, Diagnostics> {
        let mut cmd = MetadataCommand::new();
        cmd.cargo_path(cargo_program()).no_deps();
        if let Some(path) = &cargo.manifest_path {
            cmd.manifest_path(path);
        }
        cmd.other_options(cargo.lock_args());
        let metadata = cmd.exec().map_err(|e| {
            let (message, detail) = match e {
                cargo_metadata::Error::CargoMetadata { stderr } => (
                    "cannot read the cargo workspace".to_string(),
                    stderr.trim().trim_start_matches("error: ").to_string(),
                ),
                cargo_metadata::Error::Io(e) => (
                    "cannot run `cargo metadata`".to_string(),
                    format!("{e} (is cargo on PATH, or `CARGO` set?)"),
                ),
                other => (
                    "cannot read the cargo workspace".to_string(),
                    other.to_string(),
                ),
            };
            Diagnostic::error(codes::CARGO_METADATA, message).with_note(detail)
        })?;

        let root_manifest = metadata.workspace_root.join("Cargo.toml");
        let workspace_table = MetadataTable::read(
            root_manifest.as_std_path(),
            Path::new(&crate::display_path(root_manifest.as_std_path())),
            TableKind::Workspace,
        )?;
        let current_manifest = match &cargo.manifest_path {
            Some(p) => std::fs::canonicalize(p).ok(),
            None => std::env::current_dir()
                .ok()
                .and_then(|dir| find_manifest(&dir)),
        };
        Ok(Project {
            metadata,
            cargo: cargo.clone(),
            workspace_table,
            current_manifest,
        })
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        self.metadata.workspace_root.as_std_path()
    }

    /// Cargo's target directory.
    pub fn target_dir(&self) -> &Path {
        self.metadata.target_directory.as_std_path()
    }

    /// Workspace members, in workspace order.
    pub fn members(&self) -> impl Iterator<Item = &Package> {
        self.metadata.workspace_packages().into_iter()
    }

    /// Whether a package is a plugin when the workspace's plugins are
    /// listed (see [`plugin::membership`]).
    pub fn is_plugin(package: &Package) -> bool {
        matches!(plugin::membership(package), Membership::Plugin(_))
    }

    /// The member whose manifest the command was run against (cargo's
    /// "current package"), if it is a package rather than a virtual root.
    pub fn current_package(&self) -> Option<&Package> {
        let current = self.current_manifest.as_deref()?;
        self.members().find(|p| {
            std::fs::canonicalize(p.manifest_path.as_std_path()).is_ok_and(|m| m == current)
        })
    }

    /// Resolves the settings of one plugin, a plugin for `reason`.
    pub fn plugin_config(
        &self,
        package: &Package,
        reason: PluginReason,
        cli: &CliOverrides,
    ) -> Result<PluginConfig, Diagnostics> {
        let rc_path = buildrc_path(package);
        let (buildrc, buildrc_path) = if rc_path.is_file() {
            let shown = PathBuf::from(crate::display_path(&rc_path));
            (Some(Buildrc::read(&rc_path, &shown)?), Some(rc_path))
        } else {
            (None, None)
        };
        let manifest = package.manifest_path.as_std_path();
        let package_table = if package.metadata.get("wasmkit").is_some() {
            MetadataTable::read(
                manifest,
                Path::new(&crate::display_path(manifest)),
                TableKind::Package,
            )?
        } else {
            None
        };
        config::resolve(
            package,
            reason,
            buildrc_path,
            &Layers {
                buildrc: buildrc.as_ref(),
                package: package_table.as_ref(),
                workspace: self.workspace_table.as_ref(),
            },
            cli,
        )
    }

    /// The plugins selected by `-p`, `--workspace` and `--exclude`. With
    /// none of them: the current package if it is a plugin, else every
    /// plugin of the workspace.
    pub fn select(
        &self,
        selection: &PackageSelection,
        cli: &CliOverrides,
    ) -> Result<Selected, Diagnostics> {
        let members: Vec<&Package> = self.members().collect();
        let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();

        let unknown = |name: &str, flag: &str| {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_PACKAGE,
                format!("package `{name}` (from `{flag}`) is not a member of the workspace"),
            )
            .with_origin(crate::display_path(self.root()));
            if let Some(s) = did_you_mean(name, names.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            d.with_note(format!("the members are: {}", names.join(", ")))
        };
        for name in &selection.exclude {
            if !names.contains(&name.as_str()) {
                let mut d = unknown(name, "--exclude");
                d.severity = crate::Severity::Warning;
                warnings.push(d);
            }
        }

        let listed = |p: &Package| match plugin::membership(p) {
            Membership::Plugin(reason) => Some(reason),
            Membership::OptedOut | Membership::Not => None,
        };
        let chosen: Vec<(&Package, PluginReason)> = if !selection.packages.is_empty() {
            let mut chosen: Vec<(&Package, PluginReason)> = Vec::new();
            for name in &selection.packages {
                match members.iter().find(|p| p.name.as_str() == name) {
                    None => errors.push(unknown(name, "-p")),
                    Some(p) => match plugin::named(p) {
                        None => errors.push(not_a_plugin(p)),
                        Some(reason) => {
                            if !chosen.iter().any(|(c, _)| c.id == p.id) {
                                chosen.push((*p, reason));
                            }
                        }
                    },
                }
            }
            chosen
        } else if let Some((current, reason)) = self
            .current_package()
            .filter(|_| !selection.workspace && selection.exclude.is_empty())
            .and_then(|p| listed(p).map(|r| (p, r)))
        {
            vec![(current, reason)]
        } else {
            members
                .iter()
                .filter_map(|p| listed(p).map(|r| (*p, r)))
                .collect()
        };
        let chosen: Vec<(&Package, PluginReason)> = chosen
            .into_iter()
            .filter(|(p, _)| !selection.exclude.iter().any(|e| e == p.name.as_str()))
            .collect();
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        if chosen.is_empty() {
            return Err(Diagnostic::error(
                codes::NO_PLUGINS,
                "no plugins selected",
            )
            .with_origin(crate::display_path(self.root()))
            .with_note(PLUGIN_DEFINITION)
            .with_help("add a `cdylib` library target or a `.buildrc` to a member, or create a plugin with `cargo wasmkit new`")
            .into());
        }

        let mut plugins = Vec::new();
        for (package, reason) in chosen {
            match self.plugin_config(package, reason, cli) {
                Ok(p) => plugins.push(p),
                Err(d) => errors.extend(d),
            }
        }
        for arg in &cli.features {
            for word in config::split_words(arg) {
                if let Some((pkg, _)) = word.split_once('/')
                    && !plugins.iter().any(|p| p.name() == pkg)
                {
                    errors.push(Diagnostic::error(
                        codes::UNKNOWN_PACKAGE,
                        format!("`--features {word}` names package `{pkg}`, which is not a selected plugin"),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(Selected { plugins, warnings })
        } else {
            Err(Diagnostics(errors))
        }
    }
}

/// What makes a member a plugin, for diagnostics.
const PLUGIN_DEFINITION: &str = "a plugin is a workspace member with a `cdylib` library target, a `.buildrc` beside its `Cargo.toml`, or a `[package.metadata.wasmkit]` table, unless that table says `plugin = false`";

fn not_a_plugin(package: &Package) -> Diagnostic {
    let manifest = package.manifest_path.as_std_path();
    let shown = crate::display_path(manifest);
    if plugin::membership(package) == Membership::OptedOut {
        let d = Diagnostic::error(
            codes::NOT_A_PLUGIN,
            format!(
                "package `{}` is not a wasmkit plugin: it opts out",
                package.name
            ),
        )
        .with_help("remove `plugin = false` from its `[package.metadata.wasmkit]` to build it");
        let table = MetadataTable::read(manifest, Path::new(&shown), TableKind::Package);
        return match table
            .ok()
            .flatten()
            .and_then(|t| Some((t.plugin?.1, t.file)))
        {
            Some((span, file)) => {
                d.with_label(crate::Label::primary(&file, span, "opted out here"))
            }
            None => d.with_origin(shown),
        };
    }
    Diagnostic::error(
        codes::NOT_A_PLUGIN,
        format!(
            "package `{}` is not a wasmkit plugin: it has no `cdylib` library or `bin` target",
            package.name
        ),
    )
    .with_origin(shown)
    .with_note("a plugin is built to wasm from its `cdylib` library or from a binary")
    .with_help("add `[lib] crate-type = [\"cdylib\"]` to its `Cargo.toml`")
}

/// Where a package's `.buildrc` would be.
pub fn buildrc_path(package: &Package) -> PathBuf {
    package
        .manifest_path
        .parent()
        .map_or_else(|| PathBuf::from(BUILDRC), |d| d.as_std_path().join(BUILDRC))
}

/// The nearest `Cargo.toml` at or above `dir`, as cargo finds it.
fn find_manifest(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|m| m.is_file())
        .and_then(|m| std::fs::canonicalize(m).ok())
}
