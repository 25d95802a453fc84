//! What the command line prints: listings as a terminal-width table, JSON
//! (the API types as the server sends them) or CSV (a header row of stable
//! column names), on stdout, and exports of the same rows to .csv, .xlsx or
//! .json files. Rows stream: CSV and JSON are written page by page, so a
//! million-row listing never sits in memory (tables need every row to size
//! their columns, so they are buffered).

mod csv;
mod json;
pub mod records;
mod table;
mod xlsx;

use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use self::csv::CsvRows;
pub use records::name;
pub use table::Table;

use crate::exit::UsageError;

/// `--output`: how stdout shows the data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, fitted to the terminal width.
    #[default]
    Table,
    /// The API's JSON: an array for listings, an object for reports.
    Json,
    /// A header row, then one row per item (RFC 4180).
    Csv,
}

/// One value of a row, typed so spreadsheets get numbers and dates.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(DateTime<Utc>),
    Date(NaiveDate),
}

impl Cell {
    /// The stable text form (CSV): RFC 3339 UTC times, ISO dates.
    pub fn plain(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Float(x) => format!("{x:.2}"),
            Cell::Bool(b) => b.to_string(),
            Cell::Time(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            Cell::Date(d) => d.to_string(),
        }
    }

    /// The compact form a table shows: minutes, not seconds and zones.
    pub fn short(&self) -> String {
        match self {
            Cell::Time(t) => t.format("%Y-%m-%d %H:%M").to_string(),
            Cell::Float(x) => format!("{x:.1}"),
            Cell::Bool(true) => "yes".into(),
            Cell::Bool(false) => "no".into(),
            other => other.plain(),
        }
    }

    fn numeric(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Float(_))
    }

    /// Values a table never cuts: a cut number or date misleads.
    fn rigid(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(text.to_string())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Cell {
        Cell::Float(x)
    }
}

impl From<bool> for Cell {
    fn from(b: bool) -> Cell {
        Cell::Bool(b)
    }
}

impl From<DateTime<Utc>> for Cell {
    fn from(t: DateTime<Utc>) -> Cell {
        Cell::Time(t)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Cell {
        value.map_or(Cell::Empty, Into::into)
    }
}

/// One column of a listing: its stable CSV name, and whether the terminal
/// table shows it (tables keep to the columns a person scans).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub table: bool,
    /// A shorter table header than the upper-cased name.
    pub title: Option<&'static str>,
}

impl Column {
    /// Sets the table header (CSV keeps `name`).
    pub const fn titled(self, title: &'static str) -> Column {
        Column {
            title: Some(title),
            ..self
        }
    }

    pub fn header(&self) -> String {
        self.title
            .map_or_else(|| self.name.to_uppercase(), str::to_string)
    }
}

pub const fn col(name: &'static str) -> Column {
    Column {
        name,
        table: true,
        title: None,
    }
}

/// A column in CSV, JSON and exports but not in the terminal table.
pub const fn wide(name: &'static str) -> Column {
    Column {
        name,
        table: false,
        title: None,
    }
}

/// An item that can be listed: serialized as itself in JSON, as
/// [`Record::cells`] (one per [`Record::COLUMNS`] entry) in CSV and tables.
pub trait Record: Serialize {
    const COLUMNS: &'static [Column];
    fn cells(&self) -> Vec<Cell>;
}

/// Where `--export PATH` writes, chosen by the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Csv,
    Xlsx,
    Json,
}

impl ExportKind {
    pub fn from_path(path: &Path) -> Result<ExportKind, UsageError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(ExportKind::Csv),
            Some("xlsx") => Ok(ExportKind::Xlsx),
            Some("json") => Ok(ExportKind::Json),
            _ => Err(UsageError(format!(
                "cannot tell the export format of {}: name it .csv, .xlsx or .json",
                path.display()
            ))),
        }
    }
}

enum Screen {
    Table(Table),
    Json(json::JsonArray<Box<dyn Write>>),
    Csv(csv::CsvRows<Box<dyn Write>>),
}

enum Export {
    Csv(csv::CsvRows<std::io::BufWriter<std::fs::File>>),
    Json(json::JsonArray<std::io::BufWriter<std::fs::File>>),
    Xlsx(Box<xlsx::Sheet>),
}

/// Receives a listing's items page by page and writes them to stdout in the
/// chosen format and, with `--export`, to a file.
pub struct Sink<T: Record> {
    screen: Option<Screen>,
    export: Option<(Export, PathBuf)>,
    rows: usize,
    _items: std::marker::PhantomData<T>,
}

impl<T: Record> Sink<T> {
    /// `output` None with an export means "export only"; None without one
    /// means a table.
    pub fn new(output: Option<Format>, export: Option<&Path>) -> anyhow::Result<Sink<T>> {
        let output = match (output, export) {
            (None, Some(_)) => None,
            (None, None) => Some(Format::Table),
            (Some(format), _) => Some(format),
        };
        let stdout = || -> Box<dyn Write> { Box::new(std::io::BufWriter::new(std::io::stdout())) };
        let screen = match output {
            None => None,
            Some(Format::Table) => Some(Screen::Table(Table::with_headers(
                T::COLUMNS.iter().filter(|c| c.table).map(Column::header),
            ))),
            Some(Format::Json) => Some(Screen::Json(json::JsonArray::new(stdout())?)),
            Some(Format::Csv) => Some(Screen::Csv(csv::CsvRows::new(stdout(), T::COLUMNS)?)),
        };
        let export = match export {
            None => None,
            Some(path) => {
                let kind = ExportKind::from_path(path)?;
                let file = || -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
                    let file = std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    Ok(std::io::BufWriter::new(file))
                };
                let export = match kind {
                    ExportKind::Csv => Export::Csv(csv::CsvRows::new(file()?, T::COLUMNS)?),
                    ExportKind::Json => Export::Json(json::JsonArray::new(file()?)?),
                    ExportKind::Xlsx => Export::Xlsx(Box::new(xlsx::Sheet::new(T::COLUMNS)?)),
                };
                Some((export, path.to_path_buf()))
            }
        };
        Ok(Sink {
            screen,
            export,
            rows: 0,
            _items: std::marker::PhantomData,
        })
    }

    pub fn push(&mut self, item: &T) -> anyhow::Result<()> {
        let cells = item.cells();
        debug_assert_eq!(cells.len(), T::COLUMNS.len());
        match &mut self.screen {
            None => {}
            Some(Screen::Table(table)) => table.push(
                cells
                    .iter()
                    .zip(T::COLUMNS)
                    .filter(|(_, c)| c.table)
                    .map(|(cell, _)| cell),
            ),
            Some(Screen::Json(out)) => out.push(item)?,
            Some(Screen::Csv(out)) => out.push(&cells)?,
        }
        match &mut self.export {
            None => {}
            Some((Export::Csv(out), _)) => out.push(&cells)?,
            Some((Export::Json(out), _)) => out.push(item)?,
            Some((Export::Xlsx(sheet), _)) => sheet.push(&cells)?,
        }
        self.rows += 1;
        Ok(())
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes what was buffered (the table, the closing bracket, the
    /// workbook) and says on stderr where an export went.
    pub fn finish(self) -> anyhow::Result<()> {
        match self.screen {
            None => {}
            Some(Screen::Table(table)) => print_table(&table)?,
            Some(Screen::Json(out)) => out.finish()?,
            Some(Screen::Csv(out)) => out.finish()?,
        }
        if let Some((export, path)) = self.export {
            match export {
                Export::Csv(out) => out.finish()?,
                Export::Json(out) => out.finish()?,
                Export::Xlsx(sheet) => sheet.save(&path)?,
            }
            eprintln!("wrote {} rows to {}", self.rows, path.display());
        }
        Ok(())
    }
}

/// The width a table must fit: the terminal's, when stdout is one.
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize)
}

pub fn print_table(table: &Table) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(table.render(terminal_width()).as_bytes())?;
    out.flush()?;
    Ok(())
}

/// A report object as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Writes `items` once in `format` (for short lists and report parts).
pub fn print_records<T: Record>(format: Format, items: &[T]) -> anyhow::Result<()> {
    let mut sink = Sink::<T>::new(Some(format), None)?;
    for item in items {
        sink.push(item)?;
    }
    sink.finish()
}
