//! Every diagnostic code, in one place.
//!
//! A code is stable: tools may match on it. Its kind decides the exit code
//! of a run that reports it as an error (see [`crate::ExitStatus`]).

use crate::ExitStatus;

/// A stable diagnostic code and the exit status it implies when reported as
/// an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Code {
    name: &'static str,
    exit: ExitStatus,
}

impl Code {
    const fn input(name: &'static str) -> Code {
        Code {
            name,
            exit: ExitStatus::BadInput,
        }
    }

    const fn failure(name: &'static str) -> Code {
        Code {
            name,
            exit: ExitStatus::Failure,
        }
    }

    /// The code as printed: `error[<name>]`.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The exit status of a run that reports this code as an error.
    pub fn exit_status(self) -> ExitStatus {
        self.exit
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

// Command line and files.
/// The command line was malformed.
pub const USAGE: Code = Code::input("usage");
/// A file could not be read (missing, a directory, no permission).
pub const READ_FAILED: Code = Code::input("read-failed");
/// A file could not be written.
pub const WRITE_FAILED: Code = Code::failure("write-failed");
/// `new` refused: an invalid package name, or a destination that is not empty, already a member or excluded from the workspace.
pub const NEW_REFUSED: Code = Code::input("new-refused");

// Cargo and the workspace.
/// `cargo metadata` failed: the manifest or workspace is broken.
pub const CARGO_METADATA: Code = Code::input("cargo-metadata");
/// A cargo process could not be started.
pub const CARGO_SPAWN: Code = Code::failure("cargo-spawn");
/// A `-p` or `--exclude` name matches no workspace member.
pub const UNKNOWN_PACKAGE: Code = Code::input("unknown-package");
/// A selected package has neither a `.buildrc` nor `[package.metadata.wasmkit]`.
pub const NOT_A_PLUGIN: Code = Code::input("not-a-plugin");
/// The selection holds no plugin at all.
pub const NO_PLUGINS: Code = Code::input("no-plugins");

// `.buildrc` files.
/// A `.buildrc` line is not a `KEY=VALUE` assignment.
pub const BUILDRC_SYNTAX: Code = Code::input("buildrc-syntax");
/// A `.buildrc` line is a shell command, which is never run.
pub const BUILDRC_COMMAND: Code = Code::input("buildrc-command");
/// `$(...)`, `${...}`, `$VAR` or a backtick in a `.buildrc` value.
pub const BUILDRC_SUBSTITUTION: Code = Code::input("buildrc-substitution");
/// A quote in a `.buildrc` value is never closed.
pub const BUILDRC_UNTERMINATED_QUOTE: Code = Code::input("buildrc-unterminated-quote");
/// A key is set twice in one `.buildrc`.
pub const BUILDRC_DUPLICATE_KEY: Code = Code::input("buildrc-duplicate-key");
/// A `.buildrc` is not valid UTF-8.
pub const BUILDRC_ENCODING: Code = Code::input("buildrc-encoding");
/// A key that cargo-wasmkit does not know.
pub const UNKNOWN_KEY: Code = Code::input("unknown-key");
/// A known key with a value it cannot take.
pub const INVALID_VALUE: Code = Code::input("invalid-value");
/// A `[package.metadata.wasmkit]` or `[workspace.metadata.wasmkit]` value of the wrong TOML type.
pub const METADATA_TYPE: Code = Code::input("metadata-type");
/// A `Cargo.toml` that cannot be parsed as TOML.
pub const MANIFEST_SYNTAX: Code = Code::input("manifest-syntax");

// Building.
/// A wasm target is not installed and could not be installed.
pub const TARGET_MISSING: Code = Code::input("target-missing");
/// An `EXTRA_TAGS` entry is neither a feature of the plugin nor a valid cfg name.
pub const INVALID_TAG: Code = Code::input("invalid-tag");
/// Cargo failed to build a plugin.
pub const BUILD_FAILED: Code = Code::failure("build-failed");
/// A built artifact could not be wrapped into a component.
pub const COMPONENT_WRAP: Code = Code::failure("component-wrap");
/// An artifact is older than the last build attempt (that build failed or was interrupted).
pub const STALE_ARTIFACT: Code = Code::failure("stale-artifact");
/// A plugin has no built artifact yet.
pub const MISSING_ARTIFACT: Code = Code::input("missing-artifact");
/// `invoke -p` refused an artifact that failed verification.
pub const UNVERIFIED_ARTIFACT: Code = Code::failure("unverified-artifact");

// Reading wasm.
/// The file is not WebAssembly (empty, text, truncated header).
pub const NOT_WASM: Code = Code::input("not-wasm");
/// The file is WebAssembly but does not validate.
pub const INVALID_WASM: Code = Code::input("invalid-wasm");
/// A `.wat` file that does not parse.
pub const WAT_SYNTAX: Code = Code::input("wat-syntax");

// Calling functions.
/// The call is not valid WAVE syntax.
pub const WAVE_SYNTAX: Code = Code::input("wave-syntax");
/// An argument does not have the parameter's type.
pub const WAVE_TYPE: Code = Code::input("wave-type");
/// Too many or too few arguments.
pub const ARGUMENT_COUNT: Code = Code::input("argument-count");
/// No export has that name.
pub const UNKNOWN_FUNCTION: Code = Code::input("unknown-function");
/// A plain name matches functions in several exported interfaces.
pub const AMBIGUOUS_FUNCTION: Code = Code::input("ambiguous-function");
/// A parameter or result type that WAVE cannot write (resource, future, stream).
pub const UNSUPPORTED_TYPE: Code = Code::input("unsupported-type");
/// A name in a call that no `let` bound.
pub const UNKNOWN_NAME: Code = Code::input("unknown-name");
/// A bound name whose resource handle was moved into a call or dropped.
pub const HANDLE_GONE: Code = Code::input("handle-gone");
/// A `--mock` (or `VERIFY_MOCKS` item) that names no import, or whose value does not fit its result.
pub const INVALID_MOCK: Code = Code::input("invalid-mock");
/// The count of further errors of a run, past those shown in full.
pub const ERRORS_NOT_SHOWN: Code = Code::input("errors-not-shown");
/// An invalid `--dir`, `--env`, `--timeout` or similar option value.
pub const INVALID_OPTION: Code = Code::input("invalid-option");
/// Instantiation failed (a missing import, a start function that trapped).
pub const INSTANTIATE_FAILED: Code = Code::failure("instantiate-failed");
/// The guest trapped.
pub const TRAP: Code = Code::failure("trap");
/// The guest ran past its time limit.
pub const TIMEOUT: Code = Code::failure("timeout");
/// The guest used up its fuel.
pub const OUT_OF_FUEL: Code = Code::failure("out-of-fuel");
/// The guest overflowed its call stack.
pub const STACK_OVERFLOW: Code = Code::failure("stack-overflow");
/// The guest tried to grow memory beyond the cap.
pub const MEMORY_LIMIT: Code = Code::failure("memory-limit");
/// The guest exited with a non-zero status.
pub const GUEST_EXIT: Code = Code::failure("guest-exit");

// HTTP components.
/// `--http` (or `VERIFY_HTTP`) on a component without `wasi:http/incoming-handler`.
pub const NOT_AN_HTTP_HANDLER: Code = Code::input("not-an-http-handler");
/// An HTTP handler returned without a response, or its body ended with an error.
pub const NO_RESPONSE: Code = Code::failure("no-response");
/// An outgoing request of an HTTP handler was refused (the sandbox has no network).
pub const OUTBOUND_DENIED: Code = Code::failure("outbound-denied");
/// `--fail`: the handler answered with a status of 400 or more.
pub const HTTP_ERROR_STATUS: Code = Code::failure("http-error-status");

// Verifying.
/// A component import that the host profile does not provide (in verify), or
/// that a call reached with nothing providing or mocking it (in invoke).
pub const UNPROVIDED_IMPORT: Code = Code::failure("unprovided-import");
/// A `VERIFY_INVOKE` result differs from `VERIFY_EXPECT`.
pub const EXPECTATION_FAILED: Code = Code::failure("expectation-failed");
/// `VERIFY_INVOKE` and `VERIFY_EXPECT` do not pair up, or an expected value does not parse.
pub const EXPECTATION_INVALID: Code = Code::input("expectation-invalid");
/// A proxy-wasm module has no, several, or an unknown ABI marker.
pub const ABI_MARKER: Code = Code::failure("abi-marker");
/// A proxy-wasm module exports no allocator.
pub const MISSING_ALLOCATOR: Code = Code::failure("missing-allocator");
/// A proxy-wasm module built as a command (`_start`, no `_initialize`).
pub const COMMAND_MODEL: Code = Code::failure("command-model");
/// A proxy-wasm callback with the wrong number or types of parameters.
pub const CALLBACK_SIGNATURE: Code = Code::failure("callback-signature");
/// The plugin rejected its configuration (`proxy_on_configure` returned false).
pub const CONFIGURE_REJECTED: Code = Code::failure("configure-rejected");
/// The plugin rejected VM start (`proxy_on_vm_start` returned false).
pub const VM_START_REJECTED: Code = Code::failure("vm-start-rejected");
/// The request never completed in the mock host.
pub const REQUEST_STALLED: Code = Code::failure("request-stalled");
/// A plugin called a host function with bad arguments or in a way the host rejects.
pub const HOST_CALL: Code = Code::failure("host-call");
/// A WASI command module is not run unless `--run` is given.
pub const NOT_RUN: Code = Code::failure("not-run");
