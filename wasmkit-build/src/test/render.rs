//! Human output, in the words and layout of `cargo test` (libtest's pretty
//! format) so that people and CI tools read it the same way: a `running`
//! line, one `test ... ok` line per scenario and host, the failures, and
//! the closing `test result:` line.

use super::report::{ScenarioRun, TestSummary};

/// The line before the first result (libtest: `running 3 tests`), after a
/// blank line.
pub fn running(count: usize) -> String {
    let noun = if count == 1 { "scenario" } else { "scenarios" };
    format!("\nrunning {count} {noun}")
}

/// One result: `test add-header/scenarios/hello.toml [envoy] ... ok`.
pub fn result_line(run: &ScenarioRun) -> String {
    let verdict = if run.passed { "ok" } else { "FAILED" };
    format!("test {} ... {verdict}", run.title())
}

/// The failures section: each failed run's diagnostics under its title,
/// then the list of titles. Empty when nothing failed.
pub fn failures<'a>(runs: impl IntoIterator<Item = &'a ScenarioRun>, color: bool) -> String {
    let failed: Vec<&ScenarioRun> = runs.into_iter().filter(|r| !r.passed).collect();
    if failed.is_empty() {
        return String::new();
    }
    let mut text = String::from("\nfailures:\n\n");
    for run in &failed {
        text.push_str(&format!("---- {} ----\n", run.title()));
        for d in run.failure_diagnostics() {
            text.push_str(&d.render(color));
            text.push_str("\n\n");
        }
    }
    text.push_str("\nfailures:\n");
    for run in &failed {
        text.push_str(&format!("    {}\n", run.title()));
    }
    text.truncate(text.trim_end().len());
    text
}

/// The closing line, after a blank line (libtest: `test result: ok. 3
/// passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in
/// 0.01s`). Nothing is ignored or measured; the counts are kept so that
/// tools that parse libtest's line read this one.
pub fn summary(summary: &TestSummary) -> String {
    format!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        if summary.ok() { "ok" } else { "FAILED" },
        summary.passed,
        summary.failed,
        summary.filtered_out,
        summary.duration.as_secs_f64(),
    )
}
