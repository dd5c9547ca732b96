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
use crate::store::register::{ClearRef, Counted, NewEvent, NewImport, NewPerson, PersonState};
use std::collections::HashMap;
use yuebao_core::register::read::{Expect, Value};
use yuebao_core::register::{Card, Register, keys, read_register, state};
pub use yuebao_rollup::ledger::DerivedRow;
use yuebao_rollup::ledger::Tally;
pub use yuebao_store::personal::PersonalKey;

/// The kinds of a person's events, as stored and shown.
pub mod kind {
    pub const CARDED: &str = "建卡";
    pub const CHANGED: &str = "变动";
    pub const REMOVED: &str = "脱贫销号";
    pub const RETURNED: &str = "返贫挂号";
    /// Closed by an import under a new personal-data key (the old one lost): the person, known
    /// by a digest under the old key, is not in the register from that day on (the store's
    /// queries leave the state out); the import records the register anew.
    pub const REKEYED: &str = crate::store::register::REKEYED;
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
    /// Persons stored before and closed by an import under a new key (see
    /// [`Workflow::import_checked`]).
    pub closed: usize,
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
        register_of(self.schemas)
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
        self.county_of(actor, region, Action::Submit)?;
        let townships = self.townships(region)?;
        let checked = check_register(self.schemas, region, townships.as_deref(), file, bytes, crate::time::day(self.now))?;
        self.import_checked(actor, region, checked, key, false)
    }

    /// Lets the store keep more of its pages in memory while registers are loaded; into a store
    /// without registers, the index of persons by digest is built at the end instead
    /// ([`Workflow::finish_bulk_load`]).
    pub fn prepare_bulk_load(&self) -> Result<(), WorkflowError> {
        self.store.bulk_cache(256)?;
        self.store.defer_register_indexes()?;
        Ok(())
    }

    /// Ends a bulk load: the indexes it left are built.
    pub fn finish_bulk_load(&self) -> Result<(), WorkflowError> {
        Ok(self.store.rebuild_register_indexes()?)
    }

    /// Stores a register [`check_register`] read (see [`Workflow::import_register`]).
    ///
    /// `new_key` says the key the store's registers were sealed with is lost and `key` replaces
    /// it. A county whose register was sealed with another key is then recorded anew: its
    /// persons stored before are closed today ([`kind::REKEYED`]: their counts in the months
    /// before stay as they were, their personal fields stay unreadable) and the file's persons
    /// are carded today under the new key. Without `new_key`, a key other than the store's is
    /// refused.
    pub fn import_checked(
        &mut self,
        actor: &Actor,
        region: &Region,
        checked: CheckedRegister,
        key: &PersonalKey,
        new_key: bool,
    ) -> Result<ImportOutcome, WorkflowError> {
        let reg = self.the_register()?;
        self.county_of(actor, region, Action::Submit)?;
        let county_key = self.store.register_imports(&region.code)?.last().map(|i| i.key_id.clone());
        let other = |k: &Option<String>| k.as_ref().filter(|k| k.as_str() != key.id()).cloned();
        if !new_key && let Some(used) = other(&self.store.register_key_id()?).or_else(|| other(&county_key)) {
            return Err(WorkflowError::Register(format!(
                "个人信息密钥与数据库中台账所用的不同（库中为 {used}，给出的为 {}）：请用原来的密钥文件（--key-file 或 YUEBAO_KEY_FILE）；原密钥确已遗失时，用 ledger import --new-key 以新密钥重新导入各县区的整本台账（此前记录中的身份证号码等从此无法查看）",
                key.id()
            )));
        }
        let rekeying = other(&county_key).is_some();
        let mut checked = checked;
        checked.seal(self.schemas, key)?;
        let CheckedRegister {
            file,
            sha256: sha,
            sheet,
            sealed,
        } = checked;
        let file = file.as_str();
        if sheet.has_errors() {
            return Ok(ImportOutcome::refused(file, sheet.findings));
        }
        let stored = sealed.map(|(_, s)| s).unwrap_or_default();
        let today = crate::time::day(self.now);
        let date_of = |c: &Card, k: &str| reg.index(k).and_then(|i| c.date(i));
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        let today_s = day(today);
        let now = self.now;
        let tx = self.store.begin()?;
        let layouts = Layouts::of(reg, tx.register_layouts(&region.code)?);
        let mut before: HashMap<String, PersonState> = tx.register_states(&region.code, None)?.into_iter().map(|s| (s.person.clone(), s)).collect();
        // Under a new key no digest matches: the persons stored before are closed below.
        let closing: Vec<PersonState> = if rekeying { before.drain().map(|(_, s)| s).collect() } else { Vec::new() };
        let layout = state::layout(reg);
        let import = tx.add_register_import(&NewImport {
            region: &region.code,
            at: &crate::time::stamp(now),
            by: actor.name.as_deref(),
            file_name: file,
            sha256: &sha,
            key_id: key.id(),
            layout: &layout,
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
            closed: 0,
        };
        let mut seen = std::collections::HashSet::new();
        // Each new person's card and first events (day, kind).
        let mut added: Vec<(&SealedCard, Vec<(String, &'static str)>)> = Vec::new();
        for (card, sc) in sheet.cards.iter().zip(&stored) {
            let person = &sc.person;
            seen.insert(person.as_str());
            let removed = date_of(card, keys::REMOVED);
            let back = date_of(card, keys::RETURNED).filter(|b| removed.is_none_or(|r| *b >= r));
            match before.get(person) {
                None => {
                    // Recorded anew under a new key: from today, so that the months before are
                    // counted from the persons closed today, as they were.
                    let carded = match rekeying {
                        true => today_s.clone(),
                        false => date_of(card, keys::CARDED).map(day).unwrap_or_else(|| today_s.clone()),
                    };
                    let mut events = vec![(carded.clone(), kind::CARDED)];
                    if let Some(r) = removed {
                        events.push((day(r).max(carded.clone()), kind::REMOVED));
                    }
                    if let (Some(b), Some(_)) = (back, removed) {
                        events.push((day(b).max(carded.clone()), kind::RETURNED));
                    }
                    added.push((sc, events));
                    out.added += 1;
                }
                Some(prev) => {
                    // Compared as this schema reads both: the same card stored in another
                    // layout (or as the first imports' JSON) is no change.
                    let was = state::compact(reg, &layouts.card(reg, prev, None));
                    let same_personal = key.open(&prev.sealed).is_some_and(|p| p == sc.personal.as_bytes());
                    let was_out = prev.kind == kind::REMOVED;
                    let now_out = removed.is_some() && back.is_none();
                    let after = |d: Option<chrono::NaiveDate>| d.map(day).filter(|d| *d > prev.day);
                    let (k, d) = if now_out && !was_out {
                        (kind::REMOVED, after(removed).unwrap_or_else(|| today_s.clone()))
                    } else if was_out && !now_out {
                        (kind::RETURNED, after(back).unwrap_or_else(|| today_s.clone()))
                    } else if was != sc.clear || !same_personal {
                        (kind::CHANGED, after(date_of(card, keys::CHANGED)).unwrap_or_else(|| today_s.clone()))
                    } else {
                        continue;
                    };
                    let d = d.max(prev.day.clone());
                    tx.add_register_events(
                        &region.code,
                        prev.person_id,
                        import,
                        &[NewEvent {
                            day: &d,
                            kind: k,
                            card: &sc.clear,
                            sealed: &sc.sealed,
                        }],
                    )?;
                    match k {
                        kind::REMOVED => out.removed += 1,
                        kind::RETURNED => out.returned += 1,
                        _ => out.changed += 1,
                    }
                }
            }
        }
        let persons: Vec<NewPerson<'_>> = added
            .iter()
            .map(|(sc, events)| NewPerson {
                person: &sc.person,
                events: events
                    .iter()
                    .map(|(d, k)| NewEvent {
                        day: d,
                        kind: k,
                        card: &sc.clear,
                        sealed: &sc.sealed,
                    })
                    .collect(),
            })
            .collect();
        tx.add_register_persons(&region.code, import, &persons)?;
        // One event that ends a person's state today: left the register, or closed by a new key.
        let end = |prev: &PersonState, k: &str| -> Result<(), WorkflowError> {
            let was = state::compact(reg, &layouts.card(reg, prev, None));
            let day = today_s.clone().max(prev.day.clone());
            let event = NewEvent {
                day: &day,
                kind: k,
                card: &was,
                sealed: &prev.sealed,
            };
            Ok(tx.add_register_events(&region.code, prev.person_id, import, &[event])?)
        };
        // Whoever the register no longer lists has left it today.
        for (person, prev) in &before {
            if !seen.contains(person.as_str()) && prev.kind != kind::REMOVED {
                end(prev, kind::REMOVED)?;
                out.removed += 1;
            }
        }
        for prev in &closing {
            end(prev, kind::REKEYED)?;
        }
        out.closed = closing.len();
        let n = |x: usize| x as i64;
        tx.set_register_counts(import, n(out.persons), n(out.added), n(out.changed + out.returned), n(out.removed))?;
        let mut text = format!(
            "导入{}台账 {file}：{} 人，新建卡 {}，变动 {}，返贫挂号 {}，脱贫销号 {}",
            self.schemas.regions.display(region),
            out.persons,
            out.added,
            out.changed,
            out.returned,
            out.removed
        );
        if rekeying {
            text.push_str(&format!("；换新的个人信息密钥（{}）重新建档，此前的 {} 人封存", key.id(), out.closed));
        }
        tx.audit_fact(&entry(actor, Event::Register, Some(&region.code), &text, now), &Subject::RegisterImport(import))?;
        tx.commit()?;
        // Millions of small allocations: freed on another thread, not the one that stores the
        // next county.
        let read = (sheet, stored, before, closing);
        rayon::spawn(move || drop(read));
        Ok(out)
    }

    /// `region`'s register at the end of `period`, tallied for counting (no personal field).
    /// None when the county has no register in the store.
    fn register_tally(&self, actor: &Actor, region: &Region, period: Period) -> Result<Option<Tally>, WorkflowError> {
        let reg = self.the_register()?;
        self.county_of(actor, region, Action::View)?;
        if self.store.register_imports(&region.code)?.is_empty() {
            return Ok(None);
        }
        let day = day_of(period);
        tally(reg, self.store.register_layouts(&region.code)?, |each| {
            self.store.register_counting(&region.code, &day, each)
        })
        .map(Some)
    }

    /// The sheet `region`'s register gives for `period`: township by township in the order of
    /// the county's sheets, and the relations the register itself breaks. None without a register.
    pub fn derived_sheet(&self, actor: &Actor, region: &Region, period: Period, hand: Option<Hand<'_>>) -> Result<Option<Derived>, WorkflowError> {
        let Some(tally) = self.register_tally(actor, region, period)? else {
            return Ok(None);
        };
        let (sheet, order) = match hand {
            Some(_) => (None, Vec::new()),
            None => self.county_inputs(region, period)?,
        };
        let stored = sheet.as_ref().map(|(sheet, from)| Hand { sheet, from: from.clone() });
        derive_tally(self.schemas, &tally, period, &order, hand.or(stored)).map(Some)
    }

    /// The sheets of every county under `scope` that keeps a register, for `period`: county by
    /// county, each read from the store and tallied (only what counting needs, no card kept)
    /// while the county read before is counted.
    pub fn derived_sheets(&self, actor: &Actor, scope: &Region, period: Period) -> Result<Vec<(String, Derived)>, WorkflowError> {
        let reg = self.the_register()?;
        self.allow(actor, Action::View, scope)?;
        let day = day_of(period);
        let schemas = self.schemas;
        let (send, receive) = std::sync::mpsc::sync_channel::<Counting>(1);
        std::thread::scope(|scope_| -> Result<Vec<(String, Derived)>, WorkflowError> {
            let counter = scope_.spawn(move || -> Result<Vec<(String, Derived)>, WorkflowError> {
                let mut out = Vec::new();
                for c in receive {
                    let hand = c.sheet.as_ref().map(|(sheet, from)| Hand { sheet, from: from.clone() });
                    out.push((c.region.code.clone(), derive_tally(schemas, &c.tally, period, &c.order, hand)?));
                }
                Ok(out)
            });
            for code in self.store.register_regions()? {
                let Some(region) = schemas.regions.get(&code).filter(|r| schemas.regions.within(r, &scope.code)) else {
                    continue;
                };
                let (sheet, order) = self.county_inputs(region, period)?;
                let counting = Counting {
                    region,
                    tally: tally(reg, self.store.register_layouts(&code)?, |each| self.store.register_counting(&code, &day, each))?,
                    sheet,
                    order,
                };
                if send.send(counting).is_err() {
                    break;
                }
            }
            drop(send);
            counter.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// What counting a county's cards borrows from the store when no sheet is given: the
    /// county's sheet of the month (the townships' order and the columns the register cannot
    /// give) with where it came from, else the townships of its sheets.
    fn county_inputs(&self, region: &Region, period: Period) -> Result<(Option<StoredSheet>, Vec<String>), WorkflowError> {
        let sheet = self.counting_sheet(region, period)?.map(|sheet| {
            let from = format!("数据库中{}{}的报表", self.schemas.regions.display(region), period.label());
            (sheet, from)
        });
        let order = match &sheet {
            Some(_) => Vec::new(),
            None => self.townships(region)?.unwrap_or_default(),
        };
        Ok((sheet, order))
    }
}

/// The last day of `period` as the store writes days.
fn day_of(period: Period) -> String {
    yuebao_rollup::ledger::period_end(period).format("%Y-%m-%d").to_string()
}

/// A county's register at a day, tallied: `read` hands each stored state to the closure it is
/// given (see [`crate::store::Store::register_counting`]); each is read into one card, which
/// the tally takes what counting needs from.
fn tally(
    reg: &Register,
    layouts: Vec<(i64, Option<String>)>,
    read: impl FnOnce(&mut dyn FnMut(Counted<'_>)) -> Result<usize, crate::store::StoreError>,
) -> Result<Tally, WorkflowError> {
    let layouts = Layouts::counting(reg, layouts);
    let mut tally = Tally::new(reg);
    let mut card = Card::default();
    read(&mut |row| {
        layouts.counted_into(reg, &row, &mut card);
        tally.push(&card);
    })?;
    Ok(tally)
}

/// A county's sheet of the month from the store, and where it came from (for the message).
type StoredSheet = (crate::validate::Sheet, String);

/// A county as read from the store for counting (see [`Workflow::derived_sheets`]).
struct Counting<'r> {
    region: &'r Region,
    tally: Tally,
    /// The county's sheet of the month and where it came from (see [`Workflow::county_inputs`]).
    sheet: Option<StoredSheet>,
    order: Vec<String>,
}

/// A county's tally counted (see [`derive_cards`]), as a [`Derived`]: the persons behind each
/// broken relation counted in the tally.
fn derive_tally(schemas: &crate::schema::Schemas, tally: &Tally, period: Period, order: &[String], hand: Option<Hand<'_>>) -> Result<Derived, WorkflowError> {
    let reg = register_of(schemas)?;
    let (rows, broken) = count_rows(schemas, tally, period, order, hand.as_ref().map(|h| h.sheet))?;
    let broken = broken
        .into_iter()
        .map(|(township, relation, what)| {
            let n = match yuebao_core::register::relation_columns(reg, relation) {
                Some((a, b)) => tally.breaking(reg, a, b, &township, period).map_err(|e| WorkflowError::Rollup(e.to_string()))?,
                None => 0,
            };
            Ok((township, what, n))
        })
        .collect::<Result<_, WorkflowError>>()?;
    Ok(Derived {
        persons: tally.len(),
        rows,
        broken,
        hand_from: hand.map(|h| h.from),
    })
}

/// The schemas' register, or why there is none.
pub fn register_of(schemas: &crate::schema::Schemas) -> Result<&Register, WorkflowError> {
    schemas
        .register()
        .ok_or_else(|| WorkflowError::Register("模式目录中没有台账模式（forms/*.register.toml）".into()))
}

/// A county's own sheet a derived sheet borrows from, and where it came from (for the sentence
/// that says so).
#[derive(Clone)]
pub struct Hand<'a> {
    pub sheet: &'a crate::validate::Sheet,
    pub from: String,
}

/// A relation of the form the register itself breaks in one township, and the cards behind it.
pub struct Broken<'c> {
    pub township: String,
    pub what: String,
    pub cards: Vec<&'c Card>,
}

/// Counts `cards` into a county's sheet for `period`: the townships in the order of `hand`'s
/// rows (else of `order`, then any other), the columns the register cannot give from `hand`, and
/// the form's relations the counts break, with the cards behind each.
pub fn derive_cards<'c>(
    schemas: &crate::schema::Schemas,
    cards: &'c [Card],
    period: Period,
    order: &[String],
    hand: Option<&crate::validate::Sheet>,
) -> Result<(Vec<DerivedRow>, Vec<Broken<'c>>), WorkflowError> {
    let reg = register_of(schemas)?;
    let (rows, broken) = count_rows(schemas, &Tally::of(reg, cards), period, order, hand)?;
    let end = yuebao_rollup::ledger::period_end(period);
    let broken = broken
        .into_iter()
        .map(|(township, relation, what)| Broken {
            cards: yuebao_core::register::breaking(reg, relation, cards, &township, end),
            township,
            what,
        })
        .collect();
    Ok((rows, broken))
}

/// A relation of the form broken in a township: the township, the relation, its sentence.
type BrokenIn<'s> = (String, &'s crate::schema::relation::Rule, String);

/// The rows of [`derive_cards`] from a tally, and the relations they break.
fn count_rows<'s>(
    schemas: &'s crate::schema::Schemas,
    tally: &Tally,
    period: Period,
    order: &[String],
    hand: Option<&crate::validate::Sheet>,
) -> Result<(Vec<DerivedRow>, Vec<BrokenIn<'s>>), WorkflowError> {
    let reg = register_of(schemas)?;
    let order: Vec<String> = match hand {
        Some(h) => h.rows.iter().map(|r| r.label.clone()).collect(),
        None => order.to_vec(),
    };
    let mut rows = yuebao_rollup::ledger::count(reg, tally, period, &order).map_err(|e| WorkflowError::Rollup(e.to_string()))?;
    if let Some(h) = hand {
        for row in &mut rows {
            if let Some(filled) = h.rows.iter().find(|r| r.label == row.township) {
                for c in reg.hand_columns() {
                    row.values[c - 1] = filled.values.get(c - 1).copied();
                }
            }
        }
    }
    let mut broken = Vec::new();
    for row in &rows {
        let values: Vec<i64> = row.values.iter().map(|v| v.unwrap_or(0)).collect();
        for rule in &schemas.form().rules {
            if let Some((l, r)) = rule.check(&values) {
                broken.push((row.township.clone(), rule, rule.violation(l, r)));
            }
        }
    }
    Ok((rows, broken))
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
    let Some(sheet) = super::submit::county_sheet(schemas, rep) else {
        return Ok(None);
    };
    let first = sheet.period.first_day().format("%Y-%m-%d").to_string();
    if !tx.register_covers(&sheet.region, &first)? {
        return Ok(None);
    }
    let day = day_of(sheet.period);
    let tally = tally(reg, tx.register_layouts(&sheet.region)?, |each| tx.register_counting(&sheet.region, &day, each))?;
    let order: Vec<String> = sheet.rows.iter().map(|r| r.label.clone()).collect();
    let rows = yuebao_rollup::ledger::count(reg, &tally, sheet.period, &order).map_err(|e| WorkflowError::Rollup(e.to_string()))?;
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

/// A register file read and checked, not yet stored.
pub struct CheckedRegister {
    pub file: String,
    pub sha256: String,
    pub sheet: yuebao_core::register::RegisterSheet,
    /// What is stored of each card, with the id of the key it was made with (see
    /// [`CheckedRegister::seal`]).
    sealed: Option<(String, Vec<SealedCard>)>,
}

/// What the store keeps of one card.
struct SealedCard {
    /// The keyed digest of the 身份证号码.
    person: String,
    /// The clear part, compact.
    clear: Vec<u8>,
    /// The personal part, as sealed (to compare with what the store holds).
    personal: String,
    sealed: Vec<u8>,
}

impl CheckedRegister {
    /// Makes, with `key`, what the store keeps of each card (the digest of the number, the
    /// compact clear part, the sealed personal part), on every core. An import does it when it
    /// was not done; a batch does it where the file was read, beside the stores of the others.
    /// Nothing for a register with errors, which is not stored.
    pub fn seal(&mut self, schemas: &crate::schema::Schemas, key: &PersonalKey) -> Result<(), WorkflowError> {
        use rayon::prelude::*;
        let reg = register_of(schemas)?;
        if self.sheet.has_errors() || self.sealed.as_ref().is_some_and(|(id, _)| id == key.id()) {
            return Ok(());
        }
        let id = reg.index(keys::ID).expect("the register has 身份证号码");
        let cards = self
            .sheet
            .cards
            .par_iter()
            .map(|card| {
                let personal = state::personal(reg, card);
                SealedCard {
                    person: key.digest(card.text(id)),
                    clear: state::compact(reg, card),
                    sealed: key.seal(personal.as_bytes()),
                    personal,
                }
            })
            .collect();
        self.sealed = Some((key.id().to_string(), cards));
        Ok(())
    }
}

/// Reads and checks a county's register file (no store involved: files are checked on every
/// core, then stored one after another). A file that cannot be read is a finding.
pub fn check_register(
    schemas: &crate::schema::Schemas,
    region: &Region,
    townships: Option<&[String]>,
    file: &str,
    bytes: &[u8],
    today: chrono::NaiveDate,
) -> Result<CheckedRegister, WorkflowError> {
    let reg = register_of(schemas)?;
    let limits = yuebao_core::limits::Limits::register();
    let sha256 = crate::text::sha256_hex(bytes);
    // A plain xlsx, as counties' registers are, is read here by the project's own bounded
    // reader (a register is some megabytes: handing its every cell back from a reader process
    // costs more than reading it); anything else goes to a reader process.
    let here = yuebao_core::ingest::read_plain_within(
        bytes,
        &limits,
        yuebao_core::ingest::REGISTER_IN_PROCESS_BYTES,
        yuebao_core::ingest::REGISTER_IN_PROCESS_INFLATED_MB,
    );
    let sheet = match here.map_or_else(|| yuebao_core::ingest::isolate::read(file, bytes, &limits), Ok) {
        Ok(l) => read_register(
            &l.book,
            file,
            reg,
            &Expect {
                county: region,
                townships,
                today,
            },
        ),
        Err(why) => yuebao_core::register::RegisterSheet {
            sheet: String::new(),
            cards: Vec::new(),
            findings: vec![Finding::new(why.code(), file, why.message(&limits))],
        },
    };
    Ok(CheckedRegister {
        file: file.to_string(),
        sha256,
        sheet,
        sealed: None,
    })
}

/// The decoders of a county's compact records, by the import that wrote them.
struct Layouts(HashMap<i64, state::Decoder>);

impl Layouts {
    fn of(reg: &Register, layouts: Vec<(i64, Option<String>)>) -> Layouts {
        Layouts(layouts.into_iter().filter_map(|(id, l)| Some((id, state::Decoder::new(reg, &l?)?))).collect())
    }

    /// Decoders that read only what counting needs (see [`Register::counted_fields`]).
    fn counting(reg: &Register, layouts: Vec<(i64, Option<String>)>) -> Layouts {
        let wanted = reg.counted_fields();
        let Layouts(all) = Layouts::of(reg, layouts);
        Layouts(all.into_iter().map(|(id, d)| (id, d.only(&wanted))).collect())
    }

    /// A stored clear part as the card reader takes it. A compact record whose import has no
    /// layout (which only an edit outside this program makes, and `verify` finds) reads as
    /// empty.
    fn clear<'s>(&'s self, clear: ClearRef<'s>, import: i64) -> state::Clear<'s> {
        match clear {
            ClearRef::Json(text) => state::Clear::Json(text),
            ClearRef::Compact(bytes) => match self.0.get(&import) {
                Some(dec) => state::Clear::Compact(dec, bytes),
                None => state::Clear::Json(""),
            },
        }
    }

    /// A person's stored state as a card, with the personal part where it was opened.
    fn card(&self, reg: &Register, s: &PersonState, personal: Option<&str>) -> Card {
        state::card(reg, self.clear(s.clear.as_ref(), s.import_id), personal)
    }

    /// A stored state read into `card` for counting: the clear part only, with the day the
    /// person left when that is the state's event.
    fn counted_into(&self, reg: &Register, row: &Counted<'_>, card: &mut Card) {
        state::card_into(reg, self.clear(row.clear, row.import_id), None, card);
        let (on, off) = match row.kind {
            kind::REMOVED => (keys::REMOVED, Some(keys::RETURNED)),
            kind::RETURNED => (keys::RETURNED, None),
            _ => return,
        };
        if let (Some(i), Some(d)) = (reg.index(on), state::day(row.day)) {
            card.values[i] = Value::Date(d);
        }
        if let Some(i) = off.and_then(|k| reg.index(k)) {
            card.values[i] = Value::Empty;
        }
    }
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
            closed: 0,
        }
    }
}

/// One person as a list shows them: masked, whoever looks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PersonRow {
    /// The person's number in the store (for asking to see the card in full).
    pub id: i64,
    pub township: String,
    /// `371302********123X`; empty when the key cannot open the record.
    pub id_masked: String,
    /// `张*`.
    pub name_masked: String,
    /// `170****1234`.
    pub phone_masked: String,
    /// 建卡, 变动, 脱贫销号 or 返贫挂号, and since when.
    pub kind: String,
    pub day: String,
}

/// A card in full, for an account granted the sight of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FullCard {
    pub id: i64,
    pub fields: Vec<(String, String)>,
}

fn mask_name(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(first) => format!("{first}{}", "*".repeat(c.count().max(1))),
        None => String::new(),
    }
}

impl Workflow<'_> {
    /// Whether `actor` may see `region`'s person lists (masked): the county's own accounts that
    /// hand in or review its sheets, the operator, and a city's or the province's reviewer
    /// granted it, for the counties under it. Others see counts only.
    fn may_list(&self, actor: &Actor, region: &Region) -> Result<(), WorkflowError> {
        use super::Role;
        let own = actor.region.as_deref() == Some(region.code.as_str()) && matches!(actor.role, Role::Reporter | Role::Reviewer | Role::Admin);
        let granted_above =
            actor.personal && actor.role == Role::Reviewer && self.schemas.regions.is_leaf(region) && self.allow(actor, Action::View, region).is_ok();
        if actor.role == Role::Operator || own || granted_above {
            return Ok(());
        }
        Err(WorkflowError::OutOfScope {
            actor: actor.describe(self.schemas),
            action: "查看",
            what: format!("地区 {} 的台账人员名单（市、省只看人数和差异，经授权的审核账号除外）", region.code),
        })
    }

    /// The counties under `scope` that keep a register, for an account that may list their
    /// persons (see [`Workflow::may_list`]).
    pub fn register_counties(&self, actor: &Actor, scope: &Region) -> Result<Vec<Region>, WorkflowError> {
        self.allow(actor, Action::View, scope)?;
        Ok(self
            .store
            .register_regions()?
            .iter()
            .filter_map(|c| self.schemas.regions.get(c))
            .filter(|r| self.schemas.regions.within(r, &scope.code) && self.may_list(actor, r).is_ok())
            .cloned()
            .collect())
    }

    fn personal_granted(&self, actor: &Actor, region: &Region) -> Result<(), WorkflowError> {
        self.may_list(actor, region)?;
        if !actor.personal {
            return Err(WorkflowError::OutOfScope {
                actor: actor.describe(self.schemas),
                action: "查看",
                what: "台账个人信息的完整内容（须经系统管理员授权）".into(),
            });
        }
        Ok(())
    }

    /// The imports of `region`'s register, oldest first (what, when, by whom, how many).
    pub fn register_imports(&self, actor: &Actor, region: &Region) -> Result<Vec<crate::store::register::RegisterImport>, WorkflowError> {
        self.allow(actor, Action::View, region)?;
        Ok(self.store.register_imports(&region.code)?)
    }

    /// `region`'s persons as the register stands now, masked, by township; at most `limit`.
    pub fn register_people(&self, actor: &Actor, region: &Region, key: Option<&PersonalKey>, limit: usize) -> Result<(usize, Vec<PersonRow>), WorkflowError> {
        let reg = self.the_register()?;
        self.may_list(actor, region)?;
        let layouts = Layouts::of(reg, self.store.register_layouts(&region.code)?);
        let states = self.store.register_states(&region.code, None)?;
        let town = reg.index(keys::TOWNSHIP).expect("the register has 街道（乡镇）");
        let total = states.len();
        let rows = states
            .iter()
            .take(limit)
            .map(|s| {
                let opened = key.and_then(|k| k.open(&s.sealed)).map(|b| String::from_utf8_lossy(&b).into_owned());
                let card = layouts.card(reg, s, opened.as_deref());
                let text = |k: &str| reg.index(k).map(|i| card.text(i).to_string()).unwrap_or_default();
                PersonRow {
                    id: s.person_id,
                    township: card.text(town).to_string(),
                    id_masked: yuebao_core::register::idcard::mask(&text(keys::ID)),
                    name_masked: mask_name(&text(keys::NAME)),
                    phone_masked: yuebao_core::register::idcard::mask_phone(&text(keys::PHONE)),
                    kind: s.kind.clone(),
                    day: s.day.clone(),
                }
            })
            .collect();
        Ok((total, rows))
    }

    /// One person's card in full, for an account granted it; the sight is audited (the entry
    /// names the person masked).
    pub fn unmask_person(&mut self, actor: &Actor, region: &Region, person: i64, key: &PersonalKey) -> Result<FullCard, WorkflowError> {
        let reg = self.the_register()?;
        self.personal_granted(actor, region)?;
        let s = self
            .store
            .register_person_state(&region.code, person)?
            .ok_or_else(|| WorkflowError::Register(format!("{}的台账中没有第 {person} 号人员", region.name)))?;
        let opened = key
            .open(&s.sealed)
            .ok_or_else(|| WorkflowError::Register("个人信息密钥打不开这条记录（密钥不对或已遗失）".into()))?;
        let layouts = Layouts::of(reg, self.store.register_layouts(&region.code)?);
        let card = layouts.card(reg, &s, Some(&String::from_utf8_lossy(&opened)));
        let masked = reg
            .index(keys::ID)
            .map(|i| yuebao_core::register::idcard::mask(card.text(i)))
            .unwrap_or_default();
        let text = format!("查看{}台账第 {person} 号人员（{masked}）的完整信息", self.schemas.regions.display(region));
        self.store.audit(&entry(actor, Event::Unmask, Some(&region.code), &text, self.now))?;
        Ok(FullCard {
            id: person,
            fields: reg
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| (f.key.clone(), shown(reg, &card, i)))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        })
    }

    /// Every person of `region`'s register in full, for an account granted it, with the reason
    /// the export is made (audited with it): the headings and one row per person.
    pub fn export_people(&mut self, actor: &Actor, region: &Region, reason: &str, key: &PersonalKey) -> Result<(Vec<String>, Vec<Vec<String>>), WorkflowError> {
        let reg = self.the_register()?;
        self.personal_granted(actor, region)?;
        if reason.trim().is_empty() {
            return Err(WorkflowError::ReasonRequired { what: "导出人员名单" });
        }
        let layouts = Layouts::of(reg, self.store.register_layouts(&region.code)?);
        let states = self.store.register_states(&region.code, None)?;
        let mut rows = Vec::with_capacity(states.len());
        for s in states.iter().filter(|s| s.kind != kind::REMOVED) {
            let opened = key.open(&s.sealed).map(|b| String::from_utf8_lossy(&b).into_owned());
            let card = layouts.card(reg, s, opened.as_deref());
            rows.push((0..reg.fields.len()).map(|i| shown(reg, &card, i)).collect());
        }
        let text = format!(
            "导出{}台账人员名单 {} 人，理由：{}",
            self.schemas.regions.display(region),
            rows.len(),
            reason.trim()
        );
        self.store.audit(&entry(actor, Event::PersonalExport, Some(&region.code), &text, self.now))?;
        Ok((reg.fields.iter().map(|f| f.key.clone()).collect(), rows))
    }
}

/// A field of a card as text: options joined by 、, dates as 2015-10-08, yes/no as 是/否.
fn shown(reg: &Register, card: &Card, i: usize) -> String {
    match &card.values[i] {
        Value::Empty => String::new(),
        Value::Text(t) => t.clone(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Set(bits) => reg.fields[i]
            .options
            .iter()
            .enumerate()
            .filter(|(k, _)| bits & (1 << k) != 0)
            .map(|(_, o)| o.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        Value::Yes(b) => if *b { "是" } else { "否" }.to_string(),
    }
}
