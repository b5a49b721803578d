//! Package names as `cargo new` accepts them, and the names derived from
//! one: the Rust library name and the WIT package and world names.

use std::fmt;

/// Rust keywords, as cargo's `restricted_names::is_keyword` lists them: a
/// package of that name has a library nobody can name in `use`.
const RUST_KEYWORDS: &[&str] = &[
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
    "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// The crates of Rust's standard library. `cargo new` only warns about
/// these; a plugin named like one would shadow it in every `use`, so it is
/// refused here.
const STD_CRATES: &[&str] = &["core", "std", "alloc", "proc_macro", "proc-macro"];

/// File names Windows reserves even with an extension (cargo's
/// `is_windows_reserved`): the plugin's directory could not be checked out
/// there.
const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Why a package name is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name starts with a digit.
    StartsWithDigit(char),
    /// The first character is neither an ASCII letter nor `_`.
    BadFirstChar(char),
    /// A character other than ASCII letters, digits, `-` and `_`.
    BadChar(char),
    /// A Rust keyword.
    Keyword,
    /// `test`, Rust's built-in test library.
    TestCrate,
    /// A crate of the standard library.
    StdCrate,
    /// A file name Windows reserves.
    WindowsReserved,
}

/// A refused package name and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidName {
    /// The name as given.
    pub name: String,
    /// What is wrong with it.
    pub problem: NameProblem,
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.name;
        // The wording follows cargo's, so the messages read the same.
        match self.problem {
            NameProblem::Empty => f.write_str("the package name cannot be empty"),
            NameProblem::StartsWithDigit(c) => write!(
                f,
                "invalid character `{c}` in package name: `{name}`, the name cannot start with a digit"
            ),
            NameProblem::BadFirstChar(c) => write!(
                f,
                "invalid character `{c}` in package name: `{name}`, the first character must be an ASCII letter or `_`"
            ),
            NameProblem::BadChar(c) => write!(
                f,
                "invalid character `{c}` in package name: `{name}`, characters must be ASCII letters, digits, `-` or `_`"
            ),
            NameProblem::Keyword => {
                write!(f, "invalid package name `{name}`: it is a Rust keyword")
            }
            NameProblem::TestCrate => write!(
                f,
                "invalid package name `{name}`: it conflicts with Rust's built-in test library"
            ),
            NameProblem::StdCrate => write!(
                f,
                "invalid package name `{name}`: it is the name of a crate of Rust's standard library"
            ),
            NameProblem::WindowsReserved => write!(
                f,
                "invalid package name `{name}`: it is a reserved file name on Windows"
            ),
        }
    }
}

/// Checks a package name the way `cargo new` does (`restricted_names`),
/// refusing also what cargo only warns about and what would not work as a
/// plugin: non-ASCII names, standard library crate names and names
/// Windows reserves.
pub fn check_package_name(name: &str) -> Result<(), InvalidName> {
    let refuse = |problem| {
        Err(InvalidName {
            name: name.to_string(),
            problem,
        })
    };
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return refuse(NameProblem::Empty);
    };
    if first.is_ascii_digit() {
        return refuse(NameProblem::StartsWithDigit(first));
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return refuse(NameProblem::BadFirstChar(first));
    }
    if let Some(bad) = chars.find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        return refuse(NameProblem::BadChar(bad));
    }
    if RUST_KEYWORDS.contains(&name) {
        return refuse(NameProblem::Keyword);
    }
    if name == "test" {
        return refuse(NameProblem::TestCrate);
    }
    if STD_CRATES.contains(&name) {
        return refuse(NameProblem::StdCrate);
    }
    if WINDOWS_RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return refuse(NameProblem::WindowsReserved);
    }
    Ok(())
}

/// A valid name close to a refused one, to offer with `--name`.
pub fn suggest_package_name(name: &str) -> Option<String> {
    let mut slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    // Runs of replaced characters become one dash, and none at the ends.
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let mut slug = slug.trim_matches('-').to_string();
    if slug.is_empty() {
        return None;
    }
    if slug.starts_with(|c: char| c.is_ascii_digit()) {
        slug.insert_str(0, "plugin-");
    }
    if check_package_name(&slug).is_err() {
        slug.push_str("-plugin");
    }
    (slug != name && check_package_name(&slug).is_ok()).then_some(slug)
}

/// The library's name: the package name with `-` as `_`, as cargo makes it.
pub fn lib_name(package: &str) -> String {
    package.replace('-', "_")
}

/// A WIT identifier for a (valid) package name: lowercase kebab-case words,
/// each starting with a letter, and no WIT keyword. `My_Plugin-2` becomes
/// `my-plugin2`.
pub fn wit_name(package: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in package.split(['-', '_']).filter(|w| !w.is_empty()) {
        let word = word.to_ascii_lowercase();
        match words.last_mut() {
            // Older WIT parsers want every word to start with a letter, so a
            // word of digits joins the one before it.
            Some(last) if word.starts_with(|c: char| c.is_ascii_digit()) => last.push_str(&word),
            _ => words.push(word),
        }
    }
    match words.first_mut() {
        None => return "plugin".to_string(),
        Some(first) if first.starts_with(|c: char| c.is_ascii_digit()) => {
            first.insert_str(0, "plugin");
        }
        Some(_) => {}
    }
    let name = words.join("-");
    if wasmkit_invoke::wit::is_keyword(&name) {
        format!("{name}-plugin")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(name: &str) -> Option<NameProblem> {
        check_package_name(name).err().map(|e| e.problem)
    }

    #[test]
    fn accepts_what_cargo_accepts() {
        for name in [
            "hello",
            "my-plugin",
            "my_plugin",
            "_private",
            "Foo",
            "a1",
            "gen",
        ] {
            assert_eq!(problem(name), None, "{name}");
        }
    }

    #[test]
    fn refuses_what_cargo_refuses() {
        assert_eq!(problem(""), Some(NameProblem::Empty));
        assert_eq!(problem("1abc"), Some(NameProblem::StartsWithDigit('1')));
        assert_eq!(problem("-abc"), Some(NameProblem::BadFirstChar('-')));
        assert_eq!(problem("has space"), Some(NameProblem::BadChar(' ')));
        assert_eq!(problem("a.b"), Some(NameProblem::BadChar('.')));
        assert_eq!(problem("caf\u{e9}"), Some(NameProblem::BadChar('\u{e9}')));
        assert_eq!(problem("fn"), Some(NameProblem::Keyword));
        assert_eq!(problem("Self"), Some(NameProblem::Keyword));
        assert_eq!(problem("test"), Some(NameProblem::TestCrate));
        assert_eq!(problem("core"), Some(NameProblem::StdCrate));
        assert_eq!(problem("proc-macro"), Some(NameProblem::StdCrate));
        assert_eq!(problem("COM1"), Some(NameProblem::WindowsReserved));
    }

    #[test]
    fn messages_read_like_cargo() {
        let message = |name: &str| check_package_name(name).unwrap_err().to_string();
        assert_eq!(
            message("1abc"),
            "invalid character `1` in package name: `1abc`, the name cannot start with a digit"
        );
        assert_eq!(
            message("test"),
            "invalid package name `test`: it conflicts with Rust's built-in test library"
        );
        assert_eq!(
            message("fn"),
            "invalid package name `fn`: it is a Rust keyword"
        );
    }

    #[test]
    fn suggestions_are_valid_names() {
        assert_eq!(suggest_package_name("1abc").as_deref(), Some("plugin-1abc"));
        assert_eq!(
            suggest_package_name("has space").as_deref(),
            Some("has-space")
        );
        assert_eq!(suggest_package_name("fn").as_deref(), Some("fn-plugin"));
        assert_eq!(suggest_package_name("test").as_deref(), Some("test-plugin"));
        assert_eq!(suggest_package_name("a..b").as_deref(), Some("a-b"));
        assert_eq!(suggest_package_name("..."), None);
    }

    #[test]
    fn wit_names_are_kebab_case_identifiers() {
        assert_eq!(wit_name("hello"), "hello");
        assert_eq!(wit_name("My_Plugin"), "my-plugin");
        assert_eq!(wit_name("a--b__c"), "a-b-c");
        assert_eq!(wit_name("v-2"), "v2");
        assert_eq!(wit_name("_2fast"), "plugin2fast");
        assert_eq!(wit_name("_"), "plugin");
        assert_eq!(wit_name("string"), "string-plugin");
        assert_eq!(wit_name("error_context"), "error-context-plugin");
        assert_eq!(lib_name("my-plugin"), "my_plugin");
    }
}
