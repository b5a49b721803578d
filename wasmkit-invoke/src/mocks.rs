//! Mocks for imports: `--mock 'NAME=VALUE'`, `--mocks FILE` (one a line,
//! `//` comments), `VERIFY_MOCKS`, or a name and a value given apart. NAME is an imported function in any
//! spelling a call accepts for an export; VALUE is the WAVE value of its
//! result (`()` or nothing when it has none), checked against the import's
//! type before anything runs.

use std::path::Path;

use wasmkit_core::{Diagnostic, SourceFile, codes, display_path};
use wasmtime::component::Val;
use wasmtime::component::wasm_wave::untyped::UntypedValue;

use crate::call::{self, CallSource, ParamView, SignatureView};
use crate::imports::{ComponentImports, ImportCall, ImportedFunc};
use crate::names::{self, Named, Side};
use crate::values;

/// A mock: the import it names and the value it returns, each where the
/// user wrote it, so that diagnostics point there (`NAME=VALUE` on the
/// command line, a line of a file, or a key and a value of a table).
#[derive(Clone, Debug)]
pub struct Mock {
    /// The import, in any spelling (`store.get`).
    pub name: CallSource,
    /// The WAVE value it returns; empty for none.
    pub value: CallSource,
}

impl Mock {
    /// A mock from a name and a value written apart (a scenario table).
    pub fn new(name: CallSource, value: CallSource) -> Mock {
        Mock { name, value }
    }

    /// Splits `NAME=VALUE`.
    pub fn parse(spec: &CallSource) -> Result<Mock, Diagnostic> {
        let text = spec.text();
        let Some(eq) = text.find('=') else {
            return Err(Diagnostic::error(
                codes::INVALID_MOCK,
                format!("invalid mock `{text}`: expected NAME=VALUE"),
            )
            .with_label(spec.label(0..text.len(), "no `=`"))
            .with_help("write the import and the value it returns, e.g. 'store.get=some(\"v\")'"));
        };
        let part = |range: std::ops::Range<usize>| {
            let raw = &text[range.clone()];
            let start = range.start + (raw.len() - raw.trim_start().len());
            let end = start + raw.trim().len();
            CallSource::within(&spec.file, spec.span.start + start..spec.span.start + end)
        };
        Ok(Mock {
            name: part(0..eq),
            value: part(eq + 1..text.len()),
        })
    }
}

/// A `--mock NAME=VALUE` given on the command line.
pub fn from_argument(text: &str) -> Result<Mock, Diagnostic> {
    Mock::parse(&CallSource {
        file: SourceFile::new("<mock>", text),
        span: 0..text.len(),
    })
}

/// The mocks of a `--mocks` file: one `NAME=VALUE` a line; blank lines and
/// `//` comments are skipped.
pub fn read_file(path: &Path) -> Result<Vec<Mock>, Diagnostic> {
    let shown = display_path(path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::read_failed(Path::new(&shown), &e))?;
    let file = SourceFile::new(&shown, text);
    let mut mocks = Vec::new();
    let mut start = 0;
    for line in file.text.split_inclusive('\n') {
        let end = start + line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim();
        if !trimmed.is_empty() && !trimmed.starts_with("//") {
            let lead = content.len() - content.trim_start().len();
            mocks.push(Mock::parse(&CallSource::within(
                &file,
                start + lead..start + lead + trimmed.len(),
            ))?);
        }
        start = end;
    }
    Ok(mocks)
}

/// Checks a mock against the imports: the function it names and its
/// results as values of the function's result types.
pub(crate) fn check(
    mock: &Mock,
    funcs: &[ImportedFunc],
    signature: &dyn Fn(&ImportedFunc) -> String,
) -> Result<(usize, Vec<Val>), Diagnostic> {
    let name = mock.name.text();
    let name_span = 0..name.len();
    let index = names::resolve(funcs, name).map_err(|why| {
        names::resolution_error(
            funcs,
            Side::Imports,
            &mock.name,
            name_span.clone(),
            name,
            why,
        )
    })?;
    let f = &funcs[index];
    let types: Vec<_> = f.ty.results().collect();
    let full = format!("{}: {}", f.full_name(), signature(f));
    if types.iter().any(values::has_handle) {
        return Err(Diagnostic::error(
            codes::INVALID_MOCK,
            format!("`{name}` cannot be mocked: its result holds a resource handle"),
        )
        .with_label(mock.name.label(name_span, "returns a handle"))
        .with_note(format!("its signature is `{full}`"))
        .with_note("a handle stands for a resource the host made; no value can stand in for it")
        .with_help("leave it unmocked: a call that reaches it fails, naming it"));
    }
    let value = mock.value.text();
    let mismatch = |span: std::ops::Range<usize>, label: String| {
        Diagnostic::error(
            codes::INVALID_MOCK,
            format!("the mock of `{name}` does not fit its result"),
        )
        .with_label(mock.value.label(span, label))
        .with_note(format!("its signature is `{full}`"))
    };
    let wave_error = |e: wasmtime::component::wasm_wave::parser::ParserError| {
        mismatch(e.span(), call::reason(&e))
    };
    let values = match types.as_slice() {
        [] => {
            if !(value.is_empty() || value == "()") {
                return Err(mismatch(
                    0..value.len(),
                    "it returns nothing: write `()` or leave the value out".into(),
                ));
            }
            Vec::new()
        }
        [ty] => {
            let parsed = UntypedValue::parse(value).and_then(|v| v.to_wasm_value::<Val>(ty));
            match parsed {
                Ok(v) => vec![v],
                Err(e) if value.is_empty() => {
                    return Err(mismatch(
                        0..0,
                        format!(
                            "expected a value, e.g. `{}`: {}",
                            values::sample(ty),
                            call::reason(&e)
                        ),
                    ));
                }
                Err(e) => return Err(wave_error(e)),
            }
        }
        many => {
            // Several results (not in WIT today, but in the component
            // model's function types): a tuple.
            let parsed = UntypedValue::parse(value).map_err(wave_error)?;
            let nodes: Vec<_> = parsed.node().as_tuple().map_err(wave_error)?.collect();
            if nodes.len() != many.len() {
                return Err(mismatch(
                    0..value.len(),
                    format!("expected a tuple of {} values", many.len()),
                ));
            }
            nodes
                .iter()
                .zip(many)
                .map(|(n, ty)| n.to_wasm_value::<Val>(ty, value).map_err(wave_error))
                .collect::<Result<_, _>>()?
        }
    };
    Ok((index, values))
}

/// `--mock 'store.get=none'`: the line that would mock `f`, with a value
/// of the right type.
pub(crate) fn suggestion(funcs: &[ImportedFunc], f: &ImportedFunc) -> String {
    let short = f.short_name();
    let name = if names::resolve(funcs, &short).is_ok() {
        short
    } else {
        f.full_name()
    };
    let value = match f.ty.results().next() {
        Some(ty) => values::sample(&ty),
        None => "()".to_string(),
    };
    format!(
        "--mock {}",
        wasmkit_core::shell_quote(&format!("{name}={value}"))
    )
}

/// Whether a recorded import call is the one `expected` writes, e.g.
/// `store.get("k")`: the same import (in any spelling) with the same
/// arguments, compared as values. For a scenario's `imports = [...]`.
pub fn import_call_matches(
    imports: &ComponentImports,
    call: &ImportCall,
    expected: &CallSource,
) -> Result<bool, Diagnostic> {
    let line = crate::line::parse(expected)?;
    let funcs = imports.funcs();
    let index = names::resolve(funcs, &line.callee).map_err(|why| {
        names::resolution_error(
            funcs,
            Side::Imports,
            &line.src,
            line.callee_span.clone(),
            &line.callee,
            why,
        )
    })?;
    if index != call.index {
        return Ok(false);
    }
    let f = &funcs[index];
    let types: Vec<_> = f.ty.params().map(|(_, t)| t).collect();
    let view = || SignatureView {
        name: line.callee.clone(),
        signature: format!(
            "{}: {}",
            f.full_name(),
            crate::exports::structural_signature(&f.ty)
        ),
        params: f
            .ty
            .params()
            .map(|(name, ty)| ParamView {
                name: name.to_string(),
                type_name: crate::exports::type_name(&ty),
            })
            .collect(),
        definitions: Vec::new(),
    };
    let args =
        call::arguments::<Val>(&line.src, &line.call, &types, &view, &mut |_, _, _, _| None)?;
    let written: Vec<String> = args
        .iter()
        .zip(&types)
        .map(|(v, ty)| values::to_wave(v, ty, &|_| "<handle>".to_string()))
        .collect();
    Ok(written == call.args)
}
