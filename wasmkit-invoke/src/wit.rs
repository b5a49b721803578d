//! WIT names for a component's exports and imports, decoded from the
//! component itself (wit-component), so that listings and diagnostics say
//! `s: shape` rather than the structural type. Type names and resource
//! blocks are printed by `wit_component::WitPrinter`.

use std::collections::HashMap;

use wit_component::WitPrinter;
use wit_parser::{
    Function, FunctionKind, InterfaceId, Resolve, Type, TypeDefKind, TypeId, TypeOwner, WorldItem,
};

use crate::names::Side;

/// The WIT view of one function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitFunc {
    /// `func(s: shape) -> f64`
    pub signature: String,
    /// Each parameter's name and WIT type name.
    pub params: Vec<(String, String)>,
    /// The result's WIT type name.
    pub result: Option<String>,
    /// Definitions of the named types the function uses, for notes:
    /// `shape` → `variant { circle(circle), rectangle(rectangle) }`.
    pub definitions: Vec<(String, String)>,
    /// Its `///` doc comment, when the component carries docs.
    pub docs: Option<String>,
}

/// A resource with its functions, as WIT writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitResource {
    /// The instance it belongs to, or `None` at the root.
    pub instance: Option<String>,
    /// Its name.
    pub name: String,
    /// `resource counter { constructor(start: u32); ... }` over several
    /// lines, without a final newline.
    pub block: String,
}

/// WIT signatures of a component's functions, keyed by side, instance
/// name and function name (root functions have no instance), and its
/// resources.
#[derive(Clone, Debug, Default)]
pub struct WitFunctions {
    funcs: HashMap<(Side, Option<String>, String), WitFunc>,
    resources: Vec<(Side, WitResource)>,
}

impl WitFunctions {
    /// Decodes the component's WIT. `None` when it cannot be decoded (a
    /// hand-written component without type information, for example).
    pub fn decode(bytes: &[u8]) -> Option<WitFunctions> {
        let wit_component::DecodedWasm::Component(resolve, world) =
            wit_component::decode(bytes).ok()?
        else {
            return None;
        };
        let world = &resolve.worlds[world];
        let mut wit = WitFunctions::default();
        for (side, items) in [
            (Side::Exports, &world.exports),
            (Side::Imports, &world.imports),
        ] {
            for (key, item) in items {
                match item {
                    WorldItem::Function(f) => {
                        wit.funcs
                            .insert((side, None, f.name.clone()), describe(&resolve, f));
                    }
                    WorldItem::Interface { id, .. } => {
                        let instance = resolve.name_world_key(key);
                        wit.add_interface(&resolve, side, &instance, *id);
                    }
                    WorldItem::Type { .. } => {}
                }
            }
        }
        Some(wit)
    }

    fn add_interface(&mut self, resolve: &Resolve, side: Side, instance: &str, id: InterfaceId) {
        let iface = &resolve.interfaces[id];
        let mut resource_funcs: HashMap<TypeId, Vec<&Function>> = HashMap::new();
        for (name, f) in &iface.functions {
            self.funcs.insert(
                (side, Some(instance.to_string()), name.clone()),
                describe(resolve, f),
            );
            if let FunctionKind::Constructor(ty)
            | FunctionKind::Method(ty)
            | FunctionKind::Static(ty)
            | FunctionKind::AsyncMethod(ty)
            | FunctionKind::AsyncStatic(ty) = f.kind
            {
                resource_funcs.entry(ty).or_default().push(f);
            }
        }
        for (name, &ty) in &iface.types {
            if !matches!(resolve.types[ty].kind, TypeDefKind::Resource) {
                continue;
            }
            let mut printer = WitPrinter::default();
            printer.emit_docs(false);
            let printed = printer.print_types(
                resolve,
                TypeOwner::Interface(id),
                [(name.as_str(), ty)].into_iter(),
                &resource_funcs,
            );
            if printed.is_ok() {
                self.resources.push((
                    side,
                    WitResource {
                        instance: Some(instance.to_string()),
                        name: name.clone(),
                        block: printer.output.to_string().trim_end().to_string(),
                    },
                ));
            }
        }
    }

    /// The WIT view of a function.
    pub fn get(&self, side: Side, instance: Option<&str>, func: &str) -> Option<&WitFunc> {
        self.funcs
            .get(&(side, instance.map(str::to_string), func.to_string()))
    }

    /// The resources of one side, in declaration order.
    pub fn resources(&self, side: Side) -> impl Iterator<Item = &WitResource> {
        self.resources
            .iter()
            .filter(move |(s, _)| *s == side)
            .map(|(_, r)| r)
    }
}

fn describe(resolve: &Resolve, f: &Function) -> WitFunc {
    let params: Vec<(String, String)> = f
        .params
        .iter()
        .map(|p| (p.name.clone(), type_name(resolve, &p.ty)))
        .collect();
    let mut signature = String::from("func(");
    for (i, (name, ty)) in params.iter().enumerate() {
        if i > 0 {
            signature.push_str(", ");
        }
        signature.push_str(&format!("{}: {ty}", escape(name)));
    }
    signature.push(')');
    if let Some(result) = &f.result {
        signature.push_str(&format!(" -> {}", type_name(resolve, result)));
    }
    let mut definitions = Vec::new();
    let mut seen = Vec::new();
    for ty in f.params.iter().map(|p| &p.ty).chain(f.result.as_ref()) {
        collect_definitions(resolve, ty, &mut seen, &mut definitions);
    }
    WitFunc {
        signature,
        params,
        result: f.result.as_ref().map(|t| type_name(resolve, t)),
        definitions,
        docs: f.docs.contents.clone(),
    }
}

/// A type as WIT writes it: the name of a named type, else its structure.
pub fn type_name(resolve: &Resolve, ty: &Type) -> String {
    let mut printer = WitPrinter::default();
    match printer.print_type_name(resolve, ty) {
        Ok(()) => printer.output.to_string(),
        Err(_) => "?".to_string(),
    }
}

/// Words that are tokens of their own in WIT (wit-parser's lexer), so a
/// name that is one must be written with a `%`.
const KEYWORDS: &[&str] = &[
    "use",
    "type",
    "func",
    "u8",
    "u16",
    "u32",
    "u64",
    "s8",
    "s16",
    "s32",
    "s64",
    "f32",
    "f64",
    "float32",
    "float64",
    "char",
    "resource",
    "record",
    "flags",
    "variant",
    "enum",
    "bool",
    "string",
    "option",
    "result",
    "future",
    "stream",
    "list",
    "own",
    "borrow",
    "_",
    "as",
    "from",
    "static",
    "interface",
    "tuple",
    "world",
    "import",
    "export",
    "package",
    "with",
    "include",
    "constructor",
    "error-context",
    "async",
    "map",
];

/// Whether `name` is a WIT keyword.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// A name as WIT must write it: keywords take a `%`.
///
/// `WitPrinter` escapes the names it prints itself, but has no way to
/// print a parameter or case name alone.
fn escape(name: &str) -> String {
    if is_keyword(name) {
        format!("%{name}")
    } else {
        name.to_string()
    }
}

/// Follows `type a = b` aliases to the definition they name.
fn unalias(resolve: &Resolve, kind: &TypeDefKind) -> TypeDefKind {
    let mut kind = kind.clone();
    for _ in 0..32 {
        match kind {
            TypeDefKind::Type(Type::Id(id)) => kind = resolve.types[id].kind.clone(),
            _ => break,
        }
    }
    kind
}

/// The body of a named type's definition on one line, for notes:
/// `record { radius: f64 }`.
fn definition(resolve: &Resolve, kind: &TypeDefKind) -> String {
    let name = |t: &Type| type_name(resolve, t);
    let names = |items: Vec<String>| items.join(", ");
    match kind {
        TypeDefKind::Record(r) => format!(
            "record {{ {} }}",
            names(
                r.fields
                    .iter()
                    .map(|f| format!("{}: {}", escape(&f.name), name(&f.ty)))
                    .collect()
            )
        ),
        TypeDefKind::Variant(v) => format!(
            "variant {{ {} }}",
            names(
                v.cases
                    .iter()
                    .map(|c| match &c.ty {
                        Some(t) => format!("{}({})", escape(&c.name), name(t)),
                        None => escape(&c.name),
                    })
                    .collect()
            )
        ),
        TypeDefKind::Enum(e) => format!(
            "enum {{ {} }}",
            names(e.cases.iter().map(|c| escape(&c.name)).collect())
        ),
        TypeDefKind::Flags(f) => format!(
            "flags {{ {} }}",
            names(f.flags.iter().map(|c| escape(&c.name)).collect())
        ),
        TypeDefKind::Resource => "resource".into(),
        TypeDefKind::Unknown => "unknown".into(),
        TypeDefKind::Type(t) => name(t),
        // Lists, options, results, tuples, handles...: their structure.
        TypeDefKind::List(t) => format!("list<{}>", name(t)),
        TypeDefKind::FixedLengthList(t, n) => format!("list<{}, {n}>", name(t)),
        TypeDefKind::Map(k, v) => format!("map<{}, {}>", name(k), name(v)),
        TypeDefKind::Option(t) => format!("option<{}>", name(t)),
        TypeDefKind::Result(r) => match (&r.ok, &r.err) {
            (None, None) => "result".into(),
            (Some(ok), None) => format!("result<{}>", name(ok)),
            (None, Some(err)) => format!("result<_, {}>", name(err)),
            (Some(ok), Some(err)) => format!("result<{}, {}>", name(ok), name(err)),
        },
        TypeDefKind::Tuple(t) => format!("tuple<{}>", names(t.types.iter().map(name).collect())),
        TypeDefKind::Handle(wit_parser::Handle::Own(id)) => name(&Type::Id(*id)),
        TypeDefKind::Handle(wit_parser::Handle::Borrow(id)) => {
            format!("borrow<{}>", name(&Type::Id(*id)))
        }
        TypeDefKind::Future(t) => t
            .as_ref()
            .map_or("future".into(), |t| format!("future<{}>", name(t))),
        TypeDefKind::Stream(t) => t
            .as_ref()
            .map_or("stream".into(), |t| format!("stream<{}>", name(t))),
    }
}

fn collect_definitions(
    resolve: &Resolve,
    ty: &Type,
    seen: &mut Vec<TypeId>,
    out: &mut Vec<(String, String)>,
) {
    let Type::Id(id) = ty else { return };
    if seen.contains(id) {
        return;
    }
    seen.push(*id);
    let def = &resolve.types[*id];
    if let Some(name) = &def.name {
        // `use types.{shape}` makes an alias; show what it stands for.
        let body = definition(resolve, &unalias(resolve, &def.kind));
        if !out.iter().any(|(n, _)| n == name) {
            out.push((name.clone(), body));
        }
    }
    let mut inner: Vec<Type> = Vec::new();
    match &def.kind {
        TypeDefKind::Record(r) => inner.extend(r.fields.iter().map(|f| f.ty)),
        TypeDefKind::Variant(v) => inner.extend(v.cases.iter().filter_map(|c| c.ty)),
        TypeDefKind::Tuple(t) => inner.extend(t.types.iter().copied()),
        TypeDefKind::Option(t)
        | TypeDefKind::List(t)
        | TypeDefKind::FixedLengthList(t, _)
        | TypeDefKind::Type(t) => inner.push(*t),
        TypeDefKind::Result(r) => inner.extend(r.ok.iter().chain(r.err.iter()).copied()),
        TypeDefKind::Map(k, v) => inner.extend([*k, *v]),
        _ => {}
    }
    for t in &inner {
        collect_definitions(resolve, t, seen, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_names_are_written_with_a_percent() {
        // Names that are plain kebab-case in a component but keywords in
        // WIT text: `type`, `list`, `own`, `record`. (A world's named types
        // are imports.)
        let bytes = wat::parse_str(
            r#"(component
                (core module $m
                  (func (export "record") (param i32 i32) (result i32) local.get 0)
                  (func (export "plain") (param i32) (result i32) local.get 0))
                (core instance $i (instantiate $m))
                (type $t (record (field "list" u32)))
                (import "type" (type $type (eq $t)))
                (func $record (param "type" $type) (param "own" u32) (result $type)
                  (canon lift (core func $i "record")))
                (export "record" (func $record))
                (func $plain (param "count" u32) (result u32)
                  (canon lift (core func $i "plain")))
                (export "plain" (func $plain))
              )"#,
        )
        .expect("valid component");
        let wit = WitFunctions::decode(&bytes).expect("decodes");
        let record = wit.get(Side::Exports, None, "record").expect("record");
        assert_eq!(record.signature, "func(%type: %type, %own: u32) -> %type");
        assert_eq!(
            record.definitions,
            [("type".to_string(), "record { %list: u32 }".to_string())]
        );
        let plain = wit.get(Side::Exports, None, "plain").expect("plain");
        assert_eq!(plain.signature, "func(count: u32) -> u32");
    }
}
