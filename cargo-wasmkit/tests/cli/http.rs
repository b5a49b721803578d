//! `invoke --http` and `verify --http` on the `http-handler` test component
//! (a `wasip2` crate handler): requests, curl's output options, outgoing
//! requests refused, answered or let through, and every way a handler can
//! fail. What people read is pinned in `snapshots/http/`.

use std::io::{Read, Write};
use std::net::TcpListener;

use snapbox::{file, str};

use crate::support::{Run, Scratch, echo, http_handler, wasmkit};

/// `invoke FILE --http LINE` with an isolated compile cache.
fn request(cache: &Scratch, line: &str) -> snapbox::cmd::Command {
    wasmkit()
        .arg("invoke")
        .env("WASMKIT_CACHE_DIR", cache.path())
        .arg(http_handler())
        .args(["--http", line])
}

#[test]
fn get_answers_with_path_and_query() {
    let cache = Scratch::empty();
    request(&cache, "GET /hello?name=wasm&x=1")
        .assert()
        .success()
        .stdout_eq(str![[r#"
GET /hello?name=wasm&x=1

"#]])
        .stderr_eq(str![]);
}

#[test]
fn post_echoes_its_body_and_include_shows_the_head() {
    let cache = Scratch::empty();
    request(&cache, "POST /echo")
        .args([
            "-H",
            "content-type: text/plain",
            "--data",
            "hello body",
            "-i",
        ])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/http/post-include.stdout"])
        .stderr_eq(str![]);
}

#[test]
fn data_from_a_file_is_sent_byte_for_byte() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    dir.write("body.bin", &bytes);
    let out = request(&cache, "PUT /upload")
        .current_dir(dir.path())
        .args(["--data", "@body.bin"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, bytes);

    request(&cache, "PUT /upload")
        .current_dir(dir.path())
        .args(["--data", "@missing.bin"])
        .assert()
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(file!["snapshots/http/data-missing-file.stderr"]);
}

#[test]
fn headers_authority_and_scheme_reach_the_handler() {
    let cache = Scratch::empty();
    request(&cache, "GET /headers")
        .args(["-H", "X-One: 1", "-H", "x-two:  two words "])
        .assert()
        .success()
        .stdout_eq(str!["x-one: 1\nx-two: two words"]);
    request(&cache, "GET /whoami")
        .args(["--authority", "api.example.com:8443", "--scheme", "https"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
https://api.example.com:8443

"#]]);
    request(&cache, "GET /whoami")
        .assert()
        .success()
        .stdout_eq(str![[r#"
http://localhost

"#]]);
}

#[test]
fn verbose_shows_the_request_and_response_heads_on_stderr() {
    let cache = Scratch::empty();
    request(&cache, "POST /echo?v=1")
        .args(["-v", "-H", "content-type: text/plain", "--data", "abc"])
        .assert()
        .success()
        .stdout_eq(str!["abc"])
        .stderr_eq(file!["snapshots/http/verbose.stderr"]);
}

#[test]
fn an_outgoing_request_is_refused_by_default_and_named() {
    let cache = Scratch::empty();
    request(&cache, "GET /relay/api.example.com/v1/items")
        .assert()
        .success()
        .stdout_eq(str![[r#"
outgoing request failed: ErrorCode::HttpRequestDenied

"#]])
        .stderr_eq(file!["snapshots/http/outbound-denied.stderr"]);
}

#[test]
fn upstream_answers_without_network_and_verbose_records_it() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write("items.json", "[1, 2, 3]");
    request(&cache, "GET /relay/api.example.com/v1/items")
        .current_dir(dir.path())
        .args(["-v", "-i", "--upstream", "api.example.com=201:@items.json"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/http/upstream.stdout"])
        .stderr_eq(file!["snapshots/http/upstream.stderr"]);
    // A status alone answers with an empty body.
    request(&cache, "GET /relay/api.example.com/")
        .args(["-i", "--upstream", "api.example.com=503"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
HTTP/1.1 503 Service Unavailable
x-handler: http-handler


"#]]);
}

#[test]
fn outgoing_requests_are_recorded_in_order_in_json() {
    let cache = Scratch::empty();
    let run = Run::of(
        &request(&cache, "GET /fanout/b.example,a.example,c.example")
            .args(["--message-format", "json"])
            .args([
                "--upstream",
                "a.example=200:a",
                "--upstream",
                "b.example=404",
            ])
            .output()
            .unwrap(),
    );
    run.expect_code(0);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 1, "one object: {}", run.stdout);
    let value = &lines[0];
    assert_eq!(value["status"], 200);
    assert_eq!(
        value["body"],
        "b.example 404\na.example 200\nc.example ErrorCode::HttpRequestDenied\n"
    );
    let outgoing: Vec<(String, serde_json::Value)> = value["outgoing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["authority"].as_str().unwrap().to_string(),
                o["outcome"].clone(),
            )
        })
        .collect();
    assert_eq!(
        outgoing,
        [
            ("b.example".to_string(), serde_json::json!({"status": 404})),
            ("a.example".to_string(), serde_json::json!({"status": 200})),
            ("c.example".to_string(), serde_json::json!({"denied": true})),
        ]
    );
    assert_eq!(
        value["outgoing"][0]["headers"],
        serde_json::json!([["host", "b.example"], ["x-relayed-by", "http-handler"]])
    );
    assert_eq!(value["diagnostics"][0]["code"], "outbound-denied");
    assert_eq!(value["diagnostics"].as_array().unwrap().len(), 1);
}

#[test]
fn json_gives_one_object_with_a_base64_body_when_not_utf8() {
    let cache = Scratch::empty();
    let run = Run::of(
        &request(&cache, "GET /binary")
            .args(["--message-format", "json"])
            .output()
            .unwrap(),
    );
    run.expect_code(0);
    assert_eq!(
        run.json_lines(),
        [serde_json::json!({
            "reason": "wasmkit-http-response",
            "request": {"method": "GET", "path_with_query": "/binary", "authority": "localhost", "scheme": "http"},
            "status": 200,
            "headers": [["x-handler", "http-handler"]],
            "body": "//4AgA==",
            "body_encoding": "base64",
            "outgoing": [],
            "diagnostics": [],
        })]
    );
}

/// A server on 127.0.0.1 that answers one request with `reply`, or, with
/// `None`, takes the connection and never answers.
fn local_server(reply: Option<&'static str>) -> (String, std::thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let authority = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        match reply {
            Some(reply) => conn.write_all(reply.as_bytes()).unwrap(),
            // Held open until the client gives up.
            None => while conn.read(&mut buf).is_ok_and(|n| n > 0) {},
        }
        seen
    });
    (authority, handle)
}

#[test]
fn allow_outbound_lets_one_authority_through_to_the_network() {
    let cache = Scratch::empty();
    let (authority, server) = local_server(Some(
        "HTTP/1.1 202 Accepted\r\ncontent-length: 12\r\nconnection: close\r\n\r\nfrom network",
    ));
    let run = Run::of(
        &request(&cache, &format!("GET /relay/{authority}/ping"))
            .args(["--allow-outbound", &authority, "-v"])
            .output()
            .unwrap(),
    );
    run.expect_code(0).expect_stderr(&format!(
        "* outgoing GET http://{authority}/ping: 202 from the network"
    ));
    assert_eq!(run.stdout, "from network");
    let seen = String::from_utf8(server.join().unwrap()).unwrap();
    assert!(seen.starts_with("GET /ping HTTP/1.1\r\n"), "{seen}");
    assert!(seen.contains("x-relayed-by: http-handler\r\n"), "{seen}");
}

#[test]
fn a_handler_waiting_on_the_host_is_stopped_at_its_time_limit() {
    let cache = Scratch::empty();
    let (authority, _server) = local_server(None);
    request(&cache, &format!("GET /relay/{authority}/slow"))
        .args(["--allow-outbound", &authority, "--timeout", "300ms"])
        .assert()
        .code(1)
        .stdout_eq(str![])
        .stderr_eq(file!["snapshots/http/timeout-waiting.stderr"]);
}

#[test]
fn a_spinning_handler_is_stopped_at_its_time_limit() {
    let cache = Scratch::empty();
    request(&cache, "GET /spin")
        .args(["--timeout", "200ms"])
        .assert()
        .code(1)
        .stdout_eq(str![])
        .stderr_eq(file!["snapshots/http/timeout-spinning.stderr"]);
}

#[test]
fn fuel_and_memory_limits_apply_to_requests() {
    let cache = Scratch::empty();
    request(&cache, "GET /big/100000")
        .args(["--fuel", "20000"])
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
error[out-of-fuel]: `wasi:http/incoming-handler.handle` ran out of fuel (20000 units)
 |
 = note: wasm backtrace:
...
 = help: raise the limit with `--fuel`, or leave it out


"#]]);
    request(&cache, "GET /")
        .args(["--max-memory", "64KiB"])
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
error[memory-limit]: `instantiation` tried to grow its memory to [..], beyond the cap of 64 KiB
...
"#]]);
}

#[test]
fn a_trap_no_response_and_fail_exit_1_with_the_reason() {
    let cache = Scratch::empty();
    request(&cache, "GET /trap")
        .assert()
        .code(1)
        .stdout_eq(str![])
        .stderr_eq(file!["snapshots/http/trap.stderr"]);
    request(&cache, "GET /no-response")
        .assert()
        .code(1)
        .stdout_eq(str![])
        .stderr_eq(file!["snapshots/http/no-response.stderr"]);
    // Any status is an answer: exit 0, unless `--fail`.
    request(&cache, "GET /status/404")
        .assert()
        .success()
        .stdout_eq(str![[r#"
status 404

"#]]);
    request(&cache, "GET /status/404")
        .arg("--fail")
        .assert()
        .code(1)
        .stdout_eq(str![[r#"
status 404

"#]])
        .stderr_eq(file!["snapshots/http/fail.stderr"]);
    request(&cache, "GET /status/399")
        .arg("--fail")
        .assert()
        .success();
}

#[test]
fn the_body_streams_and_the_handlers_prints_go_to_stderr() {
    let cache = Scratch::empty();
    let out = request(&cache, "GET /big/3000000").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), 3_000_000);
    assert!(out.stdout[..26].eq(b"abcdefghijklmnopqrstuvwxyz"));
    request(&cache, "GET /log")
        .assert()
        .success()
        .stdout_eq(str![[r#"
logged

"#]])
        .stderr_eq(str![[r#"
handler stdout line
handler stderr line

"#]]);
}

#[test]
fn list_names_the_handler_and_how_to_call_it() {
    let cache = Scratch::empty();
    wasmkit()
        .arg("invoke")
        .env("WASMKIT_CACHE_DIR", cache.path())
        .arg(http_handler())
        .arg("--list")
        .assert()
        .success()
        .stdout_eq(file!["snapshots/http/list.stdout"]);
}

#[test]
fn bad_requests_and_options_are_refused_before_running() {
    let cache = Scratch::empty();
    let refused = |args: &[&str]| {
        wasmkit()
            .arg("invoke")
            .env("WASMKIT_CACHE_DIR", cache.path())
            .arg(http_handler())
            .args(args)
            .assert()
            .code(2)
            .stdout_eq(str![])
    };
    refused(&["--http", "GET"]).stderr_eq(file!["snapshots/http/bad-line.stderr"]);
    refused(&["--http", "GET /", "-H", "no colon"])
        .stderr_eq(file!["snapshots/http/bad-header.stderr"]);
    refused(&["--http", "GET /", "--upstream", "api.example.com=OK"])
        .stderr_eq(file!["snapshots/http/bad-upstream.stderr"]);
    refused(&[
        "--http",
        "GET /",
        "--upstream",
        "a.example=200",
        "--allow-outbound",
        "a.example",
    ])
    .stderr_eq(file!["snapshots/http/upstream-and-allow.stderr"]);
    refused(&["--http", "GET /", "--authority", "a b"])
        .stderr_eq(file!["snapshots/http/bad-authority.stderr"]);
    // HTTP options need `--http`.
    wasmkit()
        .arg("invoke")
        .arg(http_handler())
        .args(["-H", "x: 1"])
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error: the following required arguments were not provided:
  --http <METHOD PATH>

Usage: cargo wasmkit invoke --http <METHOD PATH> --header <NAME: VALUE> --color <WHEN> <FILE|CALL>...

For more information, try '--help'.

"#]]);
}

#[test]
fn only_http_handlers_take_requests() {
    let cache = Scratch::empty();
    wasmkit()
        .arg("invoke")
        .env("WASMKIT_CACHE_DIR", cache.path())
        .arg(echo())
        .args(["--http", "GET /"])
        .assert()
        .code(2)
        .stderr_eq(file!["snapshots/http/not-a-handler.stderr"]);
    let dir = Scratch::empty();
    dir.write("plain.wat", "(module (func (export \"f\")))");
    wasmkit()
        .arg("invoke")
        .env("WASMKIT_CACHE_DIR", cache.path())
        .current_dir(dir.path())
        .args(["plain.wat", "--http", "GET /"])
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error[not-an-http-handler]: `plain.wat` is a core module, which cannot take HTTP requests
 |
 = help: `--http` sends requests to components that export `wasi:http/incoming-handler`


"#]]);
    request(&cache, "GET /")
        .arg("f()")
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error[usage]: `--http` sends a request; it takes no WAVE calls, but `f()` was given
 |
 = help: leave out the calls, or `--http`


"#]]);
}

#[test]
fn verify_accepts_the_handler_and_makes_http_checks() {
    let cache = Scratch::empty();
    let handler = http_handler();
    let dir = handler.parent().unwrap();
    let verify = || {
        wasmkit()
            .arg("verify")
            .env("WASMKIT_CACHE_DIR", cache.path())
            .current_dir(dir)
            .arg("http_handler.wasm")
    };
    verify()
        .assert()
        .success()
        .stderr_eq(str![[r#"
    Verified http_handler.wasm (component, exports wasi:http/incoming-handler@0.2.12, host wasmtime, [..]) in [..]ms

"#]]);
    verify()
        .args(["--http", "GET /health -> 200", "--http", "POST /x -> 200"])
        .args([
            "--http",
            "GET /status/503 -> 200",
            "--http",
            "GET /relay/db.internal/ -> 502",
        ])
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/http/verify-checks.stderr"]);
    verify()
        .args(["--http", "GET / => 200"])
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error[invalid-option]: invalid `--http 'GET / => 200'`: expected `METHOD PATH -> STATUS`, such as `GET /health -> 200`


"#]]);
}
