//! Existing plugin crates work as they are: a member with a `cdylib`
//! library target is a plugin with default settings, `-p` takes a package
//! with a `bin` target, `plugin = false` opts out, and a crate outside any
//! workspace works from its directory or through `--manifest-path`.

use snapbox::{assert_data_eq, file};

use crate::support::{Run, Scratch, repo_root, wasmkit};

fn run(dir: &std::path::Path, args: &[&str]) -> Run {
    Run::of(
        &wasmkit()
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run cargo-wasmkit"),
    )
}

/// The proxy-wasm SDK test plugins have no `.buildrc` and no metadata.
#[test]
fn an_existing_proxy_wasm_crate_builds_with_no_configuration() {
    let ws = Scratch::copy_of(&repo_root().join("tests/fixtures/proxy-guests"));
    let config = run(ws.path(), &["config"]);
    config.expect_code(0);
    assert_data_eq!(config.stdout, file!["snapshots/zero_config.sdk.stdout"]);

    run(&ws.join("sdk-good"), &["build"])
        .expect_code(0)
        .expect_stderr("Built sdk-good")
        .expect_stderr("Verified sdk-good (proxy-wasm module, ABI 0.2.1,")
        .expect_no_stderr("sdk-wait-body");
}

/// A workspace with a member of every kind.
fn members() -> Scratch {
    let ws = Scratch::empty();
    ws.write(
        "Cargo.toml",
        "[workspace]\nresolver = \"3\"\nmembers = [\"filter\", \"opted-out\", \"tool\", \"helper\"]\n",
    );
    let package = |name: &str, rest: &str| {
        ws.write(
            format!("{name}/Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n{rest}"
            ),
        );
    };
    package("filter", "\n[lib]\ncrate-type = [\"cdylib\"]\n");
    ws.write("filter/src/lib.rs", "");
    package(
        "opted-out",
        "\n[lib]\ncrate-type = [\"cdylib\"]\n\n[package.metadata.wasmkit]\nplugin = false\n",
    );
    ws.write("opted-out/src/lib.rs", "");
    package("tool", "");
    ws.write("tool/src/main.rs", "fn main() {}\n");
    package("helper", "");
    ws.write("helper/src/lib.rs", "");
    ws
}

#[test]
fn cdylib_members_are_plugins_bins_can_be_named_and_opting_out_works() {
    let ws = members();
    let listed = run(ws.path(), &["config"]);
    listed.expect_code(0);
    assert_data_eq!(listed.stdout, file!["snapshots/zero_config.members.stdout"]);

    let named = run(
        ws.path(),
        &["config", "-p", "tool", "--message-format", "json"],
    );
    named.expect_code(0);
    let json = &named.json_lines()[0];
    assert_eq!(
        json["plugin"],
        serde_json::json!({"kind": "named-with-bin", "bin": "tool"})
    );

    let refused = run(ws.path(), &["config", "-p", "opted-out", "-p", "helper"]);
    refused.expect_code(2);
    assert_data_eq!(
        refused.stderr,
        file!["snapshots/zero_config.refused.stderr"]
    );
}

#[test]
fn a_crate_outside_any_workspace_works_from_its_directory_or_manifest_path() {
    let dir = Scratch::empty();
    dir.write(
        "Cargo.toml",
        "[package]\nname = \"zc-standalone\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n",
    );
    dir.write(
        "src/lib.rs",
        "#[unsafe(no_mangle)]\npub extern \"C\" fn answer() -> i32 {\n    42\n}\n",
    );
    run(dir.path(), &["build"])
        .expect_code(0)
        .expect_stderr("Built zc-standalone")
        .expect_stderr("Verified zc-standalone (core module,");

    let elsewhere = Scratch::empty();
    let manifest = dir.join("Cargo.toml");
    let invoked = run(
        elsewhere.path(),
        &[
            "invoke",
            "--manifest-path",
            manifest.to_str().expect("UTF-8 path"),
            "answer()",
        ],
    );
    invoked.expect_code(0);
    assert_eq!(invoked.stdout, "42\n");
}
