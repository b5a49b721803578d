//! Splitting list-valued keys: tags and features, `;`-separated WAVE
//! lists, and what may be a `--cfg` name.

/// Splits a tag or feature list: words separated by spaces or commas.
pub fn split_words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits a `;`-separated list of WAVE calls or values, leaving `;` inside
/// WAVE strings and chars alone.
pub fn split_wave_list(s: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                current.push(c);
                // Copy the literal through its closing quote, honouring escapes.
                while let Some(d) = chars.next() {
                    current.push(d);
                    if d == '\\' {
                        if let Some(e) = chars.next() {
                            current.push(e);
                        }
                    } else if d == c {
                        break;
                    }
                }
            }
            ';' => items.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    items.push(current);
    items
        .into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .collect()
}

/// Whether `name` can be a `--cfg` name (a Rust identifier).
pub fn is_cfg_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wave_lists_split_outside_literals() {
        assert_eq!(
            split_wave_list(r#"greet("a;b"); area(circle({radius: 1.0})) ;  ; c(';')"#),
            vec![r#"greet("a;b")"#, "area(circle({radius: 1.0}))", "c(';')"]
        );
        assert_eq!(split_wave_list(r#"f("\";")"#), vec![r#"f("\";")"#]);
    }

    #[test]
    fn words_split_on_spaces_and_commas() {
        assert_eq!(split_words("a, b  c,d"), vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn cfg_names() {
        assert!(is_cfg_name("proxy_wasm_version_0_2_100"));
        assert!(!is_cfg_name("0abc"));
        assert!(!is_cfg_name("with-dash"));
        assert!(!is_cfg_name(""));
    }
}
