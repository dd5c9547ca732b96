//! Handing in one upload: validate its bytes, check it against the region's earlier months,
//! decide 已接收 / 退回 / 待说明, and keep it (bytes, findings, who, for whom, when) in one
//! transaction whatever the verdict. Refused before anything is stored: an upload outside the
//! actor's scope, one for a month that is 审核通过 (locked), a 代报 whose sheet names another
//! region, and a received-at time in the future.

use super::standing::Timeliness;
use super::{Action, Actor, Workflow, WorkflowError};
use crate::finding::{Code, Finding, Severity};
use crate::period::Period;
use crate::store::{Channel, NewSubmission, SubStatus};
use crate::time::{Time, label as time_label};
use crate::validate::cross::{self, Previous};
use crate::validate::{Hints, validate_bytes};
use serde::Serialize;
use std::path::Path;

/// One file handed in.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    /// The file name as handed in (its extension, and a region or period it may name).
    pub file_name: &'a str,
    /// How findings name the file (the path as given on the command line, or the file name).
    pub display: &'a str,
    pub bytes: &'a [u8],
    /// When it reached the bureau, if earlier than now (an e-mailed file recorded later).
    pub received_at: Option<Time>,
    /// The 说明 that lets an upload with only warnings be accepted (强制上报).
    pub note: Option<&'a str>,
    /// 代报: the region (code or name) whose sheet this is, entered by someone above it.
    pub on_behalf_of: Option<&'a str>,
    /// 迟报原因: why it comes after the due date, when the sender says.
    pub late_reason: Option<&'a str>,
    pub hints: &'a Hints,
    /// A city's 上报: the digest of the county versions its rollup was made from.
    pub basis: Option<&'a str>,
    /// How it came: 命令行, 门户 or 邮件.
    pub channel: Channel,
    /// For a sheet that came by e-mail: the sender's address, and the key (Message-ID and
    /// SHA-256) that a second reading of the mailbox finds.
    pub mail: Option<MailOrigin<'a>>,
}

/// Where an e-mailed sheet came from.
#[derive(Debug, Clone, Copy)]
pub struct MailOrigin<'a> {
    pub sender: &'a str,
    pub key: &'a str,
}

/// What became of one upload.
#[derive(Debug, Clone, Serialize)]
pub struct SubmitOutcome {
    pub file: String,
    pub id: i64,
    pub region: Option<String>,
    pub region_name: Option<String>,
    pub period: Option<Period>,
    pub version: i64,
    pub status: SubStatus,
    /// 按时 / 迟报 N 天 (以首次接收 … 计), for an accepted upload, as words.
    #[serde(serialize_with = "timeliness_words")]
    pub timeliness: Option<Arrival>,
    pub due: Option<chrono::NaiveDate>,
    #[serde(serialize_with = "crate::time::serde_label")]
    pub received_at: Time,
    /// The 待说明 version this upload explains (same bytes, now with a 说明).
    pub explains: Option<i64>,
    /// It waits for a 说明, which its sender may now give (the same file with the 说明).
    pub explainable: bool,
    pub note: Option<String>,
    pub on_behalf_of: Option<String>,
    pub by: Option<String>,
    pub findings: Vec<Finding>,
    /// The validation report (as one element of `validate --format json`'s files), with the
    /// workbook's cells.
    #[serde(skip)]
    pub report: crate::validate::FileCheck,
}

/// How timely an accepted upload is: judged by the first accepted version of the month (`first`
/// is that one's arrival when it is not this upload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Arrival {
    #[serde(flatten)]
    pub timeliness: Timeliness,
    #[serde(serialize_with = "crate::time::serde_label_opt")]
    pub first: Option<Time>,
}

impl Arrival {
    /// `按时`, `迟报 2 天`, `按时（以首次接收 2026-11-03 09:00 计）`.
    pub fn words(&self) -> String {
        match self.first {
            Some(f) => format!("{}（以首次接收 {} 计）", self.timeliness.label(), time_label(f)),
            None => self.timeliness.label(),
        }
    }
}

fn timeliness_words<S: serde::Serializer>(t: &Option<Arrival>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(a) => s.serialize_str(&a.words()),
        None => s.serialize_none(),
    }
}

/// An upload that passed the checks made before anything is stored.
struct Admitted<'a> {
    rep: crate::validate::FileCheck,
    sha256: String,
    region: Option<&'a crate::schema::Region>,
    region_code: Option<String>,
    period: Option<Period>,
    received_at: crate::time::Time,
    proxy: Option<&'a crate::schema::Region>,
    note: Option<&'a str>,
}

/// An upload read and checked against the form: the part of handing in that needs no store
/// and decides nothing, so that a batch does it for its files on every core and then hands
/// them in one by one (`Workflow::submit_checked`).
pub struct Checked {
    rep: crate::validate::FileCheck,
}

impl Checked {
    /// The check's report: the region and period it found, its findings.
    pub fn report(&self) -> &crate::validate::FileCheck {
        &self.rep
    }
}

/// Reads and checks `up` against the form (a 代报 names the region the sheet must be for).
pub fn check(schemas: &crate::schema::Schemas, up: &Upload<'_>) -> Checked {
    let mut hints = up.hints.clone();
    if let Some(p) = up.on_behalf_of.and_then(|t| super::scope::region_arg(schemas, t).ok()) {
        hints.region = Some(p.code.clone());
    }
    // The bytes validated are the bytes stored.
    Checked {
        rep: validate_bytes(up.bytes, up.file_name, Path::new(up.display), up.display, schemas, &hints),
    }
}

/// Refuses the upload, before anything is stored, when its received-at time lies ahead, when
/// it is outside the actor's scope, or when a 代报 names another region.
fn admit<'a>(wf: &Workflow<'a>, actor: &Actor, up: &Upload<'a>, checked: Checked) -> Result<Admitted<'a>, WorkflowError> {
    let schemas = wf.schemas;
    let now = wf.now;
    let received_at = up.received_at.unwrap_or(now);
    if received_at > now + chrono::Duration::minutes(5) {
        return Err(WorkflowError::ReceivedInFuture { at: received_at, now });
    }
    // 代报 names the region: it was the hint, and the sheet must agree with it.
    let proxy = up.on_behalf_of.map(|t| wf.region(t)).transpose()?;
    if let Some(p) = proxy {
        if actor.region.as_deref() == Some(p.code.as_str()) {
            return Err(WorkflowError::OnBehalfOfOwn);
        }
        wf.allow(actor, Action::Submit, p)?;
    }
    let rep = checked.rep;
    let sha256 = rep.sha256.clone().unwrap_or_else(|| crate::text::sha256_hex(up.bytes));
    let region_code = rep.sheet.as_ref().map(|s| s.region.clone()).or(rep.region.clone());
    let period = rep.sheet.as_ref().map(|s| s.period).or(rep.period);
    let region = region_code.as_deref().and_then(|c| schemas.regions.get(c));
    if let (Some(p), Some(r)) = (proxy, region)
        && p.code != r.code
    {
        return Err(WorkflowError::OnBehalfMismatch {
            given: schemas.regions.display(p),
            found: schemas.regions.display(r),
        });
    }
    // An upload whose region could not be told is kept (rejected) under the actor's own scope.
    match region {
        Some(r) => wf.allow(actor, Action::Submit, r)?,
        None => {
            if let Some(own) = actor.region.as_deref().and_then(|c| schemas.regions.get(c)) {
                wf.allow(actor, Action::Submit, own)?;
            }
        }
    }
    Ok(Admitted {
        rep,
        sha256,
        region,
        region_code,
        period,
        received_at,
        proxy,
        note: up.note.map(str::trim).filter(|n| !n.is_empty()),
    })
}

/// Refuses an upload for a month that is 审核通过 (locked).
fn refuse_if_locked(tx: &crate::store::Txn<'_>, schemas: &crate::schema::Schemas, region: &crate::schema::Region, period: Period) -> Result<(), WorkflowError> {
    match super::review::lock(&tx.reviews(&region.code, period)?) {
        Some(lock) => Err(WorkflowError::Locked {
            region: schemas.regions.display(region),
            period,
            by: lock.by.unwrap_or_else(|| "审核人".into()),
            at: lock.at,
        }),
        None => Ok(()),
    }
}

/// The sheet of an upload when it is a county's own (one that fills the township sheet).
pub(super) fn county_sheet<'a>(schemas: &crate::schema::Schemas, rep: &'a crate::validate::FileCheck) -> Option<&'a crate::validate::Sheet> {
    rep.sheet
        .as_ref()
        .filter(|sh| schemas.regions.get(&sh.region).is_some_and(|r| schemas.regions.is_leaf(r)))
}

/// A county sheet against the county's history (the baseline, last month's counting sheet);
/// returns the baseline to set when this is the county's first sheet: (region, value, column).
fn check_history(
    tx: &crate::store::Txn<'_>,
    schemas: &crate::schema::Schemas,
    rep: &mut crate::validate::FileCheck,
    display: &str,
) -> Result<Option<(String, i64, usize)>, WorkflowError> {
    let form = schemas.form();
    // Only a county's own sheet has a history of its own: a city sheet's figures move with how
    // many of its counties it covers.
    let Some(sheet) = county_sheet(schemas, rep) else {
        return Ok(None);
    };
    let baseline = tx.baseline(&sheet.region)?;
    let prev_history = tx.region_month_brief(&sheet.region, sheet.period.prev())?;
    let prev_events = tx.reviews(&sheet.region, sheet.period.prev())?;
    let prev_sheet = match super::review::telling_of(&prev_history, &prev_events).counting {
        Some(s) => tx.sheet(s.id)?,
        None => None,
    };
    let prev = prev_sheet.as_ref().map(|sheet| Previous { period: sheet.period, sheet });
    let found = cross::check(form, display, sheet, baseline.as_ref(), prev);
    let to_set = match (&baseline, form.cross_period.baseline_column) {
        (None, Some(no)) => Some((sheet.region.clone(), sheet.total.values[no - 1], no)),
        _ => None,
    };
    rep.findings.extend(found);
    Ok(to_set)
}

pub(super) fn submit(wf: &mut Workflow<'_>, actor: &Actor, up: &Upload<'_>, checked: Checked) -> Result<SubmitOutcome, WorkflowError> {
    let schemas = wf.schemas;
    let now = wf.now;
    let form = schemas.form();
    let Admitted {
        mut rep,
        sha256,
        region,
        region_code,
        period,
        received_at,
        proxy,
        note,
    } = admit(wf, actor, up, checked)?;
    let tx = wf.store.begin()?;
    if let (Some(r), Some(p)) = (region, period) {
        refuse_if_locked(&tx, schemas, r, p)?;
    }
    let baseline_to_set = check_history(&tx, schemas, &mut rep, up.display)?;
    let register_diffs = super::ledger::compare_with_register(&tx, schemas, &mut rep, up.display)?;
    let errors = rep.findings.iter().any(|f| f.severity == Severity::Error);
    let unexplained = rep.findings.iter().any(|f| f.code.needs_explanation());
    let status = if errors || rep.sheet.is_none() {
        SubStatus::Rejected
    } else if unexplained && note.is_none() {
        SubStatus::Pending
    } else {
        SubStatus::Accepted
    };
    // The same file again with a 说明 explains the held upload: it arrived when that one did.
    let mut received_at = received_at;
    let mut explains = None;
    if status == SubStatus::Accepted
        && up.received_at.is_none()
        && let (Some(r), Some(p)) = (&region_code, period)
        && let Some((version, at)) = tx.pending_with_bytes(r, p, &sha256)?
    {
        received_at = at;
        explains = Some(version);
    }
    let first_accepted = match (&region_code, period) {
        (Some(r), Some(p)) => tx.first_accepted(r, p)?,
        _ => None,
    };
    if status == SubStatus::Accepted
        && let (Some((r, value, no)), Some(p)) = (&baseline_to_set, period)
    {
        let version = tx.next_version(Some(r), Some(p))?;
        let source = format!("{}报表第 {version} 版", p.label());
        let id = tx.set_baseline(r, *value, &source, now, actor.name.as_deref())?;
        let text = format!("第({no})栏基线记为 {value}（{source}）");
        tx.audit_fact(
            &super::audit::entry(actor, super::audit::Event::Baseline, Some(r), &text, now),
            &crate::store::facts::Subject::Baseline(id),
        )?;
        rep.findings.push(
            Finding::new(
                Code::BaselineSet,
                up.display,
                format!("这是本地区第一份被接收的报表，第({no})栏 {value} 记为基线，此后每月应与之相同"),
            )
            .value("baseline", *value),
        );
    }
    // The cross-period findings were added after validation counted.
    rep.recount();
    let on_behalf_of = proxy.map(|p| p.code.clone());
    let new = NewSubmission {
        region: region_code.as_deref(),
        period,
        file_name: up.file_name,
        bytes: up.bytes,
        sha256: &sha256,
        submitted_by: actor.name.as_deref(),
        received_at,
        imported_at: now,
        note,
        status,
        findings: &rep.findings,
        summary: rep.summary,
        sheet: rep.sheet.as_ref(),
        on_behalf_of: on_behalf_of.as_deref(),
        late_reason: up.late_reason,
        basis: up.basis,
        channel: up.channel,
        sender: up.mail.map(|m| m.sender),
        mail_key: up.mail.map(|m| m.key),
        register_diffs,
    };
    let (id, version) = tx.insert(&new)?;
    let whose = match (region, period) {
        (Some(r), Some(p)) => format!("{}{}报表", schemas.regions.display(r), p.label()),
        _ => "报表（未识别地区或报告期）".to_string(),
    };
    let text = format!(
        "上传“{}”：{whose}第 {version} 版，{}（错误 {}，警告 {}）{}",
        up.file_name,
        status.label(),
        rep.summary.errors,
        rep.summary.warnings,
        if proxy.is_some() { "，代报" } else { "" }
    );
    tx.audit_fact(
        &super::audit::entry(actor, super::audit::Event::Upload, region_code.as_deref(), &text, now),
        &crate::store::facts::Subject::Submission(id),
    )?;
    tx.commit()?;

    let due = period.map(|p| schemas.calendar.due_date(p, &form.period).date);
    let timeliness = match (status, first_accepted, due) {
        // An earlier accepted upload decides, unless this one (recorded late) arrived before it.
        (SubStatus::Accepted, Some(first), Some(d)) if first < received_at => Some(Arrival {
            timeliness: Timeliness::arrival(first, d),
            first: Some(first),
        }),
        (SubStatus::Accepted, _, Some(d)) => Some(Arrival {
            timeliness: Timeliness::arrival(received_at, d),
            first: None,
        }),
        _ => None,
    };
    Ok(SubmitOutcome {
        file: up.display.to_string(),
        id,
        // A division no longer in force is named as it was in its month (莱城区 in 2018).
        region_name: region.map(|r| r.name.clone()).or_else(|| rep.region_name.clone()),
        region: region_code,
        period,
        version,
        status,
        timeliness,
        due,
        received_at,
        explains,
        explainable: status == SubStatus::Pending,
        note: note.map(str::to_string),
        on_behalf_of,
        by: actor.name.clone(),
        findings: rep.findings.clone(),
        // What validate says about the file, the checks against earlier months included, with
        // its cells (a front end draws them).
        report: rep,
    })
}
