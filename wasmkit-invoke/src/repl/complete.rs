//! Tab completion of a session's entries: `:` commands, function names in
//! their shortest unambiguous spelling, bound names, methods after
//! `NAME.`, and the case names (enum, variant, flags, `some`/`none`, ...)
//! of an argument whose parameter type is known.

use crate::repl::command;

/// What completion draws on: the session's names and types.
pub trait Vocabulary {
    /// Each callable function by its shortest unambiguous name.
    fn call_names(&self) -> Vec<String>;
    /// The names bound with `let`, still usable.
    fn bound_names(&self) -> Vec<String>;
    /// The methods of the handle bound to `name` (empty if none).
    fn methods_of(&self, name: &str) -> Vec<String>;
    /// The case names a value of argument `index` of `callee` can be
    /// written with, if its type is known and has any.
    fn argument_cases(&self, callee: &str, index: usize) -> Option<Cases>;
}

/// The case names of a parameter's type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cases {
    /// The names.
    pub names: Vec<String>,
    /// Whether they are flags, written inside `{...}`.
    pub flags: bool,
}

/// The completions of the word under the cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// Where the word being completed starts.
    pub start: usize,
    /// What may replace it, sorted, without duplicates.
    pub candidates: Vec<String>,
}

/// Characters of a name being completed (qualified and resource names
/// included, and WAVE's `%` escape).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '-' | '_' | ':' | '/' | '.' | '@' | '#' | '[' | ']' | '%')
}

/// Completes the word before `pos` in `line`.
pub fn complete(line: &str, pos: usize, vocabulary: &dyn Vocabulary) -> Completion {
    let before = &line[..pos.min(line.len())];
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_name_char(c))
        .last()
        .map_or(before.len(), |(i, _)| i);
    let trimmed = before.trim_start();
    let at = position(before);
    // `[` opens a list as well as `[method]`: a name starts after a `[`
    // unless it is a canonical resource name where a call is written.
    let start = word_start(before, start, matches!(at, Position::Callee));
    let word = &before[start..];

    let candidates: Vec<String> = if trimmed.starts_with(':') {
        command_candidates(trimmed, word, vocabulary)
    } else {
        match at {
            Position::Callee => callee_candidates(word, vocabulary),
            Position::Argument {
                callee,
                index,
                in_braces,
            } => {
                let cases = vocabulary.argument_cases(callee, index);
                match cases {
                    // Inside a flags value, only its flags.
                    Some(cases) if in_braces && cases.flags => cases.names,
                    Some(cases) if !in_braces && !cases.flags => {
                        let mut names = vocabulary.bound_names();
                        names.extend(cases.names);
                        names
                    }
                    _ => vocabulary.bound_names(),
                }
            }
            Position::Nested => vocabulary.bound_names(),
            Position::InString => Vec::new(),
        }
    };
    let mut candidates: Vec<String> = candidates
        .into_iter()
        .filter(|c| c.starts_with(word))
        .collect();
    candidates.sort();
    candidates.dedup();
    Completion { start, candidates }
}

/// Where the name being completed starts, given the start of the run of
/// name characters before the cursor.
fn word_start(before: &str, run_start: usize, callee: bool) -> usize {
    let run = &before[run_start..];
    if !callee {
        return run
            .rfind(['[', ']'])
            .map_or(run_start, |i| run_start + i + 1);
    }
    if run.starts_with("[constructor]")
        || run.starts_with("[method]")
        || run.starts_with("[static]")
        || "[constructor]".starts_with(run)
        || "[method]".starts_with(run)
        || "[static]".starts_with(run)
    {
        return run_start;
    }
    // Inside a list (`[a, b`): the name starts after the last bracket.
    match run.rfind(['[', ']']) {
        Some(i) => run_start + i + 1,
        None => run_start,
    }
}

/// Candidates for a command line: command names, then, after `:help`,
/// what it can describe.
fn command_candidates(line: &str, word: &str, vocabulary: &dyn Vocabulary) -> Vec<String> {
    if line.len() == word.len() {
        return command::names().map(str::to_string).collect();
    }
    match line.split_whitespace().next() {
        Some(":help" | ":h") => vocabulary.call_names(),
        _ => Vec::new(),
    }
}

/// Candidates where a call is written: function names, bound names (to
/// call methods on), and after `NAME.` the methods of that handle.
fn callee_candidates(word: &str, vocabulary: &dyn Vocabulary) -> Vec<String> {
    if let Some((name, _)) = word.split_once('.') {
        let methods = vocabulary.methods_of(name);
        if !methods.is_empty() {
            return methods.iter().map(|m| format!("{name}.{m}")).collect();
        }
    }
    let mut names = vocabulary.call_names();
    names.extend(vocabulary.bound_names());
    names.push("drop".to_string());
    names
}

/// Where the cursor is in an entry.
enum Position<'a> {
    /// Where a call is written (before any `(`).
    Callee,
    /// Directly in argument `index` of `callee`'s list, or inside that
    /// argument's own `{...}` (where flags are written).
    Argument {
        callee: &'a str,
        index: usize,
        in_braces: bool,
    },
    /// Deeper inside an argument (a list, a record, a nested value).
    Nested,
    /// Inside a string or char.
    InString,
}

fn position(before: &str) -> Position<'_> {
    // Before the call's `(`, any `[` is part of a name (`[method]...`).
    if !before.contains('(') {
        return Position::Callee;
    }
    // The brackets open before the cursor, innermost last, each with the
    // commas seen directly inside it.
    let mut open: Vec<(usize, char, usize)> = Vec::new();
    let mut chars = before.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '(' | '[' | '{' => open.push((i, c, 0)),
            ')' | ']' | '}' => {
                open.pop();
            }
            ',' => {
                if let Some(last) = open.last_mut() {
                    last.2 += 1;
                }
            }
            '"' | '\'' => {
                let mut closed = false;
                while let Some((_, d)) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Position::InString;
                }
            }
            _ => {}
        }
    }
    let (paren, index, in_braces) = match open.as_slice() {
        [] => return Position::Callee,
        [(i, '(', commas)] => (*i, *commas, false),
        [(i, '(', commas), (_, '{', _)] => (*i, *commas, true),
        _ => return Position::Nested,
    };
    let head = before[..paren].trim_end();
    let callee = head
        .rsplit(|c: char| c.is_whitespace() || c == '=')
        .next()
        .unwrap_or(head);
    if callee.is_empty() {
        return Position::Nested;
    }
    Position::Argument {
        callee,
        index,
        in_braces,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component with `counter.new`, `consume`, `paint(c: color,
    /// p: perms)` and `c` bound to a counter.
    struct Fake;

    impl Vocabulary for Fake {
        fn call_names(&self) -> Vec<String> {
            [
                "counter.new",
                "counter.merge",
                "consume",
                "paint",
                "dropped",
            ]
            .map(String::from)
            .to_vec()
        }
        fn bound_names(&self) -> Vec<String> {
            vec!["c".into(), "count".into()]
        }
        fn methods_of(&self, name: &str) -> Vec<String> {
            match name {
                "c" => vec!["get".into(), "add".into()],
                _ => Vec::new(),
            }
        }
        fn argument_cases(&self, callee: &str, index: usize) -> Option<Cases> {
            match (callee, index) {
                ("paint", 0) => Some(Cases {
                    names: vec!["red".into(), "green".into(), "%none".into()],
                    flags: false,
                }),
                ("paint", 1) => Some(Cases {
                    names: vec!["read".into(), "write".into()],
                    flags: true,
                }),
                _ => None,
            }
        }
    }

    fn at_end(line: &str) -> (usize, Vec<String>) {
        let c = complete(line, line.len(), &Fake);
        (c.start, c.candidates)
    }

    #[test]
    fn function_and_bound_names() {
        assert_eq!(at_end("con"), (0, vec!["consume".into()]));
        assert_eq!(
            at_end("co"),
            (
                0,
                vec![
                    "consume".into(),
                    "count".into(),
                    "counter.merge".into(),
                    "counter.new".into()
                ]
            )
        );
        assert_eq!(
            at_end("let x = dr"),
            (8, vec!["drop".into(), "dropped".into()])
        );
        assert_eq!(at_end("counter.n"), (0, vec!["counter.new".into()]));
    }

    #[test]
    fn methods_after_a_bound_name() {
        assert_eq!(at_end("c."), (0, vec!["c.add".into(), "c.get".into()]));
        assert_eq!(at_end("let n = c.g"), (8, vec!["c.get".into()]));
    }

    #[test]
    fn cases_where_the_parameter_type_is_known() {
        assert_eq!(at_end("paint(r"), (6, vec!["red".into()]));
        assert_eq!(at_end("paint(%"), (6, vec!["%none".into()]));
        assert_eq!(at_end("paint(red, {w"), (12, vec!["write".into()]));
        assert_eq!(
            at_end("paint(red, {read, "),
            (18, vec!["read".into(), "write".into()])
        );
        // Flags are not offered outside braces, nor enum cases inside.
        assert_eq!(at_end("paint(red, r"), (11, Vec::<String>::new()));
        assert_eq!(at_end("paint({c"), (7, vec!["c".into(), "count".into()]));
        // Bound names are arguments too.
        assert_eq!(at_end("consume(c"), (8, vec!["c".into(), "count".into()]));
        // Inside a list, only bound names.
        assert_eq!(at_end("total([c"), (7, vec!["c".into(), "count".into()]));
        // Inside a string nothing is offered.
        assert_eq!(at_end("paint(\"r"), (7, Vec::<String>::new()));
    }

    #[test]
    fn commands() {
        assert_eq!(at_end(":re"), (0, vec![":reload".into(), ":reset".into()]));
        assert_eq!(at_end(":help cons"), (6, vec!["consume".into()]));
        assert_eq!(at_end(":reset x"), (7, Vec::<String>::new()));
    }

    #[test]
    fn canonical_names_keep_their_brackets() {
        assert_eq!(complete("[meth", 5, &Fake).start, 0);
        assert_eq!(complete("f([co", 5, &Fake).start, 3);
    }

    #[test]
    fn the_cursor_may_be_mid_line() {
        let c = complete("cons(1)", 3, &Fake);
        assert_eq!((c.start, c.candidates), (0, vec!["consume".into()]));
    }
}
