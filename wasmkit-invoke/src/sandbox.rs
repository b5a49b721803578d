//! The WASI sandbox a guest runs in: nothing granted by default (no
//! directories, no environment, no network, empty stdin), stdout and stderr
//! passed through to the user's, and opt-ins for directories and variables.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use wasmkit_core::{Diagnostic, codes};
use wasmtime_wasi::cli::{IsTerminal as WasiIsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// A directory granted to the guest: `--dir HOST[::GUEST]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirGrant {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest sees it.
    pub guest: String,
}

impl DirGrant {
    /// Parses `HOST[::GUEST]` (wasmtime's syntax); the guest path defaults
    /// to the host path as written.
    pub fn parse(arg: &str) -> Result<DirGrant, Diagnostic> {
        let (host, guest) = match arg.split_once("::") {
            Some((h, g)) => (h, g),
            None => (arg, arg),
        };
        if host.is_empty() || guest.is_empty() {
            return Err(Diagnostic::error(
                codes::INVALID_OPTION,
                format!("invalid `--dir {arg}`: expected HOST or HOST::GUEST"),
            ));
        }
        if !std::path::Path::new(host).is_dir() {
            return Err(Diagnostic::error(
                codes::INVALID_OPTION,
                format!("invalid `--dir {arg}`: `{host}` is not a directory"),
            ));
        }
        Ok(DirGrant {
            host: PathBuf::from(host),
            guest: guest.to_string(),
        })
    }
}

/// Parses `--env KEY=VALUE`.
pub fn parse_env(arg: &str) -> Result<(String, String), Diagnostic> {
    match arg.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(Diagnostic::error(
            codes::INVALID_OPTION,
            format!("invalid `--env {arg}`: expected KEY=VALUE"),
        )),
    }
}

/// What the guest is granted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SandboxOptions {
    /// Preopened directories.
    pub dirs: Vec<DirGrant>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// Pass this process's environment through.
    pub inherit_env: bool,
}

impl SandboxOptions {
    /// A WASI context builder with exactly these grants, writing the guest's
    /// stdout to `stdout` and its stderr to `stderr` (the process's stderr
    /// when `None`).
    pub fn builder(
        &self,
        stdout: &OutputSink,
        stderr: Option<&OutputSink>,
    ) -> Result<WasiCtxBuilder, Diagnostic> {
        let mut b = WasiCtxBuilder::new();
        b.stdout(stdout.clone());
        match stderr {
            Some(sink) => {
                b.stderr(sink.clone());
            }
            None => {
                b.inherit_stderr();
            }
        }
        if self.inherit_env {
            b.inherit_env();
        }
        for (k, v) in &self.env {
            b.env(k, v);
        }
        for dir in &self.dirs {
            b.preopened_dir(&dir.host, &dir.guest, FsPerms::ReadWrite)
                .map_err(|e| {
                    Diagnostic::error(
                        codes::INVALID_OPTION,
                        format!("cannot grant `{}`: {e}", dir.host.display()),
                    )
                })?;
        }
        // No network: the default address check denies every socket, and
        // name lookup is off.
        b.allow_ip_name_lookup(false);
        Ok(b)
    }
}

/// The linker components are instantiated with: what the host provides,
/// the `wasmtime` profile ([`crate::profile`]: WASI 0.2 and `wasi:http`),
/// so that invoke, `--list` and verify agree on what is provided. Imports it lacks are found by asking
/// it (see [`crate::imports`]).
pub fn component_linker(
    engine: &wasmtime::Engine,
) -> Result<wasmtime::component::Linker<crate::component::ComponentState>, Diagnostic> {
    let mut linker = wasmtime::component::Linker::new(engine);
    crate::profile::add_to_linker_sync(&mut linker)?;
    Ok(linker)
}

/// Where a guest's stdout goes.
///
/// [`OutputSink::stdout`] is the process's stdout, shared by the guest and
/// by the results we print, so that their output interleaves in the order
/// it happened. It is buffered (64 KiB, flushed when full, after each call
/// on a terminal, and at exit), so a guest that floods stdout streams
/// through it at bounded memory.
///
/// [`OutputSink::capture`] keeps the output in memory up to a cap (the rest
/// is counted, not kept), for verify reports.
#[derive(Clone, Debug)]
pub struct OutputSink {
    inner: Arc<Mutex<SinkState>>,
}

#[derive(Debug)]
enum SinkTarget {
    Stdout(BufWriter<io::Stdout>),
    Stderr(io::Stderr),
    Memory {
        kept: Vec<u8>,
        cap: usize,
        dropped: usize,
    },
}

#[derive(Debug)]
struct SinkState {
    target: SinkTarget,
    closed: bool,
}

impl SinkState {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.target {
            SinkTarget::Stdout(out) => out.write_all(bytes),
            SinkTarget::Stderr(err) => err.write_all(bytes),
            SinkTarget::Memory { kept, cap, dropped } => {
                let room = cap.saturating_sub(kept.len()).min(bytes.len());
                kept.extend_from_slice(&bytes[..room]);
                *dropped += bytes.len() - room;
                Ok(())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.target {
            SinkTarget::Stdout(out) => out.flush(),
            SinkTarget::Stderr(err) => err.flush(),
            SinkTarget::Memory { .. } => Ok(()),
        }
    }
}

impl Default for OutputSink {
    fn default() -> Self {
        OutputSink::stdout()
    }
}

impl OutputSink {
    fn new(target: SinkTarget) -> OutputSink {
        OutputSink {
            inner: Arc::new(Mutex::new(SinkState {
                target,
                closed: false,
            })),
        }
    }

    /// The process's stdout.
    pub fn stdout() -> OutputSink {
        OutputSink::new(SinkTarget::Stdout(BufWriter::with_capacity(
            64 * 1024,
            io::stdout(),
        )))
    }

    /// The process's stderr (unbuffered), for guest output that must stay
    /// off stdout: an HTTP handler's prints, while stdout carries its
    /// response.
    pub fn stderr() -> OutputSink {
        OutputSink::new(SinkTarget::Stderr(io::stderr()))
    }

    /// An in-memory sink keeping at most `cap` bytes.
    pub fn capture(cap: usize) -> OutputSink {
        OutputSink::new(SinkTarget::Memory {
            kept: Vec::new(),
            cap,
            dropped: 0,
        })
    }

    /// What a capturing sink kept, and how many bytes it dropped beyond its
    /// cap; empty for stdout.
    pub fn captured(&self) -> (Vec<u8>, usize) {
        self.with(|s| match &s.target {
            SinkTarget::Memory { kept, dropped, .. } => (kept.clone(), *dropped),
            SinkTarget::Stdout(_) | SinkTarget::Stderr(_) => (Vec::new(), 0),
        })
    }

    /// Takes what a capturing sink kept so far (and the count of bytes it
    /// dropped), leaving it empty.
    pub fn take_captured(&self) -> (Vec<u8>, usize) {
        self.with(|s| match &mut s.target {
            SinkTarget::Memory { kept, dropped, .. } => {
                (std::mem::take(kept), std::mem::take(dropped))
            }
            SinkTarget::Stdout(_) | SinkTarget::Stderr(_) => (Vec::new(), 0),
        })
    }

    /// Whether output reaches a terminal (then each call's output is flushed at once).
    pub fn is_terminal(&self) -> bool {
        self.with(|s| match s.target {
            SinkTarget::Stdout(_) => io::IsTerminal::is_terminal(&io::stdout()),
            SinkTarget::Stderr(_) => io::IsTerminal::is_terminal(&io::stderr()),
            SinkTarget::Memory { .. } => false,
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut SinkState) -> R) -> R {
        let mut state = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut state)
    }

    /// Writes bytes. Once the reader has gone (a closed pipe), output is
    /// dropped and `false` returned.
    pub fn write(&self, bytes: &[u8]) -> bool {
        self.with(|s| {
            if s.closed {
                return false;
            }
            if s.write(bytes).is_err() {
                s.closed = true;
                return false;
            }
            true
        })
    }

    /// Writes a line of results.
    pub fn line(&self, line: &str) -> bool {
        self.with(|s| {
            if s.closed {
                return false;
            }
            let ok = s
                .write(line.as_bytes())
                .and_then(|()| s.write(b"\n"))
                .is_ok();
            if !ok {
                s.closed = true;
            }
            ok
        })
    }

    /// Flushes buffered output.
    pub fn flush(&self) -> bool {
        self.with(|s| {
            if s.closed {
                return false;
            }
            if s.flush().is_err() {
                s.closed = true;
                return false;
            }
            true
        })
    }

    /// Whether the reader closed stdout.
    pub fn closed(&self) -> bool {
        self.with(|s| s.closed)
    }
}

impl WasiIsTerminal for OutputSink {
    fn is_terminal(&self) -> bool {
        OutputSink::is_terminal(self)
    }
}

impl StdoutStream for OutputSink {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(SinkStream(self.clone()))
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(SinkStream(self.clone()))
    }
}

struct SinkStream(OutputSink);

#[async_trait::async_trait]
impl Pollable for SinkStream {
    async fn ready(&mut self) {}
}

impl OutputStream for SinkStream {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        if self.0.write(&bytes) {
            Ok(())
        } else {
            Err(StreamError::Closed)
        }
    }

    fn flush(&mut self) -> StreamResult<()> {
        if self.0.flush() {
            Ok(())
        } else {
            Err(StreamError::Closed)
        }
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        if self.0.closed() {
            Err(StreamError::Closed)
        } else {
            Ok(64 * 1024)
        }
    }
}

impl tokio::io::AsyncWrite for SinkStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(if self.0.write(buf) {
            Ok(buf.len())
        } else {
            Err(io::ErrorKind::BrokenPipe.into())
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(if self.0.flush() {
            Ok(())
        } else {
            Err(io::ErrorKind::BrokenPipe.into())
        })
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_grants() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().to_str().unwrap();
        let g = DirGrant::parse(&format!("{host}::/data")).unwrap();
        assert_eq!(g.guest, "/data");
        assert_eq!(DirGrant::parse(host).unwrap().guest, host);
        assert!(DirGrant::parse("/no/such/dir").is_err());
        assert!(DirGrant::parse("::x").is_err());
    }

    #[test]
    fn capture_keeps_up_to_its_cap() {
        let sink = OutputSink::capture(4);
        assert!(sink.write(b"abc"));
        assert!(sink.line("def"));
        assert_eq!(sink.captured(), (b"abcd".to_vec(), 3));
    }

    #[test]
    fn env_pairs() {
        assert_eq!(parse_env("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert!(parse_env("novalue").is_err());
        assert!(parse_env("=x").is_err());
    }
}
