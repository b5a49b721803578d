//! The session's `:` commands and how an entry that starts with `:` is
//! read into one.

use wasmkit_core::{Diagnostic, codes};

use crate::call::CallSource;
use crate::mocks::Mock;

/// A `:` command.
#[derive(Clone, Debug)]
pub enum Command {
    /// `:list`: the exports with their signatures.
    List,
    /// `:help NAME`: one signature and its doc comment; `:help` alone, the
    /// commands.
    Help(Option<CallSource>),
    /// `:imports`: the imports and what provides each.
    Imports,
    /// `:mock NAME=VALUE`: a mock, kept across `:reset`.
    Mock(Mock),
    /// `:reset`: a fresh instance, with the mocks and without the bindings.
    Reset,
    /// `:reload`: rebuild (with `-p`) if the sources changed, and start a
    /// fresh instance of what was built.
    Reload,
    /// `:quit`: the end of the session.
    Quit,
}

/// Each command as `:help` lists it, with what it does; completion offers
/// the names.
pub const COMMANDS: &[(&str, &str)] = &[
    (":list", "the exports, with their signatures"),
    (":help NAME", "a function's signature and doc comment"),
    (":imports", "the imports, and what provides each"),
    (":mock NAME=VALUE", "answer calls to an import with VALUE"),
    (
        ":reset",
        "a fresh instance (the mocks stay, the bindings go)",
    ),
    (
        ":reload",
        "rebuild if the sources changed, then a fresh instance",
    ),
    (":quit", "end the session (or Ctrl-D)"),
];

/// The command names alone (`:list`, ...), for completion.
pub fn names() -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .map(|(usage, _)| usage.split(' ').next().unwrap_or(usage))
}

/// Reads an entry that starts with `:`.
pub fn parse(src: &CallSource) -> Result<Command, Diagnostic> {
    let text = src.text();
    let word_end = text.find(char::is_whitespace).unwrap_or(text.len());
    let (word, rest) = (&text[..word_end], text[word_end..].trim());
    let rest_start = text.len() - text[word_end..].trim_start().len();
    let no_argument = |command: Command| {
        if rest.is_empty() {
            Ok(command)
        } else {
            Err(
                Diagnostic::error(codes::USAGE, format!("`{word}` takes no argument"))
                    .with_label(src.label(rest_start..text.trim_end().len(), "not expected")),
            )
        }
    };
    match word {
        ":list" | ":ls" => no_argument(Command::List),
        ":help" | ":h" | ":?" => Ok(Command::Help((!rest.is_empty()).then(|| {
            CallSource::within(
                &src.file,
                src.span.start + rest_start..src.span.start + text.trim_end().len(),
            )
        }))),
        ":imports" => no_argument(Command::Imports),
        ":reset" => no_argument(Command::Reset),
        ":reload" => no_argument(Command::Reload),
        ":quit" | ":q" | ":exit" => no_argument(Command::Quit),
        ":mock" if rest.is_empty() => Err(Diagnostic::error(
            codes::USAGE,
            "`:mock` takes the import and the value it returns",
        )
        .with_label(src.label(0..word.len(), "NAME=VALUE missing"))
        .with_help("for example `:mock store.get=some(\"v\")`")),
        ":mock" => {
            let spec = CallSource::within(
                &src.file,
                src.span.start + rest_start..src.span.start + text.trim_end().len(),
            );
            Mock::parse(&spec).map(Command::Mock)
        }
        _ => {
            let mut d = Diagnostic::error(codes::USAGE, format!("unknown command `{word}`"))
                .with_label(src.label(0..word.len(), "not a command"));
            if let Some(s) = wasmkit_core::suggest::did_you_mean(word, names()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            Err(d.with_note(format!(
                "the commands are {}",
                names().collect::<Vec<_>>().join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Command, Diagnostic> {
        parse(&CallSource::argument(text))
    }

    #[test]
    fn commands_and_their_arguments() {
        assert!(matches!(parse_text(":list"), Ok(Command::List)));
        assert!(matches!(parse_text(":imports  "), Ok(Command::Imports)));
        assert!(matches!(parse_text(":reset"), Ok(Command::Reset)));
        assert!(matches!(parse_text(":reload"), Ok(Command::Reload)));
        assert!(matches!(parse_text(":q"), Ok(Command::Quit)));
        assert!(matches!(parse_text(":help"), Ok(Command::Help(None))));
        let Ok(Command::Help(Some(name))) = parse_text(":help  counter.new ") else {
            panic!("not :help NAME");
        };
        assert_eq!(name.text(), "counter.new");
        let Ok(Command::Mock(mock)) = parse_text(r#":mock store.get = some("v")"#) else {
            panic!("not :mock");
        };
        assert_eq!(
            (mock.name.text(), mock.value.text()),
            ("store.get", r#"some("v")"#)
        );
    }

    #[test]
    fn mistakes_point_at_the_command() {
        let d = parse_text(":lsit").unwrap_err();
        assert_eq!(d.message, "unknown command `:lsit`");
        assert_eq!(d.help, ["did you mean `:list`?"]);
        assert_eq!(d.primary_label().map(|l| l.span.clone()), Some(0..5));

        let d = parse_text(":reset now").unwrap_err();
        assert_eq!(d.message, "`:reset` takes no argument");
        assert_eq!(d.primary_label().map(|l| l.span.clone()), Some(7..10));

        let d = parse_text(":mock").unwrap_err();
        assert_eq!(d.code, codes::USAGE);
        let d = parse_text(":mock store.get").unwrap_err();
        assert_eq!(d.code, codes::INVALID_MOCK);
    }

    #[test]
    fn names_are_the_first_words() {
        assert_eq!(
            names().collect::<Vec<_>>(),
            [
                ":list", ":help", ":imports", ":mock", ":reset", ":reload", ":quit"
            ]
        );
    }
}
