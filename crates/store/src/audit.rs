//! The audit trail: table `audit_log`, appended to and never updated or deleted by this program.
//! Each entry carries the SHA-256 of the previous entry's hash and its own fields, so an entry
//! edited or deleted afterwards (with the sqlite3 tool, say) breaks the chain; the chain's head
//! (how many entries, the last hash) is kept in `log_chain`. Appends happen inside a write
//! transaction, so two processes cannot fork the chain.
//!
//! Every stored fact is bound into the chain (see `facts`): the entry that records an upload, a
//! review event, a baseline or an account change carries the subject (`submission:12`) and a
//! digest of the row as stored, written in the same transaction as the row. With an audit key
//! (a file kept outside the data directory), entries are HMAC-SHA-256 under it and the head is
//! signed too, so that whoever can write the database but not read the key cannot rewrite the
//! chain, nor cut its tail and move the head.

use super::{Store, StoreError, Txn, stamp};
use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

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
    /// The stored fact this entry records (`submission:12`, `user:linyi`), if any.
    pub subject: Option<String>,
    /// The digest of that fact's row as stored when the entry was written.
    pub digest: Option<String>,
    /// The hash is HMAC-SHA-256 under the audit key.
    pub keyed: bool,
    /// Written when an older store was upgraded, for a fact that had no entry of its own.
    pub backfilled: bool,
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

const AUDIT_COLUMNS: &str = "id, at, action, actor, role, region, address, description, prev_hash, hash, subject, digest, keyed, backfilled";

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
        subject: r.get(10)?,
        digest: r.get(11)?,
        keyed: r.get::<_, i64>(12)? != 0,
        backfilled: r.get::<_, i64>(13)? != 0,
    })
}

/// The secret an installation keeps outside its data directory: entries and the chain's head
/// are signed with it (HMAC-SHA-256).
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

impl AuditKey {
    /// The key in `file`: its bytes, surrounding white space removed; at least 16 of them.
    pub fn read(file: &std::path::Path) -> Result<AuditKey, String> {
        let bytes = std::fs::read(file).map_err(|e| format!("无法读取审计密钥文件 {}：{e}", file.display()))?;
        let key = bytes.trim_ascii().to_vec();
        if key.len() < 16 {
            return Err(format!(
                "审计密钥文件 {} 太短：至少应有 16 个字节（例如 openssl rand -hex 32 的输出）",
                file.display()
            ));
        }
        Ok(AuditKey(key))
    }

    pub fn from_bytes(key: &[u8]) -> AuditKey {
        AuditKey(key.to_vec())
    }

    fn mac(&self, text: &str) -> String {
        use hmac::{KeyInit, Mac};
        let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        m.update(text.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }
}

/// The hash of an entry: SHA-256 over the previous hash and every field, as a JSON array (an
/// unambiguous encoding: no two different entries give the same text).
/// `fields` are action, actor, role, region, address and description.
pub fn entry_hash(prev: &str, id: i64, at: &str, fields: [Option<&str>; 6]) -> String {
    let [action, actor, role, region, address, description] = fields;
    let text = serde_json::json!([prev, id, at, action, actor, role, region, address, description]).to_string();
    crate::text::sha256_hex(text.as_bytes())
}

/// The hash of an entry as stored. An entry of the first kind (no subject, not keyed, not
/// backfilled) hashes as logs did before facts were bound; the others include the subject, its
/// digest and how the entry came to be, and with a key are an HMAC under it.
fn hash_with(e: &AuditEntry, key: Option<&AuditKey>) -> Option<String> {
    let fields = [
        Some(e.action.as_str()),
        e.actor.as_deref(),
        e.role.as_deref(),
        e.region.as_deref(),
        e.address.as_deref(),
        Some(e.description.as_str()),
    ];
    if e.subject.is_none() && e.digest.is_none() && !e.keyed && !e.backfilled {
        return Some(entry_hash(&e.prev_hash, e.id, &e.at, fields));
    }
    let [action, actor, role, region, address, description] = fields;
    let text = serde_json::json!([
        e.prev_hash,
        e.id,
        e.at,
        action,
        actor,
        role,
        region,
        address,
        description,
        e.subject,
        e.digest,
        e.backfilled
    ])
    .to_string();
    match (e.keyed, key) {
        (true, Some(k)) => Some(k.mac(&text)),
        // A keyed entry cannot be checked without the key.
        (true, None) => None,
        (false, _) => Some(crate::text::sha256_hex(text.as_bytes())),
    }
}

/// The signature of the chain's head under the key.
fn head_mac(key: &AuditKey, entries: i64, last_id: i64, last_hash: &str) -> String {
    key.mac(&serde_json::json!(["log_chain", entries, last_id, last_hash]).to_string())
}

/// A fact an entry records: the row, and its digest as stored now.
#[derive(Debug, Clone)]
pub struct Fact {
    pub subject: String,
    pub digest: String,
    /// Written at an upgrade, for a fact older than the binding.
    pub backfilled: bool,
}

/// Appends one entry on a connection that is inside a write transaction: keyed when there is
/// a key. A chain whose head is signed is not continued without the key (that would leave the
/// rest of it unsigned).
pub(super) fn append(conn: &Connection, file: &Path, e: &NewAudit<'_>, fact: Option<&Fact>, key: Option<&AuditKey>) -> Result<i64, StoreError> {
    let sql = |source| StoreError::Sql {
        file: file.to_path_buf(),
        source,
    };
    let head: Option<(i64, i64, String, Option<String>)> = conn
        .query_row("SELECT entries, last_id, last_hash, mac FROM log_chain WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()
        .map_err(sql)?;
    if key.is_none() && head.as_ref().is_some_and(|h| h.3.is_some()) {
        return Err(StoreError::AuditKeyNeeded { file: file.to_path_buf() });
    }
    let (entries, last_id, prev) = head.map(|h| (h.0, h.1, h.2)).unwrap_or((0, 0, GENESIS.to_string()));
    // Ids go up from the head's, never reusing one a deleted entry had.
    let max: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM audit_log", [], |r| r.get(0)).map_err(sql)?;
    let id = last_id.max(max) + 1;
    let mut entry = AuditEntry {
        id,
        at: stamp(e.at),
        action: e.action.to_string(),
        actor: e.actor.map(str::to_string),
        role: e.role.map(str::to_string),
        region: e.region.map(str::to_string),
        address: e.address.map(str::to_string),
        description: e.description.to_string(),
        prev_hash: prev,
        hash: String::new(),
        subject: fact.map(|f| f.subject.clone()),
        digest: fact.map(|f| f.digest.clone()),
        keyed: key.is_some(),
        backfilled: fact.is_some_and(|f| f.backfilled),
    };
    entry.hash = hash_with(&entry, key).expect("a key is given for a keyed entry");
    conn.execute(
        &format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
        params![
            entry.id,
            entry.at,
            entry.action,
            entry.actor,
            entry.role,
            entry.region,
            entry.address,
            entry.description,
            entry.prev_hash,
            entry.hash,
            entry.subject,
            entry.digest,
            entry.keyed as i64,
            entry.backfilled as i64
        ],
    )
    .map_err(sql)?;
    let entries = entries + 1;
    let mac = key.map(|k| head_mac(k, entries, id, &entry.hash));
    conn.execute(
        "INSERT INTO log_chain (id, entries, last_id, last_hash, mac) VALUES (1, ?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET entries = ?1, last_id = ?2, last_hash = ?3, mac = ?4",
        params![entries, id, entry.hash, mac],
    )
    .map_err(sql)?;
    Ok(id)
}

impl Txn<'_> {
    /// Appends an entry in this transaction: it is kept exactly when what it records is.
    pub fn audit(&self, e: &NewAudit<'_>) -> Result<i64, StoreError> {
        self.append(e, None)
    }

    /// Appends the entry that records `subject`, carrying the digest of its row as this
    /// transaction has just written it.
    pub fn audit_fact(&self, e: &NewAudit<'_>, subject: &super::facts::Subject) -> Result<i64, StoreError> {
        let fact = super::facts::fact(&self.tx, &self.file, subject)?;
        self.append(e, Some(&fact))
    }

    fn append(&self, e: &NewAudit<'_>, fact: Option<&Fact>) -> Result<i64, StoreError> {
        append(&self.tx, &self.file, e, fact, self.key.as_ref())
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

    /// Walks the chain: every entry's link to the one before and its own hash (an HMAC under
    /// the store's key for keyed entries), the head and its signature, and the head kept elsewhere
    /// (`expect`: how many entries and the last one's hash). Returns what is wrong, in Chinese
    /// (empty when the log is whole), and notes on what could not be checked.
    pub fn check_audit(&self, expect: Option<&(i64, String)>) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let key = self.key.as_ref();
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        let mut st = self
            .conn
            .prepare(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"))
            .map_err(self.sql())?;
        let rows = st.query_map([], entry_of).map_err(self.sql())?;
        let mut prev = GENESIS.to_string();
        let mut count = 0i64;
        let (mut keyed, mut unchecked) = (0i64, 0i64);
        let mut unkeyed_after: Option<i64> = None;
        let mut at_expected: Option<String> = None;
        for row in rows {
            let e = row.map_err(self.sql())?;
            count += 1;
            if e.prev_hash != prev {
                problems.push(format!("审计日志第 {} 条与前一条接不上：其前一条已被删除或修改", e.id));
            }
            match hash_with(&e, key) {
                Some(h) if h != e.hash => problems.push(format!("审计日志第 {} 条的内容与其摘要不符：该条已被修改", e.id)),
                Some(_) => {}
                None => unchecked += 1,
            }
            if e.keyed {
                keyed += 1;
            } else if keyed > 0 && unkeyed_after.is_none() {
                unkeyed_after = Some(e.id);
            }
            if expect.is_some_and(|(n, _)| *n == count) {
                at_expected = Some(e.hash.clone());
            }
            prev = e.hash;
        }
        let head: Option<(i64, String, Option<String>, i64)> = self
            .conn
            .query_row("SELECT entries, last_hash, mac, last_id FROM log_chain WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
            .map_err(self.sql())?;
        let (entries, last, mac, last_id) = head.unwrap_or((0, GENESIS.to_string(), None, 0));
        if entries != count {
            problems.push(format!("审计日志应有 {entries} 条，现有 {count} 条：有记录被删除或插入"));
        } else if last != prev {
            problems.push("审计日志的最后一条与记录的链尾不符：最后一条已被删除、替换或修改".to_string());
        }
        match (key, &mac) {
            (Some(k), Some(m)) if *m != head_mac(k, entries, last_id, &last) => {
                problems.push("审计日志链尾的签名与密钥不符：链尾被改动（例如尾部的条目被删除后改写了链尾）".to_string())
            }
            (Some(_), None) if count > 0 => problems.push("审计日志链尾没有用密钥签名：日志被去掉签名后改写，或本库在配置密钥之后还没有写入过".to_string()),
            (None, Some(_)) => notes.push("审计日志用密钥签名，未提供密钥（--audit-key-file），签名未核对".to_string()),
            _ => {}
        }
        if key.is_some() {
            if let Some(id) = unkeyed_after {
                problems.push(format!("审计日志第 {id} 条没有用密钥签名，而它之前已有签名的条目：日志从该条起被改写"));
            }
            if keyed == 0 && count > 0 {
                problems.push("提供了审计密钥，但审计日志中没有一条用它签名：日志已被整体改写，或密钥不是本库的".to_string());
            }
        } else if unchecked > 0 {
            notes.push(format!("{unchecked} 条审计日志用密钥签名，未提供密钥，只核对了链接"));
        }
        if let Some((n, hash)) = expect {
            match at_expected {
                None => problems.push(format!("审计日志只有 {count} 条，少于记下的链尾 {n} 条：尾部的条目被删除")),
                Some(h) if h != *hash => problems.push(format!("审计日志第 {n} 条与记下的链尾不符：该条或它之前的条目被改写")),
                Some(_) => {}
            }
        }
        Ok((problems, notes))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn note(store: &mut Store, what: &str) {
        store
            .audit(&NewAudit {
                at: crate::time::parse("2026-11-02 09:00").unwrap(),
                action: "reminder",
                actor: Some("linyi"),
                role: Some("reviewer"),
                region: Some("371300"),
                address: None,
                description: what,
            })
            .unwrap();
    }

    /// Rewrites the whole chain from entry `from` on as entries without a key, each hash and
    /// the head recomputed, as someone who can write the database but not read the key could.
    fn rewrite_unsigned(store: &Store, from: i64) {
        let entries = store.audit_entries(&AuditFilter::default()).unwrap();
        let mut prev = GENESIS.to_string();
        for mut e in entries {
            if e.id >= from {
                e.keyed = false;
                e.prev_hash = prev.clone();
                e.hash = hash_with(&e, None).unwrap();
                store
                    .conn
                    .execute(
                        "UPDATE audit_log SET keyed = 0, prev_hash = ?2, hash = ?3 WHERE id = ?1",
                        params![e.id, e.prev_hash, e.hash],
                    )
                    .unwrap();
            }
            prev = e.hash;
        }
        store.conn.execute("UPDATE log_chain SET last_hash = ?1, mac = NULL", [prev]).unwrap();
    }

    /// The README's claims for a chain signed with the key: recomputing it without the key,
    /// wholly or from some entry on, is found when `verify` is given the key.
    #[test]
    fn a_signed_chain_recomputed_without_the_key_is_found() {
        let key = AuditKey::from_bytes(b"0123456789abcdef0123456789abcdef");
        for from in [1, 3] {
            let d = tempfile::tempdir().unwrap();
            let mut store = Store::open_keyed(d.path(), Some(key.clone())).unwrap();
            for i in 0..4 {
                note(&mut store, &format!("第 {i} 次"));
            }
            assert!(store.check_audit(None).unwrap().0.is_empty());
            rewrite_unsigned(&store, from);
            // Without the key, the rewritten chain is whole: that is what the key is for.
            let bare = Store::open(d.path()).unwrap();
            assert!(bare.check_audit(None).unwrap().0.is_empty(), "from {from}");
            let problems = store.check_audit(None).unwrap().0;
            let want = if from == 1 {
                "没有一条用它签名"
            } else {
                "第 3 条没有用密钥签名"
            };
            assert!(problems.iter().any(|p| p.contains(want)), "from {from}: {problems:?}");
            assert!(problems.iter().any(|p| p.contains("链尾没有用密钥签名")), "from {from}: {problems:?}");
        }
    }
}
