//! Calling a component's exported functions on one instance.

use std::collections::HashMap;
use std::sync::OnceLock;

use wasmkit_core::suggest::did_you_mean;
use wasmkit_core::{Diagnostic, codes};
use wasmtime::Store;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::wasm_wave::wasm::{DisplayFuncResults, DisplayType};
use wasmtime::component::{
    Component, ComponentExportIndex, Func, Instance, Linker, ResourceTable, Type, Val,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::call::{self, CallSource, ParamView, SignatureView};
use crate::limits::{CallContext, GuestLimiter, HasLimiter, Limits, guarded, guest_error};
use crate::wit::WitExports;

/// Store state of a component guest.
pub struct ComponentState {
    ctx: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: GuestLimiter,
    /// `wasi:http`: its context and how outgoing requests are answered.
    pub(crate) http: crate::http::HttpState,
}

impl ComponentState {
    /// State for one instance: its WASI context, its memory cap, and what
    /// its outgoing HTTP requests get.
    pub(crate) fn new(
        wasi: WasiCtx,
        max_memory: usize,
        http: crate::http::HttpState,
    ) -> ComponentState {
        ComponentState {
            ctx: wasi,
            table: ResourceTable::new(),
            limiter: GuestLimiter::new(max_memory),
            http,
        }
    }
}

impl std::fmt::Debug for ComponentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentState").finish_non_exhaustive()
    }
}

impl HasLimiter for ComponentState {
    fn limiter(&mut self) -> &mut GuestLimiter {
        &mut self.limiter
    }
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// One exported function.
#[derive(Clone, Debug)]
pub struct ExportedFunc {
    /// The exported instance it belongs to (`example:shapes/geometry@0.1.0`),
    /// or `None` for a root export.
    pub instance: Option<String>,
    /// Its name within the instance (or the root).
    pub name: String,
    /// Its type.
    pub ty: ComponentFunc,
    index: ComponentExportIndex,
}

impl ExportedFunc {
    /// The name `--list` shows and diagnostics suggest: `area`, or
    /// `example:shapes/geometry.perimeter@0.1.0`.
    pub fn full_name(&self) -> String {
        match &self.instance {
            None => self.name.clone(),
            Some(instance) => match instance.split_once('@') {
                Some((path, version)) => format!("{path}.{}@{version}", self.name),
                None => format!("{instance}.{}", self.name),
            },
        }
    }

    /// The parameter or result type WAVE cannot handle, if any.
    fn unsupported_type(&self) -> Option<Type> {
        self.ty
            .params()
            .map(|(_, t)| t)
            .chain(self.ty.results())
            .find(call::unsupported)
    }
}

/// The interface part of an instance name: `ns:pkg/iface@1.0` → `iface`.
fn interface_of(instance: &str) -> &str {
    let without_version = instance.split_once('@').map_or(instance, |(p, _)| p);
    without_version
        .rsplit_once('/')
        .map_or(without_version, |(_, i)| i)
}

/// Every exported function of a component, found once per component.
#[derive(Debug)]
pub struct ComponentExports {
    funcs: Vec<ExportedFunc>,
    wit: OnceLock<Option<WitExports>>,
    bytes: Option<std::sync::Arc<[u8]>>,
}

impl ComponentExports {
    /// Indexes a component's exports. `bytes` (the component binary) lets
    /// listings and diagnostics use WIT type names.
    pub fn new(component: &Component, bytes: Option<std::sync::Arc<[u8]>>) -> ComponentExports {
        let engine = component.engine();
        let mut funcs = Vec::new();
        for (name, item) in component.component_type().exports(engine) {
            match item.ty {
                ComponentItem::ComponentFunc(ty) => {
                    if let Some(index) = component.get_export_index(None, name) {
                        funcs.push(ExportedFunc {
                            instance: None,
                            name: name.to_string(),
                            ty,
                            index,
                        });
                    }
                }
                ComponentItem::ComponentInstance(instance_ty) => {
                    let Some(instance_index) = component.get_export_index(None, name) else {
                        continue;
                    };
                    for (func_name, item) in instance_ty.exports(engine) {
                        if let ComponentItem::ComponentFunc(ty) = item.ty
                            && let Some(index) =
                                component.get_export_index(Some(&instance_index), func_name)
                        {
                            funcs.push(ExportedFunc {
                                instance: Some(name.to_string()),
                                name: func_name.to_string(),
                                ty,
                                index,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        ComponentExports {
            funcs,
            wit: OnceLock::new(),
            bytes,
        }
    }

    /// The functions, in export order.
    pub fn funcs(&self) -> &[ExportedFunc] {
        &self.funcs
    }

    fn wit(&self) -> Option<&WitExports> {
        self.wit
            .get_or_init(|| self.bytes.as_deref().and_then(WitExports::decode))
            .as_ref()
    }

    /// `name: func(...) -> ...` in WIT, with WIT type names where the
    /// component carries them.
    pub fn signature(&self, f: &ExportedFunc) -> String {
        let sig = match self
            .wit()
            .and_then(|w| w.get(f.instance.as_deref(), &f.name))
        {
            Some(w) => w.signature.clone(),
            None => structural_signature(&f.ty),
        };
        format!("{}: {sig}", f.full_name())
    }

    fn view(&self, f: &ExportedFunc, shown_name: &str) -> SignatureView {
        let wit = self
            .wit()
            .and_then(|w| w.get(f.instance.as_deref(), &f.name));
        let params =
            f.ty.params()
                .enumerate()
                .map(|(i, (name, ty))| ParamView {
                    name: name.to_string(),
                    type_name: wit
                        .and_then(|w| w.params.get(i))
                        .map_or_else(|| DisplayType(&ty).to_string(), |(_, t)| t.clone()),
                })
                .collect();
        SignatureView {
            name: shown_name.to_string(),
            signature: self.signature(f),
            params,
            definitions: wit.map(|w| w.definitions.clone()).unwrap_or_default(),
        }
    }

    /// Finds the function a call names: a root export by its plain name,
    /// `iface.func`, `ns:pkg/iface.func@version`, `ns:pkg/iface@version#func`,
    /// or a plain name unique across exported interfaces.
    pub fn resolve(&self, name: &str) -> Result<usize, Resolution> {
        let (instance_part, func) = if let Some((inst, func)) = name.split_once('#') {
            (Some(inst.to_string()), func)
        } else if name.contains('/') {
            // ns:pkg/iface.func@version
            let (path, version) = match name.rsplit_once('@') {
                Some((p, v)) => (p, Some(v)),
                None => (name, None),
            };
            match path.rsplit_once('.') {
                Some((inst, func)) => (
                    Some(match version {
                        Some(v) => format!("{inst}@{v}"),
                        None => inst.to_string(),
                    }),
                    func,
                ),
                None => return Err(Resolution::Unknown),
            }
        } else if let Some((iface, func)) = name.split_once('.') {
            return one_of(self.matching(|f| {
                f.name == func
                    && f.instance
                        .as_deref()
                        .is_some_and(|i| i == iface || interface_of(i) == iface)
            }));
        } else {
            if let Some(i) = self
                .funcs
                .iter()
                .position(|f| f.instance.is_none() && f.name == name)
            {
                return Ok(i);
            }
            return one_of(self.matching(|f| f.instance.is_some() && f.name == name));
        };
        let instance = instance_part.unwrap_or_default();
        // An exact instance name first, then the same name at any version
        // when the call gives none.
        let exact =
            self.matching(|f| f.name == func && f.instance.as_deref() == Some(instance.as_str()));
        if !exact.is_empty() || instance.contains('@') {
            return one_of(exact);
        }
        one_of(self.matching(|f| {
            f.name == func
                && f.instance
                    .as_deref()
                    .and_then(|i| i.split_once('@'))
                    .is_some_and(|(path, _)| path == instance)
        }))
    }

    /// The indices of the exported functions that `pred` accepts.
    fn matching(&self, pred: impl Fn(&ExportedFunc) -> bool) -> Vec<usize> {
        self.funcs
            .iter()
            .enumerate()
            .filter(|(_, f)| pred(f))
            .map(|(i, _)| i)
            .collect()
    }

    /// The diagnostic for a name that does not resolve.
    pub fn resolution_error(
        &self,
        src: &CallSource,
        name_span: std::ops::Range<usize>,
        name: &str,
        why: Resolution,
    ) -> Diagnostic {
        match why {
            Resolution::Ambiguous(candidates) => {
                let names: Vec<String> = candidates
                    .iter()
                    .map(|&i| format!("`{}`", self.funcs[i].full_name()))
                    .collect();
                Diagnostic::error(
                    codes::AMBIGUOUS_FUNCTION,
                    format!("`{name}` is exported by several interfaces"),
                )
                .with_label(src.label(name_span, "ambiguous"))
                .with_note(format!("candidates: {}", names.join(", ")))
                .with_help("call it by its qualified name")
            }
            Resolution::Unknown => {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_FUNCTION,
                    format!("the component exports no function `{name}`"),
                )
                .with_label(src.label(name_span, "not exported"));
                let candidates: Vec<String> = self
                    .funcs
                    .iter()
                    .flat_map(|f| {
                        let mut names = vec![f.full_name(), f.name.clone()];
                        if let Some(i) = &f.instance {
                            names.push(format!("{}.{}", interface_of(i), f.name));
                        }
                        names
                    })
                    .collect();
                if let Some(s) = did_you_mean(name, candidates.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                d.with_help("see every callable function with `--list`")
            }
        }
    }
}

fn one_of(matches: Vec<usize>) -> Result<usize, Resolution> {
    match matches.as_slice() {
        [] => Err(Resolution::Unknown),
        [one] => Ok(*one),
        _ => Err(Resolution::Ambiguous(matches)),
    }
}

/// Why a name did not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Nothing by that name.
    Unknown,
    /// Several functions (indices into the export list).
    Ambiguous(Vec<usize>),
}

fn structural_signature(ty: &ComponentFunc) -> String {
    let params: Vec<String> = ty
        .params()
        .map(|(name, t)| format!("{name}: {}", DisplayType(&t)))
        .collect();
    let mut s = format!("func({})", params.join(", "));
    if let Some(r) = ty.results().next() {
        s.push_str(&format!(" -> {}", DisplayType(&r)));
    }
    s
}

/// A component instance that calls are made on, in order.
pub struct ComponentSession {
    store: Store<ComponentState>,
    instance: Instance,
    exports: std::sync::Arc<ComponentExports>,
    limits: Limits,
    resolved: HashMap<String, (Func, usize)>,
}

impl std::fmt::Debug for ComponentSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentSession").finish_non_exhaustive()
    }
}

/// The outcome of one call.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentCall {
    /// The function as the user named it.
    pub name: String,
    /// The function's full name (`ns:pkg/iface.func@version` or `func`).
    pub function: String,
    /// The results.
    pub results: Vec<Val>,
}

impl ComponentCall {
    /// The results as WAVE, as `wasmtime run --invoke` prints them.
    pub fn to_wave(&self) -> String {
        DisplayFuncResults(&self.results).to_string()
    }
}

impl ComponentSession {
    /// Instantiates the component with the wasmtime profile (WASI 0.2 and
    /// `wasi:http`, outgoing requests refused) in `wasi`'s sandbox.
    pub fn instantiate(
        engine: &wasmtime::Engine,
        component: &Component,
        exports: std::sync::Arc<ComponentExports>,
        wasi: WasiCtx,
        limits: Limits,
    ) -> Result<ComponentSession, Diagnostic> {
        let mut linker: Linker<ComponentState> = Linker::new(engine);
        crate::profile::add_to_linker_sync(&mut linker)?;
        let mut store = Store::new(
            engine,
            ComponentState::new(wasi, limits.max_memory, crate::http::HttpState::default()),
        );
        store.limiter(|s| &mut s.limiter);
        limits
            .arm(&mut store)
            .map_err(|e| Diagnostic::error(codes::INSTANTIATE_FAILED, e.to_string()))?;
        let instance = linker.instantiate(&mut store, component).map_err(|e| {
            let limiter = &store.data().limiter;
            if e.downcast_ref::<wasmtime::Trap>().is_some() || limiter.refused().is_some() {
                guest_error(
                    &e,
                    CallContext {
                        name: "instantiation",
                        limits: &limits,
                    },
                    Some(limiter),
                )
            } else {
                instantiate_error(&e)
            }
        })?;
        Ok(ComponentSession {
            store,
            instance,
            exports,
            limits,
            resolved: HashMap::new(),
        })
    }

    /// The exports.
    pub fn exports(&self) -> &ComponentExports {
        &self.exports
    }

    /// Parses, checks and makes one call.
    pub fn call(&mut self, src: &CallSource) -> Result<ComponentCall, Diagnostic> {
        let parsed = call::parse(src)?;
        let name = parsed.name();
        let (func, index) = match self.resolved.get(name) {
            Some(&(func, index)) => (func, index),
            None => {
                let name_span = name_span(src.text(), name);
                let index = self.exports.resolve(name).map_err(|why| {
                    self.exports
                        .resolution_error(src, name_span.clone(), name, why)
                })?;
                let f = &self.exports.funcs[index];
                if f.unsupported_type().is_some() {
                    return Err(Diagnostic::error(
                        codes::UNSUPPORTED_TYPE,
                        format!("`{}` cannot be called with WAVE values", f.full_name()),
                    )
                    .with_label(src.label(name_span, "uses a type WAVE cannot write"))
                    .with_note(format!("its signature is `{}`", self.exports.signature(f)))
                    .with_note(
                        "resources, futures and streams are handles that WAVE has no way to write",
                    ));
                }
                let func = self
                    .instance
                    .get_func(&mut self.store, f.index)
                    .ok_or_else(|| {
                        Diagnostic::error(
                            codes::UNKNOWN_FUNCTION,
                            format!("`{}` is not a function of this instance", f.full_name()),
                        )
                    })?;
                self.resolved.insert(name.to_string(), (func, index));
                (func, index)
            }
        };
        let f = &self.exports.funcs[index];
        let types: Vec<Type> = f.ty.params().map(|(_, t)| t).collect();
        let exports = &self.exports;
        let params = call::arguments::<Val>(src, &parsed, &types, &|| exports.view(f, name))?;
        let mut results = vec![Val::Bool(false); f.ty.results().len()];
        guarded(&mut self.store, &self.limits, name, |store| {
            func.call(store, &params, &mut results)
        })?;
        Ok(ComponentCall {
            name: name.to_string(),
            function: self.exports.funcs[index].full_name(),
            results,
        })
    }
}

/// Where the function name is in the call text.
fn name_span(text: &str, name: &str) -> std::ops::Range<usize> {
    let start = text.find(name).unwrap_or(0);
    start..start + name.len()
}

pub(crate) fn instantiate_error(e: &wasmtime::Error) -> Diagnostic {
    let mut d = Diagnostic::error(
        codes::INSTANTIATE_FAILED,
        "cannot instantiate the component",
    );
    for cause in e.chain() {
        d = d.with_note(cause.to_string());
    }
    if e.chain().any(|c| {
        c.to_string()
            .contains("matching implementation was not found")
    }) {
        d = d.with_help(
            "the component imports something this sandbox does not provide (WASI 0.2 and wasi:http are); `cargo wasmkit verify` lists each unprovided import",
        );
    }
    d
}
