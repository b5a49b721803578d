//! From a scenario to the runs it asks for: the kind and hosts it runs
//! with (its own, else its plugin's), whether its parts fit that kind, and
//! one [`RunPlan`] per host.

use wasmkit_core::{Diagnostic, Diagnostics, HostKind, ProxyKind, codes};
use wasmkit_invoke::Limits;
use wasmkit_invoke::proxy_wasm::{HostProfile, PluginKind, RunPlan};

use super::scenario::Scenario;

/// What a scenario takes from its plugin (or the command line) when it
/// does not say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginDefaults {
    /// The plugin's name (Envoy's plugin `name`).
    pub name: String,
    /// `HOST`; `None` is envoy.
    pub host: Option<HostKind>,
    /// `--host`: when given, every scenario runs on exactly these hosts.
    pub hosts: Vec<HostKind>,
    /// `PROXY_KIND`.
    pub kind: ProxyKind,
    /// `--root-id`, else `ROOT_ID`.
    pub root_id: String,
    /// `--vm-id`, else `VM_ID`.
    pub vm_id: String,
}

/// How a scenario runs: its kind and hosts, settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settled {
    pub(crate) kind: ProxyKind,
    pub(crate) hosts: Vec<HostKind>,
}

/// Settles the kind and hosts of `scenario`, and checks that its parts fit
/// the kind: a `[request]` in a scenario that runs a service is an error
/// at the request, not a silent no-op.
pub(crate) fn settle(
    scenario: &Scenario,
    defaults: &PluginDefaults,
) -> Result<Settled, Diagnostics> {
    let mut errors = Vec::new();
    let (kind, kind_origin) = match &scenario.kind {
        Some(k) => (k.value, format!("`kind = \"{}\"`", k.value)),
        None => (
            defaults.kind,
            format!("the plugin's `PROXY_KIND` ({})", defaults.kind),
        ),
    };
    for part in &scenario.kind_parts {
        if !part.fits.contains(&kind) {
            let fits: Vec<String> = part.fits.iter().map(|k| format!("`{k}`")).collect();
            let mut d = Diagnostic::error(
                codes::SCENARIO_CONFLICT,
                format!("`{}` does not fit a {kind} plugin", part.key),
            )
            .with_label(scenario.label(
                part.span.clone(),
                format!("only for kind {}", fits.join(" or ")),
            ))
            .with_note(format!(
                "the scenario runs the plugin as kind `{kind}`, from {kind_origin}"
            ));
            d = d.with_help(match &scenario.kind {
                Some(_) => format!("remove `{}`, or change `kind`", part.key),
                None => format!(
                    "remove `{}`, or set `kind` in the scenario (or `PROXY_KIND` for the plugin)",
                    part.key
                ),
            });
            errors.push(d);
        }
    }
    let hosts = if !defaults.hosts.is_empty() {
        defaults.hosts.clone()
    } else if let Some(h) = &scenario.hosts {
        h.value.clone()
    } else {
        vec![defaults.host.unwrap_or(HostKind::Envoy)]
    };
    if hosts.contains(&HostKind::Wasmtime) {
        let origin = if defaults.hosts.is_empty() {
            "the plugin's `HOST`"
        } else {
            "`--host`"
        };
        errors.push(
            Diagnostic::error(
                codes::INVALID_OPTION,
                format!("`wasmtime` ({origin}) is not a proxy-wasm host: scenario `{}` runs a proxy-wasm module", scenario.display),
            )
            .with_help("run it with `--host envoy` or `--host higress`, or name `hosts` in the scenario"),
        );
    }
    if errors.is_empty() {
        Ok(Settled { kind, hosts })
    } else {
        Err(Diagnostics(errors))
    }
}

/// The run plan for `scenario` on `host`.
pub(crate) fn run_plan(
    scenario: &Scenario,
    defaults: &PluginDefaults,
    kind: ProxyKind,
    host: HostKind,
    limits: Limits,
) -> RunPlan {
    RunPlan {
        host: HostProfile {
            allow_on_headers_stop_iteration: scenario.allow_on_headers_stop_iteration,
            ..HostProfile::new(host)
        },
        kind: plugin_kind(kind),
        plugin_config: scenario.config.clone(),
        vm_config: scenario.vm_config.clone(),
        root_id: scenario
            .root_id
            .clone()
            .unwrap_or_else(|| defaults.root_id.clone()),
        vm_id: scenario
            .vm_id
            .clone()
            .unwrap_or_else(|| defaults.vm_id.clone()),
        plugin_name: defaults.name.clone(),
        properties: scenario.properties.clone(),
        ticks: scenario.ticks,
        request: scenario.request.clone(),
        response: scenario.response.clone(),
        network: scenario.network.clone(),
        callouts: scenario.callouts.clone(),
        grpc: scenario.grpc.clone(),
        redis: scenario.redis.clone(),
        // Not a scenario key yet: the VM has no environment variables.
        environment: Vec::new(),
        limits,
    }
}

/// The run side's name for a `PROXY_KIND`.
pub fn plugin_kind(kind: ProxyKind) -> PluginKind {
    match kind {
        ProxyKind::Http => PluginKind::Http,
        ProxyKind::Network => PluginKind::Network,
        ProxyKind::Service => PluginKind::Service,
    }
}
