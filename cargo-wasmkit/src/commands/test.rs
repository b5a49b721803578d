//! `cargo wasmkit test`: build the selected plugins, run their scenario
//! files (in the proxy-wasm host models, or on wasmtime for components),
//! and report like `cargo test`.

use std::path::{Path, PathBuf};

use clap::Args;
use wasmkit_build::test::{self, TestEvent, TestOptions, TestOutcome, render};
use wasmkit_core::{Diagnostic, HostKind, MessageFormat, Shell, codes};

use super::CommandResult;

use crate::cli::CargoSelection;

const SCENARIO_HELP: &str = "\
Proxy-wasm scenario files (TOML), one scenario each; every key is optional:
  name, hosts = [\"envoy\", \"higress\"], kind = \"http\"|\"network\"|\"service\",
  config = \"...\" (or a table, passed as JSON) | config-file = \"path\",
  vm-config | vm-config-file, root-id, vm-id, ticks = N,
  properties = { \"route_name\" = \"r1\" }, allow-on-headers-stop-iteration = true
  [request]  method path authority scheme headers body | body-chunks trailers
  [response] status headers body | body-chunks trailers
  [callouts.<cluster>] status headers body | fail = \"reset\"|\"timeout\"
  [grpc.<cluster>] status message
  [redis.<cluster>] reply (RESP) | fail = \"network-error\"   (Higress)
  [network] downstream upstream close = \"downstream\"|\"upstream\"
  [expect] outcome status upstream-headers upstream-headers-absent upstream-body
           response-headers response-headers-absent response-body
           upstream-data downstream-data log-contains log-absent callouts

Component scenario files (a plugin that builds a component), on wasmtime:
  calls on one instance, in order, with `let` bindings carried across:
    name, mocks = { \"store.get\" = 'some(\"v\")' }
    [[call]] call = \"f(1)\", expect = \"WAVE\" | expect-error = \"text\",
             imports = ['store.get(\"k\")']
  or one request to an HTTP handler (`wasi:http/incoming-handler`):
    name
    [request] method path authority scheme headers body
    [callouts.\"<authority>\"] status headers body | fail = \"reset\"|\"timeout\"
    [expect] status response-headers response-headers-absent response-body callouts

Exit codes: 0 every scenario passed, 1 one failed (or a build failed),
2 a scenario file is bad (nothing of that file runs).";

#[derive(Debug, Args)]
#[command(after_long_help = SCENARIO_HELP)]
pub(crate) struct TestArgs {
    /// Scenario files to run (an existing path, or one ending in `.toml`); any other word is a filter: only scenarios whose name or file contains it run
    #[arg(value_name = "FILE|FILTER")]
    pub args: Vec<String>,
    /// Run every proxy-wasm scenario on this host instead of the hosts it names (repeatable; component scenarios run on wasmtime)
    #[arg(long, help_heading = "Test Options", value_enum)]
    pub host: Vec<ProxyHostArg>,
    /// Run the scenarios against this .wasm or .wat file, built by any toolchain, instead of the selected plugins
    #[arg(long, help_heading = "Test Options", value_name = "FILE")]
    pub artifact: Option<PathBuf>,
    /// The plugin's root id (over `ROOT_ID`; a scenario's `root-id` wins)
    #[arg(long, help_heading = "Test Options", value_name = "ID")]
    pub root_id: Option<String>,
    /// The VM id (over `VM_ID`; a scenario's `vm-id` wins)
    #[arg(long, help_heading = "Test Options", value_name = "ID")]
    pub vm_id: Option<String>,
    /// Use the plugins' built artifacts; a missing or stale one is an error
    #[arg(long, help_heading = "Test Options")]
    pub no_build: bool,
    /// Extra build tags for the selected plugins, comma-separated
    #[arg(
        long,
        help_heading = "Test Options",
        value_name = "TAGS",
        value_delimiter = ','
    )]
    pub tags: Vec<String>,
    #[command(flatten)]
    pub selection: CargoSelection,
}

/// `--host`: the proxy-wasm hosts.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ProxyHostArg {
    Envoy,
    Higress,
}

impl From<ProxyHostArg> for HostKind {
    fn from(h: ProxyHostArg) -> HostKind {
        match h {
            ProxyHostArg::Envoy => HostKind::Envoy,
            ProxyHostArg::Higress => HostKind::Higress,
        }
    }
}

impl TestArgs {
    pub(crate) fn run(&self, shell: &Shell) -> CommandResult {
        let (files, filters) = split_files_and_filters(&self.args);
        let options = TestOptions {
            files,
            filters,
            hosts: self.host.iter().map(|&h| h.into()).collect(),
            root_id: self.root_id.clone(),
            vm_id: self.vm_id.clone(),
            no_build: self.no_build,
            limits: wasmkit_build::verify::default_limits(),
        };
        let mut printer = Printer { shell };
        let outcome = match &self.artifact {
            Some(artifact) => {
                if !self.selection.workspace.package.is_empty() || self.no_build {
                    return Err(Diagnostic::error(
                        codes::USAGE,
                        "`--artifact` runs scenarios against a file: it takes no `-p` and builds nothing",
                    )
                    .with_help("drop `-p`/`--no-build`, or drop `--artifact` to test the selected plugins")
                    .into());
                }
                test::test_artifact(artifact, &options, |e| printer.event(&e))
            }
            None => {
                let (project, selected) = self.selection.select(&self.tags)?;
                shell.diagnostics(&selected.warnings);
                let explicit = !self.selection.workspace.package.is_empty();
                test::test_plugins(
                    &project,
                    &selected.plugins,
                    explicit,
                    &options,
                    shell,
                    |e| {
                        printer.event(&e);
                    },
                )
            }
        };
        printer.finish(&outcome);
        Ok(outcome.status)
    }
}

/// A positional names a file when it exists or ends in `.toml` (a missing
/// scenario file is then reported as such); anything else filters.
fn split_files_and_filters(args: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut filters = Vec::new();
    for arg in args {
        if arg.ends_with(".toml") || Path::new(arg).exists() {
            files.push(PathBuf::from(arg));
        } else {
            filters.push(arg.clone());
        }
    }
    (files, filters)
}

/// Prints a test run as it goes: results on stdout (libtest's words, or one
/// JSON object per run), problems as diagnostics.
struct Printer<'s> {
    shell: &'s Shell,
}

impl Printer<'_> {
    fn event(&mut self, event: &TestEvent<'_>) {
        let json = self.shell.format() == MessageFormat::Json;
        match event {
            TestEvent::Problems(ds) => self.shell.diagnostics(ds.iter()),
            TestEvent::Running(n) if !json => self.shell.out(render::running(*n)),
            TestEvent::Running(_) => {}
            TestEvent::Finished(run) if json => self.shell.json(&run.to_json()),
            TestEvent::Finished(run) => self.shell.out(render::result_line(run)),
        }
    }

    fn finish(&mut self, outcome: &TestOutcome) {
        if self.shell.format() == MessageFormat::Json {
            self.shell.json(&outcome.summary.to_json());
            return;
        }
        let failures = render::failures(&outcome.runs, false);
        if !failures.is_empty() {
            self.shell.out(failures);
        }
        self.shell.out(render::summary(&outcome.summary));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_names_and_existing_paths_are_files_other_words_filter() {
        let here = env!("CARGO_MANIFEST_DIR").to_string();
        let (files, filters) =
            split_files_and_filters(&["missing.toml".into(), here.clone(), "blocks".into()]);
        assert_eq!(files, [PathBuf::from("missing.toml"), PathBuf::from(here)]);
        assert_eq!(filters, ["blocks"]);
    }
}
