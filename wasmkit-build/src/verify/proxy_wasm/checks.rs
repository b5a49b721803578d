//! Static checks: what the host decides about a module before running any
//! of it — its ABI marker, allocator, start-up model, the shapes of its
//! callbacks, and whether the host provides every import.

use std::fmt;

use wasmkit_core::{Diagnostic, codes, suggest};
use wasmparser::{CompositeInnerType, Encoding, ExternalKind, Parser, Payload, TypeRef, ValType};

use super::abi::{self, Abi, Avail, Host, ImportModule, MARKER_PREFIX, Sig, Ty};
use super::report::{Check, ProxyWasmReport};

/// A value type as the module declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValKind {
    I32,
    I64,
    F32,
    F64,
    V128,
    Ref,
}

impl ValKind {
    fn from_wasm(ty: ValType) -> ValKind {
        match ty {
            ValType::I32 => ValKind::I32,
            ValType::I64 => ValKind::I64,
            ValType::F32 => ValKind::F32,
            ValType::F64 => ValKind::F64,
            ValType::V128 => ValKind::V128,
            ValType::Ref(_) => ValKind::Ref,
        }
    }

    fn from_ty(ty: Ty) -> ValKind {
        match ty {
            Ty::I32 => ValKind::I32,
            Ty::I64 => ValKind::I64,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ValKind::I32 => "i32",
            ValKind::I64 => "i64",
            ValKind::F32 => "f32",
            ValKind::F64 => "f64",
            ValKind::V128 => "v128",
            ValKind::Ref => "ref",
        }
    }
}

/// A function type as the module declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FuncShape {
    pub(crate) params: Vec<ValKind>,
    pub(crate) results: Vec<ValKind>,
}

impl FuncShape {
    fn from_sig(sig: Sig) -> FuncShape {
        FuncShape {
            params: sig.params.iter().copied().map(ValKind::from_ty).collect(),
            results: sig.results.iter().copied().map(ValKind::from_ty).collect(),
        }
    }

    fn from_callback(spec: &abi::CallbackSpec) -> FuncShape {
        FuncShape {
            params: vec![ValKind::I32; spec.params.len()],
            results: if spec.returns {
                vec![ValKind::I32]
            } else {
                Vec::new()
            },
        }
    }
}

/// Written the way the C++ host writes types in its "Bad function
/// signature" message: `i32 i32 -> i32`.
impl fmt::Display for FuncShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |types: &[ValKind]| {
            if types.is_empty() {
                "()".to_string()
            } else {
                types.iter().map(|t| t.name()).collect::<Vec<_>>().join(" ")
            }
        };
        write!(f, "{} -> {}", list(&self.params), list(&self.results))
    }
}

/// What kind of thing an import or export is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemKind {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

impl ItemKind {
    fn article_name(self) -> &'static str {
        match self {
            ItemKind::Func => "a function",
            ItemKind::Table => "a table",
            ItemKind::Memory => "a memory",
            ItemKind::Global => "a global",
            ItemKind::Tag => "a tag",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct ImportShape {
    pub(crate) module: String,
    pub(crate) name: String,
    pub(crate) kind: ItemKind,
    pub(crate) func: Option<FuncShape>,
}

#[derive(Clone, Debug)]
pub(crate) struct ExportShape {
    pub(crate) name: String,
    pub(crate) kind: ItemKind,
    pub(crate) func: Option<FuncShape>,
}

/// The imports and exports of a core module, with function types, in
/// section order (the order hosts scan them in).
#[derive(Clone, Debug, Default)]
pub(crate) struct ModuleShape {
    pub(crate) imports: Vec<ImportShape>,
    pub(crate) exports: Vec<ExportShape>,
}

impl ModuleShape {
    /// Reads a core module's imports and exports. Components and malformed
    /// bytes are errors, never panics.
    pub(crate) fn read(bytes: &[u8]) -> Result<ModuleShape, String> {
        let mut types: Vec<Option<FuncShape>> = Vec::new();
        let mut funcs: Vec<u32> = Vec::new();
        let mut shape = ModuleShape::default();
        let mut raw_exports = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(|e| e.to_string())? {
                Payload::Version {
                    encoding: Encoding::Component,
                    ..
                } => return Err("it is a component, not a core module".into()),
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for sub in group.map_err(|e| e.to_string())?.into_types() {
                            types.push(match sub.composite_type.inner {
                                CompositeInnerType::Func(f) => Some(FuncShape {
                                    params: f
                                        .params()
                                        .iter()
                                        .copied()
                                        .map(ValKind::from_wasm)
                                        .collect(),
                                    results: f
                                        .results()
                                        .iter()
                                        .copied()
                                        .map(ValKind::from_wasm)
                                        .collect(),
                                }),
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.map_err(|e| e.to_string())?;
                        let (kind, func) = match import.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                                funcs.push(t);
                                (ItemKind::Func, lookup(&types, t))
                            }
                            TypeRef::Table(_) => (ItemKind::Table, None),
                            TypeRef::Memory(_) => (ItemKind::Memory, None),
                            TypeRef::Global(_) => (ItemKind::Global, None),
                            TypeRef::Tag(_) => (ItemKind::Tag, None),
                        };
                        shape.imports.push(ImportShape {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                            kind,
                            func,
                        });
                    }
                }
                Payload::FunctionSection(reader) => {
                    for t in reader {
                        funcs.push(t.map_err(|e| e.to_string())?);
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export.map_err(|e| e.to_string())?;
                        raw_exports.push((export.name.to_string(), export.kind, export.index));
                    }
                }
                _ => {}
            }
        }
        // Exports are resolved last: the function section comes after the
        // imports, but an export may name any function.
        for (name, kind, index) in raw_exports {
            let (kind, func) = match kind {
                ExternalKind::Func | ExternalKind::FuncExact => (
                    ItemKind::Func,
                    usize::try_from(index)
                        .ok()
                        .and_then(|i| funcs.get(i))
                        .and_then(|&t| lookup(&types, t)),
                ),
                ExternalKind::Table => (ItemKind::Table, None),
                ExternalKind::Memory => (ItemKind::Memory, None),
                ExternalKind::Global => (ItemKind::Global, None),
                ExternalKind::Tag => (ItemKind::Tag, None),
            };
            shape.exports.push(ExportShape { name, kind, func });
        }
        Ok(shape)
    }

    pub(crate) fn export_func(&self, name: &str) -> Option<&ExportShape> {
        self.exports
            .iter()
            .find(|e| e.name == name && e.kind == ItemKind::Func)
    }

    pub(crate) fn exports_func(&self, name: &str) -> bool {
        self.export_func(name).is_some()
    }
}

fn lookup(types: &[Option<FuncShape>], index: u32) -> Option<FuncShape> {
    usize::try_from(index)
        .ok()
        .and_then(|i| types.get(i))
        .and_then(Clone::clone)
}

/// How the host starts the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StartModel {
    /// `_initialize`, then `main` if exported.
    Reactor { main: bool },
    /// Only `_start`.
    Command,
    /// Neither: nothing runs before the first callback.
    Nothing,
}

/// What the static checks decided.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StaticVerdict {
    /// The ABI the host runs the module with, when it knows its marker.
    pub(crate) abi: Option<Abi>,
    /// Whether the host would load the module at all.
    pub(crate) loadable: bool,
    pub(crate) start: StartModel,
    /// The allocator export the host uses.
    pub(crate) allocator: Option<&'static str>,
}

/// Runs every static check, adding checks and diagnostics to `report`.
pub(crate) fn run(shape: &ModuleShape, host: Host, report: &mut ProxyWasmReport) -> StaticVerdict {
    let abi = check_marker(shape, host, report);
    let allocator = check_allocator(shape, report);
    let start = check_start(shape, report);
    let mut loadable = abi.is_some() && allocator.is_some();
    match abi {
        Some(abi) => {
            loadable &= check_callbacks(shape, host, abi, report);
            loadable &= check_imports(shape, host, abi, report);
        }
        None => {
            let why = "not checked: the module has no ABI marker this host knows";
            report.checks.push(Check::new("callbacks", false, why));
            report.checks.push(Check::new("imports", false, why));
        }
    }
    StaticVerdict {
        abi,
        loadable,
        start,
        allocator,
    }
}

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
fn check_marker(shape: &ModuleShape, host: Host, report: &mut ProxyWasmReport) -> Option<Abi> {
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

/// The host prefers `malloc` and falls back to `proxy_on_memory_allocate`.
fn check_allocator(shape: &ModuleShape, report: &mut ProxyWasmReport) -> Option<&'static str> {
    let found = ["malloc", "proxy_on_memory_allocate"]
        .into_iter()
        .find(|name| shape.exports_func(name));
    match found {
        Some(name) => report
            .checks
            .push(Check::new("allocator", true, format!("`{name}`"))),
        None => {
            report.diagnostics.push(
                Diagnostic::error(
                    codes::MISSING_ALLOCATOR,
                    "the module exports no allocator: neither `proxy_on_memory_allocate` nor `malloc`",
                )
                .with_note(
                    "the host hands header values, bodies and configuration to the plugin in \
                     memory it allocates through that export; without it, loading fails with \
                     \"Wasm module is missing malloc function.\"",
                )
                .with_help(
                    "the proxy-wasm SDKs export `proxy_on_memory_allocate`; a raw-ABI module \
                     must export `proxy_on_memory_allocate(size: i32) -> i32` returning memory \
                     the plugin then owns",
                ),
            );
            report.checks.push(Check::new(
                "allocator",
                false,
                "no `proxy_on_memory_allocate` or `malloc`",
            ));
        }
    }
    found
}

fn check_start(shape: &ModuleShape, report: &mut ProxyWasmReport) -> StartModel {
    let initialize = shape.exports_func("_initialize");
    let start = shape.exports_func("_start");
    let main = shape.exports_func("main");
    if initialize {
        let detail = if main {
            "`_initialize`, then `main` (a reactor)"
        } else {
            "`_initialize` (a reactor)"
        };
        report.checks.push(Check::new("reactor", true, detail));
        StartModel::Reactor { main }
    } else if start {
        report.diagnostics.push(
            Diagnostic::error(
                codes::COMMAND_MODEL,
                "the module is built as a command: it exports `_start` but no `_initialize`",
            )
            .with_note(
                "the host runs `_start` once when the VM starts; that runs the program's `main` \
                 to its end, after which a Rust or Go runtime has shut down (and may have called \
                 `proc_exit`, which the host forbids during start-up: Higress users saw \
                 \"_start failed ... restricted_callback\"); every later callback runs in a \
                 finished program",
            )
            .with_help(
                "build the plugin as a reactor: for Rust, a `[lib]` with \
                 `crate-type = [\"cdylib\"]` (the SDK's `proxy_wasm::main!` then exports \
                 `_initialize`); for Go, `-buildmode=c-shared`",
            ),
        );
        report.checks.push(Check::new(
            "reactor",
            false,
            "only `_start`: a command-model build",
        ));
        StartModel::Command
    } else {
        report.checks.push(Check::new(
            "reactor",
            true,
            "no `_initialize` or `_start`: nothing runs before the first callback",
        ));
        StartModel::Nothing
    }
}

fn check_callbacks(
    shape: &ModuleShape,
    host: Host,
    abi: Abi,
    report: &mut ProxyWasmReport,
) -> bool {
    let mut fitting = 0usize;
    let mut bad = Vec::new();
    for export in shape.exports.iter().filter(|e| e.kind == ItemKind::Func) {
        let name = export.name.as_str();
        let Some(spec) = abi::callback(name, host, abi) else {
            if name.starts_with("proxy_on_") && !abi::is_known_callback(name) {
                let known = abi::CALLBACKS.iter().map(|c| c.name);
                let mut d = Diagnostic::warning(
                    codes::CALLBACK_SIGNATURE,
                    format!("`{name}` is not a callback any proxy-wasm host calls"),
                )
                .with_note("the host looks callbacks up by exact name; this one is never called");
                if let Some(near) = suggest::did_you_mean(name, known) {
                    d = d.with_help(format!("did you mean `{near}`?"));
                }
                report.diagnostics.push(d);
            }
            continue;
        };
        let want = FuncShape::from_callback(spec);
        let Some(have) = &export.func else {
            continue;
        };
        if *have == want {
            fitting += 1;
            continue;
        }
        bad.push(name.to_string());
        report
            .diagnostics
            .push(signature_diagnostic(name, spec, have, &want, host, abi));
    }
    if bad.is_empty() {
        report.checks.push(Check::new(
            "callbacks",
            true,
            format!(
                "{fitting} export(s) the host calls fit ABI {}",
                abi.version()
            ),
        ));
        true
    } else {
        report.checks.push(Check::new(
            "callbacks",
            false,
            format!("wrong shape for ABI {}: {}", abi.version(), bad.join(", ")),
        ));
        false
    }
}

fn signature_diagnostic(
    name: &str,
    spec: &abi::CallbackSpec,
    have: &FuncShape,
    want: &FuncShape,
    host: Host,
    abi: Abi,
) -> Diagnostic {
    let message = if have.params.len() == want.params.len() {
        format!("`{name}` has the wrong signature for ABI {}", abi.version())
    } else {
        format!(
            "`{name}` takes {} parameter(s), but ABI {} calls it with {} ({})",
            have.params.len(),
            abi.version(),
            want.params.len(),
            spec.params.join(", ")
        )
    };
    let mut d = Diagnostic::error(codes::CALLBACK_SIGNATURE, message).with_note(format!(
        "{host} refuses to load the module: \"Bad function signature for: {name}, want: {want}, \
         but the module exports: {have}\""
    ));
    let headers = name == "proxy_on_request_headers" || name == "proxy_on_response_headers";
    if headers && have.params.len() == 2 && want.params.len() == 3 {
        d = d
            .with_note("the 0.1.0 ABI calls the headers callbacks with 2 parameters; 0.2.x adds `end_of_stream`")
            .with_help(format!(
                "add the `end_of_stream` parameter, or mark the module `{}` if it was written for ABI 0.1.0",
                Abi::V0_1_0.marker()
            ));
    } else if headers && have.params.len() == 3 && want.params.len() == 2 {
        d = d
            .with_note("the 0.1.0 ABI calls the headers callbacks with 2 parameters; 0.2.x adds `end_of_stream`")
            .with_help("mark the module with a 0.2.x ABI (`proxy_abi_version_0_2_1`), or drop the `end_of_stream` parameter");
    } else {
        d = d.with_help(format!(
            "declare it as `{want}` ({})",
            spec.params.join(", ")
        ));
    }
    d
}

fn check_imports(shape: &ModuleShape, host: Host, abi: Abi, report: &mut ProxyWasmReport) -> bool {
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
                let provided: Vec<&str> = abi::HOST_FUNCTIONS
                    .iter()
                    .filter(|f| f.module == ImportModule::Wasi)
                    .map(|f| f.name)
                    .collect();
                unprovided("")
                    .with_note(format!(
                        "proxy-wasm hosts implement only a few WASI functions, for logging, \
                         clocks and randomness: {}",
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
                let names = abi::HOST_FUNCTIONS
                    .iter()
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

/// Whether the bytes are a core module that exports a proxy-wasm marker or
/// callback.
pub(crate) fn looks_like_proxy_wasm(bytes: &[u8]) -> bool {
    if Parser::is_component(bytes) {
        return false;
    }
    ModuleShape::read(bytes).is_ok_and(|shape| {
        shape.exports.iter().any(|e| {
            e.kind == ItemKind::Func
                && (e.name.starts_with(MARKER_PREFIX) || e.name.starts_with("proxy_on_"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(wat: &str) -> ModuleShape {
        ModuleShape::read(&wat::parse_str(wat).unwrap()).unwrap()
    }

    #[test]
    fn reads_imports_and_exports_with_types() {
        let s = shape(
            r#"(module
                (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
                (memory (export "memory") 1)
                (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) i32.const 0)
                (func (export "proxy_abi_version_0_2_1")))"#,
        );
        assert_eq!(s.imports[0].name, "proxy_log");
        assert_eq!(
            s.imports[0].func.as_ref().unwrap().to_string(),
            "i32 i32 i32 -> i32"
        );
        let headers = s.export_func("proxy_on_request_headers").unwrap();
        assert_eq!(headers.func.as_ref().unwrap().params.len(), 3);
        assert_eq!(s.exports[0].kind, ItemKind::Memory);
        assert!(ModuleShape::read(b"\0asm\x01\0\0\0\x07").is_err());
        assert!(ModuleShape::read(b"").is_err());
    }

    #[test]
    fn recognises_proxy_wasm_modules() {
        let m = wat::parse_str(r#"(module (func (export "proxy_abi_version_0_2_0")))"#).unwrap();
        assert!(looks_like_proxy_wasm(&m));
        let plain = wat::parse_str(r#"(module (func (export "add")))"#).unwrap();
        assert!(!looks_like_proxy_wasm(&plain));
        assert!(!looks_like_proxy_wasm(b"not wasm"));
    }
}
