//! Bad input and hostile guests: every case ends cleanly with the right
//! message, location and exit code, and changes no file in the workspace.
//!
//! One row per bad input. Each row runs in a scratch copy of a small
//! workspace; the tree is compared before and after.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::support::{Scratch, build_guest, guests_workspace, wasmkit};

fn echo() -> PathBuf {
    static ECHO: OnceLock<PathBuf> = OnceLock::new();
    ECHO.get_or_init(|| build_guest(&guests_workspace(), "echo", "wasm32-wasip2"))
        .clone()
}

/// A small workspace with one plugin, `cat-plugin`, whose `.buildrc` and
/// manifest each row may overwrite.
fn workspace() -> Scratch {
    let ws = Scratch::empty();
    ws.write(
        "Cargo.toml",
        "[workspace]\nresolver = \"3\"\nmembers = [\"cat-plugin\"]\n",
    );
    ws.write(
        "cat-plugin/Cargo.toml",
        "[package]\nname = \"cat-plugin\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n",
    );
    ws.write(
        "cat-plugin/src/lib.rs",
        "#[unsafe(no_mangle)]\npub extern \"C\" fn answer() -> i32 {\n    42\n}\n",
    );
    ws.write("cat-plugin/.buildrc", "HOST=wasmtime\n");
    ws
}

/// One row of the catalogue.
struct Case {
    /// What the row is about.
    name: &'static str,
    /// Files to (over)write in the workspace before running.
    files: &'static [(&'static str, &'static [u8])],
    /// The arguments after `wasmkit`; `{echo}` is the echo component.
    args: &'static [&'static str],
    /// The exit code.
    code: i32,
    /// Text the diagnostic must contain (message and code).
    message: &'static str,
    /// The location the diagnostic must name (`file:line:col` or a path).
    location: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "empty file",
        files: &[("empty.wasm", b"")],
        args: &["invoke", "empty.wasm", "f()"],
        code: 2,
        message: "error[not-wasm]: `empty.wasm` is empty, not a WebAssembly file",
        location: "--> empty.wasm",
    },
    Case {
        name: "truncated wasm",
        files: &[("truncated.wasm", b"\0asm\x01\0\0\0\x01\x07\x01\x60")],
        args: &["invoke", "truncated.wasm", "f()"],
        code: 2,
        message: "error[invalid-wasm]: `truncated.wasm` is not valid WebAssembly",
        location: "--> truncated.wasm",
    },
    Case {
        name: "wasm from a newer proposal set",
        files: &[(
            "pages.wat",
            b"(module (memory (export \"m\") 1 (pagesize 1)))",
        )],
        args: &["verify", "pages.wat"],
        code: 2,
        message: "the custom page sizes proposal must be enabled",
        location: "--> pages.wat",
    },
    Case {
        name: "a text file named .wasm",
        files: &[("notes.wasm", b"remember the milk\n")],
        args: &["invoke", "notes.wasm", "f()"],
        code: 2,
        message: "it is text, but not WebAssembly text",
        location: "--> notes.wasm",
    },
    Case {
        name: "a missing file",
        files: &[],
        args: &["invoke", "missing.wasm", "f()"],
        code: 2,
        message: "error[read-failed]: cannot read `missing.wasm`: no such file",
        location: "",
    },
    Case {
        name: "a directory given as a file",
        files: &[("adir/keep", b"")],
        args: &["verify", "adir"],
        code: 2,
        message: "error[read-failed]: cannot read `adir`: it is a directory, not a file",
        location: "",
    },
    Case {
        name: "WAVE with wrong types",
        files: &[],
        args: &["invoke", "{echo}", "add(1, \"two\")"],
        code: 2,
        message: "error[wave-type]: argument 2 of `add` does not match parameter `b: s32`",
        location: "--> <call>:1:8",
    },
    Case {
        name: "too many arguments",
        files: &[],
        args: &["invoke", "{echo}", "add(1, 2, 3)"],
        code: 2,
        message: "error[argument-count]: too many arguments: `add` takes 2 arguments but 3 were given",
        location: "--> <call>:1:11",
    },
    Case {
        name: "too few arguments",
        files: &[],
        args: &["invoke", "{echo}", "add(1)"],
        code: 2,
        message: "error[argument-count]: missing argument for parameter `b: s32`",
        location: "--> <call>:1:6",
    },
    Case {
        name: "unknown function",
        files: &[],
        args: &["invoke", "{echo}", "ad(1, 2)"],
        code: 2,
        message: "error[unknown-function]: the component exports no function `ad`",
        location: "--> <call>:1:1",
    },
    Case {
        name: "ambiguous function",
        files: &[],
        args: &["invoke", "{echo}", "dup()"],
        code: 2,
        message: "error[ambiguous-function]: `dup` is exported by several interfaces",
        location: "--> <call>:1:1",
    },
    Case {
        name: ".buildrc with a command",
        files: &[("cat-plugin/.buildrc", b"HOST=wasmtime\napt-get install -y protobuf-compiler\n")],
        args: &["config"],
        code: 2,
        message: "error[buildrc-command]: this line is a shell command, and `.buildrc` is never executed",
        location: "--> cat-plugin/.buildrc:2:1",
    },
    Case {
        name: ".buildrc with an unterminated quote",
        files: &[("cat-plugin/.buildrc", b"FEATURES=\"a b\n")],
        args: &["config"],
        code: 2,
        message: "error[buildrc-unterminated-quote]: unterminated double quote",
        location: "--> cat-plugin/.buildrc:1:10",
    },
    Case {
        name: ".buildrc with a duplicate key",
        files: &[("cat-plugin/.buildrc", b"HOST=envoy\nHOST=higress\n")],
        args: &["config"],
        code: 2,
        message: "error[buildrc-duplicate-key]: `HOST` is set twice",
        location: "--> cat-plugin/.buildrc:2:1",
    },
    Case {
        name: ".buildrc with an unknown key",
        files: &[("cat-plugin/.buildrc", b"EXTRA_TAG=x")],
        args: &["config"],
        code: 2,
        message: "error[unknown-key]: unknown key `EXTRA_TAG`",
        location: "--> cat-plugin/.buildrc:1:1",
    },
    Case {
        name: ".buildrc with non-UTF-8 bytes",
        files: &[("cat-plugin/.buildrc", b"HOST=wasmtime\nTARGET=w\xffasm32\n")],
        args: &["config"],
        code: 2,
        message: "error[buildrc-encoding]: `cat-plugin/.buildrc` is not valid UTF-8",
        location: "--> cat-plugin/.buildrc:2:9",
    },
    Case {
        name: "[package.metadata.wasmkit] with a wrong type",
        files: &[(
            "cat-plugin/Cargo.toml",
            b"[package]\nname = \"cat-plugin\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[package.metadata.wasmkit]\nno-default-features = \"yes\"\n",
        )],
        args: &["config"],
        code: 2,
        message: "error[metadata-type]: `no-default-features` in `[package.metadata.wasmkit]` must be a boolean (`true` or `false`)",
        location: "--> cat-plugin/Cargo.toml:10:23",
    },
];

#[test]
fn every_bad_input_ends_cleanly() {
    let cache = Scratch::empty();
    let echo = echo();
    let mut failures = Vec::new();
    for case in CASES {
        let ws = workspace();
        for (path, bytes) in case.files {
            ws.write(path, bytes);
        }
        let before = ws.snapshot();
        let args: Vec<String> = case
            .args
            .iter()
            .map(|a| a.replace("{echo}", &echo.display().to_string()))
            .collect();
        let out = wasmkit()
            .current_dir(ws.path())
            .env("WASMKIT_CACHE_DIR", cache.path())
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(case.code) {
            problems.push(format!(
                "exit code {:?}, expected {}",
                out.status.code(),
                case.code
            ));
        }
        if !stderr.contains(case.message) {
            problems.push(format!("message {:?} missing", case.message));
        }
        if !stderr.contains(case.location) {
            problems.push(format!("location {:?} missing", case.location));
        }
        if stderr.contains("panicked") {
            problems.push("a panic".to_string());
        }
        if ws.snapshot() != before {
            problems.push("the workspace changed".to_string());
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}\n{stderr}", case.name, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn an_unreadable_file_is_a_read_error() {
    // Tests may run as root, which reads any file whatever its mode; a
    // socket cannot be read by anyone.
    let ws = workspace();
    let socket = ws.join("plugin.wasm");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let out = wasmkit()
        .current_dir(ws.path())
        .args(["invoke", "plugin.wasm", "f()"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[read-failed]: cannot read `plugin.wasm`"),
        "{stderr}"
    );
}

#[test]
fn a_guest_flooding_stdout_is_streamed_at_bounded_memory() {
    // 512 MiB of guest output through a pipe: the tool's peak memory stays
    // far below it because output is streamed, not buffered.
    let cache = Scratch::empty();
    #[allow(clippy::zombie_processes, reason = "waited for with wait4 below")]
    let mut child = std::process::Command::new(snapbox::cmd::cargo_bin!("cargo-wasmkit"))
        .args(["wasmkit", "invoke"])
        .arg(echo())
        .arg("flood(512)")
        .env("WASMKIT_CACHE_DIR", cache.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let (code, peak_kib) = wait_with_peak_rss(&child);
    assert_eq!(code, 0);
    assert_eq!(total, (512 << 20) + "()\n".len() as u64);
    assert!(
        peak_kib < 256 * 1024,
        "peak RSS {peak_kib} KiB for 512 MiB of output"
    );
}

/// Waits for `child` and returns its exit code and peak resident set (KiB),
/// from `wait4`, which reports on that one process.
#[allow(unsafe_code)]
fn wait_with_peak_rss(child: &std::process::Child) -> (i32, i64) {
    let pid = i32::try_from(child.id()).unwrap();
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 writes the status and a `rusage` into the pointers it
    // is given; `pid` is our own child, not yet waited for.
    let rc = unsafe { libc::wait4(pid, &raw mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(rc, pid);
    // SAFETY: initialised by the successful call above.
    let usage = unsafe { usage.assume_init() };
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}
