//! December's annual reports and what stands before them. The annual chain's deadlines (cities
//! to the province by 12-10, the province to the ministry by 12-15) come before December's
//! sheets are due, so the package sent then covers January to November (`[annual]` in the
//! form's schema says which days and which month); the final version with December can be made
//! once December is due. The readiness check lists, for the months a version covers, every
//! county-month (and for the province every city-month) that is missing, returned, not
//! accepted, waiting for a 说明 or not yet reviewed, so that nobody sends an incomplete annual
//! report without knowing it.

use super::audit::Event;
use super::scope::{Action, Actor};
use super::standing::{RegionStatus, Standing};
use super::year::{read as year, record};
use super::{Workflow, WorkflowError};
use crate::aggregate::rollup::{Rollup, Table};
use crate::period::Period;
use crate::schema::Region;
use crate::schema::regions::Level;
use crate::workbook::annual::AnnualDoc;
use chrono::NaiveDate;
use serde::Serialize;

/// One version of a year's annual report.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// `报送版` (January to the package month) or `终版` (the whole year).
    pub name: String,
    /// The last month it covers.
    pub last: u32,
    /// What it is for, in a sentence (who sends it to whom by when).
    pub purpose: String,
    /// Whether the months it covers are all due by now.
    pub complete_by_now: bool,
}

/// Something not in order for the annual report.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub code: String,
    pub name: String,
    /// The city of a county; None for a city's own sheet.
    pub city: Option<String>,
    pub period: Period,
    /// `missing`, `not_due`, `returned`, `rejected`, `pending`, `unreviewed`, `stale`.
    pub kind: &'static str,
    pub label: String,
}

/// The readiness of a scope's year.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub year: i32,
    /// The package version and the final version.
    pub versions: Vec<Version>,
    /// The version to make now: the final once December is due, else the package.
    pub current: u32,
    pub gaps: Vec<Gap>,
    /// Region-months checked (those of the current version).
    pub checked: usize,
}

/// One annual workbook, ready to save or send.
pub struct Book {
    pub region: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Months of the year with figures.
    pub months_with_data: usize,
    /// Whether last December was in the store (for the comparison sheet).
    pub yoy: bool,
}

/// The annual workbooks of a scope, and the last month's counts.
pub struct Books {
    pub books: Vec<Book>,
    pub last: u32,
    pub counties_expected: usize,
    pub counties_reported: usize,
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "missing" => "逾期未报",
        "not_due" => "未报（尚未到截止日）",
        "returned" => "审核退回，未重报",
        "rejected" => "报表未通过审核",
        "pending" => "待说明",
        "unreviewed" => "已接收，尚未审核通过",
        "stale" => "上报后县区报表有变动",
        _ => "",
    }
}

/// What keeps a region-month from being in order, if anything.
fn gap_of(s: &RegionStatus) -> Option<&'static str> {
    match s.standing {
        Standing::Returned => Some("returned"),
        Standing::Overdue { .. } => Some("missing"),
        Standing::NotDue | Standing::Missing => Some("not_due"),
        Standing::Rejected => Some("rejected"),
        Standing::Pending => Some("pending"),
        Standing::Accepted(_) => Some("unreviewed"),
        Standing::Approved(_) => None,
    }
}

impl Workflow<'_> {
    /// The two versions of `year`'s annual report, and which one to make at this workflow's
    /// `now`.
    pub fn annual_versions(&self, year: i32) -> (Vec<Version>, u32) {
        let a = &self.schemas.form().annual;
        let form = self.schemas.form();
        let due = |m: u32| self.schemas.calendar.due_date(Period::new(year, m).expect("a month"), &form.period).date;
        let day = |t: &str| NaiveDate::format(&crate::schema::form::Annual::date(t, year).expect("checked at load"), "%-m月%-d日").to_string();
        let today = crate::time::day(self.now);
        let package = a.package_through.clamp(1, 12);
        let mut versions = vec![Version {
            name: format!("报送版（1–{package}月）"),
            last: package,
            purpose: format!(
                "市于{}前报省、省于{}前报部；{package}月报表截止 {}",
                day(&a.city_due),
                day(&a.province_due),
                due(package)
            ),
            complete_by_now: today > due(package),
        }];
        if package < 12 {
            versions.push(Version {
                name: "终版（1–12月）".into(),
                last: 12,
                purpose: format!("12月报表截止（{}）后编制，补齐全年", due(12)),
                complete_by_now: today > due(12),
            });
        }
        let current = if package < 12 && today > due(12) { 12 } else { package };
        (versions, current)
    }

    /// The readiness of `scope`'s `year` for its annual report: every region-month of the
    /// current version that is not in order.
    pub fn annual_readiness(&self, actor: &Actor, scope: &Region, year: i32) -> Result<Readiness, WorkflowError> {
        self.allow(actor, Action::View, scope)?;
        if self.schemas.regions.is_leaf(scope) {
            return Err(WorkflowError::NotARollupScope {
                region: self.schemas.regions.display(scope),
            });
        }
        let (versions, current) = self.annual_versions(year);
        let mut gaps = Vec::new();
        let mut checked = 0;
        for m in 1..=current {
            let p = Period::new(year, m).expect("a month");
            let board = self.board(actor, scope, p)?;
            // The ministry receives the provinces' sheets: their counties are the provinces' to
            // answer for.
            let counties: &[RegionStatus] = if scope.level == Level::Nation { &[] } else { &board.counties };
            checked += counties.len();
            for s in counties {
                if let Some(kind) = gap_of(s) {
                    gaps.push(Gap {
                        code: s.code.clone(),
                        name: s.name.clone(),
                        city: s.city.as_ref().and_then(|c| self.schemas.regions.get(c)).map(|c| c.name.clone()),
                        period: p,
                        kind,
                        label: kind_label(kind).into(),
                    });
                }
            }
            // The province receives the cities' own sheets (上报) too.
            if scope.level <= Level::Province {
                checked += board.cities.len();
                for s in &board.cities {
                    let kind = gap_of(s).or(board.reported_of(&s.code).filter(|r| r.stale).map(|_| "stale"));
                    if let Some(kind) = kind {
                        gaps.push(Gap {
                            code: s.code.clone(),
                            name: s.name.clone(),
                            city: None,
                            period: p,
                            kind,
                            label: format!("{}报表：{}", if scope.level == Level::Nation { "省" } else { "市" }, kind_label(kind)),
                        });
                    }
                }
            }
        }
        Ok(Readiness {
            year,
            versions,
            current,
            gaps,
            checked,
        })
    }

    /// The annual workbooks of `scope` for `year` covering January to `last`: the province's
    /// and each city's when `scope` is the province (or only `only`'s), the city's own for a city.
    pub fn annual_books(&self, actor: &Actor, scope: &Region, year_no: i32, last: u32, only: Option<&str>) -> Result<Books, WorkflowError> {
        self.allow(actor, Action::View, scope)?;
        if self.schemas.regions.is_leaf(scope) {
            return Err(WorkflowError::NotARollupScope {
                region: self.schemas.regions.display(scope),
            });
        }
        let last = last.clamp(1, 12);
        let y = year(self, actor, scope, year_no)?;
        let mut targets = vec![scope];
        if scope.level <= Level::Province {
            targets.extend(super::standing::cities_under(self.schemas, scope));
        }
        if let Some(code) = only {
            targets.retain(|r| r.code == code);
            if targets.is_empty() {
                return Err(WorkflowError::UnknownRegion { text: code.to_string() });
            }
        }
        let filled_on = crate::time::date_label(self.now);
        let standings: Vec<_> = y.standings[..last as usize].to_vec();
        let mut books = Vec::new();
        for region in targets {
            let months: Vec<Option<&Table>> = y
                .rollups
                .iter()
                .enumerate()
                .map(|(m, r)| if m < last as usize { table_of(r, &region.code) } else { None })
                .collect();
            let mut rows = record(self.schemas, region, &standings);
            for r in &mut rows {
                r.months.resize(12, String::new());
            }
            let doc = AnnualDoc {
                region,
                year: year_no,
                months,
                last,
                prev_december: table_of(&y.prev_december, &region.code),
                record: rows,
                filled_on: filled_on.clone(),
                changes: super::month::changes(self.schemas, &region.code, Period::new(year_no - 1, 12).expect("December")),
            };
            let bytes = crate::workbook::annual::bytes(self.schemas, &doc).map_err(|e| WorkflowError::Rollup(e.to_string()))?;
            let suffix = if last == 12 { String::new() } else { format!("（1-{last}月）") };
            books.push(Book {
                region: region.code.clone(),
                file_name: format!("{}-{}-{}年报{suffix}.xlsx", region.code, region.name, year_no),
                bytes,
                months_with_data: doc.months.iter().filter(|m| m.is_some()).count(),
                yoy: doc.prev_december.is_some(),
            });
        }
        let end = &y.rollups[last as usize - 1];
        Ok(Books {
            books,
            last,
            counties_expected: end.counties_expected,
            counties_reported: end.counties_reported,
        })
    }

    /// As [`Workflow::annual_books`] for one region's workbook, audited as a download.
    pub fn download_annual(&mut self, actor: &Actor, scope: &Region, region: &Region, year_no: i32, last: u32) -> Result<Book, WorkflowError> {
        self.allow(actor, Action::View, region)?;
        let mut books = self.annual_books(actor, scope, year_no, last, Some(&region.code))?;
        let book = books.books.pop().ok_or_else(|| WorkflowError::UnknownRegion { text: region.code.clone() })?;
        let text = format!("下载年报“{}”", book.file_name);
        self.record(actor, Event::Download, Some(&region.code), &text)?;
        Ok(book)
    }
}

/// A region's table in a rollup, when anything was counted for it.
fn table_of<'a>(r: &'a Rollup, code: &str) -> Option<&'a Table> {
    r.tables.iter().find(|t| t.code == code && t.rows.iter().any(|x| x.values.is_some()))
}

/// One step of the annual chain: who sends the year's report to whom, by when.
#[derive(Debug, Clone, Serialize)]
pub struct ChainStep {
    /// `各市`, `各省（区、市）`.
    pub from: String,
    /// `省`, `部`.
    pub to: String,
    pub due: NaiveDate,
    /// Days from today to the due date (negative once past).
    pub days_left: i64,
    /// Whether the installation receives at this step (else it sends).
    pub receives: bool,
}

/// `status --annual`: the chain of the year's annual report as the installation takes part in
/// it, and how complete the months of its current version are.
#[derive(Debug, Clone, Serialize)]
pub struct AnnualChain {
    pub year: i32,
    pub steps: Vec<ChainStep>,
    pub readiness: Readiness,
}

impl Workflow<'_> {
    /// The annual chain for `scope` (the installation's province, or the nation at the
    /// ministry): cities → province by `city_due`, province → ministry by `province_due`.
    pub fn annual_chain(&self, actor: &Actor, scope: &Region, year: i32) -> Result<AnnualChain, WorkflowError> {
        let readiness = self.annual_readiness(actor, scope, year)?;
        let a = &self.schemas.form().annual;
        let today = crate::time::day(self.now);
        let step = |from: &str, to: &str, due: &str, receives: bool| {
            let due = crate::schema::form::Annual::date(due, year).expect("checked at load");
            ChainStep {
                from: from.into(),
                to: to.into(),
                due,
                days_left: (due - today).num_days(),
                receives,
            }
        };
        // Who reports to a province: its cities, and the county-level units under it directly.
        let below = self.schemas.regions.senders_word(scope);
        let steps = match scope.level {
            Level::Nation => vec![step(below, "部", &a.province_due, true)],
            Level::Province => vec![step(below, &scope.name, &a.city_due, true), step(&scope.name, "部", &a.province_due, false)],
            _ => vec![step(&scope.name, "省", &a.city_due, false)],
        };
        Ok(AnnualChain { year, steps, readiness })
    }
}
