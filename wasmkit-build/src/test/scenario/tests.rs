//! Reading valid scenarios: defaults, every section, and what the run
//! plan gets from each key.

use std::path::Path;

use wasmkit_core::{HostKind, ProxyKind};
use wasmkit_invoke::proxy_wasm::{CalloutAnswer, CloseFirst, GrpcAnswer, RedisAnswer};

use super::*;

fn parse_text(text: &str) -> Scenario {
    parse(
        Path::new("/w/p/scenarios/hello.toml"),
        "p/scenarios/hello.toml",
        text,
    )
    .unwrap_or_else(|ds| panic!("{ds}"))
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

#[test]
fn an_empty_file_is_a_get_of_slash_answered_200() {
    let s = parse_text("");
    assert_eq!(s.name, "hello");
    assert_eq!(s.hosts, None);
    assert_eq!(s.kind, None);
    assert_eq!(
        s.request.headers,
        pairs(&[
            (":authority", "example.com"),
            (":path", "/"),
            (":method", "GET"),
            (":scheme", "http"),
        ])
    );
    assert!(s.request.body.is_empty());
    assert_eq!(s.response.headers, pairs(&[(":status", "200")]));
    assert!(s.config.is_empty());
    assert_eq!(s.ticks, 0);
    assert!(s.expect.is_empty());
    assert!(s.callouts.clusters.is_empty() && s.callouts.otherwise.is_none());
}

#[test]
fn every_section_reaches_the_model() {
    let s = parse_text(
        r#"
name = "checkout"
hosts = ["higress", "envoy", "higress"]
kind = "http"
config = { limit = 3, tags = ["a"], nested = { on = true } }
root-id = "root_a"
vm-id = "vm_a"
ticks = 2
allow-on-headers-stop-iteration = true
properties = { "route_name" = "r1", "request.id" = "x", source.port = 8080, "flag" = true }

[request]
method = "POST"
path = "/cart"
headers = [["x-b", "1"], ["x-b", "2"]]
body-chunks = ["ab", "", "c"]
trailers = { "grpc-status" = "0" }

[response]
status = 503
headers = { "content-type" = "text/plain", "content-length" = "0" }

[callouts.auth]
status = 403
headers = { "x-reason" = "no" }
body = "denied"

[callouts.slow]
fail = "timeout"

[grpc.authz]
status = 7
message = "denied"

[redis.cache]
reply = "$2\r\nhi\r\n"

[redis.down]
fail = "network-error"

[expect]
outcome = "forwarded"
upstream-headers = { "X-B" = "2" }
log-absent = ["panic", "error"]
callouts = ["auth"]
"#,
    );
    assert_eq!(s.name, "checkout");
    assert_eq!(
        s.hosts.as_ref().map(|h| h.value.clone()),
        Some(vec![HostKind::Higress, HostKind::Envoy])
    );
    assert_eq!(s.kind.as_ref().map(|k| k.value), Some(ProxyKind::Http));
    assert_eq!(
        String::from_utf8(s.config.clone()).unwrap(),
        r#"{"limit":3,"nested":{"on":true},"tags":["a"]}"#
    );
    assert_eq!(
        (s.root_id.as_deref(), s.vm_id.as_deref()),
        (Some("root_a"), Some("vm_a"))
    );
    assert_eq!(s.ticks, 2);
    assert!(s.allow_on_headers_stop_iteration);
    assert_eq!(
        s.properties,
        vec![
            (vec!["route_name".to_string()], b"r1".to_vec()),
            (vec!["request".to_string(), "id".to_string()], b"x".to_vec()),
            (
                vec!["source".to_string(), "port".to_string()],
                8080i64.to_le_bytes().to_vec()
            ),
            (vec!["flag".to_string()], vec![1]),
        ]
    );
    assert_eq!(
        s.request.headers[4..],
        pairs(&[("x-b", "1"), ("x-b", "2"), ("content-length", "3")])
    );
    assert_eq!(
        s.request.headers[2],
        (":method".to_string(), "POST".to_string())
    );
    assert_eq!(
        s.request.body,
        vec![b"ab".to_vec(), Vec::new(), b"c".to_vec()]
    );
    assert_eq!(s.request.trailers, pairs(&[("grpc-status", "0")]));
    // A response that names its own length keeps it.
    assert_eq!(
        s.response.headers,
        pairs(&[
            (":status", "503"),
            ("content-type", "text/plain"),
            ("content-length", "0")
        ])
    );
    assert_eq!(
        s.callouts.clusters.get("auth"),
        Some(&CalloutAnswer::Response {
            status: 403,
            headers: pairs(&[("x-reason", "no")]),
            body: b"denied".to_vec(),
        })
    );
    assert_eq!(
        s.callouts.clusters.get("slow"),
        Some(&CalloutAnswer::Timeout)
    );
    assert_eq!(
        s.grpc.get("authz"),
        Some(&GrpcAnswer {
            status: 7,
            message: b"denied".to_vec()
        })
    );
    assert_eq!(
        s.redis.get("cache"),
        Some(&RedisAnswer::Response(b"$2\r\nhi\r\n".to_vec()))
    );
    assert_eq!(s.redis.get("down"), Some(&RedisAnswer::NetworkError));
    let names: Vec<String> = s.expect.iter().map(Expectation::name).collect();
    assert_eq!(
        names,
        [
            "outcome",
            "upstream-headers `X-B`",
            "log-absent \"panic\"",
            "log-absent \"error\"",
            "callouts",
        ]
    );
    assert_eq!(
        s.expect[4].expected,
        Expected::Callouts(vec!["auth".to_string()])
    );
    // Each check points at its own entry.
    let (line, column) = s.source.line_column(s.expect[1].span.start);
    assert_eq!((line, column), (43, 22));
}

#[test]
fn a_body_gets_a_length_unless_the_message_frames_itself() {
    let s = parse_text("[request]\nbody = \"hello\"\n");
    assert_eq!(
        s.request.headers.last(),
        Some(&("content-length".to_string(), "5".to_string()))
    );
    assert_eq!(s.request.body, vec![b"hello".to_vec()]);
    let s = parse_text(
        "[request]\nbody = \"hello\"\nheaders = { \"Transfer-Encoding\" = \"chunked\" }\n",
    );
    assert!(!s.request.headers.iter().any(|(k, _)| k == "content-length"));
    // An empty body is no body.
    let s = parse_text("[response]\nbody = \"\"\n");
    assert!(s.response.body.is_empty());
    assert_eq!(s.response.headers.len(), 1);
}

#[test]
fn network_traffic_and_the_parts_that_fit_one_kind() {
    let s = parse_text(
        "kind = \"network\"\n[network]\ndownstream = [\"ping\", \"\"]\nupstream = \"pong\"\nclose = \"upstream\"\n[expect]\nupstream-data = \"ping\"\nresponse-body = \"x\"\n",
    );
    assert_eq!(s.network.downstream, vec![b"ping".to_vec(), Vec::new()]);
    assert_eq!(s.network.upstream, vec![b"pong".to_vec()]);
    assert_eq!(s.network.close_first, CloseFirst::Upstream);
    let parts: Vec<(&str, &[ProxyKind])> = s
        .kind_parts
        .iter()
        .map(|p| (p.key.as_str(), p.fits))
        .collect();
    assert_eq!(
        parts,
        [
            ("[network]", &[ProxyKind::Network][..]),
            ("expect.upstream-data", &[ProxyKind::Network][..]),
            ("expect.response-body", &[ProxyKind::Http][..]),
        ]
    );
}

#[test]
fn a_configuration_file_is_read_beside_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.json"), b"{\"k\":1}").unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "config-file = \"c.json\"\nvm-config = \"vm\"\n").unwrap();
    let s = load(&path, "s.toml").unwrap();
    assert_eq!(s.config, b"{\"k\":1}");
    assert_eq!(s.vm_config, b"vm");
}
