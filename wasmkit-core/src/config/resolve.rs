//! Resolving a plugin's settings: each key from its highest layer, the
//! command line on top, then the checks that span keys.

use std::path::PathBuf;

use crate::codes;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::keys::Key;
use crate::plugin::PluginReason;
use crate::proxy_kind::ProxyKind;

use super::layers::{CliOverrides, Layers, Resolver};
use super::lists::{is_cfg_name, split_wave_list, split_words};
use super::origin::{Location, Origin, Resolved};
use super::plugin::PluginConfig;
use super::values::{ComponentMode, Feature, HostKind, Tag, TagUse};

/// Resolves every setting of `package` from its layers and the command line.
pub fn resolve(
    package: &cargo_metadata::Package,
    reason: PluginReason,
    buildrc_path: Option<PathBuf>,
    layers: &Layers<'_>,
    cli: &CliOverrides,
) -> Result<PluginConfig, Diagnostics> {
    let mut errors = Vec::new();
    let plugin_dir = package
        .manifest_path
        .parent()
        .map_or_else(PathBuf::new, |p| p.as_std_path().to_path_buf());

    let mut resolver = Resolver {
        layers,
        errors: &mut errors,
    };

    // Lists.
    let tag_words = resolver.list(Key::ExtraTags, split_words);
    let feature_words = resolver.list(Key::Features, split_words);
    let rustflags = resolver
        .list(Key::Rustflags, |s| {
            s.split_whitespace().map(str::to_string).collect()
        })
        .unwrap_or_else(|| Resolved::default(Vec::new()));
    let verify_invoke = resolver
        .list(Key::VerifyInvoke, split_wave_list)
        .unwrap_or_else(|| Resolved::default(Vec::new()));
    let verify_expect = resolver
        .list(Key::VerifyExpect, split_wave_list)
        .unwrap_or_else(|| Resolved::default(Vec::new()));
    let verify_mocks = resolver
        .list(Key::VerifyMocks, split_wave_list)
        .unwrap_or_else(|| Resolved::default(Vec::new()));
    let verify_http = resolver
        .list(Key::VerifyHttp, crate::http_check::split_checks)
        .unwrap_or_else(|| Resolved::default(Vec::new()));

    // Scalars.
    let no_default_features = resolver
        .boolean(Key::NoDefaultFeatures)
        .unwrap_or_else(|| Resolved::default(false));
    let target = resolver
        .scalar(Key::Target, |s| {
            if s.starts_with("wasm32") || s.starts_with("wasm64") {
                Ok(s.to_string())
            } else {
                Err("a WebAssembly target such as `wasm32-wasip1` or `wasm32-wasip2`".to_string())
            }
        })
        .unwrap_or_else(|| {
            if let Some(bindings) = ["wit-bindgen", "wasip2"]
                .into_iter()
                .find(|name| depends_on(package, name))
            {
                Resolved::default_because(
                    "wasm32-wasip2".to_string(),
                    format!("the package depends on {bindings}"),
                )
            } else {
                Resolved::default("wasm32-wasip1".to_string())
            }
        });
    let profile_setting = resolver.scalar(Key::Profile, |s| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            Ok(s.to_string())
        } else {
            Err("a cargo profile name such as `dev` or `release`".to_string())
        }
    });
    let component = resolver
        .scalar(Key::Component, |s| {
            ComponentMode::parse(s).ok_or_else(|| one_of(ComponentMode::NAMES))
        })
        .unwrap_or_else(|| Resolved::default(ComponentMode::None));
    let host = resolver
        .scalar(Key::Host, |s| {
            HostKind::parse(s)
                .map(Some)
                .ok_or_else(|| one_of(HostKind::NAMES))
        })
        .unwrap_or_else(|| {
            Resolved::default_because(None, "envoy for proxy-wasm modules, wasmtime otherwise")
        });
    let proxy_kind = resolver
        .scalar(Key::ProxyKind, |s| {
            ProxyKind::parse(s).ok_or_else(|| one_of(ProxyKind::NAMES))
        })
        .unwrap_or_else(|| Resolved::default(ProxyKind::Http));
    let root_id = resolver
        .scalar(Key::RootId, |s| Ok(s.to_string()))
        .unwrap_or_else(|| Resolved::default(String::new()));
    let vm_id = resolver
        .scalar(Key::VmId, |s| Ok(s.to_string()))
        .unwrap_or_else(|| Resolved::default(String::new()));
    let host = host_for_kind(host, &target.value, component.value);
    let verify_config = resolver
        .scalar(Key::VerifyConfig, |s| {
            if s.is_empty() {
                Err("a file path, relative to the plugin directory".to_string())
            } else {
                Ok(Some(plugin_dir.join(s)))
            }
        })
        .unwrap_or_else(|| Resolved::default(None));

    // Command line on top.
    let profile = if let Some(p) = &cli.profile {
        Resolved::from_flag(p.clone(), format!("--profile {p}"))
    } else if cli.release {
        Resolved::from_flag("release".to_string(), "--release")
    } else {
        profile_setting.unwrap_or_else(|| Resolved::default("dev".to_string()))
    };
    let no_default_features = if cli.no_default_features {
        Resolved::from_flag(true, "--no-default-features")
    } else {
        no_default_features
    };
    let all_features = if cli.all_features {
        Resolved::from_flag(true, "--all-features")
    } else {
        Resolved::default(false)
    };

    let features = features(package, feature_words, &cli.features);
    let tags = tags(package, tag_words, &cli.tags, &mut errors);
    check_http(&verify_http, &mut errors);
    check_expect_count(package, &verify_invoke, &verify_expect, &mut errors);

    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    Ok(PluginConfig {
        package: package.clone(),
        reason,
        buildrc_path,
        tags,
        features,
        all_features,
        no_default_features,
        target,
        profile,
        rustflags,
        component,
        host,
        proxy_kind,
        root_id,
        vm_id,
        verify_config,
        verify_invoke,
        verify_expect,
        verify_mocks,
        verify_http,
    })
}

/// `FEATURES` then `--features` (a `pkg/feat` applies to its package only),
/// each feature once, from where it was first given.
fn features(
    package: &cargo_metadata::Package,
    words: Option<Resolved<Vec<String>>>,
    cli: &[String],
) -> Vec<Feature> {
    let mut features: Vec<Feature> = Vec::new();
    if let Some(words) = words {
        for name in words.value {
            push_feature(&mut features, name, &words.origin);
        }
    }
    for arg in cli {
        for word in split_words(arg) {
            let name = match word.split_once('/') {
                Some((pkg, feat)) if pkg == package.name.as_str() => feat.to_string(),
                Some(_) => continue,
                None => word,
            };
            let origin = Origin::CommandLine {
                flag: format!("--features {arg}"),
            };
            push_feature(&mut features, name, &origin);
        }
    }
    features
}

/// `EXTRA_TAGS` then `--tags`, each applied as the package's feature of
/// that name or else as a `--cfg`; a tag that can be neither is an error.
fn tags(
    package: &cargo_metadata::Package,
    words: Option<Resolved<Vec<String>>>,
    cli: &[String],
    errors: &mut Vec<Diagnostic>,
) -> Vec<Tag> {
    let mut tags: Vec<Tag> = Vec::new();
    let mut tag_sources: Vec<(String, Origin, Option<Location>)> = Vec::new();
    if let Some(words) = words {
        for name in words.value {
            tag_sources.push((name, words.origin.clone(), words.location.clone()));
        }
    }
    for arg in cli {
        for name in split_words(arg) {
            tag_sources.push((
                name,
                Origin::CommandLine {
                    flag: format!("--tags {arg}"),
                },
                None,
            ));
        }
    }
    for (name, origin, location) in tag_sources {
        if tags.iter().any(|t| t.name == name) {
            continue;
        }
        let applied_as = if package.features.contains_key(&name) {
            TagUse::Feature
        } else if is_cfg_name(&name) {
            TagUse::Cfg
        } else {
            let d = Diagnostic::error(
                codes::INVALID_TAG,
                format!(
                    "tag `{name}` of plugin `{}` is neither a feature of the package nor a valid cfg name",
                    package.name
                ),
            )
            .with_help(format!(
                "declare a feature `{name}` in `{}` or use a name of letters, digits and `_`",
                crate::display_path(package.manifest_path.as_std_path())
            ));
            errors.push(match &location {
                Some(loc) => d.with_label(loc.label("this tag")),
                None => d.with_note(format!("given by {origin}")),
            });
            continue;
        };
        tags.push(Tag {
            name,
            applied_as,
            origin,
            location,
        });
    }
    tags
}

/// Each `VERIFY_HTTP` check must parse.
fn check_http(verify_http: &Resolved<Vec<String>>, errors: &mut Vec<Diagnostic>) {
    for check in &verify_http.value {
        if let Err(why) = crate::http_check::HttpCheck::parse(check) {
            let d = Diagnostic::error(
                codes::INVALID_VALUE,
                format!("invalid `VERIFY_HTTP` check `{check}`: {why}"),
            )
            .with_help(format!(
                "write `;`-separated checks, each {}",
                crate::http_check::HTTP_CHECK_FORM
            ));
            errors.push(match &verify_http.location {
                Some(loc) => d.with_label(loc.label_part(check, "this check")),
                None => d.with_note(format!("set by {}", verify_http.origin)),
            });
        }
    }
}

/// `VERIFY_EXPECT`, when given, has one value per `VERIFY_INVOKE` call.
fn check_expect_count(
    package: &cargo_metadata::Package,
    invoke: &Resolved<Vec<String>>,
    expect: &Resolved<Vec<String>>,
    errors: &mut Vec<Diagnostic>,
) {
    if !expect.value.is_empty() && expect.value.len() != invoke.value.len() {
        let d = Diagnostic::error(
            codes::EXPECTATION_INVALID,
            format!(
                "plugin `{}` has {} `VERIFY_INVOKE` call(s) but {} `VERIFY_EXPECT` value(s)",
                package.name,
                invoke.value.len(),
                expect.value.len()
            ),
        )
        .with_help("give one expected value per call, `;`-separated, in the same order");
        errors.push(expect.locate(d, "these expected values"));
    }
}

/// A `HOST` the workspace sets for everyone (its filters, typically) that
/// names a proxy-wasm host does not apply to a plugin that builds a
/// component, which no proxy-wasm host can load: the component is verified
/// against wasmtime, and the origin says why. Set on the plugin itself, the
/// same `HOST` stands, and verify reports the mismatch.
fn host_for_kind(
    host: Resolved<Option<HostKind>>,
    target: &str,
    component: ComponentMode,
) -> Resolved<Option<HostKind>> {
    let inherited = matches!(host.origin, Origin::WorkspaceMetadata { .. });
    let proxy_host = matches!(host.value, Some(HostKind::Envoy | HostKind::Higress));
    // wasm32-wasip2 links a component; COMPONENT wraps a module into one.
    let builds_component = target == "wasm32-wasip2" || component != ComponentMode::None;
    if !(inherited && proxy_host && builds_component) {
        return host;
    }
    let why = if component == ComponentMode::None {
        format!("`{target}` builds a component")
    } else {
        format!("`COMPONENT={}` makes a component", component.as_str())
    };
    Resolved::default_because(
        Some(HostKind::Wasmtime),
        format!(
            "{why}; `host = \"{}\"` ({}) is for proxy-wasm modules",
            host.value.map_or("", HostKind::as_str),
            host.origin
        ),
    )
}

fn push_feature(features: &mut Vec<Feature>, name: String, origin: &Origin) {
    if !features.iter().any(|f| f.name == name) {
        features.push(Feature {
            name,
            origin: origin.clone(),
        });
    }
}

fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    format!("one of {}", quoted.join(", "))
}

fn depends_on(package: &cargo_metadata::Package, name: &str) -> bool {
    package
        .dependencies
        .iter()
        .any(|d| d.name == name && d.kind == cargo_metadata::DependencyKind::Normal)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::buildrc::Buildrc;
    use crate::metadata::{MetadataTable, TableKind};

    /// A package as `cargo metadata` describes it, with a `fast` feature and
    /// the given normal dependencies.
    fn package(dependencies: &[&str]) -> cargo_metadata::Package {
        let deps: Vec<serde_json::Value> = dependencies
            .iter()
            .map(|name| {
                serde_json::json!({
                    "name": name, "req": "*", "kind": null, "optional": false,
                    "uses_default_features": true, "features": [], "target": null,
                    "rename": null, "registry": null, "source": null,
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "name": "filter", "version": "0.1.0", "id": "filter 0.1.0",
            "dependencies": deps, "targets": [], "features": { "fast": [] },
            "manifest_path": "/ws/filter/Cargo.toml", "metadata": null,
        }))
        .expect("a package")
    }

    fn buildrc(text: &str) -> Buildrc {
        Buildrc::parse(Path::new("filter/.buildrc"), text.as_bytes()).expect("a .buildrc")
    }

    fn table(kind: TableKind, text: &str) -> MetadataTable {
        MetadataTable::parse(Path::new("Cargo.toml"), text, kind)
            .expect("a manifest")
            .expect("a wasmkit table")
    }

    fn run(
        layers: &Layers<'_>,
        cli: &CliOverrides,
        deps: &[&str],
    ) -> Result<PluginConfig, Diagnostics> {
        resolve(
            &package(deps),
            PluginReason::CdylibTarget,
            None,
            layers,
            cli,
        )
    }

    fn no_layers() -> Layers<'static> {
        Layers {
            buildrc: None,
            package: None,
            workspace: None,
        }
    }

    fn messages(result: Result<PluginConfig, Diagnostics>) -> Vec<String> {
        result
            .expect_err("diagnostics")
            .0
            .iter()
            .map(|d| d.message.clone())
            .collect()
    }

    #[test]
    fn the_highest_layer_that_sets_a_key_decides_it() {
        let rc = buildrc("TARGET=wasm32-wasip2\n");
        let pkg = table(
            TableKind::Package,
            "[package.metadata.wasmkit]\ntarget = \"wasm32-unknown-unknown\"\nprofile = \"release\"\n",
        );
        let ws = table(
            TableKind::Workspace,
            "[workspace.metadata.wasmkit]\ntarget = \"wasm64-x\"\nprofile = \"bench\"\nrustflags = \"-Copt-level=s\"\n",
        );
        let layers = Layers {
            buildrc: Some(&rc),
            package: Some(&pkg),
            workspace: Some(&ws),
        };
        let config = run(&layers, &CliOverrides::default(), &[]).unwrap();
        assert_eq!(config.target.value, "wasm32-wasip2");
        assert_eq!(config.target.origin.to_string(), "filter/.buildrc:1:8");
        assert_eq!(config.profile.value, "release");
        assert_eq!(
            config.profile.origin.to_string(),
            "Cargo.toml:3 [package.metadata.wasmkit]"
        );
        assert_eq!(config.rustflags.value, ["-Copt-level=s"]);
        assert_eq!(
            config.rustflags.origin.to_string(),
            "Cargo.toml:4 [workspace.metadata.wasmkit]"
        );
    }

    #[test]
    fn the_command_line_is_on_top_and_adds_tags_and_features() {
        let rc = buildrc("PROFILE=dev\nEXTRA_TAGS=fast\nFEATURES=a\n");
        let layers = Layers {
            buildrc: Some(&rc),
            package: None,
            workspace: None,
        };
        let cli = CliOverrides {
            release: true,
            tags: vec!["fast,extra_cfg".into()],
            features: vec!["b other/c filter/d".into()],
            ..CliOverrides::default()
        };
        let config = run(&layers, &cli, &[]).unwrap();
        assert_eq!(config.profile.value, "release");
        assert_eq!(
            config.profile.origin.to_string(),
            "command line `--release`"
        );
        let tags: Vec<_> = config
            .tags
            .iter()
            .map(|t| (t.name.as_str(), t.applied_as))
            .collect();
        assert_eq!(
            tags,
            [("fast", TagUse::Feature), ("extra_cfg", TagUse::Cfg)]
        );
        let features: Vec<_> = config.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(features, ["a", "b", "d"]);
    }

    #[test]
    fn defaults_say_why_when_they_depend_on_the_package() {
        let config = run(&no_layers(), &CliOverrides::default(), &["wit-bindgen"]).unwrap();
        assert_eq!(config.target.value, "wasm32-wasip2");
        assert_eq!(
            config.target.origin.to_string(),
            "default: the package depends on wit-bindgen"
        );
        let config = run(&no_layers(), &CliOverrides::default(), &[]).unwrap();
        assert_eq!(config.target.value, "wasm32-wasip1");
        assert_eq!(config.profile.value, "dev");
    }

    #[test]
    fn a_workspace_proxy_host_does_not_apply_to_a_component() {
        let ws = table(
            TableKind::Workspace,
            "[workspace.metadata.wasmkit]\nhost = \"envoy\"\n",
        );
        let layers = Layers {
            buildrc: None,
            package: None,
            workspace: Some(&ws),
        };
        let config = run(&layers, &CliOverrides::default(), &["wit-bindgen"]).unwrap();
        assert_eq!(config.host.value, Some(HostKind::Wasmtime));
        assert_eq!(
            config.host.origin.to_string(),
            "default: `wasm32-wasip2` builds a component; `host = \"envoy\"` \
             (Cargo.toml:2 [workspace.metadata.wasmkit]) is for proxy-wasm modules"
        );
        // Set on the plugin itself, the same host stands.
        let pkg = table(
            TableKind::Package,
            "[package.metadata.wasmkit]\nhost = \"envoy\"\n",
        );
        let layers = Layers {
            buildrc: None,
            package: Some(&pkg),
            workspace: None,
        };
        let config = run(&layers, &CliOverrides::default(), &["wit-bindgen"]).unwrap();
        assert_eq!(config.host.value, Some(HostKind::Envoy));
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let rc = buildrc(
            "TARGET=x86_64\nHOST=nginx\nNO_DEFAULT_FEATURES=maybe\nEXTRA_TAGS=has-dash\n\
             VERIFY_INVOKE='a();b()'\nVERIFY_EXPECT=1\n",
        );
        let pkg = table(
            TableKind::Package,
            "[package.metadata.wasmkit]\ncomponent = \"yes\"\n",
        );
        let layers = Layers {
            buildrc: Some(&rc),
            package: Some(&pkg),
            workspace: None,
        };
        assert_eq!(
            messages(run(&layers, &CliOverrides::default(), &[])),
            [
                "invalid value `maybe` for `NO_DEFAULT_FEATURES`",
                "invalid value `x86_64` for `TARGET`",
                "invalid value `yes` for `COMPONENT`",
                "invalid value `nginx` for `HOST`",
                "tag `has-dash` of plugin `filter` is neither a feature of the package nor a valid cfg name",
                "plugin `filter` has 2 `VERIFY_INVOKE` call(s) but 1 `VERIFY_EXPECT` value(s)",
            ]
        );
    }
}
