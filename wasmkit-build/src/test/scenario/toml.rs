//! Reading scenario TOML with every value's place in the file: typed
//! getters that turn a wrong type, an unknown key (with "did you mean") or
//! a bad value into a diagnostic labelled at the key or value, and go on,
//! so that one run reports every problem of a file.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use toml_edit::{Item, TableLike};
use wasmkit_core::metadata::{describe_item, describe_value};
use wasmkit_core::suggest::did_you_mean;
use wasmkit_core::{Diagnostic, Label, SourceFile, codes};

/// One key of a table and its value, with their places.
#[derive(Clone, Debug)]
pub(crate) struct Entry<'d> {
    /// The key as written.
    pub(crate) key: &'d str,
    /// Where the key is, for messages: `request.body`, `callouts.auth.status`.
    pub(crate) path: &'d str,
    /// The value.
    pub(crate) item: &'d Item,
    /// The key's bytes.
    pub(crate) key_span: Range<usize>,
    /// The value's bytes (the key's when the value has none, such as an
    /// implicit table).
    pub(crate) span: Range<usize>,
}

/// The text of the scenario file at `path`, shown as `display`.
pub(crate) fn read_text(path: &Path, display: &str) -> Result<String, Diagnostic> {
    let text = std::fs::read(path).map_err(|e| {
        Diagnostic::read_failed(Path::new(display), &e).with_help(
            "a scenario is a `.toml` file; see `cargo wasmkit test --help` for the format",
        )
    })?;
    String::from_utf8(text).map_err(|_| {
        Diagnostic::error(
            codes::SCENARIO_SYNTAX,
            format!("`{display}` is not valid TOML: it is not UTF-8 text"),
        )
    })
}

/// `text` (of the file shown as `display`) as a TOML document with spans,
/// and the source its diagnostics point into.
pub(crate) fn document(
    display: &str,
    text: &str,
) -> Result<(Arc<SourceFile>, toml_edit::Document<String>), Diagnostic> {
    let source = SourceFile::new(display, text);
    let doc = toml_edit::Document::parse(text.to_string()).map_err(|e| {
        Diagnostic::error(
            codes::SCENARIO_SYNTAX,
            format!("`{display}` is not valid TOML"),
        )
        .with_label(Label::primary(
            &source,
            e.span().unwrap_or(0..0),
            e.message().trim_end().to_string(),
        ))
    })?;
    Ok((source, doc))
}

/// The keys of one table, after unknown ones were reported.
#[derive(Debug)]
pub(crate) struct Fields<'d> {
    entries: Vec<(Entry<'d>, String)>,
}

impl<'d> Fields<'d> {
    /// The entry for `key`, if the table has it.
    pub(crate) fn get(&self, key: &str) -> Option<Entry<'_>> {
        self.entries
            .iter()
            .find(|(e, _)| e.key == key)
            .map(|(e, path)| Entry { path, ..e.clone() })
    }

    /// Every entry, in the file's order.
    pub(crate) fn all(&self) -> impl Iterator<Item = Entry<'_>> {
        self.entries
            .iter()
            .map(|(e, path)| Entry { path, ..e.clone() })
    }
}

/// Collects the diagnostics of one file while its values are read.
#[derive(Debug)]
pub(crate) struct Reader {
    pub(crate) file: Arc<SourceFile>,
    pub(crate) errors: Vec<Diagnostic>,
}

impl Reader {
    pub(crate) fn new(file: Arc<SourceFile>) -> Reader {
        Reader {
            file,
            errors: Vec::new(),
        }
    }

    /// The entries of `table` (named `name` in messages, empty for the top
    /// level, whose keys are `prefix`ed into paths), reporting keys not in
    /// `known`. With `known` empty every key is accepted (a table of
    /// headers, clusters or properties).
    pub(crate) fn fields<'d>(
        &mut self,
        table: &'d dyn TableLike,
        name: &str,
        known: &[&str],
    ) -> Fields<'d> {
        let mut entries = Vec::new();
        for (key, item) in table.iter() {
            let key_span = table
                .key(key)
                .and_then(toml_edit::Key::span)
                .unwrap_or(0..0);
            if !known.is_empty() && !known.contains(&key) {
                self.unknown_key(key, key_span, name, known);
                continue;
            }
            let span = item.span().unwrap_or_else(|| key_span.clone());
            let path = if name.is_empty() {
                key.to_string()
            } else {
                format!("{name}.{key}")
            };
            entries.push((
                Entry {
                    key,
                    path: "",
                    item,
                    key_span,
                    span,
                },
                path,
            ));
        }
        Fields { entries }
    }

    fn unknown_key(&mut self, key: &str, span: Range<usize>, table: &str, known: &[&str]) {
        let place = if table.is_empty() {
            "at the top level of a scenario".to_string()
        } else {
            format!("in `[{table}]`")
        };
        let mut d = Diagnostic::error(codes::UNKNOWN_KEY, format!("unknown key `{key}` {place}"))
            .with_label(Label::primary(&self.file, span, "not a scenario key"));
        d = match did_you_mean(key, known.iter().copied()) {
            Some(near) => d.with_help(format!("did you mean `{near}`?")),
            None => d.with_help(format!(
                "the keys are {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        self.errors.push(d);
    }

    /// Reports that `entry` holds the wrong type of value.
    pub(crate) fn wrong_type(&mut self, entry: &Entry<'_>, expected: &str) {
        self.wrong_type_at(
            entry.path,
            entry.span.clone(),
            expected,
            &describe_item(entry.item),
        );
    }

    fn wrong_type_at(&mut self, path: &str, span: Range<usize>, expected: &str, found: &str) {
        self.errors.push(
            Diagnostic::error(codes::SCENARIO_TYPE, format!("`{path}` must be {expected}"))
                .with_label(Label::primary(&self.file, span, format!("found {found}"))),
        );
    }

    /// Reports a value of the right type that is not allowed.
    pub(crate) fn invalid(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::error(codes::INVALID_VALUE, message)
            .with_label(Label::primary(&self.file, span, label));
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.errors.push(d);
    }

    /// Reports two keys that cannot be set together; the later one in the
    /// file gets the caret.
    pub(crate) fn conflict(&mut self, a: &Entry<'_>, b: &Entry<'_>, help: &str) {
        let (first, second) = if a.key_span.start <= b.key_span.start {
            (a, b)
        } else {
            (b, a)
        };
        self.errors.push(
            Diagnostic::error(
                codes::SCENARIO_CONFLICT,
                format!("`{}` and `{}` cannot both be set", first.path, second.path),
            )
            .with_label(Label::primary(
                &self.file,
                second.key_span.clone(),
                "the second one",
            ))
            .with_label(Label::secondary(
                &self.file,
                first.key_span.clone(),
                "the first one",
            ))
            .with_help(help),
        );
    }

    /// The diagnostics, in the order of the places they point at.
    pub(crate) fn into_errors(self) -> Vec<Diagnostic> {
        let mut errors = self.errors;
        errors.sort_by_key(|d| d.primary_label().map_or(0, |l| l.span.start));
        errors
    }

    /// A scenario's `name`, or else its file's stem.
    pub(crate) fn scenario_name(
        &mut self,
        fields: &Fields<'_>,
        path: &Path,
        display: &str,
    ) -> String {
        fields
            .get("name")
            .and_then(|e| self.string(&e))
            .unwrap_or_else(|| {
                path.file_stem()
                    .map_or_else(|| display.to_string(), |s| s.to_string_lossy().into_owned())
            })
    }

    /// A string.
    pub(crate) fn string(&mut self, entry: &Entry<'_>) -> Option<String> {
        match entry.item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.wrong_type(entry, "a string");
                None
            }
        }
    }

    /// A boolean.
    pub(crate) fn boolean(&mut self, entry: &Entry<'_>) -> Option<bool> {
        match entry.item.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(entry, "a boolean (`true` or `false`)");
                None
            }
        }
    }

    /// An integer in `range`.
    pub(crate) fn integer(&mut self, entry: &Entry<'_>, range: Range<i64>) -> Option<i64> {
        let expected = format!(
            "an integer from {} to {}",
            range.start,
            range.end.saturating_sub(1)
        );
        match entry.item.as_integer() {
            Some(n) if range.contains(&n) => Some(n),
            Some(n) => {
                self.invalid(
                    entry.span.clone(),
                    format!("`{}` must be {expected}", entry.path),
                    format!("{n} is out of range"),
                    None,
                );
                None
            }
            None => {
                self.wrong_type(entry, &expected);
                None
            }
        }
    }

    /// A table (inline or not).
    pub(crate) fn table<'d>(&mut self, entry: &Entry<'d>) -> Option<&'d dyn TableLike> {
        match entry.item.as_table_like() {
            Some(t) => Some(t),
            None => {
                self.wrong_type(entry, "a table");
                None
            }
        }
    }

    /// An array of strings, each with its place; a single string is taken
    /// as an array of one when `single` is true.
    pub(crate) fn strings(
        &mut self,
        entry: &Entry<'_>,
        single: bool,
    ) -> Option<Vec<(String, Range<usize>)>> {
        let expected = if single {
            "a string or an array of strings"
        } else {
            "an array of strings"
        };
        if single && let Some(s) = entry.item.as_str() {
            return Some(vec![(s.to_string(), entry.span.clone())]);
        }
        let Some(array) = entry.item.as_array() else {
            self.wrong_type(entry, expected);
            return None;
        };
        let mut items = Vec::new();
        let mut ok = true;
        for value in array.iter() {
            let span = value.span().unwrap_or_else(|| entry.span.clone());
            match value.as_str() {
                Some(s) => items.push((s.to_string(), span)),
                None => {
                    self.wrong_type_at(entry.path, span, expected, &describe_value(value));
                    ok = false;
                }
            }
        }
        ok.then_some(items)
    }
}
