//! Unit tests of `plan`.

use std::path::Path;

use super::command::flags_target_dir;
use super::*;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

#[test]
fn env_rustflags_follow_cargo_precedence() {
    let e = EnvRustflags::from_vars(Some("-C\x1fopt-level=1".into()), Some("--cfg x".into()));
    assert_eq!(e.variable, Some("CARGO_ENCODED_RUSTFLAGS"));
    assert_eq!(e.flags, names(&["-C", "opt-level=1"]));
    let e = EnvRustflags::from_vars(None, Some(" --cfg  x ".into()));
    assert_eq!(e.variable, Some("RUSTFLAGS"));
    assert_eq!(e.flags, names(&["--cfg", "x"]));
    assert_eq!(EnvRustflags::from_vars(None, None), EnvRustflags::default());
}

#[test]
fn flag_dirs_differ_by_flags() {
    let root = Path::new("/t");
    let a = flags_target_dir(root, &names(&["-C", "opt-level=1"]));
    let b = flags_target_dir(root, &names(&["-C", "opt-level=2"]));
    // Joining with a separator keeps `["-Ca", "b"]` apart from `["-C", "ab"]`.
    let c = flags_target_dir(root, &names(&["-Co", "pt-level=1"]));
    assert_ne!(a, b);
    assert_ne!(a, c);
    assert_eq!(a, flags_target_dir(root, &names(&["-C", "opt-level=1"])));
    assert!(a.starts_with("/t/wasmkit"));
}

#[test]
fn quoting() {
    assert_eq!(shell_quote("--cfg"), "--cfg");
    assert_eq!(shell_quote("cfg(x)"), "'cfg(x)'");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(shell_quote(""), "''");
}
