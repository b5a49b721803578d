//! Planning: which cargo invocations build the selected plugins, and why.
//!
//! Plugins share one `cargo build -p a -p b ...` (so cargo compiles them in
//! parallel) only when nothing of one can reach the other's build:
//!
//! - target, profile, `RUSTFLAGS`, `NO_DEFAULT_FEATURES` and
//!   `--all-features` agree (cargo applies them to every package it builds);
//! - neither has a cfg tag (a `--cfg` must reach only the plugin's own crate,
//!   which takes `cargo rustc -p <pkg> -- --cfg <tag>`, one package a run);
//! - the features enabled for it do not enable features of dependencies:
//!   cargo unifies dependency features within one invocation, so a plugin
//!   whose feature turns on `dep:x`, `x/y`, `x?/y` or an optional dependency
//!   would change what its batch-mates link;
//! - neither depends on the other, directly or through other workspace
//!   members: cargo builds a package once per run, with the union of the
//!   features asked of it, so the features (or feature tags) of a plugin
//!   that another plugin depends on would reach that other plugin's build.
//!
//! Every other plugin gets an invocation of its own. What a plugin's
//! settings can reach is worked out in [`reach`].
//!
//! `RUSTFLAGS` of a plugin reach cargo as `CARGO_ENCODED_RUSTFLAGS`, after
//! any flags of the user's environment, and the build goes to a target
//! directory of its own, keyed by a hash of the flags
//! (`<target-dir>/wasmkit/flags-<hash>/`): cargo does not keep builds with
//! different flags apart, so sharing one directory would recompile every
//! dependency each time the flags change. As with cargo's own `RUSTFLAGS`,
//! `build.rustflags` from `.cargo/config.toml` do not apply to such a build.
//! Plugins without `RUSTFLAGS` leave the environment as it is, so cargo
//! applies the user's `RUSTFLAGS` (or config) itself, the same for each.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::process::Command;

use cargo_metadata::Target;
use wasmkit_core::config::ComponentMode;
use wasmkit_core::{Diagnostic, Diagnostics, PluginConfig, codes};

mod command;
mod reach;

use command::invocation;
pub(crate) use command::{cfg_tags, features_of};

use reach::relation;
pub(crate) use reach::{DependencyFeatureUse, MemberDependencies, dependency_feature_use};

/// Which of a plugin's crates becomes its `.wasm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CrateTarget {
    /// The `cdylib` library.
    Lib,
    /// A binary, by name.
    Bin(String),
}

impl CrateTarget {
    /// Picks the crate that produces the plugin's wasm: the `cdylib` library,
    /// or a binary (preferred for `COMPONENT=command`, which needs `_start`).
    /// Among several binaries, the one named like the package.
    pub(crate) fn of(plugin: &PluginConfig) -> Result<CrateTarget, Diagnostics> {
        let package = &plugin.package;
        let lib = package.targets.iter().any(Target::is_cdylib);
        let bins: Vec<&Target> = package.targets.iter().filter(|t| t.is_bin()).collect();
        let bin = bins
            .iter()
            .find(|t| t.name == package.name.as_str())
            .or(bins.first())
            .map(|t| CrateTarget::Bin(t.name.clone()));
        let prefer_bin = plugin.component.value == ComponentMode::Command;
        let chosen = match (lib, bin) {
            (true, Some(bin)) if prefer_bin => Some(bin),
            (true, _) => Some(CrateTarget::Lib),
            (false, bin) => bin,
        };
        chosen.ok_or_else(|| {
            Diagnostic::error(
                codes::BUILD_FAILED,
                format!(
                    "plugin `{}` has no crate that builds to a `.wasm`",
                    plugin.name()
                ),
            )
            .with_origin(wasmkit_core::display_path(
                package.manifest_path.as_std_path(),
            ))
            .with_note("a plugin is built from its `cdylib` library or from a binary")
            .with_help("add `[lib] crate-type = [\"cdylib\"]` to its `Cargo.toml`")
            .into()
        })
    }
}

impl fmt::Display for CrateTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrateTarget::Lib => f.write_str("lib"),
            CrateTarget::Bin(name) => write!(f, "bin `{name}`"),
        }
    }
}

/// Why a plugin is built in an invocation of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AloneReason {
    /// Its cfg tags must reach only its own crate.
    CfgTags(Vec<String>),
    /// One of its features enables features of a dependency.
    DependencyFeatures(DependencyFeatureUse),
    /// No other selected plugin has the same target, profile, `RUSTFLAGS`
    /// and default-feature settings.
    NoPartner,
    /// It depends on another selected plugin, or another depends on it.
    Related {
        /// The other plugin.
        other: String,
        /// Whether this plugin depends on the other (else the other on it).
        depends_on_other: bool,
    },
    /// It was built in a batch that failed before it was built, and is
    /// retried alone to find out whether it builds.
    Retry,
}

/// How the plugins of one invocation came together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Grouping {
    /// Several plugins whose settings cannot reach each other's builds.
    Batch,
    /// One plugin.
    Alone(AloneReason),
}

/// The settings every plugin of one cargo invocation must share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SharedSettings {
    /// `--target`.
    pub target: String,
    /// `--profile`.
    pub profile: String,
    /// The plugin's own `RUSTFLAGS`.
    pub rustflags: Vec<String>,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// `--all-features`.
    pub all_features: bool,
}

impl SharedSettings {
    fn of(plugin: &PluginConfig) -> SharedSettings {
        SharedSettings {
            target: plugin.target.value.clone(),
            profile: plugin.profile.value.clone(),
            rustflags: plugin.rustflags.value.clone(),
            no_default_features: plugin.no_default_features.value,
            all_features: plugin.all_features.value,
        }
    }
}

/// `RUSTFLAGS` the user's environment sets for every cargo run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EnvRustflags {
    /// The variable they come from (`CARGO_ENCODED_RUSTFLAGS` wins over `RUSTFLAGS`, as in cargo).
    pub variable: Option<&'static str>,
    /// The flags.
    pub flags: Vec<String>,
}

impl EnvRustflags {
    /// Reads them from this process's environment.
    pub(crate) fn from_env() -> EnvRustflags {
        EnvRustflags::from_vars(
            std::env::var("CARGO_ENCODED_RUSTFLAGS").ok(),
            std::env::var("RUSTFLAGS").ok(),
        )
    }

    fn from_vars(encoded: Option<String>, plain: Option<String>) -> EnvRustflags {
        // Cargo's precedence: an encoded value (even empty) hides RUSTFLAGS.
        if let Some(encoded) = encoded {
            return EnvRustflags {
                variable: Some("CARGO_ENCODED_RUSTFLAGS"),
                flags: encoded
                    .split('\x1f')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect(),
            };
        }
        if let Some(plain) = plain {
            return EnvRustflags {
                variable: Some("RUSTFLAGS"),
                flags: plain.split_whitespace().map(str::to_string).collect(),
            };
        }
        EnvRustflags::default()
    }
}

/// What every cargo invocation of one run has in common.
#[derive(Clone, Debug)]
pub(crate) struct CargoContext {
    /// `$CARGO`, else `cargo`.
    pub program: OsString,
    /// The workspace's root manifest.
    pub manifest_path: PathBuf,
    /// `--locked`, `--offline`, `--frozen`.
    pub lock_args: Vec<String>,
    /// `--color`.
    pub color: &'static str,
    /// `--message-format`.
    pub message_format: &'static str,
    /// `--quiet`: only errors and warnings from cargo.
    pub quiet: bool,
    /// `-v` for cargo.
    pub verbose: bool,
    /// Make cargo report its progress (`N/M` units) on the pipe, for the progress display.
    pub progress: bool,
    /// Cargo's target directory.
    pub target_dir: PathBuf,
    /// `RUSTFLAGS` of the environment.
    pub env_rustflags: EnvRustflags,
    /// Each workspace member's workspace dependencies, transitively.
    pub member_dependencies: MemberDependencies,
}

/// One plugin in an invocation.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    /// Index into the plugins given to [`plan`].
    pub plugin: usize,
    /// The crate that becomes its `.wasm`.
    pub crate_target: CrateTarget,
}

/// One cargo run.
#[derive(Clone, Debug)]
pub(crate) struct Invocation {
    /// The plugins it builds, in workspace order.
    pub members: Vec<Member>,
    /// Why these plugins, together or alone.
    pub grouping: Grouping,
    /// What they share.
    pub settings: SharedSettings,
    /// Arguments after the program.
    pub args: Vec<String>,
    /// Variables set (`Some`) or removed (`None`) for this run.
    pub env: Vec<(&'static str, Option<String>)>,
    /// Its own target directory, when `RUSTFLAGS` keep it apart.
    pub target_dir: Option<PathBuf>,
    program: OsString,
}

impl Invocation {
    /// The process to spawn.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        for (key, value) in &self.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        cmd
    }

    /// The command line, quoted for a POSIX shell.
    pub(crate) fn command_line(&self) -> String {
        let mut words = vec![shell_quote(&self.program.to_string_lossy())];
        words.extend(self.args.iter().map(|a| shell_quote(a)));
        words.join(" ")
    }

    /// The environment changes, one `KEY=value` or `KEY unset` per entry,
    /// with encoded flags shown as the words they hold.
    pub(crate) fn env_lines(&self) -> Vec<String> {
        self.env
            .iter()
            .map(|(key, value)| match value {
                None => format!("{key} unset"),
                Some(v) if *key == "CARGO_ENCODED_RUSTFLAGS" => {
                    let words: Vec<String> = v.split('\x1f').map(shell_quote).collect();
                    format!("{key}={} (0x1f-separated)", words.join(" "))
                }
                Some(v) => format!("{key}={}", shell_quote(v)),
            })
            .collect()
    }
}

/// The invocations for a set of plugins, and the plugins that cannot be built.
#[derive(Debug)]
pub(crate) struct BuildPlan {
    /// Cargo runs, in the order they run.
    pub invocations: Vec<Invocation>,
    /// Plugins with nothing to build, by index, with the reason.
    pub rejected: Vec<(usize, Diagnostic)>,
}

/// Plans the cargo invocations for `plugins`.
pub(crate) fn plan(plugins: &[PluginConfig], ctx: &CargoContext) -> BuildPlan {
    let mut rejected = Vec::new();
    // (key, members) in order of first appearance, so runs follow workspace order.
    let mut batches: Vec<(SharedSettings, Vec<Member>)> = Vec::new();
    let mut alone: Vec<(Member, AloneReason)> = Vec::new();
    // Why a plugin could not join a batch of its settings: a relation.
    let mut kept_apart: BTreeMap<usize, AloneReason> = BTreeMap::new();

    for (index, plugin) in plugins.iter().enumerate() {
        let crate_target = match CrateTarget::of(plugin) {
            Ok(t) => t,
            Err(ds) => {
                rejected.extend(ds.into_iter().map(|d| (index, d)));
                continue;
            }
        };
        let member = Member {
            plugin: index,
            crate_target,
        };
        if let Some(reason) = alone_reason(plugin) {
            alone.push((member, reason));
            continue;
        }
        let key = SharedSettings::of(plugin);
        let mut joined = false;
        for (_, members) in batches.iter_mut().filter(|(k, _)| *k == key) {
            let conflict = members.iter().find_map(|m| {
                let other = &plugins[m.plugin];
                let deps = &ctx.member_dependencies;
                Some((
                    m.plugin,
                    relation(plugin, other, deps)?,
                    relation(other, plugin, deps)?,
                ))
            });
            match conflict {
                Some((other, this_reason, other_reason)) => {
                    kept_apart.entry(index).or_insert(this_reason);
                    kept_apart.entry(other).or_insert(other_reason);
                }
                None => {
                    members.push(member.clone());
                    joined = true;
                    break;
                }
            }
        }
        if !joined {
            batches.push((key, vec![member]));
        }
    }

    let mut invocations: Vec<Invocation> = Vec::new();
    for (settings, members) in batches {
        let grouping = match members.as_slice() {
            [_, _, ..] => Grouping::Batch,
            [one] => Grouping::Alone(
                kept_apart
                    .remove(&one.plugin)
                    .unwrap_or(AloneReason::NoPartner),
            ),
            [] => continue,
        };
        invocations.push(invocation(plugins, members, grouping, settings, ctx));
    }
    for (member, reason) in alone {
        let settings = SharedSettings::of(&plugins[member.plugin]);
        invocations.push(invocation(
            plugins,
            vec![member],
            Grouping::Alone(reason),
            settings,
            ctx,
        ));
    }
    invocations.sort_by_key(|inv| inv.members.first().map_or(usize::MAX, |m| m.plugin));
    BuildPlan {
        invocations,
        rejected,
    }
}

/// The invocation that retries one plugin of a failed batch on its own.
pub(crate) fn retry_alone(
    plugins: &[PluginConfig],
    member: Member,
    ctx: &CargoContext,
) -> Invocation {
    let settings = SharedSettings::of(&plugins[member.plugin]);
    invocation(
        plugins,
        vec![member],
        Grouping::Alone(AloneReason::Retry),
        settings,
        ctx,
    )
}

fn alone_reason(plugin: &PluginConfig) -> Option<AloneReason> {
    let cfgs = cfg_tags(plugin);
    if !cfgs.is_empty() {
        return Some(AloneReason::CfgTags(cfgs));
    }
    dependency_feature_use(
        &plugin.package,
        &features_of(plugin),
        plugin.no_default_features.value,
        plugin.all_features.value,
    )
    .map(AloneReason::DependencyFeatures)
}

/// Quotes a word for a POSIX shell (kept here for the crate's callers).
pub(crate) use wasmkit_core::shell_quote;

#[cfg(test)]
mod tests;
