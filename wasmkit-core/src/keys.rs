//! The settings a plugin can have, under their two spellings:
//! `SCREAMING_SNAKE` in `.buildrc`, kebab-case in `[package.metadata.wasmkit]`.

/// A plugin setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// `EXTRA_TAGS`: build tags; a feature where the plugin declares one, else a `--cfg`.
    ExtraTags,
    /// `FEATURES`: cargo features of the plugin.
    Features,
    /// `NO_DEFAULT_FEATURES`: build without the plugin's default features.
    NoDefaultFeatures,
    /// `TARGET`: the wasm target triple.
    Target,
    /// `PROFILE`: the cargo profile.
    Profile,
    /// `RUSTFLAGS`: extra flags for rustc, for this plugin's build only.
    Rustflags,
    /// `COMPONENT`: wrap a `wasm32-wasip1` module into a component.
    Component,
    /// `HOST`: the host profile that verify checks against.
    Host,
    /// `VERIFY_CONFIG`: a file whose bytes are the plugin configuration in verify.
    VerifyConfig,
    /// `VERIFY_INVOKE`: WAVE calls that verify makes.
    VerifyInvoke,
    /// `VERIFY_EXPECT`: the WAVE results those calls must return.
    VerifyExpect,
    /// `VERIFY_MOCKS`: `NAME=VALUE` results for the component's imports in those calls.
    VerifyMocks,
    /// `VERIFY_HTTP`: requests verify sends to an HTTP component, and the statuses they must get.
    VerifyHttp,
}

impl Key {
    /// Every key, in the order `config` shows them.
    pub const ALL: [Key; 13] = [
        Key::ExtraTags,
        Key::Features,
        Key::NoDefaultFeatures,
        Key::Target,
        Key::Profile,
        Key::Rustflags,
        Key::Component,
        Key::Host,
        Key::VerifyConfig,
        Key::VerifyInvoke,
        Key::VerifyExpect,
        Key::VerifyMocks,
        Key::VerifyHttp,
    ];

    /// The `.buildrc` spelling.
    pub fn buildrc_name(self) -> &'static str {
        match self {
            Key::ExtraTags => "EXTRA_TAGS",
            Key::Features => "FEATURES",
            Key::NoDefaultFeatures => "NO_DEFAULT_FEATURES",
            Key::Target => "TARGET",
            Key::Profile => "PROFILE",
            Key::Rustflags => "RUSTFLAGS",
            Key::Component => "COMPONENT",
            Key::Host => "HOST",
            Key::VerifyConfig => "VERIFY_CONFIG",
            Key::VerifyInvoke => "VERIFY_INVOKE",
            Key::VerifyExpect => "VERIFY_EXPECT",
            Key::VerifyMocks => "VERIFY_MOCKS",
            Key::VerifyHttp => "VERIFY_HTTP",
        }
    }

    /// The `[package.metadata.wasmkit]` spelling.
    pub fn metadata_name(self) -> &'static str {
        match self {
            Key::ExtraTags => "extra-tags",
            Key::Features => "features",
            Key::NoDefaultFeatures => "no-default-features",
            Key::Target => "target",
            Key::Profile => "profile",
            Key::Rustflags => "rustflags",
            Key::Component => "component",
            Key::Host => "host",
            Key::VerifyConfig => "verify-config",
            Key::VerifyInvoke => "verify-invoke",
            Key::VerifyExpect => "verify-expect",
            Key::VerifyMocks => "verify-mocks",
            Key::VerifyHttp => "verify-http",
        }
    }

    /// The key with this `.buildrc` name.
    pub fn from_buildrc_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.buildrc_name() == name)
    }

    /// The key with this metadata name.
    pub fn from_metadata_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.metadata_name() == name)
    }

    /// Whether the value is a list (space- or comma-separated in `.buildrc`,
    /// a string or an array of strings in TOML).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Key::ExtraTags
                | Key::Features
                | Key::Rustflags
                | Key::VerifyInvoke
                | Key::VerifyExpect
                | Key::VerifyMocks
                | Key::VerifyHttp
        )
    }

    /// The key a misspelt `.buildrc` name most likely meant.
    pub fn suggest_buildrc(name: &str) -> Option<Key> {
        let upper = name.to_ascii_uppercase().replace('-', "_");
        if let Some(key) = Key::from_buildrc_name(&upper) {
            return Some(key);
        }
        crate::suggest::did_you_mean(&upper, Key::ALL.iter().map(|k| k.buildrc_name()))
            .and_then(Key::from_buildrc_name)
    }

    /// The key a misspelt metadata name most likely meant.
    pub fn suggest_metadata(name: &str) -> Option<Key> {
        let kebab = name.to_ascii_lowercase().replace('_', "-");
        if let Some(key) = Key::from_metadata_name(&kebab) {
            return Some(key);
        }
        crate::suggest::did_you_mean(&kebab, Key::ALL.iter().map(|k| k.metadata_name()))
            .and_then(Key::from_metadata_name)
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.buildrc_name())
    }
}

#[cfg(test)]
mod tests {
    use super::Key;

    #[test]
    fn spellings_round_trip() {
        for key in Key::ALL {
            assert_eq!(Key::from_buildrc_name(key.buildrc_name()), Some(key));
            assert_eq!(Key::from_metadata_name(key.metadata_name()), Some(key));
            assert_eq!(
                key.metadata_name(),
                key.buildrc_name().to_ascii_lowercase().replace('_', "-")
            );
        }
    }

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(Key::suggest_buildrc("EXTRA_TAG"), Some(Key::ExtraTags));
        assert_eq!(Key::suggest_buildrc("extra_tags"), Some(Key::ExtraTags));
        assert_eq!(Key::suggest_buildrc("FEATURE"), Some(Key::Features));
        assert_eq!(
            Key::suggest_buildrc("VERIFY_EXPECTED"),
            Some(Key::VerifyExpect)
        );
        assert_eq!(Key::suggest_buildrc("PATH"), None);
        assert_eq!(Key::suggest_metadata("extra_tags"), Some(Key::ExtraTags));
        assert_eq!(Key::suggest_metadata("targett"), Some(Key::Target));
    }
}
