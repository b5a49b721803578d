//! Scenario files: one TOML file per scenario, read with every value's
//! place so that each problem is reported at its file, line and column.
//!
//! A scenario names the hosts to run on, how the host uses the plugin
//! (`kind`), its configuration and ids, the properties the host serves,
//! the ticks to deliver, the traffic (an HTTP request and the upstream's
//! response, or a connection's data) with the answers to its callouts
//! ([`message`], [`answers`], [`network`]), and what must come of it
//! ([`expect`]). The top-level keys are read here; a file with any problem
//! is not run at all.

pub(crate) mod answers;
pub mod expect;
pub(crate) mod message;
mod network;
mod properties;
pub(crate) mod toml;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmkit_core::{Diagnostic, Diagnostics, HostKind, Label, ProxyKind, SourceFile};
use wasmkit_invoke::proxy_wasm::{Callouts, GrpcAnswer, HttpMessage, NetworkTraffic, RedisAnswer};

pub use expect::{Expectation, Expected, Outcome, Side};

use self::toml::{Entry, Reader};

/// The top-level keys.
const TOP_KEYS: &[&str] = &[
    "name",
    "hosts",
    "kind",
    "config",
    "config-file",
    "vm-config",
    "vm-config-file",
    "root-id",
    "vm-id",
    "ticks",
    "properties",
    "allow-on-headers-stop-iteration",
    "request",
    "response",
    "callouts",
    "grpc",
    "redis",
    "network",
    "expect",
];

/// A value and the bytes of the file it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub span: Range<usize>,
}

/// A part of a scenario that only one kind of plugin has: `[request]` for
/// HTTP filters, `[network]` for network filters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindPart {
    /// The key, as a path (`request`, `expect.upstream-headers`).
    pub key: String,
    /// Where it is written.
    pub span: Range<usize>,
    /// The kinds it fits.
    pub fits: &'static [ProxyKind],
}

/// One scenario, as read from its file.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file.
    pub path: PathBuf,
    /// The file as shown in output: relative to the workspace root.
    pub display: String,
    /// Its text, for diagnostics about it after reading.
    pub source: Arc<SourceFile>,
    /// `name`, else the file's stem.
    pub name: String,
    /// `hosts`; `None` runs on the plugin's `HOST`.
    pub hosts: Option<Located<Vec<HostKind>>>,
    /// `kind`; `None` is the plugin's `PROXY_KIND`.
    pub kind: Option<Located<ProxyKind>>,
    /// `config` or the bytes of `config-file`; empty when neither.
    pub config: Vec<u8>,
    /// `vm-config` or the bytes of `vm-config-file`.
    pub vm_config: Vec<u8>,
    /// `root-id`; `None` is the plugin's.
    pub root_id: Option<String>,
    /// `vm-id`; `None` is the plugin's.
    pub vm_id: Option<String>,
    /// `ticks`.
    pub ticks: u32,
    /// `properties`, each path split at its dots, each value as the host
    /// serializes it.
    pub properties: Vec<(Vec<String>, Vec<u8>)>,
    /// `allow-on-headers-stop-iteration`: Envoy's opt-in.
    pub allow_on_headers_stop_iteration: bool,
    /// `[request]`, with its pseudo-headers.
    pub request: HttpMessage,
    /// `[response]`, with `:status`.
    pub response: HttpMessage,
    /// `[callouts.<cluster>]`.
    pub callouts: Callouts,
    /// `[grpc.<cluster>]`.
    pub grpc: BTreeMap<String, GrpcAnswer>,
    /// `[redis.<cluster>]` (Higress).
    pub redis: BTreeMap<String, RedisAnswer>,
    /// `[network]`.
    pub network: NetworkTraffic,
    /// `[expect]`, one entry per check, in the file's order.
    pub expect: Vec<Expectation>,
    /// The parts that fit only some kinds, checked once the kind is known.
    pub kind_parts: Vec<KindPart>,
}

impl Scenario {
    /// A diagnostic labelled at `span` of this scenario's file.
    pub fn label(&self, span: Range<usize>, message: impl Into<String>) -> Label {
        Label::primary(&self.source, span, message)
    }
}

/// Reads and parses the scenario at `path`, shown as `display`. Every
/// problem of the file is returned; a file with any is not run.
pub fn load(path: &Path, display: &str) -> Result<Scenario, Diagnostics> {
    let text = toml::read_text(path, display)?;
    parse(path, display, &text)
}

/// Parses scenario `text` read from `path` (files it names are relative to
/// the directory of `path`).
pub fn parse(path: &Path, display: &str, text: &str) -> Result<Scenario, Diagnostics> {
    let (source, doc) = toml::document(display, text)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut reader = Reader::new(Arc::clone(&source));
    let fields = reader.fields(doc.as_table(), "", TOP_KEYS);
    let name = reader.scenario_name(&fields, path, display);
    let hosts = fields.get("hosts").and_then(|e| hosts(&mut reader, &e));
    let kind = fields.get("kind").and_then(|e| {
        let text = reader.string(&e)?;
        match ProxyKind::parse(&text) {
            Some(kind) => Some(Located {
                value: kind,
                span: e.span.clone(),
            }),
            None => {
                reader.invalid(
                    e.span.clone(),
                    format!("unknown kind `{text}`"),
                    "not a kind of plugin",
                    Some("`kind` is one of `http`, `network`, `service`".to_string()),
                );
                None
            }
        }
    });
    let config = bytes_or_file(
        &mut reader,
        fields.get("config"),
        fields.get("config-file"),
        dir,
    );
    let vm_config = bytes_or_file(
        &mut reader,
        fields.get("vm-config"),
        fields.get("vm-config-file"),
        dir,
    );
    let root_id = fields.get("root-id").and_then(|e| reader.string(&e));
    let vm_id = fields.get("vm-id").and_then(|e| reader.string(&e));
    let ticks = fields
        .get("ticks")
        .and_then(|e| reader.integer(&e, 0..100_001))
        .map_or(0, |n| u32::try_from(n).unwrap_or(0));
    let properties = fields
        .get("properties")
        .map(|e| properties::read(&mut reader, &e))
        .unwrap_or_default();
    let allow_on_headers_stop_iteration = fields
        .get("allow-on-headers-stop-iteration")
        .and_then(|e| reader.boolean(&e))
        .unwrap_or(false);

    let mut kind_parts = Vec::new();
    let http = &[ProxyKind::Http][..];
    let network_only = &[ProxyKind::Network][..];
    let request_entry = fields.get("request");
    let response_entry = fields.get("response");
    for entry in [&request_entry, &response_entry].into_iter().flatten() {
        kind_parts.push(KindPart {
            key: format!("[{}]", entry.key),
            span: entry.key_span.clone(),
            fits: http,
        });
    }
    let request = message::request(&mut reader, request_entry);
    let response = message::response(&mut reader, response_entry);
    let callouts = fields
        .get("callouts")
        .map(|e| answers::callouts(&mut reader, &e))
        .unwrap_or_default();
    let grpc = fields
        .get("grpc")
        .map(|e| answers::grpc(&mut reader, &e))
        .unwrap_or_default();
    let redis = fields
        .get("redis")
        .map(|e| answers::redis(&mut reader, &e))
        .unwrap_or_default();
    let network = match fields.get("network") {
        Some(e) => {
            kind_parts.push(KindPart {
                key: "[network]".to_string(),
                span: e.key_span.clone(),
                fits: network_only,
            });
            network::read(&mut reader, &e)
        }
        None => NetworkTraffic::default(),
    };
    let expect = match fields.get("expect") {
        Some(e) => expect::read(&mut reader, &e, &mut kind_parts),
        None => Vec::new(),
    };

    if !reader.errors.is_empty() {
        return Err(Diagnostics(reader.into_errors()));
    }
    Ok(Scenario {
        path: path.to_path_buf(),
        display: display.to_string(),
        source,
        name,
        hosts,
        kind,
        config,
        vm_config,
        root_id,
        vm_id,
        ticks,
        properties,
        allow_on_headers_stop_iteration,
        request,
        response,
        callouts,
        grpc,
        redis,
        network,
        expect,
        kind_parts,
    })
}

/// `hosts`: proxy-wasm hosts, at least one, each once.
fn hosts(reader: &mut Reader, entry: &Entry<'_>) -> Option<Located<Vec<HostKind>>> {
    let names = reader.strings(entry, false)?;
    let named = names.len();
    let mut hosts = Vec::new();
    for (name, span) in names {
        match HostKind::parse(&name) {
            Some(host @ (HostKind::Envoy | HostKind::Higress)) => {
                if !hosts.contains(&host) {
                    hosts.push(host);
                }
            }
            Some(HostKind::Wasmtime) => reader.invalid(
                span,
                "`wasmtime` is not a proxy-wasm host",
                "not a proxy-wasm host",
                Some("the hosts are `envoy` and `higress`".to_string()),
            ),
            None => reader.invalid(
                span,
                format!("unknown host `{name}`"),
                "not a host",
                Some(
                    match wasmkit_core::suggest::did_you_mean(&name, ["envoy", "higress"]) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => "the hosts are `envoy` and `higress`".to_string(),
                    },
                ),
            ),
        }
    }
    if named == 0 {
        reader.invalid(
            entry.span.clone(),
            "`hosts` names no host",
            "empty",
            Some("name at least one host, or leave `hosts` out to use the plugin's `HOST`".into()),
        );
        return None;
    }
    if hosts.is_empty() {
        return None;
    }
    Some(Located {
        value: hosts,
        span: entry.span.clone(),
    })
}

/// `config` (a string as is, or a table as its JSON) or the bytes of the
/// file `config-file` names, relative to `dir`; empty when neither.
fn bytes_or_file(
    reader: &mut Reader,
    inline: Option<Entry<'_>>,
    file: Option<Entry<'_>>,
    dir: &Path,
) -> Vec<u8> {
    match (inline, file) {
        (Some(a), Some(b)) => {
            let help = format!(
                "give the configuration inline (`{}`) or as a file (`{}`), not both",
                a.key, b.key
            );
            reader.conflict(&a, &b, &help);
            Vec::new()
        }
        (Some(entry), None) => inline_config(reader, &entry),
        (None, Some(entry)) => {
            let Some(name) = reader.string(&entry) else {
                return Vec::new();
            };
            let path = dir.join(&name);
            match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    reader.errors.push(
                        Diagnostic::read_failed(Path::new(&name), &e)
                            .with_label(Label::primary(
                                &reader.file,
                                entry.span.clone(),
                                "this file",
                            ))
                            .with_help(format!(
                                "`{}` is a path relative to the scenario's directory",
                                entry.key
                            )),
                    );
                    Vec::new()
                }
            }
        }
        (None, None) => Vec::new(),
    }
}

fn inline_config(reader: &mut Reader, entry: &Entry<'_>) -> Vec<u8> {
    if let Some(text) = entry.item.as_str() {
        return text.as_bytes().to_vec();
    }
    match entry.item.as_table_like() {
        Some(table) => properties::to_json(table).to_string().into_bytes(),
        None => {
            reader.wrong_type(entry, "a string, or a table to pass as JSON");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests;
