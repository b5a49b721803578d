//! The `wasmtime` host profile for components: what a component can
//! import, asked of the linker itself rather than of a list kept by hand.
//!
//! The profile is what `wasmtime serve -S cli=y` links: every WASI 0.2
//! interface of wasmtime-wasi, plus `wasi:http/types` and
//! `wasi:http/outgoing-handler` of wasmtime-wasi-http. WAVE calls and
//! `verify` link it synchronously ([`add_to_linker_sync`]); HTTP requests
//! are served on the asynchronous linker ([`add_to_linker_async`]), as
//! `wasmtime serve` serves them.

use wasmkit_core::{Diagnostic, codes};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, LinkerInstance, ResourceType};
use wasmtime::{Engine, bail};

use crate::component::ComponentState;

/// Adds the profile's interfaces, with synchronous host functions.
pub fn add_to_linker_sync(linker: &mut Linker<ComponentState>) -> Result<(), Diagnostic> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)
        .and_then(|()| wasmtime_wasi_http::p2::add_only_http_to_linker_sync(linker))
        .map_err(|e| setup_failed(&e))
}

/// Adds the profile's interfaces, with asynchronous host functions (for
/// calls made with `call_async`).
pub fn add_to_linker_async(linker: &mut Linker<ComponentState>) -> Result<(), Diagnostic> {
    wasmtime_wasi::p2::add_to_linker_async(linker)
        .and_then(|()| wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker))
        .map_err(|e| setup_failed(&e))
}

fn setup_failed(e: &wasmtime::Error) -> Diagnostic {
    Diagnostic::error(
        codes::INSTANTIATE_FAILED,
        format!("cannot set up the wasmtime host profile: {e}"),
    )
}

/// One import of a component and whether the profile provides it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportStatus {
    /// The import's name (`wasi:http/types@0.2.12`, or a plain name).
    pub name: String,
    /// Whether the profile's linker satisfies it.
    pub provided: bool,
    /// Why not, as the linker says it (`instance export `get-foo` has the
    /// wrong type: function implementation is missing`).
    pub reason: Option<String>,
}

/// Which of `component`'s imports the `wasmtime` profile provides, in
/// import order.
///
/// The linker's type check stops at the first import it cannot satisfy, so
/// that import is recorded, replaced by a stub of its own type, and the
/// check runs again until it passes: each import is judged by the same
/// check that instantiation makes, with wasmtime's semver matching
/// (`wasi:cli/environment@0.2.0` is provided by the 0.2.x the profile has).
pub fn check_imports(engine: &Engine, component: &Component) -> Vec<ImportStatus> {
    let imports: Vec<(String, ComponentItem)> = component
        .component_type()
        .imports(engine)
        .map(|(name, item)| (name.to_string(), item.ty))
        .collect();
    let mut missing: Vec<(String, String)> = Vec::new();
    // Each round finds one more unprovided import; one more round than there
    // are imports means the linker's messages are not what they were.
    for _ in 0..=imports.len() {
        let failure = match probe_linker(engine, &imports, &missing) {
            Ok(linker) => match linker.substituted_component_type(component) {
                Ok(_) => break,
                Err(e) => e,
            },
            Err(e) => e,
        };
        match unprovided_import(&failure) {
            Some((name, reason)) if !missing.iter().any(|(m, _)| *m == name) => {
                missing.push((name, reason));
            }
            _ => {
                // Not about one import: every import not yet found is in doubt.
                let reason = format!("{failure:#}");
                for (name, _) in &imports {
                    if !missing.iter().any(|(m, _)| m == name) {
                        missing.push((name.clone(), reason.clone()));
                    }
                }
                break;
            }
        }
    }
    imports
        .into_iter()
        .map(|(name, _)| {
            let reason = missing
                .iter()
                .find(|(m, _)| *m == name)
                .map(|(_, r)| r.clone());
            ImportStatus {
                provided: reason.is_none(),
                name,
                reason,
            }
        })
        .collect()
}

/// The profile's linker with the imports found missing so far stubbed.
fn probe_linker(
    engine: &Engine,
    imports: &[(String, ComponentItem)],
    missing: &[(String, String)],
) -> wasmtime::Result<Linker<ComponentState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
    // A stub replaces a profile definition of the wrong type.
    linker.allow_shadowing(true);
    for (name, item) in imports {
        if missing.iter().any(|(m, _)| m == name) {
            stub(engine, &mut linker.root(), name, item)?;
        }
    }
    Ok(linker)
}

/// The host type of stubbed resources.
struct Stubbed;

/// Defines `name` with `item`'s type: functions that trap, resources of a
/// host type of their own.
fn stub(
    engine: &Engine,
    linker: &mut LinkerInstance<'_, ComponentState>,
    name: &str,
    item: &ComponentItem,
) -> wasmtime::Result<()> {
    match item {
        ComponentItem::ComponentFunc(_) => {
            let shown = name.to_string();
            linker.func_new(name, move |_, _, _, _| {
                bail!("`{shown}` is not provided by the wasmtime host profile")
            })
        }
        ComponentItem::Resource(_) => {
            linker.resource(name, ResourceType::host::<Stubbed>(), |_, _| Ok(()))
        }
        ComponentItem::ComponentInstance(instance) => {
            let mut inner = linker.instance(name)?;
            for (export, item) in instance.exports(engine) {
                stub(engine, &mut inner, export, &item.ty)?;
            }
            Ok(())
        }
        // Types need no definition; modules and components are not imported
        // by anything cargo builds.
        _ => Ok(()),
    }
}

/// The import a linker type-check failure is about, and why, from
/// wasmtime's message "component imports instance `NAME`, but a matching
/// implementation was not found in the linker" and its causes.
fn unprovided_import(error: &wasmtime::Error) -> Option<(String, String)> {
    let mut chain = error.chain().map(ToString::to_string);
    let head = chain
        .by_ref()
        .find(|c| c.contains("a matching implementation was not found"))?;
    let name = head.split('`').nth(1)?.to_string();
    let reason: Vec<String> = chain.collect();
    let reason = if reason.is_empty() {
        "no definition of that name".to_string()
    } else {
        reason.join(": ")
    };
    Some((name, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(wat: &str) -> (Engine, Component) {
        let engine = Engine::default();
        let component = Component::new(&engine, wat).expect("valid component");
        (engine, component)
    }

    fn statuses(wat: &str) -> Vec<(String, bool)> {
        let (engine, component) = component(wat);
        check_imports(&engine, &component)
            .into_iter()
            .map(|s| (s.name, s.provided))
            .collect()
    }

    #[test]
    fn wasi_and_http_are_provided_and_others_are_not() {
        let got = statuses(
            r#"(component
                (import "wasi:cli/environment@0.2.0" (instance
                    (export "get-arguments" (func (result (list string))))))
                (import "my:plugin/host@1.0.0" (instance
                    (export "log" (func (param "msg" string)))))
                (import "wasi:http/types@0.2.12" (instance
                    (export "fields" (type (sub resource)))))
                (import "wasi:cli/environment@0.3.0" (instance
                    (export "get-arguments" (func (result (list string))))))
                (import "wasi:clocks/wall-clock@0.2.6" (instance
                    (export "now" (func (result u64)))))
            )"#,
        );
        assert_eq!(
            got,
            [
                ("wasi:cli/environment@0.2.0".to_string(), true),
                ("my:plugin/host@1.0.0".to_string(), false),
                ("wasi:http/types@0.2.12".to_string(), true),
                ("wasi:cli/environment@0.3.0".to_string(), false),
                // Right name, wrong type: `now` returns a record.
                ("wasi:clocks/wall-clock@0.2.6".to_string(), false),
            ]
        );
    }

    #[test]
    fn the_reason_is_the_linkers() {
        let (engine, component) = component(
            r#"(component
                (import "wasi:cli/environment@0.2.0" (instance
                    (export "get-everything" (func (result (list string))))))
            )"#,
        );
        let status = check_imports(&engine, &component);
        assert_eq!(
            status[0].reason.as_deref(),
            Some(
                "instance export `get-everything` has the wrong type: function implementation is missing"
            )
        );
    }

    #[test]
    fn an_interface_of_types_only_needs_nothing() {
        let got = statuses(
            r#"(component
                (import "my:types/shapes@1.0.0" (instance
                    (type $point (record (field "x" u32)))
                    (export "point" (type (eq $point)))))
            )"#,
        );
        assert_eq!(got, [("my:types/shapes@1.0.0".to_string(), true)]);
    }
}
