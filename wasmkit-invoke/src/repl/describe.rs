//! What `:help` prints: the commands, or one name's signature under its
//! WIT doc comment (a function, a method of a bound handle, a resource, or
//! a bound name with its type and value).

use wasmkit_core::{Diagnostic, codes};
use wasmtime::component::Val;

use crate::call::CallSource;
use crate::component::ComponentSession;
use crate::exports::ExportedFunc;
use crate::listing::Item;
use crate::names::{self, Side};
use crate::repl::command::COMMANDS;
use crate::repl::docs::WitDocs;
use crate::session::Session;

/// `:help` alone: the commands, and how calls are written.
pub(crate) fn commands() -> Vec<String> {
    let width = COMMANDS.iter().map(|(u, _)| u.len()).max().unwrap_or(0);
    let mut lines: Vec<String> = COMMANDS
        .iter()
        .map(|(usage, what)| format!("{usage:width$}  {what}"))
        .collect();
    lines.push(String::new());
    lines.push(
        "Calls are written as on the command line: `f(1)`, `let c = counter.new(1)`, \
         `c.get()`, `drop(c)`."
            .to_string(),
    );
    lines.push("Tab completes names; Ctrl-C stops a running call; Ctrl-D ends.".to_string());
    lines
}

/// `:help NAME`.
pub(crate) fn name(
    session: &Session,
    name: &CallSource,
    docs: &WitDocs,
) -> Result<Vec<String>, Diagnostic> {
    let text = name.text();
    match session {
        Session::Component(s) => component_name(s, session, name, text, docs),
        Session::Module(m) => m
            .funcs()
            .iter()
            .find(|(n, _)| n == text)
            .map(|(n, ty)| vec![format!("{n}: {}", crate::module::signature(ty))])
            .ok_or_else(|| {
                Diagnostic::error(
                    codes::UNKNOWN_FUNCTION,
                    format!("the module exports no function `{text}`"),
                )
                .with_label(name.label(0..text.len(), "not exported"))
                .with_help("see every function with `:list`")
            }),
    }
}

fn component_name(
    s: &ComponentSession,
    session: &Session,
    src: &CallSource,
    text: &str,
    docs: &WitDocs,
) -> Result<Vec<String>, Diagnostic> {
    let exports = s.exports();
    // `c.get`: a method of a bound handle.
    if let Some((bound, method)) = text.split_once('.')
        && let Some(b) = s.bindings().get(bound)
        && let (Val::Resource(_), [h]) = (&b.value, b.handles.as_slice())
        && let Some(res) = s.resource(&s.handles().get(*h).ty)
        && let Some(i) = exports.method(res, method)
    {
        return Ok(function(s, &exports.funcs()[i], docs));
    }
    if let Some(b) = s.bound_names().into_iter().find(|b| b.name == text) {
        let gone = if b.gone { "  (moved or dropped)" } else { "" };
        return Ok(vec![format!(
            "{}: {} = {}{gone}",
            b.name, b.type_name, b.wave
        )]);
    }
    match exports.resolve(text) {
        Ok(i) => Ok(function(s, &exports.funcs()[i], docs)),
        Err(why) => {
            let resource = session
                .listing()
                .exports
                .into_iter()
                .find_map(|item| match item {
                    Item::Resource(r) if r.name == text => Some(r.wit),
                    _ => None,
                });
            resource.map(|wit| vec![wit]).ok_or_else(|| {
                names::resolution_error(
                    exports.funcs(),
                    Side::Exports,
                    src,
                    0..text.len(),
                    text,
                    why,
                )
            })
        }
    }
}

/// A function's doc comment (as `///` lines) over its signature: the
/// component's own, else the WIT sources'.
fn function(s: &ComponentSession, f: &ExportedFunc, sources: &WitDocs) -> Vec<String> {
    let exports = s.exports();
    let docs = exports
        .wit()
        .and_then(|w| w.get(Side::Exports, f.instance.as_deref(), &f.name))
        .and_then(|w| w.docs.clone())
        .or_else(|| {
            sources
                .get(f.instance.as_deref(), &f.name)
                .map(str::to_string)
        });
    let mut lines: Vec<String> = docs
        .iter()
        .flat_map(|d| d.lines())
        .map(|l| format!("/// {l}").trim_end().to_string())
        .collect();
    lines.push(exports.signature(f));
    lines
}
