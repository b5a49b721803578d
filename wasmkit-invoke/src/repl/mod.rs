//! An interactive session on one instance (`cargo wasmkit invoke` with no
//! call, on a terminal): entries are calls, run as in batch mode with
//! bindings carried over, or `:` [`command`]s. The terminal itself (line
//! editing, history, Ctrl-C, colour) is the binary's; this module runs
//! each entry and says what happened through a [`Console`]. It also
//! provides what the editor needs: [`complete`] and [`validate`].

pub mod command;
pub mod complete;
mod describe;
pub mod docs;
pub mod history;
pub mod validate;
mod vocabulary;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmkit_core::{Diagnostic, Diagnostics, ExitStatus, SourceFile, codes, display_path};

use crate::call::CallSource;
use crate::imports::Provider;
use crate::input::WasmInput;
use crate::interrupt::Interrupt;
use crate::mocks::Mock;
use crate::runtime::{Compiled, Runtime};
use crate::sandbox::OutputSink;
use crate::session::{Session, SessionOptions};
use command::Command;

/// Where a session's output goes. Results and listings are stdout's;
/// notices, `-v` lines and diagnostics are stderr's.
pub trait Console {
    /// One call's results, as WAVE.
    fn result(&mut self, wave: &str);
    /// A line (or block) of a listing or of `:help`.
    fn text(&mut self, text: &str);
    /// What a command did (`a fresh instance ...`).
    fn notice(&mut self, message: &str);
    /// A `-v` line (`import store.get("k") -> some("v")`).
    fn verbose(&mut self, line: &str);
    /// An error; the session goes on.
    fn diagnostic(&mut self, diagnostic: &Diagnostic);
}

/// Finds the artifact again for `:reload`, rebuilding it when its sources
/// changed (with `-p`); a file given by path is just read again.
pub type Rebuild<'a> = Box<dyn FnMut() -> Result<PathBuf, Diagnostics> + 'a>;

/// What a session starts from.
pub struct ReplSetup<'a> {
    /// The engine; it must have epoch interruption on (`timeouts`), so that
    /// Ctrl-C can stop a call.
    pub runtime: Runtime,
    /// The `.wasm` or `.wat` to run.
    pub artifact: PathBuf,
    /// Sandbox, limits and the mocks given on the command line.
    pub options: SessionOptions,
    /// `:reload`'s rebuild; `None` reads `artifact` again.
    pub rebuild: Option<Rebuild<'a>>,
    /// Set by the binary's Ctrl-C handler.
    pub interrupt: Interrupt,
    /// Where the guest's stdout goes.
    pub guest_out: OutputSink,
    /// Whether `-v` lines are wanted.
    pub verbose: bool,
    /// The package's WIT sources (with `-p`), whose doc comments `:help`
    /// shows when the component carries none.
    pub wit_dir: Option<PathBuf>,
}

impl std::fmt::Debug for ReplSetup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplSetup")
            .field("artifact", &self.artifact)
            .finish_non_exhaustive()
    }
}

/// Whether the session goes on after an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next entry.
    Continue,
    /// `:quit`.
    Quit,
}

/// A running session.
pub struct Repl<'a> {
    setup: ReplSetup<'a>,
    input: WasmInput,
    compiled: Compiled,
    session: Session,
    /// The call the instance failed in (a trap, a timeout, Ctrl-C): it
    /// cannot be entered again until `:reset`.
    failed: Option<String>,
    /// Lines entered so far, so that diagnostics number them.
    lines: usize,
    /// Doc comments from the WIT sources, read at the first `:help`.
    docs: Option<docs::WitDocs>,
}

impl std::fmt::Debug for Repl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repl")
            .field("artifact", &self.setup.artifact)
            .finish_non_exhaustive()
    }
}

impl<'a> Repl<'a> {
    /// Instantiates the artifact, read and compiled.
    pub fn start(
        setup: ReplSetup<'a>,
        input: WasmInput,
        compiled: Compiled,
    ) -> Result<Repl<'a>, Diagnostic> {
        let session = instantiate(&setup, &input, &compiled)?;
        Ok(Repl {
            setup,
            input,
            compiled,
            session,
            failed: None,
            lines: 0,
            docs: None,
        })
    }

    /// The session, for completion ([`complete::Vocabulary`]).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// What the session runs.
    pub fn artifact(&self) -> &Path {
        &self.setup.artifact
    }

    /// Runs one entry: a call, a `:` command, or nothing (blank or `//`).
    pub fn entry(&mut self, text: &str, console: &mut dyn Console) -> Flow {
        let first_line = self.lines + 1;
        self.lines += text.lines().count().max(1);
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with("//") {
            return Flow::Continue;
        }
        let file = SourceFile::starting_at_line("<input>", text, first_line);
        let start = text.len() - text.trim_start().len();
        let src = CallSource::within(&file, start..start + trimmed.len());
        if trimmed.starts_with(':') {
            return match command::parse(&src) {
                Ok(command) => self.command(command, console),
                Err(d) => {
                    console.diagnostic(&d);
                    Flow::Continue
                }
            };
        }
        self.call(&src, console);
        Flow::Continue
    }

    fn call(&mut self, src: &CallSource, console: &mut dyn Console) {
        if let Some(why) = &self.failed {
            console.diagnostic(
                &Diagnostic::error(
                    codes::INSTANTIATE_FAILED,
                    format!(
                        "`{}` was not run: the instance failed in `{why}`",
                        src.text()
                    ),
                )
                .with_label(src.label(0..src.text().len(), "not run"))
                .with_note("after a trap the instance cannot be entered again")
                .with_help(RESET_HELP),
            );
            return;
        }
        let outcome = self.session.call(src);
        if self.setup.verbose {
            for call in self.session.last_imports() {
                console.verbose(&format!("import {call}"));
            }
        }
        self.setup.guest_out.flush();
        match outcome {
            Ok(out) => console.result(&out.wave),
            Err(d) if d.exit_status() == ExitStatus::Failure => {
                self.failed = Some(src.text().to_string());
                console.diagnostic(
                    &in_session(d)
                        .with_note("the instance cannot be entered again")
                        .with_help(RESET_HELP),
                );
            }
            Err(d) => console.diagnostic(&in_session(d)),
        }
    }

    fn command(&mut self, command: Command, console: &mut dyn Console) -> Flow {
        let done = match command {
            Command::Quit => return Flow::Quit,
            Command::List => {
                for line in self.session.listing().export_lines() {
                    console.text(&line);
                }
                Ok(())
            }
            Command::Help(None) => {
                for line in describe::commands() {
                    console.text(&line);
                }
                Ok(())
            }
            Command::Help(Some(name)) => {
                let docs = self.docs.get_or_insert_with(|| {
                    let dir = self.setup.wit_dir.as_deref();
                    dir.and_then(docs::WitDocs::read).unwrap_or_default()
                });
                describe::name(&self.session, &name, docs).map(|lines| {
                    for line in lines {
                        console.text(&line);
                    }
                })
            }
            Command::Imports => {
                let lines = self.session.listing().import_lines();
                if lines.is_empty() {
                    console.text("(no imports)");
                }
                for line in lines {
                    console.text(&line);
                }
                Ok(())
            }
            Command::Mock(mock) => self.mock(&mock, console),
            Command::Reset => self.reset().map(|()| {
                console.notice("a fresh instance: the mocks stay, the bindings are gone");
            }),
            Command::Reload => self.reload().map(|()| {
                console.notice(&format!(
                    "reloaded {}: a fresh instance, the mocks stay, the bindings are gone",
                    display_path(&self.setup.artifact)
                ));
            }),
        };
        if let Err(d) = done {
            console.diagnostic(&in_session(d));
        }
        Flow::Continue
    }

    /// `:mock`: checked against the imports (relinking), kept for later
    /// instances, and answering at once when the import is not WASI's.
    fn mock(&mut self, mock: &Mock, console: &mut dyn Console) -> Result<(), Diagnostic> {
        let Compiled::Component(component) = &self.compiled else {
            return Err(Diagnostic::error(
                codes::INVALID_MOCK,
                "a core module has no imports to mock",
            )
            .with_label(mock.name.label(0..mock.name.text().len(), "not an import")));
        };
        let mut options = self.setup.options.clone();
        options.mocks.push(mock.clone());
        let (_, imports) = crate::session::link(component, &self.input, &options)?;
        self.setup.options = options;
        // `link` resolved the name already: this finds the same import.
        let Ok(index) = crate::names::resolve(imports.funcs(), mock.name.text()) else {
            return Ok(());
        };
        let name = crate::names::Named::full_name(&imports.funcs()[index]);
        let Session::Component(s) = &mut self.session else {
            return Ok(());
        };
        let live = s.imports().funcs()[index].provider;
        if live == Provider::Wasi {
            console.notice(&format!(
                "`{name}` is WASI's in this instance: the mock answers from the next `:reset`"
            ));
        } else {
            s.replace_imports(Arc::new(imports));
            console.notice(&format!("`{name}` now returns `{}`", mock.value.text()));
        }
        Ok(())
    }

    /// A fresh instance of the same artifact.
    fn reset(&mut self) -> Result<(), Diagnostic> {
        self.session = instantiate(&self.setup, &self.input, &self.compiled)?;
        self.failed = None;
        Ok(())
    }

    /// Rebuilds (or reads again) the artifact and starts a fresh instance
    /// of it; on failure the running instance stays.
    fn reload(&mut self) -> Result<(), Diagnostic> {
        let artifact = match self.setup.rebuild.as_mut() {
            Some(rebuild) => rebuild().map_err(|ds| {
                let mut all = ds.0.into_iter();
                let first = all.next().unwrap_or_else(|| {
                    Diagnostic::error(codes::BUILD_FAILED, "the rebuild failed")
                });
                all.fold(first, |d, more| d.with_note(more.message))
            })?,
            None => self.setup.artifact.clone(),
        };
        let (input, compiled, session) = load(&self.setup, &artifact)?;
        self.setup.artifact = artifact;
        self.input = input;
        self.compiled = compiled;
        self.session = session;
        self.failed = None;
        // The sources may have new doc comments.
        self.docs = None;
        Ok(())
    }

    /// The end of the session: the handles still live are dropped, oldest
    /// first, their destructors running (unless the instance failed).
    pub fn finish(&mut self, console: &mut dyn Console) -> ExitStatus {
        if self.failed.is_some() {
            return ExitStatus::Success;
        }
        let (dropped, failed) = self.session.drop_live_handles();
        self.setup.guest_out.flush();
        if self.setup.verbose {
            for label in &dropped {
                console.verbose(&format!("drop {label}"));
            }
        }
        match failed {
            Some(d) => {
                console.diagnostic(&d);
                d.exit_status()
            }
            None => ExitStatus::Success,
        }
    }
}

/// A diagnostic as a session shows it: its advice names the session's
/// commands rather than the command line's options.
fn in_session(mut d: Diagnostic) -> Diagnostic {
    for help in &mut d.help {
        *help = help.replace("with `--list`", "with `:list`");
        if let Some(mock) = help
            .strip_prefix("mock it: --mock '")
            .and_then(|m| m.strip_suffix('\''))
        {
            *help = format!("mock it: `:mock {mock}`");
        }
    }
    d
}

const RESET_HELP: &str = "`:reset` starts a fresh instance (the mocks stay, the bindings go)";

/// Reads, compiles and instantiates `artifact`.
fn load(
    setup: &ReplSetup<'_>,
    artifact: &Path,
) -> Result<(WasmInput, Compiled, Session), Diagnostic> {
    let input = WasmInput::read(artifact)?;
    let (compiled, _) = setup.runtime.compile(&input)?;
    let session = instantiate(setup, &input, &compiled)?;
    Ok((input, compiled, session))
}

/// A fresh instance, watched by the interrupt.
fn instantiate(
    setup: &ReplSetup<'_>,
    input: &WasmInput,
    compiled: &Compiled,
) -> Result<Session, Diagnostic> {
    let mut session = Session::instantiate(
        &setup.runtime,
        compiled,
        input,
        &setup.options,
        &setup.guest_out,
        None,
    )?;
    session.watch_interrupt(&setup.interrupt);
    Ok(session)
}
