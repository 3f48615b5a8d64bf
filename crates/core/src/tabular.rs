//! Reading and writing the spreadsheets (台账) cadres already keep: XLSX in, XLSX out,
//! CSV accepted for division tables. Row-by-row error reports.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// Upload size cap (bytes).
pub const MAX_UPLOAD: usize = 32 * 1024 * 1024;

/// What to do when some rows are bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ImportMode {
    /// Import nothing unless every row is valid.
    AllOrNothing,
    /// Import the valid rows and report the rest.
    ValidRowsOnly,
}

impl ImportMode {
    pub fn parse(s: &str) -> ImportMode {
        if s == "valid_only" {
            ImportMode::ValidRowsOnly
        } else {
            ImportMode::AllOrNothing
        }
    }
}

/// One bad cell.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowError {
    /// 1-based spreadsheet row number (the header is row 1).
    pub row: usize,
    pub field: String,
    pub code: String,
}

/// The outcome of an import.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    pub total_rows: usize,
    pub imported: usize,
    pub errors: Vec<RowError>,
    /// True when nothing was written because of errors in all-or-nothing mode.
    pub rolled_back: bool,
}

/// A sheet as a header and string rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// Index of a column by any of its accepted names.
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    }
}

fn cell_to_string(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            // Excel serial date: days since 1899-12-30.
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|base| {
                    base.checked_add_days(chrono::Days::new(d.as_f64().max(0.0) as u64))
                })
                .map(|t| t.to_string())
                .unwrap_or_default()
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) => String::new(),
    }
}

/// Parse the first worksheet of an XLSX file. Checks the size and the content (a ZIP
/// container), not the file name.
pub fn read_xlsx(bytes: &[u8]) -> AppResult<Sheet> {
    if bytes.len() > MAX_UPLOAD {
        return Err(AppError::field("file", "upload_too_large"));
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(AppError::field("file", "upload_not_xlsx"));
    }
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec()))
        .map_err(|_| AppError::field("file", "upload_not_xlsx"))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| AppError::field("file", "upload_not_xlsx"))?
        .map_err(|_| AppError::field("file", "upload_not_xlsx"))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(cell_to_string).collect())
        .unwrap_or_default();
    if header.iter().all(|h| h.is_empty()) {
        return Err(AppError::field("file", "upload_header"));
    }
    let rows = rows
        .map(|r| r.iter().map(cell_to_string).collect::<Vec<_>>())
        .collect();
    Ok(Sheet { header, rows })
}

/// Parse CSV (UTF-8, with a header row).
pub fn read_csv(bytes: &[u8]) -> AppResult<Sheet> {
    if bytes.len() > MAX_UPLOAD {
        return Err(AppError::field("file", "upload_too_large"));
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| AppError::field("file", "upload_not_xlsx"))?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|_| AppError::field("file", "upload_header"))?
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|_| AppError::field("file", "upload_not_xlsx"))?;
        rows.push(rec.iter().map(|s| s.trim().to_string()).collect());
    }
    Ok(Sheet { header, rows })
}

/// Read an upload as XLSX when it is one, else as CSV.
pub fn read_table(bytes: &[u8]) -> AppResult<Sheet> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

/// Write a single-sheet XLSX with a bold header row.
pub fn write_xlsx(
    sheet_name: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, 16)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string((r + 1) as u32, c as u16, v)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}
