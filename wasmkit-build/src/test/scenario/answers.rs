//! `[callouts.<cluster>]`, `[grpc.<cluster>]` and `[redis.<cluster>]`: how
//! the mock upstreams answer the plugin's HTTP callouts, gRPC calls and
//! (Higress) Redis calls, by cluster.

use std::collections::BTreeMap;

use wasmkit_invoke::proxy_wasm::{CalloutAnswer, Callouts, GrpcAnswer, RedisAnswer};

use super::message::{RESPONSE_PSEUDO, header_list};
use super::toml::{Entry, Reader};

const CALLOUT_KEYS: &[&str] = &["status", "headers", "body", "fail"];
const GRPC_KEYS: &[&str] = &["status", "message"];
const REDIS_KEYS: &[&str] = &["reply", "fail"];

/// Every `[callouts.<cluster>]`. A cluster not named is refused, as Envoy
/// refuses a cluster it does not know.
pub(super) fn callouts(reader: &mut Reader, entry: &Entry<'_>) -> Callouts {
    let mut clusters = BTreeMap::new();
    let Some(table) = reader.table(entry) else {
        return Callouts::default();
    };
    let fields = reader.fields(table, "callouts", &[]);
    for cluster in fields.all() {
        let Some(t) = reader.table(&cluster) else {
            continue;
        };
        let f = reader.fields(t, cluster.path, CALLOUT_KEYS);
        let answer = match f.get("fail") {
            Some(fail) => {
                if let Some(other) = ["status", "headers", "body"].iter().find_map(|k| f.get(k)) {
                    reader.conflict(
                        &fail,
                        &other,
                        "a failed callout has no response: remove `fail`, or the response's keys",
                    );
                }
                match reader.string(&fail).as_deref() {
                    Some("reset") => Some(CalloutAnswer::Reset),
                    Some("timeout") => Some(CalloutAnswer::Timeout),
                    Some(other) => {
                        reader.invalid(
                            fail.span.clone(),
                            format!("unknown failure `{other}`"),
                            "not a way a callout fails",
                            Some("`fail` is `reset` or `timeout`".to_string()),
                        );
                        None
                    }
                    None => None,
                }
            }
            None => Some(CalloutAnswer::Response {
                status: f
                    .get("status")
                    .and_then(|e| reader.integer(&e, 100..1000))
                    .map_or(200, |n| u16::try_from(n).unwrap_or(200)),
                headers: f
                    .get("headers")
                    .map(|e| header_list(reader, &e, RESPONSE_PSEUDO))
                    .unwrap_or_default(),
                body: f
                    .get("body")
                    .and_then(|e| reader.string(&e))
                    .unwrap_or_default()
                    .into_bytes(),
            }),
        };
        if let Some(answer) = answer {
            clusters.insert(cluster.key.to_string(), answer);
        }
    }
    Callouts {
        clusters,
        otherwise: None,
    }
}

/// Every `[grpc.<cluster>]`.
pub(super) fn grpc(reader: &mut Reader, entry: &Entry<'_>) -> BTreeMap<String, GrpcAnswer> {
    let mut out = BTreeMap::new();
    let Some(table) = reader.table(entry) else {
        return out;
    };
    let fields = reader.fields(table, "grpc", &[]);
    for cluster in fields.all() {
        let Some(t) = reader.table(&cluster) else {
            continue;
        };
        let f = reader.fields(t, cluster.path, GRPC_KEYS);
        let status = f
            .get("status")
            .and_then(|e| reader.integer(&e, 0..17))
            .map_or(0, |n| u32::try_from(n).unwrap_or(0));
        let message = f
            .get("message")
            .and_then(|e| reader.string(&e))
            .unwrap_or_default()
            .into_bytes();
        out.insert(cluster.key.to_string(), GrpcAnswer { status, message });
    }
    out
}

/// Every `[redis.<cluster>]`: the RESP reply (`reply = "+OK\r\n"`), or
/// `fail = "network-error"`. A cluster not named is refused, as Higress
/// refuses one it does not know.
pub(super) fn redis(reader: &mut Reader, entry: &Entry<'_>) -> BTreeMap<String, RedisAnswer> {
    let mut out = BTreeMap::new();
    let Some(table) = reader.table(entry) else {
        return out;
    };
    let fields = reader.fields(table, "redis", &[]);
    for cluster in fields.all() {
        let Some(t) = reader.table(&cluster) else {
            continue;
        };
        let f = reader.fields(t, cluster.path, REDIS_KEYS);
        let answer = match (f.get("reply"), f.get("fail")) {
            (Some(reply), Some(fail)) => {
                reader.conflict(
                    &reply,
                    &fail,
                    "a failed Redis call has no reply: remove `fail` or `reply`",
                );
                None
            }
            (Some(reply), None) => reader
                .string(&reply)
                .map(|r| RedisAnswer::Response(r.into_bytes())),
            (None, Some(fail)) => match reader.string(&fail).as_deref() {
                Some("network-error") => Some(RedisAnswer::NetworkError),
                Some(other) => {
                    reader.invalid(
                        fail.span.clone(),
                        format!("unknown failure `{other}`"),
                        "not a way a Redis call fails",
                        Some("`fail` is `network-error`".to_string()),
                    );
                    None
                }
                None => None,
            },
            (None, None) => Some(RedisAnswer::Response(b"+OK\r\n".to_vec())),
        };
        if let Some(answer) = answer {
            out.insert(cluster.key.to_string(), answer);
        }
    }
    out
}
