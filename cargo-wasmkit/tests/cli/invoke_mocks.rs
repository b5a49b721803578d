//! `cargo wasmkit invoke` and `verify` on a component that imports a custom
//! interface nothing provides (the `kv` test guest): `--mock`, `--mocks`,
//! a mock over a WASI function, the record of mocked calls in `-v` and
//! JSON, and the calls that reach an unmocked import. What the user sees is
//! pinned in `snapshots/`.

use snapbox::file;

use crate::support::{Scratch, kv, wasmkit};

fn invoke(cache: &Scratch) -> snapbox::cmd::Command {
    wasmkit()
        .arg("invoke")
        .env("WASMKIT_CACHE_DIR", cache.path())
}

#[test]
fn list_marks_each_import_without_instantiating() {
    // Nothing provides `test:kv/store`, so the component cannot be
    // instantiated without mocks: `--list` does not need to.
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(kv())
        .args(["--list", "--mock", "store.get=none"])
        .args([
            "--mock",
            "wasi:clocks/wall-clock.now={seconds: 0, nanoseconds: 0}",
        ])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/kv-list.stdout"])
        .stderr_eq("");
}

#[test]
fn mocked_imports_answer_and_are_recorded_with_v() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(kv())
        .arg("-v")
        .args(["--mock", r#"store.get=some("v1")"#, "--mock", "store.set="])
        .args(["--mock", "wall-clock.now={seconds: 42, nanoseconds: 7}"])
        .args([r#"lookup("k1")"#, r#"remember("a", "b")"#, "now-seconds()"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/kv-mocked.stdout"])
        .stderr_eq(file!["snapshots/kv-mocked.stderr"]);
}

#[test]
fn mocked_imports_in_json() {
    let cache = Scratch::empty();
    invoke(&cache)
        .args(["--message-format", "json"])
        .arg(kv())
        .args(["--mock", "store.get=none"])
        .args([r#"lookup("k1")"#, r#"remember("a", "b")"#])
        .assert()
        .code(1)
        .stdout_eq(file!["snapshots/kv-json.stdout"].raw());
}

#[test]
fn an_unmocked_import_names_the_mock_to_add() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(kv())
        .args([r#"lookup("k1")"#, "now-seconds()"])
        .assert()
        .code(1)
        .stdout_eq("")
        .stderr_eq(file!["snapshots/kv-unmocked.stderr"]);
}

#[test]
fn mocks_from_a_file() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    let mocks = dir.write(
        "kv.mocks",
        "// The store answers every key alike.\n\
         store.get = some(\"from a file\")\n\
         \n\
         test:kv/store.set@0.1.0=()\n",
    );
    invoke(&cache)
        .arg(kv())
        .arg("--mocks")
        .arg(&mocks)
        .args([r#"lookup("k")"#, r#"remember("k", "v")"#])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/kv-file.stdout"])
        .stderr_eq("");
}

#[test]
fn bad_mocks_are_refused_before_anything_runs() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write(
        "bad.mocks",
        "store.get=some(\"ok\")\n\
         // a result of the wrong type\n\
         store.get=some(42)\n",
    );
    let bad = |args: &[&str]| {
        invoke(&cache)
            .current_dir(dir.path())
            .arg(kv())
            .args(args)
            .arg("lookup(\"k\")")
            .output()
            .unwrap()
    };
    let mut stderr = String::new();
    for args in [
        &["--mocks", "bad.mocks"][..],
        &["--mock", "store.gett=none"],
        &["--mock", "store.get"],
        &["--mock", "store.set=1"],
        &["--mock", "store.get="],
    ] {
        let out = bad(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        stderr.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    snapbox::assert_data_eq!(stderr, file!["snapshots/kv-bad-mocks.stderr"]);
}

#[test]
fn an_import_returning_a_handle_cannot_be_mocked() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write(
        "net.wat",
        r#"(component
  (import "test:net/conn@0.1.0" (instance
    (export "connection" (type $c (sub resource)))
    (export "open" (func (param "name" string) (result (own $c))))
    (export "ping" (func (result u32)))))
)
"#,
    );
    invoke(&cache)
        .current_dir(dir.path())
        .arg("net.wat")
        .arg("--list")
        .args(["--mock", "conn.ping=1", "--mock", "conn.open=0"])
        .assert()
        .code(2)
        .stdout_eq("")
        .stderr_eq(file!["snapshots/net-resource-mock.stderr"]);
    // Unmocked, it is listed (and would fail a call that reaches it).
    invoke(&cache)
        .current_dir(dir.path())
        .arg("net.wat")
        .args(["--list", "--mock", "conn.ping=1"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/net-list.stdout"]);
}

#[test]
fn verify_uses_the_mocks() {
    let cache = Scratch::empty();
    let verify = || {
        wasmkit()
            .arg("verify")
            .env("WASMKIT_CACHE_DIR", cache.path())
            .arg(kv())
            .args(["--invoke", r#"lookup("k")"#, "--expect", r#""v""#])
    };
    // Without mocks: the store is named, with the way out.
    let out = verify().output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "error[unprovided-import]: the component imports `test:kv/store@0.1.0`, which the wasmtime host profile does not provide"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("mock its functions with `VERIFY_MOCKS`"),
        "{stderr}"
    );
    // With every function of the store mocked, it verifies.
    verify()
        .args(["--mock", r#"store.get=some("v")"#, "--mock", "store.set="])
        .assert()
        .success()
        .stderr_eq(file!["snapshots/kv-verify.stderr"]);
}

#[test]
fn verify_mocks_of_a_plugin() {
    // The guest workspace with `kv` made a plugin whose `.buildrc` mocks
    // its imports for the `VERIFY_INVOKE` calls, the wall clock included.
    let ws = Scratch::copy_of(&crate::support::guests_workspace());
    ws.write(
        "kv/.buildrc",
        "VERIFY_INVOKE='lookup(\"k\"); now-seconds()'\n\
         VERIFY_EXPECT='\"v\"; 42'\n\
         VERIFY_MOCKS='store.get=some(\"v\"); store.set=(); wall-clock.now={seconds: 42, nanoseconds: 0}'\n",
    );
    wasmkit()
        .current_dir(ws.path())
        .args(["config", "-p", "kv"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/kv-config.stdout"]);
    let out = wasmkit()
        .current_dir(ws.path())
        .env("WASMKIT_CACHE_DIR", ws.join("cache"))
        .args(["build", "-p", "kv"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Verified kv"), "{stderr}");
    assert!(stderr.contains("2/2 calls"), "{stderr}");
}
