//! The command line: global flags, the cargo flags shared by several
//! subcommands, and the subcommands themselves.

use std::ffi::OsString;

use clap::{Args, Parser, Subcommand, ValueEnum};
use wasmkit_core::Diagnostics;
use wasmkit_core::config::CliOverrides;
use wasmkit_core::workspace::{CargoOptions, PackageSelection, Project, Selected};
use wasmkit_core::{ColorChoice, MessageFormat, Verbosity};

use crate::commands;

/// Build, verify and invoke the WebAssembly plugins of a cargo workspace.
///
/// Each plugin (a member with a `cdylib` library target, a `.buildrc`
/// beside its `Cargo.toml`, or a `[package.metadata.wasmkit]` table) is
/// built with its own settings, then loaded in wasmtime and exercised the
/// way its host will.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-wasmkit",
    bin_name = "cargo wasmkit",
    version,
    styles = clap_cargo::style::CLAP_STYLING,
    after_help = "Exit codes: 0 success, 1 the work failed, 2 bad input.\n\
                  See 'cargo wasmkit <command> --help' for more on a command."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Use verbose output (-vv very verbose)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Print errors only
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Coloring
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        global = true,
        env = "CARGO_TERM_COLOR"
    )]
    pub color: Option<Color>,
    /// Output format: text for people, or JSON lines on stdout
    #[arg(
        long,
        value_enum,
        value_name = "FMT",
        global = true,
        default_value = "human"
    )]
    pub message_format: Format,
}

/// `--color`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

/// `--opt-level`: how hard to optimise the code compiled for a run.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OptLevelArg {
    /// Baseline the first time an artifact runs, optimised from its second
    /// run on (invoke's default)
    Auto,
    /// Winch, wasmtime's baseline compiler: fast to compile (verify's,
    /// build's and test's default)
    Baseline,
    /// Cranelift optimising for speed, as `wasmtime run`
    Speed,
}

impl From<OptLevelArg> for wasmkit_invoke::runtime::OptLevel {
    fn from(level: OptLevelArg) -> Self {
        use wasmkit_invoke::runtime::OptLevel;
        match level {
            OptLevelArg::Auto => OptLevel::Auto,
            OptLevelArg::Baseline => OptLevel::Baseline,
            OptLevelArg::Speed => OptLevel::Speed,
        }
    }
}

/// `--message-format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
}

impl GlobalArgs {
    pub(crate) fn color(&self) -> ColorChoice {
        match self.color {
            None | Some(Color::Auto) => ColorChoice::Auto,
            Some(Color::Always) => ColorChoice::Always,
            Some(Color::Never) => ColorChoice::Never,
        }
    }

    pub(crate) fn message_format(&self) -> MessageFormat {
        match self.message_format {
            Format::Human => MessageFormat::Human,
            Format::Json => MessageFormat::Json,
        }
    }

    pub(crate) fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, 1) => Verbosity::Verbose,
            (false, _) => Verbosity::VeryVerbose,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build every selected plugin with its own settings, then verify it
    Build(commands::build::BuildArgs),
    /// Load built artifacts (or any .wasm/.wat file) and exercise them as their host will
    Verify(commands::verify::VerifyArgs),
    /// Run the plugins' scenario files in their hosts' models and check what comes of them
    Test(commands::test::TestArgs),
    /// Call a component's (or core module's) functions with WAVE arguments
    Invoke(commands::invoke::InvokeArgs),
    /// Show each plugin's effective settings and where each came from
    Config(commands::config::ConfigArgs),
    /// Create a new plugin, ready to build, verify and invoke
    New(commands::new::NewArgs),
    /// Show where the compile cache is and how much it holds; `cache clean` empties it
    Cache(commands::cache::CacheArgs),
}

/// The cargo flags for choosing packages, features and profile.
#[derive(Debug, Args)]
pub(crate) struct CargoSelection {
    #[command(flatten, next_help_heading = "Package Selection")]
    pub workspace: clap_cargo::Workspace,
    #[command(flatten, next_help_heading = "Feature Selection")]
    pub features: clap_cargo::Features,
    #[command(flatten, next_help_heading = "Compilation Options")]
    pub profile: ProfileArgs,
    #[command(flatten, next_help_heading = "Manifest Options")]
    pub manifest: ManifestArgs,
}

/// `--release` and `--profile`.
#[derive(Debug, Args)]
pub(crate) struct ProfileArgs {
    /// Build artifacts in release mode, with optimizations
    #[arg(short, long)]
    pub release: bool,
    /// Build artifacts with the specified profile
    #[arg(long, value_name = "PROFILE-NAME", conflicts_with = "release")]
    pub profile: Option<String>,
}

/// `--manifest-path`, `--locked`, `--offline`, `--frozen`.
#[derive(Debug, Args)]
pub(crate) struct ManifestArgs {
    #[command(flatten)]
    pub manifest: clap_cargo::Manifest,
    /// Assert that `Cargo.lock` will remain unchanged
    #[arg(long)]
    pub locked: bool,
    /// Run without accessing the network
    #[arg(long)]
    pub offline: bool,
    /// Equivalent to specifying both --locked and --offline
    #[arg(long)]
    pub frozen: bool,
}

impl ManifestArgs {
    pub(crate) fn cargo_options(&self) -> CargoOptions {
        CargoOptions {
            manifest_path: self.manifest.manifest_path.clone(),
            locked: self.locked,
            offline: self.offline,
            frozen: self.frozen,
        }
    }
}

impl CargoSelection {
    pub(crate) fn packages(&self) -> PackageSelection {
        PackageSelection {
            packages: self.workspace.package.clone(),
            workspace: self.workspace.workspace || self.workspace.all,
            exclude: self.workspace.exclude.clone(),
        }
    }

    /// Reads the workspace and resolves the selected plugins, with `tags`
    /// added to each.
    pub(crate) fn select(&self, tags: &[String]) -> Result<(Project, Selected), Diagnostics> {
        let project = Project::load(&self.manifest.cargo_options())?;
        let selected = project.select(&self.packages(), &self.overrides(tags))?;
        Ok((project, selected))
    }

    pub(crate) fn overrides(&self, tags: &[String]) -> CliOverrides {
        CliOverrides {
            tags: tags.to_vec(),
            features: self.features.features.clone(),
            all_features: self.features.all_features,
            no_default_features: self.features.no_default_features,
            release: self.profile.release,
            profile: self.profile.profile.clone(),
        }
    }
}

/// The arguments as clap should see them: cargo runs `cargo-wasmkit
/// wasmkit <args>`, so the subcommand's own name is dropped when present.
pub(crate) fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|a| a == "wasmkit") {
        args.remove(1);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn cargo_style_invocation_drops_the_subcommand_word() {
        let args = normalize_args(["cargo-wasmkit", "wasmkit", "config"].map(OsString::from));
        assert_eq!(args, ["cargo-wasmkit", "config"].map(OsString::from));
        let args = normalize_args(["cargo-wasmkit", "config"].map(OsString::from));
        assert_eq!(args, ["cargo-wasmkit", "config"].map(OsString::from));
    }
}
