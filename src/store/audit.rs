//! The audit trail: table `audit_log`, appended to and never updated or deleted by this program.
//! Each entry carries the SHA-256 of the previous entry's hash and its own fields, so an entry
//! edited or deleted afterwards (with the sqlite3 tool, say) breaks the chain; the chain's head
//! (how many entries, the last hash) is kept in `log_chain`, so that entries cut off the end are
//! seen too. Appends happen inside a write transaction, so two processes cannot fork the chain.

use super::{Store, StoreError, Txn, stamp};
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    /// `login`, `upload`, `return`, … (English codes, stable for other tools).
    pub action: String,
    /// The account (or the name given on the command line); None for the local operator.
    pub actor: Option<String>,
    pub role: Option<String>,
    /// The region acted on (or the account's own, for logins); None when there is none.
    pub region: Option<String>,
    /// The client's address, for the portal.
    pub address: Option<String>,
    /// What happened, in Chinese.
    pub description: String,
    pub prev_hash: String,
    pub hash: String,
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub at: DateTime<FixedOffset>,
    pub action: &'a str,
    pub actor: Option<&'a str>,
    pub role: Option<&'a str>,
    pub region: Option<&'a str>,
    pub address: Option<&'a str>,
    pub description: &'a str,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// At or after this time (an RFC 3339 stamp or its date prefix: compared as text).
    pub since: Option<String>,
    pub user: Option<String>,
    pub action: Option<String>,
    /// Only entries about these regions (None: every entry).
    pub regions: Option<Vec<String>>,
    /// The newest this many (None: all), listed oldest first.
    pub limit: Option<usize>,
}

const AUDIT_COLUMNS: &str = "id, at, action, actor, role, region, address, description, prev_hash, hash";

fn entry_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        action: r.get(2)?,
        actor: r.get(3)?,
        role: r.get(4)?,
        region: r.get(5)?,
        address: r.get(6)?,
        description: r.get(7)?,
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}

/// The hash of an entry: SHA-256 over the previous hash and every field, as a JSON array (an
/// unambiguous encoding: no two different entries give the same text).
/// `fields` are action, actor, role, region, address and description.
pub fn entry_hash(prev: &str, id: i64, at: &str, fields: [Option<&str>; 6]) -> String {
    let [action, actor, role, region, address, description] = fields;
    let text = serde_json::json!([prev, id, at, action, actor, role, region, address, description]).to_string();
    crate::text::sha256_hex(text.as_bytes())
}

fn hash_of(e: &AuditEntry) -> String {
    entry_hash(
        &e.prev_hash,
        e.id,
        &e.at,
        [
            Some(e.action.as_str()),
            e.actor.as_deref(),
            e.role.as_deref(),
            e.region.as_deref(),
            e.address.as_deref(),
            Some(e.description.as_str()),
        ],
    )
}

/// Appends one entry on a connection that is inside a write transaction.
fn append(conn: &Connection, e: &NewAudit<'_>) -> rusqlite::Result<i64> {
    let head: Option<(i64, String)> = conn
        .query_row("SELECT last_id, last_hash FROM log_chain WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (last_id, prev) = head.unwrap_or((0, GENESIS.to_string()));
    // Ids go up from the head's, never reusing one a deleted entry had.
    let max: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM audit_log", [], |r| r.get(0))?;
    let id = last_id.max(max) + 1;
    let at = stamp(e.at);
    let hash = entry_hash(&prev, id, &at, [Some(e.action), e.actor, e.role, e.region, e.address, Some(e.description)]);
    conn.execute(
        &format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        params![id, at, e.action, e.actor, e.role, e.region, e.address, e.description, prev, hash],
    )?;
    conn.execute(
        "INSERT INTO log_chain (id, entries, last_id, last_hash) VALUES (1, 1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET entries = entries + 1, last_id = ?1, last_hash = ?2",
        params![id, hash],
    )?;
    Ok(id)
}

impl Txn<'_> {
    /// Appends an entry in this transaction: it is kept exactly when what it records is.
    pub fn audit(&self, e: &NewAudit<'_>) -> Result<i64, StoreError> {
        append(&self.tx, e).map_err(self.sql())
    }
}

impl Store {
    /// Appends an entry in a transaction of its own.
    pub fn audit(&mut self, e: &NewAudit<'_>) -> Result<i64, StoreError> {
        let tx = self.begin()?;
        let id = tx.audit(e)?;
        tx.commit()?;
        Ok(id)
    }

    /// Entries matching `f`, oldest first.
    pub fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let mut conds = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(s) = &f.since {
            args.push(s.clone());
            conds.push(format!("at >= ?{}", args.len()));
        }
        if let Some(u) = &f.user {
            args.push(u.clone());
            conds.push(format!("actor = ?{}", args.len()));
        }
        if let Some(a) = &f.action {
            args.push(a.clone());
            conds.push(format!("action = ?{}", args.len()));
        }
        if let Some(regions) = &f.regions {
            let mut marks = Vec::new();
            for r in regions {
                args.push(r.clone());
                marks.push(format!("?{}", args.len()));
            }
            conds.push(if marks.is_empty() {
                "0".into()
            } else {
                format!("region IN ({})", marks.join(", "))
            });
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let limit = f.limit.map(|n| format!("LIMIT {n}")).unwrap_or_default();
        let sql = format!("SELECT * FROM (SELECT {AUDIT_COLUMNS} FROM audit_log {filter} ORDER BY id DESC {limit}) ORDER BY id");
        let mut st = self.conn.prepare(&sql).map_err(self.sql())?;
        let rows = st.query_map(rusqlite::params_from_iter(args.iter()), entry_of).map_err(self.sql())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.sql())
    }

    /// Walks the chain: every entry's link to the one before and its own hash, and the head.
    /// Returns what is wrong, in Chinese; empty when the log is whole.
    pub fn check_audit(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        let mut st = self
            .conn
            .prepare(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"))
            .map_err(self.sql())?;
        let rows = st.query_map([], entry_of).map_err(self.sql())?;
        let mut prev = GENESIS.to_string();
        let mut count = 0i64;
        for row in rows {
            let e = row.map_err(self.sql())?;
            count += 1;
            if e.prev_hash != prev {
                problems.push(format!("审计日志第 {} 条与前一条接不上：其前一条已被删除或修改", e.id));
            }
            if hash_of(&e) != e.hash {
                problems.push(format!("审计日志第 {} 条的内容与其摘要不符：该条已被修改", e.id));
            }
            prev = e.hash;
        }
        let head: Option<(i64, String)> = self
            .conn
            .query_row("SELECT entries, last_hash FROM log_chain WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(self.sql())?;
        let (entries, last) = head.unwrap_or((0, GENESIS.to_string()));
        if entries != count {
            problems.push(format!("审计日志应有 {entries} 条，现有 {count} 条：有记录被删除或插入"));
        } else if last != prev {
            problems.push("审计日志的最后一条与记录的链尾不符：最后一条已被删除、替换或修改".to_string());
        }
        Ok(problems)
    }

    /// Whether a refused login saying `why` was recorded at or after `since` for `actor` (or
    /// from `address`), among the latest 200 failed logins.
    pub fn refusal_recorded(&self, why: &str, actor: Option<&str>, address: Option<&str>, since: &str) -> Result<bool, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT at, actor, address, description FROM audit_log WHERE action = 'login_failed' ORDER BY id DESC LIMIT 200")
            .map_err(self.sql())?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(self.sql())?;
        for row in rows {
            let (at, who, from, text) = row.map_err(self.sql())?;
            if at.as_str() >= since
                && text.ends_with(why)
                && actor.is_none_or(|a| who.as_deref() == Some(a))
                && address.is_none_or(|a| from.as_deref() == Some(a))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// How many entries the log has, and the last hash (to write down outside the store).
    pub fn audit_head(&self) -> Result<(i64, String), StoreError> {
        Ok(self
            .conn
            .query_row("SELECT entries, last_hash FROM log_chain WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(self.sql())?
            .unwrap_or((0, GENESIS.to_string())))
    }
}
