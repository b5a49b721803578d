//! A component's exported functions and resources, found once per
//! component from its type (no instance needed), with their WIT
//! signatures for listings and diagnostics.

use std::sync::{Arc, OnceLock};

use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::wasm_wave::wasm::DisplayType;
use wasmtime::component::{Component, ComponentExportIndex, ResourceType, Type};

use crate::call::{ParamView, SignatureView};
use crate::names::{self, Named, Resolution, Side};
use crate::values::has_handle;
use crate::wit::WitFunctions;

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
    pub(crate) index: ComponentExportIndex,
    /// A parameter or result type no call can write or read, found once.
    unsupported: Option<Type>,
    /// Whether each parameter's type can hold a handle, found once.
    pub(crate) param_handles: Vec<bool>,
    /// Whether the results can hold a handle.
    pub(crate) result_handles: bool,
}

impl Named for ExportedFunc {
    fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl ExportedFunc {
    fn new(
        instance: Option<&str>,
        name: &str,
        ty: ComponentFunc,
        index: ComponentExportIndex,
    ) -> ExportedFunc {
        let unsupported = ty
            .params()
            .map(|(_, t)| t)
            .chain(ty.results())
            .find(crate::values::unsupported);
        let param_handles = ty.params().map(|(_, t)| has_handle(&t)).collect();
        let result_handles = ty.results().any(|t| has_handle(&t));
        ExportedFunc {
            instance: instance.map(str::to_string),
            name: name.to_string(),
            unsupported,
            param_handles,
            result_handles,
            ty,
            index,
        }
    }

    /// The parameter or result type no call can write or read: futures,
    /// streams and error contexts.
    pub(crate) fn unsupported_type(&self) -> Option<&Type> {
        self.unsupported.as_ref()
    }

    /// Whether this is `[method]RES.name`: its first parameter is the handle.
    pub fn is_method(&self) -> bool {
        self.name.starts_with("[method]")
    }
}

/// A resource type the component exports or imports, by the name WIT
/// gives it.
#[derive(Clone, Debug)]
pub struct ResourceInfo {
    /// The type, as the component's function types refer to it.
    pub ty: ResourceType,
    /// The instance it is declared in, or `None` at the root.
    pub instance: Option<String>,
    /// Its name.
    pub name: String,
    /// Whether the component exports it (its own) or imports it (the host's).
    pub side: Side,
}

/// Every exported function and resource of a component.
#[derive(Debug)]
pub struct ComponentExports {
    funcs: Vec<ExportedFunc>,
    resources: Vec<ResourceInfo>,
    wit: OnceLock<Option<WitFunctions>>,
    bytes: Option<Arc<[u8]>>,
}

impl ComponentExports {
    /// Indexes a component's exports. `bytes` (the component binary) lets
    /// listings and diagnostics use WIT type names.
    pub fn new(component: &Component, bytes: Option<Arc<[u8]>>) -> ComponentExports {
        let engine = component.engine();
        let mut funcs = Vec::new();
        let mut resources = Vec::new();
        for (name, item) in component.component_type().exports(engine) {
            match item.ty {
                ComponentItem::ComponentFunc(ty) => {
                    if let Some(index) = component.get_export_index(None, name) {
                        funcs.push(ExportedFunc::new(None, name, ty, index));
                    }
                }
                ComponentItem::Resource(ty) => resources.push(ResourceInfo {
                    ty,
                    instance: None,
                    name: name.to_string(),
                    side: Side::Exports,
                }),
                ComponentItem::ComponentInstance(instance_ty) => {
                    let Some(instance_index) = component.get_export_index(None, name) else {
                        continue;
                    };
                    for (item_name, item) in instance_ty.exports(engine) {
                        match item.ty {
                            ComponentItem::ComponentFunc(ty) => {
                                if let Some(index) =
                                    component.get_export_index(Some(&instance_index), item_name)
                                {
                                    funcs.push(ExportedFunc::new(Some(name), item_name, ty, index));
                                }
                            }
                            ComponentItem::Resource(ty) => resources.push(ResourceInfo {
                                ty,
                                instance: Some(name.to_string()),
                                name: item_name.to_string(),
                                side: Side::Exports,
                            }),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        ComponentExports {
            funcs,
            resources,
            wit: OnceLock::new(),
            bytes,
        }
        .with_resource_owners()
    }

    /// Keeps one entry per resource type: for a resource that several
    /// instances name (`use a.{r}`), the instance that has its functions.
    fn with_resource_owners(mut self) -> ComponentExports {
        let owns = |r: &ResourceInfo| {
            let constructor = format!("[constructor]{}", r.name);
            let prefixes = [
                format!("[method]{}.", r.name),
                format!("[static]{}.", r.name),
            ];
            self.funcs.iter().any(|f| {
                f.instance == r.instance
                    && (f.name == constructor || prefixes.iter().any(|p| f.name.starts_with(p)))
            })
        };
        let mut kept: Vec<ResourceInfo> = Vec::new();
        for r in &self.resources {
            match kept.iter_mut().find(|k| k.ty == r.ty) {
                None => kept.push(r.clone()),
                Some(k) if !owns(k) && owns(r) => *k = r.clone(),
                Some(_) => {}
            }
        }
        self.resources = kept;
        self
    }

    /// The functions, in export order.
    pub fn funcs(&self) -> &[ExportedFunc] {
        &self.funcs
    }

    /// The resources the component exports.
    pub fn resources(&self) -> &[ResourceInfo] {
        &self.resources
    }

    pub(crate) fn wit(&self) -> Option<&WitFunctions> {
        self.wit
            .get_or_init(|| self.bytes.as_deref().and_then(WitFunctions::decode))
            .as_ref()
    }

    /// `name: func(...) -> ...` in WIT, with WIT type names where the
    /// component carries them.
    pub fn signature(&self, f: &ExportedFunc) -> String {
        format!("{}: {}", f.full_name(), self.bare_signature(f))
    }

    /// `func(...) -> ...` alone.
    pub fn bare_signature(&self, f: &ExportedFunc) -> String {
        match self
            .wit()
            .and_then(|w| w.get(Side::Exports, f.instance.as_deref(), &f.name))
        {
            Some(w) => w.signature.clone(),
            None => structural_signature(&f.ty),
        }
    }

    /// The signature as diagnostics show it, under the name the user
    /// wrote; `skip` leading parameters (a method's handle) are left out.
    pub(crate) fn view(&self, f: &ExportedFunc, shown_name: &str, skip: usize) -> SignatureView {
        let wit = self
            .wit()
            .and_then(|w| w.get(Side::Exports, f.instance.as_deref(), &f.name));
        let params =
            f.ty.params()
                .enumerate()
                .skip(skip)
                .map(|(i, (name, ty))| ParamView {
                    name: name.to_string(),
                    type_name: wit
                        .and_then(|w| w.params.get(i))
                        .map_or_else(|| type_name(&ty), |(_, t)| t.clone()),
                })
                .collect();
        SignatureView {
            name: shown_name.to_string(),
            signature: self.signature(f),
            params,
            definitions: wit.map(|w| w.definitions.clone()).unwrap_or_default(),
        }
    }

    /// Finds the function a call names (see [`names`]).
    pub fn resolve(&self, name: &str) -> Result<usize, Resolution> {
        names::resolve(&self.funcs, name)
    }

    /// The method `method` of the resource `res`, if it has one.
    pub fn method(&self, res: &ResourceInfo, method: &str) -> Option<usize> {
        let name = format!("[method]{}.{method}", res.name);
        self.funcs
            .iter()
            .position(|f| f.instance == res.instance && f.name == name)
    }

    /// The names of the methods of `res`, for suggestions and completion.
    pub fn methods(&self, res: &ResourceInfo) -> Vec<&str> {
        let prefix = format!("[method]{}.", res.name);
        self.funcs
            .iter()
            .filter(|f| f.instance == res.instance)
            .filter_map(|f| f.name.strip_prefix(&prefix))
            .collect()
    }
}

/// A type as WAVE's type display writes it, with handles as WIT does.
pub(crate) fn type_name(ty: &Type) -> String {
    match ty {
        Type::Own(_) => "own<resource>".to_string(),
        Type::Borrow(_) => "borrow<resource>".to_string(),
        other => DisplayType(other).to_string(),
    }
}

/// `func(a: u32) -> string` from the component type alone.
pub(crate) fn structural_signature(ty: &ComponentFunc) -> String {
    let params: Vec<String> = ty
        .params()
        .map(|(name, t)| format!("{name}: {}", type_name(&t)))
        .collect();
    let mut s = format!("func({})", params.join(", "));
    if let Some(r) = ty.results().next() {
        s.push_str(&format!(" -> {}", type_name(&r)));
    }
    s
}
