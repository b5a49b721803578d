//! `cargo wasmkit invoke` tests, on the example `shapes` component, the
//! `echo` test component, and core modules written in WAT.

use snapbox::{assert_data_eq, file, str};

use crate::support::{Scratch, echo, repo_root, shapes, wasmkit};

/// `invoke` with an isolated compile cache, so tests never share entries.
fn invoke(cache: &Scratch) -> snapbox::cmd::Command {
    wasmkit()
        .arg("invoke")
        .env("WASMKIT_CACHE_DIR", cache.path())
}

#[test]
fn area_of_the_example_shape() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(shapes())
        .arg("area(circle({radius: 1.0}))")
        .assert()
        .success()
        .stdout_eq(str![[r#"
3.141592653589793

"#]])
        .stderr_eq(str![]);
}

#[test]
fn every_wave_form_round_trips_like_wasmtime() {
    // Each line of wave-cases.expected is what `wasmtime run --invoke`
    // 48.0.8 printed for the same line of wave-cases.txt (see
    // tests/fixtures/wave-cases.sh); all calls run on one instance here.
    let fixtures = repo_root().join("tests/fixtures");
    let expected = std::fs::read_to_string(fixtures.join("wave-cases.expected")).unwrap();
    let cache = Scratch::empty();
    let output = invoke(&cache)
        .arg(echo())
        .arg("--calls-from")
        .arg(fixtures.join("wave-cases.txt"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got = String::from_utf8(output.stdout).unwrap();
    for (i, (g, e)) in got.lines().zip(expected.lines()).enumerate() {
        assert_eq!(g, e, "wave-cases.txt line {}", i + 1);
    }
    assert_eq!(got.lines().count(), expected.lines().count());
    assert_eq!(got, expected);
}

#[test]
fn calls_share_one_instance() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(echo())
        .args([
            "counter-add(1)",
            "counter-add(2)",
            "print(\"between\")",
            "counter-add(3)",
        ])
        .assert()
        .success()
        .stdout_eq(str![[r#"
1
3
between
()
6

"#]]);
}

#[test]
fn calls_from_a_file_report_bad_lines_and_go_on() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    let calls = dir.write(
        "calls.txt",
        "// a comment\ncounter-add(1)\n\ncounter-add(\"two\")\n  counter-ad(2)\ncounter-add(10)\n",
    );
    invoke(&cache)
        .current_dir(dir.path())
        .arg(echo())
        .arg("--calls-from")
        .arg(&calls)
        .assert()
        .code(2)
        .stdout_eq(str![[r#"
1
11

"#]])
        .stderr_eq(str![[r#"
error[wave-type]: argument 1 of `counter-add` does not match parameter `n: s32`
 --> calls.txt:4:13
  |
4 | counter-add("two")
  |             ^^^^^ expected `s32`, found `"two"`
  |
  = note: the signature is `counter-add: func(n: s32) -> s32`

error[unknown-function]: the component exports no function `counter-ad`
 --> calls.txt:5:3
  |
5 |   counter-ad(2)
  |   ^^^^^^^^^^ not exported
  |
  = help: did you mean `counter-add`?
  = help: see every callable function with `--list`


"#]]);
}

/// Many lines with one mistake: the first 50 errors in full, then one line
/// with the count of the others; JSON keeps every one.
#[test]
fn a_flood_of_bad_lines_is_capped() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    let mut text = "counter-add(\"two\")\n".repeat(200);
    text.push_str("counter-add(1)\n");
    let calls = dir.write("calls.txt", text);
    let out = invoke(&cache)
        .current_dir(dir.path())
        .arg(echo())
        .arg("--calls-from")
        .arg(&calls)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("error[wave-type]").count(), 50);
    snapbox::assert_data_eq!(
        stderr.into_owned(),
        snapbox::file!["snapshots/invoke.capped.stderr"]
    );

    let json = invoke(&cache)
        .current_dir(dir.path())
        .args(["--message-format", "json"])
        .arg(echo())
        .arg("--calls-from")
        .arg(&calls)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&json.stdout);
    assert_eq!(stdout.matches("\"wave-type\"").count(), 200);
    assert_eq!(String::from_utf8_lossy(&json.stderr), "");
}

#[test]
fn calls_from_stdin() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(echo())
        .args(["--calls-from", "-"])
        .stdin("add(2, 3)\n// skipped\necho-string(\"hi\")\n")
        .assert()
        .success()
        .stdout_eq(str![[r#"
5
"hi"

"#]]);
}

#[test]
fn list_shows_wit_signatures() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(shapes())
        .arg("--list")
        .assert()
        .success()
        .stdout_eq(str![[r#"
area: func(s: shape) -> f64
example:shapes/geometry.perimeter@0.1.0: func(s: shape) -> f64
example:shapes/geometry.describe@0.1.0: func(s: shape) -> string

"#]]);
    let out = invoke(&cache).arg(echo()).arg("--list").output().unwrap();
    let listing = String::from_utf8(out.stdout).unwrap();
    for line in [
        "greet: func(name: string, title: option<string>) -> string",
        "echo-settings: func(x: settings) -> settings",
        "test:echo/alpha.dup@0.1.0: func() -> string",
        "test:echo/counter-res.make@0.1.0: func(start: u32) -> counter",
        "test:echo/counter-res@0.1.0: resource counter {",
    ] {
        assert!(
            listing.lines().any(|l| l == line),
            "missing {line:?} in:\n{listing}"
        );
    }
}

#[test]
fn function_names_in_every_spelling() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(echo())
        .args([
            "alpha.dup()",
            "beta.dup()",
            "test:echo/alpha.dup@0.1.0()",
            "test:echo/beta@0.1.0#dup()",
            "test:echo/beta.dup()",
            "only-alpha()",
            "greet(\"Ada\")",
            "greet(\"Ada\", some(\"Dr.\"))",
        ])
        .assert()
        .success()
        .stdout_eq(str![[r#"
"alpha"
"beta"
"alpha"
"beta"
"beta"
"only alpha"
"Hello, Ada!"
"Hello, Dr. Ada!"

"#]]);
}

#[test]
fn ambiguous_and_unknown_names() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(echo())
        .arg("dup()")
        .assert()
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error[ambiguous-function]: `dup` is exported by several interfaces
 --> <call>:1:1
  |
1 | dup()
  | ^^^ ambiguous
  |
  = note: candidates: `test:echo/alpha.dup@0.1.0`, `test:echo/beta.dup@0.1.0`
  = help: call it by its qualified name


"#]]);
    invoke(&cache)
        .arg(shapes())
        .arg("perimter(circle({radius: 1.0}))")
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error[unknown-function]: the component exports no function `perimter`
 --> <call>:1:1
  |
1 | perimter(circle({radius: 1.0}))
  | ^^^^^^^^ not exported
  |
  = help: did you mean `perimeter`?
  = help: see every callable function with `--list`


"#]]);
}

#[test]
fn bad_arguments_point_at_the_mistake() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(shapes())
        .args([
            "area(circle({radius: \"x\"}))",
            "area(circle({radius: 1.0}), 2)",
            "area()",
            "area(circle({radius: 1.0})",
        ])
        .assert()
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error[wave-type]: argument 1 of `area` does not match parameter `s: shape`
 --> <call>:1:22
  |
1 | area(circle({radius: "x"}))
  |                      ^^^ expected `f64`, found `"x"`
  |
  = note: `shape` is `variant { circle(circle), rectangle(rectangle) }`
  = note: the signature is `area: func(s: shape) -> f64`

error[argument-count]: too many arguments: `area` takes 1 argument but 2 were given
 --> <call>:1:29
  |
1 | area(circle({radius: 1.0}), 2)
  |                             ^ unexpected argument
  |
  = note: the signature is `area: func(s: shape) -> f64`

error[argument-count]: missing argument for parameter `s: shape`: `area` takes 1 argument but 0 were given
 --> <call>:1:6
  |
1 | area()
  |      ^ expected `s: shape` here
  |
  = note: the signature is `area: func(s: shape) -> f64`

error[wave-syntax]: invalid call syntax
 --> <call>:1:27
  |
1 | area(circle({radius: 1.0})
  |                           ^ unexpected end of input
  |
  = help: a call is `name(arg, ...)` with WAVE values, e.g. `area(circle({radius: 1.0}))`


"#]]);
}

#[test]
fn resource_functions_take_and_return_handles() {
    // Refused up front before handles could be written (issue 12).
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(echo())
        .args([
            "counter-res.make(1)",
            "let c = counter-res.make(5)",
            "c.get()",
        ])
        .assert()
        .success()
        .stdout_eq(str![[r#"
<counter #1>
<counter #2>
5

"#]])
        .stderr_eq(str![]);
}

#[test]
fn core_modules_take_wave_numbers_and_wat_is_accepted() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    let wat = dir.write(
        "math.wat",
        r#"(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "divmod") (param i64 i64) (result i64 i64)
    local.get 0 local.get 1 i64.div_s local.get 0 local.get 1 i64.rem_s)
  (func (export "half") (param f64) (result f64) local.get 0 f64.const 2 f64.div)
  (func (export "noop")))
"#,
    );
    invoke(&cache)
        .arg(&wat)
        .args([
            "add(1, 2)",
            "add(-5, 3)",
            "divmod(17, 5)",
            "half(3)",
            "noop()",
        ])
        .assert()
        .success()
        .stdout_eq(str![[r#"
3
-2
(3, 2)
1.5
()

"#]]);
    invoke(&cache)
        .arg(&wat)
        .arg("--list")
        .assert()
        .success()
        .stdout_eq(str![[r#"
add: func(i32, i32) -> i32
divmod: func(i64, i64) -> (i64, i64)
half: func(f64) -> f64
noop: func()

"#]]);
}

#[test]
fn guest_output_and_results_keep_their_order() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(echo())
        .args(["print(\"one\")", "add(1, 1)", "print(\"two\")"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
one
()
2
two
()

"#]]);
}

#[test]
fn json_lines_per_call() {
    let cache = Scratch::empty();
    let out = invoke(&cache)
        .args(["--message-format", "json"])
        .arg(echo())
        .args(["print(\"guest says\")", "add(1, 2)", "add(1)"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["call"], "print(\"guest says\")");
    assert_eq!(lines[0]["stdout"], "guest says\n");
    assert_eq!(lines[0]["wave"], "()");
    assert_eq!(lines[1]["function"], "add");
    assert_eq!(lines[1]["results"], serde_json::json!(["3"]));
    assert_eq!(lines[2]["error"]["code"], "argument-count");
    assert_eq!(lines[2]["error"]["labels"][0]["column"], 6);
}

#[test]
fn sandbox_grants_nothing_by_default() {
    let cache = Scratch::empty();
    let host = Scratch::empty();
    host.write("secret.txt", "s3cret");
    invoke(&cache)
        .current_dir(host.path())
        .env("WASMKIT_TEST_VAR", "visible")
        .arg(echo())
        .args([
            "read-file(\"secret.txt\")",
            "list-dir(\".\")",
            "get-env(\"WASMKIT_TEST_VAR\")",
            "connect(\"127.0.0.1:9\")",
        ])
        .assert()
        .success()
        .stdout_eq(str![[r#"
err("secret.txt: No such file or directory (os error 44)")
err(".: No such file or directory (os error 44)")
none
err("127.0.0.1:9: Permission denied (os error 2)")

"#]]);
}

#[test]
fn sandbox_opt_ins_grant_exactly_what_is_asked() {
    let cache = Scratch::empty();
    let host = Scratch::empty();
    host.write("outside.txt", "no");
    host.write("granted/inside.txt", "yes");
    invoke(&cache)
        .arg("--dir")
        .arg(format!("{}::/data", host.join("granted").display()))
        .args(["--env", "GREETING=hi"])
        .arg(echo())
        .args([
            "read-file(\"/data/inside.txt\")",
            "read-file(\"/data/../outside.txt\")",
            "list-dir(\"/data\")",
            "get-env(\"GREETING\")",
        ])
        .assert()
        .success()
        .stdout_eq(str![[r#"
ok("yes")
err("/data/../outside.txt: Operation not permitted (os error 63)")
ok(["inside.txt"])
some("hi")

"#]]);
    invoke(&cache)
        .arg("--inherit-env")
        .env("WASMKIT_TEST_VAR", "visible")
        .arg(echo())
        .arg("get-env(\"WASMKIT_TEST_VAR\")")
        .assert()
        .success()
        .stdout_eq(str![[r#"
some("visible")

"#]]);
}

#[test]
fn a_trap_reports_message_and_backtrace_and_stops_the_instance() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(echo())
        .args(["add(1, 1)", "trap()", "add(2, 2)"])
        .assert()
        .code(1)
        .stdout_eq("2\n")
        .stderr_eq(file!["snapshots/invoke/trap.stderr"]);
}

/// The backtrace of a guest trap, frame by frame: names from the guest's
/// name section, offsets into its code. Pinned, so that a change to how
/// the tool is built (its release profile keeps no debug info) or to how
/// traps are reported shows here.
#[test]
fn a_trap_backtrace_names_every_guest_frame() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write(
        "nested.wat",
        "(module $nested\n  (func $innermost unreachable)\n  (func $middle call $innermost)\n  \
         (func $outer (export \"outer\") call $middle))\n",
    );
    let out = invoke(&cache)
        .current_dir(dir.path())
        .args(["nested.wat", "outer()"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    snapbox::assert_data_eq!(
        String::from_utf8_lossy(&out.stderr).into_owned(),
        snapbox::file!["snapshots/invoke.trap_backtrace.stderr"]
    );
}

#[test]
fn endless_loop_times_out_naming_the_call() {
    // Under both compilers: Winch's code checks the epoch as Cranelift's does.
    for level in ["baseline", "speed"] {
        let cache = Scratch::empty();
        invoke(&cache)
            .args(["--timeout", "200ms", "--opt-level", level])
            .arg(echo())
            .arg("spin()")
            .assert()
            .code(1)
            .stderr_eq(file!["snapshots/invoke/timeout.stderr"]);
    }
}

#[test]
fn fuel_runs_out() {
    // Under both compilers: Winch meters fuel as Cranelift does.
    for level in ["baseline", "speed"] {
        let cache = Scratch::empty();
        invoke(&cache)
            .args(["--fuel", "100000", "--opt-level", level])
            .arg(echo())
            .args(["add(1, 2)", "spin()"])
            .assert()
            .code(1)
            .stdout_eq("3\n")
            .stderr_eq(file!["snapshots/invoke/out-of-fuel.stderr"]);
    }
}

#[test]
fn deep_recursion_is_a_stack_overflow() {
    let cache = Scratch::empty();
    // Repeated frames are collapsed.
    invoke(&cache)
        .arg(echo())
        .arg("recurse(100000000)")
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/invoke/stack-overflow.stderr"]);
}

#[test]
fn memory_blow_up_is_reported_with_the_cap() {
    let cache = Scratch::empty();
    invoke(&cache)
        .args(["--max-memory", "64MiB"])
        .arg(echo())
        .arg("grow(1000)")
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/invoke/memory-limit.stderr"]);
    // Under the cap, the same guest works.
    invoke(&cache)
        .args(["--max-memory", "64MiB"])
        .arg(echo())
        .arg("grow(8)")
        .assert()
        .success()
        .stdout_eq(str![[r#"
8

"#]]);
}

#[test]
fn second_invoke_compiles_nothing_and_corrupt_entries_are_replaced() {
    let cache = Scratch::empty();
    // One compiler throughout: `auto` optimises on the second run (see
    // `auto_optimises_an_unchanged_artifact_on_its_second_run`).
    let run = || {
        invoke(&cache)
            .args(["-v", "--opt-level", "baseline"])
            .arg(shapes())
            .arg("area(circle({radius: 2.0}))")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("(Stored, winch: "),
        "{first:?}"
    );
    let second = run();
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("(Hit, winch: "),
        "{second:?}"
    );
    assert_eq!(second.stdout, b"12.566370614359172\n");

    // Truncate every cache entry: it must be detected, ignored and rebuilt.
    let entries: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let bytes = std::fs::read(&entries[0]).unwrap();
    std::fs::write(&entries[0], &bytes[..bytes.len() / 2]).unwrap();
    let third = run();
    assert!(
        String::from_utf8_lossy(&third.stderr).contains("(ReplacedCorrupt, winch: "),
        "{third:?}"
    );
    assert_eq!(third.stdout, b"12.566370614359172\n");
    assert_eq!(
        std::fs::read(&entries[0]).unwrap(),
        bytes,
        "entry rewritten whole"
    );

    // --no-cache neither reads nor writes.
    let empty = Scratch::empty();
    invoke(&empty)
        .args(["--no-cache", "-v"])
        .arg(shapes())
        .arg("area(circle({radius: 2.0}))")
        .assert()
        .success();
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn closed_stdout_is_not_an_error() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    let calls: String = (0..200_000).map(|i| format!("add({i}, 1)\n")).collect();
    let file = dir.write("calls.txt", calls);
    let mut child = std::process::Command::new(snapbox::cmd::cargo_bin!("cargo-wasmkit"))
        .args(["wasmkit", "invoke"])
        .arg(echo())
        .arg("--calls-from")
        .arg(&file)
        .env("WASMKIT_CACHE_DIR", cache.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 2];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    assert_eq!(&first, b"1\n");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn nothing_to_call_is_a_usage_error() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(shapes())
        .assert()
        .code(2)
        .stderr_eq(str![[r#"
error[usage]: nothing to call
 |
 = help: give calls such as 'area(circle({radius: 1.0}))', pipe them in, `--calls-from FILE`, or `--list`


"#]]);
}

#[test]
fn two_processes_filling_the_cache_at_once_do_not_corrupt_it() {
    let cache = Scratch::empty();
    let spawn = || {
        std::process::Command::new(snapbox::cmd::cargo_bin!("cargo-wasmkit"))
            .args(["wasmkit", "invoke", "-v", "--opt-level", "baseline"])
            .arg(shapes())
            .arg("area(circle({radius: 1.0}))")
            .env("WASMKIT_CACHE_DIR", cache.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, b"3.141592653589793\n");
    }
    let names: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "one whole entry, no temporary files: {names:?}"
    );
    let third = invoke(&cache)
        .args(["-v", "--opt-level", "baseline"])
        .arg(shapes())
        .arg("area(circle({radius: 1.0}))")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&third.stderr).contains("(Hit, winch: "));
}

#[test]
fn a_package_is_built_first_when_missing_or_older_than_its_sources() {
    let ws = Scratch::copy_of(&repo_root().join("examples"));
    let target = crate::support::shared_target_dir().join("invoke-package-test");
    let cache = Scratch::empty();
    let run = |dir: &std::path::Path, args: &[&str]| {
        let out = invoke(&cache)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", &target)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // Remove a stale artifact of an earlier test run.
    let _ = std::fs::remove_dir_all(target.join("wasmkit"));

    let (code, stdout, stderr) = run(ws.path(), &["-p", "shapes", "area(circle({radius: 1.0}))"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "3.141592653589793\n");
    assert!(stderr.contains("Built shapes"), "built first: {stderr}");
    assert!(stderr.contains("Verified shapes"), "and verified: {stderr}");

    // Up to date: nothing is built; inside the plugin, no -p is needed.
    let (code, stdout, stderr) = run(&ws.join("shapes/src"), &["area(circle({radius: 2.0}))"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "12.566370614359172\n");
    assert!(!stderr.contains("Building"), "{stderr}");

    // Older than its sources: rebuilt.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let lib = ws.join("shapes/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("{text}\n// touched\n")).unwrap();
    let (code, _, stderr) = run(ws.path(), &["-p", "shapes", "area(circle({radius: 1.0}))"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("Built shapes"), "rebuilt: {stderr}");

    // At the workspace root without -p there are three plugins.
    let (code, _, stderr) = run(ws.path(), &["area(circle({radius: 1.0}))"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_data_eq!(stderr, file!["snapshots/invoke/which-plugin.stderr"]);
}

#[test]
fn auto_optimises_an_unchanged_artifact_on_its_second_run() {
    let cache = Scratch::empty();
    let run = |level: &str| {
        let out = invoke(&cache)
            .args(["-v", "--opt-level", level])
            .arg(shapes())
            .arg("area(circle({radius: 1.0}))")
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"3.141592653589793\n", "{out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let line = stderr
            .lines()
            .find(|l| l.starts_with("note: loaded "))
            .unwrap_or_else(|| panic!("a loaded line in {stderr}"))
            .to_string();
        // `note: loaded PATH (OUTCOME, COMPILER: WHY) in TIME`
        let start = line.find(" (").unwrap() + 2;
        let end = line.rfind(") in ").unwrap();
        line[start..end].to_string()
    };
    assert_eq!(
        run("auto"),
        "Stored, winch: baseline: the first run of this artifact"
    );
    assert_eq!(
        run("auto"),
        "Stored, cranelift: optimised: the second run of an unchanged artifact"
    );
    assert_eq!(
        run("auto"),
        "Hit, cranelift: optimised code of an artifact run before"
    );
    assert_eq!(
        run("baseline"),
        "Hit, winch: baseline (--opt-level baseline, the default of verify, build and test)"
    );
    assert_eq!(
        run("speed"),
        "Hit, cranelift: optimised (--opt-level speed)"
    );
}
