//! Wasm targets: whether a target's standard library is installed for the
//! toolchain cargo will use, and installing it with rustup when it is not.
//!
//! The check looks for `<sysroot>/lib/rustlib/<target>/lib`, which is where
//! rustc itself finds the target's `core` and `std`, so it works the same
//! with or without rustup. The sysroot is, first, the toolchain directory
//! of the cargo that runs the build (`$CARGO` is `<toolchain>/bin/cargo`
//! under rustup and in distribution packages alike): a look at the file
//! system, no process. When that is not known, or the target is not found
//! there, rustc answers (`rustc --print sysroot`): `$RUSTC`, else the rustc
//! beside `$CARGO`, else `rustc` on `PATH`, run in the workspace root with
//! this process's environment, so that rustup resolves the toolchain as for
//! cargo (`RUSTUP_TOOLCHAIN`, `cargo +toolchain`, `rust-toolchain.toml`).
//!
//! Installing needs rustup: `rustup target add <target>`, run in the
//! workspace root for the same reason.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use wasmkit_core::{Diagnostic, Diagnostics, PluginConfig, Shell, codes};

/// The toolchain cargo will build with.
#[derive(Clone, Debug)]
pub struct Toolchain {
    /// Its sysroot.
    pub sysroot: PathBuf,
    /// Whether rustc said so (else it is the directory cargo runs from).
    pub from_rustc: bool,
    /// Where rustup is, if it is on `PATH`.
    pub rustup: Option<PathBuf>,
    workspace_root: PathBuf,
}

impl Toolchain {
    /// The toolchain of `$CARGO` when that is a toolchain's cargo and
    /// `$RUSTC` does not point elsewhere; else what rustc says.
    pub fn locate(workspace_root: &Path) -> Result<Toolchain, String> {
        let beside_cargo = std::env::var_os("RUSTC")
            .is_none()
            .then(cargo_toolchain_dir)
            .flatten();
        match beside_cargo {
            Some(sysroot) => Ok(Toolchain {
                sysroot,
                from_rustc: false,
                rustup: find_on_path("rustup"),
                workspace_root: workspace_root.to_path_buf(),
            }),
            None => Toolchain::probe(workspace_root),
        }
    }

    /// Asks rustc for its sysroot, from the workspace root. The error says
    /// why rustc could not answer.
    pub fn probe(workspace_root: &Path) -> Result<Toolchain, String> {
        let rustc = std::env::var_os("RUSTC")
            .or_else(|| {
                // The rustup proxy on PATH would resolve to the same rustc,
                // a process later.
                let dir = PathBuf::from(std::env::var_os("CARGO")?)
                    .parent()?
                    .to_path_buf();
                let rustc = dir.join(format!("rustc{}", std::env::consts::EXE_SUFFIX));
                is_executable(&rustc).then(|| rustc.into_os_string())
            })
            .unwrap_or_else(|| OsString::from("rustc"));
        let output = Command::new(&rustc)
            .args(["--print", "sysroot"])
            .current_dir(workspace_root)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run `{}`: {e}", rustc.to_string_lossy()))?;
        if !output.status.success() {
            return Err(format!(
                "`{} --print sysroot` failed: {}",
                rustc.to_string_lossy(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        Ok(Toolchain {
            sysroot,
            from_rustc: true,
            rustup: find_on_path("rustup"),
            workspace_root: workspace_root.to_path_buf(),
        })
    }

    /// Whether the standard library for `target` is installed.
    pub fn has_target(&self, target: &str) -> bool {
        self.sysroot
            .join("lib/rustlib")
            .join(target)
            .join("lib")
            .is_dir()
    }

    /// Makes sure `target` is installed, installing it with rustup if it is
    /// not (and saying so). `plugins` are the plugins that need it, named in
    /// the error.
    pub fn ensure_target(
        &self,
        target: &str,
        plugins: &[&PluginConfig],
        shell: &Shell,
    ) -> Result<(), Diagnostics> {
        if self.has_target(target) {
            return Ok(());
        }
        if !self.from_rustc {
            // Not found beside cargo: rustc has the last word.
            return match Toolchain::probe(&self.workspace_root) {
                Ok(toolchain) => toolchain.ensure_target(target, plugins, shell),
                Err(why) => Err(missing(target, plugins, &self.sysroot)
                    .with_note(why)
                    .with_help(format!("install it with `rustup target add {target}`"))
                    .into()),
            };
        }
        let command = format!("rustup target add {target}");
        let Some(rustup) = &self.rustup else {
            let d = missing(target, plugins, &self.sysroot)
                .with_note("rustup is not on PATH, so the target cannot be installed automatically")
                .with_help(format!(
                    "install it with `{command}`, or add the standard library for `{target}` to the toolchain at `{}`",
                    self.sysroot.display()
                ));
            return Err(d.into());
        };
        shell.status("Installing", format_args!("target {target} ({command})"));
        // Captured, so rustup's download bars do not run through ours; shown
        // when it fails.
        let result = Command::new(rustup)
            .args(["target", "add", target])
            .current_dir(&self.workspace_root)
            .stdin(Stdio::null())
            .output();
        let failure = match result {
            Ok(out) if out.status.success() && self.has_target(target) => return Ok(()),
            Ok(out) if out.status.success() => format!(
                "`{command}` succeeded, but the toolchain at `{}` still has no `{target}`",
                self.sysroot.display()
            ),
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let stderr = stderr.trim();
                if stderr.is_empty() {
                    format!("`{command}` failed ({})", out.status)
                } else {
                    format!("`{command}` failed: {stderr}")
                }
            }
            Err(e) => format!("cannot run `{}`: {e}", rustup.display()),
        };
        Err(missing(target, plugins, &self.sysroot)
            .with_note(failure)
            .with_help(format!("install it with `{command}`"))
            .into())
    }
}

fn missing(target: &str, plugins: &[&PluginConfig], sysroot: &Path) -> Diagnostic {
    let names: Vec<String> = plugins.iter().map(|p| format!("`{}`", p.name())).collect();
    let plural = if names.len() == 1 { "" } else { "s" };
    let mut d = Diagnostic::error(
        codes::TARGET_MISSING,
        format!(
            "the `{target}` target, needed by plugin{plural} {}, is not installed",
            names.join(", ")
        ),
    )
    .with_note(format!("toolchain: {}", sysroot.display()));
    for plugin in plugins {
        if plugin.target.location.is_some() {
            d = plugin.target.locate(d, "this target");
        }
    }
    d
}

/// `<toolchain>` of `$CARGO` = `<toolchain>/bin/cargo`, if it holds a
/// `lib/rustlib` (the mark of a sysroot).
fn cargo_toolchain_dir() -> Option<PathBuf> {
    // Through symlinks: a link to a toolchain's cargo is that toolchain;
    // one to the rustup proxy is not a toolchain (and is then asked).
    let cargo = std::fs::canonicalize(std::env::var_os("CARGO")?).ok()?;
    let dir = cargo.parent()?.parent()?.to_path_buf();
    dir.join("lib/rustlib").is_dir().then_some(dir)
}

/// The first `name` on `PATH` that is an executable file.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_found_in_the_sysroot() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("lib/rustlib/wasm32-wasip1/lib")).expect("mkdir");
        let toolchain = Toolchain {
            sysroot: dir.path().to_path_buf(),
            from_rustc: true,
            rustup: None,
            workspace_root: dir.path().to_path_buf(),
        };
        assert!(toolchain.has_target("wasm32-wasip1"));
        assert!(!toolchain.has_target("wasm32-wasip2"));
    }
}
