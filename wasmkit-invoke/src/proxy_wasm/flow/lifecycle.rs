//! The VM's lifecycle around the plan's traffic: start-up
//! (`WasmBase::startVm`), the root context's creation, VM start and
//! configuration (`ContextBase::onStart`, `onConfigure`) with its first
//! callouts, then the stream or connection (none for a service), the
//! ticks still due, then the root context's shutdown
//! (`ContextBase::onDone`, `onDelete`).

use wasmkit_core::{Diagnostic, codes};

use super::{Failed, Run};
use crate::proxy_wasm::abi::Host;
use crate::proxy_wasm::checks::StartModel;
use crate::proxy_wasm::host::{ROOT_ID, Restriction};
use crate::proxy_wasm::plan::PluginKind;
use crate::proxy_wasm::report::{Check, RequestOutcome};

impl Run<'_> {
    /// The whole run: start-up, the root context, the plan's traffic (an
    /// HTTP stream, a connection, or nothing for a service) with its check
    /// and outcome, the remaining ticks, and shutdown.
    pub(super) fn lifecycle(&mut self, start: StartModel) {
        if !self.start(start) || !self.start_root() {
            return;
        }
        let outcome = match self.plan.kind {
            PluginKind::Http => {
                let outcome = self.request();
                self.finish_stream(&outcome);
                Some(("request", outcome))
            }
            PluginKind::Network => Some(("connection", self.connection())),
            PluginKind::Service => None,
        };
        if let Some((check, outcome)) = outcome {
            let (passed, detail) = match &outcome {
                RequestOutcome::Completed if check == "connection" => (
                    true,
                    "completed: the data went through both ways and the connection closed"
                        .to_string(),
                ),
                RequestOutcome::Completed => (
                    true,
                    "completed: the upstream's response reached the client".to_string(),
                ),
                RequestOutcome::LocalResponse { status, at, .. } => {
                    (true, format!("answered locally with {status} by `{at}`"))
                }
                RequestOutcome::Stalled { at, .. } => (false, format!("stalled in `{at}`")),
                RequestOutcome::Reset { at } => (true, format!("reset by the plugin in `{at}`")),
                RequestOutcome::Failed { at } => (false, format!("the plugin failed in `{at}`")),
            };
            self.report.checks.push(Check::new(check, passed, detail));
            let failed = matches!(outcome, RequestOutcome::Failed { .. });
            self.report.outcome = Some(outcome);
            if failed {
                return;
            }
        }
        if self.remaining_ticks().is_err() || self.settle().is_err() {
            return;
        }
        self.shutdown_root();
    }

    /// `WasmBase::startVm`: `_initialize` then `main`, or `_start`, with
    /// host calls restricted.
    fn start(&mut self, model: StartModel) -> bool {
        let (outcome, detail) = match model {
            StartModel::Reactor { main } => {
                // cpp-host `WasmBase::startVm`: `main(0, 0)` if exported,
                // else `__main_void` (upstream since late 2024; the Higress
                // fork looks up only `main`).
                let mut ran = "`_initialize` ran";
                let outcome = self
                    .call("_initialize", 0, &[], Restriction::StartUp)
                    .and_then(|_| {
                        if main {
                            ran = "`_initialize` and `main` ran";
                            self.call("main", 0, &[0, 0], Restriction::StartUp)
                                .map(|_| ())
                        } else if self.host == Host::Envoy {
                            self.call("__main_void", 0, &[], Restriction::StartUp)
                                .map(|called| {
                                    if called.is_some() {
                                        ran = "`_initialize` and `__main_void` ran";
                                    }
                                })
                        } else {
                            Ok(())
                        }
                    });
                (outcome, ran)
            }
            StartModel::Command => (
                self.call("_start", 0, &[], Restriction::StartUp)
                    .map(|_| ()),
                "`_start` ran to its end",
            ),
            StartModel::Nothing => (Ok(()), "nothing to run"),
        };
        match outcome {
            Ok(()) => {
                self.report.checks.push(Check::new("start", true, detail));
                true
            }
            Err(Failed) => {
                let at = self.failed_at.unwrap_or("start-up");
                self.report
                    .checks
                    .push(Check::new("start", false, format!("`{at}` failed")));
                false
            }
        }
    }

    /// `ContextBase::onStart` and `onConfigure` for the root context, then
    /// the answers to its callouts and one tick.
    fn start_root(&mut self) -> bool {
        let config_len = self.plan.plugin_config.len();
        let vm_config_len = self.plan.vm_config.len();
        self.state().alive.insert(ROOT_ID);
        // The host lends the plugin its configuration while it creates the
        // root context too (`temp_plugin_` in `onStart`).
        self.state().configuring = true;
        let created = self.call(
            "proxy_on_context_create",
            ROOT_ID,
            &[ROOT_ID, 0],
            Restriction::None,
        );
        self.state().configuring = false;
        let vm_start = created.and_then(|_| {
            self.call(
                "proxy_on_vm_start",
                ROOT_ID,
                &[ROOT_ID, vm_config_len as u32],
                Restriction::None,
            )
        });
        let refused = Diagnostic::error(
            codes::VM_START_REJECTED,
            "the plugin refused to start: `proxy_on_vm_start` returned false",
        )
        .with_note(format!(
            "the VM configuration was {vm_config_len} byte(s); {} does not load a plugin whose VM refuses to start",
            self.host
        ))
        .with_help(
            "give the plugin the VM configuration it expects (`vm_config`); its log says what it wanted",
        );
        let verdict = RootVerdict {
            check: "vm-start",
            callback: "proxy_on_vm_start",
            failed: "the plugin failed while the VM started",
            refused,
            accepted: "`proxy_on_vm_start` returned true".to_string(),
        };
        if !self.root_verdict(vm_start, verdict) {
            return false;
        }
        self.state().configuring = true;
        let configured = self.call(
            "proxy_on_configure",
            ROOT_ID,
            &[ROOT_ID, config_len as u32],
            Restriction::None,
        );
        self.state().configuring = false;
        let refused = Diagnostic::error(
            codes::CONFIGURE_REJECTED,
            "the plugin rejected its configuration: `proxy_on_configure` returned false",
        )
        .with_note(if config_len == 0 {
            "it was given no configuration (0 bytes)".to_string()
        } else {
            format!("it was given {config_len} byte(s) of configuration")
        })
        .with_note(format!(
            "{} does not load a filter whose plugin rejects its configuration",
            self.host
        ))
        .with_help(
            "give the plugin the configuration it expects (`VERIFY_CONFIG` or `--config FILE`); its log says what it wanted",
        );
        let verdict = RootVerdict {
            check: "configure",
            callback: "proxy_on_configure",
            failed: "the plugin failed while reading its configuration",
            refused,
            accepted: format!(
                "`proxy_on_configure` accepted {config_len} byte(s) of configuration"
            ),
        };
        if !self.root_verdict(configured, verdict) {
            return false;
        }
        if self.pump().is_err() {
            return false;
        }
        true
    }

    /// Files the check (and, when the plugin said no, the diagnostic) for a
    /// root-context callback whose `false` makes the host refuse the plugin.
    /// Whether the host goes on.
    fn root_verdict(&mut self, outcome: Result<Option<u32>, Failed>, verdict: RootVerdict) -> bool {
        let RootVerdict {
            check,
            callback,
            failed,
            refused,
            accepted,
        } = verdict;
        match outcome {
            Err(Failed) => {
                self.report.checks.push(Check::new(check, false, failed));
                false
            }
            Ok(Some(0)) => {
                let d = self.with_logs(refused);
                self.report.diagnostics.push(d);
                self.report.checks.push(Check::new(
                    check,
                    false,
                    format!("`{callback}` returned false"),
                ));
                false
            }
            Ok(returned) => {
                let detail = match returned {
                    Some(_) => accepted,
                    None => format!("no `{callback}`"),
                };
                self.report.checks.push(Check::new(check, true, detail));
                true
            }
        }
    }

    /// Shutting the VM down: `proxy_on_done` on the root context, then
    /// `proxy_on_delete` now or once the plugin calls `proxy_done`.
    fn shutdown_root(&mut self) {
        match self.call("proxy_on_done", ROOT_ID, &[ROOT_ID], Restriction::None) {
            Err(Failed) => {}
            Ok(Some(0)) => {
                self.state().signals.root_pending_done = true;
                if self.pump().is_ok() && self.store.data().signals.done_called {
                    let _ = self.call("proxy_on_delete", ROOT_ID, &[ROOT_ID], Restriction::None);
                }
            }
            Ok(_) => {
                let _ = self.call("proxy_on_delete", ROOT_ID, &[ROOT_ID], Restriction::None);
            }
        }
    }
}

/// What a root-context callback that may refuse the plugin decides, in the
/// report's words.
struct RootVerdict {
    /// The check's name.
    check: &'static str,
    callback: &'static str,
    /// The check's detail when the callback failed the VM.
    failed: &'static str,
    /// The diagnostic when it returned false.
    refused: Diagnostic,
    /// The check's detail when it returned true.
    accepted: String,
}
