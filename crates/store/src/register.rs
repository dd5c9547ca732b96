//! The registers behind the sheets: imports, persons (by a keyed digest of the 身份证号) and
//! their dated events, each event holding the card's state from its day on.

use super::{Store, StoreError, Txn};
use rusqlite::{OptionalExtension, params};

/// One person's state at a day: the latest event on or before it.
#[derive(Debug, Clone)]
pub struct PersonState {
    pub person_id: i64,
    /// The keyed digest of the 身份证号.
    pub person: String,
    pub region: String,
    /// When this state began (YYYY-MM-DD).
    pub day: String,
    /// 建卡, 变动, 脱贫销号 or 返贫挂号.
    pub kind: String,
    /// The card's clear fields (JSON).
    pub state: String,
    /// The personal fields, sealed.
    pub sealed: Vec<u8>,
}

/// One import of a county's register.
#[derive(Debug, Clone)]
pub struct RegisterImport {
    pub id: i64,
    pub region: String,
    pub at: String,
    pub by: Option<String>,
    pub file_name: String,
    pub sha256: String,
    pub key_id: String,
    pub persons: i64,
    pub added: i64,
    pub changed: i64,
    pub removed: i64,
}

/// What an import writes before its counts are known.
pub struct NewImport<'a> {
    pub region: &'a str,
    pub at: &'a str,
    pub by: Option<&'a str>,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub key_id: &'a str,
}

const STATE_COLUMNS: &str = "p.id, p.person, p.region, e.day, e.kind, e.state, e.sealed";

fn state_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PersonState> {
    Ok(PersonState {
        person_id: r.get(0)?,
        person: r.get(1)?,
        region: r.get(2)?,
        day: r.get(3)?,
        kind: r.get(4)?,
        state: r.get(5)?,
        sealed: r.get(6)?,
    })
}

/// The latest event of each person of `region` on or before `day` (ever, when None); of one
/// person only when `person` is given.
fn states(conn: &rusqlite::Connection, region: &str, day: Option<&str>, person: Option<i64>) -> rusqlite::Result<Vec<PersonState>> {
    let sql = format!(
        "SELECT {STATE_COLUMNS} FROM register_persons p
         JOIN register_events e ON e.id = (
             SELECT x.id FROM register_events x WHERE x.person_id = p.id AND (?2 IS NULL OR x.day <= ?2)
             ORDER BY x.day DESC, x.id DESC LIMIT 1)
         WHERE p.region = ?1 AND (?3 IS NULL OR p.id = ?3)
         ORDER BY p.id"
    );
    let mut st = conn.prepare_cached(&sql)?;
    st.query_map(params![region, day, person], state_row)?.collect()
}

impl Store {
    /// Each person of `region`'s register as it stood at the end of `day` (YYYY-MM-DD), or as
    /// it stands now; persons carded later are not there.
    pub fn register_states(&self, region: &str, day: Option<&str>) -> Result<Vec<PersonState>, StoreError> {
        states(&self.conn, region, day, None).map_err(self.sql())
    }

    /// One person of `region`'s register as it stands now.
    pub fn register_person_state(&self, region: &str, person: i64) -> Result<Option<PersonState>, StoreError> {
        Ok(states(&self.conn, region, None, Some(person)).map_err(self.sql())?.pop())
    }

    /// What counting needs of each person of `region` at the end of `day`: the kind and day of
    /// the latest event and its clear state (no digest, nothing sealed).
    pub fn register_counting(&self, region: &str, day: &str) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT e.kind, e.day, e.state FROM register_persons p
                 JOIN register_events e ON e.id = (
                     SELECT x.id FROM register_events x WHERE x.person_id = p.id AND x.day <= ?2
                     ORDER BY x.day DESC, x.id DESC LIMIT 1)
                 WHERE p.region = ?1",
            )
            .map_err(self.sql())?;
        let rows = st
            .query_map(params![region, day], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(self.sql())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.sql())
    }

    /// The imports of `region`'s register, oldest first.
    pub fn register_imports(&self, region: &str) -> Result<Vec<RegisterImport>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, region, at, by, file_name, sha256, key_id, persons, added, changed, removed
                 FROM register_imports WHERE region = ?1 ORDER BY id",
            )
            .map_err(self.sql())?;
        let rows = st
            .query_map([region], |r| {
                Ok(RegisterImport {
                    id: r.get(0)?,
                    region: r.get(1)?,
                    at: r.get(2)?,
                    by: r.get(3)?,
                    file_name: r.get(4)?,
                    sha256: r.get(5)?,
                    key_id: r.get(6)?,
                    persons: r.get(7)?,
                    added: r.get(8)?,
                    changed: r.get(9)?,
                    removed: r.get(10)?,
                })
            })
            .map_err(self.sql())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.sql())
    }

    /// The personal-data key every import so far was sealed with, if any.
    pub fn register_key_id(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT key_id FROM register_imports ORDER BY id DESC LIMIT 1", [], |r| r.get(0))
            .optional()
            .map_err(self.sql())
    }

    /// Persons in two registers at once (by the digest of their 身份证号), as they stand now:
    /// each pair of regions with how many they share. No person is named.
    pub fn register_duplicate_pairs(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "WITH latest AS (
                     SELECT p.person, p.region FROM register_persons p
                     JOIN register_events e ON e.id = (
                         SELECT x.id FROM register_events x WHERE x.person_id = p.id ORDER BY x.day DESC, x.id DESC LIMIT 1)
                     WHERE e.kind != '脱贫销号')
                 SELECT a.region, b.region, COUNT(*) FROM latest a JOIN latest b ON a.person = b.person AND a.region < b.region
                 GROUP BY a.region, b.region ORDER BY a.region, b.region",
            )
            .map_err(self.sql())?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(self.sql())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.sql())
    }

    /// A larger page cache for a bulk load (a province's registers are millions of rows, and
    /// each index insert lands on a page of its own): `mb` megabytes, for this connection.
    pub fn bulk_cache(&self, mb: i64) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "cache_size", -mb * 1024).map_err(self.sql())
    }

    /// The regions that hold a register.
    pub fn register_regions(&self) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT DISTINCT region FROM register_imports ORDER BY region")
            .map_err(self.sql())?;
        let rows = st.query_map([], |r| r.get(0)).map_err(self.sql())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.sql())
    }
}

impl Txn<'_> {
    /// Each person of `region` as the register stood at the end of `day` (now, when None),
    /// inside this transaction.
    pub fn register_states(&self, region: &str, day: Option<&str>) -> Result<Vec<PersonState>, StoreError> {
        states(&self.tx, region, day, None).map_err(self.sql())
    }

    /// Whether `region`'s register was imported on or after `day` (YYYY-MM-DD): it covers the
    /// month that begins then.
    pub fn register_covers(&self, region: &str, day: &str) -> Result<bool, StoreError> {
        self.tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM register_imports WHERE region = ?1 AND at >= ?2)",
                params![region, day],
                |r| r.get(0),
            )
            .map_err(self.sql())
    }

    pub fn add_register_import(&self, i: &NewImport<'_>) -> Result<i64, StoreError> {
        self.tx
            .execute(
                "INSERT INTO register_imports (region, at, by, file_name, sha256, key_id, persons, added, changed, removed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, 0, 0)",
                params![i.region, i.at, i.by, i.file_name, i.sha256, i.key_id],
            )
            .map_err(self.sql())?;
        Ok(self.tx.last_insert_rowid())
    }

    /// The counts of an import, once its events are written.
    pub fn set_register_counts(&self, id: i64, persons: i64, added: i64, changed: i64, removed: i64) -> Result<(), StoreError> {
        self.tx
            .execute(
                "UPDATE register_imports SET persons = ?2, added = ?3, changed = ?4, removed = ?5 WHERE id = ?1",
                params![id, persons, added, changed, removed],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// The id of `person` in `region`'s register, adding it the first time.
    pub fn register_person(&self, region: &str, person: &str) -> Result<i64, StoreError> {
        let mut ins = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO register_persons (region, person) VALUES (?1, ?2)")
            .map_err(self.sql())?;
        if ins.execute(params![region, person]).map_err(self.sql())? == 1 {
            return Ok(self.tx.last_insert_rowid());
        }
        let mut st = self
            .tx
            .prepare_cached("SELECT id FROM register_persons WHERE region = ?1 AND person = ?2")
            .map_err(self.sql())?;
        st.query_row(params![region, person], |r| r.get(0)).map_err(self.sql())
    }

    pub fn add_register_event(&self, person_id: i64, import_id: i64, day: &str, kind: &str, state: &str, sealed: &[u8]) -> Result<(), StoreError> {
        let mut st = self
            .tx
            .prepare_cached("INSERT INTO register_events (person_id, import_id, day, kind, state, sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .map_err(self.sql())?;
        st.execute(params![person_id, import_id, day, kind, state, sealed]).map_err(self.sql())?;
        Ok(())
    }
}
