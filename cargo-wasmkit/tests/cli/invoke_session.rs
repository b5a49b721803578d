//! The interactive session of `cargo wasmkit invoke`: driven through a
//! pseudo-terminal as a person would (Tab, multi-line entries, a trap and
//! `:reset`, Ctrl-C during a call and at the prompt, Ctrl-D, the history
//! file), and on a pipe, where it never prompts. What the commands print
//! is pinned in `snapshots/`.

use std::process::Command;
use std::time::Duration;

use rexpect::session::PtySession;
use snapbox::file;

use crate::support::{Scratch, counters, kv, wasmkit, wasmkit_process};

/// Seconds a step of the session may take before the test fails; the
/// first includes compiling the guest (into an empty cache).
const STEP_TIMEOUT_MS: u64 = 60_000;

fn session(cache: &Scratch, state: &Scratch) -> PtySession {
    let mut cmd: Command = wasmkit_process();
    cmd.arg("invoke")
        .arg(counters())
        .env("WASMKIT_CACHE_DIR", cache.path())
        .env("XDG_STATE_HOME", state.path())
        .env("TERM", "xterm");
    rexpect::session::spawn_command(cmd, Some(STEP_TIMEOUT_MS)).unwrap()
}

/// Sends `line`, waits for each of `expected` in turn in what follows,
/// then for the next prompt: input typed before the editor is back in
/// raw mode would be discarded.
#[track_caller]
fn entry(p: &mut PtySession, line: &str, expected: &[&str]) {
    p.send_line(line).unwrap();
    for e in expected.iter().chain([&PROMPT]) {
        if let Err(err) = p.exp_string(e) {
            panic!("after `{line}`, expected `{e}`: {err}");
        }
    }
}

const PROMPT: &str = "wasmkit> ";

#[test]
fn a_session_through_a_terminal() {
    let cache = Scratch::empty();
    let state = Scratch::empty();
    let mut p = session(&cache, &state);
    p.exp_string("Session on").unwrap();
    p.exp_string(PROMPT).unwrap();

    // Tab completes `counter.n` to the constructor's shortest name (the
    // editor writes only the characters it adds, so the call's result
    // and the history show that it did).
    p.send("let c = counter.n\t").unwrap();
    entry(&mut p, "(3)", &["<counter #1>"]);
    // State carries over from call to call, and an entry with an open
    // bracket goes on on the next line.
    p.send_line("c.add(").unwrap();
    entry(&mut p, "  4)", &["()"]);
    // Tab after `NAME.` offers the handle's methods.
    p.send("c.g\t").unwrap();
    entry(&mut p, "()", &["7\r\n"]);

    // A mistake prints its diagnostic with a caret, and the session goes on.
    entry(&mut p, r#"c.add("four")"#, &["error[wave-type]", "^^^^^^"]);
    entry(&mut p, "c.get()", &["7\r\n"]);

    // After a trap the instance is not entered again until `:reset`.
    entry(
        &mut p,
        r#"fail("boom")"#,
        &["error[trap]", "`:reset` starts a fresh instance"],
    );
    entry(
        &mut p,
        "c.get()",
        &["was not run: the instance failed in `fail(\"boom\")`"],
    );
    entry(&mut p, ":reset", &["a fresh instance"]);
    entry(&mut p, "dropped()", &["0\r\n"]);

    // Ctrl-C stops a running call; the instance is then reset.
    p.send_line("spin()").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    p.send_control('c').unwrap();
    p.exp_string("error[interrupted]: `spin` was interrupted")
        .unwrap();
    p.exp_string(PROMPT).unwrap();
    entry(&mut p, ":reset", &["a fresh instance"]);

    // Ctrl-C at the prompt clears the line.
    p.send("this is not a call").unwrap();
    p.send_control('c').unwrap();
    p.exp_string(PROMPT).unwrap();
    entry(&mut p, "let d = counter.new(5)", &["<counter #1>"]);

    // Ctrl-D ends the session; the live handle is dropped, its destructor
    // printing.
    p.send_control('d').unwrap();
    p.exp_string("dropped counter 5").unwrap();
    p.exp_eof().unwrap();
    let status = p.process_mut().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );

    let history = std::fs::read_to_string(state.path().join("cargo-wasmkit/history")).unwrap();
    for line in [
        "let c = counter.new(3)",
        "c.get()",
        r#"fail("boom")"#,
        ":reset",
        "spin()",
        "let d = counter.new(5)",
    ] {
        assert!(
            history.lines().any(|l| l == line),
            "`{line}` is not in the history:\n{history}"
        );
    }
    assert!(!history.contains("this is not a call"), "{history}");
}

#[test]
fn commands_on_a_pipe() {
    // `--interactive` on a pipe: no prompt, the same output as on a
    // terminal.
    let cache = Scratch::empty();
    wasmkit()
        .arg("invoke")
        .arg(counters())
        .arg("--interactive")
        .env("WASMKIT_CACHE_DIR", cache.path())
        .stdin(
            ":help\n:list\n:help dropped\n:help counter\n:help c\nlet c = counter.new(1)\n\
             :help c\n:help c.add\n:imports\n:help nope\n:lsit\n:quit\n",
        )
        .assert()
        .success()
        .stdout_eq(file!["snapshots/session-commands.stdout"])
        .stderr_eq(file!["snapshots/session-commands.stderr"]);
}

#[test]
fn mocks_added_in_a_session_and_reload() {
    // `:mock` answers at once for an import nothing provides, and from the
    // next `:reset` for a WASI one; mocks survive `:reset` and `:reload`.
    let cache = Scratch::empty();
    wasmkit()
        .arg("invoke")
        .arg(kv())
        .arg("--interactive")
        .env("WASMKIT_CACHE_DIR", cache.path())
        .stdin(
            ":imports\n:mock store.get=some(\"v\")\nlookup(\"k\")\n:mock store.get=some(1)\n\
             :mock wall-clock.now={seconds: 7, nanoseconds: 0}\n:reset\nnow-seconds()\n\
             :reload\nlookup(\"k\")\nnow-seconds()\nremember(\"a\", \"b\")\nlookup(\"k\")\n",
        )
        .assert()
        .success()
        .stdout_eq(file!["snapshots/session-mocks.stdout"])
        .stderr_eq(file!["snapshots/session-mocks.stderr"]);
}

#[test]
fn without_calls_a_pipe_is_read_as_calls() {
    // No CALL and stdin not a terminal: `--calls-from -`, never a prompt.
    let cache = Scratch::empty();
    wasmkit()
        .arg("invoke")
        .arg(counters())
        .env("WASMKIT_CACHE_DIR", cache.path())
        .stdin("let c = counter.new(2)\nc.add(40)\nc.get()\nc.nope()\ndropped()\n")
        .assert()
        .code(2)
        .stdout_eq(file!["snapshots/session-piped.stdout"])
        .stderr_eq(file!["snapshots/session-piped.stderr"]);
}
