//! What a front end shows of stored uploads: one upload (within the actor's scope), its
//! original bytes, the file read again for display (the sheet drawn as a grid, the annotated
//! copy), and the comparison of two versions of a region's month.
//!
//! An upload asked for by number outside the actor's scope is refused without naming its
//! region, so a number guessed does not tell whose sheet it is.

use super::{Action, Actor, Workflow, WorkflowError};
use crate::finding::{Finding, Severity};
use crate::schema::{Form, Region};
use crate::store::Submission;
use crate::validate::{FileCheck, Hints, Sheet};
use serde::Serialize;
use std::collections::BTreeSet;

impl<'a> Workflow<'a> {
    /// Upload `id` and its region, when `actor` may see it.
    pub fn submission(&self, actor: &Actor, id: i64) -> Result<(Submission, &'a Region), WorkflowError> {
        let s = self.store.submission(id)?.ok_or(WorkflowError::NoSuchSubmission { id })?;
        // An upload whose region could not be told is seen only through the operator's tools.
        let region = s
            .region
            .as_deref()
            .and_then(|c| self.schemas.regions.get(c))
            .ok_or(WorkflowError::NoSuchSubmission { id })?;
        if self.allow(actor, Action::View, region).is_err() {
            return Err(WorkflowError::NotYours { id });
        }
        Ok((s, region))
    }

    /// The blank form of `region` for `period` (a county's with room for 30 townships) and its
    /// file name, when `actor` may see the region.
    pub fn blank_form(&self, actor: &Actor, region: &Region, period: crate::period::Period) -> Result<(Vec<u8>, String), WorkflowError> {
        self.allow(actor, Action::View, region)?;
        let rows = if self.schemas.regions.is_leaf(region) { 30 } else { 0 };
        let workbook = |e: rust_xlsxwriter::XlsxError| WorkflowError::Workbook(e.to_string());
        let mut wb = crate::workbook::form::template_workbook(self.schemas, region, period, rows).map_err(workbook)?;
        let bytes = wb.save_to_buffer().map_err(workbook)?;
        Ok((bytes, crate::workbook::file_name(region, period)))
    }

    /// Upload `id` with the bytes handed in.
    pub fn original(&self, actor: &Actor, id: i64) -> Result<(Submission, Vec<u8>), WorkflowError> {
        let (s, _) = self.submission(actor, id)?;
        let bytes = self.store.bytes(&s.sha256)?.ok_or(WorkflowError::MissingBytes { id })?;
        Ok((s, bytes))
    }

    /// Upload `id`'s original bytes for `actor` to take away: as [`Workflow::original`], and the
    /// download is audited.
    pub fn download_original(&mut self, actor: &Actor, id: i64) -> Result<(Submission, Vec<u8>), WorkflowError> {
        let (s, bytes) = self.original(actor, id)?;
        let text = format!("下载第 {id} 号报送（第 {} 版）的原件“{}”", s.version, s.file_name);
        self.record(actor, super::audit::Event::Download, s.region.as_deref(), &text)?;
        Ok((s, bytes))
    }

    /// Every upload `actor` may see (the whole store for the command line and the province),
    /// in the order stored, each with whether it is the one that counts for its region-month
    /// (by the one rule, returns included): what `export` writes out.
    pub fn archive(&self, actor: &Actor) -> Result<Vec<(Submission, bool)>, WorkflowError> {
        let all = self.store.all()?;
        let visible = |s: &Submission| match s.region.as_deref().and_then(|c| self.schemas.regions.get(c)) {
            Some(r) => self.allow(actor, Action::View, r).is_ok(),
            // An upload whose region could not be told is the operator's to see.
            None => actor.role == super::Role::Operator,
        };
        let subs: Vec<Submission> = all.into_iter().filter(|s| visible(s)).collect();
        let mut groups: std::collections::BTreeMap<(&str, crate::period::Period), Vec<&Submission>> = Default::default();
        for s in &subs {
            if let (Some(r), Some(p)) = (s.region.as_deref(), s.period) {
                groups.entry((r, p)).or_default().push(s);
            }
        }
        let mut counting = std::collections::HashSet::new();
        for ((region, period), history) in &groups {
            let events = self.store.reviews(region, *period)?;
            let events: Vec<&crate::store::Review> = events.iter().collect();
            if let Some(e) = super::review::telling(history, &events).counting {
                counting.insert(e.id);
            }
        }
        Ok(subs
            .into_iter()
            .map(|s| {
                let c = counting.contains(&s.id);
                (s, c)
            })
            .collect())
    }

    /// The original bytes of an upload [`Workflow::archive`] listed for `actor`.
    pub fn archived_bytes(&self, actor: &Actor, s: &Submission) -> Result<Vec<u8>, WorkflowError> {
        match s.region.as_deref().and_then(|c| self.schemas.regions.get(c)) {
            Some(r) => self.allow(actor, Action::View, r)?,
            None if actor.role == super::Role::Operator => {}
            None => return Err(WorkflowError::NotYours { id: s.id }),
        }
        self.store.bytes(&s.sha256)?.ok_or(WorkflowError::MissingBytes { id: s.id })
    }

    /// Whether `actor` may give upload `s` its 说明 now: a 待说明 version of a region `actor` may
    /// hand in for, in a month not locked by an approval.
    pub fn explainable(&self, actor: &Actor, s: &Submission) -> Result<bool, WorkflowError> {
        let (Some(region), Some(period)) = (s.region.as_deref().and_then(|c| self.schemas.regions.get(c)), s.period) else {
            return Ok(false);
        };
        if s.status != crate::store::SubStatus::Pending || self.allow(actor, Action::Submit, region).is_err() {
            return Ok(false);
        }
        Ok(super::review::lock(&self.store.reviews(&region.code, period)?).is_none())
    }

    /// Upload `id` with its bytes, to be handed in again with a 说明: only a 待说明 version.
    pub fn pending_original(&self, actor: &Actor, id: i64) -> Result<(Submission, Vec<u8>), WorkflowError> {
        let (s, bytes) = self.original(actor, id)?;
        if s.status != crate::store::SubStatus::Pending {
            return Err(WorkflowError::NotPending { id });
        }
        Ok((s, bytes))
    }

    /// Upload `id` read again from its bytes: the workbook's cells and the table's place, with
    /// the findings as stored when it was handed in (the checks against earlier months
    /// included), each pointing at its cell.
    pub fn reread(&self, actor: &Actor, id: i64, hints: &Hints) -> Result<(Submission, FileCheck), WorkflowError> {
        let (s, bytes) = self.original(actor, id)?;
        let hints = Hints {
            region: s.region.clone(),
            period: s.period,
            ..hints.clone()
        };
        let path = std::path::Path::new(&s.file_name);
        let mut rep = crate::validate::validate_bytes(&bytes, &s.file_name, path, &s.file_name, self.schemas, &hints);
        rep.findings = s
            .findings
            .iter()
            .cloned()
            .map(|mut f| {
                f.pos = f.cell.as_deref().and_then(crate::text::parse_a1);
                f
            })
            .collect();
        rep.recount();
        Ok((s, rep))
    }

    /// Two versions of `region`'s month side by side (see [`Comparison`]). A version
    /// that was not accepted has no figures stored; its file is read again for them.
    pub fn compare(&self, actor: &Actor, region: &Region, old: i64, new: i64, hints: &Hints) -> Result<Comparison, WorkflowError> {
        let (a, ra) = self.submission(actor, old)?;
        let (b, rb) = self.submission(actor, new)?;
        if ra.code != region.code || rb.code != region.code || a.period != b.period {
            return Err(WorkflowError::NotComparable { old, new });
        }
        let figures = |s: &Submission| -> Result<Option<Sheet>, WorkflowError> {
            match &s.sheet {
                Some(sheet) => Ok(Some(sheet.clone())),
                None => Ok(self.reread(actor, s.id, hints)?.1.figures),
            }
        };
        let (fa, fb) = (figures(&a)?, figures(&b)?);
        Ok(Comparison::of(self.schemas.form(), a, b, fa.as_ref(), fb.as_ref()))
    }
}

/// One figure that differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellChange {
    /// The row's label (a township, or 合计).
    pub row: String,
    /// The form's column number, 1-based.
    pub column: usize,
    pub column_name: String,
    /// None where the row is missing from that version.
    pub old: Option<i64>,
    pub new: Option<i64>,
}

/// What a resubmission changed: the figures, the rows, and the findings fixed or new.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub old: Submission,
    pub new: Submission,
    /// False when a version has no readable table (then `cells` is empty).
    pub comparable: bool,
    pub cells: Vec<CellChange>,
    pub rows_added: Vec<String>,
    pub rows_removed: Vec<String>,
    /// Errors and warnings of the old version that the new one no longer has.
    pub fixed: Vec<Finding>,
    /// Errors and warnings of the new version that the old one did not have.
    pub appeared: Vec<Finding>,
}

impl Comparison {
    /// `old_figures` and `new_figures` are the versions' tables as read (the stored sheet of an
    /// accepted version, the figures of a rejected one read again).
    pub fn of(form: &Form, old: Submission, new: Submission, old_figures: Option<&Sheet>, new_figures: Option<&Sheet>) -> Comparison {
        let (cells, rows_added, rows_removed, comparable) = match (old_figures, new_figures) {
            (Some(a), Some(b)) => {
                let (cells, added, removed) = compare_sheets(form, a, b);
                (cells, added, removed, true)
            }
            _ => (Vec::new(), Vec::new(), Vec::new(), false),
        };
        // Problems are errors and warnings; notes (a baseline set, a period read from the file
        // name) are not.
        let problems = |fs: &[Finding]| fs.iter().filter(|f| f.severity > Severity::Info).cloned().collect::<Vec<_>>();
        let (pa, pb) = (problems(&old.findings), problems(&new.findings));
        let keys = |fs: &[Finding]| fs.iter().map(finding_key).collect::<BTreeSet<_>>();
        let (ka, kb) = (keys(&pa), keys(&pb));
        let fixed = pa.iter().filter(|f| !kb.contains(&finding_key(f))).cloned().collect();
        let appeared = pb.iter().filter(|f| !ka.contains(&finding_key(f))).cloned().collect();
        Comparison {
            old,
            new,
            comparable,
            cells,
            rows_added,
            rows_removed,
            fixed,
            appeared,
        }
    }
}

/// A finding is "the same" in two versions when it is the same check on the same row and
/// column: the cell may move when rows are added, the message changes with the values.
fn finding_key(f: &Finding) -> (String, Option<String>, Option<usize>, Option<String>) {
    let placed = f.row_label.is_some() || f.column.is_some();
    (
        f.code.as_str().to_string(),
        f.row_label.clone(),
        f.column,
        // A finding about the whole file is told apart by what it says.
        (!placed).then(|| f.message.clone()),
    )
}

/// Rows are matched by label (the n-th row of a label with the n-th of the same label), then
/// compared column by column; the 合计 last.
fn compare_sheets(form: &Form, a: &Sheet, b: &Sheet) -> (Vec<CellChange>, Vec<String>, Vec<String>) {
    let keyed = |s: &Sheet| {
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        s.rows
            .iter()
            .map(|r| {
                let n = seen.entry(r.label.as_str()).or_insert(0);
                *n += 1;
                ((r.label.clone(), *n), r.values.clone())
            })
            .collect::<Vec<_>>()
    };
    let (ra, rb) = (keyed(a), keyed(b));
    let find = |rows: &[((String, usize), Vec<i64>)], k: &(String, usize)| rows.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let mut cells = Vec::new();
    let mut push_row = |label: &str, old: Option<&[i64]>, new: Option<&[i64]>| {
        let width = old.map_or(0, <[i64]>::len).max(new.map_or(0, <[i64]>::len));
        for i in 0..width {
            let (o, n) = (old.and_then(|v| v.get(i).copied()), new.and_then(|v| v.get(i).copied()));
            if o != n {
                cells.push(CellChange {
                    row: label.to_string(),
                    column: i + 1,
                    column_name: form.column_name(i + 1).to_string(),
                    old: o,
                    new: n,
                });
            }
        }
    };
    let mut removed = Vec::new();
    for (k, v) in &ra {
        let other = find(&rb, k);
        if other.is_none() {
            removed.push(k.0.clone());
        }
        push_row(&k.0, Some(v), other.as_deref());
    }
    let mut added = Vec::new();
    for (k, v) in &rb {
        if find(&ra, k).is_none() {
            added.push(k.0.clone());
            push_row(&k.0, None, Some(v));
        }
    }
    push_row(&form.total_label, Some(&a.total.values), Some(&b.total.values));
    (cells, added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schemas;
    use crate::validate::DataRow;

    fn sheet(rows: &[(&str, [i64; 2])]) -> Sheet {
        let rows: Vec<DataRow> = rows
            .iter()
            .map(|(l, v)| DataRow {
                label: l.to_string(),
                row: None,
                values: v.to_vec(),
            })
            .collect();
        let total = (0..2).map(|i| rows.iter().map(|r| r.values[i]).sum()).collect();
        Sheet {
            sheet: "s".into(),
            region: "371302".into(),
            period: "2026-10".parse().unwrap(),
            rows,
            subtotals: Vec::new(),
            total: DataRow {
                label: "合计".into(),
                row: None,
                values: total,
            },
            total_given: false,
            first_col: 1,
        }
    }

    #[test]
    fn changed_added_and_removed_rows() {
        let s = Schemas::embedded().unwrap();
        let a = sheet(&[("甲镇", [1, 2]), ("乙镇", [3, 4])]);
        let b = sheet(&[("甲镇", [1, 5]), ("丙镇", [7, 0])]);
        let (cells, added, removed) = compare_sheets(s.form(), &a, &b);
        assert_eq!(added, ["丙镇"]);
        assert_eq!(removed, ["乙镇"]);
        let said: Vec<String> = cells.iter().map(|c| format!("{}({}){:?}→{:?}", c.row, c.column, c.old, c.new)).collect();
        assert_eq!(
            said,
            [
                "甲镇(2)Some(2)→Some(5)",
                "乙镇(1)Some(3)→None",
                "乙镇(2)Some(4)→None",
                "丙镇(1)None→Some(7)",
                "丙镇(2)None→Some(0)",
                "合计(1)Some(4)→Some(8)",
                "合计(2)Some(6)→Some(5)",
            ]
        );
        assert_eq!(cells[0].column_name, s.form().column_name(2));
    }
}
