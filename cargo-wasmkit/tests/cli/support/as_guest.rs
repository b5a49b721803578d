//! The AssemblyScript proxy-wasm guest (`tests/fixtures/as-guest`), built
//! from source with npm: the lockfile's exact packages (`npm ci`), then the
//! SDK README's `asc` command.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use wasmkit_core::lock::{FileLock, LockKind};

use super::{copy_dir, repo_root, shared_target_dir};

/// `build/filter.wasm` of the AssemblyScript guest, built once per test
/// process in the shared guest target directory; a file lock keeps test
/// processes from building it at once.
pub fn as_guest() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(build).clone()
}

fn build() -> PathBuf {
    let work = shared_target_dir().join("as-guest");
    let _lock = FileLock::acquire_with(&work.with_extension("lock"), LockKind::Exclusive, || {})
        .expect("lock the AssemblyScript guest's build directory");
    let source = repo_root().join("tests/fixtures/as-guest");
    // Sources and lockfile are copied each time; node_modules stays unless
    // the lockfile changed (npm ci starts from an empty node_modules).
    let lock_changed = std::fs::read(work.join("package-lock.json")).ok()
        != std::fs::read(source.join("package-lock.json")).ok();
    for file in ["package.json", "package-lock.json"] {
        std::fs::create_dir_all(&work).unwrap();
        std::fs::copy(source.join(file), work.join(file)).unwrap();
    }
    copy_dir(&source.join("assembly"), &work.join("assembly"));
    if lock_changed || !work.join("node_modules").is_dir() {
        npm(&work, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(&work, &["run", "asbuild"]);
    work.join("build/filter.wasm")
}

fn npm(dir: &Path, args: &[&str]) {
    let out = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("npm is needed to build the AssemblyScript guest: {e}"));
    assert!(
        out.status.success(),
        "npm {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
