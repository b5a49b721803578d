//! `build --explain` (or `-v`): per plugin, where each build setting came
//! from, why it shares a cargo run or has one of its own, and the exact
//! command line and environment of that run.

use std::fmt::Write as _;
use std::path::Path;

use wasmkit_core::config::settings_table;
use wasmkit_core::{Key, PluginConfig};

use crate::artifact::location_in;
use crate::plan::{AloneReason, BuildPlan, CargoContext, Grouping, Invocation};

/// The settings `build` uses (the others are `verify`'s).
const BUILD_KEYS: [Key; 7] = [
    Key::ExtraTags,
    Key::Features,
    Key::NoDefaultFeatures,
    Key::Target,
    Key::Profile,
    Key::Rustflags,
    Key::Component,
];

/// The explanation of `plan`, as text for stderr.
pub(crate) fn render(
    plugins: &[PluginConfig],
    plan: &BuildPlan,
    missing_targets: &[String],
    ctx: &CargoContext,
) -> String {
    let mut out = String::new();
    let runs = plan.invocations.len();
    for (index, plugin) in plugins.iter().enumerate() {
        let _ = writeln!(
            out,
            "plugin {} v{} ({})",
            plugin.name(),
            plugin.package.version,
            wasmkit_core::display_path(plugin.dir())
        );
        settings(&mut out, plugin);
        if let Some((_, d)) = plan.rejected.iter().find(|(i, _)| *i == index) {
            let _ = writeln!(out, "  not built: {}", d.message);
        } else if missing_targets.contains(&plugin.target.value) {
            let _ = writeln!(
                out,
                "  not built: the `{}` target is not installed",
                plugin.target.value
            );
        } else if let Some((n, invocation)) = plan
            .invocations
            .iter()
            .enumerate()
            .find(|(_, inv)| inv.members.iter().any(|m| m.plugin == index))
        {
            run(&mut out, plugins, index, n + 1, runs, invocation, ctx);
        }
        let _ = writeln!(
            out,
            "  artifact: {}",
            wasmkit_core::display_path(&location_in(&ctx.target_dir, plugin).wasm)
        );
        out.push('\n');
    }
    out
}

fn settings(out: &mut String, plugin: &PluginConfig) {
    let mut rows: Vec<(&str, String, String)> = plugin
        .settings()
        .into_iter()
        .filter(|(key, _, _)| BUILD_KEYS.contains(key))
        .map(|(key, value, origin)| (key.buildrc_name(), value, origin))
        .collect();
    if plugin.all_features.value {
        let origin = plugin.all_features.origin.to_string();
        rows.push(("--all-features", "true".into(), origin));
    }
    for line in settings_table(rows, 40) {
        let _ = writeln!(out, "{line}");
    }
}

fn run(
    out: &mut String,
    plugins: &[PluginConfig],
    index: usize,
    n: usize,
    runs: usize,
    invocation: &Invocation,
    ctx: &CargoContext,
) {
    let why = match &invocation.grouping {
        Grouping::Batch => {
            let others: Vec<&str> = invocation
                .members
                .iter()
                .filter(|m| m.plugin != index)
                .map(|m| plugins[m.plugin].name())
                .collect();
            format!(
                "batched with {}: same target, profile, RUSTFLAGS and default-feature settings, \
                 no cfg tags, no feature that changes a dependency's features, \
                 and none depends on another, so cargo builds them in parallel",
                others.join(", ")
            )
        }
        Grouping::Alone(AloneReason::CfgTags(tags)) => {
            let tags: Vec<String> = tags.iter().map(|t| format!("`{t}`")).collect();
            format!(
                "alone: cfg tag {} must reach only this crate, so it is passed by `cargo rustc -- --cfg`",
                tags.join(", ")
            )
        }
        Grouping::Alone(AloneReason::DependencyFeatures(hit)) => {
            let how = if hit.feature == hit.entry {
                format!("feature `{}` changes a dependency's features", hit.feature)
            } else {
                format!("feature `{}` enables `{}`", hit.feature, hit.entry)
            };
            format!(
                "alone: {how}, and cargo unifies dependency features across the plugins of one run"
            )
        }
        Grouping::Alone(AloneReason::NoPartner) => "alone: no other plugin that may share a cargo \
             run has the same target, profile, RUSTFLAGS and default-feature settings"
            .to_string(),
        Grouping::Alone(AloneReason::Retry) => "alone: retried after its batch failed".to_string(),
        Grouping::Alone(AloneReason::Related {
            other,
            depends_on_other,
        }) => {
            let how = if *depends_on_other {
                format!("it depends on plugin `{other}`")
            } else {
                format!("plugin `{other}` depends on it")
            };
            format!(
                "alone: {how}, and one cargo run would build the dependency once, with the features of both"
            )
        }
    };
    let _ = writeln!(out, "  cargo run {n} of {runs}, {why}");
    let _ = writeln!(out, "  command: {}", invocation.command_line());
    if invocation.env.is_empty() {
        match ctx.env_rustflags.variable {
            Some(var) => {
                let _ = writeln!(
                    out,
                    "  environment: unchanged; cargo applies `{var}` from it: {}",
                    ctx.env_rustflags.flags.join(" ")
                );
            }
            None => {
                let _ = writeln!(out, "  environment: unchanged");
            }
        }
    } else {
        for line in invocation.env_lines() {
            let _ = writeln!(out, "  environment: {line}");
        }
        if let Some(var) = ctx.env_rustflags.variable {
            let _ = writeln!(
                out,
                "  note: the flags of `{var}` from the environment come first: {}",
                ctx.env_rustflags.flags.join(" ")
            );
        }
        let _ = writeln!(
            out,
            "  note: `build.rustflags` of .cargo/config.toml do not apply with RUSTFLAGS set, as in cargo"
        );
    }
    if let Some(dir) = &invocation.target_dir {
        let _ = writeln!(
            out,
            "  target directory: {} (one per set of RUSTFLAGS, so other builds are not recompiled)",
            shown(dir)
        );
    }
}

fn shown(path: &Path) -> String {
    wasmkit_core::display_path(path)
}
