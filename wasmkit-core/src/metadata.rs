//! `[package.metadata.wasmkit]` and `[workspace.metadata.wasmkit]` tables,
//! read with `toml_edit` so that every value keeps its place in the file.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml_edit::{Document, Item, Value};

use crate::codes;
use crate::diagnostic::{Diagnostic, Diagnostics, Label, SourceFile};
use crate::keys::Key;

/// Which table a value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    /// `[package.metadata.wasmkit]`
    Package,
    /// `[workspace.metadata.wasmkit]`
    Workspace,
}

impl TableKind {
    /// The table's name as written in `Cargo.toml`.
    pub fn table_name(self) -> &'static str {
        match self {
            TableKind::Package => "package.metadata.wasmkit",
            TableKind::Workspace => "workspace.metadata.wasmkit",
        }
    }
}

/// A metadata value: TOML gives lists and booleans directly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataValue {
    /// A string.
    String(String),
    /// An array of strings.
    List(Vec<String>),
    /// A boolean.
    Bool(bool),
}

/// One key of a metadata table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataEntry {
    /// The key.
    pub key: Key,
    /// The value.
    pub value: MetadataValue,
    /// Byte span of the value in the manifest.
    pub span: Range<usize>,
}

/// A `wasmkit` metadata table of one manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataTable {
    /// Package or workspace table.
    pub kind: TableKind,
    /// Where the manifest is (its labels show the path as the user sees it).
    pub path: PathBuf,
    /// The manifest, for labels.
    pub file: Arc<SourceFile>,
    /// The keys set, in file order.
    pub entries: Vec<MetadataEntry>,
    /// `plugin = true|false` (package tables only), with the value's span.
    pub plugin: Option<(bool, Range<usize>)>,
}

impl MetadataTable {
    /// Reads the table of `kind` from the manifest at `path`; `None` when
    /// the manifest has no such table.
    pub fn read(
        path: &Path,
        display_path: &Path,
        kind: TableKind,
    ) -> Result<Option<MetadataTable>, Diagnostics> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Diagnostic::read_failed(display_path, &e))?;
        let table = MetadataTable::parse(display_path, &text, kind)?;
        Ok(table.map(|t| MetadataTable {
            path: path.to_path_buf(),
            ..t
        }))
    }

    /// Parses the table of `kind` out of manifest text.
    pub fn parse(
        path: &Path,
        text: &str,
        kind: TableKind,
    ) -> Result<Option<MetadataTable>, Diagnostics> {
        let file = SourceFile::new(path, text);
        let doc = Document::parse(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            Diagnostic::error(
                codes::MANIFEST_SYNTAX,
                format!("`{}` is not valid TOML", path.display()),
            )
            .with_label(Label::primary(&file, span, e.message().to_string()))
        })?;
        let outer = match kind {
            TableKind::Package => "package",
            TableKind::Workspace => "workspace",
        };
        let Some(item) = doc
            .get(outer)
            .and_then(|t| t.get("metadata"))
            .and_then(|m| m.get("wasmkit"))
        else {
            return Ok(None);
        };
        let Some(table) = item.as_table_like() else {
            return Err(Diagnostic::error(
                codes::METADATA_TYPE,
                format!("`[{}]` must be a table", kind.table_name()),
            )
            .with_label(Label::primary(
                &file,
                item.span().unwrap_or(0..0),
                format!("found {}", describe_item(item)),
            ))
            .into());
        };

        let mut entries = Vec::new();
        let mut errors = Vec::new();
        let mut plugin = None;
        for (name, value) in table.iter() {
            let key_span = table
                .key(name)
                .and_then(toml_edit::Key::span)
                .unwrap_or(0..0);
            if name == "plugin" && kind == TableKind::Package {
                let span = value.span().unwrap_or(key_span);
                match value.as_bool() {
                    Some(b) => plugin = Some((b, span)),
                    None => errors.push(
                        Diagnostic::error(
                            codes::METADATA_TYPE,
                            format!(
                                "`plugin` in `[{}]` must be a boolean (`true` or `false`)",
                                kind.table_name()
                            ),
                        )
                        .with_label(Label::primary(
                            &file,
                            span,
                            format!("found {}", describe_item(value)),
                        )),
                    ),
                }
                continue;
            }
            let Some(key) = Key::from_metadata_name(name) else {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_KEY,
                    format!("unknown key `{name}` in `[{}]`", kind.table_name()),
                )
                .with_label(Label::primary(
                    &file,
                    key_span,
                    "not a cargo-wasmkit setting",
                ));
                match Key::suggest_metadata(name) {
                    Some(k) => d
                        .help
                        .push(format!("did you mean `{}`?", k.metadata_name())),
                    None => d.help.push(format!(
                        "the keys are {}",
                        Key::ALL
                            .iter()
                            .map(|k| format!("`{}`", k.metadata_name()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                }
                errors.push(d);
                continue;
            };
            match convert(key, value) {
                Ok((value, span)) => entries.push(MetadataEntry { key, value, span }),
                Err((expected, found, span)) => errors.push(
                    Diagnostic::error(
                        codes::METADATA_TYPE,
                        format!(
                            "`{}` in `[{}]` must be {expected}",
                            key.metadata_name(),
                            kind.table_name()
                        ),
                    )
                    .with_label(Label::primary(
                        &file,
                        span,
                        format!("found {found}"),
                    )),
                ),
            }
        }
        if errors.is_empty() {
            Ok(Some(MetadataTable {
                kind,
                path: path.to_path_buf(),
                file,
                entries,
                plugin,
            }))
        } else {
            Err(Diagnostics(errors))
        }
    }

    /// The entry for `key`, if the table sets it.
    pub fn get(&self, key: Key) -> Option<&MetadataEntry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

type Mismatch = (&'static str, String, Range<usize>);

fn convert(key: Key, item: &Item) -> Result<(MetadataValue, Range<usize>), Mismatch> {
    let span = item.span().unwrap_or(0..0);
    let expected = if key == Key::NoDefaultFeatures {
        "a boolean (`true` or `false`)"
    } else if key.is_list() {
        "a string or an array of strings"
    } else {
        "a string"
    };
    let Some(value) = item.as_value() else {
        return Err((expected, describe_item(item), span));
    };
    match (value, key) {
        (Value::Boolean(b), Key::NoDefaultFeatures) => Ok((MetadataValue::Bool(*b.value()), span)),
        (Value::String(s), k) if k != Key::NoDefaultFeatures => {
            Ok((MetadataValue::String(s.value().clone()), span))
        }
        (Value::Array(a), k) if k.is_list() => {
            let mut items = Vec::new();
            for v in a.iter() {
                match v.as_str() {
                    Some(s) => items.push(s.to_string()),
                    None => {
                        return Err((
                            "an array of strings",
                            format!("an array holding {}", describe_value(v)),
                            v.span().unwrap_or(span),
                        ));
                    }
                }
            }
            Ok((MetadataValue::List(items), span))
        }
        (v, _) => Err((expected, describe_value(v), span)),
    }
}

/// What a TOML item is, for "found ..." labels.
pub fn describe_item(item: &Item) -> String {
    match item {
        Item::Value(v) => describe_value(v),
        Item::Table(_) => "a table".to_string(),
        Item::ArrayOfTables(_) => "an array of tables".to_string(),
        Item::None => "nothing".to_string(),
    }
}

/// What a TOML value is, for "found ..." labels (an inline table is
/// "a table": the reader does not care how it was written).
pub fn describe_value(v: &Value) -> String {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "a table",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<MetadataTable>, Diagnostics> {
        MetadataTable::parse(Path::new("p/Cargo.toml"), text, TableKind::Package)
    }

    #[test]
    fn reads_every_type_with_spans() {
        let text = r#"[package]
name = "p"

[package.metadata.wasmkit]
extra-tags = ["a", "b"]
features = "x y"
no-default-features = true
host = "higress"
"#;
        let table = parse(text).unwrap().unwrap();
        assert_eq!(
            table.get(Key::ExtraTags).unwrap().value,
            MetadataValue::List(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            table.get(Key::NoDefaultFeatures).unwrap().value,
            MetadataValue::Bool(true)
        );
        let host = table.get(Key::Host).unwrap();
        assert_eq!(&text[host.span.clone()], "\"higress\"");
        assert_eq!(table.file.line_column(host.span.start), (8, 8));
    }

    #[test]
    fn plugin_is_a_boolean_of_package_tables_only() {
        let text = "[package]\nname = \"p\"\n[package.metadata.wasmkit]\nplugin = false\n";
        let table = parse(text).unwrap().unwrap();
        let (value, span) = table.plugin.clone().unwrap();
        assert!(!value);
        assert_eq!(&text[span], "false");
        let errors = parse("[package.metadata.wasmkit]\nplugin = \"no\"\n")
            .unwrap_err()
            .0;
        assert_eq!(errors[0].code.name(), "metadata-type");
        let workspace = MetadataTable::parse(
            Path::new("Cargo.toml"),
            "[workspace.metadata.wasmkit]\nplugin = false\n",
            TableKind::Workspace,
        );
        assert_eq!(workspace.unwrap_err().0[0].code.name(), "unknown-key");
    }

    #[test]
    fn no_table_is_none() {
        assert_eq!(parse("[package]\nname = \"p\"\n").unwrap(), None);
    }

    #[test]
    fn wrong_types_are_located() {
        let text = "[package]\nname = \"p\"\n[package.metadata.wasmkit]\nhost = 3\nextra-tags = [\"a\", 1]\n";
        let errors = parse(text).unwrap_err().0;
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].code.name(), "metadata-type");
        assert_eq!(
            errors[0].message,
            "`host` in `[package.metadata.wasmkit]` must be a string"
        );
        assert_eq!(errors[0].labels[0].line_column(), (4, 8));
        assert_eq!(errors[0].labels[0].message, "found an integer");
        assert_eq!(errors[1].labels[0].line_column(), (5, 20));
        assert_eq!(
            errors[1].labels[0].message,
            "found an array holding an integer"
        );
    }

    #[test]
    fn unknown_keys_suggest_the_kebab_spelling() {
        let text = "[package.metadata.wasmkit]\nEXTRA_TAGS = \"a\"\n";
        let errors = parse(text).unwrap_err().0;
        assert_eq!(errors[0].code.name(), "unknown-key");
        assert_eq!(
            errors[0].help,
            vec!["did you mean `extra-tags`?".to_string()]
        );
        assert_eq!(errors[0].labels[0].line_column(), (2, 1));
    }

    #[test]
    fn dotted_and_inline_forms_work() {
        let text = "[package]\nmetadata.wasmkit = { host = \"envoy\" }\n";
        let table = parse(text).unwrap().unwrap();
        assert_eq!(
            table.get(Key::Host).unwrap().value,
            MetadataValue::String("envoy".into())
        );
    }

    #[test]
    fn invalid_toml_is_reported() {
        let errors = parse("[package\n").unwrap_err().0;
        assert_eq!(errors[0].code.name(), "manifest-syntax");
    }
}
