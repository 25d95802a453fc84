//! Exit codes of the command line, and how an error maps to one. Scripts
//! branch on these numbers: they are documented in `--help` and the README
//! and must not change meaning.

use std::process::ExitCode;

use seatdesk_client::{ClientError, ConfigError};

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Code {
    /// Everything asked for was done.
    Success = 0,
    /// An unexpected failure: a server error (5xx), an unreadable answer,
    /// a local file that cannot be written.
    Internal = 1,
    /// Bad arguments or input, an unusable profile, or a confirmation that
    /// could not be asked or was declined (clap also exits 2 on usage
    /// errors).
    Usage = 2,
    /// A bulk operation was carried out but refused some items (revoke,
    /// restore, import rows, a reclaim run's refused seats, ignored `seen`
    /// ids).
    Partial = 3,
    /// The token was refused (401) or is not allowed to do this (403), or
    /// the profile is read-only.
    Auth = 4,
    /// The server could not be reached or did not answer in time.
    Connection = 5,
    /// The server refused the request: not found (404), conflict, invalid (4xx).
    Rejected = 6,
    /// A check answered "no": `check` denies access, `doctor` found
    /// discrepancies, `alerts --fail-on` matched, a webhook test failed.
    CheckFailed = 7,
}

impl Code {
    pub fn exit(self) -> ExitCode {
        ExitCode::from(self as u8)
    }
}

/// The exit-code table as `--help` prints it.
pub const HELP_TABLE: &str = "\
Exit codes:
  0  success
  1  unexpected error (server error, unreadable answer, local I/O)
  2  usage: bad arguments or input, unusable profile, confirmation needed
     (--yes) or declined
  3  partial: a bulk operation refused some items (revoke, restore, import
     rows, reclaim run, seen)
  4  auth: token refused (401), not allowed (403), or read-only profile
  5  connection: server unreachable or timed out
  6  rejected: the server refused the request (not found, conflict, invalid)
  7  check failed: access denied (check), discrepancies (doctor),
     alerts at --fail-on severity, webhook test not delivered

Data goes to stdout, errors and progress to stderr.";

/// A mistake in what the user asked for, detected before or without the
/// server (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Something named on the command line that the server does not have
/// (exit 6), e.g. an unknown product SKU.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotFound(pub String);

/// A mutation refused locally because the profile is read-only (exit 4).
#[derive(Debug, thiserror::Error)]
#[error("profile '{0}' is read-only; use a profile without readonly = true to change data")]
pub struct ReadOnly(pub String);

/// The exit code for `error`, from the first error in its chain we know.
pub fn classify(error: &anyhow::Error) -> Code {
    for cause in error.chain() {
        if let Some(client) = cause.downcast_ref::<ClientError>() {
            return client_code(client);
        }
        if cause.is::<ConfigError>() || cause.is::<UsageError>() {
            return Code::Usage;
        }
        if cause.is::<NotFound>() {
            return Code::Rejected;
        }
        if cause.is::<ReadOnly>() {
            return Code::Auth;
        }
    }
    Code::Internal
}

fn client_code(error: &ClientError) -> Code {
    match error {
        ClientError::Unreachable { .. } | ClientError::Timeout { .. } => Code::Connection,
        ClientError::Unauthorized(_) => Code::Auth,
        ClientError::Problem(problem) => match problem.status {
            401 | 403 => Code::Auth,
            400..=499 => Code::Rejected,
            _ => Code::Internal,
        },
        ClientError::BadUrl(_) => Code::Usage,
        ClientError::Decode { .. } | ClientError::Cache(_) => Code::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seatdesk_core::Problem;

    fn problem(status: u16) -> anyhow::Error {
        ClientError::Problem(Problem {
            kind: "x".into(),
            title: "t".into(),
            status,
            detail: "d".into(),
            errors: vec![],
            request_id: None,
        })
        .into()
    }

    #[test]
    fn errors_map_to_their_documented_codes() {
        assert_eq!(classify(&problem(403)), Code::Auth);
        assert_eq!(classify(&problem(404)), Code::Rejected);
        assert_eq!(classify(&problem(422)), Code::Rejected);
        assert_eq!(classify(&problem(500)), Code::Internal);
        let offline: anyhow::Error = ClientError::Unreachable {
            url: "u".into(),
            detail: "d".into(),
        }
        .into();
        assert_eq!(
            classify(&offline.context("listing claims")),
            Code::Connection
        );
        assert_eq!(classify(&UsageError("bad".into()).into()), Code::Usage);
        assert_eq!(classify(&anyhow::anyhow!("disk full")), Code::Internal);
    }
}
