//! `.buildrc` files: shell-style `KEY=VALUE` lines, parsed as data and never
//! executed.
//!
//! Accepted: blank lines, `#` comments (whole-line, or after the value and a
//! space), an optional `export ` prefix, values that are bare words, 'single'
//! or "double" quoted, or a mix (`a"b c"'d'`), and backslash escapes outside
//! single quotes. The Higress form `EXTRA_TAGS=proxy_wasm_version_0_2_100`,
//! with or without a trailing newline, is the simplest case.
//!
//! Rejected, each with the file, line and column: a line that is a command,
//! `$(...)`, `${...}`, `$VAR`, backticks, shell operators, unquoted spaces
//! inside a value, unterminated quotes, keys set twice, unknown keys (with a
//! did-you-mean), and bytes that are not UTF-8.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::codes;
use crate::diagnostic::{Diagnostic, Diagnostics, Label, SourceFile};
use crate::keys::Key;

/// The most problems reported for one file; the rest are counted.
const MAX_ERRORS: usize = 50;

/// A parsed `.buildrc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buildrc {
    /// Where the file is (its labels show the path as the user sees it).
    pub path: PathBuf,
    /// The file, for labels.
    pub file: Arc<SourceFile>,
    /// The assignments, in file order, each key at most once.
    pub entries: Vec<Entry>,
}

/// One `KEY=VALUE` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key.
    pub key: Key,
    /// The value after quote removal and escapes.
    pub value: String,
    /// Byte span of the key.
    pub key_span: Range<usize>,
    /// Byte span of the value as written (quotes included).
    pub value_span: Range<usize>,
}

impl Buildrc {
    /// Reads and parses the `.buildrc` at `path`. `display_path` is how the
    /// file is named in diagnostics.
    pub fn read(path: &Path, display_path: &Path) -> Result<Buildrc, Diagnostics> {
        let bytes = std::fs::read(path).map_err(|e| Diagnostic::read_failed(display_path, &e))?;
        let mut rc = Buildrc::parse(display_path, &bytes)?;
        rc.path = path.to_path_buf();
        Ok(rc)
    }

    /// Parses `.buildrc` bytes. Every problem in the file is reported, not
    /// just the first.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Buildrc, Diagnostics> {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => return Err(encoding_error(path, bytes, &e).into()),
        };
        let file = SourceFile::new(path, text);
        let mut entries: Vec<Entry> = Vec::new();
        let mut errors = Vec::new();
        let mut seen: HashMap<Key, Range<usize>> = HashMap::new();

        let mut line_start = 0;
        for raw_line in text.split_inclusive('\n') {
            let line = raw_line.trim_end_matches('\n').trim_end_matches('\r');
            let parsed = LineParser {
                file: &file,
                line,
                base: line_start,
            }
            .parse();
            line_start += raw_line.len();
            match parsed {
                Ok(None) => {}
                Ok(Some(entry)) => {
                    if let Some(first) = seen.get(&entry.key) {
                        errors.push(
                            Diagnostic::error(
                                codes::BUILDRC_DUPLICATE_KEY,
                                format!("`{}` is set twice", entry.key),
                            )
                            .with_label(Label::primary(
                                &file,
                                entry.key_span.clone(),
                                "set again here",
                            ))
                            .with_label(Label::secondary(&file, first.clone(), "first set here"))
                            .with_help(format!(
                                "keep one `{}=` line; a shell would silently use the last one",
                                entry.key
                            )),
                        );
                    } else {
                        seen.insert(entry.key, entry.key_span.clone());
                        entries.push(entry);
                    }
                }
                Err(d) => errors.push(*d),
            }
        }
        if errors.len() > MAX_ERRORS {
            let more = errors.len() - MAX_ERRORS;
            errors.truncate(MAX_ERRORS);
            errors.push(
                Diagnostic::error(
                    codes::BUILDRC_SYNTAX,
                    format!("and {more} more problem(s) in `{}`", path.display()),
                )
                .with_origin(path.display().to_string())
                .with_help("fix the ones above first; is this file really a `.buildrc`?"),
            );
        }
        if errors.is_empty() {
            Ok(Buildrc {
                path: path.to_path_buf(),
                file,
                entries,
            })
        } else {
            Err(Diagnostics(errors))
        }
    }

    /// The entry for `key`, if the file sets it.
    pub fn get(&self, key: Key) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

fn encoding_error(path: &Path, bytes: &[u8], e: &std::str::Utf8Error) -> Diagnostic {
    let valid = e.valid_up_to();
    // Show the file with the bad bytes replaced, pointing at the first one.
    let prefix = String::from_utf8_lossy(&bytes[..valid]);
    let rest = String::from_utf8_lossy(&bytes[valid..]);
    let text = format!("{prefix}{rest}");
    let bad_len = '\u{FFFD}'.len_utf8();
    let file = SourceFile::new(path, text);
    Diagnostic::error(
        codes::BUILDRC_ENCODING,
        format!("`{}` is not valid UTF-8", path.display()),
    )
    .with_label(Label::primary(
        &file,
        prefix.len()..prefix.len() + bad_len,
        format!("byte {:#04x} is not UTF-8", bytes[valid]),
    ))
    .with_help("save the file as UTF-8 text")
}

struct LineParser<'a> {
    file: &'a Arc<SourceFile>,
    line: &'a str,
    /// Offset of the line in the file.
    base: usize,
}

type LineResult = Result<Option<Entry>, Box<Diagnostic>>;

const SHELL_OPERATORS: &[char] = &[';', '|', '&', '<', '>', '(', ')'];

impl LineParser<'_> {
    fn span(&self, range: Range<usize>) -> Range<usize> {
        self.base + range.start..self.base + range.end
    }

    fn error(
        &self,
        code: codes::Code,
        message: impl Into<String>,
        range: Range<usize>,
        label: impl Into<String>,
    ) -> Box<Diagnostic> {
        Box::new(Diagnostic::error(code, message).with_label(Label::primary(
            self.file,
            self.span(range),
            label,
        )))
    }

    fn parse(&self) -> LineResult {
        let line = self.line;
        let mut pos = line.len() - line.trim_start_matches([' ', '\t']).len();
        if pos == line.len() || line[pos..].starts_with('#') {
            return Ok(None);
        }
        if let Some(after) = line[pos..].strip_prefix("export")
            && after.starts_with([' ', '\t'])
        {
            pos = line.len() - after.trim_start_matches([' ', '\t']).len();
        }
        let key_start = pos;
        let key_len = line[pos..]
            .char_indices()
            .take_while(|&(i, c)| {
                c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())
            })
            .map(|(_, c)| c.len_utf8())
            .sum::<usize>();
        let key_end = key_start + key_len;
        if key_len == 0 || !line[key_end..].starts_with('=') {
            return Err(self.not_an_assignment(key_start, key_end));
        }
        let key_name = &line[key_start..key_end];
        let value_start = key_end + 1;
        let (value, value_end) = self.parse_value(value_start)?;

        let Some(key) = Key::from_buildrc_name(key_name) else {
            let mut d = self.error(
                codes::UNKNOWN_KEY,
                format!("unknown key `{key_name}`"),
                key_start..key_end,
                "not a cargo-wasmkit setting",
            );
            match Key::suggest_buildrc(key_name) {
                Some(suggestion) => d.help.push(format!("did you mean `{suggestion}`?")),
                None => d.help.push(format!(
                    "the keys are {}",
                    Key::ALL
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
            return Err(d);
        };
        Ok(Some(Entry {
            key,
            value,
            key_span: self.span(key_start..key_end),
            value_span: self.span(value_start..value_end),
        }))
    }

    /// Explains a line that is not `KEY=VALUE`.
    fn not_an_assignment(&self, start: usize, key_end: usize) -> Box<Diagnostic> {
        let line = self.line;
        let rest = &line[key_end..];
        let content_end = line.trim_end().len();
        if key_end > start
            && let Some(after_space) = rest.strip_prefix([' ', '\t'])
            && after_space.trim_start().starts_with('=')
        {
            let mut d = self.error(
                codes::BUILDRC_SYNTAX,
                "spaces around `=` in an assignment",
                start..content_end,
                "a shell reads this as a command, not an assignment",
            );
            d.help.push(format!(
                "write `{}=value`, with no space before or after `=`",
                &line[start..key_end]
            ));
            return d;
        }
        let first_word_end = line[start..]
            .find([' ', '\t'])
            .map_or(content_end, |i| start + i);
        if let Some(eq) = line[start..first_word_end].find('=') {
            let name = &line[start..start + eq];
            let mut d = self.error(
                codes::BUILDRC_SYNTAX,
                format!("`{name}` is not a valid key name"),
                start..start + eq.max(1),
                "keys are letters, digits and `_`, not starting with a digit",
            );
            if let Some(key) = Key::suggest_buildrc(name) {
                d.help.push(format!("did you mean `{key}`?"));
            }
            return d;
        }
        // In a shell, a line that is not an assignment runs a command.
        let mut d = self.error(
            codes::BUILDRC_COMMAND,
            "this line is a shell command, and `.buildrc` is never executed",
            start..content_end,
            "not a `KEY=VALUE` assignment",
        );
        d.notes.push(
            "cargo-wasmkit reads `.buildrc` as data: only `KEY=VALUE` lines, comments and blank lines"
                .to_string(),
        );
        d.help.push(
            "run build steps from a build script (`build.rs`) or your CI, not from `.buildrc`"
                .to_string(),
        );
        d
    }

    /// Parses the value starting at `start`; returns it and where it ends.
    fn parse_value(&self, start: usize) -> Result<(String, usize), Box<Diagnostic>> {
        let line = self.line;
        let mut value = String::new();
        let mut chars = line[start..]
            .char_indices()
            .map(|(i, c)| (start + i, c))
            .peekable();
        while let Some(&(i, c)) = chars.peek() {
            match c {
                ' ' | '\t' => break,
                '\'' => {
                    chars.next();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '\'' {
                            closed = true;
                            break;
                        }
                        value.push(c);
                    }
                    if !closed {
                        return Err(self.unterminated(i, '\''));
                    }
                }
                '"' => {
                    chars.next();
                    let mut closed = false;
                    while let Some((j, c)) = chars.next() {
                        match c {
                            '"' => {
                                closed = true;
                                break;
                            }
                            '\\' => match chars.peek() {
                                Some(&(_, e @ ('$' | '`' | '"' | '\\'))) => {
                                    value.push(e);
                                    chars.next();
                                }
                                _ => value.push('\\'),
                            },
                            '$' | '`' => return Err(self.substitution(j)),
                            c => value.push(c),
                        }
                    }
                    if !closed {
                        return Err(self.unterminated(i, '"'));
                    }
                }
                '\\' => {
                    chars.next();
                    match chars.next() {
                        Some((_, e)) => value.push(e),
                        None => {
                            let mut d = self.error(
                                codes::BUILDRC_SYNTAX,
                                "a line ends with a backslash",
                                i..i + 1,
                                "continuation lines are not supported",
                            );
                            d.help.push("put the whole value on one line".to_string());
                            return Err(d);
                        }
                    }
                }
                '$' | '`' => return Err(self.substitution(i)),
                c if SHELL_OPERATORS.contains(&c) => {
                    let mut d = self.error(
                        codes::BUILDRC_COMMAND,
                        format!("shell operator `{c}` in a value"),
                        i..i + c.len_utf8(),
                        "`.buildrc` is never executed",
                    );
                    d.help.push(format!(
                        "quote the value if `{c}` is meant literally: KEY='...{c}...'"
                    ));
                    return Err(d);
                }
                c => {
                    value.push(c);
                    chars.next();
                }
            }
        }
        let end = chars.peek().map_or(line.len(), |&(i, _)| i);
        let trailing = line[end..].trim_start_matches([' ', '\t']);
        if !trailing.is_empty() && !trailing.starts_with('#') {
            let trailing_start = line.len() - trailing.len();
            let trailing_end = line.trim_end().len();
            let mut d = self.error(
                codes::BUILDRC_COMMAND,
                "unquoted space in a value",
                trailing_start..trailing_end,
                "a shell would run this as a command",
            );
            d.help.push(format!(
                "quote the whole value: `{}\"{} {}\"`",
                &line[..start],
                value,
                trailing.trim_end()
            ));
            return Err(d);
        }
        Ok((value, end))
    }

    fn unterminated(&self, at: usize, quote: char) -> Box<Diagnostic> {
        let mut d = self.error(
            codes::BUILDRC_UNTERMINATED_QUOTE,
            format!(
                "unterminated {} quote",
                if quote == '"' { "double" } else { "single" }
            ),
            at..at + 1,
            "this quote is never closed",
        );
        d.help
            .push(format!("close the value with `{quote}` on the same line"));
        d
    }

    fn substitution(&self, at: usize) -> Box<Diagnostic> {
        let rest = &self.line[at..];
        let (what, len) = if rest.starts_with("$(") {
            ("command substitution `$(...)`", 2)
        } else if rest.starts_with('`') {
            ("command substitution with backticks", 1)
        } else if rest.starts_with("${") {
            ("variable expansion `${...}`", 2)
        } else {
            ("variable expansion `$`", 1)
        };
        let mut d = self.error(
            codes::BUILDRC_SUBSTITUTION,
            format!("{what} in a value"),
            at..at + len,
            "nothing is expanded or run",
        );
        d.notes
            .push("`.buildrc` is read as data; cargo-wasmkit never runs a shell on it".to_string());
        d.help.push(
            "write the value itself; to use a literal `$`, put it in single quotes".to_string(),
        );
        d
    }
}

#[cfg(test)]
mod tests;
