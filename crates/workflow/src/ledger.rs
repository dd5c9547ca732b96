//! The registers behind the sheets (附件2), kept in the store: a county imports its whole
//! register, and the differences from what the store holds become dated events (建卡, 变动,
//! 脱贫销号, 返贫挂号), so that the register at any month's end is known and an earlier month can
//! be derived again exactly. Personal fields are sealed with the personal-data key; the persons
//! are known by a keyed digest of the 身份证号; counting needs no key.

use super::audit::{Event, entry};
use super::{Action, Actor, Workflow, WorkflowError};
use crate::finding::Finding;
use crate::period::Period;
use crate::schema::Region;
use crate::store::facts::Subject;
use crate::store::register::{NewImport, PersonState};
use std::collections::HashMap;
use yuebao_core::register::read::{Expect, Value};
use yuebao_core::register::{Card, Register, keys, read_register, state};
pub use yuebao_rollup::ledger::DerivedRow;
pub use yuebao_store::personal::PersonalKey;

/// The kinds of a person's events, as stored and shown.
pub mod kind {
    pub const CARDED: &str = "建卡";
    pub const CHANGED: &str = "变动";
    pub const REMOVED: &str = "脱贫销号";
    pub const RETURNED: &str = "返贫挂号";
}

/// What became of an import.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportOutcome {
    pub file: String,
    /// Its findings; with an error nothing was stored.
    pub findings: Vec<Finding>,
    /// The import's number when the register was stored.
    pub import_id: Option<i64>,
    pub persons: usize,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub returned: usize,
}

/// A county's sheet derived from its register at a month's end.
#[derive(Debug, Clone)]
pub struct Derived {
    pub rows: Vec<DerivedRow>,
    /// Persons in the register on the day (or carded by the 摸底 date).
    pub persons: usize,
    /// The form's relations the register itself breaks: township, the sentence, how many
    /// persons are behind it.
    pub broken: Vec<(String, String, usize)>,
    /// Where the columns the register cannot give came from: the county's sheet of the month.
    pub hand_from: Option<String>,
}

impl<'a> Workflow<'a> {
    fn the_register(&self) -> Result<&'a Register, WorkflowError> {
        self.schemas
            .register()
            .ok_or_else(|| WorkflowError::Register("模式目录中没有台账模式（forms/*.register.toml）".into()))
    }

    fn county_of(&self, actor: &Actor, region: &Region, action: Action) -> Result<(), WorkflowError> {
        self.allow(actor, action, region)?;
        if !self.schemas.regions.is_leaf(region) {
            return Err(WorkflowError::Register(format!(
                "台账按县区建立：{}不是县区",
                self.schemas.regions.display(region)
            )));
        }
        Ok(())
    }

    /// The county's townships, from the latest of its sheets that counts (any month), if any.
    pub fn townships(&self, region: &Region) -> Result<Option<Vec<String>>, WorkflowError> {
        let subs = self.store.region(&region.code)?;
        let mut periods: Vec<Period> = subs.iter().filter_map(|s| s.period).collect();
        periods.sort();
        periods.dedup();
        for p in periods.into_iter().rev() {
            if let Some(sheet) = self.counting_sheet(region, p)? {
                return Ok(Some(sheet.rows.iter().map(|r| r.label.clone()).collect()));
            }
        }
        Ok(None)
    }

    /// The county's sheet that counts for `period`, if any.
    pub(crate) fn counting_sheet(&self, region: &Region, period: Period) -> Result<Option<crate::validate::Sheet>, WorkflowError> {
        let history = self.store.history(&region.code, period)?;
        let events = self.store.reviews(&region.code, period)?;
        let t = super::review::telling_of(&history, &events);
        let Some(id) = t.counting.map(|s| s.id) else { return Ok(None) };
        Ok(self.store.sheet(id)?)
    }

    /// Imports `region`'s whole register from a file's bytes, as `actor` (the county's own
    /// accounts, its reviewers, the operator). Every row is checked first; with an error nothing
    /// is stored. Otherwise each new person is carded (建卡 on the card's 建卡时间, and 脱贫销号 /
    /// 返贫挂号 on their dates when the card has them), each changed one gets an event dated by
    /// the card's 变动时间 (or today), each missing one is 脱贫销号 today, in one transaction
    /// bound into the audit chain.
    pub fn import_register(&mut self, actor: &Actor, region: &Region, file: &str, bytes: &[u8], key: &PersonalKey) -> Result<ImportOutcome, WorkflowError> {
        let reg = self.the_register()?;
        self.county_of(actor, region, Action::Submit)?;
        if let Some(used) = self.store.register_key_id()?
            && used != key.id()
        {
            return Err(WorkflowError::Register(format!(
                "个人信息密钥与数据库中台账所用的不同（库中为 {used}，给出的为 {}）：请用原来的密钥文件（--key-file 或 YUEBAO_KEY_FILE）",
                key.id()
            )));
        }
        let limits = yuebao_core::limits::Limits::register();
        let book = match yuebao_core::ingest::isolate::read(file, bytes, &limits) {
            Ok(l) => l.book,
            Err(why) => {
                let f = Finding::new(why.code(), file, why.message(&limits));
                return Ok(ImportOutcome::refused(file, vec![f]));
            }
        };
        let townships = self.townships(region)?;
        let today = crate::time::day(self.now);
        let expect = Expect {
            county: region,
            townships: townships.as_deref(),
            today,
        };
        let sheet = read_register(&book, file, reg, &expect);
        if sheet.has_errors() {
            return Ok(ImportOutcome::refused(file, sheet.findings));
        }
        let id_ix = reg.index(keys::ID).expect("the register has 身份证号码");
        let date_of = |c: &Card, k: &str| reg.index(k).and_then(|i| c.date(i));
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        let today_s = day(today);
        let now = self.now;
        let sha = crate::text::sha256_hex(bytes);
        let tx = self.store.begin()?;
        let before: HashMap<String, PersonState> = tx.register_states(&region.code, None)?.into_iter().map(|s| (s.person.clone(), s)).collect();
        let import = tx.add_register_import(&NewImport {
            region: &region.code,
            at: &crate::time::stamp(now),
            by: actor.name.as_deref(),
            file_name: file,
            sha256: &sha,
            key_id: key.id(),
        })?;
        let mut out = ImportOutcome {
            file: file.to_string(),
            findings: sheet.findings.clone(),
            import_id: Some(import),
            persons: sheet.cards.len(),
            added: 0,
            changed: 0,
            removed: 0,
            returned: 0,
        };
        let mut seen = std::collections::HashSet::new();
        for card in &sheet.cards {
            let person = key.digest(card.text(id_ix));
            seen.insert(person.clone());
            let clear = state::clear(reg, card);
            let personal = state::personal(reg, card);
            let pid = tx.register_person(&region.code, &person)?;
            let write = |d: &str, k: &str| tx.add_register_event(pid, import, d, k, &clear, &key.seal(personal.as_bytes()));
            let removed = date_of(card, keys::REMOVED);
            let back = date_of(card, keys::RETURNED).filter(|b| removed.is_none_or(|r| *b >= r));
            match before.get(&person) {
                None => {
                    let carded = date_of(card, keys::CARDED).map(day).unwrap_or_else(|| today_s.clone());
                    write(&carded, kind::CARDED)?;
                    if let Some(r) = removed {
                        write(&day(r).max(carded.clone()), kind::REMOVED)?;
                    }
                    if let (Some(b), Some(_)) = (back, removed) {
                        write(&day(b).max(carded.clone()), kind::RETURNED)?;
                    }
                    out.added += 1;
                }
                Some(prev) => {
                    let same_personal = key.open(&prev.sealed).is_some_and(|p| p == personal.as_bytes());
                    let was_out = prev.kind == kind::REMOVED;
                    let now_out = removed.is_some() && back.is_none();
                    let after = |d: Option<chrono::NaiveDate>| d.map(day).filter(|d| *d > prev.day);
                    let (k, d) = if now_out && !was_out {
                        (kind::REMOVED, after(removed).unwrap_or_else(|| today_s.clone()))
                    } else if was_out && !now_out {
                        (kind::RETURNED, after(back).unwrap_or_else(|| today_s.clone()))
                    } else if prev.state != clear || !same_personal {
                        (kind::CHANGED, after(date_of(card, keys::CHANGED)).unwrap_or_else(|| today_s.clone()))
                    } else {
                        continue;
                    };
                    write(&d.max(prev.day.clone()), k)?;
                    match k {
                        kind::REMOVED => out.removed += 1,
                        kind::RETURNED => out.returned += 1,
                        _ => out.changed += 1,
                    }
                }
            }
        }
        // Whoever the register no longer lists has left it today.
        for (person, prev) in &before {
            if !seen.contains(person) && prev.kind != kind::REMOVED {
                tx.add_register_event(
                    prev.person_id,
                    import,
                    &today_s.clone().max(prev.day.clone()),
                    kind::REMOVED,
                    &prev.state,
                    &prev.sealed,
                )?;
                out.removed += 1;
            }
        }
        let n = |x: usize| x as i64;
        tx.set_register_counts(import, n(out.persons), n(out.added), n(out.changed + out.returned), n(out.removed))?;
        let text = format!(
            "导入{}台账 {file}：{} 人，新建卡 {}，变动 {}，返贫挂号 {}，脱贫销号 {}",
            self.schemas.regions.display(region),
            out.persons,
            out.added,
            out.changed,
            out.returned,
            out.removed
        );
        tx.audit_fact(&entry(actor, Event::Register, Some(&region.code), &text, now), &Subject::RegisterImport(import))?;
        tx.commit()?;
        Ok(out)
    }

    /// `region`'s register as it stood at the end of `day`: every person carded by then, with
    /// the state of that day (those who had left it marked 脱贫销号 on the day they left), and no
    /// personal field. None when the county has no register in the store.
    pub fn register_cards(&self, actor: &Actor, region: &Region, day: chrono::NaiveDate) -> Result<Option<Vec<Card>>, WorkflowError> {
        let reg = self.the_register()?;
        self.county_of(actor, region, Action::View)?;
        if self.store.register_imports(&region.code)?.is_empty() {
            return Ok(None);
        }
        let states = self.store.register_states(&region.code, Some(&day.format("%Y-%m-%d").to_string()))?;
        Ok(Some(states.iter().map(|s| card_of(reg, s)).collect()))
    }

    /// The sheet `region`'s register gives for `period`: township by township in the order of
    /// the county's sheets, and the relations the register itself breaks. None without a register.
    pub fn derived_sheet(&self, actor: &Actor, region: &Region, period: Period) -> Result<Option<Derived>, WorkflowError> {
        let reg = self.the_register()?;
        let end = yuebao_rollup::ledger::period_end(period);
        let Some(cards) = self.register_cards(actor, region, end)? else {
            return Ok(None);
        };
        let counting = self.counting_sheet(region, period)?;
        let order = match &counting {
            Some(s) => s.rows.iter().map(|r| r.label.clone()).collect(),
            None => self.townships(region)?.unwrap_or_default(),
        };
        let mut rows = yuebao_rollup::ledger::derive(reg, &cards, period, &order).map_err(|e| WorkflowError::Rollup(e.to_string()))?;
        let hand_from = counting.as_ref().map(|sheet| {
            for row in &mut rows {
                if let Some(filled) = sheet.rows.iter().find(|r| r.label == row.township) {
                    for c in reg.hand_columns() {
                        row.values[c - 1] = filled.values.get(c - 1).copied();
                    }
                }
            }
            format!("数据库中{}{}的报表", self.schemas.regions.display(region), period.label())
        });
        let mut broken = Vec::new();
        for row in &rows {
            let values: Vec<i64> = row.values.iter().map(|v| v.unwrap_or(0)).collect();
            for rule in &self.schemas.form().rules {
                if let Some((l, r)) = rule.check(&values) {
                    let n = yuebao_core::register::breaking(reg, rule, &cards, &row.township, end).len();
                    broken.push((row.township.clone(), rule.violation(l, r), n));
                }
            }
        }
        Ok(Some(Derived {
            persons: cards.len(),
            rows,
            broken,
            hand_from,
        }))
    }
}

/// Persons found in the registers of two counties at once, as a city or the province sees
/// them: the two counties and how many persons they share, never who.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Duplicate {
    pub a: String,
    pub a_name: String,
    pub b: String,
    pub b_name: String,
    pub persons: i64,
}

impl Workflow<'_> {
    /// The pairs of counties whose registers share persons, where at least one of the two is
    /// within `scope`: for the reviewers of a city or the province (a county sees none, not
    /// even that its persons are elsewhere).
    pub fn register_duplicates(&self, actor: &Actor, scope: &Region) -> Result<Vec<Duplicate>, WorkflowError> {
        self.allow(actor, Action::View, scope)?;
        if self.schemas.regions.is_leaf(scope) {
            return Err(WorkflowError::Register("跨县区重复人员只给市、省查看".into()));
        }
        let name = |c: &str| {
            self.schemas
                .regions
                .get(c)
                .map(|r| self.schemas.regions.display(r))
                .unwrap_or_else(|| c.to_string())
        };
        let within = |c: &str| self.schemas.regions.get(c).is_some_and(|r| self.schemas.regions.within(r, &scope.code));
        Ok(self
            .store
            .register_duplicate_pairs()?
            .into_iter()
            .filter(|(a, b, _)| within(a) || within(b))
            .map(|(a, b, persons)| Duplicate {
                a_name: name(&a),
                b_name: name(&b),
                a,
                b,
                persons,
            })
            .collect())
    }
}

/// A county's sheet of a month its register covers (imported on or after the month's first
/// day), against the register at the month's end: every cell that differs is a warning (W503)
/// at its cell, and a township the register has and the sheet lacks is one too. Returns how
/// many there are; None when no register covers the month.
pub(super) fn compare_with_register(
    tx: &crate::store::Txn<'_>,
    schemas: &crate::schema::Schemas,
    rep: &mut crate::validate::FileCheck,
    display: &str,
) -> Result<Option<i64>, WorkflowError> {
    use crate::finding::Code;
    let Some(reg) = schemas.register() else { return Ok(None) };
    let Some(sheet) = rep
        .sheet
        .as_ref()
        .filter(|sh| schemas.regions.get(&sh.region).is_some_and(|r| schemas.regions.is_leaf(r)))
    else {
        return Ok(None);
    };
    let first = sheet.period.first_day().format("%Y-%m-%d").to_string();
    if !tx.register_covers(&sheet.region, &first)? {
        return Ok(None);
    }
    let end = yuebao_rollup::ledger::period_end(sheet.period);
    let states = tx.register_states(&sheet.region, Some(&end.format("%Y-%m-%d").to_string()))?;
    let cards: Vec<Card> = states.iter().map(|s| card_of(reg, s)).collect();
    let order: Vec<String> = sheet.rows.iter().map(|r| r.label.clone()).collect();
    let rows = yuebao_rollup::ledger::derive(reg, &cards, sheet.period, &order).map_err(|e| WorkflowError::Rollup(e.to_string()))?;
    let form = schemas.form();
    let mut found = Vec::new();
    for row in &rows {
        let Some(filed) = sheet.rows.iter().find(|r| r.label == row.township) else {
            let n = row.values[0].unwrap_or(0).max(row.values[1].unwrap_or(0));
            found.push(
                Finding::new(
                    Code::RegisterMismatch,
                    display,
                    format!(
                        "台账中有{}（第(1)栏 {}，第(2)栏 {} 人），报表没有这一行",
                        row.township,
                        row.values[0].unwrap_or(0),
                        row.values[1].unwrap_or(0)
                    ),
                )
                .in_sheet(&sheet.sheet)
                .value("台账", n),
            );
            continue;
        };
        for d in &reg.derive {
            let (Some(counted), Some(&written)) = (row.values[d.column - 1], filed.values.get(d.column - 1)) else {
                continue;
            };
            if counted == written {
                continue;
            }
            let says = if d.says.is_empty() { form.column_name(d.column) } else { d.says.as_str() };
            let mut f = Finding::new(
                Code::RegisterMismatch,
                display,
                format!("第({})栏 报表 {written} 人，台账{says} {counted} 人", d.column),
            )
            .row(&row.township)
            .column(d.column, form.column_name(d.column))
            .value("报表", written)
            .value("台账", counted);
            f = match filed.row {
                Some(r) => f.at(&sheet.sheet, (r, sheet.first_col + d.column as u32 - 1)),
                None => f.in_sheet(&sheet.sheet),
            };
            found.push(f);
        }
    }
    let n = found.len() as i64;
    rep.findings.extend(found);
    Ok(Some(n))
}

/// A stored state as a card for counting: the clear part only, with the day the person left
/// when that is the state's event.
fn card_of(reg: &Register, s: &PersonState) -> Card {
    let mut c = state::card(reg, &s.state, None);
    let day = chrono::NaiveDate::parse_from_str(&s.day, "%Y-%m-%d").ok();
    let set = |c: &mut Card, k: &str, v: Option<chrono::NaiveDate>| {
        if let (Some(i), Some(d)) = (reg.index(k), v) {
            c.values[i] = Value::Date(d);
        }
    };
    match s.kind.as_str() {
        kind::REMOVED => {
            set(&mut c, keys::REMOVED, day);
            if let Some(i) = reg.index(keys::RETURNED) {
                c.values[i] = Value::Empty;
            }
        }
        kind::RETURNED => set(&mut c, keys::RETURNED, day),
        _ => {}
    }
    c
}

impl ImportOutcome {
    fn refused(file: &str, findings: Vec<Finding>) -> ImportOutcome {
        ImportOutcome {
            file: file.to_string(),
            findings,
            import_id: None,
            persons: 0,
            added: 0,
            changed: 0,
            removed: 0,
            returned: 0,
        }
    }
}
