//! `properties`: values the host serves through `proxy_get_property`, and
//! TOML tables given as JSON (`config = { ... }`).

use toml_edit::{Item, TableLike, Value};

use super::toml::{Entry, Reader};

/// The `properties` table: each key a property path (split at its dots;
/// nested tables add segments), each value serialized as Envoy serializes
/// a CEL value of that type.
pub(super) fn read(reader: &mut Reader, entry: &Entry<'_>) -> Vec<(Vec<String>, Vec<u8>)> {
    let Some(table) = reader.table(entry) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(reader, table, &[], entry.path, &mut out);
    out
}

fn walk(
    reader: &mut Reader,
    table: &dyn TableLike,
    prefix: &[String],
    name: &str,
    out: &mut Vec<(Vec<String>, Vec<u8>)>,
) {
    let fields = reader.fields(table, name, &[]);
    for entry in fields.all() {
        let mut path = prefix.to_vec();
        path.extend(entry.key.split('.').map(str::to_string));
        if let Some(nested) = entry.item.as_table_like() {
            walk(reader, nested, &path, entry.path, out);
            continue;
        }
        match entry.item.as_value().and_then(serialize) {
            Some(bytes) => {
                // A later value for the same path wins, as in a TOML table.
                out.retain(|(p, _)| *p != path);
                out.push((path, bytes));
            }
            None => reader.wrong_type(&entry, "a string, an integer, a float or a boolean"),
        }
    }
}

/// Envoy: `serializeValue` (context.cc) hands a string over as its bytes,
/// an int64 or double as its 8 bytes in the host's (little-endian) order,
/// a bool as one byte.
fn serialize(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => Some(s.value().as_bytes().to_vec()),
        Value::Integer(n) => Some(n.value().to_le_bytes().to_vec()),
        Value::Float(f) => Some(f.value().to_le_bytes().to_vec()),
        Value::Boolean(b) => Some(vec![u8::from(*b.value())]),
        _ => None,
    }
}

/// A TOML table as JSON: strings, numbers, booleans, arrays and tables as
/// themselves, date-times as their text.
pub(super) fn to_json(table: &dyn TableLike) -> serde_json::Value {
    serde_json::Value::Object(
        table
            .iter()
            .map(|(k, item)| (k.to_string(), item_json(item)))
            .collect(),
    )
}

fn item_json(item: &Item) -> serde_json::Value {
    match item {
        Item::Value(v) => value_json(v),
        Item::Table(t) => to_json(t),
        Item::ArrayOfTables(a) => a.iter().map(|t| to_json(t)).collect(),
        Item::None => serde_json::Value::Null,
    }
}

fn value_json(value: &Value) -> serde_json::Value {
    match value {
        Value::String(s) => s.value().clone().into(),
        Value::Integer(n) => (*n.value()).into(),
        Value::Float(f) => serde_json::Number::from_f64(*f.value())
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Boolean(b) => (*b.value()).into(),
        Value::Datetime(d) => d.value().to_string().into(),
        Value::Array(a) => a.iter().map(value_json).collect(),
        Value::InlineTable(t) => to_json(t),
    }
}
