//! Verifying proxy-wasm modules: `wasmkit_invoke::proxy_wasm` checks and
//! runs the module in the mock host of the target's host profile (envoy
//! unless set); this module gives it the target's settings and files its
//! report into the artifact's.

use wasmkit_core::HostKind;
use wasmkit_invoke::Runtime;
use wasmkit_invoke::proxy_wasm::{self, ProxyWasmOptions};
use wasmtime::Module;

use super::{ArtifactKind, ArtifactReport, VerifySettings, VerifyTarget};

pub(super) fn verify(
    runtime: &Runtime,
    module: &Module,
    target: &VerifyTarget,
    settings: &VerifySettings,
    report: &mut ArtifactReport,
) {
    report.kind = ArtifactKind::ProxyWasm;
    let host = target.host.unwrap_or(HostKind::Envoy);
    report.host = Some(host);
    let options = ProxyWasmOptions {
        host,
        config: target.config.as_deref(),
        vm_config: None,
        limits: settings.limits,
    };
    // Verify's default run for the plugin's kind (an HTTP stream, a
    // connection, or a service's ticks), with its ids.
    let mut plan = options.verify_plan(crate::test::plugin_kind(target.proxy_kind));
    plan.root_id.clone_from(&target.root_id);
    plan.vm_id.clone_from(&target.vm_id);
    let loaded = proxy_wasm::load(module, host);
    let mut proxy = proxy_wasm::run(runtime, module, &loaded, &plan);
    report.abi.clone_from(&proxy.abi);
    report.checks.append(&mut proxy.checks);
    report.diagnostics.append(&mut proxy.diagnostics);
    report.proxy_wasm = Some(proxy);
}
