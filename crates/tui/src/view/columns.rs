//! Table columns whose widths follow what is on screen. A number or a date
//! is never cut: when the terminal is too narrow, whole columns of lower
//! priority are dropped first; only text columns shrink, cut with `…`.

use ratatui::layout::{Alignment, Constraint};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};
use unicode_width::UnicodeWidthStr;

/// What a column holds decides how it may give way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Names, emails, actions: may shrink to `min` and are cut with `…`.
    Text { min: u16 },
    /// Figures: right-aligned, always whole.
    Number,
    /// Dates, statuses, codes, flags: always whole.
    Fixed,
}

/// One column: its title, its cells for the rows on screen, and how soon it
/// is dropped when space runs out (0 is kept longest).
#[derive(Debug, Clone)]
pub(crate) struct Col {
    pub title: String,
    pub kind: Kind,
    pub drop_order: u8,
    pub cells: Vec<String>,
}

impl Col {
    /// Adds the next row's cell.
    pub fn push(&mut self, cell: impl Into<String>) {
        self.cells.push(cell.into());
    }

    pub fn text(title: &str, min: u16, drop_order: u8) -> Col {
        Col::new(title, Kind::Text { min }, drop_order)
    }

    pub fn number(title: &str, drop_order: u8) -> Col {
        Col::new(title, Kind::Number, drop_order)
    }

    pub fn fixed(title: &str, drop_order: u8) -> Col {
        Col::new(title, Kind::Fixed, drop_order)
    }

    fn new(title: &str, kind: Kind, drop_order: u8) -> Col {
        Col {
            title: title.to_string(),
            kind,
            drop_order,
            cells: Vec::new(),
        }
    }

    fn natural(&self) -> u16 {
        self.cells
            .iter()
            .map(|c| c.width())
            .chain([self.title.width()])
            .max()
            .unwrap_or(0)
            .min(u16::MAX as usize) as u16
    }

    /// Narrowest this column may be drawn.
    fn least(&self) -> u16 {
        match self.kind {
            Kind::Text { min } => self.natural().min(min.max(1)),
            Kind::Number | Kind::Fixed => self.natural(),
        }
    }
}

/// Columns placed in a width: which are shown, and how wide each is.
#[derive(Debug, Clone)]
pub(crate) struct Fitted {
    /// Index into the columns, and the width given.
    pub shown: Vec<(usize, u16)>,
}

/// Gap ratatui's `Table` leaves between columns.
const SPACING: u16 = 1;

/// Text wider than this is cut before any column is dropped for it.
const TEXT_WANTS: u16 = 32;

/// Fits `cols` into `width` cells (inside any border). Columns go, latest
/// `drop_order` first, before text is cut below its natural width (up to
/// [`TEXT_WANTS`]), so rows stay told apart; columns of order 0 always stay,
/// and only then does text shrink, down to its `min`.
pub(crate) fn fit(cols: &[Col], width: u16) -> Fitted {
    let wants = |c: &Col| match c.kind {
        Kind::Text { .. } => c.natural().min(TEXT_WANTS).max(c.least()),
        Kind::Number | Kind::Fixed => c.natural(),
    };
    let total = |shown: &[usize], each: &dyn Fn(&Col) -> u16| -> u32 {
        shown
            .iter()
            .map(|&i| u32::from(each(&cols[i])))
            .sum::<u32>()
            + u32::from(SPACING) * shown.len().saturating_sub(1) as u32
    };
    let mut shown: Vec<usize> = (0..cols.len()).collect();
    while total(&shown, &wants) > u32::from(width) {
        let Some(pos) = shown
            .iter()
            .enumerate()
            .filter(|(_, i)| cols[**i].drop_order > 0)
            .max_by_key(|(pos, i)| (cols[**i].drop_order, *pos))
            .map(|(pos, _)| pos)
        else {
            break;
        };
        shown.remove(pos);
    }
    // Still too wide with only the columns that stay: text shrinks to its
    // least; past that, the rightmost columns go (one always stays).
    while shown.len() > 1 && total(&shown, &Col::least) > u32::from(width) {
        shown.pop();
    }
    let mut widths: Vec<u16> = shown.iter().map(|&i| cols[i].least()).collect();
    let mut spare = u32::from(width).saturating_sub(total(&shown, &Col::least));
    // Text grows back towards what it wants, leftmost first, then further
    // towards its natural width.
    for limit in [&wants as &dyn Fn(&Col) -> u16, &Col::natural] {
        for (slot, &i) in widths.iter_mut().zip(&shown) {
            let grow = u32::from(limit(&cols[i]).saturating_sub(*slot)).min(spare);
            *slot += grow as u16;
            spare -= grow;
        }
    }
    Fitted {
        shown: shown.into_iter().zip(widths).collect(),
    }
}

/// A table of `cols` fitted into `width` (the table's inner width), its
/// header in bold and row `i` styled by `style(i)`; the caller adds the block.
pub(crate) fn table(cols: &[Col], width: u16, style: impl Fn(usize) -> Style) -> Table<'static> {
    let fitted = fit(cols, width);
    let len = cols.first().map_or(0, |c| c.cells.len());
    let rows: Vec<Row> = (0..len)
        .map(|i| Row::new(fitted.cells(cols, i)).style(style(i)))
        .collect();
    Table::new(rows, fitted.widths()).header(super::header_row(fitted.header(cols)))
}

/// `text` cut to `width` columns, ending in `…` when cut.
pub(crate) fn ellipsize(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

impl Fitted {
    pub fn widths(&self) -> Vec<Constraint> {
        self.shown
            .iter()
            .map(|(_, w)| Constraint::Length(*w))
            .collect()
    }

    pub fn header(&self, cols: &[Col]) -> Vec<String> {
        self.shown
            .iter()
            .map(|&(i, w)| ellipsize(&cols[i].title, w))
            .collect()
    }

    /// Row `row`'s cells, cut and aligned for the shown columns.
    pub fn cells(&self, cols: &[Col], row: usize) -> Vec<Cell<'static>> {
        self.shown
            .iter()
            .map(|&(i, w)| {
                let text = cols[i].cells.get(row).map_or("", String::as_str);
                match cols[i].kind {
                    Kind::Number => {
                        Cell::from(Line::from(text.to_string()).alignment(Alignment::Right))
                    }
                    _ => Cell::from(ellipsize(text, w)),
                }
            })
            .collect()
    }

    #[cfg(test)]
    pub fn shows(&self, col: usize) -> bool {
        self.shown.iter().any(|(i, _)| *i == col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Col> {
        let mut name = Col::text("Product", 8, 0);
        name.cells = vec![
            "ConnectED Math Course 1".into(),
            "ConnectED Math Course 2".into(),
        ];
        let mut seats = Col::number("Purch", 0);
        seats.cells = vec!["1155".into(), "-156".into()];
        let mut flags = Col::fixed("Flags", 3);
        flags.cells = vec!["EXPIRING".into(), String::new()];
        let mut finish = Col::fixed("Finish", 2);
        finish.cells = vec!["2025-06-30".into(), "2026-06-30".into()];
        vec![name, seats, flags, finish]
    }

    #[test]
    fn numbers_are_never_cut_columns_are_dropped_instead() {
        let cols = cols();
        let fitted = fit(&cols, 20);
        assert!(fitted.shows(1));
        assert!(!fitted.shows(2), "flags go first");
        let seats = fitted.shown.iter().find(|(i, _)| *i == 1).unwrap().1;
        assert!(seats >= 5, "the header and -156 fit whole: {seats}");
    }

    #[test]
    fn text_is_cut_with_an_ellipsis_and_grows_when_there_is_room() {
        let cols = cols();
        let narrow = fit(&cols, 28);
        let cells = narrow.cells(&cols, 0);
        assert_eq!(narrow.shown[0].0, 0);
        assert!(narrow.shown[0].1 < 23);
        let wide = fit(&cols, 80);
        assert_eq!(wide.shown.len(), 4);
        assert_eq!(wide.shown[0].1, 23, "the whole name");
        assert_eq!(ellipsize("ConnectED Math Course 1", 10), "ConnectED…");
        assert_eq!(cells.len(), narrow.shown.len());
    }

    #[test]
    fn an_empty_column_is_as_wide_as_its_title() {
        let mut code = Col::fixed("Code", 1);
        code.cells = vec![String::new(); 3];
        assert_eq!(code.natural(), 4);
    }
}
