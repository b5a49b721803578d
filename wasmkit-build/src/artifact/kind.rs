//! What an artifact is: the one vocabulary that build records and verify
//! reports share.

use serde::{Deserialize, Serialize};

/// What an artifact is.
///
/// A build record only ever holds [`ArtifactKind::Component`] or
/// [`ArtifactKind::CoreModule`] (read from the header, [`ArtifactKind::of`]);
/// verify looks further into a core module and tells proxy-wasm modules and
/// WASI commands apart, and calls bytes that are not wasm unreadable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A component (component model).
    Component,
    /// A proxy-wasm module.
    ProxyWasm,
    /// A WASI command module (`_start`).
    WasiCommand,
    /// Any other core WebAssembly module.
    CoreModule,
    /// Not readable as wasm at all.
    Unreadable,
}

impl ArtifactKind {
    /// Decides between component and core module from the bytes' header.
    pub fn of(bytes: &[u8]) -> ArtifactKind {
        if wasmparser::Parser::is_component(bytes) {
            ArtifactKind::Component
        } else {
            ArtifactKind::CoreModule
        }
    }

    /// `component`, `core module` and so on, for people.
    pub fn describe(self) -> &'static str {
        match self {
            ArtifactKind::Component => "component",
            ArtifactKind::ProxyWasm => "proxy-wasm module",
            ArtifactKind::WasiCommand => "WASI command module",
            ArtifactKind::CoreModule => "core module",
            ArtifactKind::Unreadable => "unreadable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_comes_from_the_header() {
        assert_eq!(
            ArtifactKind::of(b"\0asm\x01\0\0\0"),
            ArtifactKind::CoreModule
        );
        assert_eq!(
            ArtifactKind::of(b"\0asm\x0d\0\x01\0"),
            ArtifactKind::Component
        );
    }

    #[test]
    fn kinds_serialise_in_kebab_case() {
        let names: Vec<String> = [
            ArtifactKind::Component,
            ArtifactKind::ProxyWasm,
            ArtifactKind::WasiCommand,
            ArtifactKind::CoreModule,
            ArtifactKind::Unreadable,
        ]
        .iter()
        .map(|kind| serde_json::to_string(kind).expect("serialise"))
        .collect();
        assert_eq!(
            names,
            [
                "\"component\"",
                "\"proxy-wasm\"",
                "\"wasi-command\"",
                "\"core-module\"",
                "\"unreadable\""
            ]
        );
    }
}
