//! The terminal: cargo-style status lines and diagnostics on stderr, results
//! on stdout, colour only where allowed, progress bars kept out of the way.

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};

use crate::diagnostic::{Diagnostic, Severity};

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Parses `auto`, `always` or `never` (as `CARGO_TERM_COLOR` holds it).
    pub fn parse(s: &str) -> Option<ColorChoice> {
        match s {
            "auto" => Some(ColorChoice::Auto),
            "always" => Some(ColorChoice::Always),
            "never" => Some(ColorChoice::Never),
            _ => None,
        }
    }

    /// The spelling cargo takes for `--color`.
    pub fn as_str(self) -> &'static str {
        match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        }
    }
}

/// `--message-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MessageFormat {
    /// Text for people on stderr; results on stdout.
    #[default]
    Human,
    /// One JSON object per line on stdout.
    Json,
}

/// How much to say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// The default.
    #[default]
    Normal,
    /// `-v`: also the commands run and where settings came from.
    Verbose,
    /// `-vv` and more: everything.
    VeryVerbose,
}

const STATUS: Style = AnsiColor::Green.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();

/// Hides progress bars while a line is written to stderr, then redraws
/// them. Implemented by the command that owns the bars.
pub trait StderrGuard: Send + Sync {
    /// Runs `write` with the bars out of the way.
    fn suspend(&self, write: &mut dyn FnMut());
}

/// The terminal of one run.
pub struct Shell {
    format: MessageFormat,
    verbosity: Verbosity,
    color: bool,
    color_choice: ColorChoice,
    stderr_terminal: bool,
    guard: Mutex<Option<Box<dyn StderrGuard>>>,
    stdout_closed: AtomicBool,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell")
            .field("format", &self.format)
            .field("verbosity", &self.verbosity)
            .field("color", &self.color)
            .finish_non_exhaustive()
    }
}

impl Shell {
    /// A shell for this process. `color` is `--color` (or `CARGO_TERM_COLOR`);
    /// `Auto` also honours `NO_COLOR`, `CLICOLOR_FORCE` and whether stderr is
    /// a terminal.
    pub fn new(color: ColorChoice, format: MessageFormat, verbosity: Verbosity) -> Shell {
        let stderr = io::stderr();
        let stderr_terminal = stderr.is_terminal();
        let color_on = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                anstream::AutoStream::choice(&stderr) != anstream::ColorChoice::Never
            }
        };
        Shell {
            format,
            verbosity,
            color: color_on,
            color_choice: color,
            stderr_terminal,
            guard: Mutex::new(None),
            stdout_closed: AtomicBool::new(false),
        }
    }

    /// The message format.
    pub fn format(&self) -> MessageFormat {
        self.format
    }

    /// The verbosity.
    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// Whether stderr output is coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    /// What to pass to cargo's `--color`, so its output matches ours.
    pub fn cargo_color(&self) -> &'static str {
        match self.color_choice {
            ColorChoice::Auto if self.color => "always",
            ColorChoice::Auto => "never",
            other => other.as_str(),
        }
    }

    /// Whether progress bars may be drawn: stderr is a terminal, `CI` is not
    /// set, and the run is neither quiet nor JSON.
    pub fn progress_allowed(&self) -> bool {
        self.stderr_terminal
            && std::env::var_os("CI").is_none()
            && self.verbosity != Verbosity::Quiet
    }

    /// Installs (or removes) the progress display that stderr writes must
    /// step around.
    pub fn set_stderr_guard(&self, guard: Option<Box<dyn StderrGuard>>) {
        *self
            .guard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = guard;
    }

    /// Writes raw text to stderr, around any progress display.
    pub fn write_stderr(&self, text: &str) {
        let text = if self.color {
            std::borrow::Cow::Borrowed(text)
        } else {
            std::borrow::Cow::Owned(anstream::adapter::strip_str(text).to_string())
        };
        let guard = self
            .guard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut write = || {
            // Nothing useful can be done when stderr itself is gone.
            let _ = io::stderr().lock().write_all(text.as_bytes());
        };
        match guard.as_ref() {
            Some(g) => g.suspend(&mut write),
            None => write(),
        }
    }

    fn styled(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    /// `text` in cargo's status style (bold green) when colour is on: the
    /// prompt of an interactive session.
    pub fn status_style(&self, text: &str) -> String {
        self.styled(STATUS, text)
    }

    /// `text` in bold when colour is on: results in an interactive session.
    pub fn emphasis(&self, text: &str) -> String {
        self.styled(Style::new().bold(), text)
    }

    /// A `note: ...` line, not shown with `-q`.
    pub fn note(&self, message: impl Display) {
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        let note = self.styled(NOTE, "note");
        self.write_stderr(&format!("{note}: {message}\n"));
    }

    /// A cargo-style status line: a right-aligned green verb and a message,
    /// for example `   Compiling shapes`. Not shown with `-q`.
    pub fn status(&self, verb: &str, message: impl Display) {
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        let verb = self.styled(STATUS, &format!("{verb:>12}"));
        self.write_stderr(&format!("{verb} {message}\n"));
    }

    /// A status line in the warning colour (for example `     Skipped`).
    pub fn status_warn(&self, verb: &str, message: impl Display) {
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        let verb = self.styled(WARN, &format!("{verb:>12}"));
        self.write_stderr(&format!("{verb} {message}\n"));
    }

    /// A status line in the error colour (for example `      Failed`). Shown
    /// even with `-q`.
    pub fn status_error(&self, verb: &str, message: impl Display) {
        let verb = self.styled(ERROR, &format!("{verb:>12}"));
        self.write_stderr(&format!("{verb} {message}\n"));
    }

    /// A `note: ...` line, shown from `-v` on.
    pub fn verbose(&self, message: impl Display) {
        if self.verbosity >= Verbosity::Verbose {
            let note = self.styled(NOTE, "note");
            self.write_stderr(&format!("{note}: {message}\n"));
        }
    }

    /// A `warning: ...` line, not shown with `-q`.
    pub fn warn(&self, message: impl Display) {
        if self.verbosity == Verbosity::Quiet {
            return;
        }
        let warning = self.styled(WARN, "warning");
        self.write_stderr(&format!("{warning}: {message}\n"));
    }

    /// Reports a diagnostic: as a JSON line on stdout with
    /// `--message-format json`, else rendered on stderr. Errors are shown
    /// even with `-q`; warnings are not.
    pub fn diagnostic(&self, diagnostic: &Diagnostic) {
        if diagnostic.severity == Severity::Warning && self.verbosity == Verbosity::Quiet {
            return;
        }
        match self.format {
            MessageFormat::Json => self.json(&diagnostic.to_json()),
            MessageFormat::Human => {
                let mut text = diagnostic.render(self.color);
                text.push_str("\n\n");
                self.write_stderr(&text);
            }
        }
    }

    /// Reports several diagnostics.
    pub fn diagnostics<'a>(&self, diagnostics: impl IntoIterator<Item = &'a Diagnostic>) {
        for d in diagnostics {
            self.diagnostic(d);
        }
    }

    /// Writes one line of results to stdout. A closed pipe (`| head`) is not
    /// an error: later lines are dropped quietly.
    pub fn out(&self, line: impl Display) {
        if self.stdout_closed.load(Ordering::Relaxed) {
            return;
        }
        let mut stdout = io::stdout().lock();
        if let Err(e) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
            self.stdout_failed(&e);
        }
    }

    /// Writes one JSON object as a line on stdout.
    pub fn json(&self, value: &serde_json::Value) {
        self.out(value);
    }

    /// Records that stdout can no longer be written; a broken pipe is
    /// quiet, anything else is reported once.
    pub fn stdout_failed(&self, error: &io::Error) {
        if !self.stdout_closed.swap(true, Ordering::Relaxed)
            && error.kind() != io::ErrorKind::BrokenPipe
        {
            self.warn(format_args!("cannot write to stdout: {error}"));
        }
    }

    /// Whether stdout has been closed by the reader.
    pub fn stdout_closed(&self) -> bool {
        self.stdout_closed.load(Ordering::Relaxed)
    }
}
