//! `cargo wasmkit build` tests: fixture workspaces under
//! `tests/fixtures/build-*` are copied to temporary directories and built
//! with the real binary; the assertions read the artifacts (their exports,
//! kind, sections), the records beside them, cargo's JSON messages, exit
//! codes and stderr.
//!
//! Every fixture package has a name of its own (`bt-...`), because all
//! tests share one cargo target directory and so one `target/wasmkit/`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmparser::{Parser, Payload};

use crate::support::{Run, Scratch, shared_target_dir, wasmkit};

/// Runs `cargo wasmkit build <args>` in `dir`.
fn build_in(dir: &Path, args: &[&str]) -> Run {
    Run::of(
        &wasmkit()
            .arg("build")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run cargo-wasmkit"),
    )
}

/// `target/wasmkit/<profile-dir>/<package>.wasm` of the shared target directory.
fn artifact(profile_dir: &str, package: &str) -> PathBuf {
    shared_target_dir()
        .join("wasmkit")
        .join(profile_dir)
        .join(format!("{package}.wasm"))
}

fn record(profile_dir: &str, package: &str) -> serde_json::Value {
    let path = artifact(profile_dir, package).with_extension("json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("record is JSON")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Export names of a core module.
fn core_exports(bytes: &[u8]) -> Vec<String> {
    assert!(!Parser::is_component(bytes), "expected a core module");
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::ExportSection(section) = payload.expect("valid wasm") {
            for export in section {
                names.push(export.expect("export").name.to_string());
            }
        }
    }
    names
}

/// Names of a core module's custom sections.
fn custom_sections(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::CustomSection(section) = payload.expect("valid wasm") {
            names.push(section.name().to_string());
        }
    }
    names
}

/// The component's own (outermost) import and export names.
fn component_imports_exports(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    assert!(Parser::is_component(bytes), "expected a component");
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("valid wasm") {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(section) if depth == 0 => {
                for import in section {
                    imports.push(import.expect("import").name.name.to_string());
                }
            }
            Payload::ComponentExportSection(section) if depth == 0 => {
                for export in section {
                    exports.push(export.expect("export").name.name.to_string());
                }
            }
            _ => {}
        }
    }
    (imports, exports)
}

fn has(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n == name)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn tags_change_the_artifact_and_reach_no_other_plugin() {
    let ws = Scratch::fixture("build-tags");
    let run = build_in(ws.path(), &[]);
    run.expect_code(0)
        // Compiler messages reach the user as cargo renders them.
        .expect_stderr("warning: unused variable: `unused_in_plain`")
        // The cfg tag is declared to check-cfg.
        .expect_no_stderr("unexpected `cfg` condition")
        .expect_stderr("Built bt-tags-cfg -> ")
        .expect_stderr("Finished 3 plugins (`dev` profile)");

    let tagged = read(&artifact("debug", "bt-tags-cfg"));
    let exports = core_exports(&tagged);
    assert!(has(&exports, "tag_on"), "cfg tag applied: {exports:?}");
    assert!(has(&exports, "base_cfg"), "{exports:?}");
    assert!(
        !has(&exports, "common_leaked"),
        "the cfg tag reached a dependency: {exports:?}"
    );
    let exports = core_exports(&read(&artifact("debug", "bt-tags-feature")));
    assert!(
        has(&exports, "feature_on"),
        "feature tag applied: {exports:?}"
    );
    let exports = core_exports(&read(&artifact("debug", "bt-tags-plain")));
    assert!(has(&exports, "base_plain"), "{exports:?}");
    assert!(!has(&exports, "leaked_cfg"), "cfg tag leaked: {exports:?}");
    assert!(
        !has(&exports, "leaked_feature"),
        "feature tag leaked: {exports:?}"
    );

    let rec = record("debug", "bt-tags-cfg");
    assert_eq!(rec["status"], "fresh");
    assert_eq!(rec["tags"][0]["name"], "bt_tag_on");
    assert_eq!(rec["tags"][0]["applied_as"], "cfg");
    assert_eq!(rec["tags"][0]["origin"]["kind"], "buildrc");
    assert_eq!(rec["tags"][0]["origin"]["line"], 1);
    assert_eq!(
        record("debug", "bt-tags-feature")["tags"][0]["applied_as"],
        "feature"
    );
    assert_eq!(
        record("debug", "bt-tags-plain")["tags"],
        serde_json::json!([])
    );

    // The same plugin without its tag builds a different artifact.
    ws.write("bt-tags-cfg/.buildrc", "");
    build_in(ws.path(), &["-p", "bt-tags-cfg"]).expect_code(0);
    let untagged = read(&artifact("debug", "bt-tags-cfg"));
    assert_ne!(tagged, untagged);
    let exports = core_exports(&untagged);
    assert!(!has(&exports, "tag_on"), "{exports:?}");
    assert!(has(&exports, "base_cfg"), "{exports:?}");
    assert_eq!(
        record("debug", "bt-tags-cfg")["tags"],
        serde_json::json!([])
    );

    // `--tags` adds a tag on the command line.
    build_in(ws.path(), &["-p", "bt-tags-plain", "--tags", "bt_tag_on"]).expect_code(0);
    let exports = core_exports(&read(&artifact("debug", "bt-tags-plain")));
    assert!(has(&exports, "leaked_cfg"), "--tags applied: {exports:?}");
    let rec = record("debug", "bt-tags-plain");
    assert_eq!(rec["tags"][0]["origin"]["kind"], "command-line");
}

/// A plugin that depends on another selected plugin is never in its cargo
/// run: the other's feature tag would be unified into the dependency as
/// this plugin links it.
#[test]
fn a_plugin_depending_on_another_gets_none_of_its_tags() {
    let ws = Scratch::fixture("build-deps");
    build_in(ws.path(), &["--explain"])
        .expect_code(0)
        .expect_stderr("alone: plugin `bt-dep-user` depends on it")
        .expect_stderr("alone: it depends on plugin `bt-dep-base`")
        .expect_stderr("--features bt-dep-base/loud --message-format");
    let base = core_exports(&read(&artifact("debug", "bt-dep-base")));
    assert!(has(&base, "base_loud"), "the tag applies: {base:?}");
    let user = core_exports(&read(&artifact("debug", "bt-dep-user")));
    assert!(has(&user, "dep_base"), "the dependency is linked: {user:?}");
    assert!(
        !has(&user, "base_loud"),
        "the other plugin's tag leaked: {user:?}"
    );
}

/// Builds A, then B (other tags, a feature that changes the shared
/// dependency, other RUSTFLAGS), then A again: cargo's `fresh` flags say
/// the second A compiled nothing.
#[test]
fn a_then_b_then_a_compiles_nothing_the_second_time() {
    let ws = Scratch::fixture("build-aba");
    let first = build_in(ws.path(), &["-p", "bt-aba-a", "--message-format", "json"]);
    first.expect_code(0);
    let compiled = |run: &Run| -> Vec<(String, bool)> {
        run.json_lines()
            .iter()
            .filter(|m| m["reason"] == "compiler-artifact")
            .map(|m| {
                (
                    m["target"]["name"].as_str().unwrap_or_default().to_string(),
                    m["fresh"].as_bool().expect("fresh flag"),
                )
            })
            .collect()
    };
    let units = compiled(&first);
    assert!(
        units
            .iter()
            .any(|(name, fresh)| name == "bt_aba_common" && !fresh),
        "the first build compiles: {units:?}"
    );

    build_in(ws.path(), &["-p", "bt-aba-b"]).expect_code(0);
    let b = record("debug", "bt-aba-b");
    assert!(
        b["cargo_artifact"]
            .as_str()
            .is_some_and(|p| p.contains("/wasmkit/flags-")),
        "B's RUSTFLAGS build in their own target directory: {b}"
    );

    let again = build_in(ws.path(), &["-p", "bt-aba-a", "--message-format", "json"]);
    again.expect_code(0).expect_no_stderr("Compiling");
    let units = compiled(&again);
    assert!(units.len() >= 2, "cargo reported the units: {units:?}");
    assert!(
        units.iter().all(|(_, fresh)| *fresh),
        "the second A recompiled: {units:?}"
    );
    // Our record is among cargo's messages, and describes the file.
    let lines = again.json_lines();
    let records: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|m| m["reason"] == "wasmkit-artifact")
        .collect();
    assert_eq!(records.len(), 1, "{lines:?}");
    let bytes = read(&artifact("debug", "bt-aba-a"));
    assert_eq!(records[0]["package"], "bt-aba-a");
    assert_eq!(records[0]["sha256"], sha256_hex(&bytes));
    assert_eq!(records[0]["size"], bytes.len());
    assert_eq!(records[0]["kind"], "core-module");

    // An artifact changed behind the tool's back is written again, even
    // though cargo has nothing to do.
    let wasm = artifact("debug", "bt-aba-a");
    std::fs::write(&wasm, b"not what was built").expect("overwrite");
    build_in(ws.path(), &["-p", "bt-aba-a"]).expect_code(0);
    assert_eq!(read(&wasm), bytes);

    // And B again is just as fresh, in its own directory.
    let b_again = build_in(ws.path(), &["-p", "bt-aba-b", "--message-format", "json"]);
    let units = compiled(b_again.expect_code(0));
    assert!(
        !units.is_empty() && units.iter().all(|(_, fresh)| *fresh),
        "{units:?}"
    );
}

#[test]
fn target_key_builds_for_that_target() {
    let ws = Scratch::fixture("build-keys");
    build_in(ws.path(), &["-p", "bt-key-target"]).expect_code(0);
    let bytes = read(&artifact("debug", "bt-key-target"));
    // wasm32-wasip2 links a component; the default wasm32-wasip1 a module.
    assert!(Parser::is_component(&bytes));
    let rec = record("debug", "bt-key-target");
    assert_eq!(rec["target"], "wasm32-wasip2");
    assert_eq!(rec["kind"], "component");
    assert_eq!(rec["component"], "none");
    assert!(
        rec["cargo_artifact"]
            .as_str()
            .is_some_and(|p| p.contains("/wasm32-wasip2/debug/")),
        "{rec}"
    );
}

#[test]
fn profile_key_builds_with_that_profile() {
    let ws = Scratch::fixture("build-keys");
    build_in(ws.path(), &["-p", "bt-key-release"]).expect_code(0);
    let bytes = read(&artifact("release", "bt-key-release"));
    let sections = custom_sections(&bytes);
    // The release profile strips debug info; dev builds keep it (see below).
    assert!(
        !sections.iter().any(|s| s.starts_with(".debug")),
        "{sections:?}"
    );
    let rec = record("release", "bt-key-release");
    assert_eq!(rec["profile"], "release");
    assert!(
        !artifact("debug", "bt-key-release").exists(),
        "nothing in the dev profile's directory"
    );
}

#[test]
fn release_flag_overrides_the_profile() {
    let ws = Scratch::fixture("build-keys");
    ws.write("bt-key-features/.buildrc", "FEATURES=extra\nPROFILE=dev\n");
    build_in(ws.path(), &["-p", "bt-key-features", "--release"]).expect_code(0);
    let release = read(&artifact("release", "bt-key-features"));
    assert!(
        !custom_sections(&release)
            .iter()
            .any(|s| s.starts_with(".debug"))
    );
    assert!(has(&core_exports(&release), "extra_on"));
    let rec = record("release", "bt-key-features");
    assert_eq!(rec["profile"], "release");
}

#[test]
fn features_key_enables_the_feature() {
    let ws = Scratch::fixture("build-keys");
    build_in(ws.path(), &["-p", "bt-key-features"]).expect_code(0);
    let bytes = read(&artifact("debug", "bt-key-features"));
    let exports = core_exports(&bytes);
    assert!(has(&exports, "extra_on"), "{exports:?}");
    // A dev build keeps its debug info (the release builds above do not).
    assert!(custom_sections(&bytes).iter().any(|s| s == ".debug_info"));
    let rec = record("debug", "bt-key-features");
    assert_eq!(rec["features"][0]["name"], "extra");
    assert_eq!(rec["features"][0]["origin"]["kind"], "buildrc");
}

#[test]
fn no_default_features_key_drops_default_features() {
    let ws = Scratch::fixture("build-keys");
    ws.write("bt-key-nodefault/.buildrc", "NO_DEFAULT_FEATURES=false\n");
    build_in(ws.path(), &["-p", "bt-key-nodefault"]).expect_code(0);
    let with_default = core_exports(&read(&artifact("debug", "bt-key-nodefault")));
    assert!(has(&with_default, "default_on"), "{with_default:?}");
    assert!(has(&with_default, "nodefault_base"), "{with_default:?}");

    ws.write("bt-key-nodefault/.buildrc", "NO_DEFAULT_FEATURES=true\n");
    build_in(ws.path(), &["-p", "bt-key-nodefault"]).expect_code(0);
    let without = core_exports(&read(&artifact("debug", "bt-key-nodefault")));
    assert!(!has(&without, "default_on"), "{without:?}");
    assert!(has(&without, "nodefault_base"), "{without:?}");
    assert_eq!(
        record("debug", "bt-key-nodefault")["no_default_features"],
        true
    );
}

#[test]
fn rustflags_key_reaches_rustc() {
    let ws = Scratch::fixture("build-keys");
    build_in(ws.path(), &["-p", "bt-key-rustflags"]).expect_code(0);
    let exports = core_exports(&read(&artifact("debug", "bt-key-rustflags")));
    assert!(has(&exports, "rustflags_on"), "{exports:?}");
    let rec = record("debug", "bt-key-rustflags");
    assert_eq!(rec["rustflags"], serde_json::json!(["--cfg", "bt_key_rf"]));
    assert!(
        rec["cargo_artifact"]
            .as_str()
            .is_some_and(|p| p.contains("/wasmkit/flags-")),
        "{rec}"
    );
}

#[test]
fn component_reactor_wraps_a_library() {
    let ws = Scratch::fixture("build-keys");
    build_in(ws.path(), &["-p", "bt-key-reactor"])
        .expect_code(0)
        .expect_stderr(
            "Wrapping bt-key-reactor into a component (wasi_snapshot_preview1.reactor.wasm)",
        );
    let bytes = read(&artifact("debug", "bt-key-reactor"));
    let (imports, exports) = component_imports_exports(&bytes);
    assert!(
        imports
            .iter()
            .any(|i| i.starts_with("wasi:cli/environment@")),
        "the adapter maps preview1 to WASI 0.2 imports: {imports:?}"
    );
    assert!(
        !exports.iter().any(|e| e.starts_with("wasi:cli/run@")),
        "a reactor has no `run`: {exports:?}"
    );
    let rec = record("debug", "bt-key-reactor");
    assert_eq!(rec["component"], "reactor");
    assert_eq!(rec["kind"], "component");
    assert_eq!(rec["target"], "wasm32-wasip1");
}

#[test]
fn component_command_wraps_a_binary() {
    let ws = Scratch::fixture("build-keys");
    build_in(ws.path(), &["-p", "bt-key-command"]).expect_code(0);
    let bytes = read(&artifact("debug", "bt-key-command"));
    let (_, exports) = component_imports_exports(&bytes);
    assert!(
        exports.iter().any(|e| e.starts_with("wasi:cli/run@")),
        "a command exports `run`: {exports:?}"
    );
    let rec = record("debug", "bt-key-command");
    assert_eq!(rec["component"], "command");
    assert_eq!(rec["kind"], "component");
}

#[test]
fn component_on_a_component_is_an_error_naming_the_setting() {
    let ws = Scratch::fixture("build-keys");
    ws.write(
        "bt-key-target/.buildrc",
        "TARGET=wasm32-wasip2\nCOMPONENT=reactor\n",
    );
    build_in(ws.path(), &["-p", "bt-key-target", "--profile", "bench"])
        .expect_code(1)
        .expect_stderr("error[component-wrap]: cannot wrap plugin `bt-key-target` into a component (COMPONENT=reactor): it is already a component")
        .expect_stderr("bt-key-target/.buildrc:2:11");
}

/// A failed rebuild keeps the previous artifact byte for byte and marks its
/// record stale; a good build makes it fresh again.
#[test]
fn failed_rebuild_keeps_the_artifact_and_marks_it_stale() {
    let ws = Scratch::fixture("build-stale");
    build_in(ws.path(), &[]).expect_code(0);
    let wasm = artifact("debug", "bt-stale");
    let before = read(&wasm);
    assert_eq!(record("debug", "bt-stale")["status"], "fresh");

    ws.write("bt-stale/src/lib.rs", "pub fn broken( {}\n");
    build_in(ws.path(), &[])
        .expect_code(1)
        .expect_stderr("error: ")
        .expect_stderr("error[build-failed]: failed to build plugin `bt-stale`");
    assert_eq!(read(&wasm), before, "the artifact is untouched");
    let rec = record("debug", "bt-stale");
    assert_eq!(rec["status"], "stale");
    assert_eq!(rec["sha256"], sha256_hex(&before));
    let leftovers: Vec<String> = std::fs::read_dir(wasm.parent().expect("dir"))
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".bt-stale."))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    ws.write(
        "bt-stale/src/lib.rs",
        "#[unsafe(no_mangle)]\npub extern \"C\" fn stale_fixed() -> i32 {\n    2\n}\n",
    );
    build_in(ws.path(), &[]).expect_code(0);
    assert_eq!(record("debug", "bt-stale")["status"], "fresh");
    assert!(has(&core_exports(&read(&wasm)), "stale_fixed"));
}

/// cargo-wasmkit killed in the middle of a build (by a stand-in for cargo
/// that kills its parent): the old artifact stays, its record is stale.
#[cfg(unix)]
#[test]
fn interrupted_build_leaves_the_artifact_and_a_stale_record() {
    use std::os::unix::fs::PermissionsExt;

    let ws = Scratch::fixture("build-interrupt");
    build_in(ws.path(), &[]).expect_code(0);
    let wasm = artifact("debug", "bt-interrupt");
    let before = read(&wasm);

    let real_cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let fake = ws.write(
        "fake-cargo.sh",
        "#!/bin/sh\n\
         # `cargo metadata` is the real one; a build kills cargo-wasmkit.\n\
         if [ \"$1\" = metadata ]; then exec \"$REAL_CARGO\" \"$@\"; fi\n\
         kill -9 \"$PPID\"\n\
         exit 1\n",
    );
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let run = Run::of(
        &wasmkit()
            .arg("build")
            .current_dir(ws.path())
            .env("CARGO", &fake)
            .env("REAL_CARGO", real_cargo)
            .output()
            .expect("run"),
    );
    assert_eq!(run.code, None, "killed by a signal: {}", run.stderr);
    assert_eq!(read(&wasm), before);
    assert_eq!(record("debug", "bt-interrupt")["status"], "stale");
}

#[test]
fn a_failing_plugin_does_not_stop_the_others() {
    let ws = Scratch::fixture("build-fail");
    let run = build_in(ws.path(), &[]);
    run.expect_code(1)
        // rustc's own error, in full.
        .expect_stderr("error[E0308]: mismatched types")
        .expect_stderr("bt-fail-bad/src/lib.rs:4:22")
        .expect_stderr("error[build-failed]: failed to build plugin `bt-fail-bad`")
        .expect_stderr("Failed bt-fail-bad")
        .expect_stderr("Finished 2 of 3 plugins");
    for good in ["bt-fail-good-a", "bt-fail-good-b"] {
        let rec = record("debug", good);
        assert_eq!(rec["status"], "fresh", "{good}");
        let exports = core_exports(&read(&artifact("debug", good)));
        assert!(has(&exports, &good.replace('-', "_")), "{exports:?}");
    }
    assert!(!artifact("debug", "bt-fail-bad").exists());
}

/// Cargo rejects a batch before compiling anything (a feature the plugin
/// does not have): its members are retried alone, and the good one builds.
#[test]
fn a_batch_rejected_by_cargo_is_retried_plugin_by_plugin() {
    let ws = Scratch::fixture("build-badfeature");
    build_in(ws.path(), &[])
        .expect_code(1)
        .expect_stderr("no_such_feature")
        .expect_stderr("Retrying bt-bf-good on its own")
        .expect_stderr("Built bt-bf-good -> ")
        .expect_stderr("error[build-failed]: failed to build plugin `bt-bf-bad`")
        .expect_no_stderr("failed to build plugin `bt-bf-good`");
    assert_eq!(record("debug", "bt-bf-good")["status"], "fresh");
}

/// The sysroot of the toolchain the tests run with.
fn sysroot() -> PathBuf {
    let out = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// A wasm target whose standard library is not installed.
fn uninstalled_wasm_target() -> &'static str {
    let sysroot = sysroot();
    [
        "wasm32v1-none",
        "wasm32-unknown-emscripten",
        "wasm64-unknown-unknown",
        "wasm32-wali-linux-musl",
    ]
    .into_iter()
    .find(|t| !sysroot.join("lib/rustlib").join(t).exists())
    .expect("one of the candidate wasm targets is not installed")
}

/// A directory with `cargo` and `rustc` of the current toolchain (and
/// whatever else is written into it), to use as the whole `PATH`.
#[cfg(unix)]
fn bin_dir(ws: &Scratch) -> PathBuf {
    let bin = ws.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let sysroot = sysroot();
    for tool in ["cargo", "rustc"] {
        std::os::unix::fs::symlink(sysroot.join("bin").join(tool), bin.join(tool))
            .expect("symlink");
    }
    bin
}

#[cfg(unix)]
#[test]
fn missing_target_without_rustup_names_the_command() {
    let ws = Scratch::fixture("build-target");
    let target = uninstalled_wasm_target();
    ws.write("bt-target-missing/.buildrc", format!("TARGET={target}\n"));
    let bin = bin_dir(&ws);
    let run = Run::of(
        &wasmkit()
            .args(["build", "--explain"])
            .current_dir(ws.path())
            .env("PATH", &bin)
            .env_remove("CARGO")
            .env_remove("RUSTC")
            .output()
            .expect("run"),
    );
    run.expect_code(2)
        .expect_stderr(&format!(
            "error[target-missing]: the `{target}` target, needed by plugin `bt-target-missing`, is not installed"
        ))
        .expect_stderr("bt-target-missing/.buildrc:1:8")
        .expect_stderr("rustup is not on PATH")
        .expect_stderr(&format!("install it with `rustup target add {target}`"))
        .expect_no_stderr("Installing")
        .expect_stderr(&format!(
            "  not built: the `{target}` target is not installed"
        ));
    // The other plugin still builds.
    assert_eq!(record("debug", "bt-target-ok")["status"], "fresh");
}

#[cfg(unix)]
#[test]
fn missing_target_is_installed_with_rustup_or_names_the_command() {
    use std::os::unix::fs::PermissionsExt;

    let ws = Scratch::fixture("build-target");
    let target = uninstalled_wasm_target();
    ws.write("bt-target-missing/.buildrc", format!("TARGET={target}\n"));
    let bin = bin_dir(&ws);
    let calls = ws.join("rustup-calls");
    // A rustup that cannot download, as on a machine without network.
    let rustup = ws.write(
        "bin/rustup",
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\necho 'error: could not download file' >&2\nexit 1\n",
            calls.display()
        ),
    );
    std::fs::set_permissions(&rustup, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let run = Run::of(
        &wasmkit()
            .args(["build", "-p", "bt-target-missing"])
            .current_dir(ws.path())
            .env("PATH", &bin)
            // Cargo's own toolchain is looked at first, then rustc is asked.
            .env("CARGO", sysroot().join("bin/cargo"))
            .env_remove("RUSTC")
            .output()
            .expect("run"),
    );
    run.expect_code(2)
        .expect_stderr(&format!(
            "Installing target {target} (rustup target add {target})"
        ))
        .expect_stderr(&format!(
            "`rustup target add {target}` failed: error: could not download file"
        ))
        .expect_stderr(&format!(
            "help: install it with `rustup target add {target}`"
        ));
    assert_eq!(
        std::fs::read_to_string(&calls).expect("rustup was called"),
        format!("target add {target}\n")
    );
}

#[test]
fn explain_shows_commands_environment_origins_and_batching() {
    let ws = Scratch::fixture("build-explain");
    let run = build_in(ws.path(), &["--explain"]);
    run.expect_code(0);
    // The explanation comes before the build starts; paths of this machine
    // are redacted.
    let explained: String = run
        .stderr
        .lines()
        .take_while(|l| !l.starts_with("    Building "))
        .map(|l| format!("{l}\n"))
        .collect();
    let explained = explained
        .replace(&ws.path().display().to_string(), "[WS]")
        .replace(&shared_target_dir().display().to_string(), "[TARGET]");
    snapbox::assert_data_eq!(explained, snapbox::file!["snapshots/build/explain.stderr"]);
    // What was explained is what was built.
    for (package, export) in [
        ("bt-ex-cfg", "ex_cfg"),
        ("bt-ex-one", "ex_one"),
        ("bt-ex-two", "ex_two"),
        ("bt-ex-dep", "ex_dep"),
        ("bt-ex-flags", "ex_flags"),
    ] {
        let exports = core_exports(&read(&artifact("debug", package)));
        assert!(has(&exports, export), "{package}: {exports:?}");
    }
    // `-v` explains too.
    build_in(ws.path(), &["-v", "-p", "bt-ex-one"])
        .expect_code(0)
        .expect_stderr("cargo run 1 of 1, alone: no other plugin that may share a cargo run")
        .expect_stderr("command: ");
}

#[test]
fn bad_selection_is_bad_input() {
    let ws = Scratch::fixture("build-stale");
    let unknown = build_in(ws.path(), &["-p", "bt-no-such-plugin"]);
    unknown.expect_code(2);
    snapbox::assert_data_eq!(
        unknown.stderr,
        snapbox::file!["snapshots/build/unknown-package.stderr"]
    );
    let bad_tag = build_in(ws.path(), &["--tags", "not-a-cfg!"]);
    bad_tag.expect_code(2);
    snapbox::assert_data_eq!(
        bad_tag.stderr,
        snapbox::file!["snapshots/build/invalid-tag.stderr"]
    );
}

/// On a terminal, the progress display draws a line per plugin and leaves
/// each in its final state.
#[cfg(target_os = "linux")]
#[test]
fn progress_display_on_a_terminal() {
    let ws = Scratch::fixture("build-progress");
    let binary = snapbox::cmd::cargo_bin!("cargo-wasmkit");
    let command = format!("'{}' wasmkit build; echo \"exit=$?\"", binary.display());
    // `script` runs the command on a pseudo-terminal.
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(ws.path())
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("CI")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("run script");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("exit=0"), "{text}");
    for package in ["bt-pg-a", "bt-pg-b"] {
        let done = format!("{package}   done -> ");
        assert!(text.contains(&done), "no final state for {package}: {text}");
        assert_eq!(record("debug", package)["status"], "fresh");
    }
    assert!(text.contains("Finished 2 plugins"), "{text}");
    // Plain status lines are for logs, not for terminals.
    assert!(!text.contains("Built bt-pg-a"), "{text}");
}

/// The artifact API that `invoke -p` and `verify` use, followed through
/// builds, source changes and a failed build.
#[test]
fn artifact_state_follows_builds_sources_and_settings() {
    use wasmkit_build::artifact::{ArtifactState, is_up_to_date, location_in};
    use wasmkit_core::config::CliOverrides;
    use wasmkit_core::workspace::{CargoOptions, PackageSelection, Project};

    let ws = Scratch::fixture("build-state");
    let project = Project::load(&CargoOptions {
        manifest_path: Some(ws.join("Cargo.toml")),
        ..CargoOptions::default()
    })
    .expect("load the fixture");
    let plugin_with = |cli: &CliOverrides| {
        project
            .select(&PackageSelection::default(), cli)
            .expect("select")
            .plugins
            .remove(0)
    };
    let plugin = plugin_with(&CliOverrides::default());
    // The tool runs with the shared target directory; this process does not.
    let location = location_in(&shared_target_dir(), &plugin);
    // Left by an earlier run of this test (the target directory is shared).
    for leftover in [&location.wasm, &location.record] {
        let _ = std::fs::remove_file(leftover);
    }
    assert_eq!(location.state(&plugin), ArtifactState::Missing);
    let missing = location.state(&plugin).into_current(&plugin, &location);
    assert_eq!(
        missing.expect_err("missing").0[0].code.name(),
        "missing-artifact"
    );

    build_in(ws.path(), &[]).expect_code(0);
    let ArtifactState::Current(record) = location.state(&plugin) else {
        panic!("not current: {:?}", location.state(&plugin));
    };
    assert_eq!(record.sha256, sha256_hex(&read(&location.wasm)));
    assert!(is_up_to_date(&plugin, &record));

    // Other settings than the artifact was built with.
    let tagged = plugin_with(&CliOverrides {
        tags: vec!["bt_state_tag".into()],
        ..CliOverrides::default()
    });
    assert!(!is_up_to_date(&tagged, &record));
    assert!(matches!(
        location.state(&tagged),
        ArtifactState::Outdated { ref why, .. } if why.contains("EXTRA_TAGS")
    ));

    // Sources newer than the artifact.
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&location.wasm)
        .and_then(|f| f.set_modified(an_hour_ago))
        .expect("set mtime");
    assert!(!is_up_to_date(&plugin, &record));
    let outdated = location.state(&plugin).into_current(&plugin, &location);
    assert_eq!(
        outdated.expect_err("outdated").0[0].code.name(),
        "stale-artifact"
    );
    // A build with nothing for cargo to do makes it current again.
    build_in(ws.path(), &[]).expect_code(0);
    assert!(matches!(location.state(&plugin), ArtifactState::Current(_)));

    // A failed build leaves it stale.
    ws.write("bt-state/src/lib.rs", "fn broken(\n");
    build_in(ws.path(), &[]).expect_code(1);
    assert!(matches!(location.state(&plugin), ArtifactState::Stale(_)));
}

/// The issue's own case: the example proxy-wasm plugin's `.buildrc` tag
/// changes its ABI marker, and does not reach the other example built in
/// the same run.
#[test]
fn examples_build_with_their_buildrc_applied() {
    let manifest = crate::support::repo_root().join("examples/Cargo.toml");
    let run = Run::of(
        &wasmkit()
            .args([
                "build",
                "--no-verify",
                "-p",
                "json-guard",
                "-p",
                "add-header",
            ])
            .arg("--manifest-path")
            .arg(&manifest)
            .output()
            .expect("run cargo-wasmkit"),
    );
    run.expect_code(0);
    let tagged = core_exports(&read(&artifact("debug", "json-guard")));
    assert!(has(&tagged, "proxy_abi_version_0_2_100"), "{tagged:?}");
    assert!(!has(&tagged, "proxy_abi_version_0_2_0"), "{tagged:?}");
    let untagged = core_exports(&read(&artifact("debug", "add-header")));
    assert!(
        !has(&untagged, "proxy_abi_version_0_2_100"),
        "the tag leaked: {untagged:?}"
    );
    let rec = record("debug", "json-guard");
    assert_eq!(rec["tags"][0]["name"], "proxy_wasm_version_0_2_100");
    assert_eq!(rec["tags"][0]["applied_as"], "cfg");
}
