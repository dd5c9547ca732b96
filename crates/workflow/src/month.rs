//! One month as the store holds it, read in today's divisions. A sheet handed in under a
//! division no longer in force (莱芜市's 莱城区 in 2018) counts as the sheet of the one division
//! that holds its area today (济南市's 莱芜区), unless that one handed in its own; so a year's
//! view and an annual report compare like with like across the change. A division divided
//! among several, or whose fate the list does not say, is not carried: the comparison says so
//! (see [`changes`]).

use super::{Workflow, WorkflowError};
use crate::period::Period;
use crate::schema::Schemas;
use crate::schema::divisions::Change;
use crate::store::{MonthBrief, Review, Submission};
use std::collections::{HashMap, HashSet};

/// The month's uploads and review events, regions carried to today's divisions.
pub(super) struct Month {
    pub brief: MonthBrief,
    pub reviews: Vec<Review>,
}

impl Workflow<'_> {
    /// Reads `period`'s uploads (brief) and review events, in today's divisions.
    pub(super) fn read_month(&self, period: Period) -> Result<Month, WorkflowError> {
        let mut brief = self.store.period_brief(period)?;
        let mut reviews = self.store.period_reviews(period)?;
        carry(self.schemas, period, &mut brief, &mut reviews);
        Ok(Month { brief, reviews })
    }
}

/// Rewrites the region of every upload and review event of a division no longer in force to
/// the one division of today that holds its area (see [`moves`]).
fn carry(schemas: &Schemas, period: Period, brief: &mut MonthBrief, reviews: &mut [Review]) {
    let moves = moves(schemas, period, &brief.subs);
    if moves.is_empty() {
        return;
    }
    for s in &mut brief.subs {
        if let Some(new) = s.region.as_deref().and_then(|c| moves.get(c)) {
            s.region = Some(new.clone());
        }
    }
    for r in reviews.iter_mut() {
        if let Some(new) = moves.get(&r.region) {
            r.region = new.clone();
        }
    }
    for (old, new) in &moves {
        if let Some(n) = brief.versions.remove(old) {
            brief.versions.insert(new.clone(), n);
        }
    }
}

/// Which regions of `period`'s uploads `subs` count as another today (old code → today's):
/// a division no longer in force whose area is held by one division of today, when that one
/// has nothing of its own in the month and no other old division goes to it too (长治市's 城区
/// and 郊区 both became 潞州区: two sheets of one month cannot be one region's). Only a month
/// before the installation's current divisions can hold such uploads.
pub(super) fn moves(schemas: &Schemas, period: Period, subs: &[Submission]) -> HashMap<String, String> {
    if schemas.current_since().is_none_or(|since| period >= since) {
        return HashMap::new();
    }
    let mut gone: Vec<&str> = subs
        .iter()
        .filter_map(|s| s.region.as_deref())
        .filter(|c| schemas.regions.get(c).is_none())
        .collect();
    if gone.is_empty() {
        return HashMap::new();
    }
    gone.sort();
    gone.dedup();
    let own: HashSet<&str> = subs
        .iter()
        .filter_map(|s| s.region.as_deref())
        .filter(|c| schemas.regions.get(c).is_some())
        .collect();
    let mut to: HashMap<String, Vec<String>> = HashMap::new();
    for old in gone {
        let Some(s) = schemas.successor(old) else { continue };
        let [new] = &s.to[..] else { continue };
        if own.contains(new.as_str()) || schemas.merged().contains(new) || !schemas.regions.get(new).is_some_and(|r| schemas.regions.is_leaf(r)) {
            continue;
        }
        to.entry(new.clone()).or_default().push(old.to_string());
    }
    to.into_iter()
        .filter(|(_, olds)| olds.len() == 1)
        .map(|(new, mut olds)| (olds.remove(0), new))
        .collect()
}

/// The changes to the divisions under `top` from the month `from` to today, each as a sentence
/// for the reader of a comparison that reads both in today's divisions (what [`carry`] does
/// with the sheets of each).
pub fn changes(schemas: &Schemas, top: &str, from: Period) -> Vec<String> {
    let named = |code: &str| {
        schemas
            .regions
            .get(code)
            .map(|r| format!("{}（{code}）", r.name))
            .unwrap_or_else(|| code.to_string())
    };
    schemas
        .changes_since(top, from)
        .iter()
        .map(|c| match c {
            Change::Renamed { code, old, new } => format!("{old}（{code}）更名为{new}，代码未变，按同一地区比较。"),
            Change::Gone(s) => {
                let head = format!("{}（{}）：{}。", s.from.name, s.from.code, s.what);
                match &s.to[..] {
                    [one] if s.from.level != crate::schema::Level::County => {
                        format!("{head}它所辖县区的报表按今天的区划计入{}。", named(one))
                    }
                    [one] if schemas.merged().contains(one) => {
                        format!("{head}合并前各区划的报表无法合成一份，未计入本表：{}及所在地区合计的比较不可比。", named(one))
                    }
                    [one] => format!("{head}它的报表计入{}（当月{}自己也报了的，以它自己的为准）。", named(one), named(one)),
                    [] => format!("{head}它的报表未计入本表：所在地区合计的比较不可比。"),
                    many => format!(
                        "{head}其数据无法拆分到{}，报表未计入本表：这几处及所在地区合计的比较不可比。",
                        many.iter().map(|c| named(c)).collect::<Vec<_>>().join("、")
                    ),
                }
            }
        })
        .collect()
}
