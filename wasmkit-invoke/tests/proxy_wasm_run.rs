//! Runs driven by a `RunPlan` (`load` + `run`, what `cargo wasmkit test`
//! calls per scenario), against plugins built from the crates.io
//! `proxy-wasm` SDK in `tests/fixtures/proxy-scenario-guests/` (and
//! `proxy-guests/sdk-wait-body`) and WAT where the SDK
//! cannot reach the case: the plugin kinds, Envoy's header-map lifetimes,
//! body buffering, callouts answered per cluster and their failures, ticks
//! in virtual time, properties, and the headers callbacks' return values.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use wasmkit_core::{HostKind, codes};
use wasmkit_invoke::input::WasmInput;
use wasmkit_invoke::limits::Limits;
use wasmkit_invoke::proxy_wasm::{
    CalloutAnswer, GrpcAnswer, HostProfile, HttpMessage, PluginKind, ProxyWasmReport, RedisAnswer,
    RequestOutcome, RunPlan, load, run,
};
use wasmkit_invoke::runtime::{Compiled, Runtime, RuntimeOptions};

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Runtime::new(&RuntimeOptions {
            fuel: false,
            timeouts: true,
            cache_dir: None,
            opt_level: wasmkit_invoke::runtime::OptLevel::Auto,
        })
        .expect("engine")
    })
}

/// The SDK guests this file runs, built once.
struct Guests {
    service: Vec<u8>,
    network: Vec<u8>,
    scenarios: Vec<u8>,
    wait_body: Vec<u8>,
}

fn guests() -> &'static Guests {
    static GUESTS: OnceLock<Guests> = OnceLock::new();
    GUESTS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("root");
        let target_dir = root.join("target/wasmkit-tests");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let build = |workspace: &str, packages: &[&str]| {
            let status = Command::new(&cargo)
                .args([
                    "build",
                    "--locked",
                    "--release",
                    "--target",
                    "wasm32-wasip1",
                ])
                .arg("--manifest-path")
                .arg(
                    root.join("tests/fixtures")
                        .join(workspace)
                        .join("Cargo.toml"),
                )
                .args(packages.iter().flat_map(|p| ["-p", p]))
                .env("CARGO_TARGET_DIR", &target_dir)
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building {packages:?} failed");
        };
        build(
            "proxy-scenario-guests",
            &["sdk-service", "sdk-network", "sdk-scenarios"],
        );
        build("proxy-guests", &["sdk-wait-body"]);
        let read = |name: &str| {
            let path = target_dir.join("wasm32-wasip1/release").join(name);
            std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        Guests {
            service: read("sdk_service.wasm"),
            network: read("sdk_network.wasm"),
            scenarios: read("sdk_scenarios.wasm"),
            wait_body: read("sdk_wait_body.wasm"),
        }
    })
}

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("valid WAT")
}

fn plan(host: HostKind, kind: PluginKind) -> RunPlan {
    let mut plan = RunPlan::verify(HostProfile::new(host), kind);
    plan.limits = Limits {
        timeout: Some(Duration::from_millis(500)),
        fuel: None,
        max_memory: 64 << 20,
    };
    plan
}

/// The module compiled once per test binary, as the test command compiles
/// an artifact once per run.
fn module(bytes: &[u8]) -> wasmtime::Module {
    static MODULES: OnceLock<Mutex<HashMap<Vec<u8>, wasmtime::Module>>> = OnceLock::new();
    let modules = MODULES.get_or_init(Default::default);
    if let Some(module) = modules.lock().expect("not poisoned").get(bytes) {
        return module.clone();
    }
    let input = WasmInput::from_bytes(Path::new("plugin.wasm"), bytes.to_vec()).expect("wasm");
    let (compiled, _) = runtime().compile(&input).expect("compiles");
    let Compiled::Module(module) = compiled else {
        panic!("expected a core module");
    };
    modules
        .lock()
        .expect("not poisoned")
        .insert(bytes.to_vec(), module.clone());
    module
}

/// `load` then `run`, as the test command does.
fn run_plan(bytes: &[u8], plan: &RunPlan) -> ProxyWasmReport {
    let module = module(bytes);
    let loaded = load(&module, plan.host.kind);
    assert!(loaded.loadable(), "{:#?}", loaded.report.diagnostics);
    run(runtime(), &module, &loaded, plan)
}

/// The scenarios plugin in one of its modes.
fn scenario(mode: &str, plan: &mut RunPlan) -> ProxyWasmReport {
    plan.plugin_config = mode.as_bytes().to_vec();
    run_plan(&guests().scenarios, plan)
}

fn logs(report: &ProxyWasmReport) -> Vec<&str> {
    report.logs.iter().map(|l| l.message.as_str()).collect()
}

fn errors(report: &ProxyWasmReport) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// Plugin kinds.

#[test]
fn service_plugin_verifies_as_a_service_and_ticks_in_virtual_time() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Service);
    plan.ticks = 3;
    let report = run_plan(&guests().service, &plan);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(report.outcome, None);
    assert!(report.exchange.is_none() && report.connection.is_none());
    assert_eq!(
        logs(&report),
        [
            "sdk-service: started",
            "sdk-service: tick 1 at +5s",
            "sdk-service: tick 2 at +10s",
            "sdk-service: tick 3 at +15s",
        ]
    );
    assert!(report.check("request").is_none());
    assert_eq!(report.calls_to("proxy_get_header_map_value").count(), 0);
}

#[test]
fn service_plugin_run_as_an_http_filter_fails_and_says_to_set_proxy_kind() {
    let report = run_plan(&guests().service, &plan(HostKind::Envoy, PluginKind::Http));
    assert_eq!(
        report.outcome,
        Some(RequestOutcome::Failed {
            at: "proxy_on_context_create".into()
        })
    );
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .expect("an error");
    assert!(
        d.notes.iter().any(|n| n.contains(
            "the plugin's root context creates no HTTP context (\"missing ContextType on root_context\")"
        )),
        "{d:#?}"
    );
    assert_eq!(
        d.help,
        [
            "set the plugin's kind: `PROXY_KIND=service` in its `.buildrc` for a `WasmService` (an Envoy bootstrap extension), `PROXY_KIND=network` for a network filter (or `kind = ...` in a scenario)"
        ]
    );
}

#[test]
fn filters_run_as_the_other_kind_fail_and_say_which_kind_to_set() {
    let report = run_plan(&guests().network, &plan(HostKind::Envoy, PluginKind::Http));
    assert_eq!(
        report.outcome,
        Some(RequestOutcome::Failed {
            at: "proxy_on_request_headers".into()
        })
    );
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .expect("an error");
    assert!(
        d.notes.iter().any(|n| n == "the plugin's root context created a context of another type, so the SDK had none for `proxy_on_request_headers` (\"invalid context_id\"): it is not run as the kind it is"),
        "{d:#?}"
    );
    assert!(d.help[0].contains("`PROXY_KIND=network` for a network filter"));
    let mut as_network = plan(HostKind::Envoy, PluginKind::Network);
    as_network.plugin_config = b"properties".to_vec();
    let report = run_plan(&guests().scenarios, &as_network);
    assert_eq!(
        report.outcome,
        Some(RequestOutcome::Failed {
            at: "proxy_on_new_connection".into()
        })
    );
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .expect("an error");
    assert!(d.help[0].starts_with(
        "set the plugin's kind: `PROXY_KIND=http` in its `.buildrc` for an HTTP filter"
    ));
}

#[test]
fn network_filter_gets_connection_events_and_data() {
    let report = run_plan(
        &guests().network,
        &plan(HostKind::Envoy, PluginKind::Network),
    );
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    let connection = report.connection.as_ref().expect("a connection ran");
    assert_eq!(connection.to_upstream, "PING WASMKIT\r\n");
    assert_eq!(connection.to_downstream, "PONG wasmkit\r\n");
    // Envoy: `onEvent(RemoteClose)`, then `onCloseTCP` (done, log, delete).
    assert_eq!(
        logs(&report),
        [
            "sdk-network: new connection",
            "sdk-network: downstream 14 byte(s), end false",
            "sdk-network: upstream 14 byte(s), end false",
            "sdk-network: downstream closed (remote)",
            "sdk-network: logged",
        ]
    );
}

/// A network filter that logs what the connection's buffer holds and keeps
/// it there (StopIteration).
const HOLDING_FILTER: &str = r#"(module
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_new_connection") (param i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32)
    (drop (call $get_buffer (i32.const 2) (i32.const 0) (local.get 1) (i32.const 200) (i32.const 204)))
    (drop (call $log (i32.const 2) (i32.load (i32.const 200)) (i32.load (i32.const 204))))
    (i32.const 1)))"#;

#[test]
fn network_data_held_by_the_filter_joins_the_next_and_stalls_unresumed() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Network);
    plan.network.downstream = vec![b"ab".to_vec(), b"cd".to_vec()];
    let report = run_plan(&wat(HOLDING_FILTER), &plan);
    // Envoy's read buffer keeps what the filter stopped on; the next read
    // joins it (`Context::onData` sees the whole buffer).
    assert_eq!(logs(&report), ["ab", "abcd"]);
    assert_eq!(
        report.outcome,
        Some(RequestOutcome::Stalled {
            at: "proxy_on_downstream_data".into(),
            reason: "`proxy_on_downstream_data` returned StopIteration and nothing resumed the connection, so the client's data never went on".into(),
        })
    );
    assert_eq!(
        report.connection.as_ref().map(|c| c.to_upstream.as_str()),
        Some("")
    );
}

#[test]
fn network_upstream_close_arrives_with_its_last_data() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Network);
    plan.network.close_first = wasmkit_invoke::proxy_wasm::CloseFirst::Upstream;
    let report = run_plan(&guests().network, &plan);
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    // Envoy: `onWrite(end_stream)` → `onUpstreamConnectionClose(Unknown)`,
    // then done and delete, without the access log.
    assert_eq!(
        &logs(&report)[2..],
        [
            "sdk-network: upstream 14 byte(s), end true",
            "sdk-network: upstream closed (unknown)",
        ]
    );
}

// ---------------------------------------------------------------------------
// Header maps where Envoy holds them.

#[test]
fn request_headers_read_in_the_response_callback_fail_on_envoy_with_the_reason() {
    let report = scenario("late-read", &mut plan(HostKind::Envoy, PluginKind::Http));
    assert_eq!(
        report.outcome,
        Some(RequestOutcome::Failed {
            at: "proxy_on_response_headers".into()
        })
    );
    let read = report
        .calls_to("proxy_get_header_map_value")
        .find(|c| c.callback == "proxy_on_response_headers")
        .expect("read");
    assert_eq!(read.argument("map"), Some("request-headers"));
    assert_eq!(read.status_name, Some("BadArgument"));
    let failure = report
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .expect("the failure");
    assert!(
        failure.notes.iter().any(|n| n
            == "`proxy_on_response_headers` asked `proxy_get_header_map_value` for `:path` from the request headers, and the host answered BadArgument (2): Envoy dropped the request headers when `proxy_on_request_headers` returned Continue; the SDKs treat that status as fatal"),
        "{failure:#?}"
    );
    assert!(
        logs(&report)
            .iter()
            .any(|l| l.contains("unexpected status: 2"))
    );
}

#[test]
fn response_headers_written_in_the_body_callback_fail_with_the_reason() {
    let report = scenario("late-write", &mut plan(HostKind::Envoy, PluginKind::Http));
    assert_eq!(
        report.outcome,
        Some(RequestOutcome::Failed {
            at: "proxy_on_response_body".into()
        })
    );
    let failure = report
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .expect("the failure");
    assert!(
        failure.notes.iter().any(|n| n
            == "`proxy_on_response_body` asked `proxy_replace_header_map_value` for `x-late` from the response headers, and the host answered BadArgument (2): Envoy dropped the response headers when `proxy_on_response_headers` returned Continue; the SDKs treat that status as fatal"),
        "{failure:#?}"
    );
}

#[test]
fn trailers_follow_the_body_and_take_the_plugins_changes() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Http);
    plan.request.trailers = pairs(&[("x-checksum", "abc")]);
    let report = scenario("trailers", &mut plan);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    // With trailers to come, no body chunk ends the stream.
    assert_eq!(
        logs(&report)[1..],
        [
            "sdk-scenarios: request body 34 byte(s), end false",
            "sdk-scenarios: request body 40 byte(s), end false",
            "sdk-scenarios: request body 15 byte(s), end false",
            "sdk-scenarios: 1 request trailer(s)",
        ]
    );
    let exchange = report.exchange.as_ref().expect("ran");
    assert_eq!(
        exchange.request_trailers,
        pairs(&[("x-checksum", "abc"), ("x-trailer-seen", "yes")])
    );
}

#[test]
fn header_maps_are_readable_again_in_the_access_log() {
    let report = scenario("log-read", &mut plan(HostKind::Envoy, PluginKind::Http));
    assert_eq!(errors(&report), Vec::<String>::new());
    assert!(
        logs(&report)
            .contains(&"sdk-scenarios: logged Some(\"/v1/chat/completions\") Some(\"200\")"),
        "{:?}",
        logs(&report)
    );
}

// ---------------------------------------------------------------------------
// Bodies as the plan chunks them.

#[test]
fn response_body_paused_until_its_end_is_rewritten_whole() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Http);
    plan.response = HttpMessage {
        headers: pairs(&[(":status", "200"), ("content-length", "11")]),
        // Two chunks, then an empty final one.
        body: vec![b"hello ".to_vec(), b"world".to_vec(), Vec::new()],
        trailers: Vec::new(),
    };
    let report = scenario("rewrite-response", &mut plan);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    let exchange = report.exchange.as_ref().expect("ran");
    assert_eq!(exchange.response_body, "HELLO WORLD");
    assert_eq!(exchange.response_header("content-length"), None);
    // The last callback saw the buffered total, and read all of it.
    assert!(logs(&report).contains(&"sdk-scenarios: rewrote 11 byte(s)"));
    let read = report
        .calls_to("proxy_get_buffer_bytes")
        .find(|c| c.argument("buffer") == Some("http-response-body"))
        .expect("read the body");
    assert_eq!(read.arguments["max_size"], 11);
    assert_eq!(read.returned, Some(serde_json::json!("hello world")));
}

// ---------------------------------------------------------------------------
// Callouts answered per cluster.

fn gate(answer: Option<CalloutAnswer>) -> ProxyWasmReport {
    let mut plan = plan(HostKind::Envoy, PluginKind::Http);
    plan.callouts.otherwise = None;
    if let Some(answer) = answer {
        plan.callouts.clusters.insert("auth".into(), answer);
    }
    scenario("callout-gate", &mut plan)
}

fn answer(status: u16) -> Option<CalloutAnswer> {
    Some(CalloutAnswer::Response {
        status,
        headers: Vec::new(),
        body: Vec::new(),
    })
}

fn local(report: &ProxyWasmReport) -> (u32, &str) {
    match &report.outcome {
        Some(RequestOutcome::LocalResponse { status, body, .. }) => (*status, body),
        other => panic!("not a local response: {other:?}"),
    }
}

#[test]
fn callout_answer_decides_between_forwarding_and_403() {
    let ok = gate(answer(200));
    assert_eq!(ok.outcome, Some(RequestOutcome::Completed));
    let exchange = ok.exchange.as_ref().expect("ran");
    assert!(exchange.reached_upstream);
    assert_eq!(exchange.request_header("x-auth"), Some("ok"));
    assert_eq!(ok.callouts.len(), 1);
    assert_eq!(ok.callouts[0].cluster, "auth");
    assert_eq!(ok.callouts[0].answer, "200");

    let denied = gate(answer(401));
    assert_eq!(local(&denied), (403, "denied"));
    let exchange = denied.exchange.as_ref().expect("ran");
    assert!(!exchange.reached_upstream);
    assert_eq!(
        exchange.response_header("x-denied-by"),
        Some("sdk-scenarios")
    );
    assert_eq!(exchange.response_header("content-type"), Some("text/plain"));
}

#[test]
fn callout_reset_and_timeout_arrive_as_envoy_delivers_them() {
    let reset = gate(Some(CalloutAnswer::Reset));
    assert_eq!(local(&reset), (403, "denied"));
    assert_eq!(reset.callouts[0].answer, "reset");
    // `Context::onHttpCallFailure`: no response, and the status says why.
    assert!(
        logs(&reset).contains(&"sdk-scenarios: auth failed: status 11 Some(\"reset\")"),
        "{:?}",
        logs(&reset)
    );
    // The async client answers an expired timeout with a 504.
    let timeout = gate(Some(CalloutAnswer::Timeout));
    assert_eq!(local(&timeout), (403, "denied"));
    assert_eq!(timeout.callouts[0].answer, "timeout");
    assert!(logs(&timeout).contains(&"sdk-scenarios: auth answered Some(\"504\")"));
}

#[test]
fn callout_to_an_unknown_cluster_is_refused_and_recorded() {
    let report = gate(None);
    assert_eq!(local(&report), (503, "no auth"));
    assert_eq!(report.callouts.len(), 1);
    assert_eq!(report.callouts[0].token, None);
    assert_eq!(report.callouts[0].answer, "refused: unknown cluster");
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code == codes::HOST_CALL)
        .expect("explained");
    assert_eq!(
        d.message,
        "`proxy_on_request_headers` called out to cluster `auth`, which the host does not know"
    );
}

#[test]
fn grpc_calls_are_answered_per_cluster() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Http);
    plan.grpc.insert(
        "grpc-auth".into(),
        GrpcAnswer {
            status: 0,
            message: b"allowed".to_vec(),
        },
    );
    let report = scenario("grpc-gate", &mut plan);
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    let exchange = report.exchange.as_ref().expect("ran");
    assert_eq!(exchange.request_header("x-grpc"), Some("allowed"));
    assert_eq!(report.callouts[0].kind, "grpc");
    assert_eq!(report.callouts[0].body, "check me");
    assert_eq!(report.callouts[0].answer, "grpc-status 0");
    // A failing status closes the call; `proxy_get_status` gives it.
    plan.grpc.insert(
        "grpc-auth".into(),
        GrpcAnswer {
            status: 7,
            message: b"permission denied".to_vec(),
        },
    );
    let report = scenario("grpc-gate", &mut plan);
    assert_eq!(local(&report), (403, "denied"));
    assert!(
        logs(&report).contains(&"sdk-scenarios: grpc failed: status 7 Some(\"permission denied\")"),
        "{:?}",
        logs(&report)
    );
}

#[test]
fn higress_redis_override_and_injection_in_the_higress_profile() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/proxy-wasm/higress-extras.wat"),
    )
    .expect("fixture");
    let mut plan = plan(HostKind::Higress, PluginKind::Http);
    plan.redis.insert(
        "redis-cluster".into(),
        RedisAnswer::Response(b"$5\r\nhello\r\n".to_vec()),
    );
    let report = run_plan(&wat(&text), &plan);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    assert_eq!(logs(&report), ["$5\r\nhello\r\n"]);
    assert_eq!(report.callouts[0].kind, "redis");
    assert_eq!(report.callouts[0].body, "GET k");
    let exchange = report.exchange.as_ref().expect("ran");
    assert_eq!(
        exchange.upstream_override_host.as_deref(),
        Some("10.0.0.7:8080")
    );
    assert!(
        exchange.response_body.starts_with("extra{"),
        "{}",
        exchange.response_body
    );
    // Without an answer for the cluster, Higress refuses the call and
    // nothing resumes the request.
    plan.redis.clear();
    let report = run_plan(&wat(&text), &plan);
    assert!(matches!(
        report.outcome,
        Some(RequestOutcome::Stalled { .. })
    ));
    assert_eq!(report.callouts[0].answer, "refused: unknown cluster");
}

/// A service that calls out when the VM starts and logs the answer's
/// status.
const STARTUP_CALLOUT: &str = r#"(module
  (import "env" "proxy_http_call" (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "slow")
  ;; The headers as the ABI encodes them: count, sizes, then NUL-ended
  ;; names and values.
  (data (i32.const 64) "\03\00\00\00\07\00\00\00\03\00\00\00\05\00\00\00\01\00\00\00\0a\00\00\00\04\00\00\00:method\00GET\00:path\00/\00:authority\00slow\00")
  (data (i32.const 200) ":status")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $http_call (i32.const 0) (i32.const 4) (i32.const 64) (i32.const 64)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 2000) (i32.const 300)))
    (i32.const 1))
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32)
    (drop (call $get_header (i32.const 6) (i32.const 200) (i32.const 7) (i32.const 400) (i32.const 404)))
    (drop (call $log (i32.const 2) (i32.load (i32.const 400)) (i32.load (i32.const 404))))))"#;

#[test]
fn a_callout_timeout_expires_in_virtual_time_before_shutdown() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Service);
    plan.callouts.otherwise = None;
    plan.callouts
        .clusters
        .insert("slow".into(), CalloutAnswer::Timeout);
    let report = run_plan(&wat(STARTUP_CALLOUT), &plan);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(logs(&report), ["504"]);
    assert_eq!(report.callouts[0].answer, "timeout");
}

#[test]
fn a_plugin_that_always_calls_out_again_cannot_keep_the_run_going() {
    // Every answer starts another callout that only a timeout ends.
    let text = STARTUP_CALLOUT.replace(
        "(drop (call $log (i32.const 2) (i32.load (i32.const 400)) (i32.load (i32.const 404))))",
        "(drop (call $http_call (i32.const 0) (i32.const 4) (i32.const 64) (i32.const 64) \
           (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 2000) (i32.const 300)))",
    );
    let mut plan = plan(HostKind::Envoy, PluginKind::Service);
    plan.callouts.otherwise = Some(CalloutAnswer::Timeout);
    let report = run_plan(&wat(&text), &plan);
    assert_eq!(errors(&report), Vec::<String>::new());
    let stopped = report
        .diagnostics
        .iter()
        .find(|d| d.code == codes::HOST_CALL)
        .expect("a warning");
    assert_eq!(
        stopped.message,
        "the run stopped moving virtual time after 1000 timed events (callout timeouts and ticks)"
    );
}

const QUEUE_PLUGIN: &str = r#"(module
  (import "env" "proxy_register_shared_queue" (func $register (param i32 i32 i32) (result i32)))
  (import "env" "proxy_resolve_shared_queue" (func $resolve (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func $enqueue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $dequeue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "q")
  (data (i32.const 8) "hello")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $register (i32.const 0) (i32.const 1) (i32.const 100)))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $resolve (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 104)))
    (drop (call $enqueue (i32.load (i32.const 104)) (i32.const 8) (i32.const 5)))
    (i32.const 0))
  (func (export "proxy_on_queue_ready") (param i32 i32)
    (drop (call $dequeue (local.get 1) (i32.const 200) (i32.const 204)))
    (drop (call $log (i32.const 2) (i32.load (i32.const 200)) (i32.load (i32.const 204))))))"#;

#[test]
fn shared_queue_items_reach_the_root_that_registered_the_queue() {
    let report = run_plan(&wat(QUEUE_PLUGIN), &plan(HostKind::Envoy, PluginKind::Http));
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(logs(&report), ["hello"]);
    let dequeue = report
        .calls_to("proxy_dequeue_shared_queue")
        .next()
        .expect("dequeued");
    assert_eq!(dequeue.callback, "proxy_on_queue_ready");
    assert_eq!(dequeue.context_id, 1);
}

// ---------------------------------------------------------------------------
// Ticks in virtual time.

#[test]
fn request_parked_and_resumed_from_a_tick_completes() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Http);
    plan.ticks = 1;
    let report = scenario("tick-park", &mut plan);
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    assert!(logs(&report).contains(&"sdk-scenarios: resumed 2 from the tick"));
    // Without a tick, nothing resumes it.
    plan.ticks = 0;
    let report = scenario("tick-park", &mut plan);
    assert!(matches!(
        report.outcome,
        Some(RequestOutcome::Stalled { .. })
    ));
}

// ---------------------------------------------------------------------------
// Properties.

#[test]
fn properties_come_from_the_plan_then_the_host() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Http);
    plan.plugin_name = "props".into();
    plan.root_id = "props_root".into();
    plan.vm_id = "props_vm".into();
    plan.properties = vec![
        (vec!["xds".into(), "route_name".into()], b"r1".to_vec()),
        (vec!["wasmkit".into(), "custom".into()], b"yes".to_vec()),
    ];
    let report = scenario("properties", &mut plan);
    assert_eq!(errors(&report), Vec::<String>::new());
    let exchange = report.exchange.as_ref().expect("ran");
    let got: Vec<(&str, &str)> = exchange
        .request_headers
        .iter()
        .filter(|(k, _)| k.starts_with("x-prop-"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("x-prop-plugin_name", "props"),
            ("x-prop-plugin_root_id", "props_root"),
            ("x-prop-plugin_vm_id", "props_vm"),
            ("x-prop-xds.route_name", "r1"),
            ("x-prop-xds.cluster_name", "upstream"),
            // Current Envoy serves the xDS names under `xds.` only.
            ("x-prop-route_name", "absent"),
            ("x-prop-request.path", "/v1/chat/completions"),
            ("x-prop-request.method", "POST"),
            ("x-prop-source.address", "127.0.0.1:53142"),
            ("x-prop-destination.port", "10000"),
            ("x-prop-connection_id", "1"),
            ("x-prop-wasmkit.custom", "yes"),
        ]
    );
    assert_eq!(
        exchange.response_header("x-prop-response.code"),
        Some("200")
    );
}

// ---------------------------------------------------------------------------
// The headers callbacks' return values.

#[test]
fn stop_iteration_is_honoured_with_envoys_opt_in() {
    let mut plan = plan(HostKind::Envoy, PluginKind::Http);
    let report = run_plan(&guests().wait_body, &plan);
    assert!(matches!(
        report.outcome,
        Some(RequestOutcome::Stalled { .. })
    ));
    plan.host.allow_on_headers_stop_iteration = true;
    let report = run_plan(&guests().wait_body, &plan);
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    let exchange = report.exchange.as_ref().expect("ran");
    assert_eq!(exchange.request_header("x-has-model"), Some("yes"));
}

/// A filter whose request-headers callback returns `RET` and whose body
/// callback logs "body".
fn returning(value: u32) -> Vec<u8> {
    wat(&format!(
        r#"(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "body")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const {value}))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 0) (i32.const 4)))
    (i32.const 0)))"#
    ))
}

#[test]
fn headers_status_values_map_as_each_host_maps_them() {
    let envoy = plan(HostKind::Envoy, PluginKind::Http);
    let higress = plan(HostKind::Higress, PluginKind::Http);
    // ContinueAndEndStream: Envoy's `convertFilterHeadersStatus` has no case
    // for it and continues; Higress ends the stream there.
    let report = run_plan(&returning(2), &envoy);
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    assert_eq!(logs(&report), ["body"; 3]);
    let report = run_plan(&returning(2), &higress);
    assert_eq!(report.outcome, Some(RequestOutcome::Completed));
    assert_eq!(logs(&report), Vec::<&str>::new());
    // Past StopAllIterationAndWatermark: cpp-host stops everything.
    let report = run_plan(&returning(7), &envoy);
    assert!(matches!(
        report.outcome,
        Some(RequestOutcome::Stalled { .. })
    ));
    assert_eq!(logs(&report), Vec::<&str>::new());
}

// ---------------------------------------------------------------------------
// WASI and start-up as current cpp-host has them.

const WASI_PLUGIN: &str = r#"(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "__main_void")
    (drop (call $env_sizes (i32.const 0) (i32.const 4)))
    (drop (call $env_get (i32.const 16) (i32.const 64)))
    ;; The first variable, without its NUL.
    (drop (call $log (i32.const 2) (i32.load (i32.const 16))
      (i32.sub (i32.load (i32.const 4)) (i32.const 1)))))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $poll (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 8)))
    (drop (call $yield))
    (i32.const 1)))"#;

#[test]
fn wasi_calls_and_main_void_work_as_in_current_cpp_host() {
    let mut envoy = plan(HostKind::Envoy, PluginKind::Service);
    envoy.environment = vec![("GREETING".into(), "hello".into())];
    let report = run_plan(&wat(WASI_PLUGIN), &envoy);
    assert_eq!(errors(&report), Vec::<String>::new());
    assert_eq!(
        report.check("start").map(|c| c.detail.as_str()),
        Some("`_initialize` and `__main_void` ran")
    );
    assert_eq!(logs(&report), ["GREETING=hello"]);
    for function in [
        "wasi_snapshot_preview1.poll_oneoff",
        "wasi_snapshot_preview1.sched_yield",
    ] {
        let call = report.calls_to(function).next().expect("called");
        assert_eq!(call.status, Some(0), "{function}");
    }
    // The Higress fork looks up `main` only.
    let mut higress = envoy.clone();
    higress.host = HostProfile::new(HostKind::Higress);
    let report = run_plan(&wat(WASI_PLUGIN), &higress);
    assert_eq!(
        report.check("start").map(|c| c.detail.as_str()),
        Some("`_initialize` ran")
    );
    assert_eq!(logs(&report), Vec::<&str>::new());
}

// ---------------------------------------------------------------------------
// Metrics, with Envoy's checks on the arguments.

const METRICS_PLUGIN: &str = r#"(module
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment (param i32 i64) (result i32)))
  (import "env" "proxy_record_metric" (func $record (param i32 i64) (result i32)))
  (import "env" "proxy_get_metric" (func $get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hits")
  (data (i32.const 8) "latency")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $define (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 100)))
    (drop (call $increment (i32.load (i32.const 100)) (i64.const 0)))
    (drop (call $increment (i32.load (i32.const 100)) (i64.const 3)))
    (drop (call $get (i32.load (i32.const 100)) (i32.const 200)))
    (drop (call $define (i32.const 2) (i32.const 8) (i32.const 7) (i32.const 104)))
    (drop (call $increment (i32.load (i32.const 104)) (i64.const 1)))
    (drop (call $record (i32.load (i32.const 104)) (i64.const 5)))
    (drop (call $get (i32.load (i32.const 104)) (i32.const 200)))
    (drop (call $define (i32.const 3) (i32.const 0) (i32.const 4) (i32.const 108)))
    (drop (call $increment (i32.const 12) (i64.const 1)))
    (i32.const 1)))"#;

#[test]
fn metrics_are_checked_as_envoy_checks_them() {
    let report = run_plan(
        &wat(METRICS_PLUGIN),
        &plan(HostKind::Envoy, PluginKind::Service),
    );
    let calls: Vec<(&str, Option<&str>, Option<&serde_json::Value>)> = report
        .host_calls
        .iter()
        .map(|c| (c.function.as_str(), c.status_name, c.returned.as_ref()))
        .collect();
    let id = |n: u32| serde_json::json!(n);
    assert_eq!(
        calls,
        [
            // Ids carry the type in the low two bits and step by 4.
            ("proxy_define_metric", Some("Ok"), Some(&id(4))),
            // A counter only goes up (`Context::incrementMetric`).
            ("proxy_increment_metric", Some("BadArgument"), None),
            ("proxy_increment_metric", Some("Ok"), None),
            ("proxy_get_metric", Some("Ok"), Some(&id(3))),
            ("proxy_define_metric", Some("Ok"), Some(&id(6))),
            // A histogram is recorded, never incremented or read.
            ("proxy_increment_metric", Some("BadArgument"), None),
            ("proxy_record_metric", Some("Ok"), None),
            ("proxy_get_metric", Some("BadArgument"), None),
            // Past Histogram is no type (`Context::defineMetric`).
            ("proxy_define_metric", Some("BadArgument"), None),
            // A counter id never defined.
            ("proxy_increment_metric", Some("NotFound"), None),
        ]
    );
}
