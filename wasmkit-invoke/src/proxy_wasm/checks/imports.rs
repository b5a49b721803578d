//! The import check: whether the host provides every function the module
//! imports, for the module's ABI, with the signature the module declares
//! (a missing one fails the load: "Failed to load Wasm module due to a
//! missing import").

use wasmkit_core::{Diagnostic, codes, suggest};

use super::shape::{FuncShape, ImportShape, ItemKind, ModuleShape};
use crate::proxy_wasm::abi::{self, Abi, Avail, Host, ImportModule};
use crate::proxy_wasm::report::{Check, ProxyWasmReport};

pub(super) fn check_imports(
    shape: &ModuleShape,
    host: Host,
    abi: Abi,
    report: &mut ProxyWasmReport,
) -> bool {
    let mut missing = Vec::new();
    for import in &shape.imports {
        let qualified = format!("{}.{}", import.module, import.name);
        if let Some(d) = import_problem(import, &qualified, host, abi) {
            missing.push(qualified);
            report.diagnostics.push(d.with_note(format!(
                "{host} refuses to load the module: \"Failed to load Wasm module due to a \
                 missing import: {}\"",
                missing.last().map_or("", String::as_str)
            )));
        }
    }
    let total = shape.imports.len();
    if missing.is_empty() {
        report.checks.push(Check::new(
            "imports",
            true,
            format!(
                "{total} import(s), all provided by {host} for ABI {}",
                abi.version()
            ),
        ));
        true
    } else {
        report.checks.push(Check::new(
            "imports",
            false,
            format!(
                "{} of {total} import(s) not provided by {host} for ABI {}: {}",
                missing.len(),
                abi.version(),
                missing.join(", ")
            ),
        ));
        false
    }
}

fn import_problem(
    import: &ImportShape,
    qualified: &str,
    host: Host,
    abi: Abi,
) -> Option<Diagnostic> {
    let unprovided = |why: &str| {
        Diagnostic::error(
            codes::UNPROVIDED_IMPORT,
            format!("`{qualified}` is not provided by {host}{why}"),
        )
    };
    if import.kind != ItemKind::Func {
        return Some(
            unprovided("")
                .with_note(format!(
                    "the module imports {} there; the host provides functions only",
                    import.kind.article_name()
                ))
                .with_help(if import.kind == ItemKind::Memory {
                    "export the memory instead of importing it (the default for Rust and Go builds)"
                } else {
                    "define it in the module instead of importing it"
                }),
        );
    }
    let Some(spec) = abi::host_function(&import.module, &import.name) else {
        return Some(match import.module.as_str() {
            m if abi::WASI_MODULES.contains(&m) => {
                let provided: Vec<&str> = abi::host_functions()
                    .filter(|f| f.module == ImportModule::Wasi)
                    .map(|f| f.name)
                    .collect();
                unprovided("")
                    .with_note(format!(
                        "proxy-wasm hosts implement these WASI functions, most of them as \
                         stubs that answer an error: {}",
                        provided.join(", ")
                    ))
                    .with_help(format!(
                        "avoid what needs `{}` (threads, sleeping, files, sockets); for Go, \
                         use a build that targets proxy-wasm",
                        import.name
                    ))
            }
            "env" => {
                let mut d = unprovided("")
                    .with_note(format!("no proxy-wasm host defines `{}`", import.name));
                let names = abi::host_functions()
                    .filter(|f| f.module == ImportModule::Env)
                    .map(|f| f.name);
                if let Some(near) = suggest::did_you_mean(&import.name, names) {
                    d = d.with_help(format!("did you mean `{near}`?"));
                } else {
                    d = d.with_help("link the code that defines it into the module");
                }
                d
            }
            other => unprovided("")
                .with_note(format!(
                    "the host provides the modules `env`, `wasi_snapshot_preview1` and \
                 `wasi_unstable` only, not `{other}`"
                ))
                .with_help("remove the dependency that imports it, or link it into the module"),
        });
    };
    if !spec.avail.provided(host, abi) {
        let name = spec.name;
        let d = match spec.avail {
            Avail::HigressExtension if host == Host::Envoy => unprovided("")
                .with_note(format!("`{name}` is a Higress extension; upstream Envoy has no such function"))
                .with_help("verify with `--host higress` if the plugin is for Higress; a plugin meant for Envoy must not call it"),
            Avail::HigressExtension => unprovided(&format!(" for ABI {} modules", abi.version()))
                .with_note(format!("Higress provides `{name}` only to modules marked 0.2.1 or 0.2.100"))
                .with_help("build with the tag that marks the module 0.2.100 for Higress (EXTRA_TAGS=proxy_wasm_version_0_2_100)"),
            Avail::Abi01 => unprovided(&format!(" for ABI {} modules", abi.version()))
                .with_note(format!("`{name}` exists only in ABI 0.1.0"))
                .with_help("ABI 0.2.x modules use `proxy_continue_stream`/`proxy_close_stream` and read configuration with `proxy_get_buffer_bytes`"),
            Avail::Abi02 => unprovided(&format!(" for ABI {} modules", abi.version()))
                .with_note(format!("`{name}` exists from ABI 0.2.0 on"))
                .with_help("mark the module with the 0.2.x ABI its code follows, or use `proxy_continue_request`/`proxy_continue_response` in a 0.1.0 module"),
            Avail::Abi021 | Avail::Always => unprovided(&format!(" for ABI {} modules", abi.version()))
                .with_note(format!("`{name}` exists from ABI 0.2.1 on"))
                .with_help("mark the module `proxy_abi_version_0_2_1` if its code follows that ABI, or do not call it"),
        };
        return Some(d);
    }
    let want = FuncShape::from_sig(spec.sig);
    match &import.func {
        Some(have) if *have != want => Some(
            Diagnostic::error(
                codes::UNPROVIDED_IMPORT,
                format!("`{qualified}` is imported with the wrong signature"),
            )
            .with_note(format!("{host} defines it as `{want}`; the module imports `{have}`"))
            .with_help("declare the import with the host's signature (pointers and sizes are i32 on wasm32)"),
        ),
        _ => None,
    }
}
