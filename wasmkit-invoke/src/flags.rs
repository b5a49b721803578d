//! The sandbox, limit and mock options of `invoke` as typed on the command
//! line, checked into the [`SessionOptions`] a session runs with.

use std::path::Path;

use wasmkit_core::{Diagnostic, Diagnostics, codes};

use crate::limits::{self, Limits};
use crate::mocks;
use crate::sandbox::{DirGrant, SandboxOptions, parse_env};
use crate::session::SessionOptions;

/// `--dir`, `--env`, `--inherit-env`, `--timeout`, `--fuel`,
/// `--max-memory`, `--mock` and `--mocks`, as typed.
#[derive(Clone, Debug, Default)]
pub struct SessionFlags<'a> {
    /// `HOST[::GUEST]` each.
    pub dirs: &'a [String],
    /// `KEY=VALUE` each.
    pub env: &'a [String],
    /// `--inherit-env`.
    pub inherit_env: bool,
    /// A duration such as `500ms`, or `off`.
    pub timeout: Option<&'a str>,
    /// `--fuel`.
    pub fuel: Option<u64>,
    /// A size such as `64MiB`.
    pub max_memory: &'a str,
    /// `NAME=VALUE` each.
    pub mock: &'a [String],
    /// The `--mocks` file.
    pub mocks_file: Option<&'a Path>,
}

impl SessionFlags<'_> {
    /// Checks every option, or says which is wrong and how to write it.
    pub fn options(&self) -> Result<SessionOptions, Diagnostics> {
        let timeout = match self.timeout {
            None => None,
            Some(t) => limits::parse_timeout(t).map_err(|e| {
                Diagnostic::error(
                    codes::INVALID_OPTION,
                    format!("invalid `--timeout {t}`: {e}"),
                )
                .with_help("write a duration such as `500ms`, `10s` or `2m`, or `off`")
            })?,
        };
        let max_memory = limits::parse_bytes(self.max_memory).ok_or_else(|| {
            Diagnostic::error(
                codes::INVALID_OPTION,
                format!("invalid `--max-memory {}`", self.max_memory),
            )
            .with_help("write a size such as `64MiB`, `1GiB` or a number of bytes")
        })?;
        let dirs = self
            .dirs
            .iter()
            .map(|d| DirGrant::parse(d))
            .collect::<Result<_, _>>()?;
        let env = self
            .env
            .iter()
            .map(|e| parse_env(e))
            .collect::<Result<_, _>>()?;
        let mut mocks = match self.mocks_file {
            Some(path) => mocks::read_file(path)?,
            None => Vec::new(),
        };
        for m in self.mock {
            mocks.push(mocks::from_argument(m)?);
        }
        Ok(SessionOptions {
            sandbox: SandboxOptions {
                dirs,
                env,
                inherit_env: self.inherit_env,
            },
            limits: Limits {
                timeout,
                fuel: self.fuel,
                max_memory,
            },
            mocks,
        })
    }
}
