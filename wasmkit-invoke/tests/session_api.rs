//! The session API as a scenario runner and an interactive session use it:
//! a session started with mocks given as (name, value) pairs, calls with
//! bindings carried across, each call's recorded import calls, `expect`
//! values and error messages; and what completion reads (call names, bound
//! names with types, methods of a handle, parameter types and their cases).
//! Runs on the `counters` and `kv` test guests, built with cargo.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use wasmkit_core::SourceFile;
use wasmkit_invoke::mocks::{self, Mock};
use wasmkit_invoke::values::case_names;
use wasmkit_invoke::{
    CallSource, OutputSink, Runtime, RuntimeOptions, Session, SessionOptions, WasmInput,
};

/// Builds a guest of `tests/fixtures/guests` into the shared test target
/// directory (as the CLI tests do) and returns the `.wasm`.
fn guest(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target/wasmkit-tests");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "-p",
            name,
        ])
        .arg("--manifest-path")
        .arg(root.join("tests/fixtures/guests/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .unwrap();
    assert!(status.success(), "building {name} failed");
    target.join(format!("wasm32-wasip2/release/{name}.wasm"))
}

fn start(name: &str, mocks: Vec<Mock>, out: &OutputSink) -> Session {
    let runtime = Runtime::new(&RuntimeOptions::default()).unwrap();
    let input = WasmInput::read(&guest(name)).unwrap();
    let options = SessionOptions {
        mocks,
        ..SessionOptions::default()
    };
    Session::start(&runtime, &input, &options, out, Some(out))
        .unwrap_or_else(|d| panic!("{}", d.render(false)))
        .0
}

/// The first place `needle` is written in a scenario file.
fn at(file: &std::sync::Arc<SourceFile>, needle: &str) -> CallSource {
    let start = file.text.find(needle).unwrap();
    CallSource::within(file, start..start + needle.len())
}

#[test]
fn a_scenario_runs_on_one_instance_with_mocks_bindings_and_expectations() {
    // As a scenario file would give them: `"store.get" = 'some("v")'`.
    let scenario = SourceFile::new(
        "scenario.toml",
        r#"mocks = { "store.get" = 'some("v")', "store.set" = '' }
call = 'let got = lookup("k")'
expect = '"v"'
call = 'remember("a", "b")'
imports = ['store.set("a", "b")', 'test:kv/store.get@0.1.0("a")']
call = 'now-seconds()'
"#,
    );
    let empty = scenario.text.find("''").unwrap() + 1;
    let mocks = vec![
        Mock::new(at(&scenario, "store.get"), at(&scenario, r#"some("v")"#)),
        Mock::new(
            at(&scenario, "store.set"),
            CallSource::within(&scenario, empty..empty),
        ),
    ];
    let out = OutputSink::capture(1 << 16);
    let mut session = start("kv", mocks, &out);

    let first = session
        .call(&at(&scenario, r#"let got = lookup("k")"#))
        .unwrap();
    assert_eq!(
        session.expect(&first, &at(&scenario, r#""v""#)).unwrap(),
        None
    );
    let imports: Vec<String> = session
        .last_imports()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(imports, [r#"store.get("k") -> some("v")"#]);
    let component = session.component().unwrap();
    let got = &component.bound_names()[0];
    assert_eq!(
        (got.name.as_str(), got.type_name.as_str(), got.wave.as_str()),
        ("got", "string", "\"v\"")
    );

    session
        .call(&at(&scenario, r#"remember("a", "b")"#))
        .unwrap();
    let component = session.component().unwrap();
    let made = session.last_imports().to_vec();
    for (call, expected) in made
        .iter()
        .zip([r#"store.set("a", "b")"#, r#"test:kv/store.get@0.1.0("a")"#])
    {
        let expected = at(&scenario, expected);
        assert!(mocks::import_call_matches(component.imports(), call, &expected).unwrap());
    }
    let other = CallSource::argument(r#"store.get("zzz")"#);
    assert!(!mocks::import_call_matches(component.imports(), &made[1], &other).unwrap());

    // The wall clock is WASI's here.
    assert!(session.call(&at(&scenario, "now-seconds()")).is_ok());
}

#[test]
fn an_expected_error_is_a_diagnostic_to_match() {
    // `expect-error = "store.get"`: the message names what failed.
    let out = OutputSink::capture(1 << 16);
    let mut session = start("kv", Vec::new(), &out);
    let err = session
        .call(&CallSource::argument(r#"lookup("k")"#))
        .unwrap_err();
    assert!(
        err.message.contains("test:kv/store.get@0.1.0"),
        "{}",
        err.message
    );
    assert_eq!(err.code, wasmkit_core::codes::UNPROVIDED_IMPORT);
    let imports: Vec<String> = session
        .last_imports()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(imports, [r#"store.get("k") -> unprovided"#]);
}

#[test]
fn a_bad_mock_points_into_the_scenario() {
    let scenario = SourceFile::new("scenario.toml", r#"mocks = { "store.get" = 'some(1)' }"#);
    let runtime = Runtime::new(&RuntimeOptions::default()).unwrap();
    let input = WasmInput::read(&guest("kv")).unwrap();
    let options = SessionOptions {
        mocks: vec![Mock::new(
            at(&scenario, "store.get"),
            at(&scenario, "some(1)"),
        )],
        ..SessionOptions::default()
    };
    let out = OutputSink::capture(1024);
    let err = Session::start(&runtime, &input, &options, &out, None).unwrap_err();
    let label = err.primary_label().unwrap();
    assert_eq!(&scenario.text[label.span.clone()], "1");
    assert_eq!(err.code, wasmkit_core::codes::INVALID_MOCK);
}

#[test]
fn what_completion_reads() {
    let out = OutputSink::capture(1 << 16);
    let mut session = start("counters", Vec::new(), &out);
    session
        .call(&CallSource::argument("let c = counter.new(1)"))
        .unwrap();
    session
        .call(&CallSource::argument("let n = c.get()"))
        .unwrap();
    let component = session.component().unwrap();
    assert_eq!(
        component.call_names(),
        [
            "counter.new",
            "counter.merge",
            "consume",
            "total",
            "maybe",
            "dropped"
        ]
    );
    let bound: Vec<(String, String)> = component
        .bound_names()
        .into_iter()
        .map(|b| (b.name, b.type_name))
        .collect();
    assert_eq!(
        bound,
        [("c".into(), "counter".into()), ("n".into(), "u32".into())]
    );
    assert_eq!(component.methods_of("c"), ["get", "add"]);
    assert!(component.methods_of("n").is_empty());
    let add: Vec<String> = component
        .param_types("c.add")
        .unwrap()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(add, ["n"]);
    let maybe = component.param_types("maybe").unwrap();
    assert_eq!(case_names(&maybe[0].1), ["some", "none"]);
    assert!(component.param_types("nope").is_none());

    // Dropped names say so; the end of the session drops the rest.
    session.call(&CallSource::argument("consume(c)")).unwrap();
    assert!(session.component().unwrap().bound_names()[0].gone);
    let (dropped, error) = session.drop_live_handles();
    assert!(dropped.is_empty() && error.is_none());
}
