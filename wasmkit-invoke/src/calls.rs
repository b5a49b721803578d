//! Where calls come from: command-line arguments, then a `--calls-from`
//! file or stdin, one call a line (blank lines and `//` comments skipped),
//! read as a stream so that a million calls never sit in memory at once.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use wasmkit_core::{Diagnostic, SourceFile, display_path};

use crate::call::CallSource;

/// A source of calls, in order.
pub struct Calls {
    args: std::vec::IntoIter<String>,
    file: Option<LineReader>,
}

impl std::fmt::Debug for Calls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calls").finish_non_exhaustive()
    }
}

struct LineReader {
    shown: String,
    reader: Box<dyn BufRead>,
    line: usize,
    buf: String,
    done: bool,
}

impl Calls {
    /// Calls from arguments, then from `calls_from` (`-` is stdin).
    pub fn new(args: Vec<String>, calls_from: Option<&Path>) -> Result<Calls, Diagnostic> {
        let file = match calls_from {
            None => None,
            Some(p) if p == Path::new("-") => Some(LineReader::new(
                "<stdin>".to_string(),
                Box::new(BufReader::new(std::io::stdin())),
            )),
            Some(p) => {
                let shown = display_path(p);
                if p.is_dir() {
                    return Err(Diagnostic::error(
                        wasmkit_core::codes::READ_FAILED,
                        format!("cannot read `{shown}`: it is a directory, not a file"),
                    ));
                }
                let f = std::fs::File::open(p)
                    .map_err(|e| Diagnostic::read_failed(&PathBuf::from(&shown), &e))?;
                Some(LineReader::new(
                    shown,
                    Box::new(BufReader::with_capacity(256 * 1024, f)),
                ))
            }
        };
        Ok(Calls {
            args: args.into_iter(),
            file,
        })
    }

    /// Whether there is nothing to read at all.
    pub fn is_empty(&self) -> bool {
        self.args.len() == 0 && self.file.is_none()
    }
}

impl LineReader {
    fn new(shown: String, reader: Box<dyn BufRead>) -> LineReader {
        LineReader {
            shown,
            reader,
            line: 0,
            buf: String::new(),
            done: false,
        }
    }

    fn next_call(&mut self) -> Option<Result<CallSource, Diagnostic>> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            self.line += 1;
            let mut bytes = Vec::new();
            match (&mut self.reader)
                .take(1 << 20)
                .read_until(b'\n', &mut bytes)
            {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(Diagnostic::read_failed(Path::new(&self.shown), &e)));
                }
            }
            match String::from_utf8(bytes) {
                Ok(s) => self.buf = s,
                Err(e) => {
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let file = SourceFile::starting_at_line(&self.shown, text, self.line);
                    let at = e.utf8_error().valid_up_to();
                    return Some(Err(Diagnostic::error(
                        wasmkit_core::codes::WAVE_SYNTAX,
                        format!("line {} of `{}` is not UTF-8", self.line, self.shown),
                    )
                    .with_label(wasmkit_core::Label::primary(
                        &file,
                        at..at + 1,
                        "not UTF-8",
                    ))));
                }
            }
            let line = self.buf.trim_end_matches(['\n', '\r']);
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with("//") {
                continue;
            }
            let start = line.len() - line.trim_start().len();
            let end = line.trim_end().len();
            let file = SourceFile::starting_at_line(&self.shown, line, self.line);
            return Some(Ok(CallSource::within(&file, start..end)));
        }
    }
}

impl Iterator for Calls {
    type Item = Result<CallSource, Diagnostic>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(arg) = self.args.next() {
            return Some(Ok(CallSource::argument(&arg)));
        }
        self.file.as_mut()?.next_call()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_lines_skip_comments_and_keep_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calls.txt");
        std::fs::write(
            &path,
            "// header\n\nadd(1, 2)\n   // indented comment\n  add(3, 4)  \r\n",
        )
        .unwrap();
        let calls: Vec<CallSource> = Calls::new(vec!["first()".into()], Some(&path))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let texts: Vec<&str> = calls.iter().map(CallSource::text).collect();
        assert_eq!(texts, ["first()", "add(1, 2)", "add(3, 4)"]);
        assert_eq!(calls[1].file.first_line, 3);
        assert_eq!(calls[2].file.first_line, 5);
        assert_eq!(calls[2].span, 2..11);
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let err = Calls::new(vec![], Some(Path::new("/no/such/calls.txt"))).unwrap_err();
        assert_eq!(err.code, wasmkit_core::codes::READ_FAILED);
    }
}
