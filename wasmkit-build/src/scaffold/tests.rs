//! Unit tests of `scaffold`.

use super::*;

fn created(membership: Membership, kind: PluginKind) -> CreatedPlugin {
    CreatedPlugin {
        name: "hello".to_string(),
        kind,
        dir: PathBuf::from("/w/plugins/hello"),
        files: Vec::new(),
        membership,
    }
}

#[test]
fn next_steps_build_and_invoke_from_inside_the_workspace() {
    let plugin = created(
        Membership::Added {
            manifest: PathBuf::from("/w/Cargo.toml"),
            member: "plugins/hello".to_string(),
        },
        PluginKind::Component,
    );
    let commands: Vec<String> = plugin
        .next_steps(Path::new("/w/plugins"))
        .into_iter()
        .map(|s| s.command)
        .collect();
    assert_eq!(
        commands,
        [
            "cargo wasmkit build -p hello",
            r#"cargo wasmkit invoke -p hello 'greet("world")'"#,
            "cargo wasmkit test -p hello"
        ]
    );
}

#[test]
fn next_steps_go_to_the_workspace_first_from_outside() {
    let plugin = created(Membership::Standalone, PluginKind::ProxyWasm);
    let commands: Vec<String> = plugin
        .next_steps(Path::new("/w"))
        .into_iter()
        .map(|s| s.command)
        .collect();
    assert_eq!(
        commands,
        [
            "cd plugins/hello",
            "cargo wasmkit build -p hello",
            "cargo wasmkit test -p hello"
        ]
    );
}

#[test]
fn tags_are_split_deduplicated_and_checked() {
    assert_eq!(
        check_tags(&["a,b".to_string(), "b".to_string(), "c d".to_string()]).unwrap(),
        ["a", "b", "c", "d"]
    );
    let d = check_tags(&["ok,not-a-cfg".to_string()]).unwrap_err();
    assert_eq!(d.message, "tag `not-a-cfg` is not a valid cfg name");
    assert_eq!(d.code, codes::INVALID_TAG);
}

#[test]
fn host_must_fit_the_kind() {
    assert_eq!(
        check_host(PluginKind::ProxyWasm, None).unwrap(),
        HostKind::Envoy
    );
    assert_eq!(
        check_host(PluginKind::ProxyWasm, Some(HostKind::Higress)).unwrap(),
        HostKind::Higress
    );
    assert_eq!(
        check_host(PluginKind::Component, None).unwrap(),
        HostKind::Wasmtime
    );
    let d = check_host(PluginKind::Component, Some(HostKind::Envoy)).unwrap_err();
    assert_eq!(
        d.message,
        "`--host envoy` does not apply to a component plugin"
    );
    assert!(check_host(PluginKind::ProxyWasm, Some(HostKind::Wasmtime)).is_err());
}
