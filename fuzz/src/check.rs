//! Properties every diagnostic must have, whatever produced it.
//!
//! Shared by the fuzz targets and by the regression tests of the library
//! crates (which include this file with `#[path]`), so that both assert
//! exactly the same thing. Every check panics with the diagnostic on
//! failure, which is what libFuzzer and `cargo test` report.

use wasmkit_core::{Diagnostic, Label};

/// A diagnostic has a code and a one-line message, and both renderings
/// work. Every label points inside its own file.
pub fn well_formed(d: &Diagnostic) {
    assert!(
        !d.code.name().is_empty(),
        "diagnostic without a code: {d:?}"
    );
    assert!(
        !d.message.trim().is_empty(),
        "diagnostic without a message: {d:?}"
    );
    for label in &d.labels {
        label_inside_its_file(label, d);
    }
    // Rendering is where out-of-range spans usually blow up. The JSON
    // form holds the plain rendering.
    let _ = d.render(true);
    let _ = d.to_json().to_string();
}

/// The label's span is a range of whole characters of its file, and its
/// line and column are inside the file.
pub fn label_inside_its_file(label: &Label, d: &Diagnostic) {
    let text = &label.file.text;
    let span = &label.span;
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "label span {span:?} outside its file of {} bytes: {d:?}",
        text.len()
    );
    assert!(
        text.get(span.clone()).is_some(),
        "label span {span:?} splits a character: {d:?}"
    );
    let lines = text.split('\n').collect::<Vec<_>>();
    for offset in [span.start, span.end] {
        let (line, column) = label.file.line_column(offset);
        let line_in_text = line + 1 - label.file.first_line;
        assert!(
            line >= label.file.first_line && line_in_text <= lines.len(),
            "label at {offset} is on line {line}, outside the file: {d:?}"
        );
        let width = lines[line_in_text - 1].chars().count();
        assert!(
            column >= 1 && column <= width + 1,
            "label at {offset} is at column {column} of a line of {width} characters: {d:?}"
        );
    }
}

/// `d` has a primary label, in a file whose text is `text`.
pub fn primary_label_in(d: &Diagnostic, text: &str) {
    let label = d
        .primary_label()
        .unwrap_or_else(|| panic!("error without a primary label: {d:?}"));
    assert!(
        label.file.text == text,
        "primary label points into another text ({:?}): {d:?}",
        label.file.text
    );
}

/// The kept inputs of `fuzz/<kind>/<target>/` (`regressions` or `seeds`),
/// sorted, without the folder's README (which a regressions folder must
/// have). For the regression tests of the library crates, which include
/// this file; every crate that does sits one level below the repository
/// root, as the fuzz crate does.
#[allow(dead_code)]
pub fn kept_inputs(kind: &str, target: &str) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    if kind == "regressions" {
        let readme = std::fs::read_to_string(dir.join("README.md")).expect("a README");
        assert!(readme.lines().any(|l| !l.trim().is_empty()), "empty README");
    }
    files
}
