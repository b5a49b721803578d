//! Replays the inputs the `verify` fuzz target keeps (crashes it once
//! found, under `fuzz/regressions/verify/`, and its seeds) with the fuzz
//! target's own property, so that `cargo test` guards them on stable Rust. Inputs are
//! files as is (`Case::decode`); seeds that drive a `wasm-smith` generator
//! need the fuzz target itself and are skipped here.
//! The property lives in `fuzz/src/verify.rs`; see `fuzz/README.md`.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/check.rs"]
mod check;

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/verify.rs"]
mod verify;

use std::path::Path;

/// Replays a file-as-is input.
fn replay(path: &Path) -> bool {
    let data = std::fs::read(path).expect("readable");
    match verify::Case::decode(&data) {
        Some(case) => {
            verify::check(&case);
            true
        }
        None => false,
    }
}

#[test]
fn verify_regressions_hold() {
    let regressions = check::kept_inputs("regressions", "verify");
    assert!(regressions.len() >= 5, "{regressions:?}");
    for path in regressions {
        assert!(
            replay(&path),
            "{} is not a file-as-is input",
            path.display()
        );
    }
}

#[test]
fn verify_seeds_hold() {
    let replayed = check::kept_inputs("seeds", "verify")
        .iter()
        .filter(|path| replay(path))
        .count();
    assert!(replayed > 0);
}
