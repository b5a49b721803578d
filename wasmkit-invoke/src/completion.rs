//! What a session knows that an interactive front end completes from:
//! the names to call functions by, the bound names, the methods of a bound
//! handle, and the parameter types of a call (whose enum, variant and flag
//! cases [`crate::values::case_names`] lists).

use wasmtime::component::{Type, Val};

use crate::component::ComponentSession;
use crate::names::{self, Named};

/// A bound name, as completion and `:help` show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundName {
    /// The name.
    pub name: String,
    /// Its type as WIT writes it.
    pub type_name: String,
    /// Its value as printed (`<counter #1>`).
    pub wave: String,
    /// Whether it is (or holds) a handle that was moved or dropped.
    pub gone: bool,
}

impl ComponentSession {
    /// Each exported function by the shortest name that calls it: `f`,
    /// `iface.f`, `RES.new`, `iface.RES.f`, or its full name. Methods are
    /// reached through a handle and are left out.
    pub fn call_names(&self) -> Vec<String> {
        let funcs = self.exports().funcs();
        funcs
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.is_method())
            .map(|(i, f)| {
                let friendly = names::friendly(&f.name);
                [friendly, f.short_name(), f.full_name()]
                    .into_iter()
                    .find(|n| names::resolve(funcs, n) == Ok(i))
                    .unwrap_or_else(|| f.full_name())
            })
            .collect()
    }

    /// The bound names, in the order they were bound.
    pub fn bound_names(&self) -> Vec<BoundName> {
        self.bindings()
            .iter()
            .map(|(name, b)| BoundName {
                name: name.to_string(),
                type_name: b.type_name.clone(),
                wave: b.wave.clone(),
                gone: crate::args::gone(self.handles(), b).is_some(),
            })
            .collect()
    }

    /// The methods callable as `NAME.method(...)` on a bound handle.
    pub fn methods_of(&self, name: &str) -> Vec<String> {
        let Some(b) = self.bindings().get(name) else {
            return Vec::new();
        };
        let (Val::Resource(_), [h]) = (&b.value, b.handles.as_slice()) else {
            return Vec::new();
        };
        match self.resource(&self.handles().get(*h).ty) {
            Some(res) => self
                .exports()
                .methods(res)
                .into_iter()
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        }
    }

    /// The parameters (name, type) of what `callee` calls, as a call
    /// writes them: a method's handle is not among them. `None` when it
    /// names nothing.
    pub fn param_types(&self, callee: &str) -> Option<Vec<(String, Type)>> {
        let exports = self.exports();
        if let Some((name, method)) = callee.split_once('.')
            && let Some(b) = self.bindings().get(name)
        {
            let [h] = b.handles.as_slice() else {
                return None;
            };
            let res = self.resource(&self.handles().get(*h).ty)?;
            let f = &exports.funcs()[exports.method(res, method)?];
            return Some(params(&f.ty, 1));
        }
        let f = &exports.funcs()[exports.resolve(callee).ok()?];
        Some(params(&f.ty, 0))
    }
}

fn params(ty: &wasmtime::component::types::ComponentFunc, skip: usize) -> Vec<(String, Type)> {
    ty.params()
        .skip(skip)
        .map(|(n, t)| (n.to_string(), t))
        .collect()
}
