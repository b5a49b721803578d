//! What verification said about an artifact, kept in its record: passed,
//! failed or not run, the host it ran against, and a digest of what it
//! checked besides the bytes (host asked for, configuration, calls and
//! expected values, tool version), so that a result is trusted only for
//! the settings it was reached with.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmkit_core::HostKind;

use super::{TOOL_VERSION, sha256_hex};
use crate::verify::{ArtifactReport, Verdict, VerifyTarget};

/// The outcome of the last verification of an artifact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationResult {
    /// Not verified since it was built (`--no-verify`, or an interrupted run).
    #[default]
    NotRun,
    /// Verified without errors (warnings allowed).
    Passed,
    /// Verification reported errors.
    Failed,
}

/// Verification, as recorded beside the artifact.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Passed, failed or not run.
    pub result: VerificationResult,
    /// The host profile it was run against (none for a plain core module).
    pub host: Option<HostKind>,
    /// SHA-256 of the verify settings it was run with.
    pub settings_sha256: Option<String>,
}

impl Verification {
    /// What `report` says about the artifact of `target`.
    pub fn of(report: &ArtifactReport, target: &VerifyTarget) -> Verification {
        Verification {
            result: match report.verdict {
                Verdict::Fail => VerificationResult::Failed,
                Verdict::Pass | Verdict::Warn => VerificationResult::Passed,
            },
            host: report.host,
            settings_sha256: Some(settings_digest(target)),
        }
    }

    /// Whether this says the artifact passed verification with `target`'s
    /// settings, so that it need not be verified again.
    pub fn vouches_for(&self, target: &VerifyTarget) -> bool {
        self.result == VerificationResult::Passed
            && self.settings_sha256.as_deref() == Some(settings_digest(target).as_str())
    }

    /// `passed against envoy`, `failed against wasmtime`, `not run`.
    pub fn describe(&self) -> String {
        let result = match self.result {
            VerificationResult::NotRun => return "not run".to_string(),
            VerificationResult::Passed => "passed",
            VerificationResult::Failed => "failed",
        };
        match self.host {
            Some(host) => format!("{result} against {host}"),
            None => result.to_string(),
        }
    }
}

/// The digest of everything verify is told about `target` besides its
/// bytes. Each part is length-prefixed so that no two settings collide.
fn settings_digest(target: &VerifyTarget) -> String {
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(TOOL_VERSION.as_bytes());
    part(target.host.map_or("", HostKind::as_str).as_bytes());
    part(target.proxy_kind.as_str().as_bytes());
    part(target.root_id.as_bytes());
    part(target.vm_id.as_bytes());
    match &target.config {
        Some(config) => part(sha256_hex(config).as_bytes()),
        None => part(b"-"),
    }
    for call in &target.calls {
        part(call.call.text().as_bytes());
        part(call.expect.as_ref().map_or("", |e| e.text()).as_bytes());
    }
    wasmkit_core::fs::hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::ExpectedCall;
    use wasmkit_invoke::call::CallSource;

    fn target(expect: &str) -> VerifyTarget {
        let mut target = VerifyTarget::new("p", "p.wasm");
        target.calls.push(ExpectedCall {
            call: CallSource::argument("answer()"),
            expect: Some(CallSource::argument(expect)),
        });
        target
    }

    #[test]
    fn a_pass_vouches_only_for_the_same_settings() {
        let passed = Verification {
            result: VerificationResult::Passed,
            host: Some(HostKind::Wasmtime),
            settings_sha256: Some(settings_digest(&target("42"))),
        };
        assert!(passed.vouches_for(&target("42")));
        assert!(!passed.vouches_for(&target("41")));
        let mut other_host = target("42");
        other_host.host = Some(HostKind::Envoy);
        assert!(!passed.vouches_for(&other_host));
        let mut configured = target("42");
        configured.config = Some(b"{}".to_vec());
        assert!(!passed.vouches_for(&configured));

        let failed = Verification {
            result: VerificationResult::Failed,
            ..passed.clone()
        };
        assert!(!failed.vouches_for(&target("42")));
        assert!(!Verification::default().vouches_for(&target("42")));
        assert_eq!(failed.describe(), "failed against wasmtime");
        assert_eq!(Verification::default().describe(), "not run");
    }
}
