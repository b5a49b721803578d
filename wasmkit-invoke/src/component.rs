//! Calling a component's exported functions on one instance, with the
//! names bound by `let` and the resource handles calls return.

use std::collections::HashMap;
use std::sync::Arc;

use wasmkit_core::{Diagnostic, codes};
use wasmtime::Store;
use wasmtime::component::wasm_wave::wasm::DisplayFuncResults;
use wasmtime::component::{Func, Instance, ResourceAny, ResourceTable, ResourceType, Type, Val};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::args::{self, Scope};
use crate::bindings::{Binding, Bindings, HandleState, HandleTable};
use crate::call::{self, CallSource};
use crate::exports::{self, ComponentExports, ResourceInfo};
use crate::imports::{self, ComponentImports, ImportCall, ImportLog};
use crate::limits::{CallContext, GuestLimiter, HasLimiter, Limits, guarded, guest_error};
use crate::line::{self, CallLine};
use crate::names::{self, Named, Side};
use crate::values;

/// Store state of a component guest.
pub struct ComponentState {
    ctx: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: GuestLimiter,
    /// Each import's mocked results, by import index.
    pub(crate) mocks: Vec<Option<Vec<Val>>>,
    /// The import calls of the current call.
    pub(crate) import_log: ImportLog,
    /// `wasi:http`: its context and how outgoing requests are answered.
    pub(crate) http: crate::http::HttpState,
}

impl ComponentState {
    /// State for one instance: its WASI context, its memory cap, what its
    /// outgoing HTTP requests get, and its imports' mocked results.
    pub(crate) fn new(
        wasi: WasiCtx,
        max_memory: usize,
        http: crate::http::HttpState,
        mocks: Vec<Option<Vec<Val>>>,
    ) -> ComponentState {
        ComponentState {
            ctx: wasi,
            table: ResourceTable::new(),
            limiter: GuestLimiter::new(max_memory),
            mocks,
            import_log: ImportLog::default(),
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

/// A component instance that calls are made on, in order.
pub struct ComponentSession {
    pub(crate) store: Store<ComponentState>,
    instance: Instance,
    exports: Arc<ComponentExports>,
    pub(crate) imports: Arc<ComponentImports>,
    pub(crate) limits: Limits,
    /// Plain function names already resolved, to their export index.
    resolved: HashMap<String, usize>,
    /// Functions of the instance, by export index, once looked up.
    funcs: Vec<Option<Func>>,
    pub(crate) handles: HandleTable,
    pub(crate) bindings: Bindings,
    pub(crate) last_imports: Vec<ImportCall>,
    /// Import calls of the last call beyond what is recorded.
    pub(crate) last_imports_dropped: usize,
}

impl std::fmt::Debug for ComponentSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentSession").finish_non_exhaustive()
    }
}

/// The outcome of one call.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentCall {
    /// The function as the user named it (`c.get`, `counter.new`, `drop`).
    pub name: String,
    /// The function's full name (`ns:pkg/iface.func@version` or `func`).
    pub function: String,
    /// The results.
    pub results: Vec<Val>,
    /// The results as WAVE, as `wasmtime run --invoke` prints them, with
    /// each handle as `<RES #N>`.
    pub wave: String,
    /// Whether the results hold handles (then `wave` is not plain WAVE).
    pub has_handles: bool,
}

/// The handle a method call is made on.
struct Receiver {
    value: ResourceAny,
    handle: usize,
}

impl ComponentSession {
    /// Instantiates the linked component (the wasmtime profile: WASI 0.2 and
    /// `wasi:http`, outgoing requests refused; and the mocks) in `wasi`'s
    /// sandbox.
    pub fn instantiate(
        engine: &wasmtime::Engine,
        exports: Arc<ComponentExports>,
        imports: Arc<ComponentImports>,
        wasi: WasiCtx,
        limits: Limits,
    ) -> Result<ComponentSession, Diagnostic> {
        let mut store = Store::new(
            engine,
            ComponentState::new(
                wasi,
                limits.max_memory,
                crate::http::HttpState::default(),
                imports.mocks().to_vec(),
            ),
        );
        store.limiter(|s| &mut s.limiter);
        limits
            .arm(&mut store)
            .map_err(|e| Diagnostic::error(codes::INSTANTIATE_FAILED, e.to_string()))?;
        let instance = imports
            .instance_pre()
            .instantiate(&mut store)
            .map_err(|e| {
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
            funcs: vec![None; exports.funcs().len()],
            exports,
            imports,
            limits,
            resolved: HashMap::new(),
            handles: HandleTable::default(),
            bindings: Bindings::default(),
            last_imports: Vec::new(),
            last_imports_dropped: 0,
        })
    }

    /// The exports.
    pub fn exports(&self) -> &ComponentExports {
        &self.exports
    }

    /// The imports, with what provides each.
    pub fn imports(&self) -> &ComponentImports {
        &self.imports
    }

    /// The names bound so far.
    pub fn bindings(&self) -> &Bindings {
        &self.bindings
    }

    /// The handles calls returned, live or not.
    pub fn handles(&self) -> &HandleTable {
        &self.handles
    }

    /// The mocked and unprovided imports the last call reached, in order
    /// (at most the first thousand).
    pub fn last_imports(&self) -> &[ImportCall] {
        &self.last_imports
    }

    /// How many import calls of the last call were beyond those recorded.
    pub fn last_imports_dropped(&self) -> usize {
        self.last_imports_dropped
    }

    /// The resource a handle type belongs to.
    pub fn resource(&self, ty: &ResourceType) -> Option<&ResourceInfo> {
        self.exports
            .resources()
            .iter()
            .chain(self.imports.resources())
            .find(|r| r.ty == *ty)
    }

    fn resource_name(&self, ty: &ResourceType) -> String {
        self.resource(ty)
            .map_or_else(|| "resource".to_string(), |r| r.name.clone())
    }

    /// Parses, checks and makes one call.
    pub fn call(&mut self, src: &CallSource) -> Result<ComponentCall, Diagnostic> {
        self.last_imports.clear();
        self.last_imports_dropped = 0;
        let line = line::parse(src)?;
        // `drop(NAME)`, unless the component has a root `drop` of its own
        // (an interface's `drop` is then called as `iface.drop`).
        if line.callee == "drop"
            && !self
                .exports
                .funcs()
                .iter()
                .any(|f| f.instance.is_none() && f.name == "drop")
        {
            return self.drop_call(src, &line);
        }
        let (index, receiver) = self.target(&line)?;
        let exports = Arc::clone(&self.exports);
        let f = &exports.funcs()[index];
        if let Some(ty) = f.unsupported_type() {
            return Err(Diagnostic::error(
                codes::UNSUPPORTED_TYPE,
                format!("`{}` cannot be called from the command line", f.full_name()),
            )
            .with_label(line.src.label(
                line.callee_span.clone(),
                format!("uses `{}`", exports::type_name(ty)),
            ))
            .with_note(format!("its signature is `{}`", exports.signature(f)))
            .with_note("futures, streams and error contexts have no written form"));
        }
        let result_types: Vec<Type> = f.ty.results().collect();
        if let Some((name, span)) = &line.binding
            && result_types.len() != 1
        {
            return Err(Diagnostic::error(
                codes::WAVE_TYPE,
                format!("`{}` returns no value to bind to `{name}`", line.callee),
            )
            .with_label(src.label(span.clone(), "nothing to bind"))
            .with_help(format!("call it without `let`: `{}`", line.src.text())));
        }
        let func = self.func(index)?;

        let skip = usize::from(receiver.is_some());
        let types: Vec<Type> = f.ty.params().skip(skip).map(|(_, t)| t).collect();
        let resource_name = |ty: &ResourceType| self.resource_name(ty);
        let mut scope = Scope {
            src: &line.src,
            param_handles: &f.param_handles[skip..],
            bindings: &self.bindings,
            handles: &self.handles,
            resource_name: &resource_name,
            moved: Vec::new(),
            lent: receiver
                .as_ref()
                .map(|r| vec![r.handle])
                .unwrap_or_default(),
        };
        let view = || exports.view(f, &line.callee, skip);
        let args =
            call::arguments::<Val>(&line.src, &line.call, &types, &view, &mut |n, ty, i, v| {
                scope.argument(n, ty, i, v)
            })?;
        let moved = scope.moved;
        let mut params = Vec::with_capacity(args.len() + skip);
        params.extend(receiver.map(|r| Val::Resource(r.value)));
        params.extend(args);

        let mut results = vec![Val::Bool(false); result_types.len()];
        let outcome = guarded(&mut self.store, &self.limits, &line.callee, |store| {
            func.call(store, &params, &mut results)
        });
        // A handle given to an `own` parameter is the guest's, even when
        // the call then failed.
        for &h in &moved {
            self.handles.set_state(
                h,
                HandleState::Moved {
                    by: src.text().to_string(),
                },
            );
        }
        let log = self.store.data_mut().import_log.take();
        self.last_imports = log.describe(&self.imports, &|r| self.handles.label_of(r));
        self.last_imports_dropped = log.dropped;
        if let Err(d) = outcome {
            return Err(match log.unmocked {
                Some(i) => self.unmocked_error(&line, i),
                None => d,
            });
        }

        let has_handles = f.result_handles;
        let mut new_handles = Vec::new();
        for (v, ty) in results.iter().zip(&result_types) {
            let mut found = Vec::new();
            values::handles(v, ty, &mut found);
            for h in found {
                let name = self.resource_name(&h.ty);
                new_handles.push(self.handles.add(h.value, h.ty, name));
            }
        }
        let wave = if has_handles {
            values::results_to_wave(&results, &result_types, &|r| self.handles.label_of(r))
        } else {
            DisplayFuncResults(&results).to_string()
        };
        if let (Some((name, _)), [value], [ty]) = (&line.binding, &results[..], &result_types[..]) {
            let type_name = exports
                .wit()
                .and_then(|w| w.get(Side::Exports, f.instance.as_deref(), &f.name))
                .and_then(|w| w.result.clone())
                .unwrap_or_else(|| exports::type_name(ty));
            self.bindings.insert(
                name,
                Binding {
                    value: value.clone(),
                    ty: ty.clone(),
                    type_name,
                    handles: new_handles,
                    wave: wave.clone(),
                },
            );
        }
        Ok(ComponentCall {
            name: line.callee.clone(),
            function: f.full_name(),
            results,
            wave,
            has_handles,
        })
    }

    /// The instance's function at an export index.
    fn func(&mut self, index: usize) -> Result<Func, Diagnostic> {
        if let Some(func) = self.funcs[index] {
            return Ok(func);
        }
        let f = &self.exports.funcs()[index];
        let func = self
            .instance
            .get_func(&mut self.store, f.index)
            .ok_or_else(|| {
                Diagnostic::error(
                    codes::UNKNOWN_FUNCTION,
                    format!("`{}` is not a function of this instance", f.full_name()),
                )
            })?;
        self.funcs[index] = Some(func);
        Ok(func)
    }

    /// The function a call line names, and the handle of a method call
    /// (`c.get()`, where `c` is bound to a handle).
    fn target(&mut self, line: &CallLine<'_>) -> Result<(usize, Option<Receiver>), Diagnostic> {
        let callee = line.callee.as_str();
        if let Some((name, method)) = callee.split_once('.')
            && let Some(binding) = self.bindings.get(name)
        {
            let name_span = 0..name.len();
            if let Some(state) = args::gone(&self.handles, binding) {
                return Err(args::gone_error(&line.src, name_span, name, state));
            }
            let (Val::Resource(value), [handle]) = (&binding.value, binding.handles.as_slice())
            else {
                return Err(Diagnostic::error(
                    codes::WAVE_TYPE,
                    format!(
                        "`{name}` is a `{}`, which has no methods",
                        binding.type_name
                    ),
                )
                .with_label(line.src.label(name_span, "not a resource handle")));
            };
            let entry = self.handles.get(*handle);
            let method_span = name.len() + 1..callee.len();
            let index = match self.resource(&entry.ty) {
                Some(res) if res.side == Side::Exports => self.exports.method(res, method),
                _ => {
                    return Err(Diagnostic::error(
                        codes::UNKNOWN_FUNCTION,
                        format!("`{name}` is a `{}` of the host's: its methods are not the component's to call", entry.resource),
                    )
                    .with_label(line.src.label(method_span, "not callable here"))
                    .with_note("only resources the component exports have methods a call can reach"));
                }
            };
            let Some(index) = index else {
                let res = self.resource(&entry.ty).expect("an exported resource");
                let methods = self.exports.methods(res);
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_FUNCTION,
                    format!("`{}` has no method `{method}`", entry.resource),
                )
                .with_label(
                    line.src
                        .label(method_span, format!("not a method of `{}`", entry.resource)),
                );
                if let Some(s) =
                    wasmkit_core::suggest::did_you_mean(method, methods.iter().copied())
                {
                    d = d.with_help(format!("did you mean `{name}.{s}`?"));
                }
                if !methods.is_empty() {
                    d = d.with_note(format!("its methods: {}", methods.join(", ")));
                }
                return Err(d);
            };
            return Ok((
                index,
                Some(Receiver {
                    value: *value,
                    handle: *handle,
                }),
            ));
        }
        if let Some(&index) = self.resolved.get(callee) {
            return Ok((index, None));
        }
        match self.exports.resolve(callee) {
            Ok(index) => {
                self.resolved.insert(callee.to_string(), index);
                Ok((index, None))
            }
            Err(why) => {
                // `zz.get()`: `zz` is neither bound nor an interface or
                // resource of the component.
                if let Some((name, _)) = callee.split_once('.')
                    && line::is_label(name)
                    && !self.is_namespace(name)
                {
                    return Err(args::unknown_name(
                        &line.src,
                        0..name.len(),
                        name,
                        &self.bindings,
                    ));
                }
                Err(names::resolution_error(
                    self.exports.funcs(),
                    Side::Exports,
                    &line.src,
                    line.callee_span.clone(),
                    callee,
                    why,
                ))
            }
        }
    }

    /// Whether `name` can start a function name: an interface or a resource.
    fn is_namespace(&self, name: &str) -> bool {
        self.exports.funcs().iter().any(|f| {
            f.instance
                .as_deref()
                .is_some_and(|i| i == name || names::interface_of(i) == name)
        }) || self.exports.resources().iter().any(|r| r.name == name)
    }

    fn unmocked_error(&self, line: &CallLine<'_>, index: usize) -> Diagnostic {
        let f = &self.imports.funcs()[index];
        let signature = imports::signature(self.exports.wit(), f);
        Diagnostic::error(
            codes::UNPROVIDED_IMPORT,
            format!(
                "`{}` called the import `{}`, which nothing provides or mocks",
                line.callee,
                f.full_name()
            ),
        )
        .with_label(
            line.src
                .label(line.callee_span.clone(), "this call reached it"),
        )
        .with_note(format!("its signature is `{}: {signature}`", f.name))
        .with_help(format!(
            "mock it: {}",
            crate::mocks::suggestion(self.imports.funcs(), f)
        ))
    }
}

/// The diagnostic for a component that cannot be linked or instantiated.
pub(crate) fn instantiate_error(e: &wasmtime::Error) -> Diagnostic {
    let mut d = Diagnostic::error(
        codes::INSTANTIATE_FAILED,
        "cannot instantiate the component",
    );
    for cause in e.chain() {
        d = d.with_note(cause.to_string());
    }
    d
}
