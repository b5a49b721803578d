//! Reading component scenarios: which form a file is, what each key
//! becomes, and where the calls and values point in the file.

use std::path::Path;

use wasmkit_invoke::http::{Scheme, UpstreamAnswer, UpstreamFailure};

use super::*;
use crate::test::scenario::{Expected, Side};

fn parse_text(text: &str) -> ComponentScenario {
    parse(
        Path::new("/w/kv/scenarios/store.toml"),
        "kv/scenarios/store.toml",
        text,
    )
    .unwrap_or_else(|ds| panic!("{ds}"))
}

fn errors(text: &str) -> Vec<String> {
    match parse(Path::new("/w/s.toml"), "s.toml", text) {
        Ok(s) => panic!("parsed: {s:?}"),
        Err(ds) => ds.0.iter().map(|d| d.message.clone()).collect(),
    }
}

#[test]
fn calls_with_mocks_expectations_and_imports() {
    let text = r#"
name = "remembers"
mocks = { "store.get" = 'some("v")', store.set = "()" }

[[call]]
call = 'remember("k", "v")'
expect = 'some("v")'
imports = ['store.set("k", "v")', 'store.get("k")']

[[call]]
call = "let c = counter.new(1)"

[[call]]
call = "consume(c)"
expect-error = "moved"
"#;
    let s = parse_text(text);
    assert_eq!(s.name, "remembers");
    let ScenarioBody::Calls(calls) = &s.body else {
        panic!("not calls: {s:?}")
    };
    let mocks: Vec<(&str, &str)> = calls
        .mocks
        .iter()
        .map(|m| (m.name.text(), m.value.text()))
        .collect();
    assert_eq!(mocks, [("store.get", r#"some("v")"#), ("store.set", "()")]);
    // Every piece points at its own text in the file.
    assert_eq!(&text[calls.mocks[1].name.span.clone()], "store.set");
    let texts: Vec<&str> = calls.calls.iter().map(|c| c.call.text()).collect();
    assert_eq!(
        texts,
        [
            r#"remember("k", "v")"#,
            "let c = counter.new(1)",
            "consume(c)"
        ]
    );
    let first = &calls.calls[0];
    assert_eq!(&text[first.call.span.clone()], r#"remember("k", "v")"#);
    assert_eq!(
        first.expect.as_ref().map(wasmkit_invoke::CallSource::text),
        Some(r#"some("v")"#)
    );
    let imports = first.imports.as_ref().expect("imports");
    assert_eq!(imports.value.len(), 2);
    assert_eq!(imports.value[1].text(), r#"store.get("k")"#);
    assert!(text[imports.span.clone()].starts_with("imports = ["));
    assert_eq!(&text[calls.calls[0].span.clone()], "[[call]]");
    let last = &calls.calls[2];
    assert!(last.expect.is_none());
    let error = last.expect_error.as_ref().expect("expect-error");
    assert_eq!(error.value, "moved");
    assert_eq!(&text[error.span.clone()], r#"expect-error = "moved""#);
}

#[test]
fn an_escaped_string_gets_a_source_of_its_own() {
    let s = parse_text("[[call]]\ncall = \"lookup(\\\"k\\\")\"\n");
    let ScenarioBody::Calls(calls) = &s.body else {
        panic!()
    };
    assert_eq!(calls.calls[0].call.text(), r#"lookup("k")"#);
    assert!(!Arc::ptr_eq(&calls.calls[0].call.file, &s.source));
}

#[test]
fn calls_as_an_inline_array() {
    let s = parse_text(r#"call = [{ call = "f()" }, { call = "g(1)", expect = "2" }]"#);
    let ScenarioBody::Calls(calls) = &s.body else {
        panic!()
    };
    assert_eq!(calls.calls.len(), 2);
    assert_eq!(
        calls.calls[1]
            .expect
            .as_ref()
            .map(wasmkit_invoke::CallSource::text),
        Some("2")
    );
}

#[test]
fn an_http_scenario_and_its_defaults() {
    let s = parse_text("[request]\n");
    assert_eq!(s.name, "store");
    let ScenarioBody::Http(http) = &s.body else {
        panic!()
    };
    assert_eq!(http.request.method, "GET");
    assert_eq!(http.request.path_with_query, "/");
    assert_eq!(http.request.authority, "localhost");
    assert_eq!(http.request.scheme, Scheme::Http);
    assert!(http.expect.is_empty());
    assert!(!http.upstreams.answers("anything"));
}

#[test]
fn every_http_section_is_read() {
    let s = parse_text(
        r#"
[request]
method = "POST"
path = "/relay/api.example.com/x?y=1"
authority = "shop.example.com:8080"
scheme = "https"
headers = [["x-a", "1"], ["x-a", "2"]]
body = "hello"

[callouts."api.example.com"]
status = 201
headers = { "x-up" = "yes" }
body = "from upstream"

[callouts.flaky]
fail = "reset"

[callouts.slow]
fail = "timeout"

[expect]
status = 201
response-headers = { "x-handler" = "http-handler" }
response-headers-absent = ["x-secret"]
response-body = "from upstream"
callouts = ["api.example.com"]
"#,
    );
    let ScenarioBody::Http(http) = &s.body else {
        panic!()
    };
    let r = &http.request;
    assert_eq!(
        (
            r.method.as_str(),
            r.path_with_query.as_str(),
            r.authority.as_str()
        ),
        (
            "POST",
            "/relay/api.example.com/x?y=1",
            "shop.example.com:8080"
        )
    );
    assert_eq!(r.scheme, Scheme::Https);
    assert_eq!(
        r.headers,
        [
            ("x-a".to_string(), "1".to_string()),
            ("x-a".to_string(), "2".to_string())
        ]
    );
    assert_eq!(r.body, b"hello");
    let mut expected = wasmkit_invoke::http::Upstreams::new();
    expected.answer(
        "api.example.com",
        UpstreamAnswer::Respond {
            status: 201,
            headers: vec![("x-up".into(), "yes".into())],
            body: b"from upstream".to_vec(),
        },
    );
    expected.answer("flaky", UpstreamAnswer::Fail(UpstreamFailure::Reset));
    expected.answer("slow", UpstreamAnswer::Fail(UpstreamFailure::Timeout));
    assert_eq!(http.upstreams, expected);
    let checks: Vec<&Expected> = http.expect.iter().map(|e| &e.expected).collect();
    assert_eq!(
        checks,
        [
            &Expected::Status(201),
            &Expected::Header {
                side: Side::Client,
                name: "x-handler".into(),
                value: "http-handler".into()
            },
            &Expected::HeaderAbsent {
                side: Side::Client,
                name: "x-secret".into()
            },
            &Expected::Body {
                side: Side::Client,
                body: "from upstream".into()
            },
            &Expected::Callouts(vec!["api.example.com".into()]),
        ]
    );
}

#[test]
fn the_two_forms_do_not_mix_and_one_is_needed() {
    assert_eq!(
        errors("[[call]]\ncall = \"f()\"\n[request]\n"),
        ["`call` and `request` cannot both be set"]
    );
    assert_eq!(errors(""), ["`s.toml` makes no call and sends no request"]);
    assert_eq!(
        errors("mocks = { f = \"1\" }"),
        ["the scenario makes no call"]
    );
    assert_eq!(
        errors("[[call]]\nexpect = \"1\""),
        ["a `[[call]]` has no `call`"]
    );
}

#[test]
fn proxy_wasm_keys_are_unknown_here() {
    assert_eq!(
        errors(
            "hosts = [\"envoy\"]\n[request]\nbody-chunks = [\"a\"]\n[expect]\noutcome = \"forwarded\"\n"
        ),
        [
            "unknown key `hosts` at the top level of a scenario",
            "unknown key `body-chunks` in `[request]`",
            "unknown key `outcome` in `[expect]`",
        ]
    );
}

#[test]
fn an_unquoted_dotted_authority_is_explained() {
    assert_eq!(
        errors("[request]\n[callouts.api.example.com]\nstatus = 200\n"),
        ["`callouts.api.example` is a table, not an answer"]
    );
}

mod judging {
    use wasmkit_core::{Diagnostic, codes};
    use wasmkit_invoke::http::{
        HttpOutcome, HttpResponse, OutgoingOutcome, OutgoingRecord, ResponseHead,
    };

    use super::*;
    use crate::test::component::http_run::evaluate;

    fn http(text: &str) -> HttpScenario {
        match parse_text(text).body {
            ScenarioBody::Http(http) => http,
            ScenarioBody::Calls(_) => panic!("not HTTP"),
        }
    }

    fn outgoing(authority: &str, outcome: OutgoingOutcome) -> OutgoingRecord {
        OutgoingRecord {
            method: "GET".into(),
            scheme: "http".into(),
            authority: authority.into(),
            path_with_query: "/".into(),
            headers: Vec::new(),
            body: Vec::new(),
            outcome,
        }
    }

    fn answered(status: u16, headers: &[(&str, &str)], body: &str) -> HttpOutcome {
        HttpOutcome {
            response: Some(HttpResponse {
                head: ResponseHead {
                    status,
                    headers: headers
                        .iter()
                        .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
                        .collect(),
                },
                body: body.as_bytes().to_vec(),
            }),
            outgoing: vec![
                outgoing("a.example", OutgoingOutcome::Answered(200)),
                outgoing("b.example", OutgoingOutcome::Denied),
            ],
            failure: None,
        }
    }

    const EXPECT: &str = r#"
[request]
[expect]
status = 200
response-headers = { "x-a" = "1" }
response-headers-absent = "x-b"
response-body = "ok"
callouts = ["a.example", "b.example"]
"#;

    fn verdicts(scenario: &HttpScenario, outcome: &HttpOutcome) -> Vec<(String, bool, String)> {
        evaluate(scenario, outcome)
            .into_iter()
            .map(|c| (c.name, c.passed, c.actual))
            .collect()
    }

    #[test]
    fn names_compare_case_insensitively_and_callouts_in_order() {
        let s = http(EXPECT);
        let got = verdicts(&s, &answered(200, &[("X-A", "1")], "ok"));
        assert!(got.iter().all(|(_, passed, _)| *passed), "{got:?}");
    }

    #[test]
    fn each_difference_is_said_with_the_actual_value() {
        let s = http(EXPECT);
        let outcome = answered(404, &[("x-a", "2"), ("x-b", "secret")], "no");
        let got = verdicts(&s, &outcome);
        let failed: Vec<(&str, &str)> = got
            .iter()
            .filter(|(_, passed, _)| !passed)
            .map(|(n, _, a)| (n.as_str(), a.as_str()))
            .collect();
        assert_eq!(
            failed,
            [
                ("status", "404"),
                ("response-headers `x-a`", "x-a: 2"),
                ("response-headers-absent `x-b`", "x-b: secret"),
                ("response-body", "\"no\""),
            ]
        );
        // The excerpt lists every outgoing request and what it got.
        let checks = evaluate(&s, &outcome);
        assert_eq!(
            checks[1].excerpt,
            [
                "GET http://a.example/ -> 200",
                "GET http://b.example/ -> refused (HTTP-request-denied): no `[callouts.\"b.example\"]`"
            ]
        );
    }

    #[test]
    fn without_a_response_every_check_fails_with_the_reason() {
        let s = http(EXPECT);
        let outcome = HttpOutcome {
            response: None,
            outgoing: Vec::new(),
            failure: Some(Diagnostic::error(codes::TRAP, "it trapped")),
        };
        let got = verdicts(&s, &outcome);
        assert_eq!(got[0], ("run".into(), false, "error: it trapped".into()));
        assert_eq!(got[1].2, "no response (it trapped)");
        assert_eq!(got[5], ("callouts".into(), false, "none".into()));
    }
}
