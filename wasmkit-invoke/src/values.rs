//! Component values that may hold resource handles, which WAVE has no
//! syntax for: finding the handles in a value, writing a value as WAVE with
//! each handle as `<RES #N>`, and sample values for help texts.

use wasmtime::component::wasm_wave;
use wasmtime::component::{ResourceAny, ResourceType, Type, Val};

/// WAVE keywords, which a case name must escape with `%`.
const KEYWORDS: &[&str] = &["true", "false", "some", "none", "ok", "err", "inf", "nan"];

/// Whether a call can neither write nor read this type: futures, streams,
/// error contexts and fixed-length lists, anywhere inside it.
pub(crate) fn unsupported(ty: &Type) -> bool {
    match ty {
        Type::Future(_) | Type::Stream(_) | Type::ErrorContext | Type::FixedLengthList(_) => true,
        other => children(other).iter().any(unsupported),
    }
}

/// Whether a value of this type can hold a resource handle.
pub(crate) fn has_handle(ty: &Type) -> bool {
    match ty {
        Type::Own(_) | Type::Borrow(_) => true,
        other => children(other).iter().any(has_handle),
    }
}

/// The types directly inside a type.
fn children(ty: &Type) -> Vec<Type> {
    match ty {
        Type::List(l) => vec![l.ty()],
        Type::Map(m) => vec![m.key(), m.value()],
        Type::Record(r) => r.fields().map(|f| f.ty).collect(),
        Type::Tuple(t) => t.types().collect(),
        Type::Variant(v) => v.cases().filter_map(|c| c.ty).collect(),
        Type::Option(o) => vec![o.ty()],
        Type::Result(r) => r.ok().into_iter().chain(r.err()).collect(),
        _ => Vec::new(),
    }
}

/// One handle found in a value: where the value's type says it is owned
/// or borrowed, and of which resource type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FoundHandle {
    pub value: ResourceAny,
    pub ty: ResourceType,
    pub owned: bool,
}

/// Every handle in `val` (of type `ty`), in the order WAVE writes them.
pub(crate) fn handles(val: &Val, ty: &Type, out: &mut Vec<FoundHandle>) {
    match (val, ty) {
        (Val::Resource(r), Type::Own(t)) => out.push(FoundHandle {
            value: *r,
            ty: *t,
            owned: true,
        }),
        (Val::Resource(r), Type::Borrow(t)) => out.push(FoundHandle {
            value: *r,
            ty: *t,
            owned: false,
        }),
        (Val::List(items), Type::List(l)) => {
            let ty = l.ty();
            for v in items {
                handles(v, &ty, out);
            }
        }
        (Val::Record(fields), Type::Record(r)) => {
            for ((_, v), f) in fields.iter().zip(r.fields()) {
                handles(v, &f.ty, out);
            }
        }
        (Val::Tuple(items), Type::Tuple(t)) => {
            for (v, ty) in items.iter().zip(t.types()) {
                handles(v, &ty, out);
            }
        }
        (Val::Variant(case, Some(payload)), Type::Variant(v)) => {
            if let Some(ty) = v.cases().find(|c| c.name == case).and_then(|c| c.ty) {
                handles(payload, &ty, out);
            }
        }
        (Val::Option(Some(v)), Type::Option(o)) => handles(v, &o.ty(), out),
        (Val::Result(Ok(Some(v))), Type::Result(r)) => {
            if let Some(ty) = r.ok() {
                handles(v, &ty, out);
            }
        }
        (Val::Result(Err(Some(v))), Type::Result(r)) => {
            if let Some(ty) = r.err() {
                handles(v, &ty, out);
            }
        }
        _ => {}
    }
}

/// `val` as WAVE, each handle written by `handle` (`<counter #1>`). A
/// value without handles is written by WAVE itself, exactly as
/// `wasmtime run --invoke` writes it.
pub(crate) fn to_wave(val: &Val, ty: &Type, handle: &dyn Fn(&ResourceAny) -> String) -> String {
    let mut out = String::new();
    write(&mut out, val, ty, handle);
    out
}

fn write(out: &mut String, val: &Val, ty: &Type, handle: &dyn Fn(&ResourceAny) -> String) {
    if !has_handle(ty) {
        out.push_str(&wasm_wave::to_string(val).unwrap_or_else(|e| format!("<{e}>")));
        return;
    }
    let sequence = |out: &mut String, items: &mut dyn Iterator<Item = (&Val, Type)>| {
        for (i, (v, ty)) in items.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write(out, v, &ty, handle);
        }
    };
    let payload = |out: &mut String, name: &str, v: &Option<Box<Val>>, ty: Option<Type>| {
        out.push_str(name);
        if let (Some(v), Some(ty)) = (v, ty) {
            out.push('(');
            write(out, v, &ty, handle);
            out.push(')');
        }
    };
    match (val, ty) {
        (Val::Resource(r), _) => out.push_str(&handle(r)),
        (Val::List(items), Type::List(l)) => {
            let ty = l.ty();
            out.push('[');
            sequence(out, &mut items.iter().map(|v| (v, ty.clone())));
            out.push(']');
        }
        (Val::Tuple(items), Type::Tuple(t)) => {
            out.push('(');
            sequence(out, &mut items.iter().zip(t.types()));
            out.push(')');
        }
        (Val::Record(fields), Type::Record(r)) => {
            // As WAVE writes records: `none` fields are left out.
            let shown: Vec<_> = fields
                .iter()
                .zip(r.fields())
                .filter(|((_, v), _)| !matches!(v, Val::Option(None)))
                .collect();
            out.push('{');
            if shown.is_empty() {
                out.push(':');
            }
            for (i, ((name, v), f)) in shown.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                out.push_str(": ");
                write(out, v, &f.ty, handle);
            }
            out.push('}');
        }
        (Val::Variant(case, v), Type::Variant(t)) => {
            let ty = t.cases().find(|c| c.name == case).and_then(|c| c.ty);
            payload(out, &escape_case(case), v, ty);
        }
        (Val::Option(None), _) => out.push_str("none"),
        (Val::Option(Some(v)), Type::Option(o)) => {
            out.push_str("some(");
            write(out, v, &o.ty(), handle);
            out.push(')');
        }
        (Val::Result(Ok(v)), Type::Result(r)) => payload(out, "ok", v, r.ok()),
        (Val::Result(Err(v)), Type::Result(r)) => payload(out, "err", v, r.err()),
        (other, _) => {
            out.push_str(&wasm_wave::to_string(other).unwrap_or_else(|e| format!("<{e}>")));
        }
    }
}

/// A case name as WAVE writes it.
pub(crate) fn escape_case(name: &str) -> String {
    if KEYWORDS.contains(&name) {
        format!("%{name}")
    } else {
        name.to_string()
    }
}

/// Results as WAVE writes a call's results: none as `()`, one bare,
/// several as a tuple.
pub(crate) fn results_to_wave(
    vals: &[Val],
    types: &[Type],
    handle: &dyn Fn(&ResourceAny) -> String,
) -> String {
    match (vals, types) {
        ([], _) => "()".to_string(),
        ([v], [ty]) => to_wave(v, ty, handle),
        _ => {
            let parts: Vec<String> = vals
                .iter()
                .zip(types)
                .map(|(v, ty)| to_wave(v, ty, handle))
                .collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// A value of `ty` to show in a help text, e.g. for a `--mock` line to
/// add: the first case, zero, empty.
pub(crate) fn sample(ty: &Type) -> String {
    match ty {
        Type::Bool => "false".into(),
        Type::Char => "'a'".into(),
        Type::String => "\"\"".into(),
        Type::Float32 | Type::Float64 => "0.0".into(),
        Type::List(_) | Type::Map(_) => "[]".into(),
        Type::Record(r) => {
            let fields: Vec<String> = r
                .fields()
                .filter(|f| !matches!(f.ty, Type::Option(_)))
                .map(|f| format!("{}: {}", f.name, sample(&f.ty)))
                .collect();
            if fields.is_empty() {
                "{:}".into()
            } else {
                format!("{{{}}}", fields.join(", "))
            }
        }
        Type::Tuple(t) => format!(
            "({})",
            t.types().map(|t| sample(&t)).collect::<Vec<_>>().join(", ")
        ),
        Type::Variant(v) => match v.cases().next() {
            Some(c) => match c.ty {
                Some(ty) => format!("{}({})", escape_case(c.name), sample(&ty)),
                None => escape_case(c.name),
            },
            None => "()".into(),
        },
        Type::Enum(e) => e.names().next().map_or("()".into(), escape_case),
        Type::Option(_) => "none".into(),
        Type::Result(r) => match r.ok() {
            Some(ty) => format!("ok({})", sample(&ty)),
            None => "ok".into(),
        },
        Type::Flags(_) => "{}".into(),
        _ => "0".into(),
    }
}

/// The case names a value of `ty` can start with, for completion: enum
/// and variant cases, flag names, and `some`/`none`, `ok`/`err`,
/// `true`/`false`.
pub fn case_names(ty: &Type) -> Vec<String> {
    match ty {
        Type::Enum(e) => e.names().map(escape_case).collect(),
        Type::Variant(v) => v.cases().map(|c| escape_case(c.name)).collect(),
        Type::Flags(f) => f.names().map(escape_case).collect(),
        Type::Option(_) => vec!["some".into(), "none".into()],
        Type::Result(_) => vec!["ok".into(), "err".into()],
        Type::Bool => vec!["true".into(), "false".into()],
        _ => Vec::new(),
    }
}
