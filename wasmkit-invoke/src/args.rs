//! Arguments of component calls that use bound names: a name passed as a
//! whole argument of any type, or where a resource handle is expected
//! (also inside lists, records, options...). Everything else is WAVE's.

use std::ops::Range;

use wasmkit_core::suggest::did_you_mean;
use wasmkit_core::{Diagnostic, codes};
use wasmtime::component::wasm_wave::ast::{Node, NodeType};
use wasmtime::component::wasm_wave::parser::ParserError;
use wasmtime::component::{ResourceType, Type, Val};

use crate::bindings::{Binding, Bindings, HandleState, HandleTable};
use crate::call::{CallSource, SignatureView};
use crate::values::{self, has_handle};

/// Why an argument could not be converted.
pub(crate) enum ArgError {
    /// A WAVE value that does not fit its type (reported with the
    /// signature by the caller).
    Wave(ParserError),
    /// Anything else, already a diagnostic.
    Diagnostic(Diagnostic),
}

/// The names a call may use, and what its arguments do with handles.
pub(crate) struct Scope<'a> {
    pub src: &'a CallSource,
    /// Whether each parameter's type can hold a handle.
    pub param_handles: &'a [bool],
    pub bindings: &'a Bindings,
    pub handles: &'a HandleTable,
    /// `counter` for a resource type.
    pub resource_name: &'a dyn Fn(&ResourceType) -> String,
    /// Handles passed to `own` parameters (indices into the table).
    pub moved: Vec<usize>,
    /// Handles passed to `borrow` parameters.
    pub lent: Vec<usize>,
}

impl<'a> Scope<'a> {
    /// Converts argument `index` (of type `ty`), or `None` when it is
    /// plain WAVE.
    pub(crate) fn argument(
        &mut self,
        node: &Node,
        ty: &Type,
        index: usize,
        view: &dyn Fn() -> SignatureView,
    ) -> Option<Result<Val, ArgError>> {
        let handles = self.param_handles.get(index).copied().unwrap_or(true);
        if !handles && node.ty() != NodeType::Label {
            return None;
        }
        if let Some(name) = self.bare_name(node) {
            if let Some(binding) = self.bindings.get(name) {
                return Some(self.whole(node, name, binding, ty, index, view));
            }
            if matches!(ty, Type::Own(_) | Type::Borrow(_)) {
                return Some(Err(ArgError::Diagnostic(self.unknown(node.span(), name))));
            }
        }
        if !handles {
            return None;
        }
        Some(self.nested(node, ty))
    }

    /// The name a node spells, if it is a plain label (`%name` is always
    /// a case, never a bound name).
    fn bare_name(&self, node: &Node) -> Option<&'a str> {
        let src: &'a CallSource = self.src;
        let text = src.text().get(node.span())?;
        (node.ty() == NodeType::Label && !text.starts_with('%')).then_some(text)
    }

    /// A bound name as a whole argument: its value, if its type fits.
    fn whole(
        &mut self,
        node: &Node,
        name: &str,
        binding: &Binding,
        ty: &Type,
        index: usize,
        view: &dyn Fn() -> SignatureView,
    ) -> Result<Val, ArgError> {
        let span = node.span();
        if values::case_names(ty).iter().any(|c| c == name) {
            return Err(ArgError::Diagnostic(
                Diagnostic::error(
                    codes::WAVE_TYPE,
                    format!("`{name}` is both a bound name and a case of the parameter's type"),
                )
                .with_label(self.src.label(span, "ambiguous"))
                .with_help(format!(
                    "write `%{name}` for the case, or bind the value under another name"
                )),
            ));
        }
        self.check_live(span.clone(), name, binding)?;
        let lend = match (&binding.ty, ty) {
            (a, b) if a == b => false,
            (Type::Own(a), Type::Borrow(b)) if a == b => true,
            _ => {
                let view = view();
                let param = view.params.get(index);
                let param = param.map_or_else(String::new, |p| {
                    if p.name.is_empty() {
                        format!(" `{}`", p.type_name)
                    } else {
                        format!(" `{}: {}`", p.name, p.type_name)
                    }
                });
                return Err(ArgError::Diagnostic(
                    Diagnostic::error(
                        codes::WAVE_TYPE,
                        format!(
                            "argument {} of `{}` does not match parameter{param}",
                            index + 1,
                            view.name
                        ),
                    )
                    .with_label(
                        self.src
                            .label(span, format!("`{name}` is a `{}`", binding.type_name)),
                    )
                    .with_note(format!("the signature is `{}`", view.signature)),
                ));
            }
        };
        let mut found = Vec::new();
        values::handles(&binding.value, ty, &mut found);
        for (handle, &h) in found.iter().zip(&binding.handles) {
            self.record(span.clone(), name, h, handle.owned && !lend)?;
        }
        Ok(binding.value.clone())
    }

    /// A value whose type holds handles, written in WAVE with bound names
    /// where the handles go.
    fn nested(&mut self, node: &Node, ty: &Type) -> Result<Val, ArgError> {
        let text = self.src.text();
        let wave = |e: ParserError| ArgError::Wave(e);
        Ok(match ty {
            Type::Own(res) | Type::Borrow(res) => {
                let owned = matches!(ty, Type::Own(_));
                return self.handle(node, res, owned);
            }
            Type::List(l) => {
                let ty = l.ty();
                let items = node.as_list().map_err(wave)?;
                Val::List(
                    items
                        .map(|n| self.element(n, &ty))
                        .collect::<Result<_, _>>()?,
                )
            }
            Type::Tuple(t) => {
                let items: Vec<&Node> = node.as_tuple().map_err(wave)?.collect();
                let types: Vec<Type> = t.types().collect();
                if items.len() != types.len() {
                    return Err(self.mismatch(
                        node.span(),
                        format!("expected a tuple of {} values", types.len()),
                    ));
                }
                Val::Tuple(
                    items
                        .into_iter()
                        .zip(&types)
                        .map(|(n, ty)| self.element(n, ty))
                        .collect::<Result<_, _>>()?,
                )
            }
            Type::Record(r) => {
                let given: Vec<(&str, &Node)> = node.as_record(text).map_err(wave)?.collect();
                if let Some((unknown, n)) = given
                    .iter()
                    .find(|(name, _)| !r.fields().any(|f| f.name == *name))
                {
                    return Err(self.mismatch(n.span(), format!("no field `{unknown}` here")));
                }
                let mut fields = Vec::new();
                for f in r.fields() {
                    let value = match given.iter().find(|(name, _)| *name == f.name) {
                        Some((_, n)) => self.element(n, &f.ty)?,
                        None if matches!(f.ty, Type::Option(_)) => Val::Option(None),
                        None => {
                            return Err(
                                self.mismatch(node.span(), format!("missing field `{}`", f.name))
                            );
                        }
                    };
                    fields.push((f.name.to_string(), value));
                }
                Val::Record(fields)
            }
            Type::Variant(v) => {
                let (label, payload) = node.as_variant(text).map_err(wave)?;
                let Some(case) = v.cases().find(|c| c.name == label) else {
                    return Err(self.mismatch(node.span(), format!("no case `{label}` here")));
                };
                let payload = match (case.ty, payload) {
                    (Some(ty), Some(n)) => Some(Box::new(self.element(n, &ty)?)),
                    (None, None) => None,
                    (Some(_), None) => {
                        return Err(self.mismatch(node.span(), format!("`{label}` takes a value")));
                    }
                    (None, Some(n)) => {
                        return Err(self.mismatch(n.span(), format!("`{label}` takes no value")));
                    }
                };
                Val::Variant(case.name.to_string(), payload)
            }
            Type::Option(o) => match node.as_option() {
                Ok(Some(n)) => Val::Option(Some(Box::new(self.element(n, &o.ty())?))),
                Ok(None) => Val::Option(None),
                // `some` left out, as WAVE allows.
                Err(_) => Val::Option(Some(Box::new(self.element(node, &o.ty())?))),
            },
            Type::Result(r) => {
                let (ok, payload) = match node.as_result() {
                    Ok(Ok(p)) => (true, p),
                    Ok(Err(p)) => (false, p),
                    // `ok` left out, as WAVE allows.
                    Err(_) => (true, Some(node)),
                };
                let ty = if ok { r.ok() } else { r.err() };
                let payload = match (ty, payload) {
                    (Some(ty), Some(n)) => Some(Box::new(self.element(n, &ty)?)),
                    (None, None) => None,
                    _ => return Err(self.mismatch(node.span(), "the payload does not fit".into())),
                };
                Val::Result(if ok { Ok(payload) } else { Err(payload) })
            }
            _ => node.to_wasm_value(ty, text).map_err(wave)?,
        })
    }

    fn element(&mut self, node: &Node, ty: &Type) -> Result<Val, ArgError> {
        if has_handle(ty) {
            self.nested(node, ty)
        } else {
            node.to_wasm_value(ty, self.src.text())
                .map_err(ArgError::Wave)
        }
    }

    /// A bound name where a handle of `res` goes.
    fn handle(&mut self, node: &Node, res: &ResourceType, owned: bool) -> Result<Val, ArgError> {
        let span = node.span();
        let expected = (self.resource_name)(res);
        let Some(name) = self.bare_name(node) else {
            return Err(self.mismatch(
                span,
                format!("expected a bound name holding a `{expected}` handle"),
            ));
        };
        let Some(binding) = self.bindings.get(name) else {
            return Err(ArgError::Diagnostic(self.unknown(span, name)));
        };
        self.check_live(span.clone(), name, binding)?;
        let handle = match (&binding.value, binding.handles.as_slice()) {
            (Val::Resource(_), [h]) => *h,
            _ => {
                return Err(self.mismatch(
                    span,
                    format!("`{name}` is a `{}`, not a handle", binding.type_name),
                ));
            }
        };
        let entry = self.handles.get(handle);
        if entry.ty != *res {
            return Err(self.mismatch(
                span,
                format!(
                    "`{name}` is a `{}` handle, not a `{expected}`",
                    entry.resource
                ),
            ));
        }
        self.record(span, name, handle, owned)?;
        Ok(Val::Resource(entry.value))
    }

    /// Notes that a handle is moved or lent by this call; a handle can be
    /// moved only once, and not lent in the same call.
    fn record(
        &mut self,
        span: Range<usize>,
        name: &str,
        handle: usize,
        owned: bool,
    ) -> Result<(), ArgError> {
        let twice = self.moved.contains(&handle) || (owned && self.lent.contains(&handle));
        if twice {
            return Err(ArgError::Diagnostic(
                Diagnostic::error(
                    codes::HANDLE_GONE,
                    format!("`{name}` is moved by this call, so it cannot be used twice in it"),
                )
                .with_label(self.src.label(span, "used again"))
                .with_help("an `own` parameter takes the handle over; pass another handle"),
            ));
        }
        if owned {
            self.moved.push(handle);
        } else {
            self.lent.push(handle);
        }
        Ok(())
    }

    fn check_live(
        &self,
        span: Range<usize>,
        name: &str,
        binding: &Binding,
    ) -> Result<(), ArgError> {
        match gone(self.handles, binding) {
            None => Ok(()),
            Some(state) => Err(ArgError::Diagnostic(gone_error(
                self.src, span, name, state,
            ))),
        }
    }

    fn mismatch(&self, span: Range<usize>, message: String) -> ArgError {
        ArgError::Diagnostic(
            Diagnostic::error(codes::WAVE_TYPE, "an argument does not fit its parameter")
                .with_label(self.src.label(span, message)),
        )
    }

    /// The diagnostic for a name nothing bound.
    pub(crate) fn unknown(&self, span: Range<usize>, name: &str) -> Diagnostic {
        unknown_name(self.src, span, name, self.bindings)
    }
}

/// What became of the first handle of a binding that the session no
/// longer holds.
pub(crate) fn gone<'t>(handles: &'t HandleTable, binding: &Binding) -> Option<&'t HandleState> {
    binding
        .handles
        .iter()
        .map(|&h| &handles.get(h).state)
        .find(|s| **s != HandleState::Live)
}

/// `c` was moved or dropped: a caret under the name, and the call that
/// did it.
pub(crate) fn gone_error(
    src: &CallSource,
    span: Range<usize>,
    name: &str,
    state: &HandleState,
) -> Diagnostic {
    match state {
        HandleState::Moved { by } => Diagnostic::error(
            codes::HANDLE_GONE,
            format!("`{name}` was moved into `{by}`"),
        )
        .with_label(src.label(span, "moved"))
        .with_help("a handle passed to an `own` parameter belongs to the guest from then on"),
        HandleState::Dropped { by } => Diagnostic::error(
            codes::HANDLE_GONE,
            format!("`{name}` was dropped by `{by}`"),
        )
        .with_label(src.label(span, "dropped")),
        HandleState::Live => Diagnostic::error(codes::HANDLE_GONE, format!("`{name}` is live"))
            .with_label(src.label(span, "live")),
    }
}

/// A name no `let` bound.
pub(crate) fn unknown_name(
    src: &CallSource,
    span: Range<usize>,
    name: &str,
    bindings: &Bindings,
) -> Diagnostic {
    let mut d = Diagnostic::error(codes::UNKNOWN_NAME, format!("no name `{name}` is bound"))
        .with_label(src.label(span, "not bound"));
    if let Some(s) = did_you_mean(name, bindings.iter().map(|(n, _)| n)) {
        d = d.with_help(format!("did you mean `{s}`?"));
    }
    if !bindings.is_empty() {
        let names: Vec<String> = bindings.iter().map(|(n, _)| format!("`{n}`")).collect();
        d = d.with_note(format!("bound names: {}", names.join(", ")));
    }
    d.with_help(format!("bind it first: `let {name} = ...`"))
}
