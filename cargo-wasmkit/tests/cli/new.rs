//! `cargo wasmkit new` tests: plugins created with the real binary in
//! temporary workspaces whose root manifests are written by hand (comments,
//! odd spacing, inline tables), so that any reformatting of them shows;
//! then built, verified and invoked. Refusals must leave the tree exactly
//! as it was.
//!
//! Package names start with `nt-`: the tests share one cargo target
//! directory, and so one `target/wasmkit/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use snapbox::{assert_data_eq, file, str};

use crate::support::{Run, Scratch, repo_root, shared_target_dir, wasmkit};

/// The root manifest of the test workspaces.
const ROOT: &str = r#"# A workspace written by hand: comments, odd spacing and inline tables
# must all stay exactly as they are.
[workspace]
resolver   =   "3"      # the 2024 resolver
members = [
    "crates/nt-util",   # a plain library, not a plugin
    # "crates/nt-retired",
]
exclude = [ "vendor" ]

[workspace.package]
version    = "0.3.0"
edition = "2024"
license = "MIT OR Apache-2.0"
publish = false

[workspace.dependencies]
serde = { version = "1", default-features = false, features = [ "derive" ] }

[workspace.metadata.notes]
owners = { team = "edge", since = 2024 }

[workspace.lints.rust]
rust_2018_idioms = { level = "warn", priority = -1 }

[workspace.lints.clippy]
all = { level = "warn", priority = -1 }

[profile.release]
opt-level   = "s"   # small plugins
strip = "debuginfo"
"#;

/// The `members` array of [`ROOT`], one entry a line.
const MEMBERS_BY_LINE: &str = r#"members = [
    "crates/nt-util",   # a plain library, not a plugin
    # "crates/nt-retired",
]
"#;

/// [`ROOT`] with `members` in another form.
fn root_with_members(members: &str) -> String {
    assert!(ROOT.contains(MEMBERS_BY_LINE));
    ROOT.replace(MEMBERS_BY_LINE, members)
}

/// A workspace with [`ROOT`]-like manifest `root` and its one library
/// member. It starts from the examples' lock, so the new plugins resolve
/// the same dependency versions as the examples (the pinned wit-bindgen
/// and proxy-wasm) and their builds reuse what the shared target dir has.
fn workspace(root: &str) -> Scratch {
    let ws = Scratch::empty();
    ws.write("Cargo.toml", root);
    ws.write(
        "crates/nt-util/Cargo.toml",
        "[package]\nname = \"nt-util\"\nversion.workspace = true\nedition.workspace = true\n\n[lints]\nworkspace = true\n",
    );
    ws.write("crates/nt-util/src/lib.rs", "//! Not a plugin.\n");
    std::fs::copy(
        repo_root().join("examples/Cargo.lock"),
        ws.join("Cargo.lock"),
    )
    .expect("copy the examples' lock");
    ws
}

/// `cargo wasmkit <args>` in `dir`.
fn wasmkit_in(dir: &Path, args: &[&str]) -> Run {
    Run::of(
        &wasmkit()
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run cargo-wasmkit"),
    )
}

/// Plain `cargo <args>` in `dir`, with the shared target directory.
fn cargo_in(dir: &Path, args: &[&str]) -> Run {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Run::of(
        &Command::new(cargo)
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", shared_target_dir())
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output()
            .expect("run cargo"),
    )
}

#[track_caller]
fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `text` with `line` inserted right after the first occurrence of `after`.
#[track_caller]
fn with_inserted(text: &str, after: &str, line: &str) -> String {
    let at = text.find(after).expect("anchor in text") + after.len();
    format!("{}{line}{}", &text[..at], &text[at..])
}

/// Every file below `dir`, relative, `/`-separated, sorted.
fn files_below(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).expect("below root");
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// The `version = "..."` a dependency line of a manifest gives.
#[track_caller]
fn dependency_version(manifest: &str, dependency: &str) -> String {
    let line = manifest
        .lines()
        .find(|l| l.starts_with(&format!("{dependency} = ")))
        .unwrap_or_else(|| panic!("no {dependency} in\n{manifest}"));
    let value = line.split_once(" = ").expect("key = value").1;
    let quoted = value
        .split_once("version = ")
        .map_or(value, |(_, rest)| rest);
    quoted
        .split('"')
        .nth(1)
        .expect("quoted version")
        .to_string()
}

/// The generated package passes `cargo fmt --check` and clippy with
/// warnings denied, for its own target.
#[track_caller]
fn assert_generated_code_is_clean(ws: &Scratch, package: &str, target: &str) {
    cargo_in(ws.path(), &["fmt", "--check", "-p", package]).expect_code(0);
    cargo_in(
        ws.path(),
        &[
            "clippy", "--quiet", "-p", package, "--target", target, "--", "-D", "warnings",
        ],
    )
    .expect_code(0);
}

/// The names of the workspace members, as cargo itself sees them.
#[track_caller]
fn cargo_members(dir: &Path) -> Vec<String> {
    let run = cargo_in(
        dir,
        &[
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ],
    );
    run.expect_code(0);
    let metadata: serde_json::Value = serde_json::from_str(&run.stdout).expect("metadata JSON");
    let mut names: Vec<String> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn component_joins_the_workspace_then_builds_verifies_and_answers_invoke() {
    let ws = workspace(ROOT);
    let run = wasmkit_in(
        ws.path(),
        &["new", "plugins/nt-greeter", "--kind", "component"],
    );
    run.expect_code(0);
    assert_eq!(run.stdout, "");
    assert_data_eq!(
        &run.stderr,
        str![[r#"
     Created component plugin `nt-greeter` in plugins/nt-greeter
       Added `plugins/nt-greeter` to the workspace members in Cargo.toml

Next:
    cargo wasmkit build -p nt-greeter                    # build and verify it
    cargo wasmkit invoke -p nt-greeter 'greet("world")'  # call it

"#]]
    );

    // Byte for byte the old manifest, plus one line in the old style.
    assert_eq!(
        read(ws.join("Cargo.toml")),
        with_inserted(
            ROOT,
            "# a plain library, not a plugin\n",
            "    \"plugins/nt-greeter\",\n"
        )
    );
    let dir = ws.join("plugins/nt-greeter");
    assert_eq!(
        files_below(&dir),
        [".buildrc", "Cargo.toml", "src/lib.rs", "wit/world.wit"]
    );
    let manifest = read(dir.join("Cargo.toml"));
    // What `cargo new` inherits from the workspace, it inherits too.
    assert!(
        manifest.starts_with(
            "[package]\nname = \"nt-greeter\"\nversion.workspace = true\nedition.workspace = true\nlicense.workspace = true\npublish.workspace = true\n\n[lib]\ncrate-type = [\"cdylib\"]\n"
        ),
        "{manifest}"
    );
    assert!(
        manifest.ends_with("\n[lints]\nworkspace = true\n"),
        "{manifest}"
    );
    assert_eq!(
        dependency_version(&manifest, "wit-bindgen"),
        dependency_version(
            &read(repo_root().join("examples/Cargo.toml")),
            "wit-bindgen"
        ),
        "the same wit-bindgen as the examples"
    );
    assert!(read(dir.join("wit/world.wit")).contains("world nt-greeter {"));

    assert_generated_code_is_clean(&ws, "nt-greeter", "wasm32-wasip2");

    // Builds, and verify makes the calls of its `.buildrc`.
    wasmkit_in(ws.path(), &["build", "-p", "nt-greeter"]).expect_code(0);
    wasmkit_in(ws.path(), &["verify", "-p", "nt-greeter"])
        .expect_code(0)
        .expect_stderr("Verified nt-greeter (component")
        .expect_stderr("2/2 calls");

    let cache = Scratch::empty();
    let run = Run::of(
        &wasmkit()
            .args([
                "invoke",
                "-p",
                "nt-greeter",
                r#"greet("world")"#,
                "add(2, 3)",
            ])
            .env("WASMKIT_CACHE_DIR", cache.path())
            .current_dir(ws.path())
            .output()
            .expect("run cargo-wasmkit"),
    );
    run.expect_code(0);
    assert_eq!(run.stdout, "\"Hello, world!\"\n5\n");
}

/// A workspace whose `[workspace.metadata.wasmkit]` sets `host = "envoy"`
/// for its filters: a new component is verified against wasmtime, and
/// `config` says why.
#[test]
fn a_component_in_an_envoy_workspace_builds_and_verifies() {
    let ws = workspace(&format!(
        "{ROOT}\n[workspace.metadata.wasmkit]\nhost = \"envoy\"\n"
    ));
    wasmkit_in(
        ws.path(),
        &["new", "plugins/nt-calc", "--kind", "component"],
    )
    .expect_code(0);
    wasmkit_in(ws.path(), &["build", "-p", "nt-calc"])
        .expect_code(0)
        .expect_stderr("Verified nt-calc (component,")
        .expect_stderr("host wasmtime");
    let config = wasmkit_in(ws.path(), &["config", "-p", "nt-calc"]);
    config.expect_code(0);
    assert_data_eq!(config.stdout, file!["snapshots/new.envoy_workspace.stdout"]);
}

#[test]
fn http_handler_builds_verifies_its_checks_and_answers_a_request() {
    let ws = workspace(ROOT);
    // The guest fixtures' lock has the `wasip2` the template depends on.
    std::fs::copy(
        repo_root().join("tests/fixtures/guests/Cargo.lock"),
        ws.join("Cargo.lock"),
    )
    .expect("copy the guest fixtures' lock");
    let run = wasmkit_in(ws.path(), &["new", "plugins/nt-api", "--kind", "http"]);
    run.expect_code(0);
    assert_data_eq!(&run.stderr, file!["snapshots/new/http.stderr"]);
    let dir = ws.join("plugins/nt-api");
    assert_eq!(files_below(&dir), [".buildrc", "Cargo.toml", "src/lib.rs"]);
    assert_generated_code_is_clean(&ws, "nt-api", "wasm32-wasip2");

    // Builds for wasm32-wasip2 (it depends on wasip2), and verify sends
    // the requests of its `.buildrc`.
    wasmkit_in(ws.path(), &["build", "-p", "nt-api"])
        .expect_code(0)
        .expect_stderr("Verified nt-api (component, exports wasi:http/incoming-handler@")
        .expect_stderr("3/3 requests");
    let cache = Scratch::empty();
    let invoke = |args: &[&str]| {
        Run::of(
            &wasmkit()
                .args(["invoke", "-p", "nt-api"])
                .args(args)
                .env("WASMKIT_CACHE_DIR", cache.path())
                .current_dir(ws.path())
                .output()
                .expect("run cargo-wasmkit"),
        )
    };
    let run = invoke(&["--http", "GET /", "-i"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "HTTP/1.1 200 OK\ncontent-type: text/plain; charset=utf-8\n\nHello from nt-api!\n"
    );
    invoke(&["--http", "DELETE /", "--fail"]).expect_code(1);

    // A check the handler does not pass fails the build, pointing at it.
    let buildrc = dir.join(".buildrc");
    let text = read(&buildrc).replace("GET /health -> 200", "GET /health -> 204");
    std::fs::write(&buildrc, text).unwrap();
    let run = wasmkit_in(ws.path(), &["build", "-p", "nt-api"]);
    run.expect_code(1);
    assert_data_eq!(&run.stderr, file!["snapshots/new/http-check-fails.stderr"]);

    // A check that is not `METHOD PATH -> STATUS` is bad input, where it is written.
    let text = read(&buildrc).replace("GET /health -> 204", "GET /health => 204");
    std::fs::write(&buildrc, text).unwrap();
    let run = wasmkit_in(ws.path(), &["config", "-p", "nt-api"]);
    run.expect_code(2);
    assert_data_eq!(
        &run.stderr,
        file!["snapshots/new/http-check-invalid.stderr"]
    );
}

#[test]
fn proxy_wasm_joins_an_inline_members_array_then_builds_and_verifies() {
    let root = root_with_members("members = [ \"crates/nt-util\" ]   # inline, padded\n");
    let ws = workspace(&root);
    let run = wasmkit_in(
        ws.path(),
        &[
            "new",
            "plugins/nt-filter",
            "--kind",
            "proxy-wasm",
            "--host",
            "higress",
            "--tags",
            "nt_fast",
        ],
    );
    run.expect_code(0);
    assert_data_eq!(
        &run.stderr,
        str![[r#"
     Created proxy-wasm plugin `nt-filter` in plugins/nt-filter
       Added `plugins/nt-filter` to the workspace members in Cargo.toml

Next:
    cargo wasmkit build -p nt-filter  # build and verify it

"#]]
    );
    assert_eq!(
        read(ws.join("Cargo.toml")),
        root.replace(
            "[ \"crates/nt-util\" ]",
            "[ \"crates/nt-util\", \"plugins/nt-filter\" ]"
        )
    );
    let dir = ws.join("plugins/nt-filter");
    assert_eq!(
        files_below(&dir),
        [".buildrc", "Cargo.toml", "config.json", "src/lib.rs"]
    );
    let buildrc = read(dir.join(".buildrc"));
    for line in [
        "HOST=higress\n",
        "EXTRA_TAGS=nt_fast\n",
        "VERIFY_CONFIG=config.json\n",
    ] {
        assert!(buildrc.contains(line), "{line:?} in\n{buildrc}");
    }
    assert_eq!(
        dependency_version(&read(dir.join("Cargo.toml")), "proxy-wasm"),
        dependency_version(&read(repo_root().join("examples/Cargo.toml")), "proxy-wasm"),
        "the same proxy-wasm SDK as the examples"
    );

    assert_generated_code_is_clean(&ws, "nt-filter", "wasm32-wasip1");

    wasmkit_in(ws.path(), &["build", "-p", "nt-filter"]).expect_code(0);
    wasmkit_in(ws.path(), &["verify", "-p", "nt-filter"])
        .expect_code(0)
        .expect_stderr("Verified nt-filter (proxy-wasm module")
        .expect_stderr("host higress");

    // The plugin really reads its configuration: the sample passed; a bad
    // one in its place (a source of the plugin, so rebuilt) is rejected.
    ws.write("plugins/nt-filter/config.json", r#"{"header_name": ""}"#);
    wasmkit_in(ws.path(), &["build", "-p", "nt-filter", "--no-verify"]).expect_code(0);
    wasmkit_in(ws.path(), &["verify", "-p", "nt-filter"])
        .expect_code(1)
        .expect_stderr("error[configure-rejected]")
        .expect_stderr(r#""header_name" must be a non-empty string"#);
}

#[test]
fn a_member_glob_that_covers_the_path_leaves_the_manifest_alone() {
    let root = root_with_members("members = [\"crates/*\", \"plugins/*\"]\n");
    let ws = workspace(&root);
    let run = wasmkit_in(
        ws.path(),
        &["new", "plugins/nt-globbed", "--kind", "component"],
    );
    run.expect_code(0)
        .expect_stderr(
            "     Covered `plugins/nt-globbed` by the workspace member glob `plugins/*` in Cargo.toml\n",
        );
    assert_eq!(read(ws.join("Cargo.toml")), root);
    // cargo agrees that the glob makes it a member.
    assert_eq!(cargo_members(ws.path()), ["nt-globbed", "nt-util"]);

    // An existing package the glob covers is already a member.
    let before = ws.snapshot();
    let run = wasmkit_in(ws.path(), &["new", "crates/nt-util", "--kind", "component"]);
    run.expect_code(2);
    assert_data_eq!(
        &run.stderr,
        str![[r#"
error[new-refused]: `crates/nt-util` is already a member of the workspace
 --> Cargo.toml:5:12
  |
5 | members = ["crates/*", "plugins/*"]
  |            ^^^^^^^^^^ this member glob covers it
  |
  = help: choose another path for the new plugin


"#]]
    );
    assert_eq!(ws.snapshot(), before);
}

#[test]
fn a_missing_members_key_is_created() {
    let root = root_with_members("");
    let ws = workspace(&root);
    // Quiet: nothing on stderr, and the work is still done.
    let run = wasmkit_in(
        ws.path(),
        &["-q", "new", "plugins/nt-first", "--kind", "proxy-wasm"],
    );
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    // `members` goes at the end of the `[workspace]` table's keys.
    assert_eq!(
        read(ws.join("Cargo.toml")),
        with_inserted(
            &root,
            "exclude = [ \"vendor\" ]\n",
            "members = [\"plugins/nt-first\"]\n"
        )
    );
    assert_eq!(cargo_members(ws.path()), ["nt-first"]);
}

#[test]
fn outside_a_workspace_the_package_stands_alone() {
    let dir = Scratch::empty();
    let run = wasmkit_in(dir.path(), &["new", "nt-solo", "--kind", "component"]);
    run.expect_code(0);
    assert_data_eq!(
        &run.stderr,
        str![[r#"
     Created component plugin `nt-solo` in nt-solo

Next:
    cd nt-solo                                        # go to its workspace
    cargo wasmkit build -p nt-solo                    # build and verify it
    cargo wasmkit invoke -p nt-solo 'greet("world")'  # call it

"#]]
    );
    let manifest = read(dir.join("nt-solo/Cargo.toml"));
    // No `[workspace]` table, as with `cargo new`, and nothing inherited.
    assert!(!manifest.contains("workspace"), "{manifest}");
    assert!(
        manifest.starts_with(
            "[package]\nname = \"nt-solo\"\nversion = \"0.1.0\"\nedition = \"2024\"\n"
        ),
        "{manifest}"
    );
    assert_eq!(cargo_members(&dir.join("nt-solo")), ["nt-solo"]);
    assert_eq!(
        files_below(dir.path()),
        [
            "nt-solo/.buildrc",
            "nt-solo/Cargo.toml",
            "nt-solo/src/lib.rs",
            "nt-solo/wit/world.wit"
        ]
    );
}

#[test]
fn an_empty_directory_is_filled_in_place() {
    let ws = workspace(ROOT);
    let dir = ws.join("plugins/nt-here");
    std::fs::create_dir_all(&dir).unwrap();
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&dir).unwrap());
    // `new .` from inside it: the directory must stay the same one, or the
    // shell that ran the command would be left in a deleted directory.
    let run = wasmkit_in(&dir, &["new", ".", "--kind", "component"]);
    run.expect_code(0)
        .expect_stderr("     Created component plugin `nt-here` in .\n")
        .expect_stderr("       Added `plugins/nt-here` to the workspace members in ");
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&dir).unwrap()),
        inode
    );
    assert_eq!(
        files_below(&dir),
        [".buildrc", "Cargo.toml", "src/lib.rs", "wit/world.wit"]
    );
    // Nothing else beside it: the temporary directory is gone.
    assert_eq!(files_below(&ws.join("plugins")).len(), 4);
    assert_eq!(
        read(ws.join("Cargo.toml")),
        with_inserted(
            ROOT,
            "# a plain library, not a plugin\n",
            "    \"plugins/nt-here\",\n"
        )
    );
}

#[test]
fn json_output_describes_what_was_created() {
    let ws = workspace(ROOT);
    let run = wasmkit_in(
        ws.path(),
        &[
            "--message-format",
            "json",
            "new",
            "plugins/nt-json",
            "--kind",
            "component",
            "--name",
            "nt-json-plugin",
        ],
    );
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let json: serde_json::Value = serde_json::from_str(lines[0]).expect("JSON");
    assert_eq!(json["reason"], "wasmkit-new");
    assert_eq!(json["package"], "nt-json-plugin");
    assert_eq!(json["kind"], "component");
    assert_eq!(json["workspace"]["change"], "added");
    assert_eq!(json["workspace"]["member"], "plugins/nt-json");
    assert_eq!(
        PathBuf::from(json["path"].as_str().expect("path")),
        ws.path().join("plugins/nt-json")
    );
    assert!(read(ws.join("plugins/nt-json/Cargo.toml")).contains("name = \"nt-json-plugin\""));
}

/// Runs `new` in `ws`, expects it refused with exit code 2 and `stderr`,
/// and the tree untouched.
#[track_caller]
fn assert_refused(ws: &Scratch, args: &[&str], stderr: impl snapbox::IntoData) {
    let before = ws.snapshot();
    let mut argv = vec!["new"];
    argv.extend_from_slice(args);
    let run = wasmkit_in(ws.path(), &argv);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert_data_eq!(&run.stderr, stderr);
    assert_eq!(ws.snapshot(), before, "the tree changed");
}

#[test]
fn a_non_empty_directory_or_a_file_is_refused() {
    let ws = workspace(ROOT);
    ws.write("plugins/nt-busy/notes.txt", "mine\n");
    assert_refused(
        &ws,
        &["plugins/nt-busy", "--kind", "component"],
        str![[r#"
error[new-refused]: destination `plugins/nt-busy` already exists and is not empty
 |
 = help: choose a new path for the plugin, or empty that directory first


"#]],
    );
    ws.write("plugins/nt-file", "a file\n");
    assert_refused(
        &ws,
        &["plugins/nt-file", "--kind", "proxy-wasm"],
        str![[r#"
error[new-refused]: destination `plugins/nt-file` already exists and is not a directory
 |
 = help: choose a new path for the plugin


"#]],
    );
}

#[test]
fn bad_package_names_are_refused_like_cargo_refuses_them() {
    let ws = workspace(ROOT);
    assert_refused(
        &ws,
        &["plugins/nt-x", "--kind", "component", "--name", "1abc"],
        str![[r#"
error[new-refused]: invalid character `1` in package name: `1abc`, the name cannot start with a digit
 |
 = help: choose another name, for example `--name plugin-1abc`


"#]],
    );
    assert_refused(
        &ws,
        &["plugins/test", "--kind", "component"],
        str![[r#"
error[new-refused]: invalid package name `test`: it conflicts with Rust's built-in test library
 |
 = note: the package is named after its directory, `test`, unless `--name` gives another name
 = help: choose another name, for example `--name test-plugin`


"#]],
    );
    assert_refused(
        &ws,
        &["plugins/has space", "--kind", "proxy-wasm"],
        str![[r#"
error[new-refused]: invalid character ` ` in package name: `has space`, characters must be ASCII letters, digits, `-` or `_`
 |
 = note: the package is named after its directory, `has space`, unless `--name` gives another name
 = help: choose another name, for example `--name has-space`


"#]],
    );
    assert_refused(
        &ws,
        &["plugins/nt-x", "--kind", "proxy-wasm", "--name", "fn"],
        str![[r#"
error[new-refused]: invalid package name `fn`: it is a Rust keyword
 |
 = help: choose another name, for example `--name fn-plugin`


"#]],
    );
    assert!(!ws.join("plugins").exists());
}

#[test]
fn an_existing_member_is_refused() {
    let ws = workspace(ROOT);
    assert_refused(
        &ws,
        &["crates/nt-util", "--kind", "component"],
        str![[r#"
error[new-refused]: `crates/nt-util` is already a member of the workspace
 --> Cargo.toml:6:5
  |
6 |     "crates/nt-util",   # a plain library, not a plugin
  |     ^^^^^^^^^^^^^^^^ listed here
  |
  = help: choose another path for the new plugin, or remove this entry from `members` first


"#]],
    );
}

#[test]
fn a_path_the_workspace_excludes_is_refused() {
    let ws = workspace(ROOT);
    assert_refused(
        &ws,
        &["vendor/nt-vendored", "--kind", "component"],
        str![[r#"
error[new-refused]: `vendor/nt-vendored` is excluded from the workspace
 --> Cargo.toml:9:13
  |
9 | exclude = [ "vendor" ]
  |             ^^^^^^^^ excluded here
  |
  = help: create the plugin at a path the workspace does not exclude, or remove `vendor` from `exclude` in Cargo.toml


"#]],
    );
    assert!(!ws.join("vendor").exists());
}

/// Runs `new <args>` in `ws` while its root manifest is read-only.
fn new_with_read_only_manifest(ws: &Scratch, args: &[&str]) -> Run {
    let manifest = ws.join("Cargo.toml");
    let writable = std::fs::metadata(&manifest)
        .expect("manifest metadata")
        .permissions();
    let mut read_only = writable.clone();
    read_only.set_readonly(true);
    std::fs::set_permissions(&manifest, read_only).expect("make the manifest read-only");
    let mut argv = vec!["new"];
    argv.extend_from_slice(args);
    let run = wasmkit_in(ws.path(), &argv);
    std::fs::set_permissions(&manifest, writable).expect("make the manifest writable again");
    run
}

#[test]
fn a_failed_manifest_update_takes_the_package_away_again() {
    // The package is staged and moved into place before the manifest is
    // written; a read-only manifest makes that last step fail.
    let ws = workspace(ROOT);
    let before = ws.snapshot();
    let run = new_with_read_only_manifest(&ws, &["plugins/nested/nt-ro", "--kind", "component"]);
    run.expect_code(1);
    assert_data_eq!(
        &run.stderr,
        str![[r#"
error[write-failed]: cannot update `Cargo.toml`: it is read-only
 |
 = note: nothing was created: `plugins/nested/nt-ro` was removed again
 = help: make it writable, then run the command again


"#]]
    );
    // Nothing left: not the package, not the directories made for it, no
    // temporary files; the manifest as it was.
    assert_eq!(ws.snapshot(), before);
    assert!(!ws.join("plugins").exists());
    assert_eq!(read(ws.join("Cargo.toml")), ROOT);

    // Into an existing empty directory: the directory stays, empty.
    let empty = ws.join("plugins/nt-ro-empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = new_with_read_only_manifest(&ws, &["plugins/nt-ro-empty", "--kind", "proxy-wasm"]);
    run.expect_code(1)
        .expect_stderr("error[write-failed]: cannot update `Cargo.toml`: it is read-only")
        .expect_stderr("note: nothing was created: `plugins/nt-ro-empty` is empty again");
    assert!(empty.is_dir());
    assert_eq!(files_below(&ws.join("plugins")), Vec::<String>::new());
    assert_eq!(ws.snapshot(), before);
}

#[test]
fn an_unparseable_workspace_manifest_is_refused_before_anything_is_written() {
    let ws = workspace(&format!("{ROOT}\n[broken\n"));
    let before = ws.snapshot();
    let run = wasmkit_in(
        ws.path(),
        &["new", "plugins/nt-never", "--kind", "component"],
    );
    run.expect_code(2)
        .expect_stderr("error[manifest-syntax]: cannot parse `Cargo.toml`");
    assert_eq!(ws.snapshot(), before);
    assert!(!ws.join("plugins").exists());
}
