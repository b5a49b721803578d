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

#[test]
fn buildrc_regressions_hold() {
    let regressions = check::kept_inputs("regressions", "buildrc");
    assert!(regressions.len() >= 5, "{regressions:?}");
    for path in regressions {
        buildrc::check(&std::fs::read(&path).expect("readable"));
    }
}

#[test]
fn buildrc_seeds_hold() {
    let seeds = check::kept_inputs("seeds", "buildrc");
    assert!(!seeds.is_empty());
    for path in seeds {
        buildrc::check(&std::fs::read(&path).expect("readable"));
    }
}
