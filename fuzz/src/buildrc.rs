//! The `buildrc` property: the `.buildrc` parser, the `wasmkit` metadata
//! tables, `split_wave_list` and config resolution never panic, and every
//! error points at a place inside the input.
//!
//! The input is one file, read as a `.buildrc`, and (when it is UTF-8) as a
//! `Cargo.toml` holding `[package.metadata.wasmkit]` and
//! `[workspace.metadata.wasmkit]`; settings are then resolved from those
//! layers. When the input holds NUL bytes, its first three NUL-separated
//! parts are resolved as the three layers (`.buildrc`, package manifest,
//! workspace manifest) instead, so that layers with different content meet.

use std::path::Path;
use std::sync::LazyLock;

use wasmkit_core::buildrc::Buildrc;
use wasmkit_core::config::{self, CliOverrides, Layers};
use wasmkit_core::metadata::{MetadataTable, TableKind};
use wasmkit_core::{Diagnostics, Key};

use crate::check;

const BUILDRC: &str = "plugin/.buildrc";
const MANIFEST: &str = "plugin/Cargo.toml";
const WORKSPACE_MANIFEST: &str = "Cargo.toml";

/// Checks every property on one input.
pub fn check(bytes: &[u8]) {
    let buildrc = parse_buildrc(bytes);
    let (package, workspace) = match std::str::from_utf8(bytes) {
        Ok(text) => {
            split_wave_list(text);
            (
                parse_table(MANIFEST, text, TableKind::Package),
                parse_table(WORKSPACE_MANIFEST, text, TableKind::Workspace),
            )
        }
        Err(_) => (None, None),
    };
    resolve(buildrc.as_ref(), package.as_ref(), workspace.as_ref());

    if bytes.contains(&0) {
        let mut parts = bytes.splitn(3, |&b| b == 0);
        let buildrc = parts.next().and_then(parse_buildrc);
        let mut table = |path, kind| {
            let text = std::str::from_utf8(parts.next()?).ok()?;
            parse_table(path, text, kind)
        };
        let package = table(MANIFEST, TableKind::Package);
        let workspace = table(WORKSPACE_MANIFEST, TableKind::Workspace);
        resolve(buildrc.as_ref(), package.as_ref(), workspace.as_ref());
    }
}

/// Parses a `.buildrc`; errors must each point into the file (non-UTF-8
/// input is shown with the bad bytes replaced).
fn parse_buildrc(bytes: &[u8]) -> Option<Buildrc> {
    match Buildrc::parse(Path::new(BUILDRC), bytes) {
        Ok(rc) => {
            assert_eq!(rc.file.text.as_bytes(), bytes);
            for entry in &rc.entries {
                assert_eq!(
                    rc.file.text.get(entry.key_span.clone()),
                    Some(entry.key.buildrc_name()),
                    "{entry:?}"
                );
                assert!(
                    rc.file.text.get(entry.value_span.clone()).is_some(),
                    "value span outside the file: {entry:?}"
                );
            }
            Some(rc)
        }
        Err(errors) => {
            let shown = String::from_utf8_lossy(bytes);
            errors_point_into(&errors, &[shown.as_ref()]);
            None
        }
    }
}

/// Parses a metadata table; errors must each point into the manifest.
fn parse_table(path: &str, text: &str, kind: TableKind) -> Option<MetadataTable> {
    match MetadataTable::parse(Path::new(path), text, kind) {
        Ok(table) => {
            let table = table?;
            for entry in &table.entries {
                assert!(
                    text.get(entry.span.clone()).is_some(),
                    "value span outside the manifest: {entry:?}"
                );
            }
            Some(table)
        }
        Err(errors) => {
            errors_point_into(&errors, &[text]);
            None
        }
    }
}

/// `split_wave_list` returns trimmed, non-empty items, each a piece of the
/// input, in order.
fn split_wave_list(text: &str) {
    let mut rest = text;
    for item in config::split_wave_list(text) {
        assert!(!item.is_empty() && item.trim() == item, "item {item:?}");
        let at = rest
            .find(item.as_str())
            .unwrap_or_else(|| panic!("item {item:?} is not in the rest of the input {rest:?}"));
        rest = &rest[at + item.len()..];
    }
}

/// Resolves the settings of a fixed plugin from the layers; errors must
/// point into one of the layers' files.
fn resolve(
    buildrc: Option<&Buildrc>,
    package: Option<&MetadataTable>,
    workspace: Option<&MetadataTable>,
) {
    let layers = Layers {
        buildrc,
        package,
        workspace,
    };
    let texts: Vec<&str> = [
        buildrc.map(|rc| rc.file.text.as_str()),
        package.map(|t| t.file.text.as_str()),
        workspace.map(|t| t.file.text.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    match config::resolve(
        &PLUGIN,
        wasmkit_core::plugin::PluginReason::CdylibTarget,
        buildrc.map(|rc| rc.path.clone()),
        &layers,
        &CliOverrides::default(),
    ) {
        Ok(resolved) => {
            for (key, _, _) in resolved.settings() {
                assert!(Key::ALL.contains(&key));
            }
            let _ = resolved.to_json().to_string();
        }
        Err(errors) => errors_point_into(&errors, &texts),
    }
}

/// Every diagnostic is an error with a primary label in one of `texts`.
fn errors_point_into(errors: &Diagnostics, texts: &[&str]) {
    assert!(!errors.0.is_empty(), "an error without diagnostics");
    for d in &errors.0 {
        check::well_formed(d);
        assert!(d.is_error(), "{d:?}");
        let label = d
            .primary_label()
            .unwrap_or_else(|| panic!("error without a primary label: {d:?}"));
        assert!(
            texts.contains(&label.file.text.as_str()),
            "the primary label points into none of the inputs: {d:?}"
        );
    }
}

/// A plugin package with a feature (so that tags can be features or cfgs)
/// and a wit-bindgen dependency (which changes the default target).
static PLUGIN: LazyLock<cargo_metadata::Package> = LazyLock::new(plugin_package);

fn plugin_package() -> cargo_metadata::Package {
    let json = serde_json::json!({
        "name": "plugin",
        "version": "0.1.0",
        "id": "path+file:///fuzz/plugin#0.1.0",
        "source": null,
        "dependencies": [{
            "name": "wit-bindgen",
            "source": "registry+https://github.com/rust-lang/crates.io-index",
            "req": "^0.63",
            "kind": null,
            "rename": null,
            "optional": false,
            "uses_default_features": true,
            "features": [],
            "target": null,
            "registry": null,
        }],
        "targets": [],
        "features": { "proxy_wasm_version_0_2_100": [], "default": [] },
        "manifest_path": "/fuzz/plugin/Cargo.toml",
        "metadata": { "wasmkit": {} },
    });
    serde_json::from_value(json).expect("a valid package")
}
