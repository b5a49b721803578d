//! Process exit codes, defined once for every command.

/// How a `cargo wasmkit` run ended. The numeric values are part of the
/// command-line interface and documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExitStatus {
    /// Everything asked for was done.
    Success = 0,
    /// The work itself failed: a build failed, verification found errors,
    /// a guest trapped or ran out of time.
    Failure = 1,
    /// The input was bad: usage, an unreadable or invalid file, bad
    /// configuration, bad WAVE, an unknown function.
    BadInput = 2,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The more serious of two outcomes: bad input outranks a failure,
    /// which outranks success.
    #[must_use]
    pub fn worst(self, other: ExitStatus) -> ExitStatus {
        self.max(other)
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::ExitStatus;

    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(ExitStatus::Success.code(), 0);
        assert_eq!(ExitStatus::Failure.code(), 1);
        assert_eq!(ExitStatus::BadInput.code(), 2);
        assert_eq!(
            ExitStatus::Failure.worst(ExitStatus::BadInput),
            ExitStatus::BadInput
        );
        assert_eq!(
            ExitStatus::Success.worst(ExitStatus::Failure),
            ExitStatus::Failure
        );
    }
}
