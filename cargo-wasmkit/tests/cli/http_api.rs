//! The library API that HTTP scenarios use (`wasmkit_invoke::http`): one
//! handler compiled once, a fresh instance per request, upstream answers
//! (responses and failures) per authority, and the outgoing requests
//! recorded in order.

use wasmkit_invoke::http::{
    HttpHandler, HttpRequest, OutgoingOutcome, UpstreamAnswer, UpstreamFailure, Upstreams,
};
use wasmkit_invoke::imports::Provider;
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{OutputSink, Runtime, RuntimeOptions, Session, SessionOptions, WasmInput};

use crate::support::http_handler;

fn handler() -> HttpHandler {
    let runtime = Runtime::new(&RuntimeOptions {
        fuel: false,
        timeouts: true,
        cache_dir: None,
    })
    .unwrap();
    let input = WasmInput::read(&http_handler()).unwrap();
    let Compiled::Component(component) = runtime.compile(&input).unwrap().0 else {
        panic!("a component")
    };
    let catalog = Session::catalog(
        &runtime,
        &Compiled::Component(component.clone()),
        &input,
        &SessionOptions::default(),
    )
    .unwrap();
    let unprovided: Vec<&str> = catalog
        .imports
        .iter()
        .filter(|i| i.provider != Provider::Wasi)
        .map(|i| i.name.as_str())
        .collect();
    assert!(
        unprovided.is_empty(),
        "the profile provides every import, not {unprovided:?}"
    );
    HttpHandler::new(
        &runtime,
        &component,
        &SessionOptions::default(),
        OutputSink::capture(1 << 16),
    )
    .unwrap()
}

#[test]
fn each_request_gets_a_fresh_instance() {
    let handler = handler();
    for _ in 0..3 {
        let outcome = handler.handle(&HttpRequest::new("GET", "/count"), &Upstreams::new());
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
        assert_eq!(outcome.response.unwrap().body, b"1\n");
    }
}

#[test]
fn upstream_answers_failures_and_refusals_are_recorded_in_order() {
    let handler = handler();
    let mut upstreams = Upstreams::new();
    upstreams.answer(
        "ok.example",
        UpstreamAnswer::Respond {
            status: 200,
            headers: vec![("x-from".into(), "test".into())],
            body: b"fine".to_vec(),
        },
    );
    upstreams.answer(
        "reset.example",
        UpstreamAnswer::Fail(UpstreamFailure::Reset),
    );
    upstreams.answer(
        "slow.example",
        UpstreamAnswer::Fail(UpstreamFailure::Timeout),
    );
    let mut request = HttpRequest::new(
        "GET",
        "/fanout/ok.example,reset.example,slow.example,closed.example",
    );
    request.headers.push(("x-scenario".into(), "1".into()));
    let outcome = handler.handle(&request, &upstreams);
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let response = outcome.response.unwrap();
    assert_eq!(response.head.status, 200);
    assert_eq!(response.head.header_values("x-handler"), ["http-handler"]);
    assert_eq!(
        response.body_text().unwrap(),
        "ok.example 200\n\
         reset.example ErrorCode::ConnectionTerminated\n\
         slow.example ErrorCode::ConnectionReadTimeout\n\
         closed.example ErrorCode::HttpRequestDenied\n"
    );
    let seen: Vec<(&str, &str, &OutgoingOutcome)> = outcome
        .outgoing
        .iter()
        .map(|r| (r.authority.as_str(), r.path_with_query.as_str(), &r.outcome))
        .collect();
    assert_eq!(
        seen,
        [
            ("ok.example", "/", &OutgoingOutcome::Answered(200)),
            (
                "reset.example",
                "/",
                &OutgoingOutcome::Failed(UpstreamFailure::Reset)
            ),
            (
                "slow.example",
                "/",
                &OutgoingOutcome::Failed(UpstreamFailure::Timeout)
            ),
            ("closed.example", "/", &OutgoingOutcome::Denied),
        ]
    );
    assert_eq!(outcome.outgoing[0].method, "GET");
    assert_eq!(outcome.outgoing[0].scheme, "http");
}

#[test]
fn a_posted_body_and_a_trap_come_back_as_data() {
    let handler = handler();
    let mut post = HttpRequest::new("POST", "/echo");
    post.body = b"{\"a\":1}".to_vec();
    post.headers
        .push(("content-type".into(), "application/json".into()));
    let outcome = handler.handle(&post, &Upstreams::new());
    let response = outcome.response.unwrap();
    assert_eq!(response.body, post.body);
    assert_eq!(
        response.head.header_values("content-type"),
        ["application/json"]
    );

    let outcome = handler.handle(&HttpRequest::new("GET", "/trap"), &Upstreams::new());
    assert!(outcome.response.is_none());
    let failure = outcome.failure.unwrap();
    assert_eq!(failure.code, wasmkit_core::codes::TRAP);
    assert_eq!(
        failure.message,
        "`wasi:http/incoming-handler.handle` trapped: wasm trap: wasm `unreachable` instruction executed"
    );
}
