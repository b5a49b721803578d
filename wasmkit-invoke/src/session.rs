//! One guest instance and the calls made on it, for a component or a core
//! module alike.

use std::sync::Arc;

use wasmkit_core::{Diagnostic, codes};
use wasmtime::component::wasm_wave::untyped::UntypedValue;
use wasmtime::component::wasm_wave::wasm::{DisplayFuncResults, WasmValue};

use crate::call::CallSource;
use crate::component::ComponentSession;
use crate::exports::ComponentExports;
use crate::imports::{ComponentImports, ImportCall};
use crate::input::WasmInput;
use crate::limits::Limits;
use crate::listing::{Catalog, Item, Listing};
use crate::module::ModuleSession;
use crate::names::Named;
use crate::runtime::{CacheOutcome, Compiled, Runtime};
use crate::sandbox::{OutputSink, SandboxOptions};

/// How a session runs its guest.
#[derive(Clone, Debug, Default)]
pub struct SessionOptions {
    /// What the guest may reach.
    pub sandbox: SandboxOptions,
    /// Time, fuel and memory limits per call.
    pub limits: Limits,
    /// Results for the component's imports (`--mock`, `--mocks`,
    /// `VERIFY_MOCKS`), checked when the component is linked.
    pub mocks: Vec<crate::mocks::Mock>,
}

/// An instantiated guest.
#[derive(Debug)]
pub enum Session {
    /// A component.
    Component(ComponentSession),
    /// A core module.
    Module(ModuleSession),
}

/// One call's results.
#[derive(Clone, Debug)]
pub enum CallResults {
    /// Component values.
    Component(Vec<wasmtime::component::Val>),
    /// Core values.
    Module(Vec<wasmtime::Val>),
}

/// The outcome of one call.
#[derive(Clone, Debug)]
pub struct CallOutput {
    /// The function as the user named it.
    pub name: String,
    /// The function's full name.
    pub function: String,
    /// The results as WAVE, exactly as `wasmtime run --invoke` prints them;
    /// a resource handle is written `<RES #N>`.
    pub wave: String,
    /// The values.
    pub results: CallResults,
    /// Whether the results hold resource handles.
    pub has_handles: bool,
}

impl Session {
    /// Compiles (through the cache) and instantiates `input`.
    pub fn start(
        runtime: &Runtime,
        input: &WasmInput,
        options: &SessionOptions,
        stdout: &OutputSink,
        stderr: Option<&OutputSink>,
    ) -> Result<(Session, CacheOutcome), Diagnostic> {
        let (compiled, outcome) = runtime.compile(input)?;
        let session = Session::instantiate(runtime, &compiled, input, options, stdout, stderr)?;
        Ok((session, outcome))
    }

    /// Instantiates an already compiled input.
    pub fn instantiate(
        runtime: &Runtime,
        compiled: &Compiled,
        input: &WasmInput,
        options: &SessionOptions,
        stdout: &OutputSink,
        stderr: Option<&OutputSink>,
    ) -> Result<Session, Diagnostic> {
        let mut builder = options.sandbox.builder(stdout, stderr)?;
        Ok(match compiled {
            Compiled::Component(component) => {
                let (exports, imports) = link(runtime, component, input, options)?;
                Session::Component(ComponentSession::instantiate(
                    runtime.engine(),
                    Arc::new(exports),
                    Arc::new(imports),
                    builder.build(),
                    options.limits,
                )?)
            }
            Compiled::Module(module) => Session::Module(ModuleSession::instantiate(
                runtime.engine(),
                module,
                builder.build_p1(),
                options.limits,
            )?),
        })
    }

    /// What `--list` shows, from the compiled input alone: nothing is
    /// instantiated. Mocks are checked against the imports.
    pub fn catalog(
        runtime: &Runtime,
        compiled: &Compiled,
        input: &WasmInput,
        options: &SessionOptions,
    ) -> Result<Catalog, Diagnostic> {
        Ok(match compiled {
            Compiled::Component(component) => {
                let (exports, imports) = link(runtime, component, input, options)?;
                Catalog::of_component(&exports, &imports)
            }
            Compiled::Module(module) => module_catalog(
                module
                    .exports()
                    .filter_map(|e| e.ty().func().map(|f| (e.name().to_string(), f.clone()))),
            ),
        })
    }

    /// Makes one call: `f(args)`, `let NAME = f(args)`, a resource call
    /// (`RES.new(...)`, `NAME.method(...)`, `RES.func(...)`), or
    /// `drop(NAME)`.
    pub fn call(&mut self, src: &CallSource) -> Result<CallOutput, Diagnostic> {
        match self {
            Session::Component(s) => {
                let call = s.call(src)?;
                Ok(CallOutput {
                    wave: call.wave,
                    name: call.name,
                    function: call.function,
                    results: CallResults::Component(call.results),
                    has_handles: call.has_handles,
                })
            }
            Session::Module(s) => {
                let call = s.call(src)?;
                Ok(CallOutput {
                    wave: call.to_wave(),
                    function: call.name.clone(),
                    name: call.name,
                    results: CallResults::Module(call.results),
                    has_handles: false,
                })
            }
        }
    }

    /// The mocked (and unprovided) imports the last call reached, in
    /// order, whether it succeeded or not.
    pub fn last_imports(&self) -> &[ImportCall] {
        match self {
            Session::Component(s) => s.last_imports(),
            Session::Module(_) => &[],
        }
    }

    /// How many import calls of the last call were beyond those recorded
    /// in [`Session::last_imports`].
    pub fn last_imports_dropped(&self) -> usize {
        match self {
            Session::Component(s) => s.last_imports_dropped(),
            Session::Module(_) => 0,
        }
    }

    /// Drops the resource handles still live, oldest first, running the
    /// guest's destructors: the end of a session. Returns the handles
    /// dropped (`<counter #1>`), and the error that stopped it, if any.
    pub fn drop_live_handles(&mut self) -> (Vec<String>, Option<Diagnostic>) {
        match self {
            Session::Component(s) => s.drop_live_handles(),
            Session::Module(_) => (Vec::new(), None),
        }
    }

    /// The component session, for what only components have: bindings,
    /// handles, resources and imports.
    pub fn component(&self) -> Option<&ComponentSession> {
        match self {
            Session::Component(s) => Some(s),
            Session::Module(_) => None,
        }
    }

    /// What `--list` shows, for this instance.
    pub fn listing(&self) -> Catalog {
        match self {
            Session::Component(s) => Catalog::of_component(s.exports(), s.imports()),
            Session::Module(s) => module_catalog(s.funcs().iter().cloned()),
        }
    }

    /// Compares a call's results with an expected WAVE value (as values: the
    /// expected text is read with the result's type and written back, so
    /// `{y: 1, x: 2}` and `{x: 2, y: 1}` agree). Returns the expected value
    /// in canonical form when they differ.
    pub fn expect(
        &self,
        output: &CallOutput,
        expected: &CallSource,
    ) -> Result<Option<String>, Diagnostic> {
        let canonical = |src: &CallSource| -> Result<String, Diagnostic> {
            let text = src.text().trim();
            Ok(match &output.results {
                CallResults::Component(values) => {
                    let types = match self {
                        Session::Component(s) => s
                            .exports()
                            .funcs()
                            .iter()
                            .find(|f| f.full_name() == output.function)
                            .map(|f| f.ty.results().collect::<Vec<_>>()),
                        Session::Module(_) => None,
                    };
                    canonical_results(src, text, values, types)?
                }
                CallResults::Module(values) => {
                    let types = match self {
                        Session::Module(s) => s
                            .funcs()
                            .iter()
                            .find(|(n, _)| *n == output.function)
                            .map(|(_, ty)| ty.results().collect::<Vec<_>>()),
                        Session::Component(_) => None,
                    };
                    canonical_results(src, text, values, types)?
                }
            })
        };
        if output.has_handles {
            // Handles have no WAVE form: the text is compared as printed.
            let text = expected.text().trim();
            return Ok((text != output.wave).then(|| text.to_string()));
        }
        let expected = canonical(expected)?;
        // The results take the same way through WAVE, so that a value with
        // several spellings compares as one: wasm-wave 0.254 reads flags in
        // name order, while the guest returns them in declaration order.
        let actual =
            canonical(&CallSource::argument(&output.wave)).unwrap_or_else(|_| output.wave.clone());
        Ok((expected != actual).then_some(expected))
    }
}

/// Indexes a component's exports and links its imports (with the mocks).
fn link(
    runtime: &Runtime,
    component: &wasmtime::component::Component,
    input: &WasmInput,
    options: &SessionOptions,
) -> Result<(ComponentExports, ComponentImports), Diagnostic> {
    let exports = ComponentExports::new(component, Some(Arc::from(input.bytes.as_slice())));
    let imports = ComponentImports::link(runtime.engine(), component, &options.mocks, &|| {
        exports.wit()
    })?;
    Ok((exports, imports))
}

/// The catalog of a core module: its functions.
fn module_catalog(funcs: impl Iterator<Item = (String, wasmtime::FuncType)>) -> Catalog {
    Catalog {
        exports: funcs
            .map(|(name, ty)| {
                Item::Function(Listing {
                    signature: format!("{name}: {}", crate::module::signature(&ty)),
                    callable: !ty
                        .params()
                        .chain(ty.results())
                        .any(|t| matches!(t, wasmtime::ValType::Ref(_))),
                    name,
                })
            })
            .collect(),
        imports: Vec::new(),
    }
}

fn canonical_results<V: WasmValue>(
    expected: &CallSource,
    text: &str,
    values: &[V],
    types: Option<Vec<V::Type>>,
) -> Result<String, Diagnostic> {
    let types = types.unwrap_or_default();
    let parse_one = |t: &str, ty: &V::Type| -> Result<V, Diagnostic> {
        UntypedValue::parse(t)
            .and_then(|v| v.to_wasm_value::<V>(ty))
            .map_err(|e| {
                let offset = expected.text().find(t).unwrap_or(0);
                let span = e.span();
                Diagnostic::error(
                    codes::EXPECTATION_INVALID,
                    format!("the expected value `{text}` does not fit the result type"),
                )
                .with_label(expected.label(
                    offset + span.start..offset + span.end,
                    crate::call::reason(&e),
                ))
            })
    };
    let parsed: Vec<V> = match (types.as_slice(), values.len()) {
        ([], 0) => {
            if text != "()" {
                return Err(Diagnostic::error(
                    codes::EXPECTATION_INVALID,
                    format!("the call returns nothing, but `{text}` is expected"),
                )
                .with_label(expected.label(0..expected.text().len(), "expected `()`")));
            }
            Vec::new()
        }
        ([ty], _) => vec![parse_one(text, ty)?],
        (many, _) => {
            // Several results (core modules): a tuple of values.
            let inner = text
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or(text);
            let parts = crate::split_top_level(inner);
            if parts.len() != many.len() {
                return Err(Diagnostic::error(
                    codes::EXPECTATION_INVALID,
                    format!(
                        "the call returns {} values, but `{text}` has {}",
                        many.len(),
                        parts.len()
                    ),
                )
                .with_label(expected.label(0..expected.text().len(), "expected value")));
            }
            parts
                .iter()
                .zip(many)
                .map(|(p, ty)| parse_one(p, ty))
                .collect::<Result<_, _>>()?
        }
    };
    Ok(DisplayFuncResults(&parsed).to_string())
}
