//! One module per subcommand; each has an `Args` struct with a `run`
//! method that returns the run's exit status or the diagnostics that
//! stopped it.

pub(crate) mod build;
pub(crate) mod cache;
pub(crate) mod config;
pub(crate) mod invoke;
pub(crate) mod new;
pub(crate) mod test;
pub(crate) mod verify;

use wasmkit_core::{Diagnostics, ExitStatus, Shell};

use crate::cli::{Cli, Command};

/// What a subcommand returns: how it ended, or why it could not go on.
pub(crate) type CommandResult = Result<ExitStatus, Diagnostics>;

/// Runs the parsed command line and reports its outcome.
pub(crate) fn run(cli: &Cli) -> ExitStatus {
    let shell = Shell::new(
        cli.global.color(),
        cli.global.message_format(),
        cli.global.verbosity(),
    );
    let result = match &cli.command {
        Command::Build(args) => args.run(&shell),
        Command::Verify(args) => args.run(&shell),
        Command::Invoke(args) => args.run(&shell),
        Command::Config(args) => args.run(&shell),
        Command::New(args) => args.run(&shell),
        Command::Test(args) => args.run(&shell),
        Command::Cache(args) => args.run(&shell),
    };
    match result {
        Ok(status) => status,
        Err(diagnostics) => {
            shell.diagnostics(&diagnostics.0);
            match diagnostics.exit_status() {
                ExitStatus::Success => ExitStatus::Failure,
                status => status,
            }
        }
    }
}
