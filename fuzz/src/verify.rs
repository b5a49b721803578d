//! The `verify` property: verify's analysis of any file never panics and
//! always returns a report whose verdict follows from its diagnostics;
//! every diagnostic has a code, a message, and a place (a label inside its
//! file, or the artifact as origin).
//!
//! Each artifact is verified twice, as a proxy-wasm host (envoy or higress)
//! and as wasmtime, with small limits: 100 ms and 64 MiB per guest call.

use std::io::Write;
use std::sync::LazyLock;
use std::time::Duration;

use wasmkit_build::verify::{
    ArtifactKind, ArtifactReport, Verdict, VerifySettings, VerifyTarget, verify_one,
};
use wasmkit_core::{Diagnostic, HostKind};
use wasmkit_invoke::{Limits, Runtime, RuntimeOptions};

use crate::check;

/// One artifact and how to verify it.
#[derive(Clone, Debug, Default)]
pub struct Case {
    /// The file's bytes.
    pub artifact: Vec<u8>,
    /// Name the file `.wat` rather than `.wasm` (text is recognised by
    /// content too; the extension forces it).
    pub wat_name: bool,
    /// The plugin configuration given to `proxy_on_configure`.
    pub config: Option<Vec<u8>>,
    /// Model higress rather than envoy as the proxy-wasm host.
    pub higress: bool,
    /// Run WASI command modules.
    pub run_commands: bool,
    /// Count warnings as errors.
    pub deny_warnings: bool,
}

/// Flags of the input's second byte.
const HIGRESS: u8 = 1;
const RUN_COMMANDS: u8 = 2;
const DENY_WARNINGS: u8 = 4;
const WAT_NAME: u8 = 8;
/// Generated modules keep unbounded loops (used by the fuzz target only).
pub const UNBOUNDED: u8 = 16;
const CONFIG: u8 = 32;

impl Case {
    /// A case from the input's flags byte, an artifact and a configuration.
    pub fn new(flags: u8, artifact: Vec<u8>, config: Option<Vec<u8>>) -> Case {
        Case {
            artifact,
            wat_name: flags & WAT_NAME != 0,
            config: config.filter(|_| flags & CONFIG != 0),
            higress: flags & HIGRESS != 0,
            run_commands: flags & RUN_COMMANDS != 0,
            deny_warnings: flags & DENY_WARNINGS != 0,
        }
    }

    /// Reads a file-as-is input: byte 0 is 0 (mod 4), byte 1 the flags;
    /// with the configuration flag, a little-endian `u16` length and that
    /// many bytes of configuration follow; the rest is the artifact. This
    /// is the format of the seeds and of `fuzz/regressions/verify/`.
    pub fn decode(data: &[u8]) -> Option<Case> {
        let [mode, flags, rest @ ..] = data else {
            return None;
        };
        if mode % 4 != 0 {
            return None;
        }
        let (config, artifact) = if flags & CONFIG != 0 {
            let [lo, hi, rest @ ..] = rest else {
                return None;
            };
            let len = usize::from(u16::from_le_bytes([*lo, *hi]));
            let (config, artifact) = rest.split_at_checked(len)?;
            (Some(config.to_vec()), artifact)
        } else {
            (None, rest)
        };
        Some(Case::new(*flags, artifact.to_vec(), config))
    }

    /// The input [`Case::decode`] reads back as this case.
    pub fn encode(&self) -> Vec<u8> {
        let mut flags = 0;
        for (set, flag) in [
            (self.higress, HIGRESS),
            (self.run_commands, RUN_COMMANDS),
            (self.deny_warnings, DENY_WARNINGS),
            (self.wat_name, WAT_NAME),
        ] {
            if set {
                flags |= flag;
            }
        }
        let mut data = vec![0, flags];
        if let Some(config) = &self.config {
            let config = &config[..config.len().min(usize::from(u16::MAX))];
            data[1] |= CONFIG;
            let len = u16::try_from(config.len()).unwrap_or(u16::MAX);
            data.extend_from_slice(&len.to_le_bytes());
            data.extend_from_slice(config);
        }
        data.extend_from_slice(&self.artifact);
        data
    }
}

/// One engine per process, without the compile cache.
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    Runtime::new(&RuntimeOptions {
        fuel: false,
        timeouts: true,
        cache_dir: None,
        ..RuntimeOptions::default()
    })
    .expect("an engine")
});

/// Checks every property on one case.
pub fn check(case: &Case) {
    let mut file = tempfile::Builder::new()
        .prefix("wasmkit-fuzz-")
        .suffix(if case.wat_name { ".wat" } else { ".wasm" })
        .tempfile()
        .expect("a temporary file");
    file.write_all(&case.artifact)
        .expect("the artifact is written");
    file.flush().expect("the artifact is written");

    let settings = VerifySettings {
        limits: Limits {
            timeout: Some(Duration::from_millis(100)),
            fuel: None,
            max_memory: 64 << 20,
        },
        run_commands: case.run_commands,
        deny_warnings: case.deny_warnings,
    };
    let proxy_host = if case.higress {
        HostKind::Higress
    } else {
        HostKind::Envoy
    };
    for host in [proxy_host, HostKind::Wasmtime] {
        let mut target = VerifyTarget::new("fuzz", file.path());
        target.host = Some(host);
        target.config.clone_from(&case.config);
        let report = verify_one(&RUNTIME, &target, &settings);
        report_is_sound(&report, &settings);
    }
}

fn report_is_sound(report: &ArtifactReport, settings: &VerifySettings) {
    for d in &report.diagnostics {
        check::well_formed(d);
        assert!(
            d.origin.is_some() || !d.labels.is_empty(),
            "a diagnostic that points nowhere: {d:?}"
        );
    }
    let has_errors = report.diagnostics.iter().any(Diagnostic::is_error);
    let expected = if has_errors || (settings.deny_warnings && !report.diagnostics.is_empty()) {
        Verdict::Fail
    } else if report.diagnostics.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Warn
    };
    assert_eq!(
        report.verdict, expected,
        "the verdict does not follow from the diagnostics: {report:?}"
    );
    if report.kind == ArtifactKind::Unreadable {
        assert_eq!(report.verdict, Verdict::Fail, "{report:?}");
    }
    for c in &report.checks {
        let _ = format!("{c:?}");
    }
    let _ = report.summary();
    let _ = report.to_json().to_string();
}
