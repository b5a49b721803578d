//! `cargo wasmkit test` tests: the guest workspace
//! `tests/fixtures/test-guests` (proxy-wasm plugins built from the
//! crates.io SDK, each with its `scenarios/`) is built and tested in place
//! with the shared target directory; bad scenario files are written into
//! scratch workspaces. What a user sees (the report, the failures with
//! their host-call excerpts, the diagnostics of bad files) is pinned in
//! `snapshots/test/` (refresh with `SNAPSHOTS=overwrite`).

use std::path::{Path, PathBuf};

use snapbox::file;

use crate::support::{Run, Scratch, fixture, wasmkit};

/// The guest workspace, tested in place: the tests only read it.
fn guests() -> PathBuf {
    fixture("test-guests")
}

fn test_in(dir: &Path) -> snapbox::cmd::Command {
    wasmkit().arg("test").current_dir(dir)
}

fn run(cmd: snapbox::cmd::Command) -> Run {
    Run::of(&cmd.output().expect("run cargo-wasmkit"))
}

/// The guest workspace with every plugin built, for the tests that pass
/// `--no-build` (whichever test runs first).
fn built_guests() -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        run(wasmkit()
            .args(["build", "--no-verify"])
            .current_dir(guests()))
        .expect_code(0);
    });
    guests()
}

/// A workspace with one proxy-wasm plugin `name` that is never built, and
/// the scenario files given.
fn scratch_plugin(name: &str, scenarios: &[(&str, &str)]) -> Scratch {
    let ws = Scratch::empty();
    ws.write(
        "Cargo.toml",
        format!("[workspace]\nresolver = \"3\"\nmembers = [\"{name}\"]\n"),
    );
    ws.write(
        format!("{name}/Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n"
        ),
    );
    ws.write(format!("{name}/.buildrc"), "HOST=envoy\n");
    ws.write(format!("{name}/src/lib.rs"), "");
    for (file, text) in scenarios {
        ws.write(format!("{name}/scenarios/{file}"), text);
    }
    ws
}

#[test]
fn every_scenario_runs_on_its_hosts_with_failures_explained() {
    let out = run(test_in(&guests()));
    out.expect_code(1);
    snapbox::assert_data_eq!(out.stdout, file!["snapshots/test/guests.stdout"]);
}

#[test]
fn a_name_filter_runs_the_matching_scenarios_and_counts_the_rest() {
    let out = run(test_in(&built_guests()).args(["--no-build", "callout"]));
    out.expect_code(0);
    snapbox::assert_data_eq!(out.stdout, file!["snapshots/test/filtered.stdout"]);
}

#[test]
fn files_given_run_alone_and_host_flags_replace_the_scenarios_hosts() {
    let out = run(test_in(&built_guests()).args([
        "--no-build",
        "tt-basic/scenarios/configured.toml",
        "--host",
        "envoy",
        "--host",
        "higress",
    ]));
    out.expect_code(0);
    snapbox::assert_data_eq!(out.stdout, file!["snapshots/test/two-hosts.stdout"]);
}

#[test]
fn json_has_one_object_per_run_with_checks_and_host_calls() {
    let out = run(test_in(&built_guests()).args([
        "--no-build",
        "--message-format",
        "json",
        "tt-callout/scenarios/denied.toml",
        "tt-late-header/scenarios/echoes-path.toml",
    ]));
    out.expect_code(1);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    // Runs come in the workspace's order of plugins, then of files.
    let late = &lines[0];
    let denied = &lines[1];
    assert_eq!(denied["reason"], "wasmkit-scenario");
    assert_eq!(denied["plugin"], "tt-callout");
    assert_eq!(denied["file"], "tt-callout/scenarios/denied.toml");
    assert_eq!(denied["host"], "envoy");
    assert_eq!(denied["kind"], "http");
    assert_eq!(denied["passed"], true);
    assert_eq!(denied["outcome"], "local-reply");
    let checks: Vec<(&str, bool)> = denied["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["passed"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        checks,
        [
            ("run", true),
            ("outcome", true),
            ("status", true),
            ("response-headers `x-denied-by`", true),
            ("response-body", true),
            ("callouts", true),
        ]
    );
    assert_eq!(denied["checks"][2]["line"], 10);
    assert_eq!(denied["callouts"][0]["cluster"], "auth");
    assert!(
        denied["host_calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["function"] == "proxy_http_call"),
        "{denied}"
    );
    assert_eq!(late["plugin"], "tt-late-header");
    assert_eq!(late["passed"], false);
    assert!(
        late["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["passed"] == false && c["actual"].is_string()),
        "{late}"
    );
    assert_eq!(lines[2]["reason"], "wasmkit-test-result");
    assert_eq!(lines[2]["result"], "FAILED");
    assert_eq!(
        (&lines[2]["passed"], &lines[2]["failed"]),
        (&1.into(), &1.into())
    );
}

#[test]
fn a_bad_scenario_file_exits_2_naming_file_line_and_column() {
    let ws = scratch_plugin(
        "tt-never-built",
        &[
            (
                "typo.toml",
                "[request]\npath = \"/\"\n\n[expect]\noutcome = \"forwarded\"\nrespone-headers = { \"x\" = \"1\" }\n",
            ),
            ("types.toml", "ticks = \"three\"\n[request]\nheaders = 5\n"),
            ("syntax.toml", "[expect\noutcome = 1\n"),
        ],
    );
    let before = ws.snapshot();
    let out = run(test_in(ws.path()));
    // Nothing of a bad file runs, and nothing is built for it.
    out.expect_code(2).expect_no_stderr("Building");
    snapbox::assert_data_eq!(out.stderr, file!["snapshots/test/bad-files.stderr"]);
    snapbox::assert_data_eq!(out.stdout, file!["snapshots/test/bad-files.stdout"]);
    assert_eq!(ws.snapshot(), before);
}

#[test]
fn a_missing_file_or_one_outside_the_plugins_is_bad_input() {
    let ws = scratch_plugin("tt-never-built", &[]);
    ws.write("elsewhere/x.toml", "");
    let out =
        run(test_in(ws.path()).args(["tt-never-built/scenarios/nope.toml", "elsewhere/x.toml"]));
    out.expect_code(2);
    snapbox::assert_data_eq!(
        out.stderr,
        file!["snapshots/test/missing-and-outside.stderr"]
    );
}

#[test]
fn no_build_with_no_artifact_is_an_error_and_builds_nothing() {
    let ws = scratch_plugin("tt-never-built", &[("a.toml", "")]);
    // A target directory of its own: no other test's build holds its lock.
    let out = run(test_in(ws.path())
        .arg("--no-build")
        .env("CARGO_TARGET_DIR", ws.join("target")));
    out.expect_code(2).expect_no_stderr("Building");
    snapbox::assert_data_eq!(out.stderr, file!["snapshots/test/no-build-missing.stderr"]);
}

#[test]
fn a_plugin_without_scenarios_is_worth_a_warning_when_named() {
    let ws = scratch_plugin("tt-never-built", &[]);
    let out = run(test_in(ws.path()).args(["-p", "tt-never-built"]));
    out.expect_code(0);
    snapbox::assert_data_eq!(out.stderr, file!["snapshots/test/no-scenarios.stderr"]);
}

#[test]
fn artifact_runs_scenarios_against_any_file_and_takes_no_package() {
    let guests = guests();
    let out = run(test_in(&guests).args(["--artifact", "x.wasm", "-p", "tt-basic"]));
    out.expect_code(2);
    snapbox::assert_data_eq!(
        out.stderr,
        file!["snapshots/test/artifact-with-package.stderr"]
    );
}

#[test]
fn help_lists_the_options_and_every_scenario_key() {
    wasmkit()
        .args(["test", "--help"])
        .assert()
        .code(0)
        .stdout_eq(file!["snapshots/test/help.stdout"]);
}

#[test]
fn a_service_verifies_with_its_proxy_kind_and_fails_as_an_http_filter() {
    let out = run(wasmkit()
        .args(["build", "-p", "tt-service"])
        .current_dir(guests()));
    out.expect_code(0)
        .expect_stderr("Verified tt-service (proxy-wasm module, ABI 0.2.1, host envoy");
    // The same artifact as a file: an HTTP filter by default.
    let artifact = crate::support::shared_target_dir().join("wasmkit/debug/tt-service.wasm");
    let out = run(wasmkit().arg("verify").arg(&artifact));
    out.expect_code(1)
        .expect_stderr("missing ContextType on root_context")
        .expect_stderr("PROXY_KIND=service");
}

#[test]
fn the_examples_scenarios_pass() {
    let examples = crate::support::repo_root().join("examples");
    let out = run(test_in(&examples).args(["-p", "json-guard", "-p", "add-header"]));
    out.expect_code(0);
    snapbox::assert_data_eq!(out.stdout, file!["snapshots/test/examples.stdout"]);
}

#[test]
fn artifact_runs_scenarios_against_a_file_with_the_hosts_they_name() {
    run(wasmkit()
        .args(["build", "-p", "tt-basic", "--no-verify"])
        .current_dir(guests()))
    .expect_code(0);
    let artifact = crate::support::shared_target_dir().join("wasmkit/debug/tt-basic.wasm");
    let out = run(test_in(&guests()).arg("--artifact").arg(&artifact).args([
        "tt-basic/scenarios/adds-header.toml",
        "tt-late-header/scenarios/echoes-path.toml",
    ]));
    // The second scenario expects a header tt-basic never adds.
    out.expect_code(1);
    snapbox::assert_data_eq!(out.stdout, file!["snapshots/test/artifact.stdout"]);
}
