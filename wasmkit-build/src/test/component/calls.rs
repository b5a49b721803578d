//! The calls form of a component scenario: `mocks` (a table of imported
//! functions to the WAVE values they return) and `[[call]]` tables, each a
//! `call` with what it must return (`expect`) or how it must fail
//! (`expect-error`), and the mocked imports it must reach (`imports`).

use std::ops::Range;

use toml_edit::{Item, TableLike};
use wasmkit_core::{Diagnostic, Label, codes};
use wasmkit_invoke::CallSource;
use wasmkit_invoke::mocks::Mock;

use super::string_entry;
use crate::test::scenario::Located;
use crate::test::scenario::toml::{Entry, Fields, Reader};

const CALL_TABLE_KEYS: &[&str] = &["call", "expect", "expect-error", "imports"];

/// Calls on one instance, in order, with the imports mocked.
#[derive(Clone, Debug)]
pub struct CallScenario {
    /// `mocks`, each name and value where the file writes them.
    pub mocks: Vec<Mock>,
    /// `[[call]]`, in order.
    pub calls: Vec<ScenarioCall>,
}

/// One `[[call]]`.
#[derive(Clone, Debug)]
pub struct ScenarioCall {
    /// `call`: the WAVE call (`let c = counter.new(1)`, `c.get()`).
    pub call: CallSource,
    /// `expect`: the WAVE value it must return.
    pub expect: Option<CallSource>,
    /// `expect-error`: a piece of the error it must fail with.
    pub expect_error: Option<Located<String>>,
    /// `imports`: the mocked import calls it must make, in order, and
    /// where the list is written.
    pub imports: Option<Located<Vec<CallSource>>>,
    /// Where the table is written: `[[call]]` or the inline table.
    pub span: Range<usize>,
}

/// Reads `mocks` and `[[call]]` from the top-level `fields`.
pub(super) fn read(reader: &mut Reader, fields: &Fields<'_>) -> CallScenario {
    let mocks = fields
        .get("mocks")
        .map(|e| mocks(reader, &e))
        .unwrap_or_default();
    let calls = match fields.get("call") {
        Some(e) => calls(reader, &e),
        None => {
            reader.errors.push(
                Diagnostic::error(codes::SCENARIO_INCOMPLETE, "the scenario makes no call")
                    .with_label(Label::primary(
                        &reader.file,
                        fields.get("mocks").map_or(0..0, |e| e.key_span),
                        "mocks, but no call to use them",
                    ))
                    .with_help("add a call: `[[call]]` then `call = \"f(1)\"`"),
            );
            Vec::new()
        }
    };
    CallScenario { mocks, calls }
}

/// `mocks`: names of imported functions to WAVE values. A dotted name may
/// be quoted (`"store.get" = ...`) or not (`store.get = ...`, which TOML
/// reads as nested tables).
fn mocks(reader: &mut Reader, entry: &Entry<'_>) -> Vec<Mock> {
    let Some(table) = reader.table(entry) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    mock_entries(reader, table, "", None, &mut out);
    out
}

fn mock_entries(
    reader: &mut Reader,
    table: &dyn TableLike,
    prefix: &str,
    start: Option<usize>,
    out: &mut Vec<Mock>,
) {
    let fields = reader.fields(table, "mocks", &[]);
    for e in fields.all() {
        let name = if prefix.is_empty() {
            e.key.to_string()
        } else {
            format!("{prefix}.{}", e.key)
        };
        let name_start = start.unwrap_or(e.key_span.start);
        if let Some(inner) = e.item.as_table_like() {
            mock_entries(reader, inner, &name, Some(name_start), out);
            continue;
        }
        let Some(value) = string_entry(reader, &e) else {
            continue;
        };
        let name_span = name_start..e.key_span.end;
        let name = super::string_source(&reader.file, &name, name_span);
        out.push(Mock::new(name, value));
    }
}

/// `[[call]]` (or `call = [{ ... }, ...]`).
fn calls(reader: &mut Reader, entry: &Entry<'_>) -> Vec<ScenarioCall> {
    let tables: Vec<(&dyn TableLike, Range<usize>)> = match entry.item {
        Item::ArrayOfTables(array) => array
            .iter()
            .map(|t| {
                let span = t.span().unwrap_or_else(|| entry.key_span.clone());
                (t as &dyn TableLike, span)
            })
            .collect(),
        Item::Value(toml_edit::Value::Array(array))
            if array.iter().all(|v| v.as_inline_table().is_some()) =>
        {
            array
                .iter()
                .filter_map(|v| {
                    let t = v.as_inline_table()?;
                    Some((
                        t as &dyn TableLike,
                        v.span().unwrap_or_else(|| entry.span.clone()),
                    ))
                })
                .collect()
        }
        _ => {
            reader.wrong_type(
                entry,
                "an array of tables: write each call as `[[call]]` followed by `call = \"f(1)\"`",
            );
            return Vec::new();
        }
    };
    if tables.is_empty() {
        reader.errors.push(
            Diagnostic::error(codes::SCENARIO_INCOMPLETE, "the scenario makes no call")
                .with_label(Label::primary(&reader.file, entry.span.clone(), "no calls"))
                .with_help("add a call: `[[call]]` then `call = \"f(1)\"`"),
        );
    }
    let mut out = Vec::new();
    for (table, span) in tables {
        if let Some(call) = one_call(reader, table, span) {
            out.push(call);
        }
    }
    out
}

fn one_call(
    reader: &mut Reader,
    table: &dyn TableLike,
    span: Range<usize>,
) -> Option<ScenarioCall> {
    let fields = reader.fields(table, "call", CALL_TABLE_KEYS);
    let expect = fields.get("expect");
    let expect_error = fields.get("expect-error");
    if let (Some(a), Some(b)) = (&expect, &expect_error) {
        reader.conflict(
            a,
            b,
            "a call either returns a value (`expect`) or fails (`expect-error`)",
        );
    }
    let expect = expect.and_then(|e| string_entry(reader, &e));
    let expect_error = expect_error.and_then(|e| {
        reader.string(&e).map(|value| Located {
            value,
            span: e.key_span.start..e.span.end,
        })
    });
    let imports = fields.get("imports").and_then(|e| {
        let items = reader.strings(&e, false)?;
        let file = reader.file.clone();
        Some(Located {
            value: items
                .into_iter()
                .map(|(text, span)| super::string_source(&file, &text, span))
                .collect(),
            span: e.key_span.start..e.span.end,
        })
    });
    let Some(call_entry) = fields.get("call") else {
        reader.errors.push(
            Diagnostic::error(codes::SCENARIO_INCOMPLETE, "a `[[call]]` has no `call`")
                .with_label(Label::primary(&reader.file, span, "this table"))
                .with_help("say what to call: `call = \"f(1)\"`"),
        );
        return None;
    };
    let call = string_entry(reader, &call_entry)?;
    if call.text().trim().is_empty() {
        reader.invalid(
            call_entry.span.clone(),
            "`call` is empty",
            "no call",
            Some("write a WAVE call such as `f(1)` or `let c = counter.new(1)`".to_string()),
        );
        return None;
    }
    Some(ScenarioCall {
        call,
        expect,
        expect_error,
        imports,
        span,
    })
}
