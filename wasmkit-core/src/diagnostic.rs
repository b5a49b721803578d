//! The one diagnostic type every crate returns, and its two renderings.
//!
//! A diagnostic is data: a severity, a stable [`Code`], a message, labels
//! that point into files by byte span, notes and help. It becomes text only
//! at the edge: [`Diagnostic::render`] for people (cargo's look, through
//! annotate-snippets) and [`Diagnostic::to_json`] for tools.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use serde::Serialize;

use crate::ExitStatus;
use crate::codes::Code;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The run fails.
    Error,
    /// Worth knowing; fails the run only where the command is asked to deny warnings.
    Warning,
}

/// The text of a file that labels point into.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as shown to the user.
    pub path: PathBuf,
    /// The text, as read (invalid UTF-8 replaced, for display only).
    pub text: String,
    /// The line number of the text's first line (1 for a whole file; more
    /// for one line of a larger file).
    pub first_line: usize,
}

impl SourceFile {
    /// A source file shared between the labels that point into it.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<SourceFile> {
        SourceFile::starting_at_line(path, text, 1)
    }

    /// A piece of a larger file that starts at line `first_line`.
    pub fn starting_at_line(
        path: impl Into<PathBuf>,
        text: impl Into<String>,
        first_line: usize,
    ) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            path: path.into(),
            text: text.into(),
            first_line: first_line.max(1),
        })
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let (line, column) = line_column(&self.text, offset);
        (line + self.first_line - 1, column)
    }
}

/// The 1-based line and column (in characters) of a byte offset in `text`.
/// Offsets past the end, or inside a character, are clamped.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A span of a file that a diagnostic points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The file.
    pub file: Arc<SourceFile>,
    /// Byte range inside `file.text`.
    pub span: Range<usize>,
    /// What is wrong there.
    pub message: String,
    /// The primary label gets the caret; others give context.
    pub primary: bool,
}

impl Label {
    /// The place where the problem is.
    pub fn primary(
        file: &Arc<SourceFile>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Label {
        Label {
            file: Arc::clone(file),
            span: clamp_span(&file.text, span),
            message: message.into(),
            primary: true,
        }
    }

    /// A related place, for context.
    pub fn secondary(
        file: &Arc<SourceFile>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Label {
        Label {
            primary: false,
            ..Label::primary(file, span, message)
        }
    }

    /// 1-based line and column of the start of the span.
    pub fn line_column(&self) -> (usize, usize) {
        self.file.line_column(self.span.start)
    }
}

fn clamp_span(text: &str, span: Range<usize>) -> Range<usize> {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// A diagnostic: what went wrong, where, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code.
    pub code: Code,
    /// One line saying what is wrong.
    pub message: String,
    /// A file or thing the diagnostic is about when no label points into it
    /// (a wasm artifact, a package).
    pub origin: Option<String>,
    /// Spans of files.
    pub labels: Vec<Label>,
    /// Facts that explain the problem.
    pub notes: Vec<String>,
    /// How to fix it.
    pub help: Vec<String>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            origin: None,
            labels: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
        }
    }

    /// A new warning.
    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// An error about reading a file.
    pub fn read_failed(path: &Path, error: &std::io::Error) -> Diagnostic {
        let what = match error.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            std::io::ErrorKind::IsADirectory => "it is a directory, not a file".to_string(),
            _ => error.to_string(),
        };
        Diagnostic::error(
            crate::codes::READ_FAILED,
            format!("cannot read `{}`: {what}", path.display()),
        )
    }

    /// Adds a label.
    #[must_use]
    pub fn with_label(mut self, label: Label) -> Diagnostic {
        self.labels.push(label);
        self
    }

    /// Sets what the diagnostic is about when no label points into a file.
    #[must_use]
    pub fn with_origin(mut self, origin: impl Into<String>) -> Diagnostic {
        self.origin = Some(origin.into());
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Adds a help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help.push(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The exit status this diagnostic implies on its own.
    pub fn exit_status(&self) -> ExitStatus {
        match self.severity {
            Severity::Error => self.code.exit_status(),
            Severity::Warning => ExitStatus::Success,
        }
    }

    /// The primary label, if any.
    pub fn primary_label(&self) -> Option<&Label> {
        self.labels.iter().find(|l| l.primary)
    }

    /// Renders the diagnostic the way cargo and rustc do. With `color`, the
    /// text carries ANSI styles.
    pub fn render(&self, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut group = Group::with_title(
            level
                .primary_title(self.message.as_str())
                .id(self.code.name()),
        );

        // One snippet per file, in the order files first appear.
        let mut files: Vec<&Arc<SourceFile>> = Vec::new();
        for label in &self.labels {
            if !files.iter().any(|f| Arc::ptr_eq(f, &label.file)) {
                files.push(&label.file);
            }
        }
        for file in files {
            let labels: Vec<&Label> = self
                .labels
                .iter()
                .filter(|l| Arc::ptr_eq(&l.file, file))
                .collect();
            // Only the lines the labels cover go to the renderer: rendering
            // takes time in proportion to the text it is given, and a file
            // with many errors must not cost its size squared.
            let text = file.text.as_str();
            let first = labels.iter().map(|l| l.span.start).min().unwrap_or(0);
            let last = labels.iter().map(|l| l.span.end).max().unwrap_or(0);
            let window_start = text[..first].rfind('\n').map_or(0, |i| i + 1);
            let window_end = text[last..].find('\n').map_or(text.len(), |i| last + i);
            let line_start = file.first_line
                + text.as_bytes()[..window_start]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
            let annotations = labels.iter().map(|l| {
                let kind = if l.primary {
                    AnnotationKind::Primary
                } else {
                    AnnotationKind::Context
                };
                kind.span(l.span.start - window_start..l.span.end - window_start)
                    .label(l.message.as_str())
            });
            group = group.element(
                Snippet::source(&text[window_start..window_end])
                    .line_start(line_start)
                    .path(file.path.to_string_lossy())
                    .fold(true)
                    .annotations(annotations),
            );
        }
        if self.labels.is_empty()
            && let Some(origin) = &self.origin
        {
            group = group.element(Origin::path(origin.as_str()));
        }
        for note in &self.notes {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        for help in &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.decor_style(DecorStyle::Ascii).render(&[group])
    }

    /// The JSON form: one object, printed as one line.
    pub fn to_json(&self) -> serde_json::Value {
        let labels: Vec<JsonLabel<'_>> = self
            .labels
            .iter()
            .map(|l| {
                let (line, column) = l.file.line_column(l.span.start);
                let (end_line, end_column) = l.file.line_column(l.span.end);
                JsonLabel {
                    file: &l.file.path,
                    line,
                    column,
                    end_line,
                    end_column,
                    byte_start: l.span.start,
                    byte_end: l.span.end,
                    message: &l.message,
                    primary: l.primary,
                }
            })
            .collect();
        serde_json::json!({
            "reason": "wasmkit-diagnostic",
            "severity": self.severity,
            "code": self.code.name(),
            "message": self.message,
            "origin": self.origin,
            "labels": labels,
            "notes": self.notes,
            "help": self.help,
            "rendered": self.render(false),
        })
    }
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a Path,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    byte_start: usize,
    byte_end: usize,
    message: &'a str,
    primary: bool,
}

/// Several diagnostics, returned together where one problem does not hide
/// the next (every bad line of a `.buildrc`, every failed check).
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The worst exit status among them.
    pub fn exit_status(&self) -> ExitStatus {
        self.0
            .iter()
            .map(Diagnostic::exit_status)
            .fold(ExitStatus::Success, ExitStatus::worst)
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&d.render(false))?;
        }
        Ok(())
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes;

    #[test]
    fn renders_like_cargo_with_caret_and_help() {
        let file = SourceFile::new("plugin/.buildrc", "# tags\nEXTRA_TAG=x\n");
        let d = Diagnostic::error(codes::UNKNOWN_KEY, "unknown key `EXTRA_TAG`")
            .with_label(Label::primary(&file, 7..16, "not a cargo-wasmkit setting"))
            .with_help("did you mean `EXTRA_TAGS`?");
        let text = d.render(false);
        snapbox::assert_data_eq!(
            text,
            snapbox::str![[r#"
error[unknown-key]: unknown key `EXTRA_TAG`
 --> plugin/.buildrc:2:1
  |
2 | EXTRA_TAG=x
  | ^^^^^^^^^ not a cargo-wasmkit setting
  |
  = help: did you mean `EXTRA_TAGS`?
"#]]
        );
        assert_eq!(d.exit_status(), ExitStatus::BadInput);
    }

    #[test]
    fn json_has_location_and_code() {
        let file = SourceFile::new("a/.buildrc", "A=1\nB=2");
        let d = Diagnostic::error(codes::UNKNOWN_KEY, "unknown key `B`")
            .with_label(Label::primary(&file, 4..5, "here"));
        let json = d.to_json();
        assert_eq!(json["code"], "unknown-key");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["labels"][0]["file"], "a/.buildrc");
        assert_eq!(json["labels"][0]["line"], 2);
        assert_eq!(json["labels"][0]["column"], 1);
        assert_eq!(json["reason"], "wasmkit-diagnostic");
    }

    #[test]
    fn origin_without_labels_is_shown_as_a_location() {
        let d = Diagnostic::error(codes::NOT_WASM, "not a WebAssembly file")
            .with_origin("target/wasmkit/debug/x.wasm");
        let text = d.render(false);
        assert!(text.contains("--> target/wasmkit/debug/x.wasm"), "{text}");
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("abc", 99), (1, 4));
    }

    #[test]
    fn a_line_of_a_larger_file_keeps_its_line_number() {
        let file = SourceFile::starting_at_line("calls.txt", "area(1)", 57);
        let d = Diagnostic::error(codes::WAVE_TYPE, "bad").with_label(Label::primary(
            &file,
            5..6,
            "here",
        ));
        assert!(
            d.render(false).contains("--> calls.txt:57:6"),
            "{}",
            d.render(false)
        );
        assert_eq!(d.to_json()["labels"][0]["line"], 57);
    }

    #[test]
    fn only_the_labelled_lines_are_rendered_with_their_numbers() {
        let text: String = (1..=10_000).map(|i| format!("LINE_{i}=x\n")).collect();
        let file = SourceFile::new("big/.buildrc", text.clone());
        let at = text.find("LINE_5000=").unwrap();
        let other = text.find("LINE_5002=").unwrap();
        let d = Diagnostic::error(codes::UNKNOWN_KEY, "unknown key")
            .with_label(Label::primary(&file, at..at + 9, "here"))
            .with_label(Label::secondary(&file, other..other + 9, "and here"));
        let rendered = d.render(false);
        assert!(rendered.contains("--> big/.buildrc:5000:1"), "{rendered}");
        assert!(rendered.contains("5000 | LINE_5000=x"), "{rendered}");
        assert!(rendered.contains("5002 | LINE_5002=x"), "{rendered}");
        assert!(!rendered.contains("LINE_4999"), "{rendered}");
    }

    #[test]
    fn warnings_do_not_fail() {
        let d = Diagnostic::warning(codes::TRAP, "x");
        assert_eq!(d.exit_status(), ExitStatus::Success);
    }
}
