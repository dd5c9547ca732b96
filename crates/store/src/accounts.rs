//! Accounts, sessions and failed logins of the portal, in the store's SQLite file. Passwords are
//! kept only as argon2id hashes (made by the workflow); of a session token only its SHA-256.
//! Accounts are disabled, never deleted, so that the uploads they made keep a name.

use super::audit::NewAudit;
use super::facts::Subject;
use super::{Store, StoreError, stamp};
use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};

/// One account as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    #[serde(skip)]
    pub password_hash: String,
    /// `reporter`, `reviewer`, `admin`, `secadmin` or `auditor`.
    pub role: String,
    pub region: String,
    pub disabled: bool,
    pub created_at: String,
    /// The password was set by an administrator and must be changed at the next login.
    pub must_change: bool,
    pub password_set_at: Option<String>,
    /// May see the register's personal information in full: who granted it and when.
    pub personal_grant: Option<String>,
}

const USER_COLUMNS: &str = "id, username, password_hash, role, region, disabled, created_at, must_change, password_set_at, personal_grant";
const USER_FIELDS: usize = 10;

fn user_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        password_hash: r.get(2)?,
        role: r.get(3)?,
        region: r.get(4)?,
        disabled: r.get::<_, i64>(5)? != 0,
        created_at: r.get(6)?,
        must_change: r.get::<_, i64>(7)? != 0,
        password_set_at: r.get(8)?,
        personal_grant: r.get(9)?,
    })
}

impl Store {
    /// Creates an account; `audit` records it, in the same transaction, bound to the new row.
    #[allow(clippy::too_many_arguments)]
    pub fn add_user(
        &mut self,
        username: &str,
        password_hash: &str,
        role: &str,
        region: &str,
        must_change: bool,
        at: DateTime<FixedOffset>,
        audit: &NewAudit<'_>,
    ) -> Result<i64, StoreError> {
        let tx = self.begin()?;
        tx.tx
            .execute(
                "INSERT INTO users (username, password_hash, role, region, created_at, must_change, password_set_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)",
                params![username, password_hash, role, region, stamp(at), must_change as i64],
            )
            .map_err(tx.sql())?;
        let id = tx.tx.last_insert_rowid();
        tx.audit_fact(audit, &Subject::User(username.to_string()))?;
        tx.commit()?;
        Ok(id)
    }

    pub fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.conn
            .query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"), [username], user_of)
            .optional()
            .map_err(self.sql())
    }

    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut st = self
            .conn
            .prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY region, username"))
            .map_err(self.sql())?;
        let rows = st.query_map([], user_of).map_err(self.sql())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.sql())
    }

    /// Disables or enables an account, with the entry that records it (bound to the row).
    pub fn set_disabled(&mut self, username: &str, disabled: bool, audit: &NewAudit<'_>) -> Result<bool, StoreError> {
        self.change_user(username, audit, |tx| {
            tx.execute("UPDATE users SET disabled = ?2 WHERE username = ?1", params![username, disabled as i64])
        })
    }

    /// Grants (Some: who and when) or withdraws (None) the sight of the register's personal
    /// information, with the entry that records it (bound to the row).
    pub fn set_personal_grant(&mut self, username: &str, grant: Option<&str>, audit: &NewAudit<'_>) -> Result<bool, StoreError> {
        self.change_user(username, audit, |tx| {
            tx.execute("UPDATE users SET personal_grant = ?2 WHERE username = ?1", params![username, grant])
        })
    }

    /// A new password; `must_change` when an administrator set it for someone else. With the
    /// entry that records it (bound to the row).
    pub fn set_password_hash(
        &mut self,
        username: &str,
        hash: &str,
        must_change: bool,
        at: DateTime<FixedOffset>,
        audit: &NewAudit<'_>,
    ) -> Result<bool, StoreError> {
        self.change_user(username, audit, |tx| {
            tx.execute(
                "UPDATE users SET password_hash = ?2, must_change = ?3, password_set_at = ?4 WHERE username = ?1",
                params![username, hash, must_change as i64, stamp(at)],
            )
        })
    }

    /// One change to an account and its audit entry, in one transaction; false when there is
    /// no such account (nothing is written).
    fn change_user(
        &mut self,
        username: &str,
        audit: &NewAudit<'_>,
        change: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<usize>,
    ) -> Result<bool, StoreError> {
        let tx = self.begin()?;
        let n = change(&tx.tx).map_err(tx.sql())?;
        if n != 1 {
            return Ok(false);
        }
        tx.audit_fact(audit, &Subject::User(username.to_string()))?;
        tx.commit()?;
        Ok(true)
    }

    /// Ends every open session of an account (disabled, or its password changed).
    pub fn end_sessions_of(&self, username: &str, at: DateTime<FixedOffset>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE sessions SET ended_at = ?2 WHERE ended_at IS NULL AND user_id = (SELECT id FROM users WHERE username = ?1)",
                params![username, stamp(at)],
            )
            .map(|_| ())
            .map_err(self.sql())
    }

    /// Ends every open session of an account but one (its owner changed the password there).
    pub fn end_other_sessions_of(&self, username: &str, keep_sha256: &str, at: DateTime<FixedOffset>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE sessions SET ended_at = ?3 WHERE ended_at IS NULL AND token_sha256 != ?2 AND user_id = (SELECT id FROM users WHERE username = ?1)",
                params![username, keep_sha256, stamp(at)],
            )
            .map(|_| ())
            .map_err(self.sql())
    }

    /// The password is too old: its owner must change it.
    pub fn set_must_change(&self, username: &str) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE users SET must_change = 1 WHERE username = ?1", [username])
            .map(|_| ())
            .map_err(self.sql())
    }

    pub fn add_session(&self, token_sha256: &str, user_id: i64, at: DateTime<FixedOffset>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO sessions (token_sha256, user_id, created_at, last_seen) VALUES (?1, ?2, ?3, ?3)",
                params![token_sha256, user_id, stamp(at)],
            )
            .map(|_| ())
            .map_err(self.sql())
    }

    /// An open session and its account: (user, last seen).
    pub fn session(&self, token_sha256: &str) -> Result<Option<(User, DateTime<FixedOffset>)>, StoreError> {
        let cols: Vec<String> = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect();
        self.conn
            .query_row(
                &format!(
                    "SELECT {}, s.last_seen FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_sha256 = ?1 AND s.ended_at IS NULL",
                    cols.join(", ")
                ),
                [token_sha256],
                |r| Ok((user_of(r)?, r.get::<_, String>(USER_FIELDS)?)),
            )
            .optional()
            .map_err(self.sql())?
            .map(|(u, seen)| {
                DateTime::parse_from_rfc3339(&seen).map(|t| (u, t)).map_err(|e| StoreError::Corrupt {
                    file: self.file.clone(),
                    id: 0,
                    what: format!("会话时间“{seen}”无法识别（{e}）"),
                })
            })
            .transpose()
    }

    pub fn touch_session(&self, token_sha256: &str, at: DateTime<FixedOffset>) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE sessions SET last_seen = ?2 WHERE token_sha256 = ?1", params![token_sha256, stamp(at)])
            .map(|_| ())
            .map_err(self.sql())
    }

    pub fn end_session(&self, token_sha256: &str, at: DateTime<FixedOffset>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE sessions SET ended_at = ?2 WHERE token_sha256 = ?1 AND ended_at IS NULL",
                params![token_sha256, stamp(at)],
            )
            .map(|_| ())
            .map_err(self.sql())
    }

    pub fn add_login_failure(&self, username: &str, address: &str, at: DateTime<FixedOffset>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO login_failures (username, address, at) VALUES (?1, ?2, ?3)",
                params![username, address, stamp(at)],
            )
            .map(|_| ())
            .map_err(self.sql())
    }

    /// A successful login: the failures before it no longer count towards a lockout.
    pub fn clear_login_failures(&self, username: &str) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE login_failures SET cleared = 1 WHERE username = ?1 AND cleared = 0", [username])
            .map(|_| ())
            .map_err(self.sql())
    }

    /// When the last `n` failed logins for `username` since its last success happened, newest
    /// first.
    pub fn last_login_failures(&self, username: &str, n: usize) -> Result<Vec<DateTime<FixedOffset>>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT at FROM login_failures WHERE username = ?1 AND cleared = 0 ORDER BY id DESC LIMIT ?2")
            .map_err(self.sql())?;
        let rows = st.query_map(params![username, n as i64], |r| r.get::<_, String>(0)).map_err(self.sql())?;
        let mut out = Vec::new();
        for t in rows {
            let t = t.map_err(self.sql())?;
            if let Ok(t) = DateTime::parse_from_rfc3339(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Failed logins since `since`: (for this username, from this address).
    pub fn login_failures_since(&self, username: &str, address: &str, since: DateTime<FixedOffset>) -> Result<(i64, i64), StoreError> {
        let count = |col: &str, v: &str| -> Result<i64, StoreError> {
            self.conn
                .query_row(
                    &format!("SELECT COUNT(*) FROM login_failures WHERE {col} = ?1 AND at >= ?2"),
                    params![v, stamp(since)],
                    |r| r.get(0),
                )
                .map_err(self.sql())
        };
        Ok((count("username", username)?, count("address", address)?))
    }
}
