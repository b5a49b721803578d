//! WIT names for a component's exports, decoded from the component itself
//! (wit-component), so that listings and diagnostics say `s: shape` rather
//! than the structural type.

use std::collections::HashMap;

use wit_parser::{Resolve, Type, TypeDefKind, TypeId, WorldItem};

/// The WIT view of one exported function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitFunc {
    /// `func(s: shape) -> f64`
    pub signature: String,
    /// Each parameter's name and WIT type name.
    pub params: Vec<(String, String)>,
    /// Definitions of the named types the function uses, for notes:
    /// `shape` → `variant { circle(circle), rectangle(rectangle) }`.
    pub definitions: Vec<(String, String)>,
}

/// WIT signatures of a component's exported functions, keyed by
/// (instance export name, function name); root functions have no instance.
#[derive(Clone, Debug, Default)]
pub struct WitExports {
    funcs: HashMap<(Option<String>, String), WitFunc>,
}

impl WitExports {
    /// Decodes the component's WIT. `None` when it cannot be decoded (a
    /// hand-written component without type information, for example).
    pub fn decode(bytes: &[u8]) -> Option<WitExports> {
        let wit_component::DecodedWasm::Component(resolve, world) =
            wit_component::decode(bytes).ok()?
        else {
            return None;
        };
        let resolve = &resolve;
        let world = &resolve.worlds[world];
        let mut funcs = HashMap::new();
        for (key, item) in &world.exports {
            match item {
                WorldItem::Function(f) => {
                    funcs.insert((None, f.name.clone()), describe(resolve, f));
                }
                WorldItem::Interface { id, .. } => {
                    let instance = resolve.name_world_key(key);
                    for (name, f) in &resolve.interfaces[*id].functions {
                        funcs.insert((Some(instance.clone()), name.clone()), describe(resolve, f));
                    }
                }
                WorldItem::Type { .. } => {}
            }
        }
        Some(WitExports { funcs })
    }

    /// The WIT view of a function.
    pub fn get(&self, instance: Option<&str>, func: &str) -> Option<&WitFunc> {
        self.funcs
            .get(&(instance.map(str::to_string), func.to_string()))
    }
}

fn describe(resolve: &Resolve, f: &wit_parser::Function) -> WitFunc {
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
        signature.push_str(&format!("{name}: {ty}"));
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
        definitions,
    }
}

/// A type as WIT writes it: the name of a named type, else its structure.
pub fn type_name(resolve: &Resolve, ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::U8 => "u8".into(),
        Type::U16 => "u16".into(),
        Type::U32 => "u32".into(),
        Type::U64 => "u64".into(),
        Type::S8 => "s8".into(),
        Type::S16 => "s16".into(),
        Type::S32 => "s32".into(),
        Type::S64 => "s64".into(),
        Type::F32 => "f32".into(),
        Type::F64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::ErrorContext => "error-context".into(),
        Type::Id(id) => {
            let def = &resolve.types[*id];
            match &def.name {
                Some(name) => name.clone(),
                None => anonymous(resolve, &def.kind),
            }
        }
    }
}

fn anonymous(resolve: &Resolve, kind: &TypeDefKind) -> String {
    let name = |t: &Type| type_name(resolve, t);
    match kind {
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
        TypeDefKind::Tuple(t) => format!(
            "tuple<{}>",
            t.types.iter().map(name).collect::<Vec<_>>().join(", ")
        ),
        TypeDefKind::Handle(wit_parser::Handle::Own(id)) => type_name(resolve, &Type::Id(*id)),
        TypeDefKind::Handle(wit_parser::Handle::Borrow(id)) => {
            format!("borrow<{}>", type_name(resolve, &Type::Id(*id)))
        }
        TypeDefKind::Future(t) => match t {
            Some(t) => format!("future<{}>", name(t)),
            None => "future".into(),
        },
        TypeDefKind::Stream(t) => match t {
            Some(t) => format!("stream<{}>", name(t)),
            None => "stream".into(),
        },
        TypeDefKind::Type(t) => name(t),
        other => definition(resolve, other),
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

/// The body of a named type's definition: `record { radius: f64 }`.
fn definition(resolve: &Resolve, kind: &TypeDefKind) -> String {
    let name = |t: &Type| type_name(resolve, t);
    match kind {
        TypeDefKind::Record(r) => format!(
            "record {{ {} }}",
            r.fields
                .iter()
                .map(|f| format!("{}: {}", f.name, name(&f.ty)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Variant(v) => format!(
            "variant {{ {} }}",
            v.cases
                .iter()
                .map(|c| match &c.ty {
                    Some(t) => format!("{}({})", c.name, name(t)),
                    None => c.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Enum(e) => format!(
            "enum {{ {} }}",
            e.cases
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Flags(f) => format!(
            "flags {{ {} }}",
            f.flags
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Resource => "resource".into(),
        TypeDefKind::Unknown => "unknown".into(),
        other => anonymous(resolve, other),
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
