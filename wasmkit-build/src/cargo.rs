//! Running one cargo invocation: its JSON messages on stdout tell which
//! plugin produced which `.wasm` and which failed; its stderr (errors,
//! `Compiling` lines) always reaches the user. Both pipes are read to
//! their end whatever happens ([`crate::pipe`]); a pipe that cannot be
//! read is reported, and cargo, which would block on it, is stopped.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::Mutex;

use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::{Artifact, Message};
use wasmkit_core::{MessageFormat, PluginConfig, Shell};

use crate::display::{BuildDisplay, parse_cargo_progress, strip_ansi};
use crate::pipe::{self, PipeRead};
use crate::plan::{CrateTarget, Invocation};

/// What one cargo run did.
#[derive(Debug)]
pub(crate) struct InvocationOutcome {
    /// Cargo could not be started (why).
    pub(crate) spawn_error: Option<String>,
    /// How cargo exited.
    pub(crate) status: Option<ExitStatus>,
    /// Per member: the `.wasm` cargo produced.
    pub(crate) artifacts: Vec<Option<PathBuf>>,
    /// Per member: whether the compiler reported errors in its package.
    pub(crate) errors: Vec<bool>,
    /// Cargo's output could not be read (why): what it said may be lost.
    pub(crate) read_error: Option<String>,
}

impl InvocationOutcome {
    pub(crate) fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

/// Runs `invocation` to the end.
pub(crate) fn run(
    invocation: &Invocation,
    plugins: &[PluginConfig],
    shell: &Shell,
    display: &BuildDisplay<'_>,
) -> InvocationOutcome {
    let members = invocation.members.len();
    let mut outcome = InvocationOutcome {
        spawn_error: None,
        status: None,
        artifacts: vec![None; members],
        errors: vec![false; members],
        read_error: None,
    };
    let mut command = invocation.command();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            outcome.spawn_error = Some(e.to_string());
            return outcome;
        }
    };
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        outcome.spawn_error = Some("cargo's output could not be captured".into());
        let _ = child.kill();
        let _ = child.wait();
        return outcome;
    };

    // Cargo's last reported unit total, shared with the stdout side so that a
    // finished unit can say `N/M`.
    let total = std::sync::atomic::AtomicUsize::new(0);
    // Either reader stops cargo when its pipe cannot be read to the end:
    // cargo would block on it, and the other pipe would never end.
    let child = Mutex::new(child);
    let stop = |read: &PipeRead| {
        if !read.drained {
            let mut child = child
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = child.kill();
        }
    };
    let (stdout_read, stderr_read) = std::thread::scope(|scope| {
        let stderr_side = scope.spawn(|| {
            let read = forward_stderr(stderr, invocation, display, &total);
            stop(&read);
            read
        });
        let read = read_messages(
            stdout,
            invocation,
            plugins,
            shell,
            display,
            &total,
            &mut outcome,
        );
        stop(&read);
        (read, stderr_side.join().ok())
    });
    let failed = [
        Some(("stdout", stdout_read)),
        stderr_read.map(|r| ("stderr", r)),
    ];
    for (pipe, read) in failed.into_iter().flatten() {
        if let Some(e) = read.error {
            outcome
                .read_error
                .get_or_insert(format!("cannot read cargo's {pipe}: {e}"));
        }
    }
    let mut child: Child = child
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    outcome.status = child.wait().ok();
    outcome
}

fn read_messages(
    stdout: impl Read,
    invocation: &Invocation,
    plugins: &[PluginConfig],
    shell: &Shell,
    display: &BuildDisplay<'_>,
    total: &std::sync::atomic::AtomicUsize,
    outcome: &mut InvocationOutcome,
) -> PipeRead {
    let json = shell.format() == MessageFormat::Json;
    pipe::read_lines(
        stdout,
        || false,
        |raw| {
            let line = String::from_utf8_lossy(raw);
            let line = line.trim_end_matches('\r');
            // One line at a time, because with `--message-format json` the line
            // itself is passed on unchanged.
            let Some(Ok(message)) = Message::parse_stream(line.as_bytes()).next() else {
                return;
            };
            match &message {
                Message::CompilerArtifact(artifact) => {
                    for (i, member) in invocation.members.iter().enumerate() {
                        let plugin = &plugins[member.plugin];
                        if artifact.package_id != plugin.package.id {
                            continue;
                        }
                        if let Some(path) = wasm_of(artifact, &member.crate_target) {
                            outcome.artifacts[i] = Some(path);
                            display.compiled(member.plugin);
                        }
                    }
                    // Until cargo reports its own `N/M`, count artifacts.
                    if total.load(std::sync::atomic::Ordering::Relaxed) == 0 {
                        display.unit_finished(invocation);
                    }
                }
                Message::CompilerMessage(compiler) => {
                    if matches!(
                        compiler.message.level,
                        DiagnosticLevel::Error | DiagnosticLevel::Ice
                    ) {
                        for (i, member) in invocation.members.iter().enumerate() {
                            if compiler.package_id == plugins[member.plugin].package.id {
                                outcome.errors[i] = true;
                            }
                        }
                    }
                    if !json && let Some(rendered) = &compiler.message.rendered {
                        display.cargo_text(rendered);
                    }
                }
                Message::TextLine(text) => {
                    // Not a message cargo_metadata knows; JSON stays on stdout,
                    // anything else is for people.
                    if json && text.starts_with('{') {
                        shell.out(text);
                    } else if !text.is_empty() {
                        display.cargo_line(text);
                    }
                    return;
                }
                _ => {}
            }
            if json {
                shell.out(line);
            }
        },
    )
}

/// The `.wasm` of `artifact` if it is the plugin's crate: its cdylib, or
/// the named binary.
fn wasm_of(artifact: &Artifact, crate_target: &CrateTarget) -> Option<PathBuf> {
    let is_wasm = |p: &&cargo_metadata::camino::Utf8PathBuf| p.extension() == Some("wasm");
    match crate_target {
        CrateTarget::Lib if artifact.target.is_cdylib() => artifact
            .filenames
            .iter()
            .find(is_wasm)
            .map(|p| p.clone().into_std_path_buf()),
        CrateTarget::Bin(name) if artifact.target.is_bin() && artifact.target.name == *name => {
            artifact
                .executable
                .iter()
                .chain(artifact.filenames.iter())
                .find(is_wasm)
                .map(|p| p.clone().into_std_path_buf())
        }
        _ => None,
    }
}

/// Passes cargo's stderr on, line by line, through the display. Cargo's
/// own progress bar (only asked for when bars are drawn) updates the bars
/// instead of being printed. Lines are split at `\r` as well as `\n`
/// when bars are drawn, because that is how cargo redraws its bar.
fn forward_stderr(
    stderr: impl Read,
    invocation: &Invocation,
    display: &BuildDisplay<'_>,
    total: &std::sync::atomic::AtomicUsize,
) -> PipeRead {
    pipe::read_lines(
        stderr,
        || display.has_bars(),
        |segment| {
            let text = String::from_utf8_lossy(segment);
            if display.has_bars() {
                if let Some((done, all)) = parse_cargo_progress(&text) {
                    total.store(all, std::sync::atomic::Ordering::Relaxed);
                    display.compiling(invocation, done, Some(all));
                    return;
                }
                // Cargo clears its bar with an escape sequence or spaces.
                if strip_ansi(&text).trim().is_empty() {
                    return;
                }
            }
            display.cargo_line(&text);
        },
    )
}
