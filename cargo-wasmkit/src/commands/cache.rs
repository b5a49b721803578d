//! `cargo wasmkit cache`: where the compile cache is, how much it holds and
//! its size cap; `cargo wasmkit cache clean` empties it.

use std::path::Path;

use clap::{Args, Subcommand};
use wasmkit_core::{Diagnostic, ExitStatus, MessageFormat, Shell, codes, display_path};
use wasmkit_invoke::cache::{self, CompileCache, MAX_VARIABLE, SizeCap};
use wasmkit_invoke::limits::format_bytes;

use super::CommandResult;

#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    #[command(subcommand)]
    pub action: Option<CacheAction>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CacheAction {
    /// Remove every compiled entry from the cache
    Clean,
}

impl CacheArgs {
    pub(crate) fn run(&self, shell: &Shell) -> CommandResult {
        let dir = CompileCache::default_dir().ok_or_else(|| {
            Diagnostic::error(codes::USAGE, "there is no compile cache directory")
                .with_help("set `WASMKIT_CACHE_DIR`, `XDG_CACHE_HOME` or `HOME`")
        })?;
        match self.action {
            None => show(&dir, shell),
            Some(CacheAction::Clean) => clean(&dir, shell),
        }
    }
}

fn show(dir: &Path, shell: &Shell) -> CommandResult {
    let cap = SizeCap::from_env()?;
    let usage = cache::usage(dir).map_err(|e| Diagnostic::read_failed(dir, &e))?;
    let trusted = CompileCache::is_trusted_dir(dir);
    if shell.format() == MessageFormat::Json {
        shell.json(&serde_json::json!({
            "reason": "wasmkit-cache",
            "directory": dir,
            "entries": usage.entries,
            "bytes": usage.bytes,
            "max_bytes": cap.bytes,
            "max_from": if cap.from_env { MAX_VARIABLE } else { "default" },
            "trusted": trusted,
        }));
        return Ok(ExitStatus::Success);
    }
    let limit = format_bytes(usize::try_from(cap.bytes).unwrap_or(usize::MAX));
    let from = if cap.from_env {
        MAX_VARIABLE.to_string()
    } else {
        format!("default; `{MAX_VARIABLE}` changes it")
    };
    shell.out(format_args!("directory  {}", display_path(dir)));
    shell.out(format_args!("size       {}", usage.describe()));
    shell.out(format_args!("limit      {limit} ({from})"));
    if !trusted {
        shell.warn(format_args!(
            "`{}` is writable by other users, so its entries are not used",
            display_path(dir)
        ));
    }
    Ok(ExitStatus::Success)
}

fn clean(dir: &Path, shell: &Shell) -> CommandResult {
    let removed = cache::clean(dir).map_err(|e| {
        Diagnostic::error(
            codes::WRITE_FAILED,
            format!("cannot clean `{}`: {e}", display_path(dir)),
        )
    })?;
    if shell.format() == MessageFormat::Json {
        shell.json(&serde_json::json!({
            "reason": "wasmkit-cache-clean",
            "directory": dir,
            "entries": removed.entries,
            "bytes": removed.bytes,
        }));
    } else {
        shell.status(
            "Removed",
            format_args!("{} from {}", removed.describe(), display_path(dir)),
        );
    }
    Ok(ExitStatus::Success)
}
