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
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Buildrc, Diagnostics> {
        Buildrc::parse(Path::new("p/.buildrc"), text.as_bytes())
    }

    fn values(text: &str) -> Vec<(Key, String)> {
        parse(text)
            .unwrap_or_else(|d| panic!("{d}"))
            .entries
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect()
    }

    /// The one error of a bad file: (code, line, column, message).
    fn error(text: &str) -> (&'static str, usize, usize, String) {
        let errors = parse(text).expect_err("should fail").0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        let d = &errors[0];
        let label = d.primary_label().expect("has a label");
        assert_eq!(label.file.path, Path::new("p/.buildrc"));
        let (line, column) = label.line_column();
        (d.code.name(), line, column, d.message.clone())
    }

    #[test]
    fn higress_form_with_and_without_newline() {
        let expected = vec![(Key::ExtraTags, "proxy_wasm_version_0_2_100".to_string())];
        assert_eq!(values("EXTRA_TAGS=proxy_wasm_version_0_2_100"), expected);
        assert_eq!(values("EXTRA_TAGS=proxy_wasm_version_0_2_100\n"), expected);
        assert_eq!(
            values("EXTRA_TAGS=proxy_wasm_version_0_2_100\r\n"),
            expected
        );
    }

    #[test]
    fn every_accepted_form() {
        let text = "\
# a comment
   # an indented comment

export TARGET=wasm32-wasip1
FEATURES='a b'
RUSTFLAGS=\"-C opt-level=s\"   # trailing comment
PROFILE=rel\"ea\"'se'
HOST=envoy\t
VERIFY_CONFIG=conf\\ dir/config.json
VERIFY_INVOKE=\"greet(\\\"x\\\")\"
VERIFY_EXPECT='\"$literal\"'
COMPONENT=
NO_DEFAULT_FEATURES=a#b
";
        assert_eq!(
            values(text),
            vec![
                (Key::Target, "wasm32-wasip1".to_string()),
                (Key::Features, "a b".to_string()),
                (Key::Rustflags, "-C opt-level=s".to_string()),
                (Key::Profile, "release".to_string()),
                (Key::Host, "envoy".to_string()),
                (Key::VerifyConfig, "conf dir/config.json".to_string()),
                (Key::VerifyInvoke, "greet(\"x\")".to_string()),
                (Key::VerifyExpect, "\"$literal\"".to_string()),
                (Key::Component, String::new()),
                (Key::NoDefaultFeatures, "a#b".to_string()),
            ]
        );
    }

    #[test]
    fn spans_point_at_key_and_value() {
        let rc = parse("# x\nexport HOST='envoy'\n").unwrap();
        let e = &rc.entries[0];
        assert_eq!(&rc.file.text[e.key_span.clone()], "HOST");
        assert_eq!(&rc.file.text[e.value_span.clone()], "'envoy'");
    }

    #[test]
    fn empty_file_has_no_entries() {
        assert!(values("").is_empty());
        assert!(values("\n\n# only comments\n").is_empty());
    }

    #[test]
    fn shell_commands_are_rejected() {
        let (code, line, col, msg) = error("EXTRA_TAGS=a\napt-get install -y protobuf-compiler\n");
        assert_eq!((code, line, col), ("buildrc-command", 2, 1));
        assert!(msg.contains("shell command"), "{msg}");
        assert_eq!(error("make build").0, "buildrc-command");
        assert_eq!(error("./prebuild.sh").0, "buildrc-command");
        assert_eq!(error("TARGET=x; rm -rf /").0, "buildrc-command");
        assert_eq!(error("TARGET=x && echo").0, "buildrc-command");
    }

    #[test]
    fn substitutions_are_rejected_at_their_column() {
        assert_eq!(
            error("TARGET=$(uname -m)"),
            (
                "buildrc-substitution",
                1,
                8,
                "command substitution `$(...)` in a value".to_string()
            )
        );
        assert_eq!(error("TARGET=`uname`").1..=error("TARGET=`uname`").2, 1..=8);
        assert_eq!(error("TARGET=\"${HOME}\"").0, "buildrc-substitution");
        assert_eq!(error("  TARGET=a$B").2, 11);
    }

    #[test]
    fn unterminated_quotes_point_at_the_quote() {
        assert_eq!(
            error("HOST=envoy\nFEATURES=\"a b\n"),
            (
                "buildrc-unterminated-quote",
                2,
                10,
                "unterminated double quote".to_string()
            )
        );
        assert_eq!(error("FEATURES='a").0, "buildrc-unterminated-quote");
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let errors = parse("HOST=envoy\n\nHOST=higress").unwrap_err().0;
        assert_eq!(errors.len(), 1);
        let d = &errors[0];
        assert_eq!(d.code.name(), "buildrc-duplicate-key");
        assert_eq!(d.labels[0].line_column(), (3, 1));
        assert_eq!(d.labels[1].line_column(), (1, 1));
    }

    #[test]
    fn unknown_keys_get_a_did_you_mean() {
        let errors = parse("EXTRA_TAG=x").unwrap_err().0;
        let d = &errors[0];
        assert_eq!(d.code.name(), "unknown-key");
        assert_eq!(d.message, "unknown key `EXTRA_TAG`");
        assert_eq!(d.help, vec!["did you mean `EXTRA_TAGS`?".to_string()]);
        let far = parse("PATH=/usr/bin").unwrap_err().0;
        assert!(far[0].help[0].starts_with("the keys are `EXTRA_TAGS`"));
    }

    #[test]
    fn spaces_are_explained() {
        assert_eq!(error("HOST = envoy").0, "buildrc-syntax");
        assert_eq!(
            error("1HOST=envoy"),
            (
                "buildrc-syntax",
                1,
                1,
                "`1HOST` is not a valid key name".to_string()
            )
        );
        assert_eq!(
            error("FEATURES=a b"),
            (
                "buildrc-command",
                1,
                12,
                "unquoted space in a value".to_string()
            )
        );
    }

    #[test]
    fn non_utf8_is_an_encoding_error_with_location() {
        let errors = Buildrc::parse(Path::new("p/.buildrc"), b"HOST=envoy\nTARGET=w\xffasm\n")
            .unwrap_err()
            .0;
        let d = &errors[0];
        assert_eq!(d.code.name(), "buildrc-encoding");
        assert_eq!(d.labels[0].line_column(), (2, 9));
    }

    #[test]
    fn every_error_of_a_file_is_reported() {
        let errors = parse("EXTRA_TAG=x\nmake\nHOST='x").unwrap_err().0;
        let codes: Vec<_> = errors.iter().map(|d| d.code.name()).collect();
        assert_eq!(
            codes,
            [
                "unknown-key",
                "buildrc-command",
                "buildrc-unterminated-quote"
            ]
        );
    }

    #[test]
    fn a_file_of_nonsense_reports_a_bounded_number_of_problems() {
        let errors = parse(&"make\n".repeat(10_000)).unwrap_err().0;
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert_eq!(
            errors[MAX_ERRORS].message,
            "and 9950 more problem(s) in `p/.buildrc`"
        );
    }

    #[test]
    fn nothing_is_ever_executed() {
        // A value that would create a file if a shell ran it.
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let text = format!("TARGET=$(touch {})", marker.display());
        assert!(parse(&text).is_err());
        assert!(!marker.exists());
    }
}
