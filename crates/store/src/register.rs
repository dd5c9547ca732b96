//! The registers behind the sheets: imports, persons (by a keyed digest of the 身份证号) and
//! their dated events, each event holding the card's state from its day on.

use super::{Store, StoreError, Txn};
use rusqlite::{OptionalExtension, params};

/// The card's clear fields as stored: a compact record, read by the layout of the import that
/// wrote it, or JSON as the first imports wrote it.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredClear {
    Compact(Vec<u8>),
    Json(String),
}

impl StoredClear {
    pub fn as_ref(&self) -> ClearRef<'_> {
        match self {
            StoredClear::Compact(b) => ClearRef::Compact(b),
            StoredClear::Json(t) => ClearRef::Json(t),
        }
    }
}

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
    /// The import that wrote it (whose layout reads `clear`).
    pub import_id: i64,
    pub clear: StoredClear,
    /// The personal fields, sealed.
    pub sealed: Vec<u8>,
}

/// What counting needs of a person at a day: no digest, nothing sealed.
#[derive(Debug, Clone)]
pub struct Counted<'r> {
    pub day: &'r str,
    pub kind: &'r str,
    pub import_id: i64,
    pub clear: ClearRef<'r>,
}

/// A stored clear part as borrowed from its row (see [`StoredClear`]).
#[derive(Debug, Clone, Copy)]
pub enum ClearRef<'r> {
    Compact(&'r [u8]),
    Json(&'r str),
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
    /// The clear fields' keys and options, by which its compact records are read.
    pub layout: &'a str,
}

/// A person an import adds: the keyed digest of the 身份证号 and the first events.
pub struct NewPerson<'a> {
    pub person: &'a str,
    pub events: Vec<NewEvent<'a>>,
}

/// One event an import writes for a person.
pub struct NewEvent<'a> {
    pub day: &'a str,
    pub kind: &'a str,
    /// The clear fields, compact.
    pub card: &'a [u8],
    pub sealed: &'a [u8],
}

/// Column `i` of a row as text, borrowed (NULL as empty).
fn text_at<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    use rusqlite::types::{Type, ValueRef};
    match r.get_ref(i)? {
        ValueRef::Null => Ok(""),
        v => v.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e))),
    }
}

/// The clear part stored in columns `json` (the first imports' JSON) and `json + 1` (the
/// compact record, a BLOB column), borrowed from the row.
fn clear_ref<'r>(r: &'r rusqlite::Row<'_>, json: usize) -> rusqlite::Result<ClearRef<'r>> {
    Ok(match r.get_ref(json + 1)? {
        rusqlite::types::ValueRef::Blob(card) => ClearRef::Compact(card),
        _ => ClearRef::Json(text_at(r, json)?),
    })
}

fn clear_of(r: &rusqlite::Row<'_>, json: usize) -> rusqlite::Result<StoredClear> {
    Ok(match clear_ref(r, json)? {
        ClearRef::Compact(card) => StoredClear::Compact(card.to_vec()),
        ClearRef::Json(text) => StoredClear::Json(text.to_string()),
    })
}

/// The columns of a person's state, from `p` (the person), `c` (the state) and `e` (its event,
/// for the sealed part).
const STATE_COLUMNS: &str = "p.id, p.person, c.region, c.day, c.kind, c.import_id, c.state, c.card, e.sealed";

fn state_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PersonState> {
    Ok(PersonState {
        person_id: r.get(0)?,
        person: r.get(1)?,
        region: r.get(2)?,
        day: r.get(3)?,
        kind: r.get(4)?,
        import_id: r.get(5)?,
        clear: clear_of(r, 6)?,
        sealed: r.get(8)?,
    })
}

/// The kind of a closed state: a person recorded under a personal-data key since lost, closed
/// by an import under a new key. From its day on the person is not in the register: the
/// queries of states, counting and duplicates leave it out (the months before still read the
/// person's earlier events).
pub const REKEYED: &str = "换钥封存";

/// The persons of `region` (`?1`) as they stood at the end of day `?2`, as `c` (day, kind,
/// import_id, state, card, person_id, event_id): the current state when it began on or before
/// the day (the region's persons in one sweep), else the person's latest event on or before the
/// day; persons carded later are not there, nor those closed by then ([`REKEYED`]: a closing is
/// a person's last event, so the latest event before a later current state is never one).
fn at_day(columns: &str, joins: &str) -> String {
    format!(
        "SELECT {columns} FROM register_current c {joins}
         WHERE c.region = ?1 AND c.day <= ?2 AND c.kind != '{REKEYED}'
         UNION ALL
         SELECT {columns} FROM (
             SELECT x.day, x.kind, x.import_id, x.state, x.card, x.person_id, x.id AS event_id, l.region
             FROM register_current l JOIN register_events x ON x.id = (
                 SELECT y.id FROM register_events y WHERE y.person_id = l.person_id AND y.day <= ?2
                 ORDER BY y.day DESC, y.id DESC LIMIT 1)
             WHERE l.region = ?1 AND l.day > ?2) c {joins}"
    )
}

/// What a state needs besides the current table: the person's digest and the sealed part.
const STATE_JOINS: &str = "JOIN register_persons p ON p.id = c.person_id JOIN register_events e ON e.id = c.event_id";

fn counting(conn: &rusqlite::Connection, region: &str, day: &str, mut each: impl FnMut(Counted<'_>)) -> rusqlite::Result<usize> {
    let mut st = conn.prepare_cached(&at_day("c.day, c.kind, c.import_id, c.state, c.card", ""))?;
    let mut rows = st.query(params![region, day])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        each(Counted {
            day: text_at(r, 0)?,
            kind: text_at(r, 1)?,
            import_id: r.get(2)?,
            clear: clear_ref(r, 3)?,
        });
        n += 1;
    }
    Ok(n)
}

/// Each person of `region` as the register stood at the end of `day` (now, when None), by id;
/// none closed ([`REKEYED`]).
fn states(conn: &rusqlite::Connection, region: &str, day: Option<&str>) -> rusqlite::Result<Vec<PersonState>> {
    match day {
        Some(day) => {
            let mut st = conn.prepare_cached(&format!("{} ORDER BY 1", at_day(STATE_COLUMNS, STATE_JOINS)))?;
            st.query_map(params![region, day], state_row)?.collect()
        }
        None => {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {STATE_COLUMNS} FROM register_current c {STATE_JOINS} WHERE c.region = ?1 AND c.kind != '{REKEYED}' ORDER BY 1"
            ))?;
            st.query_map([region], state_row)?.collect()
        }
    }
}

fn layouts(conn: &rusqlite::Connection, region: &str) -> rusqlite::Result<Vec<(i64, Option<String>)>> {
    let mut st = conn.prepare_cached("SELECT id, layout FROM register_imports WHERE region = ?1 ORDER BY id")?;
    st.query_map([region], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}

impl Store {
    /// Each person of `region`'s register as it stood at the end of `day` (YYYY-MM-DD), or as
    /// it stands now; persons carded later are not there.
    pub fn register_states(&self, region: &str, day: Option<&str>) -> Result<Vec<PersonState>, StoreError> {
        states(&self.conn, region, day).map_err(self.sql())
    }

    /// One person of `region`'s register as it stands now.
    pub fn register_person_state(&self, region: &str, person: i64) -> Result<Option<PersonState>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {STATE_COLUMNS} FROM register_current c {STATE_JOINS} WHERE c.region = ?1 AND c.person_id = ?2 AND c.kind != '{REKEYED}'"
            ))
            .map_err(self.sql())?;
        st.query_row(params![region, person], state_row).optional().map_err(self.sql())
    }

    /// What counting needs of each person of `region` at the end of `day`, handed to `each`
    /// as borrowed from the row (a province's month is millions of rows: none is copied).
    /// Returns how many.
    pub fn register_counting(&self, region: &str, day: &str, each: impl FnMut(Counted<'_>)) -> Result<usize, StoreError> {
        counting(&self.conn, region, day, each).map_err(self.sql())
    }

    /// The layout each import of `region`'s register wrote its compact records with (None for
    /// the first imports, which wrote JSON).
    pub fn register_layouts(&self, region: &str) -> Result<Vec<(i64, Option<String>)>, StoreError> {
        layouts(&self.conn, region).map_err(self.sql())
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
            .prepare_cached(&format!(
                "WITH latest AS (
                     SELECT p.person, c.region FROM register_current c JOIN register_persons p ON p.id = c.person_id
                     WHERE c.kind NOT IN ('脱贫销号', '{REKEYED}'))
                 SELECT a.region, b.region, COUNT(*) FROM latest a JOIN latest b ON a.person = b.person AND a.region < b.region
                 GROUP BY a.region, b.region ORDER BY a.region, b.region"
            ))
            .map_err(self.sql())?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(self.sql())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.sql())
    }

    /// Settings for a bulk load, for this connection: a larger page cache (a province's
    /// registers are millions of rows, and each index insert lands on a page of its own) of
    /// `mb` megabytes, and the log copied into the database every `mb` megabytes rather than
    /// after every county's transaction (each commit is still synced).
    pub fn bulk_cache(&self, mb: i64) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "cache_size", -mb * 1024).map_err(self.sql())?;
        let page: i64 = self.conn.pragma_query_value(None, "page_size", |r| r.get(0)).map_err(self.sql())?;
        self.conn
            .pragma_update(None, "wal_autocheckpoint", mb * 1024 * 1024 / page.max(512))
            .map_err(self.sql())
    }

    /// For a first load of registers into a store that holds none: leaves the index of persons
    /// by their digest to be built once at the end (see [`Store::rebuild_register_indexes`])
    /// instead of taking each of millions of persons at a random place. Returns whether it did.
    pub fn defer_register_indexes(&self) -> Result<bool, StoreError> {
        let first: bool = self
            .conn
            .query_row("SELECT NOT EXISTS (SELECT 1 FROM register_imports)", [], |r| r.get(0))
            .map_err(self.sql())?;
        if first {
            self.conn
                .execute_batch("DROP INDEX IF EXISTS register_persons_by_person;")
                .map_err(self.sql())?;
        }
        Ok(first)
    }

    /// Builds the register's indexes a first load left (see
    /// [`Store::defer_register_indexes`]); nothing when they are there. Also done whenever the
    /// store is opened, so that a load that stopped half way leaves no index missing.
    pub fn rebuild_register_indexes(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("CREATE INDEX IF NOT EXISTS register_persons_by_person ON register_persons (person);")
            .map_err(self.sql())
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
        states(&self.tx, region, day).map_err(self.sql())
    }

    /// [`Store::register_counting`] inside this transaction.
    pub fn register_counting(&self, region: &str, day: &str, each: impl FnMut(Counted<'_>)) -> Result<usize, StoreError> {
        counting(&self.tx, region, day, each).map_err(self.sql())
    }

    /// The layouts of `region`'s imports (see [`Store::register_layouts`]), inside this transaction.
    pub fn register_layouts(&self, region: &str) -> Result<Vec<(i64, Option<String>)>, StoreError> {
        layouts(&self.tx, region).map_err(self.sql())
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
                "INSERT INTO register_imports (region, at, by, file_name, sha256, key_id, persons, added, changed, removed, layout)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, 0, 0, ?7)",
                params![i.region, i.at, i.by, i.file_name, i.sha256, i.key_id, i.layout],
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

    /// Adds persons to `region`'s register, each with its first events (in order: the last is
    /// its current state).
    pub fn add_register_persons(&self, region: &str, import_id: i64, persons: &[NewPerson<'_>]) -> Result<(), StoreError> {
        let mut ins = self
            .tx
            .prepare_cached("INSERT INTO register_persons (region, person) VALUES (?1, ?2)")
            .map_err(self.sql())?;
        let mut events = self.event_statements()?;
        for p in persons {
            ins.execute(params![region, p.person]).map_err(self.sql())?;
            let pid = self.tx.last_insert_rowid();
            self.insert_events(&mut events, region, pid, import_id, &p.events)?;
        }
        Ok(())
    }

    /// Adds events to a person of `region`'s register (in order: the last is the person's
    /// current state).
    pub fn add_register_events(&self, region: &str, person_id: i64, import_id: i64, events: &[NewEvent<'_>]) -> Result<(), StoreError> {
        let mut st = self.event_statements()?;
        self.insert_events(&mut st, region, person_id, import_id, events)
    }

    /// The statements that add an event and set the current state, prepared once for many
    /// persons.
    fn event_statements(&self) -> Result<[rusqlite::CachedStatement<'_>; 2], StoreError> {
        let event = self
            .tx
            .prepare_cached("INSERT INTO register_events (person_id, import_id, day, kind, state, card, sealed) VALUES (?1, ?2, ?3, ?4, '', ?5, ?6)")
            .map_err(self.sql())?;
        let current = self
            .tx
            .prepare_cached(
                "INSERT INTO register_current (region, person_id, event_id, day, kind, import_id, card, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)
                 ON CONFLICT (region, person_id) DO UPDATE SET event_id = excluded.event_id, day = excluded.day, kind = excluded.kind,
                     import_id = excluded.import_id, card = excluded.card, state = NULL",
            )
            .map_err(self.sql())?;
        Ok([event, current])
    }

    fn insert_events(
        &self,
        [event, current]: &mut [rusqlite::CachedStatement<'_>; 2],
        region: &str,
        person_id: i64,
        import_id: i64,
        events: &[NewEvent<'_>],
    ) -> Result<(), StoreError> {
        for e in events {
            event
                .execute(params![person_id, import_id, e.day, e.kind, e.card, e.sealed])
                .map_err(self.sql())?;
        }
        let Some(e) = events.last() else { return Ok(()) };
        let event_id = self.tx.last_insert_rowid();
        current
            .execute(params![region, person_id, event_id, e.day, e.kind, import_id, e.card])
            .map_err(self.sql())?;
        Ok(())
    }
}
