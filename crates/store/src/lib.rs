//! The embedded store (SQLite, one file in the data directory): every upload ever handed in,
//! with its original bytes, findings and status; the baselines; which upload is effective.
//! Nothing is ever updated in place or deleted: a resubmission is a new row that supersedes.

pub mod accounts;
pub mod audit;
pub mod facts;
pub mod personal;
pub mod register;

// The core's modules, named as the store's code has always named them.
use yuebao_core::{finding, period, text, time, validate};

use crate::finding::Finding;
use crate::period::Period;
use crate::validate::Sheet;
use crate::validate::cross::Baseline;
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file inside the data directory.
pub const DB_FILE: &str = "yuebao.sqlite3";
/// Held while a process opens (and if need be creates or upgrades) the database.
const LOCK_FILE: &str = "yuebao.lock";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("无法创建或锁定 {dir}：{source}")]
    CreateDir { dir: PathBuf, source: std::io::Error },
    #[error("无法打开数据库 {file}：{source}")]
    Open { file: PathBuf, source: rusqlite::Error },
    #[error("数据库 {file} 的结构无法升级到本程序的版本：{source}")]
    Migrate { file: PathBuf, source: rusqlite_migration::Error },
    #[error("数据库 {file} 操作失败：{source}")]
    Sql { file: PathBuf, source: rusqlite::Error },
    #[error("数据库 {file} 中第 {id} 号报送记录已损坏：{what}")]
    Corrupt { file: PathBuf, id: i64, what: String },
    #[error("数据库 {file} 的审计日志用密钥签名，本次没有提供密钥，不能写入：请用 --audit-key-file（或环境变量 YUEBAO_AUDIT_KEY_FILE）指定密钥文件")]
    AuditKeyNeeded { file: PathBuf },
    #[error(
        "数据库 {file} 属于 {stored} 的安装，而本次运行设置的省份是 {wanted}：请用 --province {stored}（或环境变量 YUEBAO_PROVINCE）运行，或换一个数据目录"
    )]
    OtherProvince { file: PathBuf, stored: String, wanted: String },
    #[error(
        "数据库 {file} 中有地区 {region} 的报表或账号，它不属于本次运行设置的省份 {wanted} 的现行区划：请用 --province 设为这个数据目录所属的省份，或换一个数据目录"
    )]
    ForeignRegion { file: PathBuf, region: String, wanted: String },
    #[error("{file} 已存在：备份不覆盖已有的文件，请换一个文件名")]
    Exists { file: PathBuf },
}

/// The `region_months` row of every region-month, from `submissions` (a macro, to be part of
/// the migration's text).
macro_rules! region_months_all {
    () => {
        "SELECT m.region, m.period, m.n,
        (SELECT id FROM submissions s WHERE s.region = m.region AND s.period = m.period ORDER BY received_at DESC, id DESC LIMIT 1),
        (SELECT id FROM submissions s WHERE s.region = m.region AND s.period = m.period AND status = 'accepted' ORDER BY received_at DESC, id DESC LIMIT 1),
        (SELECT id FROM submissions s WHERE s.region = m.region AND s.period = m.period AND status = 'accepted' ORDER BY received_at, id LIMIT 1),
        (SELECT MAX(id) FROM submissions s WHERE s.region = m.region AND s.period = m.period AND status = 'accepted'),
        (SELECT id FROM submissions s WHERE s.region = m.region AND s.period = m.period AND basis IS NOT NULL ORDER BY received_at DESC, id DESC LIMIT 1)
    FROM (SELECT region, period, COUNT(*) AS n FROM submissions WHERE region IS NOT NULL AND period IS NOT NULL GROUP BY region, period) m"
    };
}

/// The schema, one step per release that changes it; applied in order, each atomically.
/// Never edit a step that has shipped: append a new one.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            "CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            bytes  BLOB NOT NULL,
            size   INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE submissions (
            id           INTEGER PRIMARY KEY,
            region       TEXT,
            period       TEXT,
            file_name    TEXT NOT NULL,
            sha256       TEXT NOT NULL REFERENCES blobs(sha256),
            submitted_by TEXT,
            received_at  TEXT NOT NULL,
            imported_at  TEXT NOT NULL,
            note         TEXT,
            status       TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'pending')),
            version      INTEGER NOT NULL,
            errors       INTEGER NOT NULL,
            warnings     INTEGER NOT NULL,
            findings     TEXT NOT NULL,
            sheet        TEXT
        ) STRICT;
        CREATE INDEX submissions_by_region ON submissions (region, period, received_at);
        CREATE INDEX submissions_by_period ON submissions (period, region);
        CREATE TABLE baselines (
            id         INTEGER PRIMARY KEY,
            region     TEXT NOT NULL,
            value      INTEGER NOT NULL,
            source     TEXT NOT NULL,
            set_at     TEXT NOT NULL,
            set_by     TEXT
        ) STRICT;
        CREATE INDEX baselines_by_region ON baselines (region, id);",
        ),
        // Review events (审核退回, 审核通过, 解锁), appended and never changed; and 代报: the
        // region an upload was entered for by someone above it.
        M::up(
            "CREATE TABLE reviews (
                id            INTEGER PRIMARY KEY,
                region        TEXT NOT NULL,
                period        TEXT NOT NULL,
                action        TEXT NOT NULL CHECK (action IN ('returned', 'approved', 'unlocked')),
                submission_id INTEGER REFERENCES submissions(id),
                by            TEXT,
                at            TEXT NOT NULL,
                reason        TEXT
            ) STRICT;
            CREATE INDEX reviews_by_region ON reviews (region, period, id);
            CREATE INDEX reviews_by_period ON reviews (period, region, id);
            ALTER TABLE submissions ADD COLUMN on_behalf_of TEXT;",
        ),
        // The portal: accounts (argon2id hashes only), sessions (only a digest of the token is
        // kept), failed logins for rate limiting; and an upload's 迟报原因.
        M::up(
            "CREATE TABLE users (
                id            INTEGER PRIMARY KEY,
                username      TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                role          TEXT NOT NULL CHECK (role IN ('reporter', 'reviewer', 'admin')),
                region        TEXT NOT NULL,
                disabled      INTEGER NOT NULL DEFAULT 0,
                created_at    TEXT NOT NULL
            ) STRICT;
            CREATE TABLE sessions (
                token_sha256 TEXT PRIMARY KEY,
                user_id      INTEGER NOT NULL REFERENCES users(id),
                created_at   TEXT NOT NULL,
                last_seen    TEXT NOT NULL,
                ended_at     TEXT
            ) STRICT;
            CREATE TABLE login_failures (
                id       INTEGER PRIMARY KEY,
                username TEXT NOT NULL,
                address  TEXT NOT NULL,
                at       TEXT NOT NULL
            ) STRICT;
            CREATE INDEX login_failures_by_user ON login_failures (username, at);
            CREATE INDEX login_failures_by_address ON login_failures (address, at);
            ALTER TABLE submissions ADD COLUMN late_reason TEXT;",
        ),
        // Separate duties (等保): security administrators and auditors; a password to change at
        // first login; when it was set; failed logins a later success has cleared (the lockout
        // counts failures in a row). The users table is rebuilt for its role CHECK, so open
        // sessions end (everyone logs in again). And the audit trail: entries chained by hash,
        // and the chain's head, so that entries cut off the end are seen.
        M::up(
            "DELETE FROM sessions;
            CREATE TABLE users_new (
                id              INTEGER PRIMARY KEY,
                username        TEXT NOT NULL UNIQUE,
                password_hash   TEXT NOT NULL,
                role            TEXT NOT NULL CHECK (role IN ('reporter', 'reviewer', 'admin', 'secadmin', 'auditor')),
                region          TEXT NOT NULL,
                disabled        INTEGER NOT NULL DEFAULT 0,
                created_at      TEXT NOT NULL,
                must_change     INTEGER NOT NULL DEFAULT 0,
                password_set_at TEXT
            ) STRICT;
            INSERT INTO users_new (id, username, password_hash, role, region, disabled, created_at, password_set_at)
                SELECT id, username, password_hash, role, region, disabled, created_at, created_at FROM users;
            DROP TABLE users;
            ALTER TABLE users_new RENAME TO users;
            CREATE TABLE audit_log (
                id          INTEGER PRIMARY KEY,
                at          TEXT NOT NULL,
                action      TEXT NOT NULL,
                actor       TEXT,
                role        TEXT,
                region      TEXT,
                address     TEXT,
                description TEXT NOT NULL,
                prev_hash   TEXT NOT NULL,
                hash        TEXT NOT NULL
            ) STRICT;
            CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
            ALTER TABLE login_failures ADD COLUMN cleared INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE log_chain (
                id        INTEGER PRIMARY KEY CHECK (id = 1),
                entries   INTEGER NOT NULL,
                last_id   INTEGER NOT NULL,
                last_hash TEXT NOT NULL
            ) STRICT;",
        ),
        // A city's 上报: the digest of the county versions its rollup was made from, to tell
        // when a county's sheet has changed since.
        M::up("ALTER TABLE submissions ADD COLUMN basis TEXT;"),
        // The sheets' figures in a table of their own: a month's standing reads every upload's
        // row, and rows that carried their sheet were several pages long each (3× slower to
        // read a month of 1,600 uploads). The figures move unchanged.
        M::up(
            "CREATE TABLE sheets (
                submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
                sheet         TEXT NOT NULL
            ) STRICT;
            INSERT INTO sheets (submission_id, sheet) SELECT id, sheet FROM submissions WHERE sheet IS NOT NULL;
            ALTER TABLE submissions DROP COLUMN sheet;",
        ),
        // Each region-month's telling uploads, kept up to date by every insert: a month's
        // standing reads these few per region instead of every version (a board after a
        // storm of 9,000 uploads read them all, 300–500 ms under load). Derived from
        // `submissions` alone; `verify` recomputes it.
        M::up(concat!(
            "CREATE TABLE region_months (
                region          TEXT NOT NULL,
                period          TEXT NOT NULL,
                versions        INTEGER NOT NULL,
                latest          INTEGER NOT NULL,
                effective       INTEGER,
                first_accepted  INTEGER,
                last_accepted   INTEGER,
                last_report     INTEGER,
                PRIMARY KEY (region, period)
            ) STRICT;
            CREATE INDEX submissions_by_sha256 ON submissions (sha256);
            INSERT INTO region_months ",
            region_months_all!(),
            ";"
        )),
        // Every stored fact bound into the audit chain: the entry recording an upload, a review
        // event, a baseline or an account change names it and carries a digest of its row; with
        // an audit key, entries and the chain's head are signed. Facts older than this step get
        // entries marked as backfilled when the store is opened after the upgrade.
        M::up(
            "ALTER TABLE audit_log ADD COLUMN subject TEXT;
            ALTER TABLE audit_log ADD COLUMN digest TEXT;
            ALTER TABLE audit_log ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE audit_log ADD COLUMN backfilled INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX audit_log_by_subject ON audit_log (subject, id);
            ALTER TABLE log_chain ADD COLUMN mac TEXT;",
        ),
        // Sheets that come by e-mail: how each upload arrived (命令行, 门户, 邮件) and from which
        // address; the key that makes a mailbox read twice store nothing new (the message's
        // Message-ID and the attachment's SHA-256); the address book that maps senders to
        // regions; and each message handled, with what became of it.
        M::up(
            "ALTER TABLE submissions ADD COLUMN channel TEXT;
            ALTER TABLE submissions ADD COLUMN sender TEXT;
            ALTER TABLE submissions ADD COLUMN mail_key TEXT;
            CREATE UNIQUE INDEX submissions_by_mail_key ON submissions (mail_key) WHERE mail_key IS NOT NULL;
            CREATE TABLE contacts (
                email   TEXT PRIMARY KEY,
                region  TEXT NOT NULL,
                name    TEXT,
                set_at  TEXT NOT NULL,
                set_by  TEXT
            ) STRICT;
            CREATE INDEX contacts_by_region ON contacts (region, email);
            CREATE TABLE mail_messages (
                key          TEXT PRIMARY KEY,
                message_id   TEXT,
                sender       TEXT,
                subject      TEXT,
                received_at  TEXT,
                processed_at TEXT NOT NULL,
                outcome      TEXT NOT NULL
            ) STRICT;",
        ),
        // Mail sent through a relay (`--smtp`): queued in the transaction that decided to send
        // it, marked sent when the relay has taken it; a failed attempt leaves it queued for the
        // next run. The key names what it answers, so the same reply is never queued twice.
        M::up(
            "CREATE TABLE outgoing_mail (
                key        TEXT PRIMARY KEY,
                recipient  TEXT NOT NULL,
                subject    TEXT NOT NULL,
                message    BLOB NOT NULL,
                queued_at  TEXT NOT NULL,
                sent_at    TEXT,
                attempts   INTEGER NOT NULL DEFAULT 0,
                last_error TEXT
            ) STRICT;
            CREATE INDEX outgoing_mail_unsent ON outgoing_mail (queued_at) WHERE sent_at IS NULL;",
        ),
        // A message being sent is claimed first, so that two runs (an `inbox --watch` and a
        // `remind`) never both send it. Not part of the fact: it says who is at work, not what.
        M::up("ALTER TABLE outgoing_mail ADD COLUMN claimed_at TEXT;"),
        // The province whose cycle the store holds, set by the first run that opens it: a data
        // directory belongs to one installation, and a run set for another province is refused.
        M::up(
            "CREATE TABLE installation (
                id       INTEGER PRIMARY KEY CHECK (id = 1),
                province TEXT NOT NULL,
                set_at   TEXT NOT NULL
            ) STRICT;",
        ),
        // The binding becomes a fact of the audit chain (written with an entry from now on; a
        // store bound before gets its entry when first opened by this version).
        M::up("SELECT 1;"),
        // The registers behind the sheets (附件2): each import of a county's register, each
        // person by a keyed digest of the 身份证号 (no number stored), and each person's dated
        // events (建卡, 变动, 脱贫销号, 返贫挂号) with the card's state from that day: what the
        // rules count in the clear, the personal fields sealed. An import is a fact of the audit
        // chain whose digest covers every event it wrote.
        M::up(
            "CREATE TABLE register_imports (
                id        INTEGER PRIMARY KEY,
                region    TEXT NOT NULL,
                at        TEXT NOT NULL,
                by        TEXT,
                file_name TEXT NOT NULL,
                sha256    TEXT NOT NULL,
                key_id    TEXT NOT NULL,
                persons   INTEGER NOT NULL,
                added     INTEGER NOT NULL,
                changed   INTEGER NOT NULL,
                removed   INTEGER NOT NULL
            ) STRICT;
            CREATE INDEX register_imports_by_region ON register_imports (region, id);
            CREATE TABLE register_persons (
                id     INTEGER PRIMARY KEY,
                region TEXT NOT NULL,
                person TEXT NOT NULL,
                UNIQUE (region, person)
            ) STRICT;
            CREATE INDEX register_persons_by_person ON register_persons (person);
            CREATE TABLE register_events (
                id        INTEGER PRIMARY KEY,
                person_id INTEGER NOT NULL REFERENCES register_persons (id),
                import_id INTEGER NOT NULL REFERENCES register_imports (id),
                day       TEXT NOT NULL,
                kind      TEXT NOT NULL,
                state     TEXT NOT NULL,
                sealed    BLOB NOT NULL
            ) STRICT;
            CREATE INDEX register_events_by_person ON register_events (person_id, day, id);
            CREATE INDEX register_events_by_import ON register_events (import_id, id);",
        ),
        // A county sheet of a month its register covers is compared with the register, cell by
        // cell: how many cells differ (NULL: no register to compare with), for the boards.
        M::up("ALTER TABLE submissions ADD COLUMN register_diffs INTEGER;"),
        // Who may see the register's personal information in full (a county's own reporter or
        // reviewer, or a city's or the province's reviewer for the counties under it, granted by
        // an administrator): NULL for no one, else who granted it and when.
        M::up("ALTER TABLE users ADD COLUMN personal_grant TEXT;"),
        // The register's clear state as a compact record (`card`) read by the layout of its
        // import (`layout`: the clear fields' keys and options) instead of JSON (`state`, kept
        // as written by the first imports, empty since); and each person's latest event with
        // what counting reads of it, kept by every import in a table ordered by region, so that
        // a month after the last import reads a county's persons in one sweep instead of
        // searching each person's events.
        M::up(
            "ALTER TABLE register_imports ADD COLUMN layout TEXT;
            ALTER TABLE register_events ADD COLUMN card BLOB;
            CREATE TABLE register_current (
                region    TEXT NOT NULL,
                person_id INTEGER NOT NULL REFERENCES register_persons (id),
                event_id  INTEGER NOT NULL REFERENCES register_events (id),
                day       TEXT NOT NULL,
                kind      TEXT NOT NULL,
                import_id INTEGER NOT NULL,
                card      BLOB,
                state     TEXT,
                PRIMARY KEY (region, person_id)
            ) STRICT, WITHOUT ROWID;
            INSERT INTO register_current (region, person_id, event_id, day, kind, import_id, card, state)
                SELECT p.region, p.id, e.id, e.day, e.kind, e.import_id, e.card, e.state FROM register_persons p
                JOIN register_events e ON e.id = (
                    SELECT x.id FROM register_events x WHERE x.person_id = p.id ORDER BY x.day DESC, x.id DESC LIMIT 1);",
        ),
    ])
}

/// The schema step that binds facts into the audit chain (see `facts`): opening a store that
/// was older than it writes the backfilled entries.
const FACTS_BOUND: usize = 8;
/// The schema step from which the installation's binding has its audit entry.
const INSTALLATION_BOUND: usize = 13;

/// Upload ?1 (just inserted) taken into its region-month's row: one more version, and the
/// telling uploads compared with it, so that a submit costs the same after thousands of versions.
const REGION_MONTH_ADD: &str = "INSERT INTO region_months (region, period, versions, latest, effective, first_accepted, last_accepted, last_report)
    SELECT region, period, 1, id,
        CASE WHEN status = 'accepted' THEN id END, CASE WHEN status = 'accepted' THEN id END,
        CASE WHEN status = 'accepted' THEN id END, CASE WHEN basis IS NOT NULL THEN id END
    FROM submissions WHERE id = ?1
    ON CONFLICT (region, period) DO UPDATE SET
        versions = versions + 1,
        latest = CASE WHEN (SELECT (n.received_at, n.id) > (o.received_at, o.id) FROM submissions n, submissions o WHERE n.id = ?1 AND o.id = latest) THEN ?1 ELSE latest END,
        effective = CASE WHEN excluded.effective IS NOT NULL AND (effective IS NULL OR (SELECT (n.received_at, n.id) > (o.received_at, o.id) FROM submissions n, submissions o WHERE n.id = ?1 AND o.id = effective)) THEN ?1 ELSE effective END,
        first_accepted = CASE WHEN excluded.first_accepted IS NOT NULL AND (first_accepted IS NULL OR (SELECT (n.received_at, n.id) < (o.received_at, o.id) FROM submissions n, submissions o WHERE n.id = ?1 AND o.id = first_accepted)) THEN ?1 ELSE first_accepted END,
        last_accepted = COALESCE(excluded.last_accepted, last_accepted),
        last_report = CASE WHEN excluded.last_report IS NOT NULL AND (last_report IS NULL OR (SELECT (n.received_at, n.id) > (o.received_at, o.id) FROM submissions n, submissions o WHERE n.id = ?1 AND o.id = last_report)) THEN ?1 ELSE last_report END";

/// What becomes of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubStatus {
    /// No errors, and no warnings left unexplained: counts.
    Accepted,
    /// Has errors: the county must send a corrected file.
    Rejected,
    /// Only warnings, and no 说明 given: held until it is resubmitted with `--note` (待说明).
    Pending,
}

impl SubStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubStatus::Accepted => "accepted",
            SubStatus::Rejected => "rejected",
            SubStatus::Pending => "pending",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SubStatus::Accepted => "已接收",
            SubStatus::Rejected => "退回",
            SubStatus::Pending => "待说明",
        }
    }

    fn parse(s: &str) -> Option<SubStatus> {
        [SubStatus::Accepted, SubStatus::Rejected, SubStatus::Pending]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// How an upload reached the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// `yuebao submit`, and everything the command line hands in.
    Cli,
    /// An upload in the portal.
    Portal,
    /// An attachment read by `yuebao inbox`.
    Mail,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Cli => "cli",
            Channel::Portal => "portal",
            Channel::Mail => "mail",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Cli => "命令行",
            Channel::Portal => "门户",
            Channel::Mail => "邮件",
        }
    }

    fn parse(s: &str) -> Option<Channel> {
        [Channel::Cli, Channel::Portal, Channel::Mail].into_iter().find(|c| c.as_str() == s)
    }
}

/// An address in the address book: whose sheets come from it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Contact {
    /// Lower case.
    pub email: String,
    pub region: String,
    pub name: Option<String>,
    pub set_at: DateTime<FixedOffset>,
    pub set_by: Option<String>,
}

/// A message `inbox` has handled, and what became of it (a sentence).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MailMessage {
    pub key: String,
    pub message_id: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub received_at: Option<DateTime<FixedOffset>>,
    pub processed_at: DateTime<FixedOffset>,
    pub outcome: String,
}

/// A message to send through the relay: a reply or a reminder, as the `.eml` it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// What it answers (`reply:<message key>`, `remind:<period>/<region>/<address>/<date>`).
    pub key: String,
    pub recipient: String,
    pub subject: String,
    pub message: Vec<u8>,
    pub queued_at: DateTime<FixedOffset>,
    pub sent_at: Option<DateTime<FixedOffset>>,
    /// Attempts that failed, and the last one's reason.
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// One upload as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submission {
    pub id: i64,
    pub region: Option<String>,
    pub period: Option<Period>,
    pub file_name: String,
    pub sha256: String,
    pub submitted_by: Option<String>,
    /// When it reached the bureau (may be earlier than the import, for e-mailed files).
    pub received_at: DateTime<FixedOffset>,
    pub imported_at: DateTime<FixedOffset>,
    pub note: Option<String>,
    pub status: SubStatus,
    /// 1 for the region and period's first upload, then 2, 3 …
    pub version: i64,
    pub errors: i64,
    pub warnings: i64,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub sheet: Option<Sheet>,
    /// 代报: the region this upload was entered for by someone above it (a city entering a
    /// county's paper sheet); None when the region handed it in itself.
    pub on_behalf_of: Option<String>,
    /// Why it came after the due date (迟报原因), when the sender said.
    pub late_reason: Option<String>,
    /// For a city's rollup reported up (上报): the digest of the county versions it was made
    /// from.
    #[serde(skip)]
    pub basis: Option<String>,
    /// How it arrived; None for uploads stored before the channel was kept.
    pub channel: Option<Channel>,
    /// The address an e-mailed sheet came from.
    pub sender: Option<String>,
    /// How many cells differ from the county's register of the month (None: no register
    /// covers it).
    pub register_diffs: Option<i64>,
}

/// What `submit` hands to the store.
#[derive(Debug, Clone)]
pub struct NewSubmission<'a> {
    pub region: Option<&'a str>,
    pub period: Option<Period>,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub sha256: &'a str,
    pub submitted_by: Option<&'a str>,
    pub received_at: DateTime<FixedOffset>,
    pub imported_at: DateTime<FixedOffset>,
    pub note: Option<&'a str>,
    pub status: SubStatus,
    pub findings: &'a [Finding],
    /// The counts, including findings counted but not listed.
    pub summary: crate::finding::Summary,
    pub sheet: Option<&'a Sheet>,
    pub on_behalf_of: Option<&'a str>,
    pub late_reason: Option<&'a str>,
    pub basis: Option<&'a str>,
    pub channel: Channel,
    pub sender: Option<&'a str>,
    /// For an e-mailed sheet: its Message-ID (or a digest of its headers) and the attachment's
    /// SHA-256, which a second reading of the mailbox finds here.
    pub mail_key: Option<&'a str>,
    /// Cells that differ from the county's register (None: no register covers the month).
    pub register_diffs: Option<i64>,
}

/// A reviewer's decision on a region's sheet for a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewAction {
    /// 审核退回: the sheet stops counting until a newer version is accepted.
    Returned,
    /// 审核通过: the month is locked against further uploads.
    Approved,
    /// 解锁: an approval withdrawn, with a reason.
    Unlocked,
}

impl ReviewAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAction::Returned => "returned",
            ReviewAction::Approved => "approved",
            ReviewAction::Unlocked => "unlocked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewAction::Returned => "审核退回",
            ReviewAction::Approved => "审核通过",
            ReviewAction::Unlocked => "解锁",
        }
    }

    fn parse(s: &str) -> Option<ReviewAction> {
        [ReviewAction::Returned, ReviewAction::Approved, ReviewAction::Unlocked]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A review event to append.
#[derive(Debug, Clone)]
pub struct NewReview<'a> {
    pub region: &'a str,
    pub period: Period,
    pub action: ReviewAction,
    pub submission_id: Option<i64>,
    pub by: Option<&'a str>,
    pub at: DateTime<FixedOffset>,
    pub reason: Option<&'a str>,
}

/// One review event as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Review {
    pub id: i64,
    pub region: String,
    pub period: Period,
    pub action: ReviewAction,
    /// The upload the decision was about (the effective one at the time).
    pub submission_id: Option<i64>,
    pub by: Option<String>,
    pub at: DateTime<FixedOffset>,
    pub reason: Option<String>,
}

pub struct Store {
    conn: Connection,
    file: PathBuf,
    /// The audit key, when this installation signs its audit chain.
    key: Option<audit::AuditKey>,
}

/// A month read for its standing (see [`Store::period_brief`]).
#[derive(Debug, Clone, Default)]
pub struct MonthBrief {
    pub subs: Vec<Submission>,
    /// How many versions each region has handed in.
    pub versions: HashMap<String, usize>,
}

const COLUMNS: &str = "id, region, period, file_name, sha256, submitted_by, received_at, imported_at, note, status, version, errors, warnings, findings, (SELECT x.sheet FROM sheets x WHERE x.submission_id = submissions.id), on_behalf_of, late_reason, basis, channel, sender, register_diffs";
/// [`COLUMNS`] without the two that grow: the findings (read as none) and the figures. What a
/// month's standing needs of every version, at a fraction of the reading.
const BRIEF_COLUMNS: &str = "id, region, period, file_name, sha256, submitted_by, received_at, imported_at, note, status, version, errors, warnings, '[]', NULL, on_behalf_of, late_reason, basis, channel, sender, register_diffs";
const REVIEW_COLUMNS: &str = "id, region, period, action, submission_id, by, at, reason";

impl Store {
    /// Opens the store in `dir`, creating the directory and database on first use and bringing
    /// an older database up to the current schema.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_keyed(dir, None)
    }

    /// As [`Store::open`], with the audit key that signs the entries this store writes. `dir`
    /// may also name a database file itself (a copy `yuebao backup` wrote).
    pub fn open_keyed(dir: &Path, key: Option<audit::AuditKey>) -> Result<Store, StoreError> {
        let (dir, file) = match dir.is_file() {
            true => (dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")), dir.to_path_buf()),
            false => (dir, dir.join(DB_FILE)),
        };
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        // Two first submits at once would both try to create the tables, and switching to WAL
        // needs the database to itself: opening is serialised by a lock file beside it. It is
        // held only while opening; transactions rely on SQLite's own locking.
        let lock_path = dir.join(LOCK_FILE);
        let lock_err = |source| StoreError::CreateDir {
            dir: lock_path.clone(),
            source,
        };
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(lock_err)?;
        lock.lock().map_err(lock_err)?;
        let open_err = |source| StoreError::Open { file: file.clone(), source };
        let mut conn = Connection::open(&file).map_err(open_err)?;
        // WAL: readers never block the one writer, and a killed writer leaves the last
        // committed state. Concurrent submits queue on the write lock instead of failing.
        conn.busy_timeout(Duration::from_secs(60)).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
        let migrations = migrations();
        let before = migrations
            .current_version(&conn)
            .map_err(|source| StoreError::Migrate { file: file.clone(), source })?;
        migrations
            .to_latest(&mut conn)
            .map_err(|source| StoreError::Migrate { file: file.clone(), source })?;
        let mut store = Store { conn, file, key };
        // An index a first load of registers left to build at its end, if it stopped before.
        store.rebuild_register_indexes()?;
        // Only at the upgrade itself: a fact without an entry found later was slipped in.
        if let rusqlite_migration::SchemaVersion::Inside(v) = before
            && v.get() < INSTALLATION_BOUND
        {
            // Every fact when the chain began to bind them; since then, only the binding.
            let only = (v.get() >= FACTS_BOUND).then_some("installation");
            let tx = store.begin()?;
            facts::backfill(&tx.tx, &tx.file, tx.key.as_ref(), crate::time::now(), only)?;
            tx.commit()?;
        }
        drop(lock);
        Ok(store)
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Binds the store to the installation's `province` the first time, or checks that it is
    /// the one it was bound to. `holds` tells whether a region code belongs to `province`: a
    /// store from before the binding is bound only if every region it holds does.
    pub fn bind_province(&mut self, province: &str, name: &str, holds: impl Fn(&str) -> bool) -> Result<(), StoreError> {
        let sql = self.sql();
        let stored: Option<String> = self
            .conn
            .query_row("SELECT province FROM installation WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(&sql)?;
        let file = self.file.clone();
        let other = |stored: String| StoreError::OtherProvince {
            file: file.clone(),
            stored,
            wanted: province.to_string(),
        };
        if let Some(stored) = stored {
            return if stored == province { Ok(()) } else { Err(other(stored)) };
        }
        let foreign: Option<String> = {
            let mut q = self
                .conn
                .prepare("SELECT DISTINCT region FROM submissions WHERE region IS NOT NULL UNION SELECT DISTINCT region FROM users WHERE region IS NOT NULL AND region <> ''")
                .map_err(&sql)?;
            let regions = q.query_map([], |r| r.get::<_, String>(0)).map_err(&sql)?;
            let mut found = None;
            for r in regions {
                let r = r.map_err(&sql)?;
                if !holds(&r) {
                    found = Some(r);
                    break;
                }
            }
            found
        };
        if let Some(r) = foreign {
            return Err(StoreError::ForeignRegion {
                file: self.file.clone(),
                region: r,
                wanted: province.to_string(),
            });
        }
        // Two first runs at once: the one that comes second keeps the first one's binding. The
        // binding is a fact of the audit chain, written with its entry.
        let now = time::now();
        drop(sql);
        let tx = self.begin()?;
        let sql = tx.sql();
        let set = tx
            .tx
            .execute(
                "INSERT OR IGNORE INTO installation (id, province, set_at) VALUES (1, ?1, ?2)",
                params![province, now.to_rfc3339()],
            )
            .map_err(&sql)?;
        if set == 1 {
            let description = format!("本数据目录归属{name}（{province}）：第一次打开时记下，此后只供这个安装使用");
            let entry = audit::NewAudit {
                at: now,
                action: "install",
                actor: None,
                role: None,
                region: Some(province),
                address: None,
                description: &description,
            };
            let fact = facts::fact(&tx.tx, &tx.file, &facts::Subject::Installation)?;
            audit::append(&tx.tx, &tx.file, &entry, Some(&fact), tx.key.as_ref())?;
        }
        let stored: String = tx
            .tx
            .query_row("SELECT province FROM installation WHERE id = 1", [], |r| r.get(0))
            .map_err(&sql)?;
        drop(sql);
        tx.commit()?;
        if stored == province { Ok(()) } else { Err(other(stored)) }
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sql {
            file: self.file.clone(),
            source,
        }
    }

    /// Starts the one write transaction of a submit. IMMEDIATE takes the write lock at once, so
    /// what the cross-period checks read cannot change before the insert.
    pub fn begin(&mut self) -> Result<Txn<'_>, StoreError> {
        let file = self.file.clone();
        // Writers of this process take turns here, blocked in the kernel, rather than polling
        // SQLite's lock with its sleeping busy handler: under the portal's concurrent uploads
        // that polling let some wait seconds while others went first. Other processes (the
        // command line beside the portal) still meet at SQLite's lock.
        let turn = WRITERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Sql { file: file.clone(), source })?;
        Ok(Txn {
            tx,
            file,
            key: self.key.clone(),
            _turn: turn,
        })
    }

    /// Every upload for a region and period, oldest first.
    pub fn history(&self, region: &str, period: Period) -> Result<Vec<Submission>, StoreError> {
        query_submissions(
            &self.conn,
            &self.file,
            &format!("SELECT {COLUMNS} FROM submissions WHERE region = ?1 AND period = ?2 ORDER BY received_at, id"),
            params![region, period.to_string()],
        )
    }

    /// A month as its standing needs it: of each region only the uploads that tell its standing
    /// (the latest, the first and the latest accepted, the newest accepted by id, the latest
    /// 上报, and those a review event names), oldest first, without figures (`sheet` is None)
    /// and with findings only on each region's latest upload; and how many versions each region
    /// has. What grows with every version is left out: a board after a storm of 9,000 uploads
    /// read them all (300–500 ms under load). Whoever needs more of one upload reads it by id.
    pub fn period_brief(&self, period: Period) -> Result<MonthBrief, StoreError> {
        let p = period.to_string();
        let subs = query_submissions(
            &self.conn,
            &self.file,
            &format!(
                "SELECT {BRIEF_COLUMNS} FROM submissions WHERE id IN (
                    SELECT latest FROM region_months WHERE period = ?1
                    UNION SELECT effective FROM region_months WHERE period = ?1
                    UNION SELECT first_accepted FROM region_months WHERE period = ?1
                    UNION SELECT last_accepted FROM region_months WHERE period = ?1
                    UNION SELECT last_report FROM region_months WHERE period = ?1
                    UNION SELECT submission_id FROM reviews WHERE period = ?1
                ) AND period = ?1 ORDER BY received_at, id"
            ),
            params![p],
        )?;
        let mut subs = subs;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT region, versions, latest FROM region_months WHERE period = ?1")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([&p], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))
            .map_err(self.sql())?;
        let mut versions = HashMap::new();
        let mut latest = Vec::new();
        for row in rows {
            let (region, n, id) = row.map_err(self.sql())?;
            versions.insert(region, n as usize);
            latest.push(id);
        }
        let mut findings = self.conn.prepare_cached("SELECT findings FROM submissions WHERE id = ?1").map_err(self.sql())?;
        for s in subs.iter_mut().filter(|s| latest.contains(&s.id)) {
            let text: String = findings.query_row([s.id], |r| r.get(0)).map_err(self.sql())?;
            s.findings = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                file: self.file.clone(),
                id: s.id,
                what: format!("审核结果无法读取（{e}）"),
            })?;
        }
        Ok(MonthBrief { subs, versions })
    }

    /// The figures of upload `id`, if it had a readable sheet.
    pub fn sheet(&self, id: i64) -> Result<Option<Sheet>, StoreError> {
        sheet_of(&self.conn, &self.file, id)
    }

    /// Every upload of a region, any period, oldest first.
    pub fn region(&self, region: &str) -> Result<Vec<Submission>, StoreError> {
        query_submissions(
            &self.conn,
            &self.file,
            &format!("SELECT {COLUMNS} FROM submissions WHERE region = ?1 ORDER BY period, received_at, id"),
            params![region],
        )
    }

    /// Every upload in the store, in the order they were stored.
    pub fn all(&self) -> Result<Vec<Submission>, StoreError> {
        query_submissions(&self.conn, &self.file, &format!("SELECT {COLUMNS} FROM submissions ORDER BY id"), [])
    }

    /// One upload by its id.
    pub fn submission(&self, id: i64) -> Result<Option<Submission>, StoreError> {
        let mut v = query_submissions(&self.conn, &self.file, &format!("SELECT {COLUMNS} FROM submissions WHERE id = ?1"), params![id])?;
        Ok(v.pop())
    }

    /// Every review event of a region and period, oldest first.
    pub fn reviews(&self, region: &str, period: Period) -> Result<Vec<Review>, StoreError> {
        query_reviews(
            &self.conn,
            &self.file,
            &format!("SELECT {REVIEW_COLUMNS} FROM reviews WHERE region = ?1 AND period = ?2 ORDER BY id"),
            params![region, period.to_string()],
        )
    }

    /// Every review event of a period, oldest first.
    pub fn period_reviews(&self, period: Period) -> Result<Vec<Review>, StoreError> {
        query_reviews(
            &self.conn,
            &self.file,
            &format!("SELECT {REVIEW_COLUMNS} FROM reviews WHERE period = ?1 ORDER BY id"),
            params![period.to_string()],
        )
    }

    /// The original bytes of an upload.
    pub fn bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha256], |r| r.get(0))
            .optional()
            .map_err(self.sql())
    }

    pub fn baseline(&self, region: &str) -> Result<Option<Baseline>, StoreError> {
        baseline(&self.conn, region).map_err(self.sql())
    }

    /// Sets baselines from a file (`yuebao baseline import`), all or none.
    /// How many uploads the store holds.
    pub fn count(&self) -> Result<i64, StoreError> {
        self.conn.query_row("SELECT COUNT(*) FROM submissions", [], |r| r.get(0)).map_err(self.sql())
    }

    /// Checks the database file itself and that every upload's bytes are there and match their
    /// digest. Returns what is wrong; empty when all is well.
    pub fn check(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        let ok: String = self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(self.sql())?;
        if ok != "ok" {
            problems.push(format!("SQLite 完整性检查：{ok}"));
        }
        let mut stmt = self
            .conn
            .prepare("SELECT s.id, s.sha256, b.bytes FROM submissions s LEFT JOIN blobs b ON b.sha256 = s.sha256")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<Vec<u8>>>(2)?)))
            .map_err(self.sql())?;
        for row in rows {
            let (id, sha, bytes) = row.map_err(self.sql())?;
            match bytes {
                None => problems.push(format!("第 {id} 号报送记录的原始文件缺失")),
                Some(b) if crate::text::sha256_hex(&b) != sha => problems.push(format!("第 {id} 号报送记录的原始文件与 SHA-256 不符")),
                Some(_) => {}
            }
        }
        // Bytes no upload refers to: a submit that stopped half-way outside a transaction.
        let orphans: Vec<String> = self
            .conn
            .prepare("SELECT sha256 FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM submissions)")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(self.sql())?;
        for sha in orphans {
            problems.push(format!("原始文件 {sha} 没有对应的报送记录（提交未完成）"));
        }
        problems.extend(facts::check(&self.conn, &self.file)?);
        // The region-months index, recomputed from the submissions: rows that differ either way.
        let differ: Vec<(String, String)> = self
            .conn
            .prepare(concat!(
                "SELECT region, period FROM (SELECT * FROM region_months EXCEPT ",
                region_months_all!(),
                ") UNION SELECT region, period FROM (",
                region_months_all!(),
                " EXCEPT SELECT * FROM region_months)"
            ))
            .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(self.sql())?;
        for (region, period) in differ {
            problems.push(format!("{region} {period} 的报送索引（region_months）与报送记录不一致"));
        }
        Ok(problems)
    }
}

/// The write transaction of one submit.
pub struct Txn<'a> {
    tx: rusqlite::Transaction<'a>,
    file: PathBuf,
    key: Option<audit::AuditKey>,
    /// This process's turn to write; released after the transaction ends (fields drop in order).
    _turn: std::sync::MutexGuard<'static, ()>,
}

static WRITERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Txn<'_> {
    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sql {
            file: self.file.clone(),
            source,
        }
    }

    pub fn baseline(&self, region: &str) -> Result<Option<Baseline>, StoreError> {
        baseline(&self.tx, region).map_err(self.sql())
    }

    /// When the region and period's first accepted upload was received, if any.
    pub fn first_accepted(&self, region: &str, period: Period) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
        let t: Option<String> = self
            .tx
            .query_row(
                "SELECT received_at FROM submissions WHERE id = (SELECT first_accepted FROM region_months WHERE region = ?1 AND period = ?2)",
                params![region, period.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sql())?;
        Ok(t.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()))
    }

    /// The version and arrival time of a 待说明 upload of this region and period with exactly
    /// these bytes: a resubmission that only adds the 说明 explains that upload.
    pub fn pending_with_bytes(&self, region: &str, period: Period, sha256: &str) -> Result<Option<(i64, DateTime<FixedOffset>)>, StoreError> {
        let row: Option<(i64, String)> = self
            .tx
            .query_row(
                "SELECT version, received_at FROM submissions WHERE region = ?1 AND period = ?2 AND sha256 = ?3 AND status = 'pending' ORDER BY received_at LIMIT 1",
                params![region, period.to_string(), sha256],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.sql())?;
        Ok(row.and_then(|(v, t)| DateTime::parse_from_rfc3339(&t).ok().map(|t| (v, t))))
    }

    /// A region-month's telling uploads (see [`Store::period_brief`]), oldest first, without
    /// findings and figures: enough to tell which upload counts and whether a return holds.
    pub fn region_month_brief(&self, region: &str, period: Period) -> Result<Vec<Submission>, StoreError> {
        query_submissions(
            &self.tx,
            &self.file,
            &format!(
                "SELECT {BRIEF_COLUMNS} FROM submissions WHERE id IN (
                    SELECT latest FROM region_months WHERE region = ?1 AND period = ?2
                    UNION SELECT effective FROM region_months WHERE region = ?1 AND period = ?2
                    UNION SELECT first_accepted FROM region_months WHERE region = ?1 AND period = ?2
                    UNION SELECT last_accepted FROM region_months WHERE region = ?1 AND period = ?2
                    UNION SELECT last_report FROM region_months WHERE region = ?1 AND period = ?2
                    UNION SELECT submission_id FROM reviews WHERE region = ?1 AND period = ?2
                ) ORDER BY received_at, id"
            ),
            params![region, period.to_string()],
        )
    }

    /// The figures of upload `id`, as this transaction sees them.
    pub fn sheet(&self, id: i64) -> Result<Option<Sheet>, StoreError> {
        sheet_of(&self.tx, &self.file, id)
    }

    /// Every upload of a region and period, oldest first, as this transaction sees them.
    pub fn history(&self, region: &str, period: Period) -> Result<Vec<Submission>, StoreError> {
        query_submissions(
            &self.tx,
            &self.file,
            &format!("SELECT {COLUMNS} FROM submissions WHERE region = ?1 AND period = ?2 ORDER BY received_at, id"),
            params![region, period.to_string()],
        )
    }

    /// Every review event of a region and period, oldest first, as this transaction sees them.
    pub fn reviews(&self, region: &str, period: Period) -> Result<Vec<Review>, StoreError> {
        query_reviews(
            &self.tx,
            &self.file,
            &format!("SELECT {REVIEW_COLUMNS} FROM reviews WHERE region = ?1 AND period = ?2 ORDER BY id"),
            params![region, period.to_string()],
        )
    }

    /// Appends a review event; returns its id.
    pub fn add_review(&self, r: &NewReview<'_>) -> Result<i64, StoreError> {
        self.tx
            .execute(
                "INSERT INTO reviews (region, period, action, submission_id, by, at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![r.region, r.period.to_string(), r.action.as_str(), r.submission_id, r.by, stamp(r.at), r.reason],
            )
            .map_err(self.sql())?;
        Ok(self.tx.last_insert_rowid())
    }

    /// The version number the next upload of a region and period gets.
    pub fn next_version(&self, region: Option<&str>, period: Option<Period>) -> Result<i64, StoreError> {
        if let (Some(r), Some(p)) = (region, period) {
            let n: Option<i64> = self
                .tx
                .query_row(
                    "SELECT versions FROM region_months WHERE region = ?1 AND period = ?2",
                    params![r, p.to_string()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(self.sql())?;
            return Ok(n.unwrap_or(0) + 1);
        }
        self.tx
            .query_row(
                "SELECT COUNT(*) + 1 FROM submissions WHERE region IS ?1 AND period IS ?2",
                params![region, period.map(|p| p.to_string())],
                |r| r.get(0),
            )
            .map_err(self.sql())
    }

    /// Stores one upload; returns its id and version.
    pub fn insert(&self, s: &NewSubmission<'_>) -> Result<(i64, i64), StoreError> {
        let sql = self.sql();
        self.tx
            .execute(
                "INSERT OR IGNORE INTO blobs (sha256, bytes, size) VALUES (?1, ?2, ?3)",
                params![s.sha256, s.bytes, s.bytes.len() as i64],
            )
            .map_err(&sql)?;
        stall_for_tests();
        let version = self.next_version(s.region, s.period)?;
        let findings = serde_json::to_string(s.findings).expect("findings serialise");
        let sheet = s.sheet.map(|x| serde_json::to_string(x).expect("sheet serialises"));
        let (errors, warnings) = (s.summary.errors as i64, s.summary.warnings as i64);
        self.tx
            .execute(
                "INSERT INTO submissions (region, period, file_name, sha256, submitted_by, received_at, imported_at, note, status, version, errors, warnings, findings, on_behalf_of, late_reason, basis, channel, sender, mail_key, register_diffs)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                params![
                    s.region,
                    s.period.map(|p| p.to_string()),
                    s.file_name,
                    s.sha256,
                    s.submitted_by,
                    stamp(s.received_at),
                    stamp(s.imported_at),
                    s.note,
                    s.status.as_str(),
                    version,
                    errors,
                    warnings,
                    findings,
                    s.on_behalf_of,
                    s.late_reason,
                    s.basis,
                    s.channel.as_str(),
                    s.sender,
                    s.mail_key,
                    s.register_diffs
                ],
            )
            .map_err(&sql)?;
        let id = self.tx.last_insert_rowid();
        if let Some(sheet) = sheet {
            self.tx
                .execute("INSERT INTO sheets (submission_id, sheet) VALUES (?1, ?2)", params![id, sheet])
                .map_err(&sql)?;
        }
        if s.region.is_some() && s.period.is_some() {
            self.tx.execute(REGION_MONTH_ADD, [id]).map_err(&sql)?;
        }
        Ok((id, version))
    }

    /// Puts an address in the address book (or changes whose it is).
    pub fn set_contact(&self, email: &str, region: &str, name: Option<&str>, at: DateTime<FixedOffset>, by: Option<&str>) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO contacts (email, region, name, set_at, set_by) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (email) DO UPDATE SET region = excluded.region, name = excluded.name, set_at = excluded.set_at, set_by = excluded.set_by",
                params![email, region, name, stamp(at), by],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Records a message `inbox` has handled.
    pub fn record_mail(&self, m: &MailMessage) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO mail_messages (key, message_id, sender, subject, received_at, processed_at, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    m.key,
                    m.message_id,
                    m.sender,
                    m.subject,
                    m.received_at.map(stamp),
                    stamp(m.processed_at),
                    m.outcome
                ],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Queues a message for the relay; false when one with its key is already queued or sent.
    pub fn queue_mail(&self, m: &Outgoing) -> Result<bool, StoreError> {
        let n = self
            .tx
            .execute(
                "INSERT OR IGNORE INTO outgoing_mail (key, recipient, subject, message, queued_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![m.key, m.recipient, m.subject, m.message, stamp(m.queued_at)],
            )
            .map_err(self.sql())?;
        Ok(n == 1)
    }

    /// Marks a queued message as taken by the relay.
    pub fn mark_sent(&self, key: &str, at: DateTime<FixedOffset>) -> Result<(), StoreError> {
        self.tx
            .execute(
                "UPDATE outgoing_mail SET sent_at = ?2 WHERE key = ?1 AND sent_at IS NULL",
                params![key, stamp(at)],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Records a region's baseline; returns its id.
    pub fn set_baseline(&self, region: &str, value: i64, source: &str, at: DateTime<FixedOffset>, by: Option<&str>) -> Result<i64, StoreError> {
        self.tx
            .execute(
                "INSERT INTO baselines (region, value, source, set_at, set_by) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![region, value, source, stamp(at), by],
            )
            .map_err(self.sql())?;
        Ok(self.tx.last_insert_rowid())
    }

    pub fn commit(self) -> Result<(), StoreError> {
        let file = self.file.clone();
        self.tx.commit().map_err(|source| StoreError::Sql { file, source })
    }
}

/// For the kill test only, in builds with the `test-hooks` feature: `YUEBAO_TEST_STALL_MS` holds
/// a submit inside its transaction, after the bytes are written and before the row that refers
/// to them, and the file named by `YUEBAO_TEST_STALL_SIGNAL` is written first, so that the test
/// kills the process at the worst moment on purpose and knows it got there.
#[cfg(feature = "test-hooks")]
fn stall_for_tests() {
    if let Some(ms) = std::env::var("YUEBAO_TEST_STALL_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        if let Ok(signal) = std::env::var("YUEBAO_TEST_STALL_SIGNAL") {
            let _ = std::fs::write(signal, b"inside the transaction");
        }
        std::thread::sleep(Duration::from_millis(ms));
    }
}

#[cfg(not(feature = "test-hooks"))]
fn stall_for_tests() {}

/// How times are stored: RFC 3339 to the second, always in Beijing time (+08:00), so the text
/// sorts in time order and SQL can order by it.
fn stamp(t: DateTime<FixedOffset>) -> String {
    crate::time::stamp(t)
}

fn sheet_of(conn: &Connection, file: &Path, id: i64) -> Result<Option<Sheet>, StoreError> {
    let text: Option<String> = conn
        .query_row("SELECT sheet FROM sheets WHERE submission_id = ?1", [id], |r| r.get(0))
        .optional()
        .map_err(|source| StoreError::Sql {
            file: file.to_path_buf(),
            source,
        })?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
            file: file.to_path_buf(),
            id,
            what: format!("报表数据无法读取（{e}）"),
        })
    })
    .transpose()
}

fn baseline(conn: &Connection, region: &str) -> rusqlite::Result<Option<Baseline>> {
    conn.query_row(
        "SELECT value, source FROM baselines WHERE region = ?1 ORDER BY id DESC LIMIT 1",
        [region],
        |r| {
            Ok(Baseline {
                value: r.get(0)?,
                source: r.get(1)?,
            })
        },
    )
    .optional()
}

fn query_submissions(conn: &Connection, file: &Path, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Submission>, StoreError> {
    let err = |source| StoreError::Sql {
        file: file.to_path_buf(),
        source,
    };
    let mut stmt = conn.prepare(sql).map_err(err)?;
    let raw = stmt
        .query_map(args, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                (r.get::<_, String>(6)?, r.get::<_, String>(7)?),
                r.get::<_, Option<String>>(8)?,
                r.get::<_, String>(9)?,
                (r.get::<_, i64>(10)?, r.get::<_, i64>(11)?, r.get::<_, i64>(12)?),
                r.get::<_, String>(13)?,
                (
                    r.get::<_, Option<String>>(14)?,
                    r.get::<_, Option<String>>(15)?,
                    r.get::<_, Option<String>>(16)?,
                    r.get::<_, Option<String>>(17)?,
                ),
                (r.get::<_, Option<String>>(18)?, r.get::<_, Option<String>>(19)?, r.get::<_, Option<i64>>(20)?),
            ))
        })
        .map_err(err)?;
    let mut out = Vec::new();
    for row in raw {
        let (
            id,
            region,
            period,
            file_name,
            sha256,
            submitted_by,
            (received, imported),
            note,
            status,
            (version, errors, warnings),
            findings,
            (sheet, on_behalf_of, late_reason, basis),
            (channel, sender, register_diffs),
        ) = row.map_err(err)?;
        let corrupt = |what: String| StoreError::Corrupt {
            file: file.to_path_buf(),
            id,
            what,
        };
        let time = |s: &str| DateTime::parse_from_rfc3339(s).map_err(|e| corrupt(format!("时间“{s}”无法识别（{e}）")));
        out.push(Submission {
            id,
            region,
            period: period.map(|p| p.parse::<Period>().map_err(corrupt)).transpose()?,
            file_name,
            sha256,
            submitted_by,
            received_at: time(&received)?,
            imported_at: time(&imported)?,
            note,
            status: SubStatus::parse(&status).ok_or_else(|| corrupt(format!("状态“{status}”无法识别")))?,
            version,
            errors,
            warnings,
            findings: serde_json::from_str(&findings).map_err(|e| corrupt(format!("审核结果无法读取（{e}）")))?,
            sheet: sheet
                .map(|s| serde_json::from_str(&s).map_err(|e| corrupt(format!("报表数据无法读取（{e}）"))))
                .transpose()?,
            on_behalf_of,
            late_reason,
            basis,
            channel: channel
                .map(|c| Channel::parse(&c).ok_or_else(|| corrupt(format!("报送渠道“{c}”无法识别"))))
                .transpose()?,
            sender,
            register_diffs,
        });
    }
    Ok(out)
}

fn query_reviews(conn: &Connection, file: &Path, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Review>, StoreError> {
    let err = |source| StoreError::Sql {
        file: file.to_path_buf(),
        source,
    };
    let mut stmt = conn.prepare(sql).map_err(err)?;
    let raw = stmt
        .query_map(args, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })
        .map_err(err)?;
    let mut out = Vec::new();
    for row in raw {
        let (id, region, period, action, submission_id, by, at, reason) = row.map_err(err)?;
        let corrupt = |what: String| StoreError::Corrupt {
            file: file.to_path_buf(),
            id,
            what: format!("审核记录：{what}"),
        };
        out.push(Review {
            id,
            region,
            period: period.parse::<Period>().map_err(corrupt)?,
            action: ReviewAction::parse(&action).ok_or_else(|| corrupt(format!("动作“{action}”无法识别")))?,
            submission_id,
            by,
            at: DateTime::parse_from_rfc3339(&at).map_err(|e| corrupt(format!("时间“{at}”无法识别（{e}）")))?,
            reason,
        });
    }
    Ok(out)
}

/// The data directory: `--data`, else `YUEBAO_DATA` (clap reads it), else `./yuebao-data`.
impl Store {
    /// The address book, by region then address.
    pub fn contacts(&self) -> Result<Vec<Contact>, StoreError> {
        self.contacts_where("", [])
    }

    fn contacts_where(&self, filter: &str, args: impl rusqlite::Params) -> Result<Vec<Contact>, StoreError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT email, region, name, set_at, set_by FROM contacts {filter} ORDER BY region, email"
            ))
            .map_err(self.sql())?;
        let rows = st
            .query_map(args, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (email, region, name, set_at, set_by) = row.map_err(self.sql())?;
            let set_at = DateTime::parse_from_rfc3339(&set_at).map_err(|e| StoreError::Corrupt {
                file: self.file.clone(),
                id: 0,
                what: format!("通讯录中 {email} 的时间“{set_at}”无法识别（{e}）"),
            })?;
            out.push(Contact {
                email,
                region,
                name,
                set_at,
                set_by,
            });
        }
        Ok(out)
    }

    /// Whose address `email` (lower case) is, by the book.
    pub fn contact(&self, email: &str) -> Result<Option<Contact>, StoreError> {
        Ok(self.contacts_where("WHERE email = ?1", [email])?.pop())
    }

    /// The upload stored from an e-mail attachment with this key, if any.
    pub fn mail_submission(&self, mail_key: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row("SELECT id FROM submissions WHERE mail_key = ?1", [mail_key], |r| r.get(0))
            .optional()
            .map_err(self.sql())
    }

    /// The messages queued for the relay and not yet sent, oldest first.
    pub fn unsent_mail(&self) -> Result<Vec<Outgoing>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT key, recipient, subject, message, queued_at, sent_at, attempts, last_error
                 FROM outgoing_mail WHERE sent_at IS NULL ORDER BY queued_at, key",
            )
            .map_err(self.sql())?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    Outgoing {
                        key: r.get(0)?,
                        recipient: r.get(1)?,
                        subject: r.get(2)?,
                        message: r.get(3)?,
                        queued_at: DateTime::default(),
                        sent_at: None,
                        attempts: r.get(6)?,
                        last_error: r.get(7)?,
                    },
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (mut m, queued) = row.map_err(self.sql())?;
            m.queued_at = DateTime::parse_from_rfc3339(&queued).map_err(|e| StoreError::Corrupt {
                file: self.file.clone(),
                id: 0,
                what: format!("待发邮件 {} 的时间“{queued}”无法识别（{e}）", m.key),
            })?;
            out.push(m);
        }
        Ok(out)
    }

    /// Counts a failed attempt to send a queued message, and why, and lets it go for the next
    /// run (not a fact: the message stays as it was queued).
    pub fn mail_attempt_failed(&self, key: &str, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outgoing_mail SET attempts = attempts + 1, last_error = ?2, claimed_at = NULL WHERE key = ?1",
                params![key, error],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Takes a queued message for sending; false when it was sent meanwhile, or another run
    /// took it after `stale` (a claim older than that is of a run that stopped).
    pub fn claim_mail(&self, key: &str, now: DateTime<FixedOffset>, stale: DateTime<FixedOffset>) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE outgoing_mail SET claimed_at = ?2
                 WHERE key = ?1 AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?3)",
                params![key, stamp(now), stamp(stale)],
            )
            .map_err(self.sql())?;
        Ok(n == 1)
    }

    /// Whether `inbox` has handled the message with this key.
    pub fn mail_handled(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT outcome FROM mail_messages WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.sql())
    }

    /// Writes a consistent copy of the database to `out` (SQLite's `VACUUM INTO`: one read
    /// transaction, so writers carry on and the copy is the state at its start), then checks
    /// that the copy opens.
    pub fn backup_to(&self, out: &Path) -> Result<(), StoreError> {
        let err = |source| StoreError::Open {
            file: out.to_path_buf(),
            source,
        };
        if out.exists() {
            return Err(StoreError::Exists { file: out.to_path_buf() });
        }
        self.conn.execute("VACUUM INTO ?1", [out.to_string_lossy()]).map_err(err)?;
        Connection::open(out)
            .and_then(|c| c.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)))
            .map_err(err)?;
        Ok(())
    }
}

pub fn data_dir(arg: Option<&Path>) -> PathBuf {
    arg.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("yuebao-data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A data directory whose store stopped at schema `version`, holding the rows `sql` writes.
    fn old_store(version: usize, sql: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(d.path().join(DB_FILE)).unwrap();
        migrations().to_version(&mut conn, version).unwrap();
        conn.execute_batch(sql).unwrap();
        d
    }

    #[test]
    fn a_database_from_a_newer_program_is_refused_not_damaged() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path()).unwrap();
        assert_eq!(store.count().unwrap(), 0);
        store.conn.pragma_update(None, "user_version", 99).unwrap();
        drop(store);
        let e = Store::open(d.path()).err().expect("refused").to_string();
        assert!(e.contains("yuebao.sqlite3") && e.contains("无法升级"), "{e}");
        // Reopening at the current version is a no-op.
        let d2 = tempfile::tempdir().unwrap();
        drop(Store::open(d2.path()).unwrap());
        assert_eq!(Store::open(d2.path()).unwrap().count().unwrap(), 0);
    }

    #[test]
    fn a_register_stored_as_json_is_read_the_same_after_the_compact_upgrade() {
        // The version before the compact records and the current table.
        let d = old_store(
            16,
            "INSERT INTO register_imports (id, region, at, by, file_name, sha256, key_id, persons, added, changed, removed)
                 VALUES (1, '371302', '2026-11-02T09:00:00+08:00', NULL, 'a.xlsx', 'ab', 'k1', 2, 2, 0, 0);
             INSERT INTO register_persons (id, region, person) VALUES (1, '371302', 'aa11'), (2, '371302', 'bb22');
             INSERT INTO register_events (id, person_id, import_id, day, kind, state, sealed) VALUES
                 (1, 1, 1, '2015-10-08', '建卡', '{\"街道（乡镇）\":\"岸堤镇\"}', x'01'),
                 (2, 2, 1, '2016-01-02', '建卡', '{\"街道（乡镇）\":\"青驼镇\"}', x'02'),
                 (3, 1, 1, '2020-05-01', '脱贫销号', '{\"街道（乡镇）\":\"岸堤镇\"}', x'03');",
        );
        let file = d.path().join(DB_FILE);
        let store = Store::open(d.path()).unwrap();
        let json = |s: &register::PersonState| match &s.clear {
            register::StoredClear::Json(j) => (s.person.clone(), s.kind.clone(), s.day.clone(), j.clone(), s.sealed.clone()),
            other => panic!("{other:?}"),
        };
        let now: Vec<_> = store.register_states("371302", None).unwrap().iter().map(json).collect();
        assert_eq!(
            now,
            vec![
                (
                    "aa11".into(),
                    "脱贫销号".into(),
                    "2020-05-01".into(),
                    "{\"街道（乡镇）\":\"岸堤镇\"}".into(),
                    vec![3]
                ),
                (
                    "bb22".into(),
                    "建卡".into(),
                    "2016-01-02".into(),
                    "{\"街道（乡镇）\":\"青驼镇\"}".into(),
                    vec![2]
                ),
            ]
        );
        // A day before the removal reads the earlier event; a day before both cards, no one.
        let then: Vec<_> = store.register_states("371302", Some("2019-12-31")).unwrap().iter().map(json).collect();
        assert_eq!(then.iter().map(|t| (t.1.as_str(), t.4[0])).collect::<Vec<_>>(), vec![("建卡", 1), ("建卡", 2)]);
        assert!(store.register_states("371302", Some("2015-01-01")).unwrap().is_empty());
        assert_eq!(store.register_counting("371302", "2019-12-31", |_| ()).unwrap(), 2);
        let stray = facts::check(&store.conn, &file).unwrap();
        assert!(stray.iter().all(|p| !p.contains("当前状态")), "{stray:?}");
        // The current state edited outside the program is found.
        store.conn.execute("UPDATE register_current SET kind = '建卡' WHERE person_id = 1", []).unwrap();
        let found = facts::check(&store.conn, &file).unwrap();
        assert!(found.iter().any(|p| p.contains("1 人的当前状态")), "{found:?}");
    }

    #[test]
    fn a_first_load_builds_the_person_index_at_its_end_or_at_the_next_opening() {
        let d = tempfile::tempdir().unwrap();
        let index = |s: &Store| -> i64 {
            s.conn
                .query_row("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'register_persons_by_person'", [], |r| r.get(0))
                .unwrap()
        };
        let store = Store::open(d.path()).unwrap();
        assert!(store.defer_register_indexes().unwrap());
        assert_eq!(index(&store), 0);
        store.rebuild_register_indexes().unwrap();
        assert_eq!(index(&store), 1);
        // A load that stops half way leaves it to the next opening.
        assert!(store.defer_register_indexes().unwrap());
        drop(store);
        let store = Store::open(d.path()).unwrap();
        assert_eq!(index(&store), 1);
        // A store that holds registers keeps its index through a bulk load.
        store
            .conn
            .execute_batch(
                "INSERT INTO register_imports (region, at, file_name, sha256, key_id, persons, added, changed, removed)
                 VALUES ('371302', '2026-11-02T09:00:00+08:00', 'a.xlsx', 'ab', 'k1', 0, 0, 0, 0);",
            )
            .unwrap();
        assert!(!store.defer_register_indexes().unwrap());
        assert_eq!(index(&store), 1);
    }

    #[test]
    fn part_one_accounts_survive_the_upgrade_that_adds_roles_and_the_audit_log() {
        let d = old_store(
            3,
            "INSERT INTO users (username, password_hash, role, region, created_at) VALUES ('linyi', 'h', 'reviewer', '371300', '2026-11-01T09:00:00+08:00');
             INSERT INTO sessions (token_sha256, user_id, created_at, last_seen) VALUES ('t', 1, '2026-11-01T09:00:00+08:00', '2026-11-01T09:00:00+08:00');
             INSERT INTO login_failures (username, address, at) VALUES ('linyi', '10.0.0.1', '2026-11-01T09:00:00+08:00');",
        );
        let mut store = Store::open(d.path()).unwrap();
        let u = store.user("linyi").unwrap().unwrap();
        assert_eq!((u.role.as_str(), u.region.as_str(), u.must_change), ("reviewer", "371300", false));
        assert_eq!(u.password_set_at.as_deref(), Some("2026-11-01T09:00:00+08:00"));
        assert!(store.session("t").unwrap().is_none(), "sessions end at the upgrade");
        assert_eq!(store.last_login_failures("linyi", 5).unwrap().len(), 1);
        // The account gets the entry it lacked, marked as written at the upgrade.
        assert_eq!(store.audit_head().unwrap().0, 1);
        let back = store.audit_entries(&audit::AuditFilter::default()).unwrap();
        assert_eq!(
            (back[0].action.as_str(), back[0].subject.as_deref(), back[0].backfilled),
            ("backfill", Some("user:linyi"), true)
        );
        assert!(store.check().unwrap().is_empty(), "{:?}", store.check().unwrap());
        store
            .audit(&audit::NewAudit {
                at: crate::time::parse("2026-11-02 09:00").unwrap(),
                action: "login",
                actor: Some("linyi"),
                role: Some("reviewer"),
                region: Some("371300"),
                address: None,
                description: "登录成功",
            })
            .unwrap();
        assert!(store.check_audit(None).unwrap().0.is_empty());
        let ok: i64 = store.conn.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, 0);
    }

    #[test]
    fn the_province_a_store_belongs_to_is_a_fact_of_the_audit_chain() {
        // Bound by this version: the binding comes with its entry, and a change to it is seen.
        let d = tempfile::tempdir().unwrap();
        let mut store = Store::open(d.path()).unwrap();
        store.bind_province("370000", "山东省", |_| true).unwrap();
        store.bind_province("370000", "山东省", |_| true).unwrap();
        let entries = store.audit_entries(&audit::AuditFilter::default()).unwrap();
        assert_eq!(entries.len(), 1, "bound once");
        assert_eq!(
            (entries[0].action.as_str(), entries[0].subject.as_deref(), entries[0].region.as_deref()),
            ("install", Some("installation:1"), Some("370000"))
        );
        assert!(store.check().unwrap().is_empty(), "{:?}", store.check().unwrap());
        store.conn.execute("UPDATE installation SET province = '410000'", []).unwrap();
        let said = store.check().unwrap();
        assert!(said.iter().any(|p| p.contains("本数据目录所属省份的记录")), "{said:?}");

        // Bound by the version before: its entry is written when this version first opens it,
        // and nothing else is (a fact slipped in since then stays without one).
        let d = old_store(
            INSTALLATION_BOUND - 1,
            "INSERT INTO installation (id, province, set_at) VALUES (1, '370000', '2026-12-01T09:00:00+08:00');
             INSERT INTO baselines (region, value, source, set_at) VALUES ('371302', 100, 'x', '2026-12-01T09:00:00+08:00');",
        );
        let store = Store::open(d.path()).unwrap();
        let entries = store.audit_entries(&audit::AuditFilter::default()).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (entries[0].action.as_str(), entries[0].subject.as_deref()),
            ("backfill", Some("installation:1"))
        );
        let said = store.check().unwrap();
        assert!(said.len() == 1 && said[0].contains("基线记录"), "{said:?}");
    }

    #[test]
    fn the_sheets_move_to_their_own_table_unchanged() {
        let d = old_store(
            5,
            "INSERT INTO blobs (sha256, bytes, size) VALUES ('ab', x'00', 1);
             INSERT INTO submissions (region, period, file_name, sha256, received_at, imported_at, status, version, errors, warnings, findings, sheet)
               VALUES ('371302', '2026-10', 'a.xlsx', 'ab', '2026-11-01T09:00:00+08:00', '2026-11-01T09:00:00+08:00', 'accepted', 1, 0, 0, '[]', '{\"the\":\"figures\"}'),
                      ('371302', '2026-10', 'b.xlsx', 'ab', '2026-11-02T09:00:00+08:00', '2026-11-02T09:00:00+08:00', 'rejected', 2, 1, 0, '[]', NULL);",
        );
        let store = Store::open(d.path()).unwrap();
        let moved: Vec<(i64, String)> = store
            .conn
            .prepare("SELECT submission_id, sheet FROM sheets ORDER BY submission_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(moved, vec![(1, "{\"the\":\"figures\"}".to_string())]);
        let has_column: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM pragma_table_info('submissions') WHERE name = 'sheet'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(has_column, 0);
        assert_eq!(store.count().unwrap(), 2);
    }

    #[test]
    fn the_region_months_are_filled_from_the_submissions_and_kept_up() {
        // 兰山区: accepted at 09:00 (1), rejected (2), accepted recorded later but received at
        // 08:00 (3), a 上报-like row (4); 罗庄区: one rejected (5); one upload of no region (6).
        let d = old_store(
            6,
            "INSERT INTO blobs (sha256, bytes, size) VALUES ('ab', x'00', 1);
             INSERT INTO submissions (region, period, file_name, sha256, received_at, imported_at, status, version, errors, warnings, findings, basis) VALUES
               ('371302', '2026-10', 'a', 'ab', '2026-11-02T09:00:00+08:00', '2026-11-02T09:00:00+08:00', 'accepted', 1, 0, 0, '[]', NULL),
               ('371302', '2026-10', 'b', 'ab', '2026-11-03T09:00:00+08:00', '2026-11-03T09:00:00+08:00', 'rejected', 2, 1, 0, '[]', NULL),
               ('371302', '2026-10', 'c', 'ab', '2026-11-01T08:00:00+08:00', '2026-11-04T09:00:00+08:00', 'accepted', 3, 0, 0, '[]', NULL),
               ('371302', '2026-10', 'd', 'ab', '2026-11-04T09:00:00+08:00', '2026-11-04T09:00:00+08:00', 'pending', 4, 0, 1, '[]', 'x'),
               ('371311', '2026-10', 'e', 'ab', '2026-11-02T09:00:00+08:00', '2026-11-02T09:00:00+08:00', 'rejected', 1, 1, 0, '[]', NULL),
               (NULL, NULL, 'f', 'ab', '2026-11-02T09:00:00+08:00', '2026-11-02T09:00:00+08:00', 'rejected', 1, 1, 0, '[]', NULL);",
        );
        let store = Store::open(d.path()).unwrap();
        let row = |region: &str| -> (i64, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>) {
            store
                .conn
                .query_row(
                    "SELECT versions, latest, effective, first_accepted, last_accepted, last_report FROM region_months WHERE region = ?1 AND period = '2026-10'",
                    [region],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                )
                .unwrap()
        };
        assert_eq!(row("371302"), (4, 4, Some(1), Some(3), Some(3), Some(4)));
        assert_eq!(row("371311"), (1, 5, None, None, None, None));
        let n: i64 = store.conn.query_row("SELECT COUNT(*) FROM region_months", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
        let brief = store.period_brief("2026-10".parse().unwrap()).unwrap();
        assert_eq!(brief.versions.get("371302"), Some(&4));
        let ids: Vec<i64> = brief.subs.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![3, 1, 5, 4], "the telling uploads, oldest first (2 tells nothing)");
        // (The made-up bytes do not match their digest; only the index is looked at here.)
        let index = |store: &Store| -> Vec<String> { store.check().unwrap().into_iter().filter(|p| p.contains("region_months")).collect() };
        assert!(index(&store).is_empty());
        store
            .conn
            .execute("UPDATE region_months SET effective = 3 WHERE region = '371302'", [])
            .unwrap();
        assert_eq!(index(&store), vec!["371302 2026-10 的报送索引（region_months）与报送记录不一致".to_string()]);
    }
}
