//! Replays the inputs the `wave_call` fuzz target keeps (crashes it once
//! found, under `fuzz/regressions/wave_call/`, and its seeds) with the fuzz
//! target's own property, so that `cargo test` guards them on stable Rust. The
//! component is `tests/fixtures/guests/echo`, built here first with cargo.
//! The property lives in `fuzz/src/wave_call.rs`; see `fuzz/README.md`.

#[allow(unreachable_pub)]
#[path = "../../fuzz/src/check.rs"]
mod check;

#[allow(unreachable_pub)]
#[path = "../../fuzz/src/wave_call.rs"]
mod wave_call;

use std::path::Path;

/// Builds the echo component where `wave_call::echo_wasm_path` looks for it
/// (cargo's own lock serialises concurrent builds).
fn build_echo() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let guests = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/guests");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args([
                "build",
                "--release",
                "--quiet",
                "--target",
                "wasm32-wasip2",
                "-p",
                "echo",
            ])
            .arg("--manifest-path")
            .arg(guests.join("Cargo.toml"))
            .env(
                "CARGO_TARGET_DIR",
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/wasmkit-tests"),
            )
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .status()
            .expect("run cargo");
        assert!(status.success(), "building the echo component failed");
    });
}

#[test]
fn wave_call_regressions_hold() {
    build_echo();
    let regressions = check::kept_inputs("regressions", "wave_call");
    assert!(regressions.len() >= 5, "{regressions:?}");
    for path in regressions {
        wave_call::check(&std::fs::read(&path).expect("readable"));
    }
}

#[test]
fn wave_call_seeds_hold() {
    build_echo();
    let seeds = check::kept_inputs("seeds", "wave_call");
    assert!(!seeds.is_empty());
    for path in seeds {
        wave_call::check(&std::fs::read(&path).expect("readable"));
    }
}
