//! What the host records for the report: every host call with its decoded
//! arguments and status, the plugin's log lines, and the host's own
//! diagnostics, each capped so that a plugin looping over host calls
//! cannot make the report grow without bound; and the JSON forms of guest
//! data the records hold.

use serde_json::{Map, Value, json};
use wasmkit_core::{Diagnostic, codes};
use wasmtime::Caller;

use super::headers::HeaderMap;
use super::state::HostState;
use crate::proxy_wasm::abi::{ImportModule, errno, status};
use crate::proxy_wasm::report::{HostCall, LogLevel, LogLine, LogSource};

/// Recording caps, so that a plugin looping over host calls cannot make the
/// report grow without bound.
const MAX_CALLS: usize = 5_000;
const MAX_RECORDED_BYTES: usize = 32 << 20;
const MAX_LOGS: usize = 2_000;
pub(super) const MAX_TEXT: usize = 512;
const MAX_PAIRS_RECORDED: usize = 32;
pub(super) const MAX_LOG_MESSAGE: usize = 4_096;
const MAX_HOST_DIAGNOSTICS: usize = 20;

/// One call being recorded.
pub(super) struct Record {
    arguments: Map<String, Value>,
    pub(super) returned: Option<Value>,
}

impl Record {
    pub(super) fn empty() -> Record {
        Record {
            arguments: Map::new(),
            returned: None,
        }
    }

    pub(super) fn arg(&mut self, name: &str, value: impl Into<Value>) {
        self.arguments.insert(name.to_string(), value.into());
    }
}

pub(super) fn record(
    state: &mut HostState,
    callback: &'static str,
    context: u32,
    function: &str,
    rec: Record,
    code: Option<u32>,
    module: ImportModule,
) {
    let size = rec.arguments.values().map(json_size).sum::<usize>()
        + rec.returned.as_ref().map_or(0, json_size)
        + function.len();
    if state.calls.len() >= MAX_CALLS || state.recorded_bytes + size > MAX_RECORDED_BYTES {
        state.calls_dropped += 1;
        return;
    }
    state.recorded_bytes += size;
    state.calls.push(HostCall {
        callback: callback.to_string(),
        context_id: context,
        function: function.to_string(),
        arguments: rec.arguments,
        returned: rec.returned,
        status: code,
        status_name: code.map(|c| match module {
            ImportModule::Env => status::name(c),
            ImportModule::Wasi => errno::name(c),
        }),
    });
}

/// About how many bytes a recorded value holds.
fn json_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(json_size).sum::<usize>() + 8,
        Value::Object(map) => {
            map.iter()
                .map(|(k, v)| k.len() + json_size(v))
                .sum::<usize>()
                + 8
        }
        _ => 8,
    }
}

impl HostState {
    /// The plugin's log lines so far, for notes.
    pub(crate) fn log_excerpt(&self, max: usize) -> Option<String> {
        if self.logs.is_empty() {
            return None;
        }
        let skip = self.logs.len().saturating_sub(max);
        let mut text = if skip > 0 {
            format!("the plugin's last {max} log lines:")
        } else {
            "the plugin's log:".to_string()
        };
        for line in &self.logs[skip..] {
            text.push_str(&format!(
                "\n  [{}] {}: {}",
                line.level.as_str(),
                line.callback,
                line.message
            ));
        }
        Some(text)
    }

    pub(super) fn push_log(&mut self, level: LogLevel, message: &[u8], source: LogSource) {
        if self.logs.len() >= MAX_LOGS {
            self.logs_dropped += 1;
            return;
        }
        self.logs.push(LogLine {
            level,
            message: capped(message, MAX_LOG_MESSAGE),
            callback: self.callback.to_string(),
            source,
        });
    }

    /// Records a `host-call` diagnostic once per key.
    pub(super) fn host_diagnostic(&mut self, key: String, diagnostic: Diagnostic) {
        if self.diagnostics.len() < MAX_HOST_DIAGNOSTICS && self.diagnostic_keys.insert(key) {
            self.diagnostics.push(diagnostic);
        }
    }
}

/// Answers a call the mock does not model with `code`, and says so once
/// per function.
pub(super) fn unmodelled(
    caller: &mut Caller<'_, HostState>,
    function: &str,
    what: &str,
    code: u32,
) -> u32 {
    let state = caller.data_mut();
    let d = Diagnostic::warning(
        codes::HOST_CALL,
        format!("`{}` called `{function}`, which the mock host does not model", state.callback),
    )
    .with_note(format!(
        "{what}; the mock answered {} ({code}), so the plugin's handling of a real answer was not exercised",
        status::name(code)
    ));
    state.host_diagnostic(format!("unmodelled/{function}"), d);
    code
}

/// Lossy UTF-8, cut at `max` bytes.
pub(crate) fn capped(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
    if bytes.len() > max {
        format!("{text}… ({} bytes)", bytes.len())
    } else {
        text
    }
}

pub(super) fn text(bytes: &[u8]) -> Value {
    Value::String(capped(bytes, MAX_TEXT))
}

pub(super) fn pairs_json(pairs: &HeaderMap) -> Value {
    Value::Array(
        pairs
            .iter()
            .take(MAX_PAIRS_RECORDED)
            .map(|(k, v)| json!([capped(k, MAX_TEXT), capped(v, MAX_TEXT)]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_text_says_how_long_it_was() {
        assert_eq!(capped(b"abc", 10), "abc");
        assert_eq!(capped(b"abcdef", 3), "abc… (6 bytes)");
    }
}
