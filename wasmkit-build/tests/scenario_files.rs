//! Scenario files that must be refused, each with the diagnostics it gets
//! pinned beside it (`tests/scenarios/bad/<name>.stderr`; refresh with
//! `SNAPSHOTS=overwrite`): file, line, column, caret, and how to fix it.

use std::path::{Path, PathBuf};

use wasmkit_build::test::scenario;

fn bad_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bad_scenario_is_refused_with_located_diagnostics() {
    let files = bad_files();
    assert!(files.len() >= 6, "fixtures found: {files:?}");
    for path in files {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let display = format!("bad/{name}");
        let diagnostics = match scenario::load(&path, &display) {
            Ok(s) => panic!("{display} parsed: {s:?}"),
            Err(ds) => ds,
        };
        assert!(
            diagnostics
                .0
                .iter()
                .all(|d| d.exit_status() == wasmkit_core::ExitStatus::BadInput),
            "{display}: every problem of a scenario file is bad input"
        );
        let rendered: String = diagnostics
            .0
            .iter()
            .map(|d| format!("{}\n\n", d.render(false)))
            .collect();
        snapbox::assert_data_eq!(
            rendered,
            snapbox::Data::read_from(&path.with_extension("stderr"), None)
        );
    }
}
