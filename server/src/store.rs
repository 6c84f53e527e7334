//! Persistence: one SQLite database (a WAL-mode file, or in memory) plus an in-memory
//! copy of every active template per gallery, so searches never touch the disk.
//!
//! Every mutation commits a transaction before the cache is updated, and the database
//! runs `synchronous=FULL`, so a write the client saw acknowledged survives `kill -9`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use time::{OffsetDateTime, format_description::FormatItem, macros::format_description};

use crate::config::{DEFAULT_GALLERY_ID, DevCredentials, GallerySeed, Storage};

const LAST_UPDATED: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+00:00");

/// A database failure (answered with a 500, except unique-constraint races, which the
/// HTTP layer answers as Duplicate).
#[derive(Debug, thiserror::Error)]
#[error("storage error: {message}")]
pub struct StoreError {
    message: String,
    constraint: bool,
}

impl StoreError {
    /// Whether a UNIQUE (or other) constraint refused the write.
    pub fn is_constraint(&self) -> bool {
        self.constraint
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        let constraint = matches!(
            &e,
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation
        );
        StoreError {
            message: e.to_string(),
            constraint,
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError {
            message: e.to_string(),
            constraint: false,
        }
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// The current time in the `lastUpdated` format (`2018-12-18T00:27:56.427+00:00`).
pub fn now_string() -> String {
    OffsetDateTime::now_utc()
        .format(LAST_UPDATED)
        .unwrap_or_default()
}

/// A gallery row.
#[derive(Debug, Clone)]
pub struct Gallery {
    pub id: String,
    pub name: String,
    pub description: String,
    pub size: u64,
    pub face_min_quality: Option<f64>,
}

/// An application row (its API key opens one gallery).
#[derive(Clone)]
pub struct Application {
    pub id: String,
    pub gallery_id: String,
    pub name: String,
    pub description: String,
    pub api_key: String,
    pub face_min_quality: Option<f64>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("id", &self.id)
            .field("gallery_id", &self.gallery_id)
            .field("name", &self.name)
            .field("api_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// One active event as the search cache keeps it.
#[derive(Debug, Clone)]
pub struct CachedEvent {
    pub subject_id: String,
    pub event_id: String,
    pub tags: Vec<String>,
    pub template: Vec<u8>,
}

/// One row of list subjects.
#[derive(Debug, Clone)]
pub struct SubjectRow {
    pub subject_id: String,
    pub event_id: String,
    pub status: String,
    pub last_updated: String,
}

/// A new event to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub tags: Vec<String>,
    pub template: Vec<u8>,
    pub attributes_json: String,
    /// The face crop for the console (`None` with the console off).
    pub crop: Option<crate::crop::Crop>,
}

/// One event as the console shows it (its latest row).
#[derive(Debug, Clone)]
pub struct EventView {
    pub event_id: String,
    pub status: String,
    pub last_updated: String,
    pub tags: Vec<String>,
    pub attributes_json: String,
    /// Rows this event id has (1 + updates and re-tags).
    pub versions: u64,
    /// The stored crop's region, when there is a crop.
    pub crop_region: Option<[f64; 4]>,
}

/// One subject of the console's subject list.
#[derive(Debug, Clone)]
pub struct SubjectView {
    pub subject_id: String,
    /// `A` while one of its events is active, else `D`.
    pub status: String,
    pub last_updated: String,
    pub events: Vec<EventView>,
}

/// A bulk batch as the console lists it.
#[derive(Debug, Clone)]
pub struct JobSummary {
    pub batch_id: String,
    pub created: String,
    pub total: u64,
    pub processed: u64,
    pub succeeded: u64,
    pub failed: u64,
}

/// A bulk-register record.
#[derive(Debug, Clone)]
pub struct JobRecord {
    pub seq: i64,
    pub op_id: String,
    pub filename: String,
    pub tags: Vec<String>,
    pub attempts: i64,
    pub subject_id: String,
    pub event_id: String,
    pub register_status: String,
    pub reason: String,
    pub status: String,
    pub attributes_json: String,
}

/// Result of a tag operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOutcome {
    Done,
    Duplicate,
    NotFound,
    LimitReached,
}

struct Inner {
    conn: Connection,
    /// gallery id → event id → cached active event.
    cache: HashMap<String, HashMap<String, CachedEvent>>,
}

/// The emulator's database. Cheap operations run under one mutex.
pub struct Store {
    inner: Mutex<Inner>,
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS galleries(
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL, face_min_quality REAL, seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS applications(
    id TEXT PRIMARY KEY, gallery_id TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '', api_key TEXT NOT NULL UNIQUE, face_min_quality REAL);
CREATE TABLE IF NOT EXISTS tags(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, gallery_id TEXT NOT NULL, name TEXT NOT NULL,
    UNIQUE(gallery_id, name));
CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, gallery_id TEXT NOT NULL, subject_id TEXT NOT NULL,
    event_id TEXT NOT NULL, status TEXT NOT NULL, last_updated TEXT NOT NULL,
    tags TEXT NOT NULL, template BLOB, attributes TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS events_subject ON events(gallery_id, subject_id, status);
CREATE INDEX IF NOT EXISTS events_order ON events(gallery_id, last_updated, seq);
CREATE TABLE IF NOT EXISTS jobs(
    batch_id TEXT PRIMARY KEY, gallery_id TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS job_records(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT NOT NULL, op_id TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL, tags TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    subject_id TEXT NOT NULL DEFAULT '', event_id TEXT NOT NULL DEFAULT '',
    register_status TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'New', attributes_json TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS job_records_batch ON job_records(batch_id, seq);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crops(
    gallery_id TEXT NOT NULL, event_id TEXT NOT NULL, image BLOB NOT NULL, region TEXT NOT NULL,
    PRIMARY KEY(gallery_id, event_id));
"#;

fn tags_json(tags: &[String]) -> Result<String> {
    Ok(serde_json::to_string(tags)?)
}

fn parse_tags(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh random API key (40 alphanumeric characters, like API Gateway's).
pub fn new_api_key() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| {
            let i = rng.random_range(0..CHARS.len());
            char::from(CHARS.get(i).copied().unwrap_or(b'x'))
        })
        .collect()
}

impl Store {
    /// Opens (and creates) the database, ensures the default gallery with the configured
    /// API key, creates seed galleries, and loads the template cache.
    pub fn open(
        storage: &Storage,
        creds: &DevCredentials,
        default_size: u64,
        seeds: &[GallerySeed],
    ) -> Result<Self> {
        let conn = match storage {
            Storage::Memory => Connection::open_in_memory()?,
            Storage::Sqlite(path) => {
                let conn = Connection::open(path)?;
                // The busy timeout first: after a crash the first statement may have to wait
                // for WAL recovery, and without a timeout SQLite answers SQLITE_BUSY at once.
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "FULL")?;
                conn
            }
        };
        conn.execute_batch(SCHEMA)?;
        // Room for every fixed statement of the request paths (rusqlite keeps 16).
        conn.set_prepared_statement_cache_capacity(64);
        let store = Store {
            inner: Mutex::new(Inner {
                conn,
                cache: HashMap::new(),
            }),
        };
        store.ensure_default(creds, default_size)?;
        for seed in seeds {
            store.seed_gallery(seed, default_size)?;
        }
        store.load_cache()?;
        Ok(store)
    }

    /// Records which engine made the stored templates and returns the previous one when
    /// it differs: templates of another engine never match (they compare as 0).
    pub fn switch_engine(&self, engine: &str) -> Result<Option<String>> {
        let g = self.lock();
        let previous: Option<String> = g
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'engine'", [], |r| {
                r.get(0)
            })
            .optional()?;
        g.conn.execute(
            "INSERT INTO meta(key, value) VALUES ('engine', ?1) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![engine],
        )?;
        Ok(previous.filter(|p| p != engine))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions),
        // so a poisoned lock is still safe to use.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ensure_default(&self, creds: &DevCredentials, size: u64) -> Result<()> {
        let mut g = self.lock();
        let tx = g.conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO galleries(id, name, description, size) VALUES (?1, ?2, ?3, ?4)",
            params![
                DEFAULT_GALLERY_ID,
                "default",
                "Default gallery",
                size as i64
            ],
        )?;
        // The default application always carries the configured API key.
        tx.execute(
            "DELETE FROM applications WHERE api_key = ?1 AND id != 'default-app'",
            params![creds.api_key],
        )?;
        tx.execute(
            "INSERT INTO applications(id, gallery_id, name, description, api_key) \
             VALUES ('default-app', ?1, 'default', 'Default application', ?2) \
             ON CONFLICT(id) DO UPDATE SET api_key = excluded.api_key, gallery_id = excluded.gallery_id",
            params![DEFAULT_GALLERY_ID, creds.api_key],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn seed_gallery(&self, seed: &GallerySeed, default_size: u64) -> Result<()> {
        if self.gallery_by_name(&seed.name)?.is_some() {
            return Ok(());
        }
        let id = seed.id.clone().unwrap_or_else(new_id);
        let key = seed.api_key.clone().unwrap_or_else(new_api_key);
        self.create_gallery(
            &id,
            &seed.name,
            seed.description.as_deref().unwrap_or(""),
            seed.size.unwrap_or(default_size),
            seed.face_minimum_quality_score,
            &key,
        )?;
        Ok(())
    }

    fn load_cache(&self) -> Result<()> {
        let mut g = self.lock();
        let mut cache: HashMap<String, HashMap<String, CachedEvent>> = HashMap::new();
        {
            let mut stmt = g.conn.prepare_cached(
                "SELECT gallery_id, subject_id, event_id, tags, template FROM events \
                 WHERE status = 'A' AND template IS NOT NULL",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })?;
            for row in rows {
                let (gallery, subject_id, event_id, tags, template) = row?;
                cache.entry(gallery).or_default().insert(
                    event_id.clone(),
                    CachedEvent {
                        subject_id,
                        event_id,
                        tags: parse_tags(&tags),
                        template,
                    },
                );
            }
        }
        g.cache = cache;
        Ok(())
    }

    // ----- tenancy -------------------------------------------------------------------

    /// The application an API key belongs to.
    pub fn application_by_key(&self, api_key: &str) -> Result<Option<Application>> {
        let g = self.lock();
        // Every signed request looks its key up: keep the statement prepared.
        Ok(g.conn
            .prepare_cached(
                "SELECT id, gallery_id, name, description, api_key, face_min_quality \
                 FROM applications WHERE api_key = ?1",
            )?
            .query_row(params![api_key], app_from_row)
            .optional()?)
    }

    /// All galleries with their active-event counts, oldest first.
    pub fn list_galleries(&self) -> Result<Vec<(Gallery, u64)>> {
        let g = self.lock();
        let mut stmt = g.conn.prepare_cached(
            "SELECT id, name, description, size, face_min_quality, \
             (SELECT COUNT(*) FROM events e WHERE e.gallery_id = galleries.id AND e.status = 'A') \
             FROM galleries ORDER BY seq, rowid",
        )?;
        let rows = stmt.query_map([], |r| Ok((gallery_from_row(r)?, r.get::<_, i64>(5)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (gal, count) = row?;
            out.push((gal, count.max(0) as u64));
        }
        Ok(out)
    }

    /// One gallery.
    pub fn gallery(&self, id: &str) -> Result<Option<Gallery>> {
        let g = self.lock();
        Ok(g.conn
            .query_row(
                "SELECT id, name, description, size, face_min_quality FROM galleries WHERE id = ?1",
                params![id],
                gallery_from_row,
            )
            .optional()?)
    }

    /// One gallery by its unique name.
    pub fn gallery_by_name(&self, name: &str) -> Result<Option<Gallery>> {
        let g = self.lock();
        Ok(g.conn
            .query_row(
                "SELECT id, name, description, size, face_min_quality FROM galleries WHERE name = ?1",
                params![name],
                gallery_from_row,
            )
            .optional()?)
    }

    /// Number of active events in a gallery.
    pub fn active_count(&self, gallery_id: &str) -> u64 {
        let g = self.lock();
        g.cache.get(gallery_id).map_or(0, |m| m.len() as u64)
    }

    /// Creates a gallery and its first application. Returns the application id.
    pub fn create_gallery(
        &self,
        id: &str,
        name: &str,
        description: &str,
        size: u64,
        face_min_quality: Option<f64>,
        api_key: &str,
    ) -> Result<String> {
        let mut g = self.lock();
        let tx = g.conn.transaction()?;
        let seq: i64 =
            tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM galleries", [], |r| {
                r.get(0)
            })?;
        tx.execute(
            "INSERT INTO galleries(id, name, description, size, face_min_quality, seq) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, name, description, size as i64, face_min_quality, seq],
        )?;
        let app_id = new_id();
        tx.execute(
            "INSERT INTO applications(id, gallery_id, name, description, api_key, face_min_quality) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![app_id, id, name, description, api_key, face_min_quality],
        )?;
        tx.commit()?;
        Ok(app_id)
    }

    /// Updates a gallery's fields (already validated).
    pub fn update_gallery(&self, gal: &Gallery) -> Result<()> {
        let g = self.lock();
        g.conn.execute(
            "UPDATE galleries SET name = ?2, description = ?3, size = ?4 WHERE id = ?1",
            params![gal.id, gal.name, gal.description, gal.size as i64],
        )?;
        Ok(())
    }

    /// Deletes a gallery with everything in it. Returns false when it does not exist.
    pub fn delete_gallery(&self, id: &str) -> Result<bool> {
        let mut g = self.lock();
        let tx = g.conn.transaction()?;
        let n = tx.execute("DELETE FROM galleries WHERE id = ?1", params![id])?;
        tx.execute(
            "DELETE FROM applications WHERE gallery_id = ?1",
            params![id],
        )?;
        tx.execute("DELETE FROM tags WHERE gallery_id = ?1", params![id])?;
        tx.execute("DELETE FROM events WHERE gallery_id = ?1", params![id])?;
        tx.execute("DELETE FROM crops WHERE gallery_id = ?1", params![id])?;
        tx.execute(
            "DELETE FROM job_records WHERE batch_id IN (SELECT batch_id FROM jobs WHERE gallery_id = ?1)",
            params![id],
        )?;
        tx.execute("DELETE FROM jobs WHERE gallery_id = ?1", params![id])?;
        tx.commit()?;
        g.cache.remove(id);
        Ok(n > 0)
    }

    /// Empties a gallery: every subject and event row (deleted ones too), its tags and its
    /// bulk jobs; the gallery and its applications (API keys) stay. `None` when there is
    /// no such gallery; otherwise the number of event rows removed.
    pub fn reset_gallery(&self, id: &str) -> Result<Option<u64>> {
        let mut g = self.lock();
        let tx = g.conn.transaction()?;
        let exists: i64 = tx.query_row(
            "SELECT COUNT(*) FROM galleries WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )?;
        if exists == 0 {
            return Ok(None);
        }
        tx.execute("DELETE FROM tags WHERE gallery_id = ?1", params![id])?;
        let events = tx.execute("DELETE FROM events WHERE gallery_id = ?1", params![id])?;
        tx.execute("DELETE FROM crops WHERE gallery_id = ?1", params![id])?;
        tx.execute(
            "DELETE FROM job_records WHERE batch_id IN (SELECT batch_id FROM jobs WHERE gallery_id = ?1)",
            params![id],
        )?;
        tx.execute("DELETE FROM jobs WHERE gallery_id = ?1", params![id])?;
        tx.commit()?;
        g.cache.remove(id);
        Ok(Some(events as u64))
    }

    /// Applications, optionally of one gallery.
    pub fn list_applications(&self, gallery_id: Option<&str>) -> Result<Vec<Application>> {
        let g = self.lock();
        let mut stmt = g.conn.prepare_cached(
            "SELECT id, gallery_id, name, description, api_key, face_min_quality FROM applications \
             WHERE ?1 IS NULL OR gallery_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![gallery_id], app_from_row)?;
        Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// One application.
    pub fn application(&self, id: &str) -> Result<Option<Application>> {
        let g = self.lock();
        Ok(g.conn
            .query_row(
                "SELECT id, gallery_id, name, description, api_key, face_min_quality \
                 FROM applications WHERE id = ?1",
                params![id],
                app_from_row,
            )
            .optional()?)
    }

    /// Inserts an application.
    pub fn insert_application(&self, app: &Application) -> Result<()> {
        let g = self.lock();
        g.conn.execute(
            "INSERT INTO applications(id, gallery_id, name, description, api_key, face_min_quality) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                app.id,
                app.gallery_id,
                app.name,
                app.description,
                app.api_key,
                app.face_min_quality
            ],
        )?;
        Ok(())
    }

    /// Updates an application's name, description and quality minimum.
    pub fn update_application(&self, app: &Application) -> Result<()> {
        let g = self.lock();
        g.conn.execute(
            "UPDATE applications SET name = ?2, description = ?3, face_min_quality = ?4 WHERE id = ?1",
            params![app.id, app.name, app.description, app.face_min_quality],
        )?;
        Ok(())
    }

    /// Deletes an application. Returns false when it does not exist.
    pub fn delete_application(&self, id: &str) -> Result<bool> {
        let g = self.lock();
        Ok(g.conn
            .execute("DELETE FROM applications WHERE id = ?1", params![id])?
            > 0)
    }

    // ----- tags ----------------------------------------------------------------------

    /// Tag names of a gallery, in creation order.
    pub fn list_tags(&self, gallery_id: &str) -> Result<Vec<String>> {
        let g = self.lock();
        let mut stmt = g
            .conn
            .prepare_cached("SELECT name FROM tags WHERE gallery_id = ?1 ORDER BY seq")?;
        let rows = stmt.query_map(params![gallery_id], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Creates a tag, honouring uniqueness and the per-gallery limit.
    pub fn create_tag(&self, gallery_id: &str, name: &str, max_tags: usize) -> Result<TagOutcome> {
        let mut g = self.lock();
        let tx = g.conn.transaction()?;
        if tag_exists(&tx, gallery_id, name)? {
            return Ok(TagOutcome::Duplicate);
        }
        let count: i64 = tx.query_row(
            "SELECT COUNT(*) FROM tags WHERE gallery_id = ?1",
            params![gallery_id],
            |r| r.get(0),
        )?;
        if count as usize >= max_tags {
            return Ok(TagOutcome::LimitReached);
        }
        tx.execute(
            "INSERT INTO tags(gallery_id, name) VALUES (?1, ?2)",
            params![gallery_id, name],
        )?;
        tx.commit()?;
        Ok(TagOutcome::Done)
    }

    /// Renames a tag, and the tag on every event that carries it (so searches by the new
    /// name find what the old name found).
    pub fn rename_tag(&self, gallery_id: &str, old: &str, new: &str) -> Result<TagOutcome> {
        let mut guard = self.lock();
        let g = &mut *guard;
        let tx = g.conn.transaction()?;
        if !tag_exists(&tx, gallery_id, old)? {
            return Ok(TagOutcome::NotFound);
        }
        if old != new && tag_exists(&tx, gallery_id, new)? {
            return Ok(TagOutcome::Duplicate);
        }
        tx.execute(
            "UPDATE tags SET name = ?3 WHERE gallery_id = ?1 AND name = ?2",
            params![gallery_id, old, new],
        )?;
        let rows: Vec<(i64, String)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT seq, tags FROM events WHERE gallery_id = ?1 AND status = 'A'",
            )?;
            let rows = stmt.query_map(params![gallery_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<std::result::Result<Vec<_>, _>>()?
        };
        for (seq, tags) in rows {
            let mut tags = parse_tags(&tags);
            if tags.iter().any(|t| t == old) {
                for t in tags.iter_mut().filter(|t| *t == old) {
                    *t = new.to_owned();
                }
                tags.dedup();
                tx.execute(
                    "UPDATE events SET tags = ?2 WHERE seq = ?1",
                    params![seq, tags_json(&tags)?],
                )?;
            }
        }
        tx.commit()?;
        if let Some(events) = g.cache.get_mut(gallery_id) {
            for ev in events.values_mut() {
                for t in ev.tags.iter_mut().filter(|t| *t == old) {
                    *t = new.to_owned();
                }
            }
        }
        Ok(TagOutcome::Done)
    }

    /// Deletes a tag; events keep it (as the reference documents).
    pub fn delete_tag(&self, gallery_id: &str, name: &str) -> Result<TagOutcome> {
        let g = self.lock();
        let n = g.conn.execute(
            "DELETE FROM tags WHERE gallery_id = ?1 AND name = ?2",
            params![gallery_id, name],
        )?;
        Ok(if n > 0 {
            TagOutcome::Done
        } else {
            TagOutcome::NotFound
        })
    }

    /// The first of `tags` that does not exist in the gallery, if any.
    pub fn missing_tag(&self, gallery_id: &str, tags: &[String]) -> Result<Option<String>> {
        let g = self.lock();
        for t in tags {
            if !tag_exists(&g.conn, gallery_id, t)? {
                return Ok(Some(t.clone()));
            }
        }
        Ok(None)
    }

    // ----- subjects and events ---------------------------------------------------------

    /// Active event ids of a subject, oldest first (empty: unknown or unregistered subject).
    pub fn subject_events(&self, gallery_id: &str, subject_id: &str) -> Result<Vec<String>> {
        let g = self.lock();
        active_events(&g.conn, gallery_id, subject_id)
    }

    /// Stored attributes (JSON text) of an active event.
    pub fn event_attributes(&self, gallery_id: &str, event_id: &str) -> Result<Option<String>> {
        let g = self.lock();
        Ok(g.conn
            .query_row(
                "SELECT attributes FROM events WHERE gallery_id = ?1 AND event_id = ?2 AND status = 'A'",
                params![gallery_id, event_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Adds an active event (a new subject when `subject_id` has no events yet).
    pub fn add_event(
        &self,
        gallery_id: &str,
        subject_id: &str,
        event_id: &str,
        ev: &NewEvent,
    ) -> Result<()> {
        let mut guard = self.lock();
        let g = &mut *guard;
        let tx = g.conn.transaction()?;
        insert_event(&tx, gallery_id, subject_id, event_id, ev)?;
        tx.commit()?;
        cache_insert(&mut g.cache, gallery_id, subject_id, event_id, ev);
        Ok(())
    }

    /// Replaces events: marks `replace` (event ids) deleted, then adds `event_id` anew.
    /// This is how updates show in list subjects: a `D` row and an `A` row.
    pub fn replace_events(
        &self,
        gallery_id: &str,
        subject_id: &str,
        replace: &[String],
        event_id: &str,
        ev: &NewEvent,
    ) -> Result<()> {
        let mut guard = self.lock();
        let g = &mut *guard;
        let tx = g.conn.transaction()?;
        for old in replace {
            mark_deleted(&tx, gallery_id, old)?;
        }
        insert_event(&tx, gallery_id, subject_id, event_id, ev)?;
        tx.commit()?;
        if let Some(events) = g.cache.get_mut(gallery_id) {
            for old in replace {
                events.remove(old);
            }
        }
        cache_insert(&mut g.cache, gallery_id, subject_id, event_id, ev);
        Ok(())
    }

    /// Re-tags active events without a new face: old rows become `D`, copies become `A`.
    pub fn retag_events(
        &self,
        gallery_id: &str,
        event_ids: &[String],
        tags: &[String],
    ) -> Result<()> {
        let mut guard = self.lock();
        let g = &mut *guard;
        let tx = g.conn.transaction()?;
        let now = now_string();
        for event_id in event_ids {
            let row: Option<(String, Option<Vec<u8>>, String)> = tx
                .query_row(
                    "SELECT subject_id, template, attributes FROM events \
                     WHERE gallery_id = ?1 AND event_id = ?2 AND status = 'A'",
                    params![gallery_id, event_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((subject_id, template, attributes)) = row else {
                continue;
            };
            mark_deleted(&tx, gallery_id, event_id)?;
            tx.execute(
                "INSERT INTO events(gallery_id, subject_id, event_id, status, last_updated, tags, template, attributes) \
                 VALUES (?1, ?2, ?3, 'A', ?4, ?5, ?6, ?7)",
                params![gallery_id, subject_id, event_id, now, tags_json(tags)?, template, attributes],
            )?;
        }
        tx.commit()?;
        if let Some(events) = g.cache.get_mut(gallery_id) {
            for event_id in event_ids {
                if let Some(ev) = events.get_mut(event_id) {
                    ev.tags = tags.to_vec();
                }
            }
        }
        Ok(())
    }

    /// Marks events deleted. Returns how many active events were removed.
    pub fn delete_events(&self, gallery_id: &str, event_ids: &[String]) -> Result<usize> {
        let mut guard = self.lock();
        let g = &mut *guard;
        let tx = g.conn.transaction()?;
        let mut n = 0;
        for id in event_ids {
            n += mark_deleted(&tx, gallery_id, id)?;
        }
        tx.commit()?;
        if let Some(events) = g.cache.get_mut(gallery_id) {
            for id in event_ids {
                events.remove(id);
            }
        }
        Ok(n)
    }

    /// A page of list subjects: one row per event row (A and D), plus the total.
    pub fn list_subjects(
        &self,
        gallery_id: &str,
        start: u64,
        length: u64,
        desc: bool,
    ) -> Result<(Vec<SubjectRow>, u64)> {
        let g = self.lock();
        let total: i64 = g.conn.query_row(
            "SELECT COUNT(*) FROM events WHERE gallery_id = ?1",
            params![gallery_id],
            |r| r.get(0),
        )?;
        let order = if desc {
            "last_updated DESC, seq DESC"
        } else {
            "last_updated ASC, seq ASC"
        };
        let sql = format!(
            "SELECT subject_id, event_id, status, last_updated FROM events WHERE gallery_id = ?1 \
             ORDER BY {order} LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = g.conn.prepare(&sql)?;
        let rows = stmt.query_map(
            params![
                gallery_id,
                i64::try_from(length).unwrap_or(i64::MAX),
                i64::try_from(start).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok(SubjectRow {
                    subject_id: r.get(0)?,
                    event_id: r.get(1)?,
                    status: r.get(2)?,
                    last_updated: r.get(3)?,
                })
            },
        )?;
        let rows = rows.collect::<std::result::Result<Vec<_>, _>>()?;
        Ok((rows, total.max(0) as u64))
    }

    /// Runs `f` over the gallery's active events (the in-memory template cache).
    pub fn with_gallery_events<R>(
        &self,
        gallery_id: &str,
        f: impl FnOnce(&[&CachedEvent]) -> R,
    ) -> R {
        let g = self.lock();
        let events: Vec<&CachedEvent> = g
            .cache
            .get(gallery_id)
            .map(|m| m.values().collect())
            .unwrap_or_default();
        f(&events)
    }

    // ----- bulk jobs -------------------------------------------------------------------

    /// Creates a batch with its records in state `New`.
    pub fn create_job(
        &self,
        gallery_id: &str,
        batch_id: &str,
        records: &[(String, Vec<String>)],
    ) -> Result<()> {
        let mut g = self.lock();
        let tx = g.conn.transaction()?;
        tx.execute(
            "INSERT INTO jobs(batch_id, gallery_id, created) VALUES (?1, ?2, ?3)",
            params![batch_id, gallery_id, now_string()],
        )?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO job_records(batch_id, op_id, filename, tags) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (filename, tags) in records {
                stmt.execute(params![batch_id, new_id(), filename, tags_json(tags)?])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The gallery that owns a batch.
    pub fn job_gallery(&self, batch_id: &str) -> Result<Option<String>> {
        let g = self.lock();
        Ok(g.conn
            .query_row(
                "SELECT gallery_id FROM jobs WHERE batch_id = ?1",
                params![batch_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Batches that still have `New` records (resumed at start-up).
    pub fn pending_jobs(&self) -> Result<Vec<(String, String)>> {
        let g = self.lock();
        let mut stmt = g.conn.prepare_cached(
            "SELECT DISTINCT j.batch_id, j.gallery_id FROM jobs j JOIN job_records r \
             ON r.batch_id = j.batch_id WHERE r.status = 'New'",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// The next `New` record of a batch, with its attempt counter already incremented.
    pub fn next_new_record(&self, batch_id: &str) -> Result<Option<JobRecord>> {
        let mut g = self.lock();
        let tx = g.conn.transaction()?;
        let rec = tx
            .query_row(
                &format!(
                    "{JOB_SELECT} WHERE batch_id = ?1 AND status = 'New' ORDER BY seq LIMIT 1"
                ),
                params![batch_id],
                job_from_row,
            )
            .optional()?;
        let Some(mut rec) = rec else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE job_records SET attempts = attempts + 1 WHERE seq = ?1",
            params![rec.seq],
        )?;
        tx.commit()?;
        rec.attempts += 1;
        Ok(Some(rec))
    }

    /// Records the outcome of one bulk record.
    pub fn finish_record(&self, rec: &JobRecord) -> Result<()> {
        let g = self.lock();
        update_record(&g.conn, rec)?;
        Ok(())
    }

    /// Registers a bulk record's subject and marks the record processed in ONE
    /// transaction: a crash (kill -9) either keeps both or neither, so a resumed batch
    /// never registers the same file twice.
    pub fn register_record(&self, gallery_id: &str, ev: &NewEvent, rec: &JobRecord) -> Result<()> {
        let mut guard = self.lock();
        let g = &mut *guard;
        let tx = g.conn.transaction()?;
        insert_event(&tx, gallery_id, &rec.subject_id, &rec.event_id, ev)?;
        update_record(&tx, rec)?;
        tx.commit()?;
        cache_insert(&mut g.cache, gallery_id, &rec.subject_id, &rec.event_id, ev);
        Ok(())
    }

    /// One page of a batch's records after the record whose op id is `after`.
    /// `Ok(None)` when `after` is not a record of this batch.
    pub fn job_page(
        &self,
        batch_id: &str,
        after: Option<&str>,
        page: usize,
    ) -> Result<Option<(Vec<JobRecord>, bool)>> {
        let g = self.lock();
        let after_seq: i64 = match after {
            None => 0,
            Some(key) => {
                let seq: Option<i64> = g
                    .conn
                    .query_row(
                        "SELECT seq FROM job_records WHERE batch_id = ?1 AND op_id = ?2",
                        params![batch_id, key],
                        |r| r.get(0),
                    )
                    .optional()?;
                match seq {
                    Some(s) => s,
                    None => return Ok(None),
                }
            }
        };
        let mut stmt = g.conn.prepare(&format!(
            "{JOB_SELECT} WHERE batch_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![batch_id, after_seq, i64::try_from(page).unwrap_or(1000) + 1],
            job_from_row,
        )?;
        let mut rows = rows.collect::<std::result::Result<Vec<_>, _>>()?;
        let more = rows.len() > page;
        rows.truncate(page);
        Ok(Some((rows, more)))
    }
}

impl Store {
    // ----- the console's views (read only) -----------------------------------------------

    /// A page of a gallery's subjects (every subject that has rows, unregistered ones
    /// too), ordered by their last update, with each event's latest row; plus the number
    /// of subjects.
    pub fn subject_page(
        &self,
        gallery_id: &str,
        start: u64,
        length: u64,
        desc: bool,
    ) -> Result<(Vec<SubjectView>, u64)> {
        let g = self.lock();
        let total: i64 = g.conn.query_row(
            "SELECT COUNT(DISTINCT subject_id) FROM events WHERE gallery_id = ?1",
            params![gallery_id],
            |r| r.get(0),
        )?;
        let order = if desc { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT subject_id, MAX(last_updated) AS lu, MAX(status = 'A') FROM events \
             WHERE gallery_id = ?1 GROUP BY subject_id ORDER BY lu {order}, MIN(seq) {order} \
             LIMIT ?2 OFFSET ?3"
        );
        let heads: Vec<(String, String, bool)> = {
            let mut stmt = g.conn.prepare(&sql)?;
            let rows = stmt.query_map(
                params![
                    gallery_id,
                    i64::try_from(length).unwrap_or(i64::MAX),
                    i64::try_from(start).unwrap_or(i64::MAX)
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            rows.collect::<std::result::Result<Vec<_>, _>>()?
        };
        let mut out = Vec::with_capacity(heads.len());
        for (subject_id, last_updated, active) in heads {
            let events = subject_event_views(&g.conn, gallery_id, &subject_id)?;
            out.push(SubjectView {
                subject_id,
                status: if active { "A" } else { "D" }.to_owned(),
                last_updated,
                events,
            });
        }
        Ok((out, total.max(0) as u64))
    }

    /// One subject with its events (`None`: the gallery never had it).
    pub fn subject_view(&self, gallery_id: &str, subject_id: &str) -> Result<Option<SubjectView>> {
        let g = self.lock();
        let events = subject_event_views(&g.conn, gallery_id, subject_id)?;
        if events.is_empty() {
            return Ok(None);
        }
        let active = events.iter().any(|e| e.status == "A");
        let last_updated = events
            .iter()
            .map(|e| e.last_updated.clone())
            .max()
            .unwrap_or_default();
        Ok(Some(SubjectView {
            subject_id: subject_id.to_owned(),
            status: if active { "A" } else { "D" }.to_owned(),
            last_updated,
            events,
        }))
    }

    /// The stored face crop of an event (JPEG).
    pub fn crop_image(&self, gallery_id: &str, event_id: &str) -> Result<Option<Vec<u8>>> {
        let g = self.lock();
        Ok(g.conn
            .query_row(
                "SELECT image FROM crops WHERE gallery_id = ?1 AND event_id = ?2",
                params![gallery_id, event_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Tag counts over the active events: (name, events, distinct subjects), for every
    /// tag an active event carries (defined or not).
    pub fn tag_counts(&self, gallery_id: &str) -> Vec<(String, u64, u64)> {
        self.with_gallery_events(gallery_id, |events| {
            let mut counts: HashMap<&str, (u64, std::collections::HashSet<&str>)> = HashMap::new();
            for ev in events {
                for t in &ev.tags {
                    let c = counts.entry(t.as_str()).or_default();
                    c.0 += 1;
                    c.1.insert(ev.subject_id.as_str());
                }
            }
            counts
                .into_iter()
                .map(|(name, (n, subjects))| (name.to_owned(), n, subjects.len() as u64))
                .collect()
        })
    }

    /// A gallery's bulk batches, newest first, with their record counts.
    pub fn job_summaries(&self, gallery_id: &str) -> Result<Vec<JobSummary>> {
        let g = self.lock();
        let mut stmt = g.conn.prepare_cached(
            "SELECT j.batch_id, j.created, COUNT(r.seq), \
             COALESCE(SUM(r.status = 'Processed'), 0), \
             COALESCE(SUM(r.register_status = 'Success'), 0), \
             COALESCE(SUM(r.register_status = 'Failed'), 0) \
             FROM jobs j LEFT JOIN job_records r ON r.batch_id = j.batch_id \
             WHERE j.gallery_id = ?1 GROUP BY j.batch_id ORDER BY j.created DESC, j.rowid DESC",
        )?;
        let n = |v: i64| v.max(0) as u64;
        let rows = stmt.query_map(params![gallery_id], |r| {
            Ok(JobSummary {
                batch_id: r.get(0)?,
                created: r.get(1)?,
                total: n(r.get(2)?),
                processed: n(r.get(3)?),
                succeeded: n(r.get(4)?),
                failed: n(r.get(5)?),
            })
        })?;
        Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
    }
}

/// Every event of a subject (its latest row each, oldest event first) with its crop's region.
fn subject_event_views(
    conn: &Connection,
    gallery_id: &str,
    subject_id: &str,
) -> Result<Vec<EventView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.event_id, e.status, e.last_updated, e.tags, e.attributes, c.region \
         FROM events e LEFT JOIN crops c ON c.gallery_id = e.gallery_id AND c.event_id = e.event_id \
         WHERE e.gallery_id = ?1 AND e.subject_id = ?2 ORDER BY e.seq",
    )?;
    let rows = stmt.query_map(params![gallery_id, subject_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    let mut out: Vec<EventView> = Vec::new();
    for row in rows {
        let (event_id, status, last_updated, tags, attributes_json, region) = row?;
        let view = EventView {
            event_id,
            status,
            last_updated,
            tags: parse_tags(&tags),
            attributes_json,
            versions: 1,
            crop_region: region.and_then(|r| serde_json::from_str(&r).ok()),
        };
        // Rows come oldest first: a later row of the same event replaces the earlier one.
        match out.iter_mut().find(|e| e.event_id == view.event_id) {
            Some(e) => {
                let versions = e.versions + 1;
                *e = EventView { versions, ..view };
            }
            None => out.push(view),
        }
    }
    Ok(out)
}

const JOB_SELECT: &str = "SELECT seq, op_id, filename, tags, attempts, subject_id, event_id, \
    register_status, reason, status, attributes_json FROM job_records";

fn job_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    Ok(JobRecord {
        seq: r.get(0)?,
        op_id: r.get(1)?,
        filename: r.get(2)?,
        tags: parse_tags(&r.get::<_, String>(3)?),
        attempts: r.get(4)?,
        subject_id: r.get(5)?,
        event_id: r.get(6)?,
        register_status: r.get(7)?,
        reason: r.get(8)?,
        status: r.get(9)?,
        attributes_json: r.get(10)?,
    })
}

fn gallery_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Gallery> {
    Ok(Gallery {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        size: r.get::<_, i64>(3)?.max(0) as u64,
        face_min_quality: r.get(4)?,
    })
}

fn app_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Application> {
    Ok(Application {
        id: r.get(0)?,
        gallery_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        api_key: r.get(4)?,
        face_min_quality: r.get(5)?,
    })
}

fn tag_exists(conn: &Connection, gallery_id: &str, name: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM tags WHERE gallery_id = ?1 AND name = ?2",
            params![gallery_id, name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn active_events(conn: &Connection, gallery_id: &str, subject_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT event_id FROM events WHERE gallery_id = ?1 AND subject_id = ?2 AND status = 'A' \
         ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![gallery_id, subject_id], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
}

fn insert_event(
    tx: &Transaction<'_>,
    gallery_id: &str,
    subject_id: &str,
    event_id: &str,
    ev: &NewEvent,
) -> Result<()> {
    tx.execute(
        "INSERT INTO events(gallery_id, subject_id, event_id, status, last_updated, tags, template, attributes) \
         VALUES (?1, ?2, ?3, 'A', ?4, ?5, ?6, ?7)",
        params![
            gallery_id,
            subject_id,
            event_id,
            now_string(),
            tags_json(&ev.tags)?,
            ev.template,
            ev.attributes_json
        ],
    )?;
    // A new face: its crop, or none (an old crop would show another picture).
    match &ev.crop {
        Some(c) => tx.execute(
            "INSERT INTO crops(gallery_id, event_id, image, region) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(gallery_id, event_id) DO UPDATE SET image = excluded.image, region = excluded.region",
            params![gallery_id, event_id, c.jpeg, serde_json::to_string(&c.region)?],
        )?,
        None => tx.execute(
            "DELETE FROM crops WHERE gallery_id = ?1 AND event_id = ?2",
            params![gallery_id, event_id],
        )?,
    };
    Ok(())
}

fn mark_deleted(tx: &Transaction<'_>, gallery_id: &str, event_id: &str) -> Result<usize> {
    Ok(tx.execute(
        "UPDATE events SET status = 'D', last_updated = ?3, template = NULL \
         WHERE gallery_id = ?1 AND event_id = ?2 AND status = 'A'",
        params![gallery_id, event_id, now_string()],
    )?)
}

fn cache_insert(
    cache: &mut HashMap<String, HashMap<String, CachedEvent>>,
    gallery_id: &str,
    subject_id: &str,
    event_id: &str,
    ev: &NewEvent,
) {
    cache.entry(gallery_id.to_owned()).or_default().insert(
        event_id.to_owned(),
        CachedEvent {
            subject_id: subject_id.to_owned(),
            event_id: event_id.to_owned(),
            tags: ev.tags.clone(),
            template: ev.template.clone(),
        },
    );
}

fn update_record(conn: &rusqlite::Connection, rec: &JobRecord) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE job_records SET subject_id = ?2, event_id = ?3, register_status = ?4, \
         reason = ?5, status = 'Processed', attributes_json = ?6 WHERE seq = ?1",
        params![
            rec.seq,
            rec.subject_id,
            rec.event_id,
            rec.register_status,
            rec.reason,
            rec.attributes_json
        ],
    )
}
