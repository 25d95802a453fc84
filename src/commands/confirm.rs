//! Asking before a change on a terminal, as `revoke` and `reclaim run` do:
//! without a terminal to answer on, `--yes` is required instead.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use crate::exit::UsageError;

/// Refuses to ask when nobody can answer: stdin is not a terminal, or it
/// carried the command's input. `what` completes "not asking to …".
pub fn require_terminal(what: &str, from_stdin: bool) -> Result<(), UsageError> {
    if from_stdin || !std::io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "not asking to {what}: stdin is not a terminal; pass --yes to go ahead (or --dry-run to preview)"
        )));
    }
    Ok(())
}

/// Asks `prompt [y/N]` on stderr; true only for y or yes.
pub fn ask(prompt: &str) -> anyhow::Result<bool> {
    eprint!("{prompt} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}
