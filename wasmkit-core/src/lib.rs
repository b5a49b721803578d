//! Configuration and diagnostics shared by every `cargo wasmkit` command.
//!
//! This crate owns: finding a workspace's plugins ([`workspace`], and why
//! each is one: [`plugin`]), reading
//! their `.buildrc` files ([`buildrc`]) and `wasmkit` metadata tables
//! ([`metadata`]), resolving their settings with provenance ([`config`]),
//! the one [`Diagnostic`] type with its renderings, the exit codes
//! ([`ExitStatus`]), the terminal ([`Shell`]), and the file locks that keep
//! concurrent runs apart ([`lock`]).
//!
//! It must not run wasm or depend on wasmtime; that is `wasmkit-invoke`'s.

pub mod buildrc;
pub mod codes;
pub mod config;
pub mod diagnostic;
mod exit;
pub mod http_check;
pub mod keys;
pub mod lock;
pub mod metadata;
pub mod plugin;
pub mod shell;
pub mod suggest;
pub mod workspace;

pub use codes::Code;
pub use config::{ComponentMode, HostKind, PluginConfig};
pub use diagnostic::{Diagnostic, Diagnostics, Label, Severity, SourceFile};
pub use exit::ExitStatus;
pub use keys::Key;
pub use shell::{ColorChoice, MessageFormat, Shell, Verbosity};

use std::path::Path;

/// A path as shown to the user: relative to the current directory when it
/// is below it, else as given.
pub fn display_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    match relative {
        Some(r) if r.as_os_str().is_empty() => ".".to_string(),
        Some(r) => r.display().to_string(),
        None => path.display().to_string(),
    }
}

/// Quotes a word for a POSIX shell, leaving plain words bare.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | '=' | ':' | ',' | '+' | '@' | '%')
        });
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}
