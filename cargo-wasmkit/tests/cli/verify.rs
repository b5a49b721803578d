//! `cargo wasmkit verify` tests: components, proxy-wasm modules (the
//! example plugin built with and without its tag), other core modules, and
//! files that are not wasm at all.

use snapbox::{assert_data_eq, file, str};

use crate::support::{Run, Scratch, echo, repo_root, shapes, wasmkit};

/// A build's stderr from its first verify line on: cargo's own lines
/// before it depend on what was built before.
fn verify_lines(stderr: &str) -> String {
    let start = stderr
        .lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with("Verified ") || l.starts_with("Failed ")
        })
        .unwrap_or_else(|| panic!("no verify line in:\n{stderr}"));
    stderr
        .lines()
        .skip(start)
        .map(|l| format!("{l}\n"))
        .collect()
}

fn verify(cache: &Scratch) -> snapbox::cmd::Command {
    wasmkit()
        .arg("verify")
        .env("WASMKIT_CACHE_DIR", cache.path())
}

/// The JSON report of one artifact.
fn json_report(cmd: snapbox::cmd::Command) -> (Option<i32>, serde_json::Value) {
    let out = cmd.args(["--message-format", "json"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let first = stdout.lines().next().unwrap_or_else(|| {
        panic!(
            "no JSON on stdout; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), serde_json::from_str(first).unwrap())
}

#[test]
fn a_good_component_passes_with_its_expectations() {
    let cache = Scratch::empty();
    let out = verify(&cache)
        .arg(shapes())
        .args([
            "--invoke",
            "area(circle({radius: 1.0}))",
            "--expect",
            "3.141592653589793",
        ])
        .args([
            "--invoke",
            "geometry.perimeter(rectangle({height: 3.0, width: 2.0}))",
            "--expect",
            "10.0",
        ])
        .output()
        .unwrap();
    let run = Run::of(&out);
    run.expect_code(0);
    assert_data_eq!(run.stderr, file!["snapshots/verify/good-component.stderr"]);

    let (code, report) = json_report(verify(&cache).arg(shapes()).args([
        "--invoke",
        "area(circle({radius: 1.0}))",
        "--expect",
        "3.141592653589793",
    ]));
    assert_eq!(code, Some(0));
    assert_eq!(report["reason"], "wasmkit-verify");
    assert_eq!(report["kind"], "component");
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["host"], "wasmtime");
    assert_eq!(report["calls"][0]["result"], "3.141592653589793");
    assert_eq!(report["calls"][0]["passed"], true);
    let checks: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["valid", "imports", "instantiate"]);
}

#[test]
fn a_failing_expectation_shows_expected_against_actual() {
    let cache = Scratch::empty();
    verify(&cache)
        .arg(shapes())
        .args(["--invoke", "geometry.describe(circle({radius: 2.0}))", "--expect", "\"a circle\""])
        .assert()
        .code(1)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
      Failed [..]shapes.wasm (component, exports area, example:shapes/geometry@0.1.0, host wasmtime, 90.8 KiB, 0/1 calls) in [..]ms
error[expectation-failed]: `geometry.describe(circle({radius: 2.0}))` returned `"circle of radius 2"`, expected `"a circle"`
 --> <call>:1:1
  |
1 | geometry.describe(circle({radius: 2.0}))
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ returned `"circle of radius 2"`
  |
 ::: <call>:1:1
  |
1 | "a circle"
  | ---------- expected this
  |
  = help: fix the component, or `VERIFY_EXPECT` if the expectation is wrong


"#]]);
}

#[test]
fn expectations_compare_values_not_text() {
    // Field order and float spelling differ; the values are equal.
    let cache = Scratch::empty();
    verify(&cache)
        .arg(echo())
        .args([
            "--invoke",
            "echo-point({x: 1, y: 2})",
            "--expect",
            "{ y: 2, x: 1 }",
        ])
        .args(["--invoke", "echo-f64(1)", "--expect", "1.0"])
        .args(["--invoke", "nothing()", "--expect", "()"])
        .assert()
        .success();
}

#[test]
fn a_trapping_call_fails_verification() {
    let cache = Scratch::empty();
    // The guest's own output is shown with the trap.
    verify(&cache)
        .arg(echo())
        .args(["--invoke", "trap()"])
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/verify/trap.stderr"]);
}

#[test]
fn a_component_import_nothing_provides_is_named() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write(
        "needs-host.wat",
        r#"(component
  (import "my:plugin/host@1.0.0" (instance
    (export "log" (func (param "msg" string)))))
  (import "wasi:cli/environment@0.2.0" (instance
    (export "get-arguments" (func (result (list string))))))
)
"#,
    );
    verify(&cache)
        .current_dir(dir.path())
        .arg("needs-host.wat")
        .assert()
        .code(1)
        .stderr_eq(str![[r#"
      Failed needs-host.wat (component, host wasmtime, [..]) in [..]ms
error[unprovided-import]: the component imports `my:plugin/host@1.0.0`, which the wasmtime host profile does not provide
--> needs-host.wat
 = note: the profile provides what `wasmtime serve -S cli=y` does: WASI 0.2 (wasi:cli, wasi:io, wasi:clocks, wasi:random, wasi:filesystem, wasi:sockets) and wasi:http (types, outgoing-handler)
 = help: remove the import (check which dependency pulls it in), or run the component in a host that provides it
 = help: to verify calls that do not depend on it, mock its functions with `VERIFY_MOCKS` (`NAME=VALUE`, `;`-separated)


"#]]);
}

#[test]
fn a_wasi_import_of_the_wrong_type_gets_the_linkers_reason() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write(
        "old-clock.wat",
        r#"(component
  (import "wasi:clocks/wall-clock@0.2.6" (instance
    (export "now" (func (result u64)))))
  (import "wasi:http/types@0.2.0" (instance
    (export "fields" (type (sub resource)))))
)
"#,
    );
    verify(&cache)
        .current_dir(dir.path())
        .arg("old-clock.wat")
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/verify/wrong-type-import.stderr"]);
}

#[test]
fn a_component_against_a_proxy_wasm_host_is_refused() {
    let cache = Scratch::empty();
    verify(&cache)
        .args(["--host", "envoy"])
        .arg(shapes())
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/verify/component-on-envoy.stderr"]);
}

#[test]
fn core_modules_and_commands_say_what_they_are() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write(
        "plain.wat",
        "(module (func (export \"f\") (result i32) i32.const 7))",
    );
    dir.write(
        "imports.wat",
        "(module (import \"env\" \"host_fn\" (func)) (func (export \"g\")))",
    );
    dir.write(
        "cmd.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") i32.const 3 call $exit))"#,
    );
    let (code, report) = json_report(verify(&cache).current_dir(dir.path()).arg("plain.wat"));
    assert_eq!(code, Some(0));
    assert_eq!(report["kind"], "core-module");
    assert_eq!(report["checks"][2]["name"], "instantiate");
    assert_eq!(report["checks"][2]["passed"], true);

    let (code, report) = json_report(verify(&cache).current_dir(dir.path()).arg("imports.wat"));
    assert_eq!(code, Some(0));
    assert_eq!(report["checks"][1]["detail"], "imports: env::host_fn");

    // A WASI command is checked, not run, unless --run.
    let (code, report) = json_report(verify(&cache).current_dir(dir.path()).arg("cmd.wat"));
    assert_eq!(code, Some(0));
    assert_eq!(report["kind"], "wasi-command");
    assert_eq!(
        report["checks"][2]["detail"],
        "not run (pass --run to run `_start`)"
    );
    verify(&cache)
        .current_dir(dir.path())
        .args(["--run", "cmd.wat"])
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/verify/command-exit.stderr"]);
}

#[test]
fn files_that_are_not_wasm_are_named_and_verification_goes_on() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write("empty.wasm", "");
    dir.write("notes.wasm", "these are notes\n");
    let full = std::fs::read(shapes()).unwrap();
    dir.write("truncated.wasm", &full[..200]);
    verify(&cache)
        .current_dir(dir.path())
        .args(["empty.wasm", "notes.wasm", "truncated.wasm"])
        .arg(shapes())
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
      Failed empty.wasm (unreadable) in [..]ms
error[not-wasm]: `empty.wasm` is empty, not a WebAssembly file
--> empty.wasm
 = help: was the build interrupted? rebuild it

      Failed notes.wasm (unreadable) in [..]ms
error[not-wasm]: `notes.wasm` is not a WebAssembly file
--> notes.wasm
 = note: it is text, but not WebAssembly text (it does not start with `(`)
 = help: give the path of a .wasm or .wat file

      Failed truncated.wasm (component, 200 B) in [..]ms
error[invalid-wasm]: `truncated.wasm` is not valid WebAssembly
--> truncated.wasm
 = note: failed to parse WebAssembly module
 = note: unexpected end-of-file (at offset 0x[..])
 = help: the file is truncated: was its build interrupted? rebuild it

    Verified [..]shapes.wasm (component, [..]) in [..]ms

"#]]);
}

#[test]
fn expect_without_matching_invoke_is_bad_input() {
    let cache = Scratch::empty();
    verify(&cache)
        .arg(shapes())
        .args(["--expect", "1.0"])
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error[expectation-invalid]: 0 `--invoke` but 1 `--expect`
 |
 = help: give one `--expect` per `--invoke`, in the same order, or none


"#]]);
}

#[test]
fn the_example_filter_passes_with_its_tag_and_is_caught_without_it() {
    // A copy of examples/, built into a target directory of this test's
    // own (other tests build the same package name from examples/).
    let ws = Scratch::copy_of(&repo_root().join("examples"));
    let target = crate::support::shared_target_dir().join("json-guard-tag-test");
    let build = || {
        wasmkit()
            .current_dir(ws.path())
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "-p", "json-guard"])
            .output()
            .unwrap()
    };
    let with_tag = Run::of(&build());
    with_tag.expect_code(0);
    assert_data_eq!(
        verify_lines(&with_tag.stderr),
        file!["snapshots/verify/json-guard-tagged.stderr"]
    );

    // The Higress bug: the same plugin built without its tag.
    let rc = ws.join("json-guard/.buildrc");
    let text = std::fs::read_to_string(&rc).unwrap();
    std::fs::write(
        &rc,
        text.replace("EXTRA_TAGS=proxy_wasm_version_0_2_100\n", ""),
    )
    .unwrap();
    let without = Run::of(&build());
    without.expect_code(1);
    assert_data_eq!(
        verify_lines(&without.stderr),
        file!["snapshots/verify/json-guard-untagged.stderr"]
    );

    // And the tagged artifact against upstream Envoy: refused at load.
    std::fs::write(&rc, text).unwrap();
    assert_eq!(build().status.code(), Some(0));
    wasmkit()
        .current_dir(ws.path())
        .env("CARGO_TARGET_DIR", &target)
        .args(["verify", "-p", "json-guard", "--host", "envoy"])
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/verify/json-guard-on-envoy.stderr"]);
}

#[test]
fn warnings_pass_unless_denied() {
    // The good raw-ABI fixture, plus a misspelt callback no host calls.
    let good = std::fs::read_to_string(
        repo_root().join("wasmkit-invoke/tests/fixtures/proxy-wasm/good.wat"),
    )
    .unwrap();
    let typo = good.replacen(
        "(func (export \"proxy_on_log\") (param i32))",
        "(func (export \"proxy_on_log\") (param i32))\n  (func (export \"proxy_on_reqeust_body\") (param i32 i32 i32) (result i32) (i32.const 0))",
        1,
    );
    assert_ne!(typo, good, "the fixture changed: update this test");
    let dir = Scratch::empty();
    dir.write("typo.wat", &typo);
    let cache = Scratch::empty();
    verify(&cache)
        .current_dir(dir.path())
        .arg("typo.wat")
        .assert()
        .code(0)
        .stderr_eq(file!["snapshots/verify/typo-warned.stderr"]);
    verify(&cache)
        .current_dir(dir.path())
        .args(["--deny-warnings", "typo.wat"])
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/verify/typo-denied.stderr"]);
}

#[test]
fn verify_compiles_with_the_baseline_compiler_unless_told_and_v_says_so() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write(
        "plain.wat",
        "(module (func (export \"f\") (result i32) i32.const 7))",
    );
    // Tail calls: a proposal Winch does not implement.
    dir.write(
        "tail.wat",
        "(module (func $f (export \"f\") (return_call $f)))",
    );
    let compiled_by = |args: &[&str]| {
        let out = verify(&cache)
            .current_dir(dir.path())
            .arg("-v")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stderr)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("note: "))
            .filter(|l| l.contains(": compiled by "))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        compiled_by(&["plain.wat"]),
        [
            "plain.wat: compiled by winch (baseline (--opt-level baseline, the default of verify, build and test); Stored)"
        ]
    );
    assert_eq!(
        compiled_by(&["plain.wat", "--opt-level", "speed"]),
        ["plain.wat: compiled by cranelift (optimised (--opt-level speed); Stored)"]
    );
    let tail = compiled_by(&["tail.wat"]);
    assert_eq!(tail.len(), 1, "{tail:?}");
    assert!(
        tail[0].starts_with("tail.wat: compiled by cranelift-o0 (baseline (--opt-level baseline, the default of verify, build and test); Cranelift without optimisation, as Winch cannot compile it ("),
        "{tail:?}"
    );
}
