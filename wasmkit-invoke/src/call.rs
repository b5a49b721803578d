//! Parsing a WAVE call and checking its arguments against a signature,
//! with diagnostics that point into the call.

use std::ops::Range;
use std::sync::Arc;

use wasmkit_core::{Diagnostic, Label, SourceFile, codes};

use crate::args::ArgError;
use wasmtime::component::wasm_wave::ast::Node;
use wasmtime::component::wasm_wave::parser::{ParserError, ParserErrorKind};
use wasmtime::component::wasm_wave::untyped::UntypedFuncCall;
use wasmtime::component::wasm_wave::wasm::{DisplayType, WasmType, WasmTypeKind, WasmValue};

/// Where a call's text is: a command-line argument or a line of a
/// `--calls-from` file, so that carets land in the right place.
#[derive(Clone, Debug)]
pub struct CallSource {
    /// The text the call is part of.
    pub file: Arc<SourceFile>,
    /// The call's bytes within it.
    pub span: Range<usize>,
}

impl CallSource {
    /// A call given on the command line.
    pub fn argument(text: &str) -> CallSource {
        CallSource {
            file: SourceFile::new("<call>", text),
            span: 0..text.len(),
        }
    }

    /// A call that is part of a larger text (a line of a file).
    pub fn within(file: &Arc<SourceFile>, span: Range<usize>) -> CallSource {
        CallSource {
            file: Arc::clone(file),
            span,
        }
    }

    /// The call's text.
    pub fn text(&self) -> &str {
        &self.file.text[self.span.clone()]
    }

    /// A label at `range` (relative to the call's text).
    pub fn label(&self, range: Range<usize>, message: impl Into<String>) -> Label {
        let start = self.span.start + range.start.min(self.span.len());
        let end = self.span.start + range.end.min(self.span.len());
        Label::primary(&self.file, start..end.max(start), message)
    }

    /// A secondary (context) label at `range`.
    pub fn context_label(&self, range: Range<usize>, message: impl Into<String>) -> Label {
        Label {
            primary: false,
            ..self.label(range, message)
        }
    }
}

/// Parses the call's syntax. The WIT spelling `ns:pkg/iface@1.0#func` is
/// rewritten to WAVE's `ns:pkg/iface.func@1.0` first; both have the same
/// length, so every span still points into the text as written.
pub(crate) fn parse(src: &CallSource) -> Result<UntypedFuncCall<'_>, Diagnostic> {
    let text = src.text();
    let name_end = text.find('(').unwrap_or(text.len());
    if let Some(hash) = text[..name_end].find('#') {
        let (instance, func) = (&text[..hash], &text[hash + 1..name_end]);
        let name = match instance.split_once('@') {
            Some((path, version)) => format!("{path}.{func}@{version}"),
            None => format!("{instance}.{func}"),
        };
        let rewritten = format!("{name}{}", &text[name_end..]);
        return UntypedFuncCall::parse(&rewritten)
            .map(UntypedFuncCall::into_owned)
            .map_err(|e| syntax_error(src, &e));
    }
    UntypedFuncCall::parse(text).map_err(|e| syntax_error(src, &e))
}

pub(crate) fn syntax_error(src: &CallSource, e: &ParserError) -> Diagnostic {
    let text = src.text();
    let span = e.span();
    let mut d = Diagnostic::error(codes::WAVE_SYNTAX, "invalid call syntax")
        .with_label(src.label(span.clone(), reason(e)));
    if !text.contains('(') {
        d = d.with_help(format!("add parentheses to call it: `{}()`", text.trim()));
    } else {
        d = d.with_help(
            "a call is `name(arg, ...)` with WAVE values, e.g. `area(circle({radius: 1.0}))`",
        );
    }
    if matches!(e.kind(), ParserErrorKind::UnexpectedEnd) && text.matches('"').count() % 2 == 1 {
        d = d.with_note("a string is not closed (is the shell eating your quotes? wrap the call in single quotes)");
    }
    d
}

/// The reason a WAVE error gives, without the byte range it appends.
pub(crate) fn reason(e: &ParserError) -> String {
    match (std::error::Error::source(e), e.detail()) {
        (Some(source), _) => source.to_string(),
        (None, Some(detail)) => format!("{}: {detail}", e.kind()),
        (None, None) => e.kind().to_string(),
    }
}

/// A parameter as diagnostics show it.
#[derive(Clone, Debug)]
pub(crate) struct ParamView {
    /// Its name (empty for core-module parameters).
    pub name: String,
    /// Its type as WIT writes it.
    pub type_name: String,
}

/// A function signature as diagnostics show it.
#[derive(Clone, Debug)]
pub(crate) struct SignatureView {
    /// How the user named the function.
    pub name: String,
    /// `area: func(s: shape) -> f64`
    pub signature: String,
    /// Parameters.
    pub params: Vec<ParamView>,
    /// `shape` is `variant { ... }`, for notes.
    pub definitions: Vec<(String, String)>,
}

/// Converts an argument itself (from a bound name, say), or returns `None`
/// to leave it to WAVE: (node, parameter type, parameter index, view).
pub(crate) type ArgumentHook<'h, V> = dyn FnMut(
        &Node,
        &<V as WasmValue>::Type,
        usize,
        &dyn Fn() -> SignatureView,
    ) -> Option<Result<V, ArgError>>
    + 'h;

/// Checks the call's arguments against `types` and converts them, asking
/// `hook` first for each.
pub(crate) fn arguments<V: WasmValue>(
    src: &CallSource,
    call: &UntypedFuncCall<'_>,
    types: &[V::Type],
    view: &dyn Fn() -> SignatureView,
    hook: &mut ArgumentHook<'_, V>,
) -> Result<Vec<V>, Diagnostic> {
    let text = src.text();
    let nodes: Vec<_> = match call.params_node() {
        Some(node) => node
            .as_tuple()
            .map_err(|e| syntax_error(src, &e))?
            .collect(),
        None => Vec::new(),
    };
    if nodes.len() > types.len() {
        let view = view();
        let extra = nodes[types.len()].span().start..nodes[nodes.len() - 1].span().end;
        return Err(Diagnostic::error(
            codes::ARGUMENT_COUNT,
            format!(
                "too many arguments: `{}` takes {} but {} were given",
                view.name,
                plural(types.len(), "argument"),
                nodes.len()
            ),
        )
        .with_label(src.label(extra, "unexpected argument"))
        .with_note(format!("the signature is `{}`", view.signature)));
    }
    let mut values = Vec::with_capacity(types.len());
    for (i, (node, ty)) in nodes.iter().zip(types).enumerate() {
        let converted = hook(node, ty, i, view)
            .unwrap_or_else(|| node.to_wasm_value::<V>(ty, text).map_err(ArgError::Wave));
        match converted {
            Ok(v) => values.push(v),
            Err(ArgError::Diagnostic(d)) => return Err(d),
            Err(ArgError::Wave(e)) => {
                let expected =
                    expected_at(node, ty, text, &e.span()).map(|t| DisplayType(&t).to_string());
                return Err(type_error(src, &e, node.span(), i, &view(), expected));
            }
        }
    }
    for (i, ty) in types.iter().enumerate().skip(nodes.len()) {
        if ty.kind() == WasmTypeKind::Option
            && let Ok(none) = V::make_option(ty, None)
        {
            values.push(none);
            continue;
        }
        let view = view();
        let param = &view.params[i.min(view.params.len().saturating_sub(1))];
        let at = text.rfind(')').unwrap_or(text.len());
        return Err(Diagnostic::error(
            codes::ARGUMENT_COUNT,
            format!(
                "missing argument for parameter {}: `{}` takes {} but {} were given",
                describe_param(param),
                view.name,
                plural(types.len(), "argument"),
                nodes.len()
            ),
        )
        .with_label(src.label(
            at..at + 1,
            format!("expected {} here", describe_param(param)),
        ))
        .with_note(format!("the signature is `{}`", view.signature)));
    }
    Ok(values)
}

fn describe_param(p: &ParamView) -> String {
    if p.name.is_empty() {
        format!("`{}`", p.type_name)
    } else {
        format!("`{}: {}`", p.name, p.type_name)
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn type_error(
    src: &CallSource,
    e: &ParserError,
    arg_span: Range<usize>,
    index: usize,
    view: &SignatureView,
    expected_here: Option<String>,
) -> Diagnostic {
    let text = src.text();
    let span = e.span();
    let found = text.get(span.clone()).unwrap_or_default();
    let found = if found.chars().count() > 40 {
        format!("{}…", found.chars().take(40).collect::<String>())
    } else {
        found.to_string()
    };
    let param = view.params.get(index).cloned().unwrap_or(ParamView {
        name: String::new(),
        type_name: "?".into(),
    });
    let generic = matches!(
        e.kind(),
        ParserErrorKind::InvalidType | ParserErrorKind::InvalidValue
    );
    let label = match (span == arg_span, expected_here) {
        (true, _) if generic => format!("expected `{}`, found `{found}`", param.type_name),
        (false, Some(t)) if generic => format!("expected `{t}`, found `{found}`"),
        (true, _) => format!("{}; expected `{}`", reason(e), param.type_name),
        (false, Some(t)) => format!("{}; expected `{t}`", reason(e)),
        (false, None) => format!("{}: found `{found}`", reason(e)),
    };
    let mut d = Diagnostic::error(
        codes::WAVE_TYPE,
        format!(
            "argument {} of `{}` does not match parameter {}",
            index + 1,
            view.name,
            describe_param(&param)
        ),
    )
    .with_label(src.label(span, label));
    if let Some((name, def)) = view
        .definitions
        .iter()
        .find(|(name, _)| *name == param.type_name)
    {
        d = d.with_note(format!("`{name}` is `{def}`"));
    }
    d.with_note(format!("the signature is `{}`", view.signature))
}

/// The type expected at `span` inside an argument `node` of type `ty`, found
/// by walking the value and the type together.
fn expected_at<T: WasmType>(node: &Node, ty: &T, src: &str, span: &Range<usize>) -> Option<T> {
    let here = node.span();
    if here == *span {
        return Some(ty.clone());
    }
    if !(here.start <= span.start && span.end <= here.end) {
        return None;
    }
    let inside = |n: &Node| n.span().start <= span.start && span.end <= n.span().end;
    match ty.kind() {
        WasmTypeKind::List => {
            let element = ty.list_element_type()?;
            let child = node.as_list().ok()?.find(|n| inside(n))?;
            expected_at(child, &element, src, span)
        }
        WasmTypeKind::Tuple => node
            .as_tuple()
            .ok()?
            .zip(ty.tuple_element_types())
            .find(|(n, _)| inside(n))
            .and_then(|(n, t)| expected_at(n, &t, src, span)),
        WasmTypeKind::Record => {
            let (name, child) = node.as_record(src).ok()?.find(|(_, n)| inside(n))?;
            let field = ty.record_fields().find(|(f, _)| f.as_ref() == name)?.1;
            expected_at(child, &field, src, span)
        }
        WasmTypeKind::Variant => {
            let (label, payload) = node.as_variant(src).ok()?;
            let case = ty.variant_cases().find(|(c, _)| c.as_ref() == label)?.1?;
            expected_at(payload?, &case, src, span)
        }
        WasmTypeKind::Option => {
            let some = ty.option_some_type()?;
            match node.as_option() {
                Ok(payload) => expected_at(payload?, &some, src, span),
                // `some` written without `some(...)`.
                Err(_) => expected_at(node, &some, src, span),
            }
        }
        WasmTypeKind::Result => {
            let (ok, err) = ty.result_types()?;
            match node.as_result() {
                Ok(Ok(payload)) => expected_at(payload?, &ok?, src, span),
                Ok(Err(payload)) => expected_at(payload?, &err?, src, span),
                Err(_) => expected_at(node, &ok?, src, span),
            }
        }
        _ => None,
    }
}
