//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crate has a parent")
        .to_path_buf()
}

/// `cargo-wasmkit/tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// One target directory for every guest crate the tests build, so that
/// their dependencies (wit-bindgen, proxy-wasm) compile once. Tests give
/// their fixture packages unique names so artifacts never collide.
pub fn shared_target_dir() -> PathBuf {
    repo_root().join("target/wasmkit-tests")
}

/// The binary under test, run as cargo runs it: `cargo-wasmkit wasmkit ...`.
/// Colour is off and `CI` is set so that output is plain and stable.
pub fn wasmkit() -> snapbox::cmd::Command {
    snapbox::cmd::Command::new(snapbox::cmd::cargo_bin!("cargo-wasmkit"))
        .arg("wasmkit")
        .env("CARGO_TERM_COLOR", "never")
        .env("CI", "1")
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env_remove("NO_COLOR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
}

/// [`wasmkit`] as a `std::process::Command`, for a run the test watches
/// while it goes on.
pub fn wasmkit_process() -> Command {
    let mut cmd = Command::new(snapbox::cmd::cargo_bin!("cargo-wasmkit"));
    cmd.arg("wasmkit")
        .env("CARGO_TERM_COLOR", "never")
        .env("CI", "1")
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env_remove("NO_COLOR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    cmd
}

/// A copy of a fixture (or of any directory) in a fresh temporary directory.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// An empty scratch directory.
    pub fn empty() -> Scratch {
        Scratch {
            dir: tempfile::Builder::new()
                .prefix("wasmkit-test-")
                .tempdir()
                .expect("create temp dir"),
        }
    }

    /// A scratch copy of `cargo-wasmkit/tests/fixtures/<name>`.
    pub fn fixture(name: &str) -> Scratch {
        let s = Scratch::empty();
        copy_dir(&fixture(name), s.path());
        s
    }

    /// A scratch copy of any directory.
    pub fn copy_of(src: &Path) -> Scratch {
        let s = Scratch::empty();
        copy_dir(src, s.path());
        s
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file, creating its directories.
    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write");
        path
    }

    /// Every file below the scratch directory (except `target/`) with its
    /// bytes, to assert that a command changed nothing.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        walk(self.path(), self.path(), &mut files);
        files.sort();
        files
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).expect("below root").to_path_buf();
            out.push((rel, std::fs::read(&path).unwrap_or_default()));
        }
    }
}

/// Copies a directory tree, skipping `target/`.
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for entry in std::fs::read_dir(src).unwrap_or_else(|e| panic!("read {}: {e}", src.display())) {
        let entry = entry.expect("entry");
        let from = entry.path();
        if from.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        let to = dst.join(entry.file_name());
        if from.is_dir() {
            copy_dir(&from, &to);
        } else {
            std::fs::copy(&from, &to).expect("copy");
        }
    }
}

/// Builds a crate of a guest workspace (with plain cargo, not with the tool
/// under test) and returns the `.wasm`. Runs once per (workspace, package,
/// target) per test process; cargo's own lock serialises test processes.
/// A missing target is installed the way the tool installs it, under the
/// same lock, so that on a machine without wasm targets the test processes
/// and the tool's runs do not race each other in rustup.
pub fn build_guest(workspace: &Path, package: &str, target: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<Vec<(PathBuf, String, String)>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let _guard = built
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let shell = wasmkit_core::Shell::new(
        wasmkit_core::ColorChoice::Never,
        wasmkit_core::MessageFormat::Human,
        wasmkit_core::Verbosity::Normal,
    );
    if let Err(ds) = wasmkit_build::toolchain::ensure_installed(workspace, target, &shell) {
        let text: Vec<String> = ds.0.iter().map(|d| d.render(false)).collect();
        panic!("cannot install {target}:\n{}", text.join("\n"));
    }
    let target_dir = shared_target_dir();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            package,
            "--target",
            target,
        ])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(status.success(), "building guest {package} failed");
    target_dir
        .join(target)
        .join("release")
        .join(format!("{}.wasm", package.replace('-', "_")))
}

/// The guest fixtures workspace: `tests/fixtures/guests`.
pub fn guests_workspace() -> PathBuf {
    repo_root().join("tests/fixtures/guests")
}

/// The outcome of one run, for assertions with useful failure messages.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(output: &Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn expect_stderr(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn expect_no_stderr(&self, needle: &str) -> &Run {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    /// Each stdout line as JSON (all of them must be).
    #[track_caller]
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"))
            })
            .collect()
    }
}

/// The `echo` test component (tests/fixtures/guests), built once.
pub fn echo() -> PathBuf {
    static ECHO: OnceLock<PathBuf> = OnceLock::new();
    ECHO.get_or_init(|| build_guest(&guests_workspace(), "echo", "wasm32-wasip2"))
        .clone()
}

/// The `counters` test component (an exported resource), built once.
pub fn counters() -> PathBuf {
    static COUNTERS: OnceLock<PathBuf> = OnceLock::new();
    COUNTERS
        .get_or_init(|| build_guest(&guests_workspace(), "counters", "wasm32-wasip2"))
        .clone()
}

/// The `kv` test component (a custom import and the wall clock), built once.
pub fn kv() -> PathBuf {
    static KV: OnceLock<PathBuf> = OnceLock::new();
    KV.get_or_init(|| build_guest(&guests_workspace(), "kv", "wasm32-wasip2"))
        .clone()
}

/// The example `shapes` component, built once with plain cargo.
pub fn shapes() -> PathBuf {
    static SHAPES: OnceLock<PathBuf> = OnceLock::new();
    SHAPES
        .get_or_init(|| build_guest(&repo_root().join("examples"), "shapes", "wasm32-wasip2"))
        .clone()
}

/// The `http-handler` test component (tests/fixtures/guests), built once.
pub fn http_handler() -> PathBuf {
    static HANDLER: OnceLock<PathBuf> = OnceLock::new();
    HANDLER
        .get_or_init(|| build_guest(&guests_workspace(), "http-handler", "wasm32-wasip2"))
        .clone()
}
