//! Activation-code sheets as the vendor's Download Codes gives them: one row
//! per code with the columns Code, Users per code, Name, Last Name, Email,
//! as an Excel workbook or CSV. Pure functions over rows, so the command
//! line can write the same files as the server.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The header row, in order.
pub const CODE_COLUMNS: [&str; 5] = ["Code", "Users per code", "Name", "Last Name", "Email"];

/// One row of a code sheet. Name, last name and email are filled when a
/// single-user code has been redeemed, so the sheet tracks who got which.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeSheetRow {
    pub code: String,
    pub users_per_code: i64,
    pub name: String,
    pub last_name: String,
    pub email: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// The rows as an `.xlsx` workbook with one sheet, "Codes".
pub fn codes_xlsx(rows: &[CodeSheetRow]) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Codes")?;
    let bold = Format::new().set_bold();
    for (column, title) in CODE_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *title, &bold)?;
    }
    for (index, row) in rows.iter().enumerate() {
        let line = index as u32 + 1;
        sheet.write_string(line, 0, &row.code)?;
        sheet.write_number(line, 1, row.users_per_code as f64)?;
        sheet.write_string(line, 2, &row.name)?;
        sheet.write_string(line, 3, &row.last_name)?;
        sheet.write_string(line, 4, &row.email)?;
    }
    sheet.set_column_width(0, 20)?;
    sheet.set_column_width(1, 15)?;
    sheet.set_column_width(4, 32)?;
    Ok(workbook.save_to_buffer()?)
}

/// The rows as UTF-8 CSV with a header line.
pub fn codes_csv(rows: &[CodeSheetRow]) -> Result<Vec<u8>, ExportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CODE_COLUMNS)?;
    for row in rows {
        writer.write_record([
            row.code.as_str(),
            &row.users_per_code.to_string(),
            &row.name,
            &row.last_name,
            &row.email,
        ])?;
    }
    writer
        .into_inner()
        .map_err(|e| ExportError::Csv(csv::Error::from(e.into_error())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_the_header_and_quotes_what_needs_quoting() {
        let rows = [CodeSheetRow {
            code: "ABCDE-FGHJ-KLMN".into(),
            users_per_code: 1,
            name: "Ann".into(),
            last_name: "O'Neil, Jr".into(),
            email: "ann@example.org".into(),
        }];
        let text = String::from_utf8(codes_csv(&rows).unwrap()).unwrap();
        assert_eq!(
            text,
            "Code,Users per code,Name,Last Name,Email\nABCDE-FGHJ-KLMN,1,Ann,\"O'Neil, Jr\",ann@example.org\n"
        );
    }

    #[test]
    fn xlsx_is_a_zip_container() {
        let bytes = codes_xlsx(&[CodeSheetRow::default()]).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
