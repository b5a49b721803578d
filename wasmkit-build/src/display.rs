//! What a build shows on stderr while it runs: on a terminal (and not on
//! CI), an indicatif display with one line per plugin and its state;
//! otherwise cargo-style status lines. Cargo's own stderr goes through here
//! too, so that its lines step around the display instead of tearing it.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use wasmkit_core::shell::StderrGuard;
use wasmkit_core::{PluginConfig, Shell};

use crate::artifact::ArtifactRecord;
use crate::plan::Invocation;

/// The state of one plugin, as the progress display shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PluginState {
    Queued,
    Compiling { done: usize, total: Option<usize> },
    Compiled,
    Wrapping,
    Done(String),
    Failed,
}

impl PluginState {
    fn message(&self) -> String {
        match self {
            PluginState::Queued => "queued".to_string(),
            PluginState::Compiling {
                done,
                total: Some(total),
            } => format!("compiling {done}/{total} units"),
            PluginState::Compiling { done, total: None } => {
                format!("compiling ({done} units done)")
            }
            PluginState::Compiled => "compiled, waiting for the rest of its cargo run".to_string(),
            PluginState::Wrapping => "wrapping into a component".to_string(),
            PluginState::Done(path) => format!("done -> {path}"),
            PluginState::Failed => "failed".to_string(),
        }
    }
}

struct Bars {
    bars: Vec<ProgressBar>,
    /// Units finished in the running invocation, when cargo's own count is unknown.
    units: Mutex<usize>,
}

/// Lets [`Shell`] write lines above the bars.
struct SuspendBars(MultiProgress);

impl StderrGuard for SuspendBars {
    fn suspend(&self, write: &mut dyn FnMut()) {
        self.0.suspend(write);
    }
}

/// The build's view on stderr.
pub(crate) struct BuildDisplay<'a> {
    shell: &'a Shell,
    plugins: &'a [PluginConfig],
    bars: Option<Bars>,
}

impl<'a> BuildDisplay<'a> {
    /// Bars when the shell allows them, else status lines.
    pub(crate) fn new(shell: &'a Shell, plugins: &'a [PluginConfig], building: &[usize]) -> Self {
        let bars = shell.progress_allowed().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let width = building
                .iter()
                .map(|&i| plugins[i].name().len())
                .max()
                .unwrap_or(0);
            let bars = plugins
                .iter()
                .enumerate()
                .map(|(i, plugin)| {
                    if !building.contains(&i) {
                        return ProgressBar::hidden();
                    }
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(active_style());
                    bar.set_prefix(format!("{:>width$}", plugin.name()));
                    bar.set_message(PluginState::Queued.message());
                    bar
                })
                .collect();
            shell.set_stderr_guard(Some(Box::new(SuspendBars(multi.clone()))));
            Bars {
                bars,
                units: Mutex::new(0),
            }
        });
        BuildDisplay {
            shell,
            plugins,
            bars,
        }
    }

    /// Whether bars are drawn (and cargo should report its progress for them).
    pub(crate) fn has_bars(&self) -> bool {
        self.bars.is_some()
    }

    fn set(&self, plugin: usize, state: &PluginState) {
        let Some(bars) = &self.bars else { return };
        let bar = &bars.bars[plugin];
        match state {
            PluginState::Done(_) | PluginState::Failed => {
                bar.set_style(finished_style());
                bar.finish_with_message(state.message());
            }
            PluginState::Queued | PluginState::Compiled => {
                bar.disable_steady_tick();
                bar.set_message(state.message());
            }
            PluginState::Compiling { .. } | PluginState::Wrapping => {
                bar.enable_steady_tick(Duration::from_millis(120));
                bar.set_message(state.message());
            }
        }
    }

    /// A cargo run starts.
    pub(crate) fn invocation_started(&self, invocation: &Invocation) {
        if let Some(bars) = &self.bars {
            *bars
                .units
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = 0;
        }
        for member in &invocation.members {
            let plugin = &self.plugins[member.plugin];
            self.set(
                member.plugin,
                &PluginState::Compiling {
                    done: 0,
                    total: None,
                },
            );
            if self.bars.is_none() {
                self.shell
                    .status("Building", format_args!("{}", describe(plugin)));
            }
        }
    }

    /// Cargo finished a unit, before it gave its own count.
    pub(crate) fn unit_finished(&self, invocation: &Invocation) {
        let Some(bars) = &self.bars else { return };
        let mut units = bars
            .units
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *units += 1;
        let done = *units;
        drop(units);
        self.compiling(invocation, done, None);
    }

    /// Cargo reported `done` of `total` units.
    pub(crate) fn compiling(&self, invocation: &Invocation, done: usize, total: Option<usize>) {
        let Some(bars) = &self.bars else { return };
        for member in &invocation.members {
            // Plugins already compiled keep saying so.
            if !bars.bars[member.plugin].message().starts_with("compiling") {
                continue;
            }
            self.set(member.plugin, &PluginState::Compiling { done, total });
        }
    }

    /// Cargo produced the plugin's wasm; its run goes on for the others.
    pub(crate) fn compiled(&self, plugin: usize) {
        self.set(plugin, &PluginState::Compiled);
    }

    /// A line cargo wrote on stderr (without its newline).
    pub(crate) fn cargo_line(&self, line: &str) {
        self.shell.write_stderr(&format!("{line}\n"));
    }

    /// Text for stderr as it is (compiler messages cargo rendered).
    pub(crate) fn cargo_text(&self, text: &str) {
        self.shell.write_stderr(text);
    }

    /// The plugin's module is being wrapped into a component.
    pub(crate) fn wrapping(&self, plugin: usize) {
        self.set(plugin, &PluginState::Wrapping);
        if self.bars.is_none() {
            let config = &self.plugins[plugin];
            let adapter =
                crate::component::adapter_name(config.component.value).unwrap_or_default();
            self.shell.status(
                "Wrapping",
                format_args!("{} into a component ({adapter})", config.name()),
            );
        }
    }

    /// The plugin's artifact is in place.
    pub(crate) fn built(&self, plugin: usize, record: &ArtifactRecord) {
        let path = wasmkit_core::display_path(&record.path);
        self.set(plugin, &PluginState::Done(path.clone()));
        if self.bars.is_none() {
            self.shell.status(
                "Built",
                format_args!(
                    "{} -> {path} ({}, {})",
                    record.package,
                    record.kind.describe(),
                    human_size(record.size)
                ),
            );
        }
    }

    /// The plugin did not build; its diagnostic comes at the end.
    pub(crate) fn failed(&self, plugin: usize) {
        self.set(plugin, &PluginState::Failed);
        if self.bars.is_none() {
            self.shell
                .status_error("Failed", self.plugins[plugin].name());
        }
    }

    /// The plugin's batch failed before building it; it is built alone.
    pub(crate) fn retrying(&self, plugin: usize) {
        self.set(plugin, &PluginState::Queued);
        self.shell.status_warn(
            "Retrying",
            format_args!(
                "{} on its own (its cargo run failed before building it)",
                self.plugins[plugin].name()
            ),
        );
    }

    /// The end: the bars stay on screen in their final state, stderr is
    /// released, then the summary line.
    pub(crate) fn finish(self, summary: Option<String>) {
        if let Some(bars) = &self.bars {
            for bar in &bars.bars {
                if !bar.is_finished() {
                    bar.finish_and_clear();
                }
            }
            self.shell.set_stderr_guard(None);
        }
        if let Some(summary) = summary {
            self.shell.status("Finished", summary);
        }
    }
}

/// `bt-a v0.1.0 (wasm32-wasip1, dev, tags: x [cfg], features: y)`.
pub(crate) fn describe(plugin: &PluginConfig) -> String {
    let mut parts = vec![plugin.target.value.clone(), plugin.profile.value.clone()];
    if !plugin.tags.is_empty() {
        let tags: Vec<String> = plugin
            .tags
            .iter()
            .map(|t| {
                let how = match t.applied_as {
                    wasmkit_core::config::TagUse::Feature => "feature",
                    wasmkit_core::config::TagUse::Cfg => "cfg",
                };
                format!("{} [{how}]", t.name)
            })
            .collect();
        parts.push(format!("tags: {}", tags.join(" ")));
    }
    if !plugin.features.is_empty() {
        let features: Vec<&str> = plugin.features.iter().map(|f| f.name.as_str()).collect();
        parts.push(format!("features: {}", features.join(" ")));
    }
    if plugin.no_default_features.value {
        parts.push("no default features".into());
    }
    if !plugin.rustflags.value.is_empty() {
        parts.push(format!("RUSTFLAGS: {}", plugin.rustflags.value.join(" ")));
    }
    format!(
        "{} v{} ({})",
        plugin.name(),
        plugin.package.version,
        parts.join(", ")
    )
}

fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

fn active_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} {spinner} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn finished_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}   {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// Reads cargo's progress line (`Building [=====>  ] 12/40: a, b`), forced
/// onto the pipe with `term.progress.when`, as (done, total).
pub(crate) fn parse_cargo_progress(segment: &str) -> Option<(usize, usize)> {
    let plain = strip_ansi(segment);
    let rest = plain.trim_start().strip_prefix("Building")?;
    let rest = rest.trim_start().strip_prefix('[')?;
    let (_, after) = rest.split_once(']')?;
    let count = after.trim_start().split([':', ' ']).next()?;
    let (done, total) = count.split_once('/')?;
    Some((done.parse().ok()?, total.parse().ok()?))
}

/// The text with its ANSI escape sequences (colours, cursor moves) removed.
pub(crate) fn strip_ansi(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_progress_is_read() {
        assert_eq!(
            parse_cargo_progress("    Building [=======>      ] 12/40: bt-a, bt-b"),
            Some((12, 40))
        );
        assert_eq!(
            parse_cargo_progress("\x1b[1m\x1b[36m    Building\x1b[0m [==>  ] 3/7: x(build)"),
            Some((3, 7))
        );
        assert_eq!(parse_cargo_progress("   Compiling bt-a v0.1.0"), None);
        assert_eq!(parse_cargo_progress("    Building [   ] 0/1"), Some((0, 1)));
    }

    #[test]
    fn escape_sequences_are_stripped() {
        assert_eq!(
            strip_ansi("\x1b[1m\x1b[32mok\x1b[0m \x1b[2Kdone"),
            "ok done"
        );
        assert_eq!(strip_ansi("\x1b[1A\x1b[Kplain"), "plain");
    }

    #[test]
    fn states_read_well() {
        assert_eq!(
            PluginState::Compiling {
                done: 2,
                total: Some(5)
            }
            .message(),
            "compiling 2/5 units"
        );
        assert_eq!(
            PluginState::Done("t/x.wasm".into()).message(),
            "done -> t/x.wasm"
        );
        assert_eq!(human_size(2048), "2.0 KiB");
    }
}
