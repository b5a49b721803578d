//! How a plugin's settings are shown: rows for `config` and `build
//! --explain`, and the JSON object of `config --message-format json`.

use crate::keys::Key;

use super::origin::Origin;
use super::plugin::PluginConfig;
use super::values::{HostKind, TagUse};

impl PluginConfig {
    /// Every setting as (key, value as `.buildrc` would write it, origin),
    /// for `config` and `build --explain`.
    pub fn settings(&self) -> Vec<(Key, String, String)> {
        let list_origin = |origins: Vec<&Origin>| -> String {
            let mut uniq: Vec<String> = Vec::new();
            for o in origins {
                let s = o.to_string();
                if !uniq.contains(&s) {
                    uniq.push(s);
                }
            }
            if uniq.is_empty() {
                Origin::DEFAULT.to_string()
            } else {
                uniq.join("; ")
            }
        };
        Key::ALL
            .into_iter()
            .map(|key| {
                let (value, origin) = match key {
                    Key::ExtraTags => (
                        self.tags
                            .iter()
                            .map(|t| {
                                let how = match t.applied_as {
                                    TagUse::Feature => "feature",
                                    TagUse::Cfg => "cfg",
                                };
                                format!("{} ({how})", t.name)
                            })
                            .collect::<Vec<_>>()
                            .join(" "),
                        list_origin(self.tags.iter().map(|t| &t.origin).collect()),
                    ),
                    Key::Features => (
                        self.features
                            .iter()
                            .map(|f| f.name.clone())
                            .collect::<Vec<_>>()
                            .join(" "),
                        list_origin(self.features.iter().map(|f| &f.origin).collect()),
                    ),
                    Key::NoDefaultFeatures => (
                        self.no_default_features.value.to_string(),
                        self.no_default_features.origin.to_string(),
                    ),
                    Key::Target => (self.target.value.clone(), self.target.origin.to_string()),
                    Key::Profile => (self.profile.value.clone(), self.profile.origin.to_string()),
                    Key::Rustflags => (
                        self.rustflags.value.join(" "),
                        self.rustflags.origin.to_string(),
                    ),
                    Key::Component => (
                        self.component.value.as_str().to_string(),
                        self.component.origin.to_string(),
                    ),
                    Key::Host => (
                        self.host.value.map_or("auto", HostKind::as_str).to_string(),
                        self.host.origin.to_string(),
                    ),
                    Key::ProxyKind => (
                        self.proxy_kind.value.as_str().to_string(),
                        self.proxy_kind.origin.to_string(),
                    ),
                    Key::RootId => (self.root_id.value.clone(), self.root_id.origin.to_string()),
                    Key::VmId => (self.vm_id.value.clone(), self.vm_id.origin.to_string()),
                    Key::VerifyConfig => (
                        self.verify_config
                            .value
                            .as_deref()
                            .map(|p| crate::display_path(p).to_string())
                            .unwrap_or_default(),
                        self.verify_config.origin.to_string(),
                    ),
                    Key::VerifyInvoke => (
                        self.verify_invoke.value.join("; "),
                        self.verify_invoke.origin.to_string(),
                    ),
                    Key::VerifyExpect => (
                        self.verify_expect.value.join("; "),
                        self.verify_expect.origin.to_string(),
                    ),
                    Key::VerifyMocks => (
                        self.verify_mocks.value.join("; "),
                        self.verify_mocks.origin.to_string(),
                    ),
                    Key::VerifyHttp => (
                        self.verify_http.value.join("; "),
                        self.verify_http.origin.to_string(),
                    ),
                };
                (key, value, origin)
            })
            .collect()
    }

    /// The JSON object `config --message-format json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let origin_json = |o: &Origin| serde_json::to_value(o).unwrap_or_default();
        let resolved = |value: serde_json::Value, origin: &Origin| serde_json::json!({ "value": value, "origin": origin_json(origin) });
        let mut settings = serde_json::Map::new();
        settings.insert(
            Key::ExtraTags.buildrc_name().into(),
            serde_json::Value::Array(
                self.tags
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "value": t.name,
                            "applied-as": t.applied_as,
                            "origin": origin_json(&t.origin),
                        })
                    })
                    .collect(),
            ),
        );
        settings.insert(
            Key::Features.buildrc_name().into(),
            serde_json::Value::Array(
                self.features
                    .iter()
                    .map(|f| serde_json::json!({ "value": f.name, "origin": origin_json(&f.origin) }))
                    .collect(),
            ),
        );
        settings.insert(
            Key::NoDefaultFeatures.buildrc_name().into(),
            resolved(
                self.no_default_features.value.into(),
                &self.no_default_features.origin,
            ),
        );
        settings.insert(
            Key::Target.buildrc_name().into(),
            resolved(self.target.value.clone().into(), &self.target.origin),
        );
        settings.insert(
            Key::Profile.buildrc_name().into(),
            resolved(self.profile.value.clone().into(), &self.profile.origin),
        );
        settings.insert(
            Key::Rustflags.buildrc_name().into(),
            resolved(self.rustflags.value.clone().into(), &self.rustflags.origin),
        );
        settings.insert(
            Key::Component.buildrc_name().into(),
            resolved(self.component.value.as_str().into(), &self.component.origin),
        );
        settings.insert(
            Key::Host.buildrc_name().into(),
            resolved(
                self.host.value.map(HostKind::as_str).into(),
                &self.host.origin,
            ),
        );
        settings.insert(
            Key::ProxyKind.buildrc_name().into(),
            resolved(
                self.proxy_kind.value.as_str().into(),
                &self.proxy_kind.origin,
            ),
        );
        settings.insert(
            Key::RootId.buildrc_name().into(),
            resolved(self.root_id.value.clone().into(), &self.root_id.origin),
        );
        settings.insert(
            Key::VmId.buildrc_name().into(),
            resolved(self.vm_id.value.clone().into(), &self.vm_id.origin),
        );
        settings.insert(
            Key::VerifyConfig.buildrc_name().into(),
            resolved(
                self.verify_config
                    .value
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .into(),
                &self.verify_config.origin,
            ),
        );
        settings.insert(
            Key::VerifyInvoke.buildrc_name().into(),
            resolved(
                self.verify_invoke.value.clone().into(),
                &self.verify_invoke.origin,
            ),
        );
        settings.insert(
            Key::VerifyExpect.buildrc_name().into(),
            resolved(
                self.verify_expect.value.clone().into(),
                &self.verify_expect.origin,
            ),
        );
        settings.insert(
            Key::VerifyMocks.buildrc_name().into(),
            resolved(
                self.verify_mocks.value.clone().into(),
                &self.verify_mocks.origin,
            ),
        );
        settings.insert(
            Key::VerifyHttp.buildrc_name().into(),
            resolved(
                self.verify_http.value.clone().into(),
                &self.verify_http.origin,
            ),
        );
        serde_json::json!({
            "reason": "wasmkit-plugin-config",
            "package": self.package.name,
            "version": self.package.version.to_string(),
            "manifest_path": self.package.manifest_path,
            "plugin": serde_json::to_value(&self.reason).unwrap_or_default(),
            "buildrc": self.buildrc_path,
            "settings": settings,
        })
    }
}

/// Settings rows (name, value, origin) as aligned lines
/// `  NAME  value  origin`, for `config` and `build --explain`: an empty
/// value shows as `-`, and the value column is at most `max_width` wide.
pub fn settings_table<'a>(
    rows: impl IntoIterator<Item = (&'a str, String, String)>,
    max_width: usize,
) -> Vec<String> {
    let rows: Vec<(&str, String, String)> = rows
        .into_iter()
        .map(|(name, value, origin)| {
            let value = if value.is_empty() { "-".into() } else { value };
            (name, value, origin)
        })
        .collect();
    let width = rows
        .iter()
        .map(|(_, v, _)| v.chars().count())
        .max()
        .unwrap_or(1)
        .min(max_width);
    rows.into_iter()
        .map(|(name, value, origin)| format!("  {name:<19}  {value:<width$}  {origin}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_table_aligns_values_and_caps_the_column() {
        let row = |name, value: &str, origin: &str| (name, value.to_string(), origin.to_string());
        assert_eq!(
            settings_table(
                [
                    row("TARGET", "wasm32-wasip1", "default"),
                    row("RUSTFLAGS", "", "default"),
                    row("EXTRA_TAGS", &"t".repeat(30), ".buildrc:1"),
                ],
                20,
            ),
            vec![
                "  TARGET               wasm32-wasip1         default",
                "  RUSTFLAGS            -                     default",
                format!("  EXTRA_TAGS           {}  .buildrc:1", "t".repeat(30)).as_str(),
            ]
        );
    }
}
