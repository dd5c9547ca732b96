//! Deciding what a rollup is made of: which handed-in files count, which are rejected,
//! duplicated or out of scope, which regions are missing; then the city and province tables.
//! Pure data: the workbooks are written by `report::rollup`.

use super::{Contribution, roll_up};
use crate::finding::Severity;
use crate::period::Period;
use crate::schema::regions::Level;
use crate::schema::{Region, Schemas};
use crate::validate::{FileReport, Status};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What became of one region or one handed-in file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Counted in the rollup.
    Accepted,
    /// Has errors, or is for another period.
    Rejected,
    /// From the store: only warnings, no 说明 yet (待说明); not counted.
    Pending,
    /// One of several files for the same region; none of them is counted.
    Duplicate,
    /// A city sheet for a city whose county sheets were also handed in: the counties win.
    Superseded,
    /// A region outside the rollup's scope, or a province sheet.
    Ignored,
    /// No file for this region.
    Missing,
}

impl EntryStatus {
    pub fn label(self) -> &'static str {
        match self {
            EntryStatus::Accepted => "已采用",
            EntryStatus::Rejected => "退回",
            EntryStatus::Pending => "待说明",
            EntryStatus::Duplicate => "重复报送",
            EntryStatus::Superseded => "未采用",
            EntryStatus::Ignored => "不在汇总范围",
            EntryStatus::Missing => "未报",
        }
    }
}

/// One line of the 报送情况 sheet.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub code: Option<String>,
    pub name: String,
    /// The city a county belongs to; None for cities and unknown regions.
    pub city: Option<String>,
    pub status: EntryStatus,
    pub file: Option<String>,
    pub sha256: Option<String>,
    pub errors: usize,
    pub warnings: usize,
    /// Why it was not counted, or what to know about it (the first errors of a rejected file).
    pub reasons: Vec<String>,
    /// Index of the file's report in the rollup's input.
    #[serde(skip)]
    pub report: Option<usize>,
    /// From the store: when the counted upload arrived, 按时 / 迟报 N 天 / 未报…, and its 说明.
    pub received: Option<String>,
    pub timeliness: Option<String>,
    pub note: Option<String>,
}

/// A row of a rollup table: a region and its 合计, or None when it has no accepted sheet.
#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub values: Option<Vec<i64>>,
}

/// One rollup table: a city (rows are counties) or the province (rows are cities).
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub rows: Vec<RegionRow>,
    pub total: Vec<i64>,
    /// 应报 / 实报 as printed on the unit line.
    pub coverage: String,
}

/// Everything a rollup produced.
#[derive(Debug, Clone, Serialize)]
pub struct Rollup {
    pub period: Period,
    pub scope: String,
    pub entries: Vec<Entry>,
    /// City tables, in code order, then the province table when the scope is the province.
    pub tables: Vec<Table>,
    /// Relations that fail on a table's 合计 (e.g. a rule with a constant that sums break).
    pub total_problems: Vec<String>,
    pub counties_expected: usize,
    pub counties_reported: usize,
    /// Made from the store rather than from files: the 报送情况 sheet shows timeliness.
    pub from_store: bool,
}

/// How many findings of each severity the first lines of a rejected file's reasons show.
const REASONS_SHOWN: usize = 5;

/// Builds the rollup of `reports` (already validated) for `period` over `scope` (the province
/// or one city). `sha256` gives each report's file digest, by index.
pub fn plan(
    schemas: &Schemas,
    scope: &Region,
    period: Period,
    reports: &[FileReport],
    sha256: &[Option<String>],
) -> Result<Rollup, polars::error::PolarsError> {
    let form = schemas.form();
    let width = form.width();
    let mut entries: Vec<Entry> = Vec::new();
    // Candidate entries per region code (indexes into `entries`).
    let mut candidates: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, rep) in reports.iter().enumerate() {
        let region = rep.region.as_deref().and_then(|c| schemas.regions.get(c));
        let mut e = Entry {
            code: region.map(|r| r.code.clone()),
            name: region.map(|r| r.name.clone()).unwrap_or_else(|| "地区不明".into()),
            city: region.filter(|r| r.level == Level::County).and_then(|r| r.parent.clone()),
            status: EntryStatus::Accepted,
            file: Some(rep.file.clone()),
            sha256: sha256.get(i).cloned().flatten(),
            errors: rep.summary.errors,
            warnings: rep.summary.warnings,
            reasons: Vec::new(),
            report: Some(i),
            received: None,
            timeliness: None,
            note: None,
        };
        // Out of scope first: a file for another region is not this rollup's to reject.
        if let Some(r) = region.filter(|r| r.level == Level::Province || r.code == scope.code) {
            e.status = EntryStatus::Ignored;
            e.reasons.push(format!("这是{}本级的汇总表，汇总时只用下级报表", r.name));
        } else if let Some(r) = region.filter(|r| !schemas.regions.within(r, &scope.code)) {
            e.status = EntryStatus::Ignored;
            e.reasons.push(format!("{}不在{}范围内", schemas.regions.display(r), scope.name));
        } else if rep.status == Status::Rejected {
            e.status = EntryStatus::Rejected;
            e.reasons = rep
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .take(REASONS_SHOWN)
                .map(|f| f.short())
                .collect();
            if rep.summary.errors > REASONS_SHOWN {
                e.reasons
                    .push(format!("……另有 {} 处，共 {} 处错误", rep.summary.errors - REASONS_SHOWN, rep.summary.errors));
            }
        } else if rep.period != Some(period) {
            e.status = EntryStatus::Rejected;
            let p = rep.period.map(|p| p.label()).unwrap_or_else(|| "不明".into());
            e.reasons.push(format!("报告期为 {p}，不是本次汇总的 {}", period.label()));
        } else if let Some(r) = region {
            candidates.entry(r.code.clone()).or_default().push(entries.len());
        }
        entries.push(e);
    }
    for idx in candidates.values().filter(|v| v.len() > 1) {
        let files: Vec<String> = idx.iter().filter_map(|&i| entries[i].file.clone()).collect();
        for &i in idx {
            entries[i].status = EntryStatus::Duplicate;
            entries[i]
                .reasons
                .push(format!("同一地区收到 {} 份报表（{}），请只保留一份后重新汇总", files.len(), files.join("、")));
        }
    }

    let accepted = |code: &str, entries: &[Entry]| -> Option<usize> {
        candidates
            .get(code)
            .filter(|v| v.len() == 1)
            .map(|v| v[0])
            .filter(|&i| entries[i].status == EntryStatus::Accepted)
    };
    let total_of = |report: Option<usize>| report.and_then(|r| reports[r].sheet.as_ref()).map(|s| s.total.values.clone());

    let cities: Vec<&Region> = match scope.level {
        Level::Province => schemas.regions.children(&scope.code),
        _ => vec![scope],
    };
    let mut county_in = Vec::new();
    let mut city_in = Vec::new();
    let mut counted_counties: BTreeSet<String> = BTreeSet::new();
    for city in &cities {
        let counties = schemas.regions.children(&city.code);
        let from_counties: Vec<(usize, &Region)> = counties.iter().filter_map(|c| accepted(&c.code, &entries).map(|i| (i, *c))).collect();
        let whole = accepted(&city.code, &entries);
        if let Some(w) = whole
            && !from_counties.is_empty()
        {
            entries[w].status = EntryStatus::Superseded;
            entries[w].reasons.push(format!("同时收到{}的县区报表，按县区报表汇总", city.name));
        }
        if from_counties.is_empty() {
            if let Some(w) = whole
                && let Some(values) = total_of(entries[w].report)
            {
                city_in.push(Contribution {
                    code: city.code.clone(),
                    city: city.code.clone(),
                    values,
                });
                // The counties the city sheet has figures for: rows named for them and not
                // marked 未报.
                let labels: BTreeSet<String> = entries[w]
                    .report
                    .and_then(|r| reports[r].sheet.as_ref())
                    .map(|s| s.rows.iter().map(|row| crate::text::squeeze(&row.label)).collect())
                    .unwrap_or_default();
                counted_counties.extend(counties.iter().filter(|c| labels.contains(&c.name)).map(|c| c.code.clone()));
            }
        } else {
            for (i, c) in from_counties {
                if let Some(values) = total_of(entries[i].report) {
                    county_in.push(Contribution {
                        code: c.code.clone(),
                        city: city.code.clone(),
                        values,
                    });
                    counted_counties.insert(c.code.clone());
                }
            }
        }
    }
    let totals = roll_up(&county_in, &city_in, width)?;

    // Regions with nothing handed in at all.
    for city in &cities {
        for county in schemas.regions.children(&city.code) {
            let has_entry = entries.iter().any(|e| e.code.as_deref() == Some(county.code.as_str()));
            if !counted_counties.contains(&county.code) && !has_entry {
                entries.push(Entry {
                    code: Some(county.code.clone()),
                    name: county.name.clone(),
                    city: Some(city.code.clone()),
                    status: EntryStatus::Missing,
                    file: None,
                    sha256: None,
                    errors: 0,
                    warnings: 0,
                    reasons: Vec::new(),
                    report: None,
                    received: None,
                    timeliness: None,
                    note: None,
                });
            }
        }
    }
    // Reading order: by region code (unknown regions last), files in the order given.
    entries.sort_by(|a, b| {
        let key = |e: &Entry| {
            (
                e.code.is_none(),
                e.city.clone().or(e.code.clone()).unwrap_or_default(),
                e.code.clone().unwrap_or_default(),
            )
        };
        key(a).cmp(&key(b))
    });

    let mut tables = Vec::new();
    let has_county_file = |city: &Region| entries.iter().any(|e| e.city.as_deref() == Some(city.code.as_str()) && e.file.is_some());
    for city in &cities {
        if scope.level == Level::Province && !has_county_file(city) {
            continue;
        }
        let counties = schemas.regions.children(&city.code);
        let rows: Vec<RegionRow> = counties
            .iter()
            .map(|c| RegionRow {
                code: c.code.clone(),
                name: c.name.clone(),
                values: county_in.iter().find(|x| x.code == c.code).map(|x| x.values.clone()),
            })
            .collect();
        let reported = rows.iter().filter(|r| r.values.is_some()).count();
        tables.push(Table {
            code: city.code.clone(),
            name: city.name.clone(),
            level: Level::City,
            total: totals.cities.get(&city.code).cloned().unwrap_or_else(|| vec![0; width]),
            coverage: format!("应报 {} / 实报 {reported}（未报 {}）", rows.len(), rows.len() - reported),
            rows,
        });
    }
    let counties_expected = cities.iter().map(|c| schemas.regions.children(&c.code).len()).sum();
    let counties_reported = counted_counties.len();
    if scope.level == Level::Province {
        let rows: Vec<RegionRow> = cities
            .iter()
            .map(|c| RegionRow {
                code: c.code.clone(),
                name: c.name.clone(),
                values: totals.cities.get(&c.code).cloned(),
            })
            .collect();
        let reported = rows.iter().filter(|r| r.values.is_some()).count();
        tables.push(Table {
            code: scope.code.clone(),
            name: scope.name.clone(),
            level: Level::Province,
            total: totals.province.clone(),
            coverage: format!(
                "应报 {} / 实报 {reported}（县区：应报 {counties_expected} / 实报 {counties_reported}）",
                rows.len()
            ),
            rows,
        });
    }

    let mut total_problems = Vec::new();
    for t in &tables {
        for rule in &form.rules {
            if let Some((l, r)) = rule.check(&t.total) {
                total_problems.push(format!("{}合计：{} = {l}，{} = {r}，违反 {rule}", t.name, rule.lhs, rule.rhs));
            }
        }
    }
    Ok(Rollup {
        period,
        scope: scope.code.clone(),
        entries,
        tables,
        total_problems,
        counties_expected,
        counties_reported,
        from_store: false,
    })
}
