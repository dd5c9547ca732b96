//! What validation says about one file: the report (region, period, status, findings, the
//! sheet's figures when accepted) and the hints a caller gives besides the file.

use crate::finding::{Code, Finding, Summary};
use crate::ingest;
use crate::period::Period;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Findings of one kind beyond this many in one file are counted, not listed: a sheet of
/// thousands of rows with the same mistake on each needs the count and the first ones.
pub const MAX_LISTED_PER_CODE: usize = 500;

/// What the caller knows besides the file: overrides given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    pub region: Option<String>,
    pub period: Option<Period>,
    /// Read files in a child process (see `ingest::isolate`); the binary sets this, library
    /// callers without our executable leave it off.
    pub isolate_readers: bool,
    /// What one file may cost.
    pub limits: crate::limits::Limits,
    /// How messages name where `region` and `period` came from (the command line says
    /// `命令行参数 --region`, the portal the account's county); empty for a neutral wording.
    pub region_source: String,
    pub period_source: String,
}

impl Hints {
    pub fn region_source(&self) -> &str {
        if self.region_source.is_empty() {
            "另行指定的地区"
        } else {
            &self.region_source
        }
    }

    pub fn period_source(&self) -> &str {
        if self.period_source.is_empty() {
            "另行指定的报告期"
        } else {
            &self.period_source
        }
    }
}

/// A row of counts with where each came from.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DataRow {
    pub label: String,
    /// 0-based sheet row; None for a 合计 the file lacked and that was summed.
    pub row: Option<u32>,
    pub values: Vec<i64>,
}

/// An accepted-shape sheet: region, period, rows and the 合计 (given or summed).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Sheet {
    pub sheet: String,
    pub region: String,
    pub period: Period,
    pub rows: Vec<DataRow>,
    /// Subtotal rows between the townships (`街道小计`), checked but not part of `rows`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subtotals: Vec<DataRow>,
    pub total: DataRow,
    /// False when the file had no 合计 row and `total` is the sum of `rows`.
    pub total_given: bool,
    /// 0-based sheet column of column (1), to point at cells later (cross-period findings).
    #[serde(default)]
    pub first_col: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Accepted,
    Rejected,
}

/// Everything known about one file after validation.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    pub file: String,
    #[serde(skip)]
    pub path: PathBuf,
    /// What the content turned out to be (`xlsx`, `html`, `tsv` …), when it could be read.
    pub format: Option<&'static str>,
    /// SHA-256 of the bytes validated, when the file could be read.
    pub sha256: Option<String>,
    pub region: Option<String>,
    pub region_name: Option<String>,
    pub period: Option<Period>,
    pub status: Status,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// Findings counted but not listed, by code (see [`MAX_LISTED_PER_CODE`]).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unlisted: BTreeMap<String, usize>,
    #[serde(skip)]
    pub sheet: Option<Sheet>,
    /// The table's figures as read, kept also when the file is rejected: for showing what a
    /// corrected version changed, never for counting (that is `sheet`).
    #[serde(skip)]
    pub figures: Option<Sheet>,
    #[serde(skip)]
    pub book: Option<ingest::Book>,
    /// The sheet holding the form and where its table is, when one was found.
    #[serde(skip)]
    pub table: Option<(String, ingest::TableArea)>,
    /// Sheet rows (0-based) of that table read as subtotals, for marking them in views.
    #[serde(skip)]
    pub subtotal_rows: Vec<u32>,
}

impl FileCheck {
    /// Counts the findings again, listed and unlisted (after more were added, e.g. the checks
    /// against earlier months).
    pub fn recount(&mut self) {
        self.summary = Summary::of(&self.findings);
        for (c, n) in &self.unlisted {
            if let Ok(code) = c.parse::<Code>() {
                self.summary.add(code.severity(), *n);
            }
        }
    }

    pub(super) fn finish(mut self) -> FileCheck {
        // Reading order: file-level findings first, then by row and column.
        self.findings.sort_by_key(|f| f.pos.map_or((0, 0, 0), |(r, c)| (1, r, c)));
        if !self.unlisted.is_empty() {
            let parts: Vec<String> = self.unlisted.iter().map(|(c, n)| format!("{c} 共 {n} 处")).collect();
            let mut f = Finding::new(
                Code::Unlisted,
                &self.file,
                format!("问题太多，另有 {} 未逐条列出（每类最多列出 {MAX_LISTED_PER_CODE} 处）", parts.join("、")),
            );
            for (c, n) in &self.unlisted {
                f = f.value(c, *n);
            }
            self.findings.insert(0, f);
        }
        self.recount();
        self.status = if self.summary.errors == 0 { Status::Accepted } else { Status::Rejected };
        if self.status == Status::Rejected {
            self.sheet = None;
        }
        self
    }
}

pub(super) fn empty_check(path: &Path, display: &str) -> FileCheck {
    FileCheck {
        file: display.to_string(),
        path: path.to_path_buf(),
        format: None,
        sha256: None,
        region: None,
        region_name: None,
        period: None,
        status: Status::Rejected,
        summary: Summary::default(),
        findings: Vec::new(),
        unlisted: BTreeMap::new(),
        sheet: None,
        figures: None,
        book: None,
        table: None,
        subtotal_rows: Vec::new(),
    }
}
