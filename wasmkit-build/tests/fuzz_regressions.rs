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

use std::path::{Path, PathBuf};

/// The files of `fuzz/<kind>/<target>/` but its README.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    if kind == "regressions" {
        let readme = std::fs::read_to_string(dir.join("README.md")).expect("a README");
        assert!(readme.lines().any(|l| !l.trim().is_empty()), "empty README");
    }
    files
}

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
    for path in inputs("regressions", "verify") {
        assert!(
            replay(&path),
            "{} is not a file-as-is input",
            path.display()
        );
    }
}

#[test]
fn verify_seeds_hold() {
    let replayed = inputs("seeds", "verify")
        .iter()
        .filter(|path| replay(path))
        .count();
    assert!(replayed > 0);
}
