//! Text bound for a spreadsheet (CSV exports of the CLI and the TUI):
//! a cell that a spreadsheet would run as a formula is defused, so one
//! rule guards every export.

use std::borrow::Cow;

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` at
/// the start: CSV injection) gets a leading apostrophe. Names and emails
/// come from imports, so they are not trusted. Numbers keep their sign.
pub fn defuse(text: &str) -> Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '@', '\t', '\r'])
        || (text.starts_with('-') && text.parse::<f64>().is_err());
    if risky {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-12"), "-12");
        assert_eq!(defuse("-cmd"), "'-cmd");
        assert_eq!(defuse("+1 555"), "'+1 555");
        assert_eq!(defuse("maria@x.org"), "maria@x.org");
    }
}
