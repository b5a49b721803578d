//! The proxy-wasm checks and mock host, against real modules: Rust plugins
//! built from the repository's `tests/fixtures/proxy-guests/` (the
//! proxy-wasm SDK, and a raw-ABI plugin whose marker depends on a tag) and
//! WAT modules in this crate's `tests/fixtures/proxy-wasm/`, each verified
//! against the `envoy` or `higress` profile.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use wasmkit_core::{Code, HostKind, codes};
use wasmkit_invoke::input::WasmInput;
use wasmkit_invoke::limits::Limits;
use wasmkit_invoke::proxy_wasm::{
    LogSource, ProxyWasmOptions, ProxyWasmReport, RequestOutcome, is_proxy_wasm, verify_proxy_wasm,
};
use wasmkit_invoke::runtime::{Compiled, Runtime, RuntimeOptions};

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Runtime::new(&RuntimeOptions {
            fuel: false,
            timeouts: true,
            cache_dir: None,
            ..RuntimeOptions::default()
        })
        .expect("engine")
    })
}

fn limits() -> Limits {
    Limits {
        timeout: Some(Duration::from_millis(500)),
        fuel: None,
        max_memory: 64 << 20,
    }
}

fn verify_with(bytes: &[u8], host: HostKind, config: Option<&[u8]>) -> ProxyWasmReport {
    let input = WasmInput::from_bytes(Path::new("fixture.wasm"), bytes.to_vec()).expect("wasm");
    let (compiled, _) = runtime().compile(&input).expect("compiles");
    let Compiled::Module(module) = compiled else {
        panic!("expected a core module");
    };
    let options = ProxyWasmOptions {
        host,
        config,
        vm_config: None,
        limits: limits(),
    };
    verify_proxy_wasm(runtime(), &module, &options)
}

fn verify(bytes: &[u8], host: HostKind) -> ProxyWasmReport {
    verify_with(bytes, host, None)
}

fn fixture_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/proxy-wasm")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn wat(name: &str) -> Vec<u8> {
    wat_text(&fixture_text(name))
}

fn wat_text(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("fixture parses")
}

/// The diagnostics with this code, failing with the whole report when none.
fn diagnostics(report: &ProxyWasmReport, code: Code) -> Vec<&wasmkit_core::Diagnostic> {
    let found: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect();
    assert!(
        !found.is_empty(),
        "no `{code}` diagnostic in:\n{}",
        render(report)
    );
    found
}

fn render(report: &ProxyWasmReport) -> String {
    let mut text = format!(
        "outcome: {:?}\nchecks: {:#?}\n",
        report.outcome, report.checks
    );
    for d in &report.diagnostics {
        text.push_str(&d.render(false));
        text.push('\n');
    }
    text
}

fn assert_clean(report: &ProxyWasmReport) {
    assert!(
        !report.has_errors(),
        "unexpected errors:\n{}",
        render(report)
    );
    assert!(
        report.checks.iter().all(|c| c.passed),
        "failed checks:\n{}",
        render(report)
    );
}

fn stalled_at(report: &ProxyWasmReport) -> &str {
    match &report.outcome {
        Some(RequestOutcome::Stalled { at, .. }) => at,
        other => panic!("expected a stall, got {other:?}\n{}", render(report)),
    }
}

/// The Rust fixtures, built once per test process.
struct Guests {
    sdk_good: Vec<u8>,
    sdk_wait_body: Vec<u8>,
    /// raw-wait-body marked 0_2_0 (no tag), 0_2_1 and 0_2_100.
    raw: [(&'static str, Vec<u8>); 3],
}

fn guests() -> &'static Guests {
    static GUESTS: OnceLock<Guests> = OnceLock::new();
    GUESTS.get_or_init(build_guests)
}

fn build_guests() -> Guests {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let manifest = root.join("tests/fixtures/proxy-guests/Cargo.toml");
    let target_dir = root.join("target/wasmkit-tests");
    let out_dir = target_dir.join("wasm32-wasip1/release");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let build = |args: &[&str]| {
        let status = Command::new(&cargo)
            .args([
                "build",
                "--locked",
                "--release",
                "--target",
                "wasm32-wasip1",
            ])
            .arg("--manifest-path")
            .arg(&manifest)
            .args(args)
            .env("CARGO_TARGET_DIR", &target_dir)
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "building the proxy-wasm guests failed: {args:?}"
        );
    };
    let read =
        |path: PathBuf| std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    build(&["-p", "sdk-good", "-p", "sdk-wait-body"]);
    let sdk_good = read(out_dir.join("sdk_good.wasm"));
    let sdk_wait_body = read(out_dir.join("sdk_wait_body.wasm"));
    // One artifact path for every tag: read each right after its build.
    let mut raw = Vec::new();
    for (marker, features) in [
        ("0_2_0", None),
        ("0_2_1", Some("proxy_wasm_version_0_2_1")),
        ("0_2_100", Some("proxy_wasm_version_0_2_100")),
    ] {
        let mut args = vec!["-p", "raw-wait-body"];
        if let Some(features) = features {
            args.extend(["--features", features]);
        }
        build(&args);
        raw.push((marker, read(out_dir.join("raw_wait_body.wasm"))));
    }
    let raw: [(&'static str, Vec<u8>); 3] = raw.try_into().expect("three builds");
    Guests {
        sdk_good,
        sdk_wait_body,
        raw,
    }
}

// ---------------------------------------------------------------------------
// Plugins built with the proxy-wasm SDK.

#[test]
fn sdk_plugin_that_never_pauses_passes_against_envoy() {
    let report = verify_with(&guests().sdk_good, HostKind::Envoy, Some(b"hello"));
    assert_clean(&report);
    assert_eq!(report.abi.as_deref(), Some("0.2.1"));
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    let exchange = report.exchange.as_ref().expect("a request ran");
    assert_eq!(exchange.request_header("x-sdk-good"), Some("seen"));
    assert_eq!(exchange.response_header("x-wasmkit"), Some("sdk-good"));
    let messages: Vec<&str> = report.logs.iter().map(|l| l.message.as_str()).collect();
    assert!(
        messages.contains(&"sdk-good: configured with 5 bytes"),
        "{messages:#?}"
    );
    assert!(
        messages.contains(
            &"sdk-good: request #2 for /v1/chat/completions (property /v1/chat/completions, configured true)"
        ),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("sdk-good: request body of "))
    );
    assert!(
        messages.contains(&"sdk-good: done with status 200"),
        "{messages:#?}"
    );
    // The recorded calls say where they happened and what they carried.
    let path = report
        .calls_to("proxy_get_header_map_value")
        .find(|c| c.argument("key") == Some(":path"))
        .expect("the plugin read :path");
    assert_eq!(path.callback, "proxy_on_request_headers");
    assert_eq!(path.context_id, 2);
    assert_eq!(path.status_name, Some("Ok"));
    assert_eq!(
        path.returned.as_ref().and_then(|v| v.as_str()),
        Some("/v1/chat/completions")
    );
    let config = report
        .calls_to("proxy_get_buffer_bytes")
        .find(|c| c.callback == "proxy_on_configure")
        .expect("the plugin read its configuration");
    assert_eq!(config.argument("buffer"), Some("plugin-configuration"));
    assert_eq!(
        config.returned.as_ref().and_then(|v| v.as_str()),
        Some("hello")
    );
}

#[test]
fn sdk_plugin_that_pauses_for_its_body_stalls_against_envoy() {
    let report = verify(&guests().sdk_wait_body, HostKind::Envoy);
    assert_eq!(report.abi.as_deref(), Some("0.2.1"));
    assert_eq!(stalled_at(&report), "proxy_on_request_headers");
    let stall = diagnostics(&report, codes::REQUEST_STALLED)[0];
    assert!(
        stall.notes[0].contains(
            "the request-headers callback returned StopIteration with a body still to come; \
             this host (envoy), for ABI 0.2.1 modules, turns that into stop-all-iteration, \
             so the body callback is never called and the request hangs"
        ),
        "{}",
        stall.render(false)
    );
    assert!(
        stall
            .help
            .iter()
            .any(|h| h.contains("do not stop in the headers callback"))
    );
    // The body callback never ran: nothing was called from it.
    assert!(
        report
            .host_calls
            .iter()
            .all(|c| c.callback != "proxy_on_request_body")
    );
    assert!(
        report
            .logs
            .iter()
            .any(|l| l.message == "sdk-wait-body: waiting for the JSON body")
    );
    assert_eq!(report.check("request").map(|c| c.passed), Some(false));
}

// ---------------------------------------------------------------------------
// A raw-ABI plugin whose marker depends on a tag.

#[test]
fn raw_plugin_marked_by_its_tag_stalls_or_completes_by_host() {
    for (marker, bytes) in &guests().raw {
        let version = marker.replace('_', ".");
        // Against upstream Envoy: 0.2.0 and 0.2.1 stall; 0.2.100 is refused.
        let envoy = verify(bytes, HostKind::Envoy);
        if *marker == "0_2_100" {
            let d = diagnostics(&envoy, codes::ABI_MARKER)[0];
            assert_eq!(
                d.message,
                "ABI marker `proxy_abi_version_0_2_100` is Higress-only: envoy refuses the module"
            );
            assert!(d.notes[0].contains("Missing or unknown Proxy-Wasm ABI version"));
            assert_eq!(envoy.outcome, None);
        } else {
            assert_eq!(stalled_at(&envoy), "proxy_on_request_headers", "{marker}");
        }
        let higress = verify(bytes, HostKind::Higress);
        assert_eq!(higress.abi.as_deref(), Some(version.as_str()));
        if *marker == "0_2_100" {
            assert_clean(&higress);
            assert_eq!(higress.outcome, Some(RequestOutcome::Completed));
            let exchange = higress.exchange.as_ref().expect("a request ran");
            assert_eq!(exchange.request_header("x-model-seen"), Some("yes"));
            assert!(
                higress
                    .logs
                    .iter()
                    .any(|l| l.message.starts_with("raw-wait-body: body of ")
                        && l.message.ends_with("model yes"))
            );
        } else {
            assert_eq!(stalled_at(&higress), "proxy_on_request_headers", "{marker}");
            let stall = diagnostics(&higress, codes::REQUEST_STALLED)[0];
            assert_eq!(
                stall.notes[0],
                format!(
                    "the request-headers callback returned StopIteration with a body still to \
                     come; this host (higress), for ABI {version} modules, turns that into \
                     stop-all-iteration, so the body callback is never called and the request hangs"
                )
            );
            assert_eq!(
                stall.help[0],
                "build with the tag that marks the module 0.2.100 for Higress \
                 (EXTRA_TAGS=proxy_wasm_version_0_2_100), or do not stop in the headers callback"
            );
            match &higress.outcome {
                Some(RequestOutcome::Stalled { reason, .. }) => assert_eq!(reason, &stall.notes[0]),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn wat_plugin_that_waits_for_its_body_follows_its_marker() {
    let text = fixture_text("wait-body.wat");
    for (marker, envoy_stalls, higress_stalls) in [
        ("0_2_0", true, true),
        ("0_2_1", true, true),
        ("0_2_100", false, false),
    ] {
        let bytes = wat_text(&text.replace(
            "proxy_abi_version_0_2_0",
            &format!("proxy_abi_version_{marker}"),
        ));
        let higress = verify(&bytes, HostKind::Higress);
        if higress_stalls {
            assert_eq!(stalled_at(&higress), "proxy_on_request_headers");
        } else {
            assert_clean(&higress);
            let exchange = higress.exchange.as_ref().expect("a request ran");
            assert_eq!(exchange.request_header("x-body-seen"), Some("yes"));
            // The body callback logged the body the host handed over.
            assert!(
                higress
                    .logs
                    .iter()
                    .any(|l| l.callback == "proxy_on_request_body"
                        && l.message.contains("\"model\":\"gpt-4o-mini\""))
            );
        }
        if envoy_stalls {
            assert_eq!(
                stalled_at(&verify(&bytes, HostKind::Envoy)),
                "proxy_on_request_headers"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Well-behaved WAT plugin.

#[test]
fn wat_plugin_that_never_pauses_passes_on_both_hosts() {
    for host in [HostKind::Envoy, HostKind::Higress] {
        let report = verify(&wat("good.wat"), host);
        assert_clean(&report);
        assert_eq!(report.outcome, Some(RequestOutcome::Completed));
        let exchange = report.exchange.as_ref().expect("a request ran");
        assert_eq!(exchange.request_header("x-good"), Some("yes"));
        assert_eq!(exchange.response_header("x-good"), Some("yes"));
        assert_eq!(exchange.response_header(":status"), Some("200"));
        let logged: Vec<&str> = report.logs.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(logged, ["/v1/chat/completions", "good: request seen"]);
        assert_eq!(report.logs[0].source, LogSource::ProxyLog);
        // Every check ran, in order.
        let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "abi-marker",
                "allocator",
                "reactor",
                "callbacks",
                "imports",
                "start",
                "vm-start",
                "configure",
                "request",
                "host-calls"
            ]
        );
        let json = serde_json::to_value(&report).expect("serializes");
        assert_eq!(json["outcome"]["kind"], "completed");
        assert_eq!(json["abi"], "0.2.1");
        assert!(json["host_calls"].as_array().is_some_and(|c| !c.is_empty()));
        assert!(json.get("diagnostics").is_none());
    }
}

// ---------------------------------------------------------------------------
// Static checks, one failing fixture each.

#[test]
fn module_without_a_marker_is_refused() {
    let report = verify(&wat("no-marker.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::ABI_MARKER)[0];
    assert_eq!(
        d.message,
        "the module has no proxy-wasm ABI marker (no `proxy_abi_version_*` export)"
    );
    assert!(d.notes[0].contains("\"Missing or unknown Proxy-Wasm ABI version\""));
    assert_eq!(report.abi, None);
    assert_eq!(report.outcome, None);
    assert_eq!(report.check("start").map(|c| c.passed), Some(false));
}

#[test]
fn module_with_two_markers_is_an_error_and_runs_as_the_first() {
    let report = verify(&wat("two-markers.wat"), HostKind::Higress);
    let d = diagnostics(&report, codes::ABI_MARKER)[0];
    assert_eq!(
        d.message,
        "the module exports 2 ABI markers: `proxy_abi_version_0_2_0`, `proxy_abi_version_0_2_100`"
    );
    assert!(
        d.notes[0]
            .contains("takes the first marker it knows in export order, `proxy_abi_version_0_2_0`")
    );
    assert_eq!(report.abi.as_deref(), Some("0.2.0"));
}

#[test]
fn higress_marker_against_envoy_is_refused() {
    let bytes = wat_text(
        &fixture_text("good.wat").replace("proxy_abi_version_0_2_1", "proxy_abi_version_0_2_100"),
    );
    let report = verify(&bytes, HostKind::Envoy);
    let d = diagnostics(&report, codes::ABI_MARKER)[0];
    assert!(
        d.message
            .contains("is Higress-only: envoy refuses the module"),
        "{}",
        d.message
    );
    assert!(d.help[0].contains("`--host higress`"));
    assert_eq!(report.abi.as_deref(), Some("0.2.100"));
    // The same module is fine for Higress.
    assert_clean(&verify(&bytes, HostKind::Higress));
}

#[test]
fn module_without_an_allocator_is_refused() {
    let report = verify(&wat("no-allocator.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::MISSING_ALLOCATOR)[0];
    assert_eq!(
        d.message,
        "the module exports no allocator: neither `proxy_on_memory_allocate` nor `malloc`"
    );
    assert!(d.notes[0].contains("\"Wasm module is missing malloc function.\""));
    assert_eq!(report.outcome, None);
}

#[test]
fn command_model_build_is_an_error_but_still_runs_its_start() {
    let report = verify(&wat("command-model.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::COMMAND_MODEL)[0];
    assert_eq!(
        d.message,
        "the module is built as a command: it exports `_start` but no `_initialize`"
    );
    assert!(
        d.help[0].contains("crate-type = [\"cdylib\"]"),
        "{:?}",
        d.help
    );
    // The host runs `_start` anyway, as a real one does.
    assert_eq!(report.logs[0].callback, "_start");
    assert_eq!(report.logs[0].message, "command: main ran");
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
}

#[test]
fn headers_callback_with_the_0_1_0_arity_in_a_0_2_0_module_is_refused() {
    let report = verify(&wat("wrong-arity.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::CALLBACK_SIGNATURE)[0];
    assert_eq!(
        d.message,
        "`proxy_on_request_headers` takes 2 parameter(s), but ABI 0.2.0 calls it with 3 \
         (context_id, num_headers, end_of_stream)"
    );
    assert!(d.notes[0].contains(
        "\"Bad function signature for: proxy_on_request_headers, want: i32 i32 i32 -> i32, \
         but the module exports: i32 i32 -> i32\""
    ));
    assert!(d.help[0].contains("proxy_abi_version_0_1_0"));
    assert_eq!(report.outcome, None);
    // Marked 0.1.0, the same callback fits.
    let as_0_1 = wat_text(
        &fixture_text("wrong-arity.wat")
            .replace("proxy_abi_version_0_2_0", "proxy_abi_version_0_1_0"),
    );
    assert!(
        verify(&as_0_1, HostKind::Envoy)
            .check("callbacks")
            .is_some_and(|c| c.passed)
    );
}

#[test]
fn higress_only_import_is_unprovided_by_envoy() {
    let report = verify(&wat("redis-import.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::UNPROVIDED_IMPORT)[0];
    assert_eq!(d.message, "`env.proxy_redis_call` is not provided by envoy");
    assert!(d.notes.iter().any(|n| n.contains("is a Higress extension")));
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("missing import: env.proxy_redis_call"))
    );
    assert_eq!(
        report.check("imports").map(|c| c.detail.as_str()),
        Some("1 of 1 import(s) not provided by envoy for ABI 0.2.1: env.proxy_redis_call")
    );
    assert_eq!(report.outcome, None);
    // Higress provides it; `verify` names no Redis cluster, so the call is
    // refused as Higress refuses a cluster it does not know.
    let higress = verify(&wat("redis-import.wat"), HostKind::Higress);
    assert!(!higress.has_errors(), "{}", render(&higress));
    let call = higress.calls_to("proxy_redis_call").next().expect("called");
    assert_eq!(call.status_name, Some("BadArgument"));
    assert_eq!(higress.callouts.len(), 1);
    assert_eq!(higress.callouts[0].kind, "redis");
    assert_eq!(higress.callouts[0].answer, "refused: unknown cluster");
}

#[test]
fn wasi_function_the_hosts_lack_is_unprovided() {
    let report = verify(&wat("wasi-unprovided.wat"), HostKind::Higress);
    let d = diagnostics(&report, codes::UNPROVIDED_IMPORT)[0];
    assert_eq!(
        d.message,
        "`wasi_snapshot_preview1.proc_raise` is not provided by higress"
    );
    assert!(d.notes[0].contains("fd_write"));
    assert_eq!(
        report
            .diagnostics
            .iter()
            .filter(|d| d.code == codes::UNPROVIDED_IMPORT)
            .count(),
        1
    );
}

// ---------------------------------------------------------------------------
// Callbacks under limits.

#[test]
fn endless_loop_in_a_callback_is_stopped_and_named() {
    let report = verify(&wat("endless-loop.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::TIMEOUT)[0];
    assert_eq!(
        d.message,
        "`proxy_on_request_headers` timed out after 500ms"
    );
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("[info] proxy_on_request_headers: loop: spinning"))
    );
    assert_eq!(
        report.outcome,
        Some(RequestOutcome::Failed {
            at: "proxy_on_request_headers".into()
        })
    );
}

#[test]
fn trap_in_a_callback_is_reported_with_its_backtrace_and_logs() {
    let report = verify(&wat("trap.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::TRAP)[0];
    assert!(
        d.message
            .starts_with("`proxy_on_request_headers` trapped: ")
            && d.message.contains("divide by zero"),
        "{}",
        d.message
    );
    let backtrace = d
        .notes
        .iter()
        .find(|n| n.starts_with("wasm backtrace:"))
        .expect("a backtrace");
    assert!(backtrace.contains("average_header_size"), "{backtrace}");
    assert!(d.notes.iter().any(|n| n.contains("trap: counting headers")));
    assert!(d.notes.iter().any(|n| n.contains("answered 503")));
}

#[test]
fn memory_blowup_in_a_callback_hits_the_cap_and_is_named() {
    let report = verify(&wat("memory-blowup.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::MEMORY_LIMIT)[0];
    assert!(
        d.message
            .starts_with("`proxy_on_request_headers` tried to grow its memory to ")
            && d.message.ends_with("beyond the cap of 64 MiB"),
        "{}",
        d.message
    );
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("blowup: caching everything"))
    );
}

// ---------------------------------------------------------------------------
// The lifecycle and the stream.

#[test]
fn rejected_configuration_shows_the_plugins_logs() {
    let report = verify_with(
        &wat("config-rejected.wat"),
        HostKind::Envoy,
        Some(b"{\"other\": 1}"),
    );
    let d = diagnostics(&report, codes::CONFIGURE_REJECTED)[0];
    assert_eq!(
        d.message,
        "the plugin rejected its configuration: `proxy_on_configure` returned false"
    );
    assert_eq!(d.notes[0], "it was given 12 byte(s) of configuration");
    let logs = d
        .notes
        .iter()
        .find(|n| n.starts_with("the plugin's log"))
        .expect("logs in a note");
    assert!(
        logs.contains("[warn] proxy_on_configure: {\"other\": 1}"),
        "{logs}"
    );
    assert!(
        logs.contains("[error] proxy_on_configure: config-rejected: missing \"required_field\""),
        "{logs}"
    );
    assert_eq!(report.outcome, None);
    assert_eq!(report.check("configure").map(|c| c.passed), Some(false));
}

#[test]
fn local_response_is_reported_with_its_status() {
    let report = verify(&wat("local-response.wat"), HostKind::Envoy);
    assert_clean(&report);
    assert_eq!(
        report.outcome,
        Some(RequestOutcome::LocalResponse {
            status: 403,
            body: "{\"error\":\"forbidden\"}".into(),
            at: "proxy_on_request_headers".into(),
        })
    );
    let exchange = report.exchange.as_ref().expect("a request ran");
    assert_eq!(exchange.response_header(":status"), Some("403"));
    assert_eq!(exchange.response_header("x-denied-by"), Some("test"));
    // Envoy sends the local response through this filter's response
    // callbacks; the request body is never delivered.
    assert!(
        report
            .logs
            .iter()
            .any(|l| l.callback == "proxy_on_response_headers")
    );
    assert!(
        report
            .host_calls
            .iter()
            .all(|c| c.callback != "proxy_on_request_body")
    );
    let send = report
        .calls_to("proxy_send_local_response")
        .next()
        .expect("sent");
    assert_eq!(send.arguments["status_code"], 403);
    assert_eq!(send.argument("details"), Some("denied"));
}

#[test]
fn http_callout_is_answered_and_the_plugin_resumes() {
    let report = verify(&wat("callout.wat"), HostKind::Envoy);
    assert_clean(&report);
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    let call = report
        .calls_to("proxy_http_call")
        .next()
        .expect("called out");
    assert_eq!(call.argument("upstream"), Some("auth-cluster"));
    assert_eq!(
        call.arguments["headers"][1],
        serde_json::json!([":path", "/check"])
    );
    // cpp-host `WasmBase::nextHttpCallId`: HTTP callout ids step by 4
    // from 0 (the low bits name the callout type).
    assert_eq!(call.returned, Some(serde_json::json!({ "token": 4 })));
    let body = report
        .calls_to("proxy_get_buffer_bytes")
        .find(|c| c.argument("buffer") == Some("http-call-response-body"))
        .expect("read the callout's body");
    assert_eq!(body.callback, "proxy_on_http_call_response");
    assert_eq!(body.context_id, 2, "after proxy_set_effective_context");
    assert_eq!(
        body.returned.as_ref().and_then(|v| v.as_str()),
        Some("{\"ok\":true,\"from\":\"wasmkit mock upstream\"}")
    );
    let resume = report
        .calls_to("proxy_continue_stream")
        .next()
        .expect("resumed");
    assert_eq!(resume.argument("stream"), Some("http-request"));
    assert_eq!(
        report
            .exchange
            .as_ref()
            .and_then(|e| e.request_header("x-auth")),
        Some("ok")
    );
}

#[test]
fn callout_response_that_resumes_from_the_root_context_stalls() {
    let text = fixture_text("callout.wat").replace(
        "(drop (call $set_effective_context (global.get $http)))",
        "",
    );
    let report = verify(&wat_text(&text), HostKind::Envoy);
    assert_eq!(stalled_at(&report), "proxy_on_request_headers");
    let stall = diagnostics(&report, codes::REQUEST_STALLED)[0];
    assert!(
        stall
            .notes
            .iter()
            .any(|n| n.contains("token 4 to `auth-cluster` /check: 200"))
    );
    assert!(stall.notes.iter().any(|n| n.contains(
        "`proxy_on_http_call_response` called `proxy_continue_stream` from the root context"
    )));
    assert_eq!(
        stall.help,
        [
            "in `proxy_on_http_call_response`, call `proxy_set_effective_context` with the HTTP \
          context's id before `proxy_continue_stream`, so that it acts on the request"
        ]
    );
    // Reading request headers without an HTTP context is the host's BadArgument.
    let add = report
        .calls_to("proxy_add_header_map_value")
        .next()
        .expect("tried");
    assert_eq!(add.status_name, Some("BadArgument"));
}

#[test]
fn body_callback_that_stops_at_end_of_stream_stalls() {
    let report = verify(&wat("body-stop-eos.wat"), HostKind::Higress);
    assert_eq!(stalled_at(&report), "proxy_on_request_body");
    let stall = diagnostics(&report, codes::REQUEST_STALLED)[0];
    assert_eq!(
        stall.message,
        "the request never completes: `proxy_on_request_body` stopped it at the end of the body and nothing resumed it"
    );
    assert!(stall.notes[0].starts_with(
        "the request-body callback returned StopIterationAndBuffer (1) at the end of the body"
    ));
    assert!(stall.help[0].contains("when `end_of_stream` is set"));
}

#[test]
fn bad_pointer_is_a_host_call_error_not_a_crash() {
    let report = verify(&wat("bad-pointer.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::HOST_CALL)[0];
    assert!(d.is_error());
    assert!(
        d.message
            .contains("passed `proxy_log` 16 byte(s) at 0xfffff000, outside its 65536-byte memory"),
        "{}",
        d.message
    );
    let call = report.calls_to("proxy_log").next().expect("recorded");
    assert_eq!(call.status, Some(6));
    assert_eq!(call.status_name, Some("InvalidMemoryAccess"));
    // The host answered and the request went on.
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    assert_eq!(report.check("host-calls").map(|c| c.passed), Some(false));
}

#[test]
fn host_calls_during_start_up_are_restricted() {
    let report = verify(&wat("start-restricted.wat"), HostKind::Envoy);
    let d = diagnostics(&report, codes::HOST_CALL)[0];
    assert_eq!(
        d.message,
        "`_initialize` called `proxy_get_property` during start-up, which envoy forbids"
    );
    assert!(d.notes[0].contains("restricted_callback"));
    assert_eq!(report.check("start").map(|c| c.passed), Some(false));
    assert_eq!(report.outcome, None);
}

// ---------------------------------------------------------------------------
// Edges.

#[test]
fn recognises_proxy_wasm_modules_only() {
    assert!(is_proxy_wasm(&wat("good.wat")));
    assert!(is_proxy_wasm(&wat("no-marker.wat")));
    assert!(!is_proxy_wasm(
        &wat::parse_str("(module (func (export \"add\")))").unwrap()
    ));
    assert!(!is_proxy_wasm(&wat::parse_str("(component)").unwrap()));
    assert!(!is_proxy_wasm(b""));
    assert!(!is_proxy_wasm(b"\0asm\x01\0\0\0\x07\xff"));
}

#[test]
fn wasmtime_host_and_unreadable_bytes_are_diagnosed() {
    let good = wat("good.wat");
    let report = verify(&good, HostKind::Wasmtime);
    assert_eq!(diagnostics(&report, codes::INVALID_OPTION).len(), 1);
    // The checks read the module wasmtime compiled, so no bytes can
    // disagree with it; the one reader of bytes left, the recognition,
    // takes unreadable bytes for what they are.
    for bytes in [&b""[..], b"\0asm\x01\0\0\0\x07\x05\x01", b"garbage"] {
        assert!(!is_proxy_wasm(bytes));
    }
    // The default options verify the compiled module.
    let input = WasmInput::from_bytes(Path::new("good.wasm"), good).unwrap();
    let Ok((Compiled::Module(module), _)) = runtime().compile(&input) else {
        panic!("compiles");
    };
    let options = ProxyWasmOptions::new(HostKind::Envoy);
    assert_clean(&verify_proxy_wasm(runtime(), &module, &options));
}

#[test]
fn hostile_host_calls_get_statuses_and_diagnostics() {
    let report = verify(&wat("hostile.wat"), HostKind::Envoy);
    // The host answered everything and the request went on.
    assert_eq!(
        report.outcome,
        Some(RequestOutcome::Completed),
        "{}",
        render(&report)
    );
    let statuses: Vec<(String, Option<&str>)> = report
        .host_calls
        .iter()
        .filter(|c| c.function != "proxy_add_header_map_value")
        .map(|c| (c.function.clone(), c.status_name))
        .collect();
    let expected: Vec<(String, Option<&str>)> = [
        ("proxy_send_local_response", "Ok"),
        ("proxy_log", "BadArgument"),
        ("proxy_get_header_map_value", "BadArgument"),
        ("proxy_get_header_map_value", "InvalidMemoryAccess"),
        ("proxy_get_header_map_value", "InvalidMemoryAccess"),
        // A map whose sizes overrun is read as empty: the trailers do not
        // exist before the body, so that is BadArgument.
        ("proxy_set_header_map_pairs", "BadArgument"),
        // No body yet: an empty buffer.
        ("proxy_get_buffer_bytes", "Ok"),
        // The plugin configuration exists only during `proxy_on_configure`.
        ("proxy_get_buffer_bytes", "NotFound"),
        ("proxy_get_buffer_bytes", "Ok"),
        // The VM configuration is read-only; no request body yet.
        ("proxy_set_buffer_bytes", "BadArgument"),
        // No body yet: Envoy's null buffer refuses writes
        // (`Buffer::copyFrom`, then cpp-host `BufferBase::copyFrom`).
        ("proxy_set_buffer_bytes", "BadArgument"),
        ("proxy_set_effective_context", "BadArgument"),
        ("proxy_done", "NotFound"),
        ("proxy_define_metric", "BadArgument"),
        ("proxy_increment_metric", "NotFound"),
        ("proxy_get_property", "NotFound"),
        ("proxy_continue_stream", "BadArgument"),
        ("wasi_snapshot_preview1.fd_write", "fault"),
        // cpp-host `writevImpl` reads every iovec it is told of: past
        // memory is EFAULT.
        ("wasi_snapshot_preview1.fd_write", "fault"),
        ("wasi_snapshot_preview1.random_get", "fault"),
    ]
    .into_iter()
    .map(|(f, s)| (f.to_string(), Some(s)))
    .collect();
    assert_eq!(statuses, expected);
    let messages: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::HOST_CALL)
        .map(|d| d.message.as_str())
        .collect();
    for expected in [
        "`proxy_on_configure` called `proxy_send_local_response` outside an HTTP context: it has no effect",
        "`proxy_on_configure` passed `proxy_send_local_response` a malformed header map",
        "`proxy_on_request_headers` passed `proxy_get_header_map_value` 4 byte(s) at 0xffff0000, outside its 1114112-byte memory",
        "`proxy_on_request_headers` gave `proxy_get_header_map_value` an out-pointer at 0xfffffff0 (4 byte(s)), outside its 1114112-byte memory",
        "`proxy_on_request_headers` passed `wasi_snapshot_preview1.fd_write` 100 byte(s) at 0xfffffff0, outside its 1114112-byte memory",
        "`proxy_on_request_headers` made the host keep more than 64 MiB (headers, bodies, shared data, queues, properties)",
    ] {
        assert!(
            messages.contains(&expected),
            "missing {expected:?} in {messages:#?}"
        );
    }
    // Past the budget, the host said so with a status.
    let adds: Vec<Option<&str>> = report
        .calls_to("proxy_add_header_map_value")
        .map(|c| c.status_name)
        .collect();
    assert_eq!(adds.len(), 100);
    assert_eq!(adds[0], Some("Ok"));
    assert_eq!(adds[99], Some("InternalFailure"));
    assert_eq!(report.check("host-calls").map(|c| c.passed), Some(false));
}
