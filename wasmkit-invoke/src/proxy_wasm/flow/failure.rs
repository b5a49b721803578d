//! A callback that failed the VM — a trap, a timeout, memory past the cap,
//! a host call the host forbids at that point, `proc_exit` — as a
//! diagnostic with its backtrace, the plugin's log, and what the host does
//! to the plugin next.

use wasmkit_core::{Diagnostic, codes};
use wasmtime::WasmBacktrace;

use super::{LOG_LINES_IN_NOTES, Run};
use crate::limits::{CallContext, guest_error};
use crate::proxy_wasm::abi::Host;
use crate::proxy_wasm::host::{HTTP_ID, HostState, RestrictedCall, Restriction};
use crate::proxy_wasm::plan::PluginKind;

impl Run<'_> {
    pub(super) fn fail(&mut self, name: &'static str, error: &wasmtime::Error) {
        self.failed_at = Some(name);
        let state = self.store.data();
        let mut d = match error.downcast_ref::<RestrictedCall>() {
            Some(restricted) => {
                let mut d = restricted_diagnostic(name, restricted, self.host);
                if let Some(bt) = error.downcast_ref::<WasmBacktrace>() {
                    // Only the frames: its display may start with a heading.
                    let text = bt.to_string();
                    let frames: Vec<&str> = text
                        .lines()
                        .filter(|l| !l.trim().is_empty() && !l.starts_with("error while executing"))
                        .collect();
                    if !frames.is_empty() {
                        d = d.with_note(format!("wasm backtrace:\n{}", frames.join("\n")));
                    }
                }
                d
            }
            None => guest_error(
                error,
                CallContext {
                    name,
                    limits: &self.limits,
                },
                Some(&state.limiter),
            ),
        };
        if error.downcast_ref::<wasmtime_wasi::I32Exit>().is_some() {
            d = d.with_note(
                "the plugin called `proc_exit` (a command's `main` returning, or `std::process::exit`); \
                 the host treats it as an error and the VM is unusable afterwards",
            );
        }
        // A map read where Envoy holds none answers BadArgument, which the
        // SDKs treat as fatal (the Rust SDK panics "unexpected status: 2"):
        // the likely cause of this failure.
        if let Some(late) = state.late_reads.iter().rev().find(|r| r.callback == name) {
            d = d.with_note(format!(
                "`{name}` asked `{}` for {}, and the host answered BadArgument (2): {}; the SDKs treat that status as fatal",
                late.function, late.what, late.why
            ));
            d = d.with_help(
                "read the header while its callback runs (in Rust, copy it into a field of the HttpContext in `on_http_request_headers`) and use the copy later",
            );
        }
        d = self.with_logs(d);
        let starting = matches!(
            name,
            "_initialize" | "main" | "_start" | "proxy_on_vm_start" | "proxy_on_configure"
        ) || (name == "proxy_on_context_create" && !state.alive.contains(&HTTP_ID));
        let after_response = matches!(name, "proxy_on_log" | "proxy_on_done" | "proxy_on_delete");
        d = d.with_note(if starting {
            format!(
                "{} fails the plugin's VM: the filter configuration that loads it is rejected",
                self.host
            )
        } else if after_response {
            format!(
                "{} fails the plugin's VM: every later request is answered 503 \
                 (or passes unfiltered if the filter is set to fail open)",
                self.host
            )
        } else {
            format!(
                "{} fails the plugin's VM: this request and every later one are answered 503 \
                 (or pass unfiltered if the filter is set to fail open)",
                self.host
            )
        });
        if starting || name == "proxy_on_context_create" {
            d = root_id_hint(d, state);
        }
        if d.help.is_empty() {
            d = d.with_help(format!(
                "fix what fails in `{name}`: the backtrace shows where; a Rust panic's message is in the plugin's log"
            ));
        }
        self.report.diagnostics.push(d);
    }
}

/// A host call the host forbids while it starts the module or runs its
/// allocator.
fn restricted_diagnostic(name: &str, call: &RestrictedCall, host: Host) -> Diagnostic {
    let function = &call.function;
    match call.during {
        Restriction::Allocating => Diagnostic::error(
            codes::HOST_CALL,
            format!(
                "the module's allocator called `{function}` while the host was allocating memory for `{name}`"
            ),
        )
        .with_note(format!(
            "while its allocator runs, {host} allows only `proxy_log`, `fd_write` and `clock_time_get`; anything else traps with `restricted_callback`"
        ))
        .with_help("keep the allocator to allocating: `proxy_on_memory_allocate` must not call the host"),
        _ => {
            let help = if function.ends_with("proc_exit") {
                "build the plugin as a reactor (`crate-type = [\"cdylib\"]`, or `-buildmode=c-shared` for Go): a command's `_start` ends by exiting"
            } else {
                "move the call into `proxy_on_vm_start` or `proxy_on_configure`, where the host allows it"
            };
            Diagnostic::error(
                codes::HOST_CALL,
                format!("`{name}` called `{function}` during start-up, which {host} forbids"),
            )
            .with_note(format!(
                "while it runs `_initialize`, `main` or `_start`, the host allows only `proxy_log` and the WASI calls for output, arguments, environment, preopens, clocks and randomness; anything else traps with `restricted_callback` (the host logs \"Function: {name} failed: Uncaught Error: restricted_callback\")"
            ))
            .with_help(help)
        }
    }
}

impl Run<'_> {
    /// A stream or connection that failed as the host created its context
    /// or made its first callback: the plugin most likely is another kind
    /// (a Rust `WasmService` panics "missing ContextType on root_context";
    /// a root that creates the other context type leaves the SDK without
    /// the context the callback is for, "invalid context_id"), so the
    /// diagnostic says how to run it as what it is.
    pub(super) fn explain_wrong_kind(&mut self, at: &str) {
        let logs = self
            .store
            .data()
            .log_excerpt(LOG_LINES_IN_NOTES)
            .unwrap_or_default();
        let network = self.plan.kind == PluginKind::Network;
        let context = if network {
            "network (stream) context"
        } else {
            "HTTP context"
        };
        let hint = if logs.contains("missing ContextType") {
            format!(
                "the plugin's root context creates no {context} (\"missing ContextType on root_context\"): it is not run as the kind it is"
            )
        } else if logs.contains("invalid context_id") && at != "proxy_on_context_create" {
            format!(
                "the plugin's root context created a context of another type, so the SDK had none for `{at}` (\"invalid context_id\"): it is not run as the kind it is"
            )
        } else if at == "proxy_on_context_create" {
            format!(
                "the plugin failed while the host created the {context}: if it is not that kind of plugin, it is run as the wrong kind"
            )
        } else {
            return;
        };
        let help = if network {
            "set the plugin's kind: `PROXY_KIND=http` in its `.buildrc` for an HTTP filter, `PROXY_KIND=service` for a `WasmService` (an Envoy bootstrap extension) (or `kind = ...` in a scenario)"
        } else {
            "set the plugin's kind: `PROXY_KIND=service` in its `.buildrc` for a `WasmService` (an Envoy bootstrap extension), `PROXY_KIND=network` for a network filter (or `kind = ...` in a scenario)"
        };
        if let Some(d) = self
            .report
            .diagnostics
            .iter_mut()
            .rev()
            .find(|d| d.is_error())
        {
            d.notes.push(hint);
            // Replaces the generic "fix what fails" help.
            d.help = vec![help.to_string()];
        }
    }
}

/// A plugin that looks its root context up by root id fails as it starts
/// when the host configures another id: SDKs register root contexts by id
/// and read the id the host configured from the `plugin_root_id` property,
/// which Envoy serves from the plugin's `root_id` (`Context::getProperty`,
/// PLUGIN_ROOT_ID, context.cc; cpp-host `ContextBase` takes `root_id_` from
/// the plugin). When the plugin read it, or its log speaks of a root id,
/// the failure says to set the id, and shows the one it saw.
fn root_id_hint(d: Diagnostic, state: &HostState) -> Diagnostic {
    let read_it = state
        .property_reads
        .iter()
        .any(|(path, _)| path == "plugin_root_id");
    let logged = state.logs.iter().any(|line| {
        let line = line.message.to_ascii_lowercase();
        line.contains("root id") || line.contains("root_id")
    });
    if !read_it && !logged {
        return d;
    }
    let seen = &state.plan.root_id;
    let how = if read_it {
        "the plugin read its root id (`plugin_root_id`)"
    } else {
        "the plugin's log speaks of its root id"
    };
    let mut d = d.with_note(format!(
        "{how}, and the host configured the root id \"{seen}\"{}: a plugin that registers its root context under another id finds none",
        if seen.is_empty() { " (none)" } else { "" }
    ));
    d.help = vec![
        "set the root id the plugin registers (the `root_id` of its Envoy configuration): `ROOT_ID=...` in its `.buildrc` (metadata `root-id`), `--root-id ID` on `verify` and `test`, or `root-id` in a scenario".to_string(),
    ];
    d
}
