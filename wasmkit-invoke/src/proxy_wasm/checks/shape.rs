//! The imports and exports of a module with their types, as wasmtime
//! parsed them when it compiled the module, in section order (the order
//! the hosts scan them in); and the cheap look at a module's bytes that
//! says whether it is proxy-wasm at all.

use std::fmt;

use wasmparser::{Encoding, ExternalKind, Parser, Payload};
use wasmtime::{ExternType, FuncType, Module, ValType};

use crate::proxy_wasm::abi::{CallbackSpec, MARKER_PREFIX, Sig, Ty};

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
    fn from_wasm(ty: &ValType) -> ValKind {
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
    fn from_wasm(ty: &FuncType) -> FuncShape {
        FuncShape {
            params: ty.params().map(|t| ValKind::from_wasm(&t)).collect(),
            results: ty.results().map(|t| ValKind::from_wasm(&t)).collect(),
        }
    }

    pub(crate) fn from_sig(sig: Sig) -> FuncShape {
        FuncShape {
            params: sig.params.iter().copied().map(ValKind::from_ty).collect(),
            results: sig.results.iter().copied().map(ValKind::from_ty).collect(),
        }
    }

    pub(crate) fn from_callback(spec: &CallbackSpec) -> FuncShape {
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
    pub(crate) fn article_name(self) -> &'static str {
        match self {
            ItemKind::Func => "a function",
            ItemKind::Table => "a table",
            ItemKind::Memory => "a memory",
            ItemKind::Global => "a global",
            ItemKind::Tag => "a tag",
        }
    }
}

/// The kind of an import or export, with the function type of a function.
fn kind_of(ty: &ExternType) -> (ItemKind, Option<FuncShape>) {
    match ty {
        ExternType::Func(f) => (ItemKind::Func, Some(FuncShape::from_wasm(f))),
        ExternType::Table(_) => (ItemKind::Table, None),
        ExternType::Memory(_) => (ItemKind::Memory, None),
        ExternType::Global(_) => (ItemKind::Global, None),
        ExternType::Tag(_) => (ItemKind::Tag, None),
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
    /// The shape of a module wasmtime has compiled. wasmtime keeps imports
    /// in section order and exports in an insertion-ordered map filled in
    /// export-section order (`ModuleEnvironment::translate_payload` in
    /// wasmtime-environ), kept through its compile cache; the marker the
    /// host picks depends on that order.
    pub(crate) fn of(module: &Module) -> ModuleShape {
        let imports = module
            .imports()
            .map(|import| {
                let (kind, func) = kind_of(&import.ty());
                ImportShape {
                    module: import.module().to_string(),
                    name: import.name().to_string(),
                    kind,
                    func,
                }
            })
            .collect();
        let exports = module
            .exports()
            .map(|export| {
                let (kind, func) = kind_of(&export.ty());
                ExportShape {
                    name: export.name().to_string(),
                    kind,
                    func,
                }
            })
            .collect();
        ModuleShape { imports, exports }
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

/// Whether an exported function's name is one a proxy-wasm host looks for.
fn is_proxy_wasm_export(name: &str) -> bool {
    name.starts_with(MARKER_PREFIX) || name.starts_with("proxy_on_")
}

/// Whether the bytes are a core module that exports a proxy-wasm marker or
/// callback. This reads the bytes rather than a compiled module because it
/// decides, before anything is compiled for a host, which checks a file
/// gets; only the export section is decoded, but a file whose sections do
/// not frame is unreadable, so not proxy-wasm.
pub(crate) fn looks_like_proxy_wasm(bytes: &[u8]) -> bool {
    let mut found = false;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Err(_)
            | Ok(Payload::Version {
                encoding: Encoding::Component,
                ..
            }) => return false,
            Ok(Payload::ExportSection(reader)) => {
                for export in reader {
                    let Ok(export) = export else {
                        return false;
                    };
                    found |= matches!(export.kind, ExternalKind::Func | ExternalKind::FuncExact)
                        && is_proxy_wasm_export(export.name);
                }
            }
            Ok(_) => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(engine: &wasmtime::Engine, wat: &str) -> Module {
        Module::new(engine, wat).expect("compiles")
    }

    #[test]
    fn reads_imports_and_exports_with_types() {
        let engine = wasmtime::Engine::default();
        let s = ModuleShape::of(&module(
            &engine,
            r#"(module
                (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
                (memory (export "memory") 1)
                (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) i32.const 0)
                (func (export "proxy_abi_version_0_2_1")))"#,
        ));
        assert_eq!(s.imports[0].name, "proxy_log");
        assert_eq!(
            s.imports[0].func.as_ref().unwrap().to_string(),
            "i32 i32 i32 -> i32"
        );
        let headers = s.export_func("proxy_on_request_headers").unwrap();
        assert_eq!(headers.func.as_ref().unwrap().params.len(), 3);
        assert_eq!(s.exports[0].kind, ItemKind::Memory);
    }

    #[test]
    fn recognises_proxy_wasm_modules() {
        let m = wat::parse_str(r#"(module (func (export "proxy_abi_version_0_2_0")))"#).unwrap();
        assert!(looks_like_proxy_wasm(&m));
        let plain = wat::parse_str(r#"(module (func (export "add")))"#).unwrap();
        assert!(!looks_like_proxy_wasm(&plain));
        assert!(!looks_like_proxy_wasm(b"not wasm"));
        assert!(!looks_like_proxy_wasm(b"\0asm\x01\0\0\0\x07"));
        assert!(!looks_like_proxy_wasm(b""));
    }
}
