//! `cargo wasmkit new`: create a plugin that builds, verifies and answers
//! `invoke` at once.

use std::path::PathBuf;

use clap::Args;
use wasmkit_build::scaffold::{self, CreatedPlugin, Membership, NewPlugin, PluginKind};
use wasmkit_core::{ExitStatus, HostKind, MessageFormat, Shell, Verbosity, display_path};

use super::CommandResult;

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Where to create the plugin (a new or empty directory)
    pub path: PathBuf,
    /// What kind of plugin
    #[arg(long, value_enum)]
    pub kind: KindArg,
    /// Package name (default: the directory name)
    #[arg(long)]
    pub name: Option<String>,
    /// Build tags to put in the plugin's .buildrc, comma-separated
    #[arg(long, value_name = "TAGS", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// The host the plugin targets (proxy-wasm; default envoy)
    #[arg(long, value_enum)]
    pub host: Option<ProxyHostArg>,
}

/// `--kind`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum KindArg {
    /// A wit-bindgen component (wasm32-wasip2)
    Component,
    /// A proxy-wasm SDK filter (wasm32-wasip1)
    ProxyWasm,
    /// A wasi:http handler on the wasip2 crate (wasm32-wasip2)
    Http,
}

/// `--host`: the proxy-wasm hosts a new filter can target.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ProxyHostArg {
    Envoy,
    Higress,
}

impl NewArgs {
    pub fn run(&self, shell: &Shell) -> CommandResult {
        let request = NewPlugin {
            path: self.path.clone(),
            kind: match self.kind {
                KindArg::Component => PluginKind::Component,
                KindArg::ProxyWasm => PluginKind::ProxyWasm,
                KindArg::Http => PluginKind::Http,
            },
            name: self.name.clone(),
            tags: self.tags.clone(),
            host: self.host.map(|host| match host {
                ProxyHostArg::Envoy => HostKind::Envoy,
                ProxyHostArg::Higress => HostKind::Higress,
            }),
        };
        let created = scaffold::create(&request)?;
        report(shell, &created);
        match shell.format() {
            MessageFormat::Json => shell.json(&created.to_json()),
            MessageFormat::Human => next_steps(shell, &created),
        }
        Ok(ExitStatus::Success)
    }
}

/// Status lines (stderr) for what was done.
fn report(shell: &Shell, created: &CreatedPlugin) {
    shell.status(
        "Created",
        format_args!(
            "{} plugin `{}` in {}",
            created.kind,
            created.name,
            display_path(&created.dir)
        ),
    );
    match &created.membership {
        Membership::Standalone => {}
        Membership::Added { manifest, member } => shell.status(
            "Added",
            format_args!(
                "`{member}` to the workspace members in {}",
                display_path(manifest)
            ),
        ),
        Membership::CoveredByGlob {
            manifest,
            member,
            glob,
        } => shell.status(
            "Covered",
            format_args!(
                "`{member}` by the workspace member glob `{glob}` in {}",
                display_path(manifest)
            ),
        ),
    }
}

/// The commands to run next, for people (stderr; not with `-q`).
fn next_steps(shell: &Shell, created: &CreatedPlugin) {
    if shell.verbosity() == Verbosity::Quiet {
        return;
    }
    let Ok(cwd) = std::env::current_dir() else {
        return;
    };
    let steps = created.next_steps(&cwd);
    let width = steps.iter().map(|s| s.command.len()).max().unwrap_or(0);
    let mut text = String::from("\nNext:\n");
    for step in steps {
        text.push_str(&format!(
            "    {:<width$}  # {}\n",
            step.command, step.purpose
        ));
    }
    shell.write_stderr(&text);
}
