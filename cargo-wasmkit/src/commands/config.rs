//! `cargo wasmkit config`: each selected plugin's effective settings and
//! where each came from.

use clap::Args;
use wasmkit_core::workspace::Project;
use wasmkit_core::{ExitStatus, MessageFormat, Shell};

use super::CommandResult;
use crate::cli::CargoSelection;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub selection: CargoSelection,
    /// Extra build tags for the selected plugins, comma-separated
    #[arg(long, value_name = "TAGS", value_delimiter = ',')]
    pub tags: Vec<String>,
}

impl ConfigArgs {
    pub fn run(&self, shell: &Shell) -> CommandResult {
        let project = Project::load(&self.selection.manifest.cargo_options())?;
        let selected = project.select(
            &self.selection.packages(),
            &self.selection.overrides(&self.tags),
        )?;
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
            let settings = plugin.settings();
            let width = settings
                .iter()
                .map(|(_, v, _)| v.chars().count().max(1))
                .max()
                .unwrap_or(1)
                .min(48);
            for (key, value, origin) in settings {
                let value = if value.is_empty() {
                    "-".to_string()
                } else {
                    value
                };
                shell.out(format_args!(
                    "  {:<19}  {value:<width$}  {origin}",
                    key.buildrc_name()
                ));
            }
        }
        Ok(ExitStatus::Success)
    }
}
