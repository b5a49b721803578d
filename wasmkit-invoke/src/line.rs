//! The parts of a call line that WAVE has no syntax for: a `let NAME =`
//! prefix, and function names such as `iface.RES.new` or
//! `[constructor]RES` that WAVE's name grammar does not accept. The
//! arguments are always parsed by WAVE.

use std::ops::Range;

use wasmkit_core::{Diagnostic, codes};
use wasmtime::component::wasm_wave::untyped::UntypedFuncCall;

use crate::call::{self, CallSource};

/// WAVE keywords, which cannot be names: a bare `none` is always the value.
const KEYWORDS: &[&str] = &["true", "false", "some", "none", "ok", "err", "inf", "nan"];

/// A parsed call line.
pub(crate) struct CallLine<'a> {
    /// `let NAME =`: the name and where it is in the line.
    pub binding: Option<(&'a str, Range<usize>)>,
    /// The call without its `let` prefix; argument spans are relative to it.
    pub src: CallSource,
    /// The function as written (`counter.new`, `c.get`, `[method]counter.get`).
    pub callee: String,
    /// Where the function name is in `src`.
    pub callee_span: Range<usize>,
    /// The parsed call.
    pub call: UntypedFuncCall<'static>,
}

/// Splits off `let NAME =` and parses the call.
pub(crate) fn parse(src: &CallSource) -> Result<CallLine<'_>, Diagnostic> {
    let text = src.text();
    let (binding, call_start) = match let_prefix(src)? {
        Some((name, span, rest)) => (Some((name, span)), rest),
        None => (None, 0),
    };
    let call_src = CallSource::within(&src.file, src.span.start + call_start..src.span.end);
    let call_text = &text[call_start..];
    let name_end = call_text.find('(').unwrap_or(call_text.len());
    let callee = call_text[..name_end].trim_end();
    let parsed = match UntypedFuncCall::parse(call_text) {
        Ok(parsed) => parsed.into_owned(),
        Err(e) => {
            // A name WAVE's grammar does not take (`iface.RES.new`, `[...]`,
            // `ns:pkg/iface@1.0#f`): parse the arguments with a stand-in
            // name of the same length, so that every span stays put.
            let in_name = e.span().start < callee.len();
            if !(in_name && name_end < call_text.len() && is_extended_name(callee)) {
                return Err(call::syntax_error(&call_src, &e));
            }
            let stand_in = format!("{}{}", "a".repeat(callee.len()), &call_text[callee.len()..]);
            UntypedFuncCall::parse(&stand_in)
                .map(UntypedFuncCall::into_owned)
                .map_err(|e| call::syntax_error(&call_src, &e))?
        }
    };
    Ok(CallLine {
        binding,
        callee: callee.to_string(),
        callee_span: 0..callee.len(),
        src: call_src,
        call: parsed,
    })
}

/// Characters of qualified and resource function names.
fn is_extended_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '/' | '.' | '@' | '#' | '[' | ']')
        })
}

/// `let NAME = ...`: the name, its span, and where the call starts.
#[allow(clippy::type_complexity)]
fn let_prefix(src: &CallSource) -> Result<Option<(&str, Range<usize>, usize)>, Diagnostic> {
    let text = src.text();
    let Some(after_let) = text.strip_prefix("let") else {
        return Ok(None);
    };
    if !after_let.starts_with(char::is_whitespace) {
        return Ok(None);
    }
    let name_start = text.len() - after_let.trim_start().len();
    let rest = &text[name_start..];
    let name_len = rest
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    let span = name_start..name_start + name_len;
    let usage = |span: Range<usize>, label: &str| {
        Diagnostic::error(codes::WAVE_SYNTAX, "invalid `let`")
            .with_label(src.label(span, label))
            .with_help("write `let NAME = CALL`, e.g. `let c = counter.new(1)`")
    };
    if name.is_empty() {
        let at = (name_start + 1).min(text.len());
        return Err(usage(name_start..at, "expected a name"));
    }
    let after_name = &rest[name_len..];
    let eq = name_start + name_len + (after_name.len() - after_name.trim_start().len());
    if !text[eq..].starts_with('=') {
        return Err(usage(eq..eq + 1, "expected `=`"));
    }
    let call_start = text.len() - text[eq + 1..].trim_start().len();
    if call_start == text.len() {
        return Err(usage(call_start..call_start, "expected a call"));
    }
    check_name(src, name, span.clone())?;
    Ok(Some((name, span, call_start)))
}

/// A name must read as one WAVE label, so that it can be written where a
/// value goes.
fn check_name(src: &CallSource, name: &str, span: Range<usize>) -> Result<(), Diagnostic> {
    if KEYWORDS.contains(&name) {
        return Err(Diagnostic::error(
            codes::WAVE_SYNTAX,
            format!("`{name}` cannot be a name: WAVE reads it as a value"),
        )
        .with_label(src.label(span, "a WAVE keyword"))
        .with_help("pick another name"));
    }
    if !is_label(name) {
        let kebab = name.replace('_', "-").to_ascii_lowercase();
        let mut d = Diagnostic::error(
            codes::WAVE_SYNTAX,
            format!("`{name}` cannot be a name: names are kebab-case, like WIT names"),
        )
        .with_label(src.label(span, "not a kebab-case name"));
        if is_label(&kebab) {
            d = d.with_help(format!("write `{kebab}`"));
        }
        return Err(d);
    }
    Ok(())
}

/// Whether `s` is a kebab-case label as WAVE and WIT write one: words of
/// lowercase letters and digits (or all uppercase), the first starting
/// with a letter, joined by `-`.
pub(crate) fn is_label(s: &str) -> bool {
    let mut words = s.split('-');
    let first_ok = words
        .next()
        .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && is_word(w));
    first_ok && words.all(is_word)
}

fn is_word(w: &str) -> bool {
    !w.is_empty()
        && (w
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            || w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> (Option<String>, String, String) {
        let src = CallSource::argument(text);
        let line = parse(&src).unwrap_or_else(|d| panic!("{}", d.render(false)));
        (
            line.binding.map(|(n, _)| n.to_string()),
            line.callee.clone(),
            line.src.text().to_string(),
        )
    }

    #[test]
    fn let_and_extended_names() {
        assert_eq!(
            parts("let c = counter.new(1)"),
            (
                Some("c".into()),
                "counter.new".into(),
                "counter.new(1)".into()
            )
        );
        assert_eq!(
            parts("let  my-c=iface.counter.new(2)"),
            (
                Some("my-c".into()),
                "iface.counter.new".into(),
                "iface.counter.new(2)".into()
            )
        );
        assert_eq!(
            parts("[constructor]counter(1)"),
            (
                None,
                "[constructor]counter".into(),
                "[constructor]counter(1)".into()
            )
        );
        assert_eq!(
            parts("ns:pkg/iface@1.0.0#[static]counter.merge(a, b)").1,
            "ns:pkg/iface@1.0.0#[static]counter.merge"
        );
        assert_eq!(parts("letter(1)").1, "letter");
    }

    #[test]
    fn bad_lets_point_at_the_mistake() {
        let err = |text: &str| {
            let d = parse(&CallSource::argument(text)).err().expect("an error");
            let label = d.primary_label().expect("a label");
            (d.message.clone(), label.span.clone())
        };
        assert_eq!(err("let = f()").1, 4..5);
        assert_eq!(err("let x f()"), ("invalid `let`".into(), 6..7));
        assert_eq!(err("let none = f()").1, 4..8);
        assert_eq!(err("let my_c = f()").1, 4..8);
        assert_eq!(err("let x = ").1, 8..8);
        // Argument errors point into the line as written.
        assert_eq!(err("let x = f(1 2)").1, 12..13);
    }

    #[test]
    fn labels() {
        assert!(is_label("c"));
        assert!(is_label("my-counter2"));
        assert!(is_label("ABC-D"));
        assert!(!is_label("my_c"));
        assert!(!is_label("2c"));
        assert!(!is_label("a--b"));
        assert!(!is_label("aB"));
    }
}
