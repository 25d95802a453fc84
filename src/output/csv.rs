//! CSV rows with a header of stable column names (RFC 4180 quoting).

use std::io::Write;

use super::{Cell, Column};

pub struct CsvRows<W: Write> {
    /// Boxed: the writer carries its buffer inline, and the enums that
    /// hold a `CsvRows` should stay small.
    writer: Box<::csv::Writer<W>>,
}

impl<W: Write> CsvRows<W> {
    pub fn new(out: W, columns: &[Column]) -> anyhow::Result<CsvRows<W>> {
        let mut writer = Box::new(::csv::Writer::from_writer(out));
        writer.write_record(columns.iter().map(|c| c.name))?;
        Ok(CsvRows { writer })
    }

    pub fn push(&mut self, cells: &[Cell]) -> anyhow::Result<()> {
        self.writer
            .write_record(cells.iter().map(|cell| guard(cell.plain())))?;
        Ok(())
    }

    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.writer.flush()?;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.writer.flush()?;
        Ok(())
    }
}

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` at
/// the start: CSV injection) gets a leading apostrophe. Names and emails
/// come from imports, so they are not trusted. Numbers keep their sign.
fn guard(text: String) -> String {
    let risky = text.starts_with(['=', '+', '@', '\t', '\r'])
        || (text.starts_with('-') && text.parse::<f64>().is_err());
    if risky { format!("'{text}") } else { text }
}

#[cfg(test)]
mod tests {
    use super::guard;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(guard("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(guard("-12".into()), "-12");
        assert_eq!(guard("-cmd".into()), "'-cmd");
        assert_eq!(guard("maria@x.org".into()), "maria@x.org");
    }
}
