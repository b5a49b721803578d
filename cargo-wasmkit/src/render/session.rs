//! The terminal of an interactive `invoke` session: rustyline for line
//! editing, history, Tab completion and entries that go on over several
//! lines, and a Ctrl-C handler that interrupts the running call. What an
//! entry does is `wasmkit_invoke::repl`'s.
//!
//! rustyline rather than reedline: the session needs a blocking
//! `readline` with a completer, a validator and file history, which
//! rustyline gives with a few small dependencies (reedline brings
//! crossterm and a larger, event-loop shaped API), and it reads a pipe
//! without a prompt when stdin is not a terminal (`-i` on a pipe).

use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::rc::Rc;

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use wasmkit_build::InvokeTarget;
use wasmkit_core::{Diagnostic, Shell, Verbosity, codes, display_path};
use wasmkit_invoke::interrupt::Interrupt;
use wasmkit_invoke::repl::{self, Console, Flow, Repl, ReplSetup, complete, validate};
use wasmkit_invoke::runtime::Compiled;
use wasmkit_invoke::{OutputSink, Runtime, SessionOptions, WasmInput};

use crate::commands::CommandResult;

const PROMPT: &str = "wasmkit> ";

/// Runs a session until `:quit`, Ctrl-D or the end of stdin.
pub(crate) fn run(
    shell: &Shell,
    setup: ReplSetup<'_>,
    input: WasmInput,
    compiled: Compiled,
) -> CommandResult {
    let interrupt = setup.interrupt.clone();
    if let Err(e) = ctrlc::set_handler(move || interrupt.trigger()) {
        shell.warn(format_args!(
            "Ctrl-C cannot interrupt calls in this session: {e}"
        ));
    }
    let repl = Rc::new(RefCell::new(Repl::start(setup, input, compiled)?));
    let terminal = std::io::stdin().is_terminal();
    let mut editor = editor(&repl)?;
    let history = terminal.then(history_file).flatten();
    if let Some(path) = &history {
        // A first session has no history yet.
        let _ = editor.load_history(path);
    }
    let mut console = TerminalConsole {
        shell,
        color: shell.color() && std::io::stdout().is_terminal(),
    };
    if terminal {
        shell.status(
            "Session",
            format_args!(
                "on {} (`:help` for commands, Ctrl-D to end)",
                display_path(repl.borrow().artifact())
            ),
        );
    }
    let prompt = (PROMPT, shell.status_style(PROMPT));
    loop {
        match editor.readline(&prompt) {
            Ok(line) => {
                if let Some(path) = &history
                    && let Err(e) = editor.append_history(path)
                {
                    shell.warn(format_args!(
                        "cannot write the history to {}: {e}",
                        display_path(path)
                    ));
                }
                if repl.borrow_mut().entry(&line, &mut console) == Flow::Quit {
                    break;
                }
            }
            // Ctrl-C at the prompt clears the line.
            Err(ReadlineError::Interrupted) => {}
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                return Err(Diagnostic::error(
                    codes::READ_FAILED,
                    format!("cannot read the next entry: {e}"),
                )
                .into());
            }
        }
    }
    let status = repl.borrow_mut().finish(&mut console);
    Ok(status)
}

/// A session on the target; with a plugin, `:help` reads doc comments
/// from its WIT sources and `:reload` builds it again.
pub(crate) fn setup<'s>(
    shell: &'s Shell,
    runtime: Runtime,
    target: InvokeTarget,
    options: SessionOptions,
    guest_out: OutputSink,
    no_verify: bool,
) -> ReplSetup<'s> {
    let wit_dir = target
        .plugin
        .as_ref()
        .map(|(_, plugin)| plugin.dir().join("wit"))
        .filter(|dir| dir.is_dir());
    let rebuild = target.plugin.map(|(project, plugin)| {
        Box::new(move || wasmkit_build::plugin_artifact(&project, &plugin, no_verify, shell))
            as wasmkit_invoke::repl::Rebuild<'s>
    });
    ReplSetup {
        runtime,
        artifact: target.artifact,
        options,
        rebuild,
        interrupt: Interrupt::new(),
        guest_out,
        verbose: shell.verbosity() >= Verbosity::Verbose,
        wit_dir,
    }
}

/// The history file, its directory made; `None` (with a warning) when
/// there is nowhere to keep it.
fn history_file() -> Option<PathBuf> {
    let path = repl::history::history_path()?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    Some(path)
}

fn editor<'a>(
    repl: &Rc<RefCell<Repl<'a>>>,
) -> Result<Editor<EntryHelper<'a>, FileHistory>, Diagnostic> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(true)
        .history_ignore_dups(true)
        .and_then(|b| b.max_history_size(10_000))
        .map_err(|e| terminal_error(&e))?
        .build();
    let mut editor = Editor::with_config(config).map_err(|e| terminal_error(&e))?;
    editor.set_helper(Some(EntryHelper {
        repl: Rc::clone(repl),
    }));
    Ok(editor)
}

fn terminal_error(e: &ReadlineError) -> Diagnostic {
    Diagnostic::error(
        codes::READ_FAILED,
        format!("cannot set up the terminal: {e}"),
    )
}

/// Completion and multi-line entries, from the library.
struct EntryHelper<'a> {
    repl: Rc<RefCell<Repl<'a>>>,
}

impl Completer for EntryHelper<'_> {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let repl = self.repl.borrow();
        let completion = complete::complete(line, pos, repl.session());
        Ok((completion.start, completion.candidates))
    }
}

impl Validator for EntryHelper<'_> {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if validate::is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Hinter for EntryHelper<'_> {
    type Hint = String;
}

impl Highlighter for EntryHelper<'_> {}

impl Helper for EntryHelper<'_> {}

/// Results and listings on stdout, the rest on stderr, in cargo's colours.
struct TerminalConsole<'a> {
    shell: &'a Shell,
    /// Whether results on stdout are coloured.
    color: bool,
}

impl Console for TerminalConsole<'_> {
    fn result(&mut self, wave: &str) {
        if self.color {
            self.shell.out(self.shell.emphasis(wave));
        } else {
            self.shell.out(wave);
        }
    }

    fn text(&mut self, text: &str) {
        self.shell.out(text);
    }

    fn notice(&mut self, message: &str) {
        self.shell.note(message);
    }

    fn verbose(&mut self, line: &str) {
        self.shell.write_stderr(&format!("{line}\n"));
    }

    fn diagnostic(&mut self, diagnostic: &Diagnostic) {
        self.shell.diagnostic(diagnostic);
    }
}
