//! Verifying proxy-wasm modules: `wasmkit_invoke::proxy_wasm` checks and
//! runs the module in the mock host of the target's host profile (envoy
//! unless set); this module gives it the target's settings and files its
//! report into the artifact's.

use wasmkit_core::HostKind;
use wasmkit_invoke::Runtime;
use wasmkit_invoke::proxy_wasm::{ProxyWasmOptions, verify_proxy_wasm};
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
    let mut proxy = verify_proxy_wasm(runtime, module, &options);
    report.abi.clone_from(&proxy.abi);
    report.checks.append(&mut proxy.checks);
    report.diagnostics.append(&mut proxy.diagnostics);
    report.proxy_wasm = Some(proxy);
}
