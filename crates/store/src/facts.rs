//! The stored facts and their place in the audit chain. A fact is a row someone's action put
//! there and that a later reader relies on: an upload (with its findings and figures), a review
//! event, a baseline, an account. Each is bound to the entry that records it by a digest of the
//! row as stored, so `verify` can tell a row changed, deleted or slipped in outside the program
//! from one the program wrote.
//!
//! What an account's digest covers: name, password hash, role, region, disabled, when it was
//! created and when its password was set. Not the "must change at next login" flag, which a
//! login sets by itself when a password has expired.

use super::StoreError;
use super::audit::{AuditKey, Fact, NewAudit};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use std::collections::HashMap;
use std::path::Path;

/// A stored fact, by what names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    Submission(i64),
    Review(i64),
    Baseline(i64),
    User(String),
    /// An address in the address book.
    Contact(String),
    /// A message `inbox` has handled.
    Mail(String),
    /// A message queued for the relay (a reply or a reminder).
    Outgoing(String),
    /// The province the data directory belongs to.
    Installation,
    /// An import of a county's register, with every event it wrote.
    RegisterImport(i64),
}

impl Subject {
    /// How an entry names it: `submission:12`, `user:linyi`.
    pub fn key(&self) -> String {
        match self {
            Subject::Submission(id) => format!("submission:{id}"),
            Subject::Review(id) => format!("review:{id}"),
            Subject::Baseline(id) => format!("baseline:{id}"),
            Subject::User(name) => format!("user:{name}"),
            Subject::Contact(email) => format!("contact:{email}"),
            Subject::Mail(key) => format!("mail:{key}"),
            Subject::Outgoing(key) => format!("outgoing:{key}"),
            Subject::Installation => "installation:1".to_string(),
            Subject::RegisterImport(id) => format!("register_import:{id}"),
        }
    }

    /// The subject in a sentence: `第 12 号报送记录`.
    fn named(key: &str) -> String {
        match key.split_once(':') {
            Some(("submission", id)) => format!("第 {id} 号报送记录"),
            Some(("review", id)) => format!("第 {id} 号审核记录"),
            Some(("baseline", id)) => format!("第 {id} 号基线记录"),
            Some(("user", name)) => format!("账号“{name}”"),
            Some(("contact", email)) => format!("通讯录中的“{email}”"),
            Some(("mail", key)) => format!("邮件“{key}”的处理记录"),
            Some(("outgoing", key)) => format!("待发邮件“{key}”"),
            Some(("installation", _)) => "本数据目录所属省份的记录".to_string(),
            Some(("register_import", id)) => format!("第 {id} 次台账导入（及其写入的全部人员记录）"),
            _ => format!("记录“{key}”"),
        }
    }
}

/// Each table of facts: its subject's kind, and the row's content in a fixed order (the last
/// column of the SELECT is the subject's key).
const TABLES: [(&str, &str); 9] = [
    (
        "submission",
        "SELECT s.id, s.region, s.period, s.file_name, s.sha256, s.submitted_by, s.received_at, s.imported_at, s.note, s.status,
                s.version, s.errors, s.warnings, s.findings, s.on_behalf_of, s.late_reason, s.basis,
                (SELECT x.sheet FROM sheets x WHERE x.submission_id = s.id), s.channel, s.sender, s.mail_key, s.register_diffs, s.id
         FROM submissions s",
    ),
    ("contact", "SELECT email, region, name, set_at, set_by, email FROM contacts"),
    (
        "mail",
        "SELECT key, message_id, sender, subject, received_at, processed_at, outcome, key FROM mail_messages",
    ),
    (
        "outgoing",
        "SELECT key, recipient, subject, message, queued_at, sent_at, key FROM outgoing_mail",
    ),
    ("review", "SELECT id, region, period, action, submission_id, by, at, reason, id FROM reviews"),
    ("baseline", "SELECT id, region, value, source, set_at, set_by, id FROM baselines"),
    (
        "user",
        "SELECT username, password_hash, role, region, disabled, created_at, password_set_at, personal_grant, username FROM users",
    ),
    ("installation", "SELECT id, province, set_at, id FROM installation"),
    (
        "register_import",
        // The events' column is written by `write_events` as it is hashed (see there).
        "SELECT i.id, i.region, i.at, i.by, i.file_name, i.sha256, i.key_id, i.persons, i.added, i.changed, i.removed,
                NULL, i.layout, i.id
         FROM register_imports i",
    ),
];

fn table_of(kind: &str) -> &'static str {
    TABLES.iter().find(|(k, _)| *k == kind).map_or("", |(_, sql)| sql)
}

/// The digest of one row: SHA-256 of its kind and its columns as a JSON array (blobs in hex).
/// How many of a kind's columns were there when its facts were first bound: columns added
/// later join a row's digest only when one of them holds something, so that the rows stored
/// before them keep the digest their entries recorded.
fn bound_columns(kind: &str) -> usize {
    match kind {
        "submission" => 18,
        // The layout of the compact records came later (the events' records join the digest
        // only where they are, inside the events' part).
        "register_import" => 12,
        _ => usize::MAX,
    }
}

/// How many of a kind's last columns join its digest only when they hold something (the
/// register comparison of an upload, added after its mail columns).
fn optional_tail(kind: &str) -> usize {
    match kind {
        "submission" | "user" => 1,
        _ => 0,
    }
}

/// The column of an import's row that holds its events (see [`write_events`]).
const EVENTS_COLUMN: usize = 11;

/// An import's events as one text, written into `hash` as a JSON string: each event as
/// `id,region,person,day,kind,state,SEALED` (blobs in upper-case hex) and `,CARD` where it has
/// a compact record, joined by `;` in the order of their ids; `null` for an import without
/// events. For the first imports (no compact records) this is what they were bound with,
/// `group_concat(e.id || ',' || p.region || ',' || p.person || ',' || e.day || ',' || e.kind
/// || ',' || e.state || ',' || hex(e.sealed), ';' ORDER BY e.id)`, streamed here instead of
/// built as one text of many megabytes.
fn write_events(conn: &Connection, import: i64, hash: &mut Hashing) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "SELECT e.id, p.region, p.person, e.day, e.kind, e.state, e.sealed, e.card
         FROM register_events e JOIN register_persons p ON p.id = e.person_id WHERE e.import_id = ?1 ORDER BY e.id",
    )?;
    let mut rows = st.query([import])?;
    let mut first = true;
    while let Some(r) = rows.next()? {
        hash.put(if first { b"\"" } else { b";" });
        first = false;
        hash.put(r.get::<_, i64>(0)?.to_string().as_bytes());
        for i in 1..=5 {
            hash.put(b",");
            hash.escaped(&String::from_utf8_lossy(r.get_ref(i)?.as_bytes()?));
        }
        for i in 6..=7 {
            let Some(blob) = r.get_ref(i)?.as_blob_or_null()? else { continue };
            hash.put(b",");
            hash.hex_upper(blob);
        }
    }
    hash.put(if first { b"null" } else { b"\"" });
    Ok(())
}

fn digest_of(conn: &Connection, kind: &str, row: &rusqlite::Row<'_>, columns: usize) -> rusqlite::Result<String> {
    let values = (0..columns).map(|i| row.get_ref(i)).collect::<rusqlite::Result<Vec<ValueRef<'_>>>>()?;
    let null = |v: &ValueRef<'_>| matches!(v, ValueRef::Null);
    let mut n = columns;
    let bound = bound_columns(kind).min(columns);
    // The columns added last join only when they hold something, each on its own.
    for _ in 0..optional_tail(kind) {
        if n > bound && null(&values[n - 1]) {
            n -= 1;
        }
    }
    if values[bound..n].iter().all(null) {
        n = bound;
    }
    // The JSON array [kind, columns…] (blobs in hex), hashed as it is written: an import's
    // events make one column of megabytes.
    let mut hash = Hashing(<sha2::Sha256 as sha2::Digest>::new());
    let json = |h: &mut Hashing, v: &dyn erased::Json| v.write(h);
    hash.put(b"[");
    json(&mut hash, &kind);
    for (i, v) in values[..n].iter().enumerate() {
        hash.put(b",");
        if kind == "register_import" && i == EVENTS_COLUMN {
            let ValueRef::Integer(import) = values[0] else {
                return Err(rusqlite::Error::InvalidColumnType(0, "id".into(), values[0].data_type()));
            };
            write_events(conn, import, &mut hash)?;
            continue;
        }
        match v {
            ValueRef::Null => hash.put(b"null"),
            ValueRef::Integer(i) => json(&mut hash, i),
            ValueRef::Real(x) => json(&mut hash, x),
            ValueRef::Text(t) => json(&mut hash, &String::from_utf8_lossy(t).as_ref()),
            ValueRef::Blob(b) => json(&mut hash, &hex::encode(b).as_str()),
        }
    }
    hash.put(b"]");
    Ok(hex::encode(sha2::Digest::finalize(hash.0)))
}

/// A writer that hashes what is written to it.
struct Hashing(sha2::Sha256);

impl Hashing {
    fn put(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.0, bytes);
    }

    /// `bytes` as upper-case hexadecimal, without building the text.
    fn hex_upper(&mut self, bytes: &[u8]) {
        let mut out = [0u8; 128];
        for chunk in bytes.chunks(64) {
            let out = &mut out[..chunk.len() * 2];
            if hex::encode_to_slice_upper(chunk, out).is_ok() {
                self.put(out);
            }
        }
    }

    /// `text` as it stands inside a JSON string (serde_json's escapes, without the quotes).
    fn escaped(&mut self, text: &str) {
        if !text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            self.put(text.as_bytes());
            return;
        }
        let quoted = serde_json::to_string(text).unwrap_or_default();
        self.put(&quoted.as_bytes()[1..quoted.len() - 1]);
    }
}

impl std::io::Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.put(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One value written as serde_json writes it inside an array.
mod erased {
    pub trait Json {
        fn write(&self, out: &mut super::Hashing);
    }

    impl<T: serde::Serialize> Json for T {
        fn write(&self, out: &mut super::Hashing) {
            // Writing into a hash does not fail, and these values always serialise.
            let _ = serde_json::to_writer(out, self);
        }
    }
}

fn sql_err(file: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    |source| StoreError::Sql {
        file: file.to_path_buf(),
        source,
    }
}

/// Every fact of one kind: its key and digest.
fn all_of(conn: &Connection, file: &Path, kind: &'static str) -> Result<Vec<(String, String)>, StoreError> {
    let sql = table_of(kind);
    let mut st = conn.prepare(sql).map_err(sql_err(file))?;
    let columns = st.column_count() - 1;
    let rows = st
        .query_map([], |r| {
            let key = match r.get_ref(columns)? {
                ValueRef::Integer(n) => n.to_string(),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                _ => String::new(),
            };
            Ok((format!("{kind}:{key}"), digest_of(conn, kind, r, columns)?))
        })
        .map_err(sql_err(file))?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err(file))
}

/// The fact `subject` as this connection sees it now.
pub(super) fn fact(conn: &Connection, file: &Path, subject: &Subject) -> Result<Fact, StoreError> {
    let (kind, filter, arg): (&'static str, &str, rusqlite::types::Value) = match subject {
        Subject::Submission(id) => ("submission", " WHERE s.id = ?1", (*id).into()),
        Subject::Review(id) => ("review", " WHERE id = ?1", (*id).into()),
        Subject::Baseline(id) => ("baseline", " WHERE id = ?1", (*id).into()),
        Subject::User(name) => ("user", " WHERE username = ?1", name.clone().into()),
        Subject::Contact(email) => ("contact", " WHERE email = ?1", email.clone().into()),
        Subject::Mail(key) => ("mail", " WHERE key = ?1", key.clone().into()),
        Subject::Outgoing(key) => ("outgoing", " WHERE key = ?1", key.clone().into()),
        Subject::Installation => ("installation", " WHERE id = ?1", 1i64.into()),
        Subject::RegisterImport(id) => ("register_import", " WHERE i.id = ?1", (*id).into()),
    };
    let sql = format!("{}{filter}", table_of(kind));
    let mut st = conn.prepare_cached(&sql).map_err(sql_err(file))?;
    let columns = st.column_count() - 1;
    let digest = st.query_row([arg], |r| digest_of(conn, kind, r, columns)).map_err(sql_err(file))?;
    Ok(Fact {
        subject: subject.key(),
        digest,
        backfilled: false,
    })
}

/// At most this many lines of one kind of problem are listed; the rest are counted.
const LISTED: usize = 20;

/// Every fact against the chain, both ways: a row with no entry (slipped in, or its entry
/// removed), a row whose digest is not the one its latest entry recorded (changed), an entry
/// whose row is gone (deleted). Returns what is wrong, in Chinese.
pub(super) fn check(conn: &Connection, file: &Path) -> Result<Vec<String>, StoreError> {
    // The latest entry of each subject: an account changes, and its latest entry holds.
    let mut entries: HashMap<String, (i64, String)> = HashMap::new();
    {
        let mut st = conn
            .prepare("SELECT id, subject, digest FROM audit_log WHERE subject IS NOT NULL ORDER BY id")
            .map_err(sql_err(file))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)))
            .map_err(sql_err(file))?;
        for row in rows {
            let (id, subject, digest) = row.map_err(sql_err(file))?;
            entries.insert(subject, (id, digest.unwrap_or_default()));
        }
    }
    let mut missing = Vec::new();
    let mut changed = Vec::new();
    let mut facts = 0usize;
    for (kind, _) in TABLES {
        for (key, digest) in all_of(conn, file, kind)? {
            facts += 1;
            match entries.remove(&key) {
                None => missing.push(format!(
                    "{}没有对应的审计日志条目：它是在本程序之外写入的，或其审计条目已被删除",
                    Subject::named(&key)
                )),
                Some((id, d)) if d != digest => changed.push(format!("{}与审计日志第 {id} 条记下的内容不符：该记录已被修改", Subject::named(&key))),
                Some(_) => {}
            }
        }
    }
    let mut gone: Vec<(i64, String)> = entries.into_iter().map(|(k, (id, _))| (id, k)).collect();
    gone.sort();
    let gone: Vec<String> = gone
        .into_iter()
        .map(|(id, key)| format!("审计日志第 {id} 条记录的{}已不存在：该记录已被删除", Subject::named(&key)))
        .collect();
    let mut problems = Vec::new();
    // A person's event outside every import is covered by no digest: said on its own.
    let stray: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM register_events WHERE import_id NOT IN (SELECT id FROM register_imports)",
            [],
            |r| r.get(0),
        )
        .map_err(sql_err(file))?;
    if stray > 0 {
        problems.push(format!("台账中有 {stray} 条人员记录不属于任何一次导入：它们是在本程序之外写入的"));
    }
    // Each person's current state, which counting reads, is a copy of the person's latest
    // event (which the digests cover): one that differs was changed outside this program.
    let astray: i64 = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM register_persons p WHERE NOT EXISTS (
                         SELECT 1 FROM register_current c JOIN register_events e ON e.id = c.event_id
                         WHERE c.person_id = p.id AND c.region = p.region AND e.person_id = p.id
                           AND c.day = e.day AND c.kind = e.kind AND c.import_id = e.import_id
                           AND c.card IS e.card AND (c.card IS NOT NULL OR c.state = e.state)
                           AND e.id = (SELECT x.id FROM register_events x WHERE x.person_id = p.id ORDER BY x.day DESC, x.id DESC LIMIT 1)))
                  + (SELECT COUNT(*) FROM register_current c WHERE NOT EXISTS (SELECT 1 FROM register_persons p WHERE p.id = c.person_id))",
            [],
            |r| r.get(0),
        )
        .map_err(sql_err(file))?;
    if astray > 0 {
        problems.push(format!(
            "台账中有 {astray} 人的当前状态与其最新的一条记录不符：它是在本程序之外改动的（按月统计会因此出错）"
        ));
    }
    let log_entries: i64 = conn.query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0)).map_err(sql_err(file))?;
    if log_entries == 0 && facts > 0 {
        problems.push(format!("审计日志是空的，而库中有 {facts} 条记录：审计日志已被清空"));
    }
    for list in [missing, changed, gone] {
        let n = list.len();
        problems.extend(list.into_iter().take(LISTED));
        if n > LISTED {
            problems.push(format!("（同类问题另有 {} 处未列出）", n - LISTED));
        }
    }
    Ok(problems)
}

/// Entries for the facts an older store holds without one, written once when the store is
/// upgraded to bind its facts (marked as backfilled, at `at`).
pub(super) fn backfill(
    conn: &Connection,
    file: &Path,
    key: Option<&AuditKey>,
    at: chrono::DateTime<chrono::FixedOffset>,
    only: Option<&str>,
) -> Result<usize, StoreError> {
    let mut bound: std::collections::HashSet<String> = std::collections::HashSet::new();
    {
        let mut st = conn.prepare("SELECT subject FROM audit_log WHERE subject IS NOT NULL").map_err(sql_err(file))?;
        let rows = st.query_map([], |r| r.get::<_, String>(0)).map_err(sql_err(file))?;
        for r in rows {
            bound.insert(r.map_err(sql_err(file))?);
        }
    }
    let mut n = 0;
    for (kind, _) in TABLES.iter().filter(|(k, _)| only.is_none_or(|o| o == *k)) {
        for (subject, digest) in all_of(conn, file, kind)? {
            if bound.contains(&subject) {
                continue;
            }
            let description = format!("升级时补记：{}（此前的版本没有为它记审计条目）", Subject::named(&subject));
            let entry = NewAudit {
                at,
                action: "backfill",
                actor: None,
                role: None,
                region: None,
                address: None,
                description: &description,
            };
            let fact = Fact {
                subject,
                digest,
                backfilled: true,
            };
            super::audit::append(conn, file, &entry, Some(&fact), key)?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest as first defined: the JSON array built whole, then hashed. The streaming
    /// digest must give the same for every kind of column, or every bound fact would change.
    fn whole(kind: &str, row: &rusqlite::Row<'_>, columns: usize) -> String {
        let mut values = vec![serde_json::Value::from(kind)];
        for i in 0..columns {
            values.push(match row.get_ref(i).unwrap() {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(n) => n.into(),
                ValueRef::Real(x) => x.into(),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                ValueRef::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect::<String>().into(),
            });
        }
        let bound = bound_columns(kind).min(columns);
        for _ in 0..optional_tail(kind) {
            if values.len() > 1 + bound && values.last().is_some_and(serde_json::Value::is_null) {
                values.pop();
            }
        }
        if values[1 + bound..].iter().all(serde_json::Value::is_null) {
            values.truncate(1 + bound);
        }
        crate::text::sha256_hex(serde_json::Value::Array(values).to_string().as_bytes())
    }

    #[test]
    fn the_streaming_digest_is_the_digest_as_defined() {
        let conn = Connection::open_in_memory().unwrap();
        let rows = [
            "SELECT 1, 'a\"b\\c\n\u{1}兰山区', -2.5, x'00ff10', NULL, CAST(x'ff41' AS TEXT), 1e300 * 1e300, NULL",
            "SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
            "SELECT 7, '', 0.1, x'', 'tail', NULL, NULL, 3",
        ];
        for sql in rows {
            for kind in ["submission", "user", "register_import", "review"] {
                let mut st = conn.prepare(sql).unwrap();
                let (a, b) = st
                    .query_row([], |r| {
                        let columns = r.as_ref().column_count();
                        Ok((whole(kind, r, columns), digest_of(&conn, kind, r, columns).unwrap()))
                    })
                    .unwrap();
                assert_eq!(a, b, "{kind}: {sql}");
            }
        }
    }

    #[test]
    fn an_imports_events_are_digested_as_first_defined() {
        let d = tempfile::tempdir().unwrap();
        let store = crate::Store::open(d.path()).unwrap();
        let conn = &store.conn;
        conn.execute_batch(
            "INSERT INTO register_imports (id, region, at, by, file_name, sha256, key_id, persons, added, changed, removed, layout)
                 VALUES (1, '371302', '2026-11-02T09:00:00+08:00', NULL, 'a.xlsx', 'ab', 'k1', 2, 2, 0, 0, NULL),
                        (2, '371302', '2026-11-20T09:00:00+08:00', 'x', 'b.xlsx', 'cd', 'k1', 2, 0, 1, 0, '[{\"key\":\"性别\"}]'),
                        (3, '371302', '2026-11-21T09:00:00+08:00', 'x', 'c.xlsx', 'ef', 'k1', 2, 0, 0, 0, '[]');
             INSERT INTO register_persons (id, region, person) VALUES (1, '371302', 'aa11'), (2, '371302', 'bb22');
             INSERT INTO register_events (id, person_id, import_id, day, kind, state, sealed, card) VALUES
                 (1, 1, 1, '2015-10-08', '建卡', '{\"街道（乡镇）\":\"岸堤镇\",\"就业情况\":[\"外出务工（县外）\"],\"x\":\"a\\\\b\\n\"}', x'00ff', NULL),
                 (2, 2, 1, '2016-01-02', '建卡', '{}', x'', NULL),
                 (3, 1, 2, '2026-11-20', '变动', '', x'0102', x'0aB0ff');",
        )
        .unwrap();
        let sql = |card: &str| {
            format!(
                "SELECT i.id, i.region, i.at, i.by, i.file_name, i.sha256, i.key_id, i.persons, i.added, i.changed, i.removed,
                    (SELECT group_concat(e.id || ',' || p.region || ',' || p.person || ',' || e.day || ',' || e.kind || ',' || e.state || ',' || hex(e.sealed){card}, ';' ORDER BY e.id)
                     FROM register_events e JOIN register_persons p ON p.id = e.person_id WHERE e.import_id = i.id),
                    i.layout, i.id
                 FROM register_imports i WHERE i.id = ?1"
            )
        };
        let digest = |sql: &str, import: i64| {
            conn.query_row(sql, [import], |r| Ok(whole("register_import", r, r.as_ref().column_count() - 1)))
                .unwrap()
        };
        let first = sql("");
        let compact = sql(" || CASE WHEN e.card IS NULL THEN '' ELSE ',' || hex(e.card) END");
        for import in 1..=3 {
            let now = fact(conn, d.path(), &Subject::RegisterImport(import)).unwrap().digest;
            assert_eq!(digest(&compact, import), now, "import {import}");
        }
        // An import of the first version keeps the digest its entry recorded.
        assert_eq!(digest(&first, 1), fact(conn, d.path(), &Subject::RegisterImport(1)).unwrap().digest);
    }
}
