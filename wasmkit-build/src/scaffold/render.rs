//! The embedded templates and their rendering: `{{placeholder}}`
//! replacement, then the manifest's workspace inheritance with toml_edit.

use std::path::PathBuf;

use toml_edit::{DocumentMut, Item, Table, value};
use wasmkit_core::HostKind;

use super::PluginKind;
use super::name::wit_name;

/// A template and where its rendering goes in the package.
struct Template {
    path: &'static str,
    text: &'static str,
}

const COMPONENT: &[Template] = &[
    Template {
        path: "Cargo.toml",
        text: include_str!("templates/component/Cargo.toml.tmpl"),
    },
    Template {
        path: ".buildrc",
        text: include_str!("templates/component/buildrc.tmpl"),
    },
    Template {
        path: "wit/world.wit",
        text: include_str!("templates/component/world.wit.tmpl"),
    },
    Template {
        path: "src/lib.rs",
        text: include_str!("templates/component/lib.rs.tmpl"),
    },
];

const PROXY_WASM: &[Template] = &[
    Template {
        path: "Cargo.toml",
        text: include_str!("templates/proxy-wasm/Cargo.toml.tmpl"),
    },
    Template {
        path: ".buildrc",
        text: include_str!("templates/proxy-wasm/buildrc.tmpl"),
    },
    Template {
        path: "config.json",
        text: include_str!("templates/proxy-wasm/config.json.tmpl"),
    },
    Template {
        path: "src/lib.rs",
        text: include_str!("templates/proxy-wasm/lib.rs.tmpl"),
    },
];

const HTTP: &[Template] = &[
    Template {
        path: "Cargo.toml",
        text: include_str!("templates/http/Cargo.toml.tmpl"),
    },
    Template {
        path: ".buildrc",
        text: include_str!("templates/http/buildrc.tmpl"),
    },
    Template {
        path: "src/lib.rs",
        text: include_str!("templates/http/lib.rs.tmpl"),
    },
];

/// What the templates are filled with.
#[derive(Debug)]
pub(crate) struct TemplateInput<'a> {
    /// The package name (valid).
    pub(crate) name: &'a str,
    /// The kind of plugin.
    pub(crate) kind: PluginKind,
    /// `HOST` for a proxy-wasm plugin.
    pub(crate) host: HostKind,
    /// `EXTRA_TAGS` (valid cfg names), if any.
    pub(crate) tags: &'a [String],
    /// `[workspace.package]` keys the manifest inherits.
    pub(crate) inherited_keys: &'a [String],
    /// Whether the manifest inherits `[workspace.lints]`.
    pub(crate) inherit_lints: bool,
}

/// Every file of the new package: its path in the package and its text.
pub(crate) fn render(input: &TemplateInput<'_>) -> Vec<(PathBuf, String)> {
    let templates = match input.kind {
        PluginKind::Component => COMPONENT,
        PluginKind::ProxyWasm => PROXY_WASM,
        PluginKind::Http => HTTP,
    };
    let extra_tags = if input.tags.is_empty() {
        String::new()
    } else {
        format!(
            "# Build tags: a cargo feature of this package where it declares one,\n\
             # else a `--cfg` for this crate only.\n\
             EXTRA_TAGS={}\n",
            buildrc_value(&input.tags.join(" "))
        )
    };
    let wit_name = wit_name(input.name);
    let vars: [(&str, &str); 4] = [
        ("name", input.name),
        ("wit_name", &wit_name),
        ("host", input.host.as_str()),
        ("extra_tags", &extra_tags),
    ];
    templates
        .iter()
        .map(|template| {
            let mut text = fill(template.text, &vars);
            if template.path == "Cargo.toml" {
                text = inherit_from_workspace(&text, input.inherited_keys, input.inherit_lints);
            }
            (PathBuf::from(template.path), text)
        })
        .collect()
}

/// Replaces each `{{key}}`. A placeholder alone on its line that renders
/// empty takes its line with it, so optional lines leave no blank line.
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (key, value) in vars {
        let placeholder = format!("{{{{{key}}}}}");
        if value.is_empty() {
            text = text.replace(&format!("{placeholder}\n"), "");
        }
        text = text.replace(&placeholder, value);
    }
    text
}

/// Makes the manifest inherit from the workspace what `cargo new` makes a
/// new member inherit: each `[workspace.package]` key (replacing the
/// template's own value in place), and `[workspace.lints]`.
fn inherit_from_workspace(manifest: &str, keys: &[String], lints: bool) -> String {
    if keys.is_empty() && !lints {
        return manifest.to_string();
    }
    let mut doc: DocumentMut = manifest
        .parse()
        .expect("the embedded Cargo.toml templates are valid TOML");
    if let Some(package) = doc.get_mut("package").and_then(Item::as_table_mut) {
        for key in keys {
            let mut inherited = Table::new();
            inherited.set_dotted(true);
            inherited.insert("workspace", value(true));
            package.insert(key, Item::Table(inherited));
        }
    }
    if lints {
        let mut table = Table::new();
        table.insert("workspace", value(true));
        doc.insert("lints", Item::Table(table));
    }
    doc.to_string()
}

/// A `.buildrc` value, single-quoted unless it is one plain word (the
/// file follows shell syntax: unquoted spaces would split it).
pub(crate) fn buildrc_value(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,/:".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use wasmkit_core::Key;
    use wasmkit_core::buildrc::Buildrc;

    use super::*;

    fn input<'a>(kind: PluginKind, name: &'a str, tags: &'a [String]) -> TemplateInput<'a> {
        TemplateInput {
            name,
            kind,
            host: HostKind::Envoy,
            tags,
            inherited_keys: &[],
            inherit_lints: false,
        }
    }

    fn file<'a>(files: &'a [(PathBuf, String)], path: &str) -> &'a str {
        files
            .iter()
            .find(|(p, _)| p == Path::new(path))
            .map(|(_, text)| text.as_str())
            .unwrap_or_else(|| panic!("no {path}"))
    }

    fn buildrc_values(text: &str) -> Vec<(Key, String)> {
        let rc = Buildrc::parse(Path::new(".buildrc"), text.as_bytes())
            .unwrap_or_else(|d| panic!("{d}\n---\n{text}"));
        rc.entries.into_iter().map(|e| (e.key, e.value)).collect()
    }

    #[test]
    fn every_placeholder_is_filled() {
        let tags = ["t1".to_string()];
        for kind in [
            PluginKind::Component,
            PluginKind::ProxyWasm,
            PluginKind::Http,
        ] {
            for (path, text) in render(&input(kind, "my-plugin", &tags)) {
                let leftover = text
                    .match_indices("{{")
                    .map(|(at, _)| &text[at..])
                    .find(|rest| {
                        rest[2..].split("}}").next().is_some_and(|k| {
                            !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        })
                    });
                assert_eq!(leftover, None, "{}", path.display());
            }
        }
    }

    #[test]
    fn component_buildrc_parses_to_the_calls_and_expectations() {
        let files = render(&input(PluginKind::Component, "hello", &[]));
        assert_eq!(
            buildrc_values(file(&files, ".buildrc")),
            [
                (
                    Key::VerifyInvoke,
                    r#"greet("world"); add(2, 3)"#.to_string()
                ),
                (Key::VerifyExpect, r#""Hello, world!"; 5"#.to_string()),
            ]
        );
    }

    #[test]
    fn http_buildrc_parses_to_valid_checks() {
        let files = render(&input(PluginKind::Http, "api", &[]));
        let values = buildrc_values(file(&files, ".buildrc"));
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].0, Key::VerifyHttp);
        let checks = wasmkit_core::http_check::split_checks(&values[0].1);
        assert_eq!(checks.len(), 3);
        for check in checks {
            wasmkit_core::http_check::HttpCheck::parse(&check).unwrap();
        }
        assert!(file(&files, "src/lib.rs").contains("\"Hello from api!\\n\""));
    }

    #[test]
    fn proxy_wasm_buildrc_has_host_tags_and_config() {
        let tags = ["fast".to_string(), "proxy_wasm_version_0_2_100".to_string()];
        let mut input = input(PluginKind::ProxyWasm, "filter", &tags);
        input.host = HostKind::Higress;
        let files = render(&input);
        let text = file(&files, ".buildrc");
        assert!(
            text.contains("EXTRA_TAGS='fast proxy_wasm_version_0_2_100'\n"),
            "{text}"
        );
        assert_eq!(
            buildrc_values(text),
            [
                (Key::Host, "higress".to_string()),
                (
                    Key::ExtraTags,
                    "fast proxy_wasm_version_0_2_100".to_string()
                ),
                (Key::VerifyConfig, "config.json".to_string()),
            ]
        );
        let no_tags = render(&self::input(PluginKind::ProxyWasm, "filter", &[]));
        let text = file(&no_tags, ".buildrc");
        assert!(
            !text.contains("EXTRA_TAGS") && !text.contains("\n\n\n"),
            "{text}"
        );
        assert_eq!(buildrc_values(text)[0], (Key::Host, "envoy".to_string()));
    }

    #[test]
    fn sample_configuration_is_the_documented_json() {
        let files = render(&input(PluginKind::ProxyWasm, "filter", &[]));
        let config: serde_json::Value = serde_json::from_str(file(&files, "config.json")).unwrap();
        assert_eq!(config["header_name"], "x-wasmkit-plugin");
        assert_eq!(config["header_value"], "hello from filter");
    }

    #[test]
    fn wit_world_parses_with_derived_names() {
        for name in ["hello", "My_Plugin-2", "string", "_x"] {
            let files = render(&input(PluginKind::Component, name, &[]));
            let wit = file(&files, "wit/world.wit");
            let package = wit_parser::UnresolvedPackageGroup::parse("world.wit", wit)
                .unwrap_or_else(|e| panic!("{name}: {e:?}\n{wit}"));
            let world_name = wit_name(name);
            assert!(
                package
                    .main
                    .worlds
                    .iter()
                    .any(|(_, w)| w.name == world_name),
                "{name}"
            );
            assert!(
                file(&files, "src/lib.rs").contains(&format!("world: \"{world_name}\"")),
                "{name}"
            );
        }
    }

    #[test]
    fn manifests_name_the_package_and_inherit_like_cargo_new() {
        let files = render(&input(PluginKind::Component, "hello", &[]));
        let manifest = file(&files, "Cargo.toml");
        assert!(
            manifest.starts_with(
                "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n"
            ),
            "{manifest}"
        );
        assert!(!manifest.contains("workspace"), "{manifest}");

        let keys = ["edition".to_string(), "license".to_string()];
        let mut inheriting = input(PluginKind::ProxyWasm, "filter", &[]);
        inheriting.inherited_keys = &keys;
        inheriting.inherit_lints = true;
        let files = render(&inheriting);
        let manifest = file(&files, "Cargo.toml");
        assert!(
            manifest.starts_with(
                "[package]\nname = \"filter\"\nversion = \"0.1.0\"\nedition.workspace = true\nlicense.workspace = true\n\n[lib]\n"
            ),
            "{manifest}"
        );
        assert!(
            manifest.ends_with("\n\n[lints]\nworkspace = true\n"),
            "{manifest}"
        );
    }

    #[test]
    fn buildrc_values_are_quoted_when_needed() {
        assert_eq!(buildrc_value("envoy"), "envoy");
        assert_eq!(buildrc_value("a b"), "'a b'");
        assert_eq!(buildrc_value("it's"), r"'it'\''s'");
        assert_eq!(buildrc_value(""), "''");
    }
}
