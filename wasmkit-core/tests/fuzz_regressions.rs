//! Replays the inputs the `buildrc` fuzz target keeps (crashes it once
//! found, under `fuzz/regressions/buildrc/`, and its seeds) with the fuzz
//! target's own property, so that `cargo test` guards them on stable Rust.
//! The property lives in `fuzz/src/buildrc.rs`; see `fuzz/README.md`.

#[allow(dead_code, unreachable_pub)]
#[path = "../../fuzz/src/check.rs"]
mod check;

#[allow(unreachable_pub)]
#[path = "../../fuzz/src/buildrc.rs"]
mod buildrc;

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

#[test]
fn buildrc_regressions_hold() {
    for path in inputs("regressions", "buildrc") {
        buildrc::check(&std::fs::read(&path).expect("readable"));
    }
}

#[test]
fn buildrc_seeds_hold() {
    let seeds = inputs("seeds", "buildrc");
    assert!(!seeds.is_empty());
    for path in seeds {
        buildrc::check(&std::fs::read(&path).expect("readable"));
    }
}
