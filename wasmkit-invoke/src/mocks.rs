//! Mocks for imports: `--mock 'NAME=VALUE'`, `--mocks FILE` (one a line,
//! `//` comments) and `VERIFY_MOCKS`. NAME is an imported function in any
//! spelling a call accepts for an export; VALUE is the WAVE value of its
//! result (`()` or nothing when it has none), checked against the import's
//! type before anything runs.

use std::path::Path;

use wasmkit_core::{Diagnostic, SourceFile, codes, display_path};
use wasmtime::component::Val;
use wasmtime::component::wasm_wave::untyped::UntypedValue;

use crate::call::{self, CallSource};
use crate::imports::ImportedFunc;
use crate::names::{self, Named, Side};
use crate::values;

/// A `--mock` given on the command line.
pub fn from_argument(text: &str) -> CallSource {
    CallSource {
        file: SourceFile::new("<mock>", text),
        span: 0..text.len(),
    }
}

/// The mocks of a `--mocks` file: one `NAME=VALUE` a line; blank lines and
/// `//` comments are skipped.
pub fn read_file(path: &Path) -> Result<Vec<CallSource>, Diagnostic> {
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
            mocks.push(CallSource::within(
                &file,
                start + lead..start + lead + trimmed.len(),
            ));
        }
        start = end;
    }
    Ok(mocks)
}

/// Checks a mock against the imports: the function it names and its
/// results as values of the function's result types.
pub(crate) fn parse(
    spec: &CallSource,
    funcs: &[ImportedFunc],
    signature: &dyn Fn(&ImportedFunc) -> String,
) -> Result<(usize, Vec<Val>), Diagnostic> {
    let text = spec.text();
    let Some(eq) = text.find('=') else {
        return Err(Diagnostic::error(
            codes::INVALID_MOCK,
            format!("invalid mock `{text}`: expected NAME=VALUE"),
        )
        .with_label(spec.label(0..text.len(), "no `=`"))
        .with_help("write the import and the value it returns, e.g. 'store.get=some(\"v\")'"));
    };
    let name = text[..eq].trim();
    let name_start = text.len() - text.trim_start().len();
    let name_span = name_start..name_start + name.len();
    let index = names::resolve(funcs, name).map_err(|why| {
        names::resolution_error(funcs, Side::Imports, spec, name_span.clone(), name, why)
    })?;
    let f = &funcs[index];
    let types: Vec<_> = f.ty.results().collect();
    let full = format!("{}: {}", f.full_name(), signature(f));
    if types.iter().any(values::has_handle) {
        return Err(Diagnostic::error(
            codes::INVALID_MOCK,
            format!("`{name}` cannot be mocked: its result holds a resource handle"),
        )
        .with_label(spec.label(name_span, "returns a handle"))
        .with_note(format!("its signature is `{full}`"))
        .with_note("a handle stands for a resource the host made; no value can stand in for it")
        .with_help("leave it unmocked: a call that reaches it fails, naming it"));
    }
    let raw_value = &text[eq + 1..];
    let value = raw_value.trim();
    let value_start = eq + 1 + (raw_value.len() - raw_value.trim_start().len());
    let mismatch = |span: std::ops::Range<usize>, label: String| {
        Diagnostic::error(
            codes::INVALID_MOCK,
            format!("the mock of `{name}` does not fit its result"),
        )
        .with_label(spec.label(span, label))
        .with_note(format!("its signature is `{full}`"))
    };
    let values = match types.as_slice() {
        [] => {
            if !(value.is_empty() || value == "()") {
                return Err(mismatch(
                    value_start..value_start + value.len(),
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
                        value_start..value_start,
                        format!(
                            "expected a value, e.g. `{}`: {}",
                            values::sample(ty),
                            call::reason(&e)
                        ),
                    ));
                }
                Err(e) => {
                    let span = e.span();
                    return Err(mismatch(
                        value_start + span.start..value_start + span.end,
                        call::reason(&e),
                    ));
                }
            }
        }
        many => {
            // Several results (not in WIT today, but in the component
            // model's function types): a tuple.
            let parsed = UntypedValue::parse(value).map_err(|e| {
                let span = e.span();
                mismatch(
                    value_start + span.start..value_start + span.end,
                    call::reason(&e),
                )
            })?;
            let nodes: Vec<_> = parsed
                .node()
                .as_tuple()
                .map_err(|e| mismatch(value_start..value_start + value.len(), call::reason(&e)))?
                .collect();
            if nodes.len() != many.len() {
                return Err(mismatch(
                    value_start..value_start + value.len(),
                    format!("expected a tuple of {} values", many.len()),
                ));
            }
            nodes
                .iter()
                .zip(many)
                .map(|(n, ty)| {
                    n.to_wasm_value::<Val>(ty, value).map_err(|e| {
                        let span = e.span();
                        mismatch(
                            value_start + span.start..value_start + span.end,
                            call::reason(&e),
                        )
                    })
                })
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
