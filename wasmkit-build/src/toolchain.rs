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
//! workspace root for the same reason. rustup is not safe to run twice at
//! once (two installs race on its `downloads/` and `tmp/` directories and
//! on the toolchain's files), so installs are serialised with a file lock
//! in the rustup home (`$RUSTUP_HOME`, else `~/.rustup`): every process of
//! the user agrees on that directory because rustup itself does, whatever
//! their target or cache directories, and the race is over what lives
//! there. The targets are looked at again once the lock is held, so that
//! of several runs that found a target missing only the first installs it.
//!
//! A target counts as installed when its `lib` directory is there and, in a
//! rustup toolchain, rustup's manifest of the target's standard library
//! (`lib/rustlib/manifest-rust-std-<target>`), which rustup writes only
//! after every file of the component: a half-finished install by another
//! process does not count.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use wasmkit_core::lock::{FileLock, LockKind};
use wasmkit_core::{Diagnostic, Diagnostics, PluginConfig, Shell, codes};

/// The lock file, in the rustup home, that serialises `rustup target add`.
pub(crate) const RUSTUP_LOCK_FILE: &str = "cargo-wasmkit-target-add.lock";

/// What the wait for the rustup lock is called on stderr.
const RUSTUP_LOCK_WHAT: &str = "rustup target installs";

/// The toolchain cargo will build with.
#[derive(Clone, Debug)]
pub(crate) struct Toolchain {
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
    pub(crate) fn locate(workspace_root: &Path) -> Result<Toolchain, String> {
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
    pub(crate) fn probe(workspace_root: &Path) -> Result<Toolchain, String> {
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

    /// Whether the standard library for `target` is installed, completely.
    pub(crate) fn has_target(&self, target: &str) -> bool {
        let rustlib = self.sysroot.join("lib/rustlib");
        if !rustlib.join(target).join("lib").is_dir() {
            return false;
        }
        // `components` marks a toolchain rustup manages.
        !rustlib.join("components").is_file()
            || rustlib
                .join(format!("manifest-rust-std-{target}"))
                .is_file()
    }

    /// The rustup home: `$RUSTUP_HOME` (rustup sets it for the tools it
    /// runs), else the directory holding this toolchain's `toolchains/`,
    /// else `~/.rustup`.
    pub(crate) fn rustup_home(&self) -> Option<PathBuf> {
        if let Some(home) = std::env::var_os("RUSTUP_HOME").filter(|h| !h.is_empty()) {
            return Some(PathBuf::from(home));
        }
        let toolchains = self.sysroot.parent()?;
        if toolchains.file_name().is_some_and(|n| n == "toolchains") {
            return toolchains.parent().map(Path::to_path_buf);
        }
        std::env::home_dir().map(|home| home.join(".rustup"))
    }

    /// Makes sure `target` is installed, installing it with rustup if it is
    /// not (and saying so). `plugins` are the plugins that need it, named in
    /// the error.
    pub(crate) fn ensure_target(
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
        // Held until the install is over; a lock that cannot be had (a
        // read-only rustup home) leaves the install to fail or succeed alone.
        let _lock = self.rustup_home().and_then(|home| {
            let path = home.join(RUSTUP_LOCK_FILE);
            FileLock::acquire(&path, LockKind::Exclusive, RUSTUP_LOCK_WHAT, shell).ok()
        });
        if self.has_target(target) {
            // Another run installed it while this one waited.
            return Ok(());
        }
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

/// Makes sure `target` is installed for the toolchain that builds the
/// workspace at `workspace_root`, as a build does, with no plugin to name.
pub fn ensure_installed(
    workspace_root: &Path,
    target: &str,
    shell: &Shell,
) -> Result<(), Diagnostics> {
    match Toolchain::locate(workspace_root) {
        Ok(toolchain) => toolchain.ensure_target(target, &[], shell),
        Err(why) => Err(Diagnostic::error(
            codes::TARGET_MISSING,
            format!("cannot check whether the `{target}` target is installed"),
        )
        .with_note(why)
        .into()),
    }
}

fn missing(target: &str, plugins: &[&PluginConfig], sysroot: &Path) -> Diagnostic {
    let names: Vec<String> = plugins.iter().map(|p| format!("`{}`", p.name())).collect();
    let plural = if names.len() == 1 { "" } else { "s" };
    let message = if names.is_empty() {
        format!("the `{target}` target is not installed")
    } else {
        format!(
            "the `{target}` target, needed by plugin{plural} {}, is not installed",
            names.join(", ")
        )
    };
    let mut d = Diagnostic::error(codes::TARGET_MISSING, message)
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

        // In a rustup toolchain, only once rustup has written the
        // component's manifest, its last step.
        std::fs::write(dir.path().join("lib/rustlib/components"), "rustc\n").expect("write");
        assert!(!toolchain.has_target("wasm32-wasip1"));
        std::fs::write(
            dir.path()
                .join("lib/rustlib/manifest-rust-std-wasm32-wasip1"),
            "file:lib/rustlib/wasm32-wasip1/lib/libstd.rlib\n",
        )
        .expect("write");
        assert!(toolchain.has_target("wasm32-wasip1"));
    }
}
