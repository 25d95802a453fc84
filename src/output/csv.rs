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

/// The rule every export shares (`seatdesk_core::sheet`).
fn guard(text: String) -> String {
    seatdesk_core::sheet::defuse(&text).into_owned()
}
