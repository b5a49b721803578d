//! Running one cargo invocation: its JSON messages on stdout tell which
//! plugin produced which `.wasm` and which failed; its stderr (errors,
//! `Compiling` lines) always reaches the user.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};

use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::{Artifact, Message};
use wasmkit_core::{MessageFormat, PluginConfig, Shell};

use crate::display::{BuildDisplay, parse_cargo_progress, strip_ansi};
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
    std::thread::scope(|scope| {
        scope.spawn(|| forward_stderr(stderr, invocation, display, &total));
        read_messages(
            stdout,
            invocation,
            plugins,
            shell,
            display,
            &total,
            &mut outcome,
        );
    });
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
) {
    let json = shell.format() == MessageFormat::Json;
    let mut reader = BufReader::new(stdout);
    let mut raw = Vec::new();
    loop {
        raw.clear();
        match reader.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\n', '\r']);
        // One line at a time, because with `--message-format json` the line
        // itself is passed on unchanged.
        let Some(Ok(message)) = Message::parse_stream(line.as_bytes()).next() else {
            continue;
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
                continue;
            }
            _ => {}
        }
        if json {
            shell.out(line);
        }
    }
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
/// because that is how cargo redraws its bar.
fn forward_stderr(
    stderr: impl Read,
    invocation: &Invocation,
    display: &BuildDisplay<'_>,
    total: &std::sync::atomic::AtomicUsize,
) {
    let mut reader = BufReader::new(stderr);
    let mut segment: Vec<u8> = Vec::new();
    let emit = |segment: &[u8]| {
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
    };
    loop {
        let chunk = match reader.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(chunk) => chunk,
        };
        let len = chunk.len();
        for &byte in chunk {
            if byte == b'\n' || (byte == b'\r' && display.has_bars()) {
                emit(&segment);
                segment.clear();
            } else {
                segment.push(byte);
            }
        }
        reader.consume(len);
    }
    if !segment.is_empty() {
        emit(&segment);
    }
}
