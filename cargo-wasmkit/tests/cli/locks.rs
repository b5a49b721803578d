//! Concurrent runs: `rustup target add` is run by one process at a time,
//! and the build directory `target/wasmkit/` belongs to one run at a time.
//! Each test makes a run wait for a lock and watches it say so.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use snapbox::{assert_data_eq, file};
use wasmkit_core::lock::{FileLock, LockKind};

use crate::support::{Scratch, wasmkit_process};

/// A running `cargo-wasmkit` whose stderr is collected as it comes.
struct Watched {
    child: Child,
    stderr: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl Watched {
    fn spawn(command: &mut Command) -> Watched {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cargo-wasmkit");
        let mut pipe = child.stderr.take().expect("stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Watched {
            child,
            stderr,
            reader,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    /// Waits for the run to end; its exit code, stdout and stderr. Cargo's
    /// own lock waits (`package cache`, `build directory`) are left out of
    /// stderr: they depend on what else runs cargo at the time, not on
    /// the tool's locks, which keep their lines.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            out.read_to_string(&mut stdout).expect("stdout");
        }
        let status = self.child.wait().expect("wait");
        self.reader.join().expect("reader");
        let stderr = self
            .stderr
            .lock()
            .expect("lock")
            .lines()
            .filter(|l| {
                !l.trim_start()
                    .starts_with("Blocking waiting for file lock on ")
                    || l.contains("wasmkit build directory")
                    || l.contains("rustup")
            })
            .map(|l| format!("{l}\n"))
            .collect();
        (status.code(), stdout, stderr)
    }
}

/// Polls `done` for up to a minute.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[cfg(unix)]
fn executable(ws: &Scratch, rel: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = ws.write(rel, script);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Two builds start together on a toolchain without their target: one
/// installs it, the other waits for the rustup lock, finds it installed
/// and installs nothing. rustup here is a stand-in that fails, as the real
/// one does, when two installs overlap; it installs only when the test
/// says so, after it has seen the other run wait.
#[cfg(unix)]
#[test]
fn concurrent_runs_install_a_missing_target_once() {
    let ws = Scratch::fixture("build-target");
    ws.write("bt-target-missing/.buildrc", "TARGET=wasm32-wasip1\n");
    let sysroot = ws.join("sysroot");
    std::fs::create_dir_all(sysroot.join("lib/rustlib")).expect("mkdir");
    let calls = ws.join("rustup-calls");
    let release = ws.join("release-rustup");
    executable(
        &ws,
        "bin/rustup",
        &format!(
            "#!/bin/sh\n\
             # An install that overlaps another fails, as rustup's does.\n\
             mkdir '{busy}' 2>/dev/null || {{ echo 'error: detected conflict' >&2; exit 1; }}\n\
             echo \"$@\" >> '{calls}'\n\
             while [ ! -e '{release}' ]; do sleep 0.05; done\n\
             mkdir -p '{sysroot}/lib/rustlib/'\"$3\"/lib\n\
             rmdir '{busy}'\n",
            busy = ws.join("rustup-busy").display(),
            calls = calls.display(),
            release = release.display(),
            sysroot = sysroot.display(),
        ),
    );
    let rustc = executable(
        &ws,
        "bin/rustc",
        &format!(
            "#!/bin/sh\n\
             if [ \"$1 $2\" = '--print sysroot' ]; then echo '{}'; exit 0; fi\n\
             exit 1\n",
            sysroot.display()
        ),
    );
    // Cargo reads the workspace for real and builds nothing: the build
    // ends as one that produced no `.wasm`.
    let real_cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let cargo = executable(
        &ws,
        "bin/cargo",
        &format!(
            "#!/bin/sh\n\
             if [ \"$1\" = metadata ]; then exec '{real_cargo}' \"$@\"; fi\n\
             echo '{{\"reason\":\"build-finished\",\"success\":true}}'\n"
        ),
    );
    let path = std::env::join_paths(std::iter::once(ws.join("bin")).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let run = |name: &str| {
        Watched::spawn(
            wasmkit_process()
                .args(["build", "--no-verify", "-p", "bt-target-missing"])
                .current_dir(ws.path())
                .env("PATH", &path)
                .env("CARGO", &cargo)
                .env("RUSTC", &rustc)
                .env("RUSTUP_HOME", ws.join("rustup-home"))
                .env("CARGO_TARGET_DIR", ws.join(name)),
        )
    };
    let (a, b) = (run("target-a"), run("target-b"));
    let blocked = eventually(|| {
        let waiting = |w: &Watched| w.stderr().contains("Blocking waiting for file lock");
        waiting(&a) || waiting(&b)
    });
    std::fs::write(&release, "").expect("release rustup");
    let (a, b) = (a.finish(), b.finish());
    assert!(blocked, "neither run waited:\n{}\n---\n{}", a.2, b.2);
    assert_eq!(
        std::fs::read_to_string(&calls).expect("rustup ran"),
        "target add wasm32-wasip1\n",
        "rustup ran once:\n{}\n---\n{}",
        a.2,
        b.2
    );
    let (installer, waiter) = if a.2.contains("Installing") {
        (a, b)
    } else {
        (b, a)
    };
    assert_eq!(installer.0, Some(1));
    assert_eq!(waiter.0, Some(1));
    assert_data_eq!(installer.2, file!["snapshots/rustup_lock.installer.stderr"]);
    assert_data_eq!(waiter.2, file!["snapshots/rustup_lock.waiter.stderr"]);
}

/// The lock file of the build directory of `target_dir`.
fn build_dir_lock(target_dir: &Path) -> PathBuf {
    target_dir.join("wasmkit/.lock")
}

/// While another run holds `target/wasmkit/`, a build and `invoke -p`
/// wait, saying so, and touch nothing; then they go on.
#[test]
fn build_and_invoke_wait_for_the_build_directory() {
    let ws = Scratch::fixture("build-lock");
    let target = ws.join("target");
    let cache = Scratch::empty();
    let lock_path = build_dir_lock(&target);
    let run = |args: &[&str]| {
        Watched::spawn(
            wasmkit_process()
                .args(args)
                .current_dir(ws.path())
                .env("CARGO_TARGET_DIR", &target)
                .env("WASMKIT_CACHE_DIR", cache.path()),
        )
    };

    let held = FileLock::acquire_with(&lock_path, LockKind::Exclusive, || {}).expect("lock");
    let build = run(&["build"]);
    let waiting = eventually(|| build.stderr().contains("Blocking"));
    // Nothing was built or recorded while it waited.
    let record = target.join("wasmkit/debug/bt-lock.json");
    assert!(!record.exists());
    assert!(!target.join("wasm32-wasip1").exists());
    drop(held);
    let (code, _, stderr) = build.finish();
    assert!(waiting, "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    assert_data_eq!(stderr, file!["snapshots/build_dir_lock.build.stderr"]);
    assert!(record.exists());

    let held = FileLock::acquire_with(&lock_path, LockKind::Exclusive, || {}).expect("lock");
    let invoke = run(&["invoke", "-p", "bt-lock", "answer()"]);
    let waiting = eventually(|| invoke.stderr().contains("Blocking"));
    drop(held);
    let (code, stdout, stderr) = invoke.finish();
    assert!(waiting, "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "42\n");
    assert_data_eq!(stderr, file!["snapshots/build_dir_lock.invoke.stderr"]);
}
