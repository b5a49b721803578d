//! Reading a wasm input: a binary `.wasm` or a `.wat` text file, told apart
//! by content, with a clear diagnostic for anything that is neither.

use std::path::{Path, PathBuf};

use wasmkit_core::{Diagnostic, Label, SourceFile, codes, display_path};

/// Whether a binary is a component or a core module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WasmKind {
    /// A component (component model).
    Component,
    /// A core WebAssembly module.
    Module,
}

/// A wasm input, as binary.
#[derive(Clone, Debug)]
pub struct WasmInput {
    /// Where it was read from.
    pub path: PathBuf,
    /// The binary (a `.wat` file is already encoded).
    pub bytes: Vec<u8>,
    /// Component or module.
    pub kind: WasmKind,
}

const MAGIC: &[u8; 4] = b"\0asm";

impl WasmInput {
    /// Reads `path`: a `.wasm` binary, or WebAssembly text (by extension
    /// `.wat`/`.wast`, or by content).
    pub fn read(path: &Path) -> Result<WasmInput, Diagnostic> {
        let shown = display_path(path);
        if path.is_dir() {
            return Err(Diagnostic::error(
                codes::READ_FAILED,
                format!("cannot read `{shown}`: it is a directory, not a file"),
            )
            .with_help("give the path of a .wasm or .wat file"));
        }
        let bytes =
            std::fs::read(path).map_err(|e| Diagnostic::read_failed(Path::new(&shown), &e))?;
        WasmInput::from_bytes(path, bytes)
    }

    /// Interprets bytes read from `path`.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<WasmInput, Diagnostic> {
        let shown = display_path(path);
        let is_text_ext = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("wat") || e.eq_ignore_ascii_case("wast"));
        if bytes.is_empty() {
            return Err(Diagnostic::error(
                codes::NOT_WASM,
                format!("`{shown}` is empty, not a WebAssembly file"),
            )
            .with_origin(shown)
            .with_help("was the build interrupted? rebuild it"));
        }
        let bytes = if bytes.starts_with(MAGIC) {
            bytes
        } else if is_text_ext || looks_like_wat(&bytes) {
            parse_wat(path, &bytes)?
        } else {
            return Err(not_wasm(&shown, &bytes));
        };
        let kind = if wasmparser::Parser::is_component(&bytes) {
            WasmKind::Component
        } else {
            WasmKind::Module
        };
        Ok(WasmInput {
            path: path.to_path_buf(),
            bytes,
            kind,
        })
    }
}

fn looks_like_wat(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut rest = text.trim_start();
    // Skip line comments before the first form.
    while let Some(after) = rest.strip_prefix(";;") {
        rest = after.split_once('\n').map_or("", |(_, r)| r).trim_start();
    }
    rest.starts_with('(')
}

fn not_wasm(shown: &str, bytes: &[u8]) -> Diagnostic {
    let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut d = Diagnostic::error(
        codes::NOT_WASM,
        format!("`{shown}` is not a WebAssembly file"),
    )
    .with_origin(shown.to_string());
    if MAGIC.starts_with(&bytes[..bytes.len().min(4)]) {
        d = d.with_note(format!(
            "it is {} byte(s) long: the file is truncated",
            bytes.len()
        ));
    } else if std::str::from_utf8(bytes)
        .is_ok_and(|t| !t.chars().any(|c| c.is_control() && !c.is_whitespace()))
    {
        d = d.with_note("it is text, but not WebAssembly text (it does not start with `(`)");
    } else {
        d = d.with_note(format!(
            "a wasm binary starts with `00 61 73 6d` (\\0asm); this one starts with `{}`",
            head.join(" ")
        ));
    }
    d.with_help("give the path of a .wasm or .wat file")
}

fn parse_wat(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, Diagnostic> {
    let shown = display_path(path);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Diagnostic::error(
            codes::WAT_SYNTAX,
            format!("`{shown}` is not UTF-8 text (byte {})", e.valid_up_to()),
        )
        .with_origin(shown.clone())
    })?;
    let encode = || -> Result<Vec<u8>, wast::Error> {
        let buf = wast::parser::ParseBuffer::new(text)?;
        let mut wat: wast::Wat<'_> = wast::parser::parse(&buf)?;
        wat.encode()
    };
    encode().map_err(|e| {
        let file = SourceFile::new(&shown, text);
        let at = e.span().offset();
        Diagnostic::error(
            codes::WAT_SYNTAX,
            format!("`{shown}` is not valid WebAssembly text"),
        )
        .with_label(Label::primary(&file, at..at + 1, e.message()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(name: &str, bytes: &[u8]) -> Result<WasmInput, Diagnostic> {
        WasmInput::from_bytes(Path::new(name), bytes.to_vec())
    }

    #[test]
    fn binary_and_text_are_accepted() {
        let text = "(module (func (export \"f\")))";
        let m = from("m.wat", text.as_bytes()).unwrap();
        assert_eq!(m.kind, WasmKind::Module);
        assert!(m.bytes.starts_with(MAGIC));
        // Text is recognised by content too, even under a .wasm name.
        let again = from("m.wasm", format!(";; comment\n{text}").as_bytes()).unwrap();
        assert_eq!(again.bytes, m.bytes);
        let c = from("c.wat", b"(component)").unwrap();
        assert_eq!(c.kind, WasmKind::Component);
    }

    #[test]
    fn bad_inputs_say_what_they_are() {
        let empty = from("x.wasm", b"").unwrap_err();
        assert_eq!(empty.code, codes::NOT_WASM);
        assert!(empty.message.contains("is empty"), "{}", empty.message);

        let truncated = from("x.wasm", b"\0as").unwrap_err();
        assert!(
            truncated.notes[0].contains("truncated"),
            "{:?}",
            truncated.notes
        );

        let text = from("x.wasm", b"hello world\n").unwrap_err();
        assert!(text.notes[0].contains("it is text"), "{:?}", text.notes);

        let binary = from("x.wasm", &[0x7f, b'E', b'L', b'F', 0, 1]).unwrap_err();
        assert!(
            binary.notes[0].contains("7f 45 4c 46"),
            "{:?}",
            binary.notes
        );
    }

    #[test]
    fn wat_errors_point_into_the_text() {
        let d = from(
            "bad.wat",
            b"(module\n  (func (export \"f\") (result i32)\n    i32.bogus))",
        )
        .unwrap_err();
        assert_eq!(d.code, codes::WAT_SYNTAX);
        let label = d.primary_label().unwrap();
        assert_eq!(label.line_column(), (3, 5));
    }
}
