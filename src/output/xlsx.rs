//! Listings as an .xlsx workbook: one sheet, a bold frozen header row of
//! the CSV column names, numbers as numbers and times as Excel dates.

use std::path::Path;

use anyhow::Context;
use chrono::{Datelike, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use super::{Cell, Column};

/// Excel's row limit, less the header row.
const MAX_ROWS: u32 = 1_048_575;

pub struct Sheet {
    sheet: Worksheet,
    row: u32,
    time: Format,
    date: Format,
}

impl Sheet {
    pub fn new(columns: &[Column]) -> anyhow::Result<Sheet> {
        let mut sheet = Worksheet::new();
        sheet.set_name("seatdesk")?;
        let bold = Format::new().set_bold();
        for (i, column) in columns.iter().enumerate() {
            sheet.write_string_with_format(0, i as u16, column.name, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(Sheet {
            sheet,
            row: 0,
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        })
    }

    pub fn push(&mut self, cells: &[Cell]) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.row < MAX_ROWS,
            "an .xlsx sheet holds at most {MAX_ROWS} rows; export to .csv or narrow the listing (--limit)"
        );
        self.row += 1;
        let row = self.row;
        for (i, cell) in cells.iter().enumerate() {
            let col = i as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(text) => {
                    self.sheet.write_string(row, col, text)?;
                }
                Cell::Int(n) => {
                    self.sheet.write_number(row, col, *n as f64)?;
                }
                Cell::Float(x) => {
                    self.sheet.write_number(row, col, *x)?;
                }
                Cell::Bool(b) => {
                    self.sheet.write_boolean(row, col, *b)?;
                }
                Cell::Time(t) => {
                    let when =
                        ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?
                            .and_hms(t.hour() as u16, t.minute() as u8, t.second())?;
                    self.sheet
                        .write_datetime_with_format(row, col, when, &self.time)?;
                }
                Cell::Date(d) => {
                    let when =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                    self.sheet
                        .write_datetime_with_format(row, col, when, &self.date)?;
                }
            }
        }
        Ok(())
    }

    pub fn save(mut self, path: &Path) -> anyhow::Result<()> {
        // Capped, so one long message does not make a column page-wide.
        self.sheet.set_autofit_max_width(60);
        self.sheet.autofit();
        let mut workbook = Workbook::new();
        workbook.push_worksheet(self.sheet);
        workbook
            .save(path)
            .with_context(|| format!("writing {}", path.display()))
    }
}
