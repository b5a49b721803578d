//! `[expect]`: what must come of a scenario, one [`Expectation`] per
//! check, each with its place in the file so that a failure points at it.

use std::fmt;
use std::ops::Range;

use serde::Serialize;
use wasmkit_core::ProxyKind;

use super::KindPart;
use super::message::{HeaderPair, header_pairs};
use super::toml::{Entry, Reader};

const EXPECT_KEYS: &[&str] = &[
    "outcome",
    "status",
    "upstream-headers",
    "upstream-headers-absent",
    "upstream-body",
    "response-headers",
    "response-headers-absent",
    "response-body",
    "upstream-data",
    "downstream-data",
    "log-contains",
    "log-absent",
    "callouts",
];

/// What became of the request (or connection), as a scenario names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It went upstream and the response reached the client.
    Forwarded,
    /// The plugin answered it itself.
    LocalReply,
    /// It stopped and nothing resumed it.
    Stalled,
    /// The plugin closed the stream.
    Reset,
    /// The plugin trapped or failed a host call fatally.
    Failed,
}

impl Outcome {
    const NAMES: &[&str] = &["forwarded", "local-reply", "stalled", "reset", "failed"];

    fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "forwarded" => Outcome::Forwarded,
            "local-reply" => Outcome::LocalReply,
            "stalled" => Outcome::Stalled,
            "reset" => Outcome::Reset,
            "failed" => Outcome::Failed,
            _ => return None,
        })
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Forwarded => "forwarded",
            Outcome::LocalReply => "local-reply",
            Outcome::Stalled => "stalled",
            Outcome::Reset => "reset",
            Outcome::Failed => "failed",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which message a header or body check looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The request as it left the plugin towards the upstream (`upstream-*`);
    /// for a network filter, the data that reached the upstream.
    Upstream,
    /// What the client got (`response-*`); for a network filter, the data
    /// that reached the client.
    Client,
}

/// One check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// `outcome`.
    Outcome(Outcome),
    /// `status`: the status the client got.
    Status(u16),
    /// One entry of `upstream-headers` or `response-headers`: a header with
    /// this (case-insensitive) name has this value.
    Header {
        /// Which message.
        side: Side,
        /// The name.
        name: String,
        /// The value.
        value: String,
    },
    /// One entry of `upstream-headers-absent` or `response-headers-absent`.
    HeaderAbsent {
        /// Which message.
        side: Side,
        /// The name.
        name: String,
    },
    /// `upstream-body` or `response-body`: the whole body.
    Body {
        /// Which message.
        side: Side,
        /// The body.
        body: String,
    },
    /// `upstream-data` or `downstream-data`: what a network filter let
    /// through to that side.
    Data {
        /// Which side received it.
        side: Side,
        /// The data.
        data: String,
    },
    /// One entry of `log-contains`: some log line contains it.
    LogContains(String),
    /// One entry of `log-absent`: no log line contains it.
    LogAbsent(String),
    /// `callouts`: the clusters called, in order.
    Callouts(Vec<String>),
}

/// One check and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The check.
    pub expected: Expected,
    /// The key under `[expect]` (`upstream-headers`).
    pub key: &'static str,
    /// Where it is written (the key and value of its entry).
    pub span: Range<usize>,
}

impl Expectation {
    /// The check's name in reports: the key, and the header or text it is
    /// about.
    pub fn name(&self) -> String {
        match &self.expected {
            Expected::Header { name, .. } | Expected::HeaderAbsent { name, .. } => {
                format!("{} `{name}`", self.key)
            }
            Expected::LogContains(text) | Expected::LogAbsent(text) => {
                format!("{} {text:?}", self.key)
            }
            _ => self.key.to_string(),
        }
    }
}

/// Reads `[expect]`, noting which checks fit only some kinds.
pub(super) fn read(
    reader: &mut Reader,
    entry: &Entry<'_>,
    kind_parts: &mut Vec<KindPart>,
) -> Vec<Expectation> {
    let Some(table) = reader.table(entry) else {
        return Vec::new();
    };
    let fields = reader.fields(table, "expect", EXPECT_KEYS);
    let mut out = Vec::new();
    for e in fields.all() {
        let key = EXPECT_KEYS
            .iter()
            .copied()
            .find(|k| *k == e.key)
            .unwrap_or("expect");
        let fits: &'static [ProxyKind] = match key {
            "outcome" => &[ProxyKind::Http, ProxyKind::Network],
            "upstream-data" | "downstream-data" => &[ProxyKind::Network],
            "log-contains" | "log-absent" | "callouts" => &[],
            _ => &[ProxyKind::Http],
        };
        if !fits.is_empty() {
            kind_parts.push(KindPart {
                key: e.path.to_string(),
                span: e.key_span.clone(),
                fits,
            });
        }
        let whole = e.key_span.start..e.span.end;
        let mut push = |expected: Expected, span: Range<usize>| {
            out.push(Expectation {
                expected,
                key,
                span,
            });
        };
        match key {
            "outcome" => {
                let Some(text) = reader.string(&e) else {
                    continue;
                };
                match Outcome::parse(&text) {
                    Some(o) => push(Expected::Outcome(o), whole),
                    None => reader.invalid(
                        e.span.clone(),
                        format!("unknown outcome `{text}`"),
                        "not an outcome",
                        Some(format!(
                            "`outcome` is one of {}",
                            Outcome::NAMES
                                .iter()
                                .map(|n| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    ),
                }
            }
            "status" => {
                if let Some(n) = reader.integer(&e, 100..1000) {
                    push(Expected::Status(u16::try_from(n).unwrap_or(0)), whole);
                }
            }
            "upstream-headers" | "response-headers" => {
                let side = side_of(key);
                for HeaderPair {
                    name, value, span, ..
                } in header_pairs(reader, &e)
                {
                    push(Expected::Header { side, name, value }, span);
                }
            }
            "upstream-headers-absent" | "response-headers-absent" => {
                let side = side_of(key);
                for (name, span) in reader.strings(&e, true).unwrap_or_default() {
                    push(Expected::HeaderAbsent { side, name }, span);
                }
            }
            "upstream-body" | "response-body" => {
                if let Some(body) = reader.string(&e) {
                    push(
                        Expected::Body {
                            side: side_of(key),
                            body,
                        },
                        whole,
                    );
                }
            }
            "upstream-data" | "downstream-data" => {
                if let Some(data) = reader.string(&e) {
                    let side = if key == "upstream-data" {
                        Side::Upstream
                    } else {
                        Side::Client
                    };
                    push(Expected::Data { side, data }, whole);
                }
            }
            "log-contains" | "log-absent" => {
                for (text, span) in reader.strings(&e, true).unwrap_or_default() {
                    let expected = if key == "log-contains" {
                        Expected::LogContains(text)
                    } else {
                        Expected::LogAbsent(text)
                    };
                    push(expected, span);
                }
            }
            "callouts" => {
                if let Some(clusters) = reader.strings(&e, false) {
                    push(
                        Expected::Callouts(clusters.into_iter().map(|(c, _)| c).collect()),
                        whole,
                    );
                }
            }
            _ => {}
        }
    }
    out
}

fn side_of(key: &str) -> Side {
    if key.starts_with("upstream") {
        Side::Upstream
    } else {
        Side::Client
    }
}
