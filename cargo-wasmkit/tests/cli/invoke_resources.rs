//! `cargo wasmkit invoke` on a component that exports a resource (the
//! `counters` test guest): `let`, resource calls in every spelling, moves,
//! borrows, `drop`, and the handles dropped at the end. What the user sees
//! is pinned in `snapshots/`.

use snapbox::file;

use crate::support::{Scratch, counters, wasmkit};

fn invoke(cache: &Scratch) -> snapbox::cmd::Command {
    wasmkit()
        .arg("invoke")
        .env("WASMKIT_CACHE_DIR", cache.path())
}

#[test]
fn list_shows_resources_in_wit() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(counters())
        .arg("--list")
        .assert()
        .success()
        .stdout_eq(file!["snapshots/counters-list.stdout"])
        .stderr_eq("");
}

#[test]
fn a_resource_is_driven_from_the_command_line() {
    // Constructor, methods, a static function taking two borrows and
    // returning a new handle, a move into `consume`, a list of borrows, an
    // optional handle, `drop`; the rest are dropped at the end in order,
    // each destructor printing its line.
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(counters())
        .args([
            "let a = counter.new(1)",
            "let b = [constructor]counter(2)",
            "a.add(10)",
            "a.get()",
            "[method]counter.get(b)",
            "let c = counter.merge(a, b)",
            "c.get()",
            "total([a, b, c])",
            "consume(b)",
            "dropped()",
            "let m = maybe(some(7))",
            "maybe(none)",
            "drop(a)",
            "dropped()",
        ])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/counters-session.stdout"])
        .stderr_eq("");
}

#[test]
fn qualified_spellings_of_resource_functions() {
    let cache = Scratch::empty();
    invoke(&cache)
        .arg(counters())
        .args([
            "let a = counters.counter.new(1)",
            "let b = test:counters/counters.counter.new@0.1.0(2)",
            "let c = test:counters/counters@0.1.0#[constructor]counter(3)",
            "let d = counters.[static]counter.merge(a, b)",
            "test:counters/counters@0.1.0#counter.merge(c, d)",
            "let n = d.get()",
            "counter.new(n)",
        ])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/counters-spellings.stdout"])
        .stderr_eq("");
}

#[test]
fn moved_dropped_and_unknown_names_are_refused_with_carets() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    let calls = dir.write(
        "calls.txt",
        "let a = counter.new(1)\n\
         let b = counter.new(2)\n\
         consume(b)\n\
         b.get()\n\
         counter.merge(a, b)\n\
         drop(a)\n\
         a.add(1)\n\
         total([zz])\n\
         zz.get()\n\
         consume(a)\n\
         let c = counter.new(3)\n\
         c.nope()\n\
         counter.new(c)\n\
         let n = c.get()\n\
         n.get()\n\
         let none = counter.new(1)\n\
         let x = c.add(1)\n\
         total([c, c])\n\
         drop(n)\n",
    );
    invoke(&cache)
        .current_dir(dir.path())
        .arg(counters())
        .arg("--calls-from")
        .arg(&calls)
        .assert()
        .code(2)
        .stdout_eq(file!["snapshots/counters-refused.stdout"])
        .stderr_eq(file!["snapshots/counters-refused.stderr"]);
}

#[test]
fn handles_in_json() {
    let cache = Scratch::empty();
    invoke(&cache)
        .args(["--message-format", "json"])
        .arg(counters())
        .args(["let a = counter.new(4)", "maybe(some(5))", "a.get()"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/counters-json.stdout"].raw());
}
