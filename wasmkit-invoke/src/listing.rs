//! What `--list` shows: the exported functions with their WIT signatures,
//! the exported resources as WIT `resource` blocks, and the imports with
//! what provides each. Made from the component's types, without an
//! instance.

use crate::exports::ComponentExports;
use crate::imports::{self, ComponentImports, Provider};
use crate::names::{Named, Side};

/// An exported function and its signature.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Listing {
    /// The full name to call it by.
    pub name: String,
    /// `name: func(...) -> ...` in WIT.
    pub signature: String,
    /// Whether a call can be written for it (no futures or streams).
    pub callable: bool,
}

/// An exported resource, in WIT.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ResourceListing {
    /// The instance that exports it, or `None` at the root.
    pub instance: Option<String>,
    /// Its name.
    pub name: String,
    /// `resource counter { ... }` with its constructor, methods and
    /// static functions, over several lines.
    pub wit: String,
}

/// An imported function and what provides it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImportListing {
    /// Its full name, as `--mock` takes it.
    pub name: String,
    /// The import that holds it: its instance (`my:kv/store@1.0.0`), or
    /// its own name at the root.
    pub import: String,
    /// `name: func(...) -> ...` in WIT.
    pub signature: String,
    /// What provides it.
    pub provider: Provider,
    /// Why the linker refused it, when it is unprovided.
    pub refusal: Option<String>,
}

/// One line or block of `--list`, in the component's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// An exported function (resource functions are in their resource).
    Function(Listing),
    /// An exported resource.
    Resource(ResourceListing),
}

/// Everything `--list` shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Exported functions and resources.
    pub exports: Vec<Item>,
    /// Imported functions.
    pub imports: Vec<ImportListing>,
}

impl Catalog {
    /// The catalog of a linked component.
    pub fn of_component(exports: &ComponentExports, imports: &ComponentImports) -> Catalog {
        let mut items = Vec::new();
        let mut shown_resources: Vec<(Option<&str>, &str)> = Vec::new();
        for f in exports.funcs() {
            if let Some(res) = resource_of(&f.name) {
                let key = (f.instance.as_deref(), res);
                if !shown_resources.contains(&key) {
                    shown_resources.push(key);
                    items.push(Item::Resource(resource_listing(
                        exports,
                        f.instance.as_deref(),
                        res,
                    )));
                }
                continue;
            }
            items.push(Item::Function(Listing {
                name: f.full_name(),
                signature: exports.signature(f),
                callable: f.unsupported_type().is_none(),
            }));
        }
        let wit = exports.wit();
        let imports = imports
            .funcs()
            .iter()
            .map(|f| ImportListing {
                name: f.full_name(),
                import: f.instance.clone().unwrap_or_else(|| f.name.clone()),
                signature: format!("{}: {}", f.full_name(), imports::signature(wit, f)),
                provider: f.provider,
                refusal: imports.refusal(f.import_name()).map(str::to_string),
            })
            .collect();
        Catalog {
            exports: items,
            imports,
        }
    }

    /// Whether an import needs the user's attention: one that is mocked or
    /// that nothing provides.
    pub fn has_custom_imports(&self) -> bool {
        self.imports.iter().any(|i| i.provider != Provider::Wasi)
    }
}

/// The resource a `[constructor]R`, `[method]R.m` or `[static]R.f` belongs to.
fn resource_of(name: &str) -> Option<&str> {
    let rest = name
        .strip_prefix("[constructor]")
        .or_else(|| name.strip_prefix("[method]"))
        .or_else(|| name.strip_prefix("[static]"))?;
    Some(rest.split_once('.').map_or(rest, |(r, _)| r))
}

fn resource_listing(
    exports: &ComponentExports,
    instance: Option<&str>,
    name: &str,
) -> ResourceListing {
    let wit = exports.wit().and_then(|w| {
        w.resources(Side::Exports)
            .find(|r| r.instance.as_deref() == instance && r.name == name)
            .map(|r| r.block.clone())
    });
    // Without WIT in the component: its functions by their component names.
    let wit = wit.unwrap_or_else(|| {
        let mut block = format!("resource {name} {{\n");
        for f in exports.funcs() {
            if f.instance.as_deref() == instance && resource_of(&f.name) == Some(name) {
                block.push_str(&format!("  {}: {};\n", f.name, exports.bare_signature(f)));
            }
        }
        block.push('}');
        block
    });
    ResourceListing {
        instance: instance.map(str::to_string),
        name: name.to_string(),
        wit,
    }
}
