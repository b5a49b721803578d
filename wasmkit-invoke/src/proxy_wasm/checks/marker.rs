//! The ABI marker check: which `proxy_abi_version_*` export the host picks,
//! and whether it knows it (`BytecodeUtil::getAbiVersion` in
//! proxy-wasm-cpp-host `src/bytecode_util.cc`).

use wasmkit_core::{Diagnostic, codes};

use super::shape::{ItemKind, ModuleShape};
use crate::proxy_wasm::abi::{self, Abi, Host, MARKER_PREFIX};
use crate::proxy_wasm::report::{Check, ProxyWasmReport};

fn known_markers(host: Host) -> String {
    Abi::ALL
        .into_iter()
        .filter(|a| host.knows(*a))
        .map(|a| format!("`{}`", a.marker()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The host takes the first export, in section order, whose name is a
/// marker it knows (`BytecodeUtil::getAbiVersion`).
pub(super) fn check_marker(
    shape: &ModuleShape,
    host: Host,
    report: &mut ProxyWasmReport,
) -> Option<Abi> {
    let markers: Vec<&str> = shape
        .exports
        .iter()
        .filter(|e| e.kind == ItemKind::Func && e.name.starts_with(MARKER_PREFIX))
        .map(|e| e.name.as_str())
        .collect();
    let selected = markers
        .iter()
        .find_map(|m| Abi::from_marker(m).filter(|a| host.knows(*a)));
    report.abi = match (selected, markers.first()) {
        (Some(abi), _) => Some(abi.version().to_string()),
        (None, Some(first)) => Some(abi::marker_version(first)),
        (None, None) => None,
    };
    let refusal = "the host refuses to load it: \"Missing or unknown Proxy-Wasm ABI version\"";
    match markers.as_slice() {
        [] => {
            report.diagnostics.push(
                Diagnostic::error(
                    codes::ABI_MARKER,
                    "the module has no proxy-wasm ABI marker (no `proxy_abi_version_*` export)",
                )
                .with_note(format!(
                    "{host} looks for an exported function named {}; {refusal}",
                    known_markers(host)
                ))
                .with_help(
                    "the proxy-wasm SDKs export the marker for you; a raw-ABI module must export \
                     the marker of the ABI its callbacks follow, e.g. \
                     `#[unsafe(no_mangle)] pub extern \"C\" fn proxy_abi_version_0_2_1() {}`",
                ),
            );
            report.checks.push(Check::new(
                "abi-marker",
                false,
                "no `proxy_abi_version_*` export",
            ));
        }
        [_, _, ..] => {
            let listed = markers
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut d = Diagnostic::error(
                codes::ABI_MARKER,
                format!("the module exports {} ABI markers: {listed}", markers.len()),
            );
            d = match selected {
                Some(abi) => d.with_note(format!(
                    "{host} takes the first marker it knows in export order, `{}`, so the module \
                     runs as ABI {} whatever its callbacks were written for",
                    abi.marker(),
                    abi.version()
                )),
                None => d.with_note(format!("none of them is one {host} knows; {refusal}")),
            };
            report.diagnostics.push(d.with_help(
                "export exactly one marker, the one the callbacks follow: a build tag that \
                 selects a marker must replace the default one, not add a second",
            ));
            report.checks.push(Check::new(
                "abi-marker",
                false,
                format!("{} markers: {listed}", markers.len()),
            ));
        }
        [only] => match selected {
            Some(abi) => report.checks.push(Check::new(
                "abi-marker",
                true,
                format!("`{only}`: ABI {}", abi.version()),
            )),
            None => {
                let d = if Abi::from_marker(only) == Some(Abi::V0_2_100) {
                    Diagnostic::error(
                        codes::ABI_MARKER,
                        format!("ABI marker `{only}` is Higress-only: {host} refuses the module"),
                    )
                    .with_note(format!(
                        "upstream Envoy knows only {}; {refusal}",
                        known_markers(host)
                    ))
                    .with_help(
                        "for Envoy, build without the tag that marks the module 0.2.100 \
                         (`proxy_wasm_version_0_2_100`); if the plugin is for Higress, verify \
                         it with `--host higress`",
                    )
                } else {
                    Diagnostic::error(
                        codes::ABI_MARKER,
                        format!(
                            "unknown ABI marker `{only}`: {host} does not know ABI {}",
                            abi::marker_version(only)
                        ),
                    )
                    .with_note(format!("{host} knows {}; {refusal}", known_markers(host)))
                    .with_help("mark the module with an ABI this host knows")
                };
                report.diagnostics.push(d);
                report.checks.push(Check::new(
                    "abi-marker",
                    false,
                    format!("`{only}` is not a marker {host} knows"),
                ));
            }
        },
    }
    // Several markers still load (the host picks one), but the result is
    // not what anyone intended: it fails the check without blocking the run.
    selected
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::WasmInput;
    use crate::runtime::{CacheOutcome, Compiled, Runtime, RuntimeOptions};

    /// A module exporting two markers in this order.
    fn two_markers(first: Abi, second: Abi) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(module (func (export "{}")) (func (export "{}")))"#,
            first.marker(),
            second.marker()
        ))
        .expect("wat")
    }

    /// The marker Higress picks from a module as the runtime compiled it.
    fn picked(runtime: &Runtime, bytes: Vec<u8>, expected: CacheOutcome) -> Option<Abi> {
        let input = WasmInput::from_bytes(Path::new("markers.wasm"), bytes).expect("wasm");
        let (compiled, outcome) = runtime.compile(&input).expect("compiles");
        assert_eq!(outcome, expected);
        let Compiled::Module(module) = compiled else {
            panic!("a core module");
        };
        check_marker(
            &ModuleShape::of(&module),
            Host::Higress,
            &mut ProxyWasmReport::default(),
        )
    }

    /// The host takes the first marker in export order, so the shape must
    /// keep that order, whether the module was compiled now or loaded from
    /// the compile cache.
    #[test]
    fn the_first_marker_in_export_order_wins_compiled_or_cached() {
        let cache = tempfile::tempdir().expect("a temporary directory");
        let runtime = Runtime::new(&RuntimeOptions {
            opt_level: crate::runtime::OptLevel::Baseline,
            fuel: false,
            timeouts: false,
            cache_dir: Some(cache.path().to_path_buf()),
        })
        .expect("an engine");
        for (first, second) in [
            (Abi::V0_2_0, Abi::V0_2_100),
            (Abi::V0_2_100, Abi::V0_2_0),
            (Abi::V0_2_1, Abi::V0_1_0),
        ] {
            let bytes = two_markers(first, second);
            for outcome in [CacheOutcome::Stored, CacheOutcome::Hit] {
                assert_eq!(
                    picked(&runtime, bytes.clone(), outcome),
                    Some(first),
                    "{first:?} then {second:?}, {outcome:?}"
                );
            }
        }
    }
}
