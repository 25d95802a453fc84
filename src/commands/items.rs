//! Reading the items of a bulk command (seat ids, emails) from files or
//! stdin: one per line with `#` comments, a column of a CSV file, or the
//! JSON report of an earlier `seatdesk revoke`.

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::exit::UsageError;

/// The items in input order, and whether stdin supplied them (then it
/// cannot also answer a confirmation prompt).
#[derive(Debug, Default)]
pub struct Input {
    pub items: Vec<String>,
    pub from_stdin: bool,
}

/// Reads every FILE (`-` is stdin); with no FILE, stdin unless it is a
/// terminal (then there is nothing to read, which is a usage error).
pub fn read(files: &[PathBuf], column: Option<&str>) -> anyhow::Result<Input> {
    let mut input = Input::default();
    let stdin = Path::new("-");
    let files: Vec<&Path> = if files.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(UsageError(
                "no items: name FILEs of seat ids or emails, or pipe them on stdin".into(),
            )
            .into());
        }
        vec![stdin]
    } else {
        files.iter().map(PathBuf::as_path).collect()
    };
    for file in files {
        let (text, name) = if file == stdin {
            input.from_stdin = true;
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading stdin")?;
            (text, "stdin".to_string())
        } else {
            let text = std::fs::read_to_string(file)
                .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
            (text, file.display().to_string())
        };
        input.items.extend(parse(&text, column, &name)?);
    }
    Ok(input)
}

/// The items of one input text.
pub fn parse(text: &str, column: Option<&str>, name: &str) -> Result<Vec<String>, UsageError> {
    if let Some(column) = column {
        return csv_column(text, column, name);
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return json_ids(trimmed, name);
    }
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect())
}

fn csv_column(text: &str, column: &str, name: &str) -> Result<Vec<String>, UsageError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| UsageError(format!("{name}: not CSV: {e}")))?
        .clone();
    let index = headers
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(column))
        .ok_or_else(|| {
            let known: Vec<&str> = headers.iter().collect();
            UsageError(format!(
                "{name}: no column '{column}' (columns: {})",
                known.join(", ")
            ))
        })?;
    let mut items = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| UsageError(format!("{name}: not CSV: {e}")))?;
        if let Some(value) = record.get(index).map(str::trim).filter(|v| !v.is_empty()) {
            items.push(value.to_string());
        }
    }
    Ok(items)
}

/// Seat ids from JSON: a revoke report (its done items), an array of ids,
/// or an array of objects with `seat_id` or `id`.
fn json_ids(text: &str, name: &str) -> Result<Vec<String>, UsageError> {
    let bad = |detail: String| UsageError(format!("{name}: {detail}"));
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let entries = match &value {
        serde_json::Value::Array(entries) => entries.clone(),
        serde_json::Value::Object(report) => {
            let results = report
                .get("results")
                .and_then(|r| r.as_array())
                .ok_or_else(|| bad("a JSON object must be a revoke report with results".into()))?;
            results
                .iter()
                .filter(|r| r["outcome"] == "done")
                .cloned()
                .collect()
        }
        _ => return Err(bad("expected a JSON array or a revoke report".into())),
    };
    entries
        .iter()
        .map(|entry| {
            let id = match entry {
                serde_json::Value::Object(o) => o.get("seat_id").or_else(|| o.get("id")),
                other => Some(other),
            };
            match id {
                Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                _ => Err(bad(format!("no seat id in {entry}"))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn lines_skip_comments_and_blanks() {
        let items = parse("# ticket 41\n12\n\n  maria@x.org  \n#13\n", None, "f").unwrap();
        assert_eq!(items, ["12", "maria@x.org"]);
    }

    #[test]
    fn a_csv_column_is_read_by_header_name() {
        let text = "Name,Email\nMaria,maria@x.org\n\"Li, Wei\",li@x.org\nNo One,\n";
        let items = parse(text, Some("email"), "f").unwrap();
        assert_eq!(items, ["maria@x.org", "li@x.org"]);
        let err = parse(text, Some("seat"), "f").unwrap_err();
        assert!(err.0.contains("Name, Email"), "{err}");
    }

    #[test]
    fn a_revoke_report_gives_its_done_seats() {
        let report = r#"{"dry_run":false,"done":1,"refused":1,"results":[
            {"input":"a@x.org","seat_id":5,"outcome":"done"},
            {"input":"9","seat_id":9,"outcome":"refused","reason":"r"}]}"#;
        assert_eq!(parse(report, None, "f").unwrap(), ["5"]);
        assert_eq!(parse("[3, 4]", None, "f").unwrap(), ["3", "4"]);
        assert_eq!(parse(r#"[{"id": 7}]"#, None, "f").unwrap(), ["7"]);
        assert!(parse("{\"x\": 1}", None, "f").is_err());
    }
}
