//! The artifact record keeps verify's verdict: `invoke -p` runs only what
//! passed verification with its current settings, verifying first when it
//! failed or never ran, and `--no-verify` runs it anyway.

use std::path::{Path, PathBuf};

use snapbox::{assert_data_eq, file};

use crate::support::{Run, Scratch, shared_target_dir, wasmkit};

fn run(dir: &Path, args: &[&str]) -> Run {
    Run::of(
        &wasmkit()
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run cargo-wasmkit"),
    )
}

fn record_path() -> PathBuf {
    shared_target_dir().join("wasmkit/debug/bt-verify.json")
}

fn verification() -> serde_json::Value {
    let text = std::fs::read_to_string(record_path()).expect("record");
    let record: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    record["verification"].clone()
}

#[test]
fn invoke_runs_only_what_passed_verification() {
    let ws = Scratch::fixture("build-verify");

    // The build fails verification, and the record says so.
    run(ws.path(), &["build"])
        .expect_code(1)
        .expect_stderr("error[missing-allocator]");
    assert_eq!(verification()["result"], "failed");
    assert_eq!(verification()["host"], "envoy");

    // `invoke -p` verifies again, and refuses with verify's diagnostics.
    let refused = run(ws.path(), &["invoke", "-p", "bt-verify", "answer()"]);
    refused.expect_code(1);
    assert_eq!(refused.stdout, "");
    assert_data_eq!(refused.stderr, file!["snapshots/verified.refused.stderr"]);
    // `--no-verify` runs it anyway.
    let forced = run(
        ws.path(),
        &["invoke", "-p", "bt-verify", "--no-verify", "answer()"],
    );
    forced.expect_code(0);
    assert_eq!(forced.stdout, "42\n");

    // A build of the unchanged plugin rebuilds nothing and reports the
    // failure again; without verification, the verdict on those same
    // bytes stays.
    run(ws.path(), &["build"])
        .expect_code(1)
        .expect_no_stderr("Compiling")
        .expect_stderr("Failed bt-verify")
        .expect_stderr("error[missing-allocator]");
    run(ws.path(), &["build", "--no-verify"]).expect_code(0);
    assert_eq!(verification()["result"], "failed");

    // New bytes built without verification: never verified, so verified
    // before they run.
    ws.write(
        "bt-verify/src/lib.rs",
        "#[unsafe(no_mangle)]\npub extern \"C\" fn proxy_abi_version_0_2_1() {}\n\n\
         #[unsafe(no_mangle)]\npub extern \"C\" fn answer() -> i32 {\n    43\n}\n",
    );
    run(ws.path(), &["build", "--no-verify"]).expect_code(0);
    assert_eq!(verification()["result"], "not-run");
    run(ws.path(), &["invoke", "-p", "bt-verify", "answer()"])
        .expect_code(1)
        .expect_stderr("Failed bt-verify")
        .expect_stderr("error[unverified-artifact]");
    assert_eq!(verification()["result"], "failed");

    // Fixed: built, verified and run; the next run trusts the record.
    ws.write(
        "bt-verify/src/lib.rs",
        "#[unsafe(no_mangle)]\npub extern \"C\" fn proxy_abi_version_0_2_1() {}\n\n\
         #[unsafe(no_mangle)]\npub extern \"C\" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {\n    \
         let mut buf = Vec::<u8>::with_capacity(size);\n    let ptr = buf.as_mut_ptr();\n    \
         std::mem::forget(buf);\n    ptr\n}\n\n\
         #[unsafe(no_mangle)]\npub extern \"C\" fn answer() -> i32 {\n    44\n}\n",
    );
    let fixed = run(ws.path(), &["invoke", "-p", "bt-verify", "answer()"]);
    fixed.expect_code(0).expect_stderr("Verified bt-verify");
    assert_eq!(fixed.stdout, "44\n");
    assert_eq!(verification()["result"], "passed");
    let again = run(ws.path(), &["invoke", "-p", "bt-verify", "answer()"]);
    again.expect_code(0).expect_no_stderr("Verified");
    assert_eq!(again.stdout, "44\n");
}
