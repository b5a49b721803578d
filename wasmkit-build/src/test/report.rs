//! The result of one scenario on one host ([`ScenarioRun`]) and of a whole
//! run ([`TestSummary`]), with their JSON forms and the diagnostics a
//! failure is shown with.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wasmkit_core::{Diagnostic, HostKind, Label, SourceFile, codes};

use super::check::excerpt::LOG_HEADING;
use super::check::{self, CheckResult};
use super::record::{RunKind, RunRecord};

/// One scenario run on one host.
#[derive(Clone, Debug)]
pub struct ScenarioRun {
    /// The plugin, or the artifact as given.
    pub target: String,
    /// The artifact, as shown.
    pub artifact: String,
    /// The scenario file, relative to the workspace root.
    pub file: String,
    /// The scenario's name.
    pub name: String,
    /// The host.
    pub host: HostKind,
    /// How the artifact ran: a proxy-wasm kind, component calls, or an
    /// HTTP handler.
    pub kind: RunKind,
    /// Whether every check held.
    pub passed: bool,
    /// Every check, the implicit `run` first.
    pub checks: Vec<CheckResult>,
    /// What was recorded: the proxy-wasm host model's report (outcome,
    /// exchange, callouts, host calls, logs), or a component's calls or
    /// HTTP exchange; and the run's diagnostics.
    pub report: RunRecord,
    /// Wall time of the run.
    pub duration: Duration,
    /// The scenario's text, for labels.
    pub source: Arc<SourceFile>,
}

impl ScenarioRun {
    /// How the run is named in output: `add-header/scenarios/hello.toml [envoy]`.
    pub fn title(&self) -> String {
        format!("{} [{}]", self.file, self.host)
    }

    /// The run's own errors first (a trap, a stalled request: the cause),
    /// with the host calls and log that explain them, then the failed
    /// checks as diagnostics labelled at their expectation (the actual value
    /// under the caret, the explaining excerpt as a note). An excerpt
    /// already shown for this run is not repeated.
    pub fn failure_diagnostics(&self) -> Vec<Diagnostic> {
        let mut shown: Vec<&[String]> = Vec::new();
        let mut out: Vec<Diagnostic> = self
            .report
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .map(|mut d| {
                if d.origin.is_none() && d.labels.is_empty() {
                    d.origin = Some(self.artifact.clone());
                }
                d
            })
            .collect();
        let run_excerpt = self
            .checks
            .iter()
            .find(|c| !c.passed && c.span.is_none())
            .map(|c| c.excerpt.as_slice());
        if let (Some(excerpt), Some(last)) = (run_excerpt, out.last_mut())
            && !excerpt.is_empty()
        {
            // The host model's own diagnostic may already quote the log.
            let quotes_log = last.notes.iter().any(|n| n.starts_with(LOG_HEADING));
            let end = excerpt
                .iter()
                .position(|l| quotes_log && l == LOG_HEADING)
                .unwrap_or(excerpt.len());
            if end > 0 {
                last.notes.push(excerpt[..end].join("\n"));
            }
            shown.push(excerpt);
        }
        for c in self.checks.iter().filter(|c| !c.passed) {
            let Some(span) = &c.span else { continue };
            let mut d = Diagnostic::error(
                codes::SCENARIO_FAILED,
                format!("{}: expected {}", c.name, c.expected),
            )
            .with_label(Label::primary(
                &self.source,
                span.clone(),
                format!("got {}", c.actual),
            ));
            if !c.excerpt.is_empty() && !shown.contains(&c.excerpt.as_slice()) {
                d = d.with_note(c.excerpt.join("\n"));
                shown.push(&c.excerpt);
            }
            out.push(d);
        }
        out
    }

    /// The JSON object `--message-format json` prints for this run: the
    /// scenario, host, verdict and every check, then what the host model
    /// recorded (outcome, exchange or connection, callouts, host calls,
    /// logs) and the run's diagnostics.
    pub fn to_json(&self) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(c).unwrap_or_default();
                if let (Some(span), Value::Object(map)) = (&c.span, &mut v) {
                    let (line, column) = self.source.line_column(span.start);
                    map.insert("line".into(), line.into());
                    map.insert("column".into(), column.into());
                }
                v
            })
            .collect();
        let mut object = json!({
            "reason": "wasmkit-scenario",
            "plugin": self.target,
            "artifact": self.artifact,
            "file": self.file,
            "name": self.name,
            "host": self.host,
            "kind": self.kind,
            "passed": self.passed,
            "outcome": match &self.report {
                RunRecord::ProxyWasm(report) => check::outcome(report).0,
                RunRecord::Calls(_) | RunRecord::Http(_) => None,
            },
            "duration_ms": (self.duration.as_secs_f64() * 10_000.0).round() / 10.0,
            "checks": checks,
        });
        if let Value::Object(map) = &mut object {
            map.extend(self.report.json_fields());
        }
        object
    }
}

/// The counts of a whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TestSummary {
    /// Runs whose checks all held.
    pub passed: usize,
    /// Runs with a failed check.
    pub failed: usize,
    /// Scenarios the name filter left out.
    pub filtered_out: usize,
    /// Errors that kept scenarios from running: bad scenario files, failed
    /// builds, artifacts that cannot run scenarios.
    pub errors: usize,
    /// Wall time from the first run to the last.
    pub duration: Duration,
}

impl TestSummary {
    /// Whether nothing failed and nothing was kept from running.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.errors == 0
    }

    /// The JSON object that closes `--message-format json` output.
    pub fn to_json(&self) -> Value {
        json!({
            "reason": "wasmkit-test-result",
            "result": if self.ok() { "ok" } else { "FAILED" },
            "passed": self.passed,
            "failed": self.failed,
            "filtered_out": self.filtered_out,
            "errors": self.errors,
            "duration_ms": (self.duration.as_secs_f64() * 10_000.0).round() / 10.0,
        })
    }
}
