//! A shared compile cache: `RUSTC_WRAPPER=sccache` reaches every cargo run
//! of a build untouched, so a second build in a fresh target directory (at
//! the same path, as on a new CI runner: sccache keys on the target
//! directory's path) is served from sccache's cache.
//!
//! Needs sccache on `PATH` (Debian: `apt-get install sccache`), so it is
//! ignored by the README's test command; CI (`.ci/run`) installs sccache
//! and runs it with `--ignored`.

use std::path::Path;
use std::process::Command;

use crate::support::{Run, Scratch, wasmkit};

/// An sccache server of the test's own (its own port and cache directory),
/// stopped when dropped.
struct Sccache {
    port: String,
    dir: std::path::PathBuf,
}

impl Sccache {
    fn start(dir: &Path) -> Sccache {
        let server = Sccache {
            port: (20_000 + std::process::id() % 20_000).to_string(),
            dir: dir.to_path_buf(),
        };
        let started = server.command().arg("--start-server").output();
        let started = started.unwrap_or_else(|e| {
            panic!("sccache is not installed ({e}): `apt-get install sccache`")
        });
        assert!(
            started.status.success(),
            "{}",
            String::from_utf8_lossy(&started.stderr)
        );
        server
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("sccache");
        cmd.env("SCCACHE_DIR", &self.dir)
            .env("SCCACHE_SERVER_PORT", &self.port);
        cmd
    }

    /// Rust cache hits and misses since the stats were zeroed.
    fn rust_hits_and_misses(&self) -> (u64, u64) {
        let out = self
            .command()
            .args(["--show-stats", "--stats-format", "json"])
            .output()
            .expect("sccache stats");
        let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON stats");
        let count = |what: &str| stats["stats"][what]["counts"]["Rust"].as_u64().unwrap_or(0);
        (count("cache_hits"), count("cache_misses"))
    }
}

impl Drop for Sccache {
    fn drop(&mut self) {
        let _ = self.command().arg("--stop-server").output();
    }
}

#[test]
#[ignore = "needs sccache on PATH; .ci/run installs it and runs this test"]
fn a_second_build_in_a_fresh_target_directory_is_served_by_sccache() {
    let ws = Scratch::fixture("build-sccache");
    let sccache = Sccache::start(&ws.join("sccache"));
    let target = ws.join("target");
    let build = || {
        Run::of(
            &wasmkit()
                .arg("build")
                .current_dir(ws.path())
                .env("RUSTC_WRAPPER", "sccache")
                .env("SCCACHE_DIR", &sccache.dir)
                .env("SCCACHE_SERVER_PORT", &sccache.port)
                .env("CARGO_INCREMENTAL", "0")
                .env("CARGO_TARGET_DIR", &target)
                .output()
                .expect("run cargo-wasmkit"),
        )
    };
    build()
        .expect_code(0)
        .expect_stderr("Verified bt-sc-plugin");
    let (hits, misses) = sccache.rust_hits_and_misses();
    assert!(
        misses >= 1,
        "the first build went through sccache: {misses} misses"
    );
    assert_eq!(hits, 0, "nothing cached yet");
    let zeroed = sccache.command().arg("--zero-stats").output();
    assert!(zeroed.is_ok_and(|o| o.status.success()));

    std::fs::remove_dir_all(&target).expect("a fresh target directory");
    build()
        .expect_code(0)
        .expect_stderr("Verified bt-sc-plugin");
    let (hits, misses) = sccache.rust_hits_and_misses();
    assert!(hits >= 1, "the library came from the cache: {hits} hits");
    assert_eq!(misses, 0, "everything cacheable came from the cache");
}
