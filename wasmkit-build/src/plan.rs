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
use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_metadata::Target;
use sha2::{Digest, Sha256};
use wasmkit_core::config::{ComponentMode, TagUse};
use wasmkit_core::{Diagnostic, Diagnostics, PluginConfig, codes};

mod reach;

use reach::relation;
pub use reach::{DependencyFeatureUse, MemberDependencies, dependency_feature_use};

/// Which of a plugin's crates becomes its `.wasm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrateTarget {
    /// The `cdylib` library.
    Lib,
    /// A binary, by name.
    Bin(String),
}

impl CrateTarget {
    /// Picks the crate that produces the plugin's wasm: the `cdylib` library,
    /// or a binary (preferred for `COMPONENT=command`, which needs `_start`).
    /// Among several binaries, the one named like the package.
    pub fn of(plugin: &PluginConfig) -> Result<CrateTarget, Diagnostics> {
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
pub enum AloneReason {
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
pub enum Grouping {
    /// Several plugins whose settings cannot reach each other's builds.
    Batch,
    /// One plugin.
    Alone(AloneReason),
}

/// The settings every plugin of one cargo invocation must share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedSettings {
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
pub struct EnvRustflags {
    /// The variable they come from (`CARGO_ENCODED_RUSTFLAGS` wins over `RUSTFLAGS`, as in cargo).
    pub variable: Option<&'static str>,
    /// The flags.
    pub flags: Vec<String>,
}

impl EnvRustflags {
    /// Reads them from this process's environment.
    pub fn from_env() -> EnvRustflags {
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
pub struct CargoContext {
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
pub struct Member {
    /// Index into the plugins given to [`plan`].
    pub plugin: usize,
    /// The crate that becomes its `.wasm`.
    pub crate_target: CrateTarget,
}

/// One cargo run.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// The plugins it builds, in workspace order.
    pub members: Vec<Member>,
    /// Why these plugins, together or alone.
    pub grouping: Grouping,
    /// What they share.
    pub settings: SharedSettings,
    /// `build`, or `rustc` for cfg tags.
    pub subcommand: &'static str,
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
    pub fn command(&self) -> Command {
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
    pub fn command_line(&self) -> String {
        let mut words = vec![shell_quote(&self.program.to_string_lossy())];
        words.extend(self.args.iter().map(|a| shell_quote(a)));
        words.join(" ")
    }

    /// The environment changes, one `KEY=value` or `KEY unset` per entry,
    /// with encoded flags shown as the words they hold.
    pub fn env_lines(&self) -> Vec<String> {
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
pub struct BuildPlan {
    /// Cargo runs, in the order they run.
    pub invocations: Vec<Invocation>,
    /// Plugins with nothing to build, by index, with the reason.
    pub rejected: Vec<(usize, Diagnostic)>,
}

/// Plans the cargo invocations for `plugins`.
pub fn plan(plugins: &[PluginConfig], ctx: &CargoContext) -> BuildPlan {
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
pub fn retry_alone(plugins: &[PluginConfig], member: Member, ctx: &CargoContext) -> Invocation {
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

/// The plugin's cfg tags, in order.
pub fn cfg_tags(plugin: &PluginConfig) -> Vec<String> {
    plugin
        .tags
        .iter()
        .filter(|t| t.applied_as == TagUse::Cfg)
        .map(|t| t.name.clone())
        .collect()
}

/// The features enabled for the plugin: its feature tags, then `FEATURES`.
pub fn features_of(plugin: &PluginConfig) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let tags = plugin
        .tags
        .iter()
        .filter(|t| t.applied_as == TagUse::Feature)
        .map(|t| &t.name);
    for name in tags.chain(plugin.features.iter().map(|f| &f.name)) {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The target directory of builds with `flags`: cargo's own when there are
/// none, else one per distinct set of flags.
pub fn flags_target_dir(target_dir: &Path, flags: &[String]) -> PathBuf {
    let mut hasher = Sha256::new();
    for flag in flags {
        hasher.update(flag.as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    target_dir.join("wasmkit").join(format!("flags-{short}"))
}

fn invocation(
    plugins: &[PluginConfig],
    members: Vec<Member>,
    grouping: Grouping,
    settings: SharedSettings,
    ctx: &CargoContext,
) -> Invocation {
    let single = members.len() == 1;
    let cfgs: Vec<String> = if single {
        cfg_tags(&plugins[members[0].plugin])
    } else {
        Vec::new()
    };
    let subcommand = if cfgs.is_empty() { "build" } else { "rustc" };

    let mut args: Vec<String> = vec![subcommand.to_string()];
    args.push("--manifest-path".into());
    args.push(ctx.manifest_path.display().to_string());
    args.extend(ctx.lock_args.iter().cloned());
    for m in &members {
        args.push("-p".into());
        args.push(plugins[m.plugin].name().to_string());
    }
    if subcommand == "rustc" {
        // `cargo rustc` passes its trailing flags to exactly one crate.
        match &members[0].crate_target {
            CrateTarget::Lib => args.push("--lib".into()),
            CrateTarget::Bin(name) => {
                args.push("--bin".into());
                args.push(name.clone());
            }
        }
    }
    args.push("--target".into());
    args.push(settings.target.clone());
    args.push("--profile".into());
    args.push(settings.profile.clone());
    let mut features: Vec<String> = Vec::new();
    for m in &members {
        let plugin = &plugins[m.plugin];
        for feature in features_of(plugin) {
            // `pkg/feat` keeps a batch-mate's feature off the others; a
            // `dep/feat` from FEATURES only ever comes alone and stays as is.
            if feature.contains('/') {
                features.push(feature);
            } else {
                features.push(format!("{}/{feature}", plugin.name()));
            }
        }
    }
    if !features.is_empty() {
        args.push("--features".into());
        args.push(features.join(","));
    }
    if settings.no_default_features {
        args.push("--no-default-features".into());
    }
    if settings.all_features {
        args.push("--all-features".into());
    }
    if !single {
        // Cargo stops a batch at the first error; carry on so that every
        // plugin that can be built is.
        args.push("--keep-going".into());
    }
    args.push("--message-format".into());
    args.push(ctx.message_format.into());
    args.push("--color".into());
    args.push(ctx.color.into());
    if ctx.quiet {
        args.push("--quiet".into());
    } else if ctx.verbose {
        args.push("--verbose".into());
    }
    if ctx.progress {
        // Cargo draws its `N/M` bar only on a terminal; ask for it on the
        // pipe so that the progress display can show it per plugin.
        args.push("--config".into());
        args.push("term.progress.when=\"always\"".into());
        args.push("--config".into());
        args.push("term.progress.width=80".into());
    }

    let mut env = Vec::new();
    let mut target_dir = None;
    if !settings.rustflags.is_empty() {
        let mut all_flags = ctx.env_rustflags.flags.clone();
        all_flags.extend(settings.rustflags.iter().cloned());
        let dir = flags_target_dir(&ctx.target_dir, &all_flags);
        args.push("--target-dir".into());
        args.push(dir.display().to_string());
        target_dir = Some(dir);
        env.push(("CARGO_ENCODED_RUSTFLAGS", Some(all_flags.join("\x1f"))));
        env.push(("RUSTFLAGS", None));
    }
    if !cfgs.is_empty() {
        args.push("--".into());
        for cfg in &cfgs {
            args.push("--cfg".into());
            args.push(cfg.clone());
            // Declared, so that `#[cfg(tag)]` gives no `unexpected_cfgs` warning.
            args.push("--check-cfg".into());
            args.push(format!("cfg({cfg})"));
        }
    }

    Invocation {
        members,
        grouping,
        settings,
        subcommand,
        args,
        env,
        target_dir,
        program: ctx.program.clone(),
    }
}

/// Quotes a word for a POSIX shell (kept here for the crate's callers).
pub use wasmkit_core::shell_quote;

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn env_rustflags_follow_cargo_precedence() {
        let e = EnvRustflags::from_vars(Some("-C\x1fopt-level=1".into()), Some("--cfg x".into()));
        assert_eq!(e.variable, Some("CARGO_ENCODED_RUSTFLAGS"));
        assert_eq!(e.flags, names(&["-C", "opt-level=1"]));
        let e = EnvRustflags::from_vars(None, Some(" --cfg  x ".into()));
        assert_eq!(e.variable, Some("RUSTFLAGS"));
        assert_eq!(e.flags, names(&["--cfg", "x"]));
        assert_eq!(EnvRustflags::from_vars(None, None), EnvRustflags::default());
    }

    #[test]
    fn flag_dirs_differ_by_flags() {
        let root = Path::new("/t");
        let a = flags_target_dir(root, &names(&["-C", "opt-level=1"]));
        let b = flags_target_dir(root, &names(&["-C", "opt-level=2"]));
        // Joining with a separator keeps `["-Ca", "b"]` apart from `["-C", "ab"]`.
        let c = flags_target_dir(root, &names(&["-Co", "pt-level=1"]));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, flags_target_dir(root, &names(&["-C", "opt-level=1"])));
        assert!(a.starts_with("/t/wasmkit"));
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("--cfg"), "--cfg");
        assert_eq!(shell_quote("cfg(x)"), "'cfg(x)'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
