//! Judging one handed-in file against the form: where its table is, which region and period it
//! is for, whether every cell is a count, and whether the 栏目关系 and the 合计 hold.

pub mod cross;
mod region;
pub mod values;

use crate::finding::{Code, Finding, Severity};
use crate::ingest::{self, FormSheet, RawRow};
use crate::period::Period;
use crate::report::form::BLANK_ROW_MARKS;
use crate::schema::{Form, Schemas};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use values::{Read, read_cell};

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
pub struct FileReport {
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
    #[serde(skip)]
    pub book: Option<ingest::Book>,
    /// The sheet holding the form and where its table is, when one was found.
    #[serde(skip)]
    pub table: Option<(String, ingest::TableArea)>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl FileReport {
    fn finish(mut self) -> FileReport {
        // Reading order: file-level findings first, then by row and column.
        self.findings.sort_by_key(|f| f.pos.map_or((0, 0, 0), |(r, c)| (1, r, c)));
        let unlisted = |sev: Severity| {
            self.unlisted
                .iter()
                .filter(|(c, _)| c.parse::<Code>().is_ok_and(|c| c.severity() == sev))
                .map(|(_, n)| n)
                .sum::<usize>()
        };
        let (ue, uw, ui) = (unlisted(Severity::Error), unlisted(Severity::Warning), unlisted(Severity::Info));
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
        self.summary = Summary {
            errors: self.findings.iter().filter(|f| f.severity == Severity::Error).count() + ue,
            warnings: self.findings.iter().filter(|f| f.severity == Severity::Warning).count() + uw,
            infos: self.findings.iter().filter(|f| f.severity == Severity::Info).count() + ui,
        };
        self.status = if self.summary.errors == 0 { Status::Accepted } else { Status::Rejected };
        if self.status == Status::Rejected {
            self.sheet = None;
        }
        self
    }
}

/// Validates the file at `path`: reads it (under the limits), then validates its bytes. Never
/// fails: whatever goes wrong becomes a finding.
pub fn validate_file(path: &Path, display: &str, schemas: &Schemas, hints: &Hints) -> FileReport {
    match ingest::load(path, &hints.limits) {
        Ok(bytes) => validate_bytes(&bytes, &file_name(path), path, display, schemas, hints),
        Err(u) => {
            let mut rep = empty_report(path, display);
            rep.findings.push(unreadable_finding(&u, display, &hints.limits));
            rep.finish()
        }
    }
}

/// Validates the bytes of one handed-in file named `name` (its extension and the region and
/// period a file name may carry). A bug in a reader (a panic on some malformed file) costs
/// that file, not the batch.
pub fn validate_bytes(bytes: &[u8], name: &str, path: &Path, display: &str, schemas: &Schemas, hints: &Hints) -> FileReport {
    let sha256 = crate::text::sha256_hex(bytes);
    let mut rep = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| validate_inner(bytes, name, path, display, schemas, hints))) {
        Ok(rep) => rep,
        Err(payload) => {
            let mut rep = empty_report(path, display);
            let u = ingest::Unreadable::Crashed {
                detail: ingest::isolate::panic_text(&payload),
            };
            rep.findings.push(unreadable_finding(&u, display, &hints.limits));
            rep.finish()
        }
    };
    rep.sha256 = Some(sha256);
    rep
}

/// Validates bytes without the panic guard of [`validate_bytes`], for the fuzz targets: a panic
/// anywhere in reading or checking must show there as a crash, not as a finding.
pub fn validate_bytes_unguarded(bytes: &[u8], name: &str, schemas: &Schemas, hints: &Hints) -> FileReport {
    validate_inner(bytes, name, Path::new(name), name, schemas, hints)
}

/// The finding for a file that could not be read: one plain Chinese sentence, the library's
/// words only in `detail`.
pub fn unreadable_finding(u: &ingest::Unreadable, display: &str, limits: &crate::limits::Limits) -> Finding {
    let mut f = Finding::new(u.code(), display, u.message(limits)).value("reason", u.reason());
    f.detail = u.detail().map(str::to_string);
    f
}

fn empty_report(path: &Path, display: &str) -> FileReport {
    FileReport {
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
        book: None,
        table: None,
    }
}

fn validate_inner(bytes: &[u8], name: &str, path: &Path, display: &str, schemas: &Schemas, hints: &Hints) -> FileReport {
    let mut rep = empty_report(path, display);
    let form = schemas.form();
    let loaded = if hints.isolate_readers {
        ingest::isolate::read(name, bytes, &hints.limits)
    } else {
        ingest::read_bytes(name, bytes, &hints.limits)
    };
    let ingest::Loaded { book, format } = match loaded {
        Ok(l) => l,
        Err(u) => {
            rep.findings.push(unreadable_finding(&u, display, &hints.limits));
            return rep.finish();
        }
    };
    rep.format = Some(format.key());
    let ext = Path::new(name).extension().map(|e| e.to_string_lossy().to_string()).unwrap_or_default();
    if format.matches_extension(&ext) == Some(false) {
        rep.findings.push(
            Finding::new(
                Code::FormatMismatch,
                display,
                format!("文件扩展名是 .{ext}，实际是{}，已按实际格式读取", format.label()),
            )
            .value("format", format.key()),
        );
    }
    let tables = ingest::find_tables(&book, form.width());
    let Some(&loc) = tables.first() else {
        let mut names: Vec<String> = book.sheets.iter().take(10).map(|s| format!("“{}”", s.name)).collect();
        if book.sheets.len() > 10 {
            names.push(format!("等 {} 张工作表", book.sheets.len()));
        }
        rep.findings.push(Finding::new(
            Code::NoTable,
            display,
            format!(
                "在工作表 {} 中都没有找到栏次行（依次为 1、2、…、{} 的一行）。应报送《{}》（{} 栏），请使用标准模板填报，不要删除栏次行",
                names.join("、"),
                form.width(),
                form.name,
                form.width()
            ),
        ));
        rep.book = Some(book);
        return rep.finish();
    };
    for extra in &tables[1..] {
        let name = &book.sheets[extra.sheet].name;
        rep.findings.push(
            Finding::new(
                Code::ExtraFormSheet,
                display,
                format!(
                    "工作表“{name}”也是一张统计表，只审核第一张“{}”；如需报送该表请单独成文件",
                    book.sheets[loc.sheet].name
                ),
            )
            .at(name, (extra.header_row, extra.first_col)),
        );
    }
    let fs = ingest::extract(&book, loc, form);
    rep.table = Some((fs.sheet.clone(), fs.area));
    let region = region::resolve(&fs, name, schemas, hints, display, &mut rep.findings);
    let period = resolve_period(&fs, name, hints, display, &mut rep.findings);
    rep.region = region.map(|r| r.code.clone());
    rep.region_name = region.map(|r| r.name.clone());
    rep.period = period;
    let mut collector = Collector {
        out: &mut rep.findings,
        unlisted: &mut rep.unlisted,
        seen: HashMap::new(),
    };
    let checked = check_table(&fs, form, display, &mut collector);
    check_footer(&fs, display, &mut rep.findings);
    if let (Some(region), Some(period), Some((rows, total, total_given))) = (region, period, checked) {
        rep.sheet = Some(Sheet {
            sheet: fs.sheet.clone(),
            region: region.code.clone(),
            period,
            rows,
            total,
            total_given,
            first_col: fs.loc.first_col,
        });
    }
    rep.book = Some(book);
    rep.finish()
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()
}

fn resolve_period(fs: &FormSheet, name: &str, hints: &Hints, file: &str, out: &mut Vec<Finding>) -> Option<Period> {
    let in_sheet = fs.period_hints.iter().find_map(|l| Period::find_in(&l.text).map(|p| (p, l)));
    let from_name = Period::find_in(name);
    if let Some((p, line)) = in_sheet {
        for (other, what) in [(from_name, "文件名中的".to_string()), (hints.period, format!("{}中的", hints.period_source()))] {
            if let Some(o) = other.filter(|o| *o != p) {
                out.push(
                    Finding::new(
                        Code::PeriodConflict,
                        file,
                        format!("表内报告期为 {}，与{}报告期 {} 不一致，以表内为准", p.label(), what, o.label()),
                    )
                    .at(&fs.sheet, line.pos)
                    .value("sheet", p.to_string())
                    .value("other", o.to_string()),
                );
            }
        }
        return Some(p);
    }
    match from_name.map(|p| (p, "文件名")).or(hints.period.map(|p| (p, hints.period_source()))) {
        Some((p, src)) => {
            out.push(Finding::new(Code::PeriodFromElsewhere, file, format!("表内没有填写报告期，按{src}确定为 {}", p.label())).in_sheet(&fs.sheet));
            Some(p)
        }
        None => {
            out.push(
                Finding::new(
                    Code::NoPeriod,
                    file,
                    "无法确定报告期：表头没有“报告期：2026年10月”，文件名中也没有年月；请在表头写明报告期",
                )
                .in_sheet(&fs.sheet),
            );
            None
        }
    }
}

/// Reads every cell, then checks the relations, the 合计 and the row labels. Returns the rows
/// and the total when every cell could be read.
/// Findings of one kind beyond this many in one file are counted, not listed: a sheet of
/// thousands of rows with the same mistake on each needs the count and the first ones.
pub const MAX_LISTED_PER_CODE: usize = 500;

/// Where a file's findings go while its cells are checked: each code listed up to
/// [`MAX_LISTED_PER_CODE`] times, the rest counted.
struct Collector<'a> {
    out: &'a mut Vec<Finding>,
    unlisted: &'a mut BTreeMap<String, usize>,
    seen: HashMap<Code, usize>,
}

impl Collector<'_> {
    fn push(&mut self, f: Finding) {
        let n = self.seen.entry(f.code).or_default();
        *n += 1;
        if *n > MAX_LISTED_PER_CODE {
            *self.unlisted.entry(f.code.as_str().to_string()).or_default() += 1;
        } else {
            self.out.push(f);
        }
    }
}

fn check_table(fs: &FormSheet, form: &Form, file: &str, out: &mut Collector<'_>) -> Option<(Vec<DataRow>, DataRow, bool)> {
    let sheet = fs.sheet.as_str();
    let width = form.width();
    let col_label = |no: usize| format!("第({no})栏（{}）", form.column_name(no));
    let mut rows: Vec<(&RawRow, String, Vec<Option<i64>>)> = Vec::new();
    let mut all_read = true;
    for raw in &fs.rows {
        let label = if raw.is_total {
            form.total_label.clone()
        } else if raw.label.is_empty() {
            format!("第 {} 行", raw.row + 1)
        } else {
            raw.label.clone()
        };
        let mut vals = Vec::with_capacity(width);
        // A rollup's row for a region that did not report: one note instead of a blank per cell.
        let not_reported =
            BLANK_ROW_MARKS.iter().any(|m| raw.label.trim_end().ends_with(m)) && raw.cells.iter().all(|(_, c)| c.as_ref().is_none_or(|c| c.is_blank()));
        if not_reported {
            out.push(
                Finding::new(
                    Code::NotReported,
                    file,
                    if raw.label.trim_end().ends_with(crate::report::form::RETURNED_MARK) {
                        "本行地区的报表已被退回，按 0 计入合计"
                    } else {
                        "本行地区未报，按 0 计入合计"
                    },
                )
                .at(sheet, raw.label_pos.unwrap_or((raw.row, 0)))
                .row(&label),
            );
            rows.push((raw, label, vec![Some(0); width]));
            continue;
        }
        for (i, (pos, cell)) in raw.cells.iter().enumerate() {
            let no = i + 1;
            let read = read_cell(cell.as_ref());
            let found = cell.as_ref().map(|c| c.value.display()).unwrap_or_default();
            match &read {
                Read::Count(_) => {}
                Read::Blank => out.push(
                    Finding::new(Code::BlankCell, file, format!("{}为空，按 0 计", col_label(no)))
                        .at(sheet, *pos)
                        .row(&label)
                        .column(no, form.column_name(no)),
                ),
                Read::Normalised(v, code, msg) => out.push(
                    Finding::new(*code, file, format!("{}{msg}", col_label(no)))
                        .at(sheet, *pos)
                        .row(&label)
                        .column(no, form.column_name(no))
                        .value("found", found.clone())
                        .value("read", *v),
                ),
                Read::Bad(code, msg) => {
                    all_read = false;
                    let mut f = Finding::new(*code, file, format!("{}{msg}", col_label(no)))
                        .at(sheet, *pos)
                        .row(&label)
                        .column(no, form.column_name(no))
                        .value("found", found);
                    if let Some(formula) = cell.as_ref().and_then(|c| c.formula.clone()) {
                        f = f.value("formula", format!("={formula}"));
                    }
                    out.push(f);
                }
            }
            vals.push(read.value());
        }
        if raw.label.is_empty() && !raw.is_total {
            out.push(
                Finding::new(Code::UnlabelledRow, file, format!("第 {} 行填有数据但没有乡镇（街道）名称", raw.row + 1))
                    .at(sheet, (raw.row, fs.loc.first_col.saturating_sub(1)))
                    .row(&label),
            );
        }
        rows.push((raw, label, vals));
    }

    // Relations hold on every row, 合计 included; a rule is skipped on a row where one of its
    // cells could not be read (that cell already has its own error).
    for (raw, label, vals) in &rows {
        for rule in &form.rules {
            let cols = rule.columns();
            if cols.iter().any(|&c| vals[c - 1].is_none()) {
                continue;
            }
            let full: Vec<i64> = vals.iter().map(|v| v.unwrap_or(0)).collect();
            if let Some((l, r)) = rule.check(&full) {
                let blamed = rule.blamed_column().unwrap_or(1);
                let message = match (rule.lhs.single_column(), rule.rhs.single_column(), rule.op) {
                    (Some(a), Some(b), crate::schema::relation::Op::Ge) => format!("第({b})栏 {r} 大于 第({a})栏 {l}，违反 {rule}"),
                    (Some(a), Some(b), crate::schema::relation::Op::Le) => format!("第({a})栏 {l} 大于 第({b})栏 {r}，违反 {rule}"),
                    _ => format!("{} = {l}，{} = {r}，违反 {rule}", rule.lhs, rule.rhs),
                };
                out.push(
                    Finding::new(Code::RuleBroken, file, message)
                        .at(sheet, raw.cells[blamed - 1].0)
                        .row(label)
                        .column(blamed, form.column_name(blamed))
                        .value("rule", rule.to_string())
                        .value("left", l)
                        .value("right", r),
                );
            }
        }
    }

    // Labels: one 合计, no township twice.
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut total_row: Option<&(&RawRow, String, Vec<Option<i64>>)> = None;
    for entry in &rows {
        let (raw, label, _) = entry;
        if raw.is_total {
            match total_row {
                None => total_row = Some(entry),
                Some((first, _, _)) => out.push(
                    Finding::new(
                        Code::DuplicateTotal,
                        file,
                        format!("表中有多个合计行（第 {} 行和第 {} 行），无法确定以哪一行为准", first.row + 1, raw.row + 1),
                    )
                    .at(sheet, raw.label_pos.unwrap_or((raw.row, 0)))
                    .row(label),
                ),
            }
            continue;
        }
        if raw.label.is_empty() {
            continue;
        }
        let key = crate::text::squeeze(&raw.label);
        match seen.get(&key) {
            Some(first) => out.push(
                Finding::new(
                    Code::DuplicateLabel,
                    file,
                    format!("“{}”在第 {} 行已出现过，同一乡镇（街道）只应填一行", raw.label, first + 1),
                )
                .at(sheet, raw.label_pos.unwrap_or((raw.row, 0)))
                .row(label),
            ),
            None => {
                seen.insert(key, raw.row);
            }
        }
    }

    let data: Vec<&(&RawRow, String, Vec<Option<i64>>)> = rows.iter().filter(|(r, _, _)| !r.is_total).collect();
    if data.is_empty() && total_row.is_none() {
        out.push(
            Finding::new(Code::NoRows, file, format!("栏次行（第 {} 行）下方没有任何数据行", fs.loc.header_row + 1))
                .at(sheet, (fs.loc.header_row, fs.loc.first_col)),
        );
        return None;
    }
    let sums: Vec<Option<i64>> = (0..width).map(|i| data.iter().map(|(_, _, v)| v[i]).sum::<Option<i64>>()).collect();
    match total_row {
        Some((raw, label, tv)) if !data.is_empty() => {
            for i in 0..width {
                if let (Some(t), Some(s)) = (tv[i], sums[i])
                    && t != s
                {
                    let no = i + 1;
                    out.push(
                        Finding::new(
                            Code::TotalMismatch,
                            file,
                            format!(
                                "{}为 {t}，但各行之和为 {s}，合计{} {}",
                                col_label(no),
                                if t > s { "多" } else { "少" },
                                (t - s).abs()
                            ),
                        )
                        .at(sheet, raw.cells[i].0)
                        .row(label)
                        .column(no, form.column_name(no))
                        .value("total", t)
                        .value("sum", s)
                        .value("gap", t - s),
                    );
                }
            }
        }
        // Only a 合计 and every figure 0: an untouched template, not a return.
        Some((raw, label, tv)) if tv.iter().all(|v| *v == Some(0)) => out.push(
            Finding::new(
                Code::EmptyForm,
                file,
                "表中没有乡镇（街道）数据，合计各栏都是 0，像是未填写的空白模板；请填写后再报送",
            )
            .at(sheet, raw.label_pos.unwrap_or((raw.row, 0)))
            .row(label),
        ),
        Some(_) => {}
        None => {
            let last = data.last().map_or(fs.loc.header_row, |(r, _, _)| r.row);
            out.push(
                Finding::new(Code::NoTotalRow, file, format!("表中没有“{}”行，已用各行之和作为合计", form.total_label))
                    .at(sheet, (last + 1, fs.loc.first_col.saturating_sub(1)))
                    .value("sum", sums.iter().map(|s| s.unwrap_or(0)).collect::<Vec<_>>()),
            );
            // With no 合计 row the summed total must obey the relations too.
            if sums.iter().all(Option::is_some) {
                let s: Vec<i64> = sums.iter().map(|v| v.unwrap_or(0)).collect();
                for rule in &form.rules {
                    if let Some((l, r)) = rule.check(&s) {
                        out.push(
                            Finding::new(Code::RuleBroken, file, format!("各行之和：{} = {l}，{} = {r}，违反 {rule}", rule.lhs, rule.rhs))
                                .in_sheet(sheet)
                                .row("合计（各行之和）"),
                        );
                    }
                }
            }
        }
    }
    if !all_read {
        return None;
    }
    let to_row = |raw: &RawRow, label: &str, v: &[Option<i64>]| DataRow {
        label: label.to_string(),
        row: Some(raw.row),
        values: v.iter().map(|x| x.unwrap_or(0)).collect(),
    };
    let data_rows: Vec<DataRow> = data.iter().map(|(r, l, v)| to_row(r, l, v)).collect();
    let (total, given) = match total_row {
        Some((r, _, v)) => (to_row(r, &form.total_label, v), true),
        None => (
            DataRow {
                label: form.total_label.clone(),
                row: None,
                values: sums.iter().map(|s| s.unwrap_or(0)).collect(),
            },
            false,
        ),
    };
    Some((data_rows, total, given))
}

fn check_footer(fs: &FormSheet, file: &str, out: &mut Vec<Finding>) {
    for f in &fs.footer {
        if f.value.is_none() {
            let mut finding = Finding::new(
                Code::FooterMissing,
                file,
                match f.pos {
                    Some(_) => format!("“{}”未填写", f.key),
                    None => format!("表下方没有“{}”一栏", f.key),
                },
            )
            .value("field", f.key.clone());
            finding = match f.pos {
                Some(p) => finding.at(&fs.sheet, p),
                None => finding.in_sheet(&fs.sheet),
            };
            out.push(finding);
        }
    }
}
