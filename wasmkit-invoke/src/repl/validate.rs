//! Whether an entry is complete: a line with an unclosed bracket or quote
//! goes on on the next line, as in a shell.

/// Whether `text` can be run as it is: every `(`, `[` and `{` is closed and
/// no string or char is left open. Closing brackets beyond what was opened
/// count as complete, so that the call's own diagnostic points at them.
pub fn is_complete(text: &str) -> bool {
    let mut depth = 0usize;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '"' | '\'' => {
                let mut closed = false;
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::is_complete;

    #[test]
    fn balanced_lines_are_complete() {
        for line in [
            "",
            "dropped()",
            "let c = counter.new(1)",
            r#"greet("a (b")"#,
            r#"greet("say \"(\"")"#,
            "char-of('(')",
            r"char-of('\'')",
            "f([1, 2], {x: 1})",
            ":list",
            "f(1))",
        ] {
            assert!(is_complete(line), "{line}");
        }
    }

    #[test]
    fn open_brackets_and_quotes_continue() {
        for line in [
            "f(",
            "f([1, 2",
            "area(circle({radius: 1.0}",
            r#"greet("hello"#,
            r#"greet("a\")"#,
            "char-of('",
            ":mock store.get=some(\"v",
            "f(\n  1,\n  [2,\n",
        ] {
            assert!(!is_complete(line), "{line}");
        }
        assert!(is_complete("f(\n  1,\n  [2]\n)"));
    }
}
