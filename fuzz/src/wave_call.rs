//! The `wave_call` property: a WAVE call on the `echo` test component
//! (`tests/fixtures/guests/echo`, built into the shared guest target
//! directory, see [`echo_wasm_path`]) never panics
//! or hangs; every error about the call points inside the call's text, and
//! only a guest failure (trap, timeout, stack overflow, memory cap, exit)
//! may come without a label. A call that succeeds returns results that
//! match themselves as an expected value, and an `echo-*` function called
//! with its own result returns it again.
//!
//! One instance serves every call of a thread; a guest failure poisons it,
//! so the next call instantiates afresh.

use std::cell::RefCell;
use std::path::Path;
use std::time::Duration;

use wasmkit_core::{Diagnostic, codes};
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{
    CallOutput, CallSource, Limits, OutputSink, Runtime, RuntimeOptions, SandboxOptions, Session,
    SessionOptions, WasmInput,
};

use crate::check;

/// Where the `echo` component is: `$WASMKIT_ECHO_WASM`, else the release
/// build of `tests/fixtures/guests` in `target/wasmkit-tests` (where the
/// test suite builds its guests). Built files are never committed.
pub fn echo_wasm_path() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("WASMKIT_ECHO_WASM") {
        return path.into();
    }
    // Both the fuzz crate and the library crates that include this file sit
    // one level below the repository root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/wasmkit-tests/wasm32-wasip2/release/echo.wasm")
}

fn echo_wasm() -> Vec<u8> {
    let path = echo_wasm_path();
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the echo component at {}: {e}; build it with \
             `cd tests/fixtures/guests && CARGO_TARGET_DIR=../../../target/wasmkit-tests \
             cargo build --release --target wasm32-wasip2`",
            path.display()
        )
    })
}

/// Functions whose name a call may not contain: `flood` writes megabytes,
/// `spin` always runs into the time limit (the limit itself is covered by
/// the library's tests) and `grow` touches up to the memory cap. Checked on
/// the text before the first `(`, so no spelling of the name reaches them.
const EXCLUDED: &[&str] = &["flood", "spin", "grow"];

/// Functions whose result is not their argument.
const NOT_ECHOES: &[&str] = &["echo-pair", "echo-trailing"];

/// Guest output kept per call; the rest is dropped.
const OUTPUT_CAP: usize = 4096;

struct Harness {
    runtime: Runtime,
    compiled: Compiled,
    input: WasmInput,
    out: OutputSink,
    session: Option<Session>,
}

impl Harness {
    fn new() -> Harness {
        let runtime = Runtime::new(&RuntimeOptions {
            fuel: false,
            timeouts: true,
            cache_dir: None,
        })
        .expect("an engine");
        let input =
            WasmInput::from_bytes(Path::new("echo.wasm"), echo_wasm()).expect("echo.wasm is wasm");
        let (compiled, _) = runtime.compile(&input).expect("echo.wasm compiles");
        Harness {
            runtime,
            compiled,
            input,
            out: OutputSink::capture(OUTPUT_CAP),
            session: None,
        }
    }

    fn call(&mut self, text: &str) -> Result<CallOutput, Diagnostic> {
        let options = SessionOptions {
            sandbox: SandboxOptions::default(),
            limits: Limits {
                timeout: Some(Duration::from_millis(200)),
                fuel: None,
                max_memory: 64 << 20,
            },
            mocks: Vec::new(),
        };
        let session = self.session.get_or_insert_with(|| {
            Session::instantiate(
                &self.runtime,
                &self.compiled,
                &self.input,
                &options,
                &self.out,
                Some(&self.out),
            )
            .expect("echo.wasm instantiates")
        });
        let result = session.call(&CallSource::argument(text));
        let _ = self.out.take_captured();
        if let Err(d) = &result
            && is_guest_failure(d)
        {
            // The instance cannot be entered again after a trap.
            self.session = None;
        }
        result
    }
}

thread_local! {
    static HARNESS: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

/// Whether the error is the guest failing rather than the call's text.
fn is_guest_failure(d: &Diagnostic) -> bool {
    [
        codes::TRAP,
        codes::TIMEOUT,
        codes::OUT_OF_FUEL,
        codes::STACK_OVERFLOW,
        codes::MEMORY_LIMIT,
        codes::GUEST_EXIT,
    ]
    .contains(&d.code)
}

/// Checks every property on one input (UTF-8 text; other bytes are skipped).
pub fn check(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let name_part = text.split('(').next().unwrap_or_default();
    if EXCLUDED.iter().any(|f| name_part.contains(f)) {
        return;
    }
    HARNESS.with_borrow_mut(|harness| {
        let harness = harness.get_or_insert_with(Harness::new);
        let output = match harness.call(text) {
            Ok(output) => output,
            Err(d) => {
                check::well_formed(&d);
                if !is_guest_failure(&d) {
                    check::primary_label_in(&d, text);
                }
                return;
            }
        };

        // The results, as an expected value, match themselves.
        let session = harness.session.as_ref().expect("a live session");
        let expected = CallSource::argument(&output.wave);
        match session.expect(&output, &expected) {
            Ok(None) => {}
            Ok(Some(canonical)) => panic!(
                "`{text}` returned `{}`, which does not match itself (as `{canonical}`)",
                output.wave
            ),
            Err(d) => panic!(
                "`{text}` returned `{}`, which is not a valid expectation: {}",
                output.wave,
                d.render(false)
            ),
        }

        // An echo returns its argument: its result is a valid argument too.
        if output.function.starts_with("echo-") && !NOT_ECHOES.contains(&output.function.as_str()) {
            let again = format!("{}({})", output.function, output.wave);
            match harness.call(&again) {
                Ok(second) => assert_eq!(
                    second.wave, output.wave,
                    "`{text}` returned `{}`, but `{again}` returned `{}`",
                    output.wave, second.wave
                ),
                Err(d) => panic!(
                    "`{text}` returned `{}`, but `{again}` fails: {}",
                    output.wave,
                    d.render(false)
                ),
            }
        }
    });
}
