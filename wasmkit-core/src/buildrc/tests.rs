//! Unit tests of `buildrc`.

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
    // Values that would create a file if a shell ran them. Unquoted, the
    // substitution is refused; in single quotes (where a shell does not
    // expand either) it is kept as written, where a shell would have left
    // the empty output of `touch`.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let command = format!("$(touch {})", marker.display());
    assert_eq!(
        error(&format!("TARGET={command}")).0,
        "buildrc-substitution"
    );
    assert_eq!(
        values(&format!("EXTRA_TAGS='{command}'")),
        [(Key::ExtraTags, command.clone())]
    );
    assert!(!marker.exists());
}
