//! `cargo wasmkit config` tests, and the cargo-subcommand conventions every
//! command shares (help, colour, selection, exit codes).

use snapbox::{file, str};

use crate::support::{Scratch, repo_root, wasmkit};

/// A workspace with three plugins whose settings come from every layer.
fn layered() -> Scratch {
    let ws = Scratch::empty();
    ws.write(
        "Cargo.toml",
        r#"[workspace]
resolver = "3"
members = ["alpha", "beta", "gamma", "lib-only"]

[workspace.metadata.wasmkit]
profile = "release"
host = "envoy"
"#,
    );
    for name in ["alpha", "beta", "gamma", "lib-only"] {
        ws.write(
            format!("{name}/Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[features]\nfast = []\n"
            ),
        );
        ws.write(format!("{name}/src/lib.rs"), "");
    }
    ws.write(
        "alpha/.buildrc",
        "# alpha\nEXTRA_TAGS=fast,only_alpha\nHOST=higress\n",
    );
    ws.write(
        "beta/Cargo.toml",
        r#"[package]
name = "beta"
version = "0.1.0"
edition = "2024"

[package.metadata.wasmkit]
features = ["x"]
profile = "dev"
verify-invoke = ["add(1, 2)", "add(2, 3)"]
verify-expect = "3; 5"

[features]
x = []
fast = []
"#,
    );
    ws.write("gamma/.buildrc", "");
    ws
}

#[test]
fn examples_list_every_plugin_with_each_setting_and_its_source() {
    wasmkit()
        .current_dir(repo_root())
        .args([
            "config",
            "--manifest-path",
            "examples/Cargo.toml",
            "-p",
            "json-guard",
            "-p",
            "add-header",
        ])
        .assert()
        .success()
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
json-guard 0.1.0 (examples/json-guard)
  plugin: a `.buildrc` (examples/json-guard/.buildrc)
  EXTRA_TAGS           proxy_wasm_version_0_2_100 (cfg)  examples/json-guard/.buildrc:3:12
  FEATURES             -                                 default
  NO_DEFAULT_FEATURES  false                             default
  TARGET               wasm32-wasip1                     default
  PROFILE              dev                               default
  RUSTFLAGS            -                                 default
  COMPONENT            none                              default
  HOST                 higress                           examples/json-guard/.buildrc:4:6
  PROXY_KIND           http                              default
  ROOT_ID              -                                 default
  VM_ID                -                                 default
  VERIFY_CONFIG        examples/json-guard/config.json   examples/json-guard/.buildrc:5:15
  VERIFY_INVOKE        -                                 default
  VERIFY_EXPECT        -                                 default
  VERIFY_MOCKS         -                                 default
  VERIFY_HTTP          -                                 default

add-header 0.1.0 (examples/add-header)
  plugin: a `.buildrc` (examples/add-header/.buildrc)
  EXTRA_TAGS           -              default
  FEATURES             -              default
  NO_DEFAULT_FEATURES  false          default
  TARGET               wasm32-wasip1  default
  PROFILE              dev            default
  RUSTFLAGS            -              default
  COMPONENT            none           default
  HOST                 envoy          examples/add-header/.buildrc:2:6
  PROXY_KIND           http           default
  ROOT_ID              -              default
  VM_ID                -              default
  VERIFY_CONFIG        -              default
  VERIFY_INVOKE        -              default
  VERIFY_EXPECT        -              default
  VERIFY_MOCKS         -              default
  VERIFY_HTTP          -              default

"#]]);
    // Without -p: all three example plugins, in workspace order.
    wasmkit()
        .current_dir(repo_root())
        .args(["config", "--manifest-path", "examples/Cargo.toml"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/config/examples.stdout"]);
}

#[test]
fn precedence_is_command_line_buildrc_package_workspace_default() {
    let ws = layered();
    let out = wasmkit()
        .current_dir(ws.path())
        .args(["config", "--message-format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plugins: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // lib-only has neither a .buildrc nor a metadata table: not a plugin.
    let names: Vec<&str> = plugins
        .iter()
        .map(|p| p["package"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta", "gamma"]);
    let alpha = &plugins[0]["settings"];
    assert_eq!(alpha["HOST"]["value"], "higress");
    assert_eq!(alpha["HOST"]["origin"]["kind"], "buildrc");
    assert_eq!(alpha["HOST"]["origin"]["line"], 3);
    assert_eq!(alpha["PROFILE"]["value"], "release");
    assert_eq!(alpha["PROFILE"]["origin"]["kind"], "workspace-metadata");
    assert_eq!(alpha["EXTRA_TAGS"][0]["value"], "fast");
    assert_eq!(alpha["EXTRA_TAGS"][0]["applied-as"], "feature");
    assert_eq!(alpha["EXTRA_TAGS"][1]["value"], "only_alpha");
    assert_eq!(alpha["EXTRA_TAGS"][1]["applied-as"], "cfg");
    let beta = &plugins[1]["settings"];
    assert_eq!(beta["PROFILE"]["value"], "dev");
    assert_eq!(beta["PROFILE"]["origin"]["kind"], "package-metadata");
    assert_eq!(beta["PROFILE"]["origin"]["line"], 8);
    assert_eq!(beta["FEATURES"][0]["value"], "x");
    assert_eq!(
        beta["VERIFY_INVOKE"]["value"],
        serde_json::json!(["add(1, 2)", "add(2, 3)"])
    );
    assert_eq!(
        beta["VERIFY_EXPECT"]["value"],
        serde_json::json!(["3", "5"])
    );
    assert_eq!(beta["HOST"]["origin"]["kind"], "workspace-metadata");
    let gamma = &plugins[2]["settings"];
    assert_eq!(gamma["TARGET"]["origin"]["kind"], "default");

    // The command line is on top: --release/--profile replace, --tags and
    // --features add.
    wasmkit()
        .current_dir(ws.path())
        .args([
            "config",
            "-p",
            "beta",
            "--profile",
            "bench",
            "--tags",
            "fast",
            "-F",
            "beta/fast",
        ])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/config/command-line-on-top.stdout"]);
}

#[test]
fn inside_a_plugin_only_that_plugin_is_selected() {
    let ws = layered();
    let headers = |dir: &str, args: &[&str]| -> Vec<String> {
        let out = wasmkit()
            .current_dir(ws.join(dir))
            .arg("config")
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.is_empty())
            .filter_map(|l| l.split_once(" (").map(|(name, _)| name.to_string()))
            .collect()
    };
    assert_eq!(headers("gamma/src", &[]), ["gamma 0.1.0"]);
    // --workspace widens it again.
    assert_eq!(
        headers("gamma", &["--workspace", "--exclude", "alpha"]),
        ["beta 0.1.0", "gamma 0.1.0"]
    );
}

#[test]
fn bad_selections_are_bad_input() {
    let ws = layered();
    wasmkit()
        .current_dir(ws.path())
        .args(["config", "-p", "alhpa"])
        .assert()
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error[unknown-package]: package `alhpa` (from `-p`) is not a member of the workspace
--> .
 = note: the members are: alpha, beta, gamma, lib-only
 = help: did you mean `alpha`?


"#]]);
    wasmkit()
        .current_dir(ws.path())
        .args(["config", "-p", "lib-only"])
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error[not-a-plugin]: package `lib-only` is not a wasmkit plugin: it has no `cdylib` library or `bin` target
--> lib-only/Cargo.toml
 = note: a plugin is built to wasm from its `cdylib` library or from a binary
 = help: add `[lib] crate-type = ["cdylib"]` to its `Cargo.toml`


"#]]);
}

#[test]
fn a_shell_command_or_a_typo_in_buildrc_names_file_and_line() {
    let ws = layered();
    ws.write(
        "gamma/.buildrc",
        "TARGET=wasm32-wasip1\ncurl -sSf https://example.com/setup.sh | sh\n",
    );
    wasmkit()
        .current_dir(ws.path())
        .args(["config", "-p", "gamma"])
        .assert()
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error[buildrc-command]: this line is a shell command, and `.buildrc` is never executed
 --> gamma/.buildrc:2:1
  |
2 | curl -sSf https://example.com/setup.sh | sh
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ not a `KEY=VALUE` assignment
  |
  = note: cargo-wasmkit reads `.buildrc` as data: only `KEY=VALUE` lines, comments and blank lines
  = help: run build steps from a build script (`build.rs`) or your CI, not from `.buildrc`


"#]]);
    ws.write(
        "gamma/.buildrc",
        "# tags for the gateway\nEXTRA_TAG=proxy_wasm_version_0_2_100",
    );
    wasmkit()
        .current_dir(ws.path())
        .args(["config", "-p", "gamma"])
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error[unknown-key]: unknown key `EXTRA_TAG`
 --> gamma/.buildrc:2:1
  |
2 | EXTRA_TAG=proxy_wasm_version_0_2_100
  | ^^^^^^^^^ not a cargo-wasmkit setting
  |
  = help: did you mean `EXTRA_TAGS`?


"#]]);
    // JSON: the same diagnostic as an object on stdout.
    let out = wasmkit()
        .current_dir(ws.path())
        .args(["config", "-p", "gamma", "--message-format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["code"], "unknown-key");
    assert_eq!(d["labels"][0]["file"], "gamma/.buildrc");
    assert_eq!(d["labels"][0]["line"], 2);
    assert_eq!(d["help"][0], "did you mean `EXTRA_TAGS`?");
}

#[test]
fn colour_follows_the_flag_and_cargo_term_color() {
    let ws = layered();
    ws.write("gamma/.buildrc", "EXTRA_TAG=x\n");
    let run = |args: &[&str], env: Option<&str>| {
        let mut cmd = wasmkit().current_dir(ws.path()).arg("config").args(args);
        if let Some(v) = env {
            cmd = cmd.env("CARGO_TERM_COLOR", v);
        }
        String::from_utf8(cmd.output().unwrap().stderr).unwrap()
    };
    assert!(
        run(&[], Some("always")).contains("\u{1b}["),
        "CARGO_TERM_COLOR=always colours"
    );
    assert!(run(&["--color", "always"], None).contains("\u{1b}["));
    assert!(
        !run(&["--color", "never"], Some("always")).contains("\u{1b}["),
        "the flag wins"
    );
    assert!(
        !run(&[], Some("auto")).contains("\u{1b}["),
        "not a terminal: no colour"
    );
}

#[test]
fn help_lists_the_subcommands_and_cargo_finds_the_binary() {
    let out = wasmkit().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for cmd in ["build", "verify", "invoke", "config", "new"] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{cmd} "))),
            "{cmd} missing:\n{help}"
        );
    }
    assert!(
        help.contains("Usage: cargo wasmkit [OPTIONS] <COMMAND>"),
        "{help}"
    );

    // Through cargo itself: `cargo wasmkit ...` and `cargo help wasmkit`.
    let bin = std::path::PathBuf::from(snapbox::cmd::cargo_bin!("cargo-wasmkit"));
    let path = std::env::join_paths(std::iter::once(bin.parent().unwrap().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = std::process::Command::new(&cargo)
        .args(["wasmkit", "config", "--manifest-path"])
        .arg(repo_root().join("examples/Cargo.toml"))
        .args(["-p", "shapes"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("shapes 0.1.0"));
    let out = std::process::Command::new(&cargo)
        .args(["help", "wasmkit"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Commands:") && help.contains("invoke"),
        "{help}"
    );
}

#[test]
fn usage_errors_exit_2() {
    wasmkit()
        .args(["build", "--bogus"])
        .assert()
        .code(2)
        .stderr_eq(file!["snapshots/config/usage-unknown-flag.stderr"]);
    wasmkit()
        .args(["frobnicate"])
        .assert()
        .code(2)
        .stderr_eq(file!["snapshots/config/usage-unknown-command.stderr"]);
    wasmkit()
        .args(["--quiet", "--verbose", "config"])
        .assert()
        .code(2)
        .stderr_eq(file!["snapshots/config/usage-conflict.stderr"]);
}

#[test]
fn proxy_kind_and_ids_come_from_buildrc_or_metadata_and_are_checked() {
    let ws = Scratch::empty();
    ws.write(
        "Cargo.toml",
        "[workspace]\nresolver = \"3\"\nmembers = [\"svc\", \"net\"]\n",
    );
    ws.write(
        "svc/Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    ws.write("svc/.buildrc", "PROXY_KIND=service\nROOT_ID=svc_root\n");
    ws.write(
        "net/Cargo.toml",
        "[package]\nname = \"net\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[package.metadata.wasmkit]\nproxy-kind = \"network\"\nvm-id = \"vm_1\"\n",
    );
    for name in ["svc", "net"] {
        ws.write(format!("{name}/src/lib.rs"), "");
    }
    wasmkit()
        .current_dir(ws.path())
        .args(["config"])
        .assert()
        .code(0)
        .stdout_eq(snapbox::file!["snapshots/config/proxy-kind.stdout"]);

    ws.write("svc/.buildrc", "PROXY_KIND=tcp\n");
    wasmkit()
        .current_dir(ws.path())
        .args(["config", "-p", "svc"])
        .assert()
        .code(2)
        .stderr_eq(snapbox::file!["snapshots/config/proxy-kind-invalid.stderr"]);
}
