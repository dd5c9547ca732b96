//! The audit trail as the workflow keeps it: one entry for each thing a person did through any
//! front end — logins (and failed ones), logouts, uploads, returns, approvals, unlocks, reports
//! to the level above, downloads, reminders, account changes — with who, from where, on which
//! region, when, and a Chinese sentence. Uploads and review decisions are recorded in the same
//! transaction as the change itself. Who may read which entries is decided here too.

use super::scope::{Action, Actor, Role};
use super::{Workflow, WorkflowError};
use crate::store::audit::{AuditEntry, AuditFilter, NewAudit};

/// What `verify` found (see [`Workflow::verify`]).
#[derive(Debug, Clone)]
pub struct Verification {
    /// What is wrong, one sentence each naming the row; empty when the store is whole.
    pub problems: Vec<String>,
    /// What could not be checked (signed entries without the key).
    pub notes: Vec<String>,
    pub submissions: i64,
    /// The chain's head: how many entries, and the last one's hash (`N:HASH` for `--expect`).
    pub entries: i64,
    pub head: String,
    pub file: std::path::PathBuf,
}

/// What an entry records; `code` is the stable English action code in `audit_log.action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Login,
    LoginFailed,
    Logout,
    Upload,
    Return,
    Approve,
    Unlock,
    Report,
    Download,
    Reminder,
    UserAdd,
    UserDisable,
    UserEnable,
    PasswordChange,
    Baseline,
    Backup,
    Contact,
    Mail,
    /// A county's register imported.
    Register,
    /// The sight of the register's personal information granted or withdrawn.
    PersonalGrant,
    /// A person's card seen in full.
    Unmask,
    /// A list of persons exported, with its reason.
    PersonalExport,
}

impl Event {
    pub const ALL: [Event; 22] = [
        Event::Login,
        Event::LoginFailed,
        Event::Logout,
        Event::Upload,
        Event::Return,
        Event::Approve,
        Event::Unlock,
        Event::Report,
        Event::Download,
        Event::Reminder,
        Event::UserAdd,
        Event::UserDisable,
        Event::UserEnable,
        Event::PasswordChange,
        Event::Baseline,
        Event::Backup,
        Event::Contact,
        Event::Mail,
        Event::Register,
        Event::PersonalGrant,
        Event::Unmask,
        Event::PersonalExport,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Event::Login => "login",
            Event::LoginFailed => "login_failed",
            Event::Logout => "logout",
            Event::Upload => "upload",
            Event::Return => "return",
            Event::Approve => "approve",
            Event::Unlock => "unlock",
            Event::Report => "report",
            Event::Download => "download",
            Event::Reminder => "reminder",
            Event::UserAdd => "user_add",
            Event::UserDisable => "user_disable",
            Event::UserEnable => "user_enable",
            Event::PasswordChange => "password_change",
            Event::Baseline => "baseline",
            Event::Backup => "backup",
            Event::Contact => "contact",
            Event::Mail => "mail",
            Event::Register => "register",
            Event::PersonalGrant => "personal_grant",
            Event::Unmask => "unmask",
            Event::PersonalExport => "personal_export",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Event::Login => "登录",
            Event::LoginFailed => "登录失败",
            Event::Logout => "退出",
            Event::Upload => "上传报表",
            Event::Return => "审核退回",
            Event::Approve => "审核通过",
            Event::Unlock => "解锁",
            Event::Report => "上报",
            Event::Download => "下载",
            Event::Reminder => "催报",
            Event::UserAdd => "新建账号",
            Event::UserDisable => "停用账号",
            Event::UserEnable => "启用账号",
            Event::PasswordChange => "修改密码",
            Event::Baseline => "基线",
            Event::Backup => "备份",
            Event::Contact => "通讯录",
            Event::Mail => "收邮件",
            Event::Register => "台账",
            Event::PersonalGrant => "个人信息授权",
            Event::Unmask => "查看个人信息",
            Event::PersonalExport => "导出人员名单",
        }
    }

    /// The event of an action code (for filters typed by people).
    pub fn of_code(code: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.code() == code)
    }
}

/// The Chinese label of a stored action code (the code itself when it is not one of ours).
pub fn action_label(code: &str) -> &str {
    match code {
        // Written by the store when an older one was upgraded (see `store::facts`).
        "backfill" => "升级补记",
        // Written by the store when a data directory is first bound to its province.
        "install" => "归属省份",
        _ => Event::of_code(code).map(Event::label).unwrap_or(code),
    }
}

/// An entry for `actor` doing `event` on `region`.
pub(super) fn entry<'a>(actor: &'a Actor, event: Event, region: Option<&'a str>, description: &'a str, at: crate::time::Time) -> NewAudit<'a> {
    NewAudit {
        at,
        action: event.code(),
        actor: actor.name.as_deref(),
        role: Some(actor.role.code()),
        region,
        address: actor.address.as_deref(),
        description,
    }
}

impl Workflow<'_> {
    /// A consistent copy of the whole store in the database file `out` (which must not exist),
    /// taken while others read and write; the command line's operator only. The backup is
    /// audited first, so the copy's chain ends with its own entry.
    pub fn backup(&mut self, actor: &Actor, out: &std::path::Path) -> Result<(), WorkflowError> {
        if actor.role != super::Role::Operator {
            return Err(WorkflowError::Account("备份只能在服务器上用命令行进行".into()));
        }
        self.record(actor, Event::Backup, None, &format!("备份数据库到 {}", out.display()))?;
        self.store.backup_to(out)?;
        Ok(())
    }

    /// Records that `actor` did `event` (to `region`, if about one).
    pub fn record(&mut self, actor: &Actor, event: Event, region: Option<&str>, description: &str) -> Result<(), WorkflowError> {
        let e = entry(actor, event, region, description, self.now);
        self.store.audit(&e)?;
        Ok(())
    }

    /// The entries `actor` may read that match `filter`: every entry for the province and the
    /// command line, else those about the actor's region and the regions below it.
    pub fn audit_log(&self, actor: &Actor, filter: &AuditFilter) -> Result<Vec<AuditEntry>, WorkflowError> {
        let mut f = filter.clone();
        if actor.role != Role::Operator {
            let own = actor
                .region
                .as_deref()
                .and_then(|c| self.schemas.regions.get(c))
                .ok_or(WorkflowError::OutOfScope {
                    actor: actor.describe(self.schemas),
                    action: "查看",
                    what: "审计日志".into(),
                })?;
            self.allow(actor, Action::Audit, own)?;
            if own.parent.is_some() {
                let codes: Vec<String> = self.schemas.regions.subtree(&own.code).into_iter().map(|r| r.code.clone()).collect();
                f.regions = Some(match f.regions {
                    Some(asked) => asked.into_iter().filter(|c| codes.contains(c)).collect(),
                    None => codes,
                });
            }
        }
        Ok(self.store.audit_entries(&f)?)
    }

    /// Everything `verify` checks, as `actor` (the province or the command line: it reads the
    /// whole store): the database file, every upload's bytes, the region-month index, every
    /// stored fact against the entry that records it, and the chain itself, its head, its
    /// signature (when the store was opened with the key) and a head kept elsewhere (`expect`).
    pub fn verify(&self, actor: &Actor, expect: Option<&(i64, String)>) -> Result<Verification, WorkflowError> {
        if actor.role != Role::Operator {
            let own = actor.region.as_deref().and_then(|c| self.schemas.regions.get(c));
            if own.is_none_or(|r| r.parent.is_some()) {
                return Err(WorkflowError::OutOfScope {
                    actor: actor.name.clone().unwrap_or_default(),
                    action: "检查",
                    what: "整个数据库".into(),
                });
            }
        }
        let mut problems = self.store.check()?;
        let (chain, notes) = self.store.check_audit(expect)?;
        problems.extend(chain);
        let (entries, head) = self.store.audit_head()?;
        Ok(Verification {
            problems,
            notes,
            submissions: self.store.count()?,
            entries,
            head,
            file: self.store.file().to_path_buf(),
        })
    }
}

impl Workflow<'_> {
    /// `actor` copied (or sent) the 催报 reminder to `region` for `period`: recorded, for those
    /// who review it.
    pub fn remind(&mut self, actor: &Actor, region: &str, period: crate::period::Period) -> Result<(), WorkflowError> {
        let (code, text) = self.reminder_entry(actor, region, period)?;
        self.record(actor, Event::Reminder, Some(&code), &text)
    }

    /// Whom a 催报 goes to and what its entry says, once `actor` may send it.
    pub(crate) fn reminder_entry(&self, actor: &Actor, region: &str, period: crate::period::Period) -> Result<(String, String), WorkflowError> {
        let r = self.region(region)?;
        self.allow(actor, Action::Review, r)?;
        Ok((
            r.code.clone(),
            format!("向{}发出{}报表催报提醒", self.schemas.regions.display(r), period.label()),
        ))
    }
}
