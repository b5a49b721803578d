//! A plugin of another SDK: the AssemblyScript proxy-wasm SDK's
//! "Hello, World" (`tests/fixtures/as-guest`, built from source with npm).
//! It registers its root context under the root id `add_header`, as its
//! Envoy configuration names it: verify and test pass with that id (and
//! the configuration its README gives: with none, this SDK version traps
//! in `onConfigure`, as it passes the configuration size where the host
//! writes the size, so a stale size frees address 0), and without the id
//! the failure says to set it.

use snapbox::{assert_data_eq, file};

use crate::support::{Run, as_guest, repo_root, wasmkit};

fn run(args: &[&str]) -> Run {
    Run::of(
        &wasmkit()
            .args(args)
            .arg(as_guest())
            .current_dir(repo_root())
            .output()
            .expect("run cargo-wasmkit"),
    )
}

#[test]
fn it_verifies_with_its_root_id_and_fails_without_it_saying_so() {
    // With the root id and configuration of its README's Envoy config.
    let config = repo_root().join("tests/fixtures/as-guest/envoy-configuration.txt");
    let config = config.display().to_string();
    let with_id = run(&[
        "verify",
        "--host",
        "envoy",
        "--root-id",
        "add_header",
        "--config",
        &config,
    ]);
    with_id.expect_code(0);
    assert_data_eq!(
        with_id.stderr,
        file!["snapshots/sdk_assemblyscript/with-root-id.stderr"]
    );

    let without = run(&["verify", "--host", "envoy", "--config", &config]);
    without.expect_code(1);
    assert_data_eq!(
        without.stderr,
        file!["snapshots/sdk_assemblyscript/without-root-id.stderr"]
    );
}

#[test]
fn its_scenarios_pass_with_the_root_id_they_set() {
    let scenarios = repo_root().join("tests/fixtures/as-guest/scenarios");
    let mut args = vec!["test".to_string(), "--artifact".to_string()];
    args.push(as_guest().display().to_string());
    for name in ["adds-hello.toml", "configured.toml", "no-root-id.toml"] {
        args.push(scenarios.join(name).display().to_string());
    }
    let out = Run::of(
        &wasmkit()
            .args(&args)
            .current_dir(repo_root())
            .output()
            .expect("run cargo-wasmkit"),
    );
    out.expect_code(0);
    assert_data_eq!(
        out.stdout,
        file!["snapshots/sdk_assemblyscript/scenarios.stdout"]
    );
}
