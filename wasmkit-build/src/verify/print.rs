//! Printing verify's reports: one status line per artifact (kind, ABI or
//! exports, host, size, verdict, time) and its diagnostics, or one JSON
//! object per artifact.

use wasmkit_core::{ExitStatus, MessageFormat, Shell};

use super::{ArtifactReport, Verdict};

/// Prints the reports and returns the run's exit status.
pub fn print_reports(shell: &Shell, reports: &[ArtifactReport], deny_warnings: bool) -> ExitStatus {
    let mut status = ExitStatus::Success;
    for r in reports {
        status = status.worst(r.exit_status(deny_warnings));
        if shell.format() == MessageFormat::Json {
            shell.json(&r.to_json());
            continue;
        }
        let line = format!("{} in {:.1}ms", r.summary(), r.duration_ms);
        match r.verdict {
            Verdict::Pass => shell.status("Verified", line),
            Verdict::Warn => shell.status_warn("Verified", format!("{line}, with warnings")),
            Verdict::Fail => shell.status_error("Failed", line),
        }
        if let Some(compiled_by) = &r.compiled_by {
            shell.verbose(format_args!("{}: compiled by {compiled_by}", r.name));
        }
        shell.diagnostics(&r.diagnostics);
    }
    status
}
