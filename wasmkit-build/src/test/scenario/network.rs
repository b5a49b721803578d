//! `[network]`: a network filter's connection, its data chunks each way
//! and which side closes first.

use wasmkit_invoke::proxy_wasm::{CloseFirst, NetworkTraffic};

use super::toml::{Entry, Reader};

const NETWORK_KEYS: &[&str] = &["downstream", "upstream", "close"];

pub(super) fn read(reader: &mut Reader, entry: &Entry<'_>) -> NetworkTraffic {
    let Some(table) = reader.table(entry) else {
        return NetworkTraffic::default();
    };
    let fields = reader.fields(table, "network", NETWORK_KEYS);
    let mut chunks = |key: &str| -> Vec<Vec<u8>> {
        fields
            .get(key)
            .and_then(|e| reader.strings(&e, true))
            .unwrap_or_default()
            .into_iter()
            .map(|(s, _)| s.into_bytes())
            .collect()
    };
    let downstream = chunks("downstream");
    let upstream = chunks("upstream");
    let close_first = match fields.get("close") {
        None => CloseFirst::Downstream,
        Some(e) => match reader.string(&e).as_deref() {
            Some("downstream") | None => CloseFirst::Downstream,
            Some("upstream") => CloseFirst::Upstream,
            Some(other) => {
                reader.invalid(
                    e.span.clone(),
                    format!("unknown side `{other}`"),
                    "not a side of the connection",
                    Some(
                        "`close` is `downstream` or `upstream`: the side that closes first".into(),
                    ),
                );
                CloseFirst::Downstream
            }
        },
    };
    NetworkTraffic {
        downstream,
        upstream,
        close_first,
    }
}
