//! Finding scenario files: a plugin's `scenarios/*.toml`, the plugin a
//! file given on the command line belongs to, how a file is shown, and the
//! name filter.

use std::path::{Path, PathBuf};

use wasmkit_core::Diagnostic;

/// The directory of a plugin's scenarios.
pub const SCENARIO_DIR: &str = "scenarios";

/// A plugin's scenario files, `<dir>/scenarios/*.toml`, sorted by name;
/// none when it has no such directory.
pub(crate) fn plugin_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let scenarios = dir.join(SCENARIO_DIR);
    let entries = match std::fs::read_dir(&scenarios) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Diagnostic::read_failed(&scenarios, &e)),
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// The index of the directory in `dirs` that holds `file` most closely
/// (a plugin nested in another's directory owns its own files).
pub(crate) fn owner(file: &Path, dirs: &[&Path]) -> Option<usize> {
    let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    dirs.iter()
        .enumerate()
        .filter_map(|(i, dir)| {
            let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            file.starts_with(&dir)
                .then(|| (i, dir.components().count()))
        })
        .max_by_key(|&(_, depth)| depth)
        .map(|(i, _)| i)
}

/// `file` as shown in output: relative to `root` when below it, else as
/// `display_path` shows it.
pub(crate) fn display(file: &Path, root: &Path) -> String {
    let canonical = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    match canonical.strip_prefix(&root) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => wasmkit_core::display_path(file),
    }
}

/// Whether a scenario passes the name filters: none given, or any is part
/// of its name or of its file as shown (as `cargo test` filters by
/// substring).
pub(crate) fn matches(filters: &[String], name: &str, display: &str) -> bool {
    filters.is_empty()
        || filters
            .iter()
            .any(|f| name.contains(f.as_str()) || display.contains(f.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_name_or_path_by_substring() {
        assert!(matches(&[], "x", "a/scenarios/x.toml"));
        let f = |s: &str| vec![s.to_string()];
        assert!(matches(
            &f("block"),
            "blocks-bad-json",
            "g/scenarios/b.toml"
        ));
        assert!(matches(&f("g/scen"), "x", "g/scenarios/b.toml"));
        assert!(!matches(&f("pass"), "blocks", "g/scenarios/b.toml"));
        assert!(matches(
            &[f("zz")[0].clone(), "b.toml".into()],
            "x",
            "g/scenarios/b.toml"
        ));
    }

    #[test]
    fn the_deepest_directory_owns_a_file() {
        let dirs = [Path::new("/w"), Path::new("/w/inner"), Path::new("/other")];
        assert_eq!(
            owner(Path::new("/w/inner/scenarios/a.toml"), &dirs),
            Some(1)
        );
        assert_eq!(owner(Path::new("/w/scenarios/a.toml"), &dirs), Some(0));
        assert_eq!(owner(Path::new("/elsewhere/a.toml"), &dirs), None);
    }

    #[test]
    fn scenario_files_are_the_toml_files_sorted() {
        let dir = tempfile::tempdir().unwrap();
        assert!(plugin_files(dir.path()).unwrap().is_empty());
        let s = dir.path().join(SCENARIO_DIR);
        std::fs::create_dir(&s).unwrap();
        for name in ["b.toml", "a.toml", "notes.md"] {
            std::fs::write(s.join(name), "").unwrap();
        }
        std::fs::create_dir(s.join("c.toml")).unwrap();
        let names: Vec<String> = plugin_files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.toml", "b.toml"]);
    }
}
