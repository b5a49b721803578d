//! The cargo command line of one invocation: subcommand, packages, target,
//! profile, features, `--cfg` tags, and the environment and target
//! directory its `RUSTFLAGS` need.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmkit_core::PluginConfig;
use wasmkit_core::config::TagUse;

use super::{CargoContext, CrateTarget, Grouping, Invocation, Member, SharedSettings};

/// The plugin's cfg tags, in order.
pub(crate) fn cfg_tags(plugin: &PluginConfig) -> Vec<String> {
    plugin
        .tags
        .iter()
        .filter(|t| t.applied_as == TagUse::Cfg)
        .map(|t| t.name.clone())
        .collect()
}

/// The features enabled for the plugin: its feature tags, then `FEATURES`.
pub(crate) fn features_of(plugin: &PluginConfig) -> Vec<String> {
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
pub(super) fn flags_target_dir(target_dir: &Path, flags: &[String]) -> PathBuf {
    let mut hasher = Sha256::new();
    for flag in flags {
        hasher.update(flag.as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    let short = wasmkit_core::fs::hex(&digest[..8]);
    target_dir.join("wasmkit").join(format!("flags-{short}"))
}

pub(super) fn invocation(
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
        args,
        env,
        target_dir,
        program: ctx.program.clone(),
    }
}
