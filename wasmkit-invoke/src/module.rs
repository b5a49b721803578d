//! Calling a core module's exported functions: WAVE numbers in, WAVE out.

use std::collections::HashMap;

use wasmkit_core::{Diagnostic, codes};
use wasmtime::{Func, FuncType, Instance, Linker, Module, Store, Val, ValType};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::call::{self, CallSource, ParamView, SignatureView};
use crate::limits::{GuestLimiter, HasLimiter, Limits, guarded};

/// Store state of a core-module guest.
pub struct ModuleState {
    wasi: WasiP1Ctx,
    limiter: GuestLimiter,
}

impl HasLimiter for ModuleState {
    fn limiter(&mut self) -> &mut GuestLimiter {
        &mut self.limiter
    }
}

impl std::fmt::Debug for ModuleState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleState").finish_non_exhaustive()
    }
}

/// A module instance that calls are made on, in order.
pub struct ModuleSession {
    store: Store<ModuleState>,
    instance: Instance,
    funcs: Vec<(String, FuncType)>,
    limits: Limits,
    resolved: HashMap<String, (Func, usize)>,
}

impl std::fmt::Debug for ModuleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleSession").finish_non_exhaustive()
    }
}

/// The outcome of one call.
#[derive(Clone, Debug)]
pub struct ModuleCall {
    /// The function.
    pub name: String,
    /// The results.
    pub results: Vec<Val>,
}

impl ModuleCall {
    /// The results as WAVE: one bare, none as `()`, several as a tuple.
    pub fn to_wave(&self) -> String {
        wasmtime::component::wasm_wave::wasm::DisplayFuncResults(&self.results).to_string()
    }
}

fn type_name(t: &ValType) -> String {
    match t {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        ValType::Ref(r) => r.to_string(),
    }
}

/// `func(i32, i32) -> i32` for a core function type.
pub fn signature(ty: &FuncType) -> String {
    let params: Vec<String> = ty.params().map(|t| type_name(&t)).collect();
    let results: Vec<String> = ty.results().map(|t| type_name(&t)).collect();
    let mut s = format!("func({})", params.join(", "));
    match results.as_slice() {
        [] => {}
        [one] => s.push_str(&format!(" -> {one}")),
        many => s.push_str(&format!(" -> ({})", many.join(", "))),
    }
    s
}

fn unsupported(ty: &FuncType) -> Option<ValType> {
    ty.params()
        .chain(ty.results())
        .find(|t| matches!(t, ValType::Ref(_)))
}

impl ModuleSession {
    /// Instantiates the module with WASI preview1 (under both of its module
    /// names) in `wasi`'s sandbox, then runs `_initialize` if it has one.
    pub fn instantiate(
        engine: &wasmtime::Engine,
        module: &Module,
        wasi: WasiP1Ctx,
        limits: Limits,
    ) -> Result<ModuleSession, Diagnostic> {
        let mut linker: Linker<ModuleState> = Linker::new(engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s| &mut s.wasi)
            .and_then(|_| {
                linker
                    .alias_module("wasi_snapshot_preview1", "wasi_unstable")
                    .map(|_| ())
            })
            .map_err(|e| {
                Diagnostic::error(
                    codes::INSTANTIATE_FAILED,
                    format!("cannot set up WASI: {e}"),
                )
            })?;
        let unprovided: Vec<String> = module
            .imports()
            .filter(|i| i.module() != "wasi_snapshot_preview1" && i.module() != "wasi_unstable")
            .map(|i| format!("`{}::{}`", i.module(), i.name()))
            .collect();
        if !unprovided.is_empty() {
            return Err(Diagnostic::error(
                codes::INSTANTIATE_FAILED,
                "cannot instantiate the module: it imports functions this sandbox does not provide",
            )
            .with_note(format!("unprovided imports: {}", unprovided.join(", ")))
            .with_help("only WASI preview1 is provided; `cargo wasmkit verify` checks a module against a host profile"));
        }
        let mut store = Store::new(
            engine,
            ModuleState {
                wasi,
                limiter: GuestLimiter::new(limits.max_memory),
            },
        );
        store.limiter(|s| &mut s.limiter);
        let instance = guarded(&mut store, &limits, "instantiation", |store| {
            linker.instantiate(store, module)
        })?;
        if let Some(init) = instance.get_func(&mut store, "_initialize") {
            guarded(&mut store, &limits, "_initialize", |store| {
                init.call(store, &[], &mut [])
            })?;
        }
        let funcs = module
            .exports()
            .filter_map(|e| e.ty().func().map(|f| (e.name().to_string(), f.clone())))
            .collect();
        Ok(ModuleSession {
            store,
            instance,
            funcs,
            limits,
            resolved: HashMap::new(),
        })
    }

    /// Every exported function with its signature.
    pub fn funcs(&self) -> &[(String, FuncType)] {
        &self.funcs
    }

    /// Parses, checks and makes one call.
    pub fn call(&mut self, src: &CallSource) -> Result<ModuleCall, Diagnostic> {
        let parsed = call::parse(src)?;
        let name = parsed.name();
        let (func, index) = match self.resolved.get(name) {
            Some(&found) => found,
            None => {
                let start = src.text().find(name).unwrap_or(0);
                let span = start..start + name.len();
                let Some(index) = self.funcs.iter().position(|(n, _)| n == name) else {
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_FUNCTION,
                        format!("the module exports no function `{name}`"),
                    )
                    .with_label(src.label(span, "not exported"));
                    if let Some(s) = wasmkit_core::suggest::did_you_mean(
                        name,
                        self.funcs.iter().map(|(n, _)| n.as_str()),
                    ) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    return Err(d.with_help("see every callable function with `--list`"));
                };
                let ty = &self.funcs[index].1;
                if let Some(t) = unsupported(ty) {
                    return Err(Diagnostic::error(
                        codes::UNSUPPORTED_TYPE,
                        format!("`{name}` cannot be called with WAVE values"),
                    )
                    .with_label(src.label(span, format!("uses `{}`", type_name(&t))))
                    .with_note(format!("its signature is `{name}: {}`", signature(ty))));
                }
                let func = self
                    .instance
                    .get_func(&mut self.store, name)
                    .ok_or_else(|| {
                        Diagnostic::error(
                            codes::UNKNOWN_FUNCTION,
                            format!("`{name}` is not a function of this instance"),
                        )
                    })?;
                self.resolved.insert(name.to_string(), (func, index));
                (func, index)
            }
        };
        let ty = &self.funcs[index].1;
        let types: Vec<ValType> = ty.params().collect();
        let view = || SignatureView {
            name: name.to_string(),
            signature: format!("{name}: {}", signature(ty)),
            params: types
                .iter()
                .map(|t| ParamView {
                    name: String::new(),
                    type_name: type_name(t),
                })
                .collect(),
            definitions: Vec::new(),
        };
        let params = call::arguments::<Val>(src, &parsed, &types, &view, &mut |_, _, _, _| None)?;
        let mut results: Vec<Val> = ty
            .results()
            .map(|t| Val::default_for_ty(&t).unwrap_or(Val::I32(0)))
            .collect();
        guarded(&mut self.store, &self.limits, name, |store| {
            func.call(store, &params, &mut results)
        })?;
        Ok(ModuleCall {
            name: name.to_string(),
            results,
        })
    }
}
