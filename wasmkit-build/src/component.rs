//! `COMPONENT=reactor|command`: wrapping a core module built for
//! `wasm32-wasip1` into a component, with the WASI preview1 adapter of the
//! wasmtime release this tool runs (so that the component's WASI imports are
//! the ones `verify` and `invoke` provide).

use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
    WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};
use wasmkit_core::config::ComponentMode;
use wit_component::ComponentEncoder;

/// Why a module could not be wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WrapError {
    /// The input is already a component.
    AlreadyComponent,
    /// The encoder rejected the module (its message, with causes).
    Encode(String),
}

impl std::fmt::Display for WrapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WrapError::AlreadyComponent => f.write_str("it is already a component"),
            WrapError::Encode(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for WrapError {}

/// The adapter's file name, for people (`wasi_snapshot_preview1.reactor.wasm`).
pub(crate) fn adapter_name(mode: ComponentMode) -> Option<&'static str> {
    match mode {
        ComponentMode::None => None,
        ComponentMode::Reactor => Some("wasi_snapshot_preview1.reactor.wasm"),
        ComponentMode::Command => Some("wasi_snapshot_preview1.command.wasm"),
    }
}

/// Wraps `module` into a component with the adapter for `mode`; with
/// [`ComponentMode::None`], returns the bytes unchanged.
pub(crate) fn wrap(module: &[u8], mode: ComponentMode) -> Result<Vec<u8>, WrapError> {
    let adapter = match mode {
        ComponentMode::None => return Ok(module.to_vec()),
        ComponentMode::Reactor => WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        ComponentMode::Command => WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
    };
    if wasmparser::Parser::is_component(module) {
        return Err(WrapError::AlreadyComponent);
    }
    // `{:#}` keeps the encoder's whole chain of causes on one line.
    let chain = |e: &dyn std::fmt::Display| WrapError::Encode(format!("{e:#}"));
    ComponentEncoder::default()
        .validate(true)
        .module(module)
        .map_err(|e| chain(&e))?
        .adapter(WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, adapter)
        .map_err(|e| chain(&e))?
        .encode()
        .map_err(|e| chain(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_a_wasi_module_into_a_component() {
        let module = wat::parse_str(
            r#"(module
                (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
                (memory (export "memory") 1)
                (func (export "_start"))
            )"#,
        )
        .expect("wat");
        let command = wrap(&module, ComponentMode::Command).expect("wrap");
        assert!(wasmparser::Parser::is_component(&command));
        assert!(
            wasmparser::Validator::new().validate_all(&command).is_ok(),
            "the component validates"
        );
        assert_eq!(
            wrap(&command, ComponentMode::Reactor),
            Err(WrapError::AlreadyComponent)
        );
        assert_eq!(wrap(&module, ComponentMode::None).expect("none"), module);
    }
}
