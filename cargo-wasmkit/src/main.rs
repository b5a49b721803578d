//! `cargo wasmkit`: parse the command line, run the subcommand, exit with
//! its status. Everything else lives in the subcommand modules and the
//! library crates.

mod cli;
mod commands;
mod render;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse_from(cli::normalize_args(std::env::args_os()));
    commands::run(&cli).into()
}
