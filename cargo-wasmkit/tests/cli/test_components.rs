//! `cargo wasmkit test` on components: calls scenarios (mocks, bindings,
//! resources, `expect-error`, `imports`) on the `kv` and `counters` guests
//! and HTTP scenarios (answered, reset and refused outgoing requests) on the
//! `http-handler` guest, all in `tests/fixtures/guests`, tested in place
//! with the shared target directory. Each plugin's `scenarios/` pass; its
//! `scenarios-failing/` fail on purpose. The report and the diagnostics of
//! bad files are pinned in `snapshots/test-components/` (refresh with
//! `SNAPSHOTS=overwrite`).

use std::path::Path;

use snapbox::file;

use crate::support::{Run, Scratch, guests_workspace, kv, repo_root, wasmkit};

fn test_in(dir: &Path) -> snapbox::cmd::Command {
    wasmkit().arg("test").current_dir(dir)
}

fn run(cmd: snapbox::cmd::Command) -> Run {
    Run::of(&cmd.output().expect("run cargo-wasmkit"))
}

const FAILING: &[&str] = &[
    "kv/scenarios-failing/wrong.toml",
    "http-handler/scenarios-failing/wrong.toml",
    "http-handler/scenarios-failing/trap.toml",
];

#[test]
fn component_and_http_scenarios_pass_in_one_report() {
    let out = run(test_in(&guests_workspace()).args([
        "-p",
        "kv",
        "-p",
        "counters",
        "-p",
        "http-handler",
    ]));
    out.expect_code(0);
    snapbox::assert_data_eq!(out.stdout, file!["snapshots/test-components/pass.stdout"]);
}

#[test]
fn failing_scenarios_show_expected_against_actual() {
    let out = run(test_in(&guests_workspace())
        .args(["--no-build", "-p", "kv", "-p", "http-handler"])
        .args(FAILING));
    out.expect_code(1);
    snapbox::assert_data_eq!(out.stdout, file!["snapshots/test-components/fail.stdout"]);
}

#[test]
fn json_has_the_calls_and_the_exchange_of_each_run() {
    let out = run(test_in(&guests_workspace()).args([
        "--no-build",
        "--message-format",
        "json",
        "-p",
        "kv",
        "-p",
        "http-handler",
        "kv/scenarios/store.toml",
        "http-handler/scenarios/fanout-refused.toml",
    ]));
    out.expect_code(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    // Files are run plugin by plugin, in the workspace's order.
    let (http, calls) = if lines[0]["kind"] == "calls" {
        (&lines[1], &lines[0])
    } else {
        (&lines[0], &lines[1])
    };
    assert_eq!(calls["reason"], "wasmkit-scenario");
    assert_eq!(calls["plugin"], "kv");
    assert_eq!(calls["host"], "wasmtime");
    assert_eq!(calls["kind"], "calls");
    assert_eq!(calls["passed"], true);
    assert_eq!(calls["calls"][0]["call"], r#"let got = lookup("k")"#);
    assert_eq!(calls["calls"][0]["result"], r#""v""#);
    assert_eq!(calls["calls"][0]["imports"][0]["function"], "store.get");
    assert_eq!(calls["calls"][0]["imports"][0]["args"][0], r#""k""#);
    assert_eq!(calls["calls"][0]["imports"][0]["result"], r#"some("v")"#);
    assert!(calls["calls"][2]["error"].is_string(), "{calls}");
    let names: Vec<&str> = calls["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            r#"`let got = lookup("k")`"#,
            r#"imports of `let got = lookup("k")`"#,
            r#"`remember(got, "w")`"#,
            r#"imports of `remember(got, "w")`"#,
            "`lookup(42)`",
            "`lookup(got)`",
        ]
    );
    assert_eq!(calls["checks"][0]["line"], 7);
    assert_eq!(http["kind"], "http-handler");
    assert_eq!(http["response"]["status"], 200);
    assert_eq!(http["outgoing"][0]["authority"], "api.example.com");
    assert_eq!(http["outgoing"][0]["outcome"]["status"], 204);
    assert_eq!(http["outgoing"][1]["outcome"]["denied"], true);
    assert_eq!(lines[2]["reason"], "wasmkit-test-result");
    assert_eq!(lines[2]["passed"], 2);
}

/// A workspace with one component plugin `tt-component` that is never
/// built, and the scenario files given.
fn scratch_component(scenarios: &[(&str, &str)]) -> Scratch {
    let ws = Scratch::empty();
    ws.write(
        "Cargo.toml",
        "[workspace]\nresolver = \"3\"\nmembers = [\"tt-component\"]\n",
    );
    ws.write(
        "tt-component/Cargo.toml",
        "[package]\nname = \"tt-component\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n",
    );
    ws.write("tt-component/.buildrc", "TARGET=wasm32-wasip2\n");
    ws.write("tt-component/src/lib.rs", "");
    for (file, text) in scenarios {
        ws.write(format!("tt-component/scenarios/{file}"), text);
    }
    ws
}

#[test]
fn a_bad_component_scenario_exits_2_naming_file_line_and_column() {
    let ws = scratch_component(&[
        (
            "calls.toml",
            "mocks = { \"store.get\" = 5 }\n\n[[call]]\nexpect = '\"v\"'\n\n[[call]]\ncall = \"f()\"\nexpect = \"1\"\nexpect-error = \"x\"\nimport = []\n",
        ),
        (
            "http.toml",
            "[request]\nmethod = \"GET /\"\npath = \"items\"\nscheme = \"ftp\"\n\n[callouts.api.example.com]\nstatus = 200\n\n[callouts.\"b.example.com\"]\nfail = \"dropped\"\n\n[expect]\noutcome = \"forwarded\"\nstatus = \"200\"\n",
        ),
        (
            "mixed.toml",
            "[[call]]\ncall = \"f()\"\n\n[request]\npath = \"/\"\n",
        ),
        ("empty.toml", "# nothing here\n"),
    ]);
    let before = ws.snapshot();
    let out = run(test_in(ws.path()));
    out.expect_code(2).expect_no_stderr("Building");
    snapbox::assert_data_eq!(
        out.stderr,
        file!["snapshots/test-components/bad-files.stderr"]
    );
    assert_eq!(ws.snapshot(), before);
}

#[test]
fn a_mock_that_does_not_fit_its_import_is_bad_input_before_anything_runs() {
    let kv = kv();
    let ws = Scratch::empty();
    let scenario = ws.write(
        "mock.toml",
        "mocks = { \"store.get\" = \"42\" }\n\n[[call]]\ncall = 'lookup(\"k\")'\n",
    );
    let out = run(test_in(ws.path()).arg("--artifact").arg(&kv).arg(&scenario));
    out.expect_code(2);
    snapbox::assert_data_eq!(
        out.stderr,
        file!["snapshots/test-components/bad-mock.stderr"]
    );
    snapbox::assert_data_eq!(
        out.stdout,
        file!["snapshots/test-components/bad-mock.stdout"]
    );
}

#[test]
fn the_shapes_example_passes_its_scenario() {
    let out = run(test_in(&repo_root().join("examples")).args(["-p", "shapes"]));
    out.expect_code(0);
    snapbox::assert_data_eq!(out.stdout, file!["snapshots/test-components/shapes.stdout"]);
}
