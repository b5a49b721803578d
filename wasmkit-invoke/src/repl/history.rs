//! Where a session's history is kept: per user, in the XDG state
//! directory (`$XDG_STATE_HOME/cargo-wasmkit/history`, else
//! `~/.local/state/cargo-wasmkit/history`), or beside the compile cache
//! when neither can be found.

use std::ffi::OsString;
use std::path::PathBuf;

/// The history file for this user, from the environment.
pub fn history_path() -> Option<PathBuf> {
    history_path_from(&|key| std::env::var_os(key))
}

/// [`history_path`] with the environment given, for tests.
pub fn history_path_from(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    // The XDG spec says to ignore a relative path.
    let absolute = |key: &str| env(key).map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(state) = absolute("XDG_STATE_HOME") {
        return Some(state.join("cargo-wasmkit/history"));
    }
    if let Some(home) = absolute("HOME") {
        return Some(home.join(".local/state/cargo-wasmkit/history"));
    }
    if let Some(cache) = absolute("WASMKIT_CACHE_DIR") {
        return Some(cache.join("history"));
    }
    absolute("XDG_CACHE_HOME").map(|c| c.join("cargo-wasmkit/history"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(vars: &[(&str, &str)]) -> Option<PathBuf> {
        history_path_from(&|key| {
            vars.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn state_dir_then_home_then_cache() {
        assert_eq!(
            path(&[("XDG_STATE_HOME", "/s"), ("HOME", "/h")]),
            Some(PathBuf::from("/s/cargo-wasmkit/history"))
        );
        assert_eq!(
            path(&[("XDG_STATE_HOME", "relative"), ("HOME", "/h")]),
            Some(PathBuf::from("/h/.local/state/cargo-wasmkit/history"))
        );
        assert_eq!(
            path(&[("WASMKIT_CACHE_DIR", "/c")]),
            Some(PathBuf::from("/c/history"))
        );
        assert_eq!(
            path(&[("XDG_CACHE_HOME", "/x")]),
            Some(PathBuf::from("/x/cargo-wasmkit/history"))
        );
        assert_eq!(path(&[]), None);
    }
}
