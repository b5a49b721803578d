//! `PROXY_KIND`: how a proxy-wasm host uses a plugin. The same three kinds
//! as `wasmkit_invoke::proxy_wasm::PluginKind`, kept here so that settings
//! need no wasm runtime; the build crate converts one into the other.

use std::fmt;

use serde::Serialize;

/// The filter chain a proxy-wasm plugin is configured in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyKind {
    /// An HTTP filter (`envoy.filters.http.wasm`): each run is one HTTP stream.
    #[default]
    Http,
    /// A network filter (`envoy.filters.network.wasm`): one connection.
    Network,
    /// A service (`envoy.bootstrap.wasm`): start-up, configuration and
    /// ticks only.
    Service,
}

impl ProxyKind {
    /// Every spelling, for diagnostics.
    pub const NAMES: &[&str] = &["http", "network", "service"];

    /// Parses `http`, `network` or `service`.
    pub fn parse(s: &str) -> Option<ProxyKind> {
        match s {
            "http" => Some(ProxyKind::Http),
            "network" => Some(ProxyKind::Network),
            "service" => Some(ProxyKind::Service),
            _ => None,
        }
    }

    /// The spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyKind::Http => "http",
            ProxyKind::Network => "network",
            ProxyKind::Service => "service",
        }
    }
}

impl fmt::Display for ProxyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ProxyKind;

    #[test]
    fn spellings_round_trip() {
        for name in ProxyKind::NAMES {
            assert_eq!(ProxyKind::parse(name).map(ProxyKind::as_str), Some(*name));
        }
        assert_eq!(ProxyKind::parse("HTTP"), None);
    }
}
