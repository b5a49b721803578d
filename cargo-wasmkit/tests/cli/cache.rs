//! `cargo wasmkit cache`: where the compile cache is and what it holds,
//! `cache clean`, the size cap of `WASMKIT_CACHE_MAX`, and a cache that
//! other users could write is not used.

use snapbox::{assert_data_eq, file};

use crate::support::{Run, Scratch, wasmkit};

fn run(cache: &Scratch, dir: &Scratch, args: &[&str], max: Option<&str>) -> Run {
    let mut cmd = wasmkit()
        .args(args)
        .current_dir(dir.path())
        .env("WASMKIT_CACHE_DIR", cache.join("compiled"))
        .env_remove("WASMKIT_CACHE_MAX");
    if let Some(max) = max {
        cmd = cmd.env("WASMKIT_CACHE_MAX", max);
    }
    Run::of(&cmd.output().expect("run cargo-wasmkit"))
}

fn module(n: i32) -> String {
    format!("(module (func (export \"f\") (result i32) i32.const {n}))")
}

#[test]
fn cache_shows_cleans_and_stays_under_its_cap() {
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write("one.wat", module(1));
    dir.write("two.wat", module(2));

    let empty = run(&cache, &dir, &["cache"], None);
    empty.expect_code(0);
    assert_data_eq!(empty.stdout, file!["snapshots/cache.empty.stdout"]);

    run(&cache, &dir, &["invoke", "one.wat", "f()"], None).expect_code(0);
    run(&cache, &dir, &["invoke", "two.wat", "f()"], None).expect_code(0);
    let two = run(&cache, &dir, &["cache"], None);
    assert_data_eq!(two.stdout, file!["snapshots/cache.two.stdout"]);

    // A cap smaller than two entries: storing one evicts the other.
    dir.write("three.wat", module(3));
    run(&cache, &dir, &["invoke", "three.wat", "f()"], Some("1KiB")).expect_code(0);
    let capped = run(&cache, &dir, &["cache"], Some("1KiB"));
    assert_data_eq!(capped.stdout, file!["snapshots/cache.capped.stdout"]);

    let cleaned = run(&cache, &dir, &["cache", "clean"], None);
    cleaned.expect_code(0);
    assert_eq!(cleaned.stdout, "");
    assert_data_eq!(cleaned.stderr, file!["snapshots/cache.clean.stderr"]);
    let json = run(&cache, &dir, &["cache", "--message-format", "json"], None);
    let json = &json.json_lines()[0];
    assert_eq!(json["entries"], 0);
    assert_eq!(json["max_bytes"], 1u64 << 30);
    assert_eq!(json["trusted"], true);

    let bad = run(&cache, &dir, &["cache"], Some("lots"));
    bad.expect_code(2);
    assert_data_eq!(bad.stderr, file!["snapshots/cache.bad_max.stderr"]);
}

#[cfg(unix)]
#[test]
fn a_cache_other_users_can_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let cache = Scratch::empty();
    let dir = Scratch::empty();
    dir.write("one.wat", module(1));
    run(&cache, &dir, &["invoke", "one.wat", "f()"], None).expect_code(0);
    let compiled = cache.join("compiled");
    let mode = std::fs::metadata(&compiled).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "created for its owner only");

    std::fs::set_permissions(&compiled, std::fs::Permissions::from_mode(0o777)).unwrap();
    let shared = run(&cache, &dir, &["-v", "invoke", "one.wat", "f()"], None);
    shared.expect_code(0).expect_stderr("(Untrusted, winch: ");
    assert_eq!(shared.stdout, "1\n");
    assert_data_eq!(
        shared.stderr.lines().next().unwrap_or_default(),
        file!["snapshots/cache.untrusted.stderr"]
    );
    let listed = run(&cache, &dir, &["cache"], None);
    listed.expect_stderr("is writable by other users, so its entries are not used");
}
