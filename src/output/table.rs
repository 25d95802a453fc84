//! Aligned text tables. On a terminal the widest columns give way first,
//! cut with `…`, so a row never wraps; into a pipe every cell is whole.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::Cell;

/// Columns are not cut below their header or this width; trailing
/// columns are dropped instead.
const MIN_WIDTH: usize = 12;
const GAP: &str = "  ";

#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Right-aligned: every cell so far was a number (or empty).
    numeric: Vec<bool>,
    /// Never cut: every cell so far was a number, date, flag or empty.
    rigid: Vec<bool>,
}

impl Table {
    /// Headers are the upper-cased names.
    pub fn for_columns<'a>(names: impl IntoIterator<Item = &'a str>) -> Table {
        Table::with_headers(names.into_iter().map(str::to_uppercase))
    }

    pub fn with_headers(headers: impl IntoIterator<Item = String>) -> Table {
        let headers: Vec<String> = headers.into_iter().collect();
        Table {
            numeric: vec![true; headers.len()],
            rigid: vec![true; headers.len()],
            headers,
            rows: Vec::new(),
        }
    }

    pub fn push<'a>(&mut self, cells: impl IntoIterator<Item = &'a Cell>) {
        let mut row = Vec::with_capacity(self.headers.len());
        for (i, cell) in cells.into_iter().enumerate() {
            if !cell.numeric()
                && *cell != Cell::Empty
                && let Some(flag) = self.numeric.get_mut(i)
            {
                *flag = false;
            }
            if !cell.rigid()
                && let Some(flag) = self.rigid.get_mut(i)
            {
                *flag = false;
            }
            // Control characters would break the layout (names come from
            // imports); a table shows them as spaces.
            let text: String = cell
                .short()
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            row.push(text);
        }
        self.rows.push(row);
    }

    /// The table as text; `width` is the terminal's, None for a pipe.
    pub fn render(&self, width: Option<usize>) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.width());
            }
        }
        let floors: Vec<usize> = self
            .headers
            .iter()
            .zip(&widths)
            .zip(&self.rigid)
            .map(|((h, w), rigid)| {
                if *rigid {
                    *w
                } else {
                    (*w).min(h.width().max(MIN_WIDTH))
                }
            })
            .collect();
        let mut shown = widths.len();
        if let Some(limit) = width {
            fit(&mut widths, &floors, &mut shown, limit);
        }
        let mut out = String::new();
        self.line(&mut out, &self.headers, &widths[..shown], false);
        for row in &self.rows {
            self.line(&mut out, row, &widths[..shown], true);
        }
        out
    }

    fn line(&self, out: &mut String, cells: &[String], widths: &[usize], body: bool) {
        let last = widths.len().saturating_sub(1);
        for (i, w) in widths.iter().enumerate() {
            let text = cells.get(i).map(String::as_str).unwrap_or("");
            let text = truncate(text, *w);
            let pad = w.saturating_sub(text.width());
            let right = body && self.numeric[i];
            if right {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(&text);
            } else {
                out.push_str(&text);
                // No trailing blanks at the end of a line.
                if i != last {
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            if i != last {
                out.push_str(GAP);
            }
        }
        // An empty last cell leaves padding behind; lines end on text.
        out.truncate(out.trim_end_matches(' ').len());
        out.push('\n');
    }
}

/// Fits the columns into `limit`: first drops trailing columns (the
/// least important) until every shown column can keep its floor (its
/// header, or [`MIN_WIDTH`]), then narrows the widest columns until the
/// row fits.
fn fit(widths: &mut [usize], floors: &[usize], shown: &mut usize, limit: usize) {
    let total = |w: &[usize]| w.iter().sum::<usize>() + GAP.len() * w.len().saturating_sub(1);
    while *shown > 1 && total(&floors[..*shown]) > limit {
        *shown -= 1;
    }
    while total(&widths[..*shown]) > limit {
        let Some((widest, w)) = widths[..*shown]
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, w)| *w > floors[*i])
            .max_by_key(|(i, w)| (*w, usize::MAX - i))
        else {
            // Even the floors do not fit (one column, a narrow terminal).
            widths[0] = widths[0].min(limit.max(1));
            break;
        };
        // Down to the next widest (or by the excess), so wide columns
        // share the loss rather than one being cut to nothing.
        let excess = total(&widths[..*shown]) - limit;
        let next = widths[..*shown]
            .iter()
            .copied()
            .filter(|x| *x < w)
            .max()
            .unwrap_or(0)
            .max(floors[widest]);
        let cut = (w - next).clamp(1, excess.max(1));
        widths[widest] = w - cut;
    }
}

/// `text` cut to `width` columns, ending in `…` when cut.
fn truncate(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if text.width() <= width {
        return text.into();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::for_columns(["id", "email", "status"]);
        t.push(&[
            Cell::Int(7),
            Cell::Text("maria.gonzalez@students.example.org".into()),
            Cell::Text("active".into()),
        ]);
        t.push(&[Cell::Int(12), Cell::Text("li@x.org".into()), Cell::Empty]);
        t
    }

    #[test]
    fn a_pipe_gets_every_cell_whole_and_numbers_right_aligned() {
        let text = sample().render(None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID  EMAIL                                STATUS");
        assert_eq!(lines[1], " 7  maria.gonzalez@students.example.org  active");
        assert_eq!(lines[2], "12  li@x.org");
    }

    #[test]
    fn a_narrow_terminal_cuts_the_widest_column_with_an_ellipsis() {
        let text = sample().render(Some(30));
        for line in text.lines() {
            assert!(line.width() <= 30, "{line:?} is wider than 30");
        }
        assert!(text.contains('…'), "{text}");
        assert!(text.lines().next().unwrap().ends_with("STATUS"), "{text}");
    }

    #[test]
    fn columns_drop_when_even_the_narrowest_layout_is_too_wide() {
        let text = sample().render(Some(12));
        for line in text.lines() {
            assert!(line.width() <= 12, "{line:?}");
        }
        assert!(!text.contains("STATUS"), "{text}");
    }
}
