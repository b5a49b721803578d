//! A component's imports and what provides each: the sandbox's linker
//! (WASI), a mocked value, or nothing. Every import gets a definition, so
//! that an unprovided one never prevents instantiation: calling it fails
//! the call, naming it. Mocked calls are recorded for `-v` and JSON.

use wasmkit_core::{Diagnostic, codes};
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Component, InstancePre, Linker, ResourceType, Val};
use wasmtime::{Engine, StoreContextMut};

use crate::component::ComponentState;
use crate::exports::ResourceInfo;
use crate::mocks::Mock;
use crate::names::{Named, Side};
use crate::sandbox;
use crate::values;
use crate::wit::WitFunctions;

/// The version of the WASI 0.2 interfaces that wasmtime-wasi's linker
/// defines; the linker matches an import of any 0.2.x to it. A mock that
/// replaces a WASI function is defined under this name (tested below).
const WASI_P2_VERSION: &str = "0.2.12";

/// At most this many import calls are recorded per call; the rest are
/// counted.
const LOG_CAP: usize = 1000;

/// What provides an imported function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// The sandbox's WASI implementation.
    Wasi,
    /// A `--mock` value.
    Mocked,
    /// Nothing: calling it fails the call.
    Unprovided,
}

impl Provider {
    /// As `--list` writes it.
    pub fn describe(self) -> &'static str {
        match self {
            Provider::Wasi => "provided by WASI",
            Provider::Mocked => "mocked",
            Provider::Unprovided => "unprovided",
        }
    }
}

/// One imported function.
#[derive(Clone, Debug)]
pub struct ImportedFunc {
    /// The imported instance it belongs to, or `None` for a root import.
    pub instance: Option<String>,
    /// Its name there.
    pub name: String,
    /// Its type.
    pub ty: ComponentFunc,
    /// What provides it.
    pub provider: Provider,
}

impl Named for ImportedFunc {
    fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl ImportedFunc {
    /// The name of the import that holds it: its instance, or itself.
    pub(crate) fn import_name(&self) -> &str {
        self.instance.as_deref().unwrap_or(&self.name)
    }
}

/// A component's imports, linked: ready to instantiate.
pub struct ComponentImports {
    funcs: Vec<ImportedFunc>,
    resources: Vec<ResourceInfo>,
    /// Each function's mocked results, by index.
    mocks: Vec<Option<Vec<Val>>>,
    /// Why the linker refused each unprovided import, by import name.
    reasons: Vec<(String, String)>,
    pre: InstancePre<ComponentState>,
}

impl std::fmt::Debug for ComponentImports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentImports")
            .field("funcs", &self.funcs.len())
            .finish_non_exhaustive()
    }
}

impl ComponentImports {
    /// Finds the component's imports, checks `mocks` (`NAME=VALUE`) against
    /// their types, and links every import: WASI from the sandbox, mocks
    /// over it or on their own, trapping stand-ins for the rest.
    pub fn link<'w>(
        engine: &Engine,
        component: &Component,
        mocks: &[Mock],
        wit: &dyn Fn() -> Option<&'w WitFunctions>,
    ) -> Result<ComponentImports, Diagnostic> {
        let (mut funcs, resources, import_names) = enumerate(engine, component);
        let mut mocked = vec![None; funcs.len()];
        for spec in mocks {
            let (index, values) = crate::mocks::check(spec, &funcs, &|f| signature(wit(), f))?;
            mocked[index] = Some(values);
        }

        let mut linker = sandbox::component_linker(engine)?;
        let mut unprovided: Vec<&str> = Vec::new();
        let mut reasons = Vec::new();
        let mut pre = loop {
            match linker.instantiate_pre(component) {
                Ok(pre) => break pre,
                Err(e) => {
                    // The linker names the first import it lacks.
                    let message = e.to_string();
                    let missing = import_names.iter().find(|n| {
                        !unprovided.contains(&n.as_str()) && message.contains(&format!("`{n}`"))
                    });
                    let Some(name) = missing else {
                        return Err(crate::component::instantiate_error(&e));
                    };
                    stand_in(&mut linker, name, &funcs, &resources).map_err(|e| link_error(&e))?;
                    unprovided.push(name);
                    reasons.push((name.clone(), refusal(&e)));
                }
            }
        };

        let mut shadowed = false;
        for (i, f) in funcs.iter_mut().enumerate() {
            let by_linker = !unprovided.contains(&f.import_name());
            f.provider = match (&mocked[i], by_linker) {
                (Some(_), _) => Provider::Mocked,
                (None, true) => Provider::Wasi,
                (None, false) => Provider::Unprovided,
            };
            if mocked[i].is_some() && by_linker {
                // A mock over a WASI function: defined in the linker's own
                // instance, where the import resolves.
                let instance = f
                    .instance
                    .as_deref()
                    .and_then(|inst| provider_instance(engine, inst, &f.name));
                let Some(instance) = instance else {
                    return Err(Diagnostic::error(
                        codes::INVALID_MOCK,
                        format!(
                            "cannot mock `{}`: the sandbox provides it under a name this tool does not know",
                            f.full_name()
                        ),
                    ));
                };
                linker.allow_shadowing(true);
                let mut inst = linker.instance(&instance).map_err(|e| link_error(&e))?;
                inst.func_new(&f.name, host_func(i))
                    .map_err(|e| link_error(&e))?;
                shadowed = true;
            }
        }
        if shadowed {
            pre = linker
                .instantiate_pre(component)
                .map_err(|e| crate::component::instantiate_error(&e))?;
        }
        Ok(ComponentImports {
            funcs,
            resources,
            mocks: mocked,
            reasons,
            pre,
        })
    }

    /// Why the linker refused an import (by its name), as it says it:
    /// `instance export `now` has the wrong type: ...` for an import it has
    /// under another type.
    pub fn refusal(&self, import: &str) -> Option<&str> {
        self.reasons
            .iter()
            .find(|(name, _)| name == import)
            .map(|(_, why)| why.as_str())
    }

    /// The imported functions, in import order.
    pub fn funcs(&self) -> &[ImportedFunc] {
        &self.funcs
    }

    /// The resource types the component imports.
    pub fn resources(&self) -> &[ResourceInfo] {
        &self.resources
    }

    /// The mocked results, by function index.
    pub(crate) fn mocks(&self) -> &[Option<Vec<Val>>] {
        &self.mocks
    }

    /// The linked component, ready to instantiate.
    pub(crate) fn instance_pre(&self) -> &InstancePre<ComponentState> {
        &self.pre
    }
}

/// `func(key: string) -> option<string>` of an import, in WIT where the
/// component carries it.
pub(crate) fn signature(wit: Option<&WitFunctions>, f: &ImportedFunc) -> String {
    match wit.and_then(|w| w.get(Side::Imports, f.instance.as_deref(), &f.name)) {
        Some(w) => w.signature.clone(),
        None => crate::exports::structural_signature(&f.ty),
    }
}

/// The imported functions and resources, and the names of the imports.
fn enumerate(
    engine: &Engine,
    component: &Component,
) -> (Vec<ImportedFunc>, Vec<ResourceInfo>, Vec<String>) {
    let mut funcs = Vec::new();
    let mut resources: Vec<ResourceInfo> = Vec::new();
    let mut names = Vec::new();
    let func = |instance: Option<&str>, name: &str, ty| ImportedFunc {
        instance: instance.map(str::to_string),
        name: name.to_string(),
        ty,
        provider: Provider::Unprovided,
    };
    let mut resource = |instance: Option<&str>, name: &str, ty: ResourceType| {
        if !resources.iter().any(|r| r.ty == ty) {
            resources.push(ResourceInfo {
                ty,
                instance: instance.map(str::to_string),
                name: name.to_string(),
                side: Side::Imports,
            });
        }
    };
    for (name, item) in component.component_type().imports(engine) {
        names.push(name.to_string());
        match item.ty {
            ComponentItem::ComponentFunc(ty) => funcs.push(func(None, name, ty)),
            ComponentItem::Resource(ty) => resource(None, name, ty),
            ComponentItem::ComponentInstance(instance) => {
                for (item_name, item) in instance.exports(engine) {
                    match item.ty {
                        ComponentItem::ComponentFunc(ty) => {
                            funcs.push(func(Some(name), item_name, ty));
                        }
                        ComponentItem::Resource(ty) => resource(Some(name), item_name, ty),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (funcs, resources, names)
}

/// Defines an import the linker lacks: its functions answer with their
/// mock, or fail the call; its resource types are types of the host's
/// that nothing ever makes.
fn stand_in(
    linker: &mut Linker<ComponentState>,
    import: &str,
    funcs: &[ImportedFunc],
    resources: &[ResourceInfo],
) -> wasmtime::Result<()> {
    if let Some(i) = funcs
        .iter()
        .position(|f| f.instance.is_none() && f.name == import)
    {
        return linker.root().func_new(import, host_func(i));
    }
    if let Some(i) = resources
        .iter()
        .position(|r| r.instance.is_none() && r.name == import)
    {
        return linker
            .root()
            .resource(import, host_resource(i), |_, _| Ok(()));
    }
    let mut inst = linker.instance(import)?;
    for (i, r) in resources.iter().enumerate() {
        if r.instance.as_deref() == Some(import) {
            inst.resource(&r.name, host_resource(i), |_, _| Ok(()))?;
        }
    }
    for (i, f) in funcs.iter().enumerate() {
        if f.instance.as_deref() == Some(import) {
            inst.func_new(&f.name, host_func(i))?;
        }
    }
    Ok(())
}

/// A host resource type of its own for imported resource `index`.
fn host_resource(index: usize) -> ResourceType {
    ResourceType::host_dynamic(u32::try_from(index).unwrap_or(u32::MAX))
}

/// The linker's name for the instance an import of `instance` resolves
/// to: the same name, or the WASI version the linker defines. Found by
/// defining `func` again in a scratch linker, which fails where it exists.
fn provider_instance(engine: &Engine, instance: &str, func: &str) -> Option<String> {
    let mut scratch = sandbox::component_linker(engine).ok()?;
    let path = instance.split_once('@').map_or(instance, |(p, _)| p);
    [instance.to_string(), format!("{path}@{WASI_P2_VERSION}")]
        .into_iter()
        .find(|candidate| {
            scratch
                .instance(candidate)
                .and_then(|mut inst| inst.func_new(func, |_, _, _, _| Ok(())))
                .is_err()
        })
}

/// The host function behind a mocked or unprovided import `index`.
fn host_func(
    index: usize,
) -> impl Fn(
    StoreContextMut<'_, ComponentState>,
    ComponentFunc,
    &[Val],
    &mut [Val],
) -> wasmtime::Result<()>
+ Send
+ Sync
+ 'static {
    move |mut store, _ty, params, results| {
        let state = store.data_mut();
        let mocked = state.mocks.get(index).and_then(Option::as_ref);
        let answer = mocked.map(|values| {
            for (slot, v) in results.iter_mut().zip(values) {
                *slot = v.clone();
            }
            values.clone()
        });
        let failed = answer.is_none();
        state.import_log.record(index, params, answer);
        if failed {
            state.import_log.unmocked = Some(index);
            return Err(wasmtime::Error::msg(
                "called an import that nothing provides",
            ));
        }
        Ok(())
    }
}

/// The import calls of the current call, as the host functions saw them.
#[derive(Debug, Default)]
pub(crate) struct ImportLog {
    calls: Vec<(usize, Vec<Val>, Option<Vec<Val>>)>,
    /// Calls beyond the cap.
    pub dropped: usize,
    /// The unprovided import a call reached, which failed it.
    pub unmocked: Option<usize>,
}

impl ImportLog {
    fn record(&mut self, index: usize, params: &[Val], results: Option<Vec<Val>>) {
        if self.calls.len() < LOG_CAP {
            self.calls.push((index, params.to_vec(), results));
        } else {
            self.dropped += 1;
        }
    }

    /// Takes the record, leaving it empty.
    pub(crate) fn take(&mut self) -> ImportLog {
        std::mem::take(self)
    }

    /// The calls as text: `store.get("k1") -> some("v1")`.
    pub(crate) fn describe(
        &self,
        imports: &ComponentImports,
        handle: &dyn Fn(&wasmtime::component::ResourceAny) -> String,
    ) -> Vec<ImportCall> {
        self.calls
            .iter()
            .map(|(index, params, results)| {
                let f = &imports.funcs[*index];
                let args = params
                    .iter()
                    .zip(f.ty.params())
                    .map(|(v, (_, ty))| values::to_wave(v, &ty, handle))
                    .collect();
                let result = results.as_ref().map(|r| {
                    let types: Vec<_> = f.ty.results().collect();
                    values::results_to_wave(r, &types, handle)
                });
                ImportCall {
                    index: *index,
                    function: f.short_name(),
                    args,
                    result,
                }
            })
            .collect()
    }
}

/// A call the guest made to a mocked (or unprovided) import.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImportCall {
    /// The import's index in [`ComponentImports::funcs`].
    #[serde(skip)]
    pub index: usize,
    /// The import, by its short name (`store.get`).
    pub function: String,
    /// Each argument as WAVE.
    pub args: Vec<String>,
    /// The mocked result as WAVE; `None` when nothing provided it (the
    /// call failed there).
    pub result: Option<String>,
}

impl std::fmt::Display for ImportCall {
    /// `store.get("k1") -> some("v1")`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.function, self.args.join(", "))?;
        match &self.result {
            Some(r) => write!(f, " -> {r}"),
            None => write!(f, " -> unprovided"),
        }
    }
}

/// What the linker says after naming the import it lacks (the causes
/// below "a matching implementation was not found ..."), or that it has
/// nothing of that name.
fn refusal(e: &wasmtime::Error) -> String {
    let causes: Vec<String> = e
        .chain()
        .map(ToString::to_string)
        .skip_while(|c| !c.contains("a matching implementation was not found"))
        .skip(1)
        .collect();
    if causes.is_empty() {
        "no definition of that name".to_string()
    } else {
        causes.join(": ")
    }
}

fn link_error(e: &wasmtime::Error) -> Diagnostic {
    Diagnostic::error(
        codes::INSTANTIATE_FAILED,
        format!("cannot link the component's imports: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wasi_version_is_the_one_the_linker_defines() {
        let engine = Engine::default();
        assert_eq!(
            provider_instance(&engine, "wasi:clocks/wall-clock@0.2.0", "now").as_deref(),
            Some(format!("wasi:clocks/wall-clock@{WASI_P2_VERSION}").as_str()),
            "wasmtime-wasi moved on: update WASI_P2_VERSION"
        );
        assert_eq!(provider_instance(&engine, "my:kv/store@1.0.0", "get"), None);
    }

    #[test]
    fn the_log_keeps_the_first_calls_and_counts_the_rest() {
        let mut log = ImportLog::default();
        for i in 0..LOG_CAP + 5 {
            log.record(0, &[Val::U64(i as u64)], None);
        }
        assert_eq!(log.calls.len(), LOG_CAP);
        assert_eq!(log.dropped, 5);
        assert_eq!(log.calls[0].1, [Val::U64(0)]);
        assert_eq!(log.take().dropped, 5);
        assert_eq!(log.dropped, 0);
    }
}
