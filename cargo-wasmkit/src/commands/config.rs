//! `cargo wasmkit config`: each selected plugin, why it is one, its
//! effective settings and where each came from.

use clap::Args;
use wasmkit_core::config::settings_table;
use wasmkit_core::{ExitStatus, MessageFormat, Shell};

use super::CommandResult;
use crate::cli::CargoSelection;

#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    #[command(flatten)]
    pub selection: CargoSelection,
    /// Extra build tags for the selected plugins, comma-separated
    #[arg(long, value_name = "TAGS", value_delimiter = ',')]
    pub tags: Vec<String>,
}

impl ConfigArgs {
    pub(crate) fn run(&self, shell: &Shell) -> CommandResult {
        let (_, selected) = self.selection.select(&self.tags)?;
        shell.diagnostics(&selected.warnings);
        for (i, plugin) in selected.plugins.iter().enumerate() {
            if shell.format() == MessageFormat::Json {
                shell.json(&plugin.to_json());
                continue;
            }
            if i > 0 {
                shell.out("");
            }
            shell.out(format_args!(
                "{} {} ({})",
                plugin.name(),
                plugin.package.version,
                wasmkit_core::display_path(plugin.dir())
            ));
            shell.out(format_args!("  plugin: {}", plugin.reason));
            let rows = plugin.settings().into_iter();
            let rows = rows.map(|(key, value, origin)| (key.buildrc_name(), value, origin));
            for line in settings_table(rows, 48) {
                shell.out(line);
            }
        }
        Ok(ExitStatus::Success)
    }
}
