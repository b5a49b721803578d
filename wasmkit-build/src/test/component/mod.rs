//! Scenarios for components: a sequence of WAVE calls on one instance with
//! mocked imports ([`calls`]), or requests to an HTTP handler with its
//! outgoing requests answered ([`http`]).
//!
//! A plugin that builds a component (`wasm32-wasip2`, or `COMPONENT`) has
//! its `scenarios/*.toml` read here instead of as proxy-wasm scenarios.
//! Which of the two forms a file is follows from its keys: `mocks` and
//! `[[call]]`, or `[request]`, `[callouts.<authority>]` and `[expect]`. A
//! file with any problem is not run, as for proxy-wasm scenarios; the runs
//! ([`run`]) report in the same [`ScenarioRun`](super::ScenarioRun)s.

pub mod calls;
mod calls_run;
pub mod http;
pub(crate) mod http_run;
pub(crate) mod run;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmkit_core::{
    ComponentMode, Diagnostic, Diagnostics, HostKind, Label, PluginConfig, SourceFile, codes,
};
use wasmkit_invoke::CallSource;

use super::scenario::toml::{self, Entry, Reader};

pub use calls::{CallScenario, ScenarioCall};
pub use http::HttpScenario;

/// The top-level keys of a component scenario, both forms.
const TOP_KEYS: &[&str] = &["name", "mocks", "call", "request", "callouts", "expect"];
/// The keys of the calls form.
const CALL_KEYS: &[&str] = &["mocks", "call"];
/// The keys of the HTTP form.
const HTTP_KEYS: &[&str] = &["request", "callouts", "expect"];

/// One component scenario, as read from its file.
#[derive(Clone, Debug)]
pub struct ComponentScenario {
    /// The file.
    pub path: PathBuf,
    /// The file as shown in output: relative to the workspace root.
    pub display: String,
    /// Its text, for diagnostics about it after reading.
    pub source: Arc<SourceFile>,
    /// `name`, else the file's stem.
    pub name: String,
    /// What it does.
    pub body: ScenarioBody,
}

/// The two forms of a component scenario.
#[derive(Clone, Debug)]
pub enum ScenarioBody {
    /// Calls on one instance, with mocked imports.
    Calls(CallScenario),
    /// One request to an HTTP handler.
    Http(HttpScenario),
}

/// Whether a plugin's scenarios are component scenarios: it builds a
/// component (`wasm32-wasip2` links one; `COMPONENT` wraps a module into
/// one) or is verified on wasmtime.
pub fn plugin_runs_components(plugin: &PluginConfig) -> bool {
    plugin.target.value == "wasm32-wasip2"
        || plugin.component.value != ComponentMode::None
        || plugin.host.value == Some(HostKind::Wasmtime)
}

/// Reads and parses the component scenario at `path`, shown as `display`.
/// Every problem of the file is returned; a file with any is not run.
pub fn load(path: &Path, display: &str) -> Result<ComponentScenario, Diagnostics> {
    let text = toml::read_text(path, display)?;
    parse(path, display, &text)
}

/// Parses component scenario `text` read from `path`.
pub fn parse(path: &Path, display: &str, text: &str) -> Result<ComponentScenario, Diagnostics> {
    let (source, doc) = toml::document(display, text)?;
    let mut reader = Reader::new(Arc::clone(&source));
    let fields = reader.fields(doc.as_table(), "", TOP_KEYS);
    let name = reader.scenario_name(&fields, path, display);

    let first = |keys: &[&str]| {
        fields
            .all()
            .filter(|e| keys.contains(&e.key))
            .min_by_key(|e| e.key_span.start)
    };
    let body = match (first(CALL_KEYS), first(HTTP_KEYS)) {
        (Some(call), Some(http)) => {
            reader.conflict(
                &call,
                &http,
                "a scenario either makes calls (`mocks`, `[[call]]`) or sends a request to an HTTP handler (`[request]`, `[callouts.<authority>]`, `[expect]`): put them in two files",
            );
            None
        }
        (Some(_), None) => Some(ScenarioBody::Calls(calls::read(&mut reader, &fields))),
        (None, Some(_)) => Some(ScenarioBody::Http(http::read(&mut reader, &fields))),
        (None, None) => {
            reader.errors.push(
                Diagnostic::error(
                    codes::SCENARIO_INCOMPLETE,
                    format!("`{display}` makes no call and sends no request"),
                )
                .with_label(Label::primary(&source, 0..0, "nothing to run"))
                .with_help("add `[[call]]` tables with `call = \"f(1)\"` to call the component's functions, or a `[request]` to send one to its HTTP handler"),
            );
            None
        }
    };
    match body {
        Some(body) if reader.errors.is_empty() => Ok(ComponentScenario {
            path: path.to_path_buf(),
            display: display.to_string(),
            source,
            name,
            body,
        }),
        _ => Err(Diagnostics(reader.into_errors())),
    }
}

/// The text of a string value as a [`CallSource`] into the scenario file,
/// so that a diagnostic about a call or value points at the file's line
/// and column. A string written with escapes (whose text is not its value)
/// gets a source of its own, named after the file.
pub(crate) fn string_source(file: &Arc<SourceFile>, value: &str, span: Range<usize>) -> CallSource {
    let raw = file.text.get(span.clone()).unwrap_or_default();
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if raw.len() >= 2 * quote.len() && raw.starts_with(quote) && raw.ends_with(quote) {
            let inner = span.start + quote.len()..span.end - quote.len();
            if file.text.get(inner.clone()) == Some(value) {
                return CallSource::within(file, inner);
            }
            break;
        }
    }
    if raw == value {
        // A bare key.
        return CallSource::within(file, span);
    }
    CallSource {
        file: SourceFile::new(file.path.clone(), value),
        span: 0..value.len(),
    }
}

/// A string entry as a [`CallSource`] into the file.
pub(crate) fn string_entry(reader: &mut Reader, entry: &Entry<'_>) -> Option<CallSource> {
    let value = reader.string(entry)?;
    Some(string_source(&reader.file, &value, entry.span.clone()))
}

#[cfg(test)]
mod tests;
