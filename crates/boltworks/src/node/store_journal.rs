//! The node's own store (ldk-node's SQLite key-value store) in write-ahead-log mode.
//!
//! ldk-node opens its database in SQLite's default rollback-journal mode: every write (each
//! invoice's payment record, each channel monitor update) creates, syncs and deletes a journal
//! file, three syncs under the store's one lock. In WAL mode with `synchronous = FULL` (the
//! driver's default, which ldk-node keeps) a commit is one append and one sync of the log, and
//! as durable: a commit that returned survives a crash or a power cut. The mode is a property of
//! the database file, so setting it once, before ldk-node opens the file, is enough; this runs at
//! every build, so a store made before this change is converted at its next start.

use std::path::Path;

use ldk_node::io::sqlite_store::SQLITE_DB_FILE_NAME;

use super::NodeError;

/// Puts the node store in `storage_dir` (the file made if missing) in WAL mode.
pub(super) fn use_write_ahead_log(storage_dir: &Path) -> Result<(), NodeError> {
    let path = storage_dir.join(SQLITE_DB_FILE_NAME);
    let failed = |e: rusqlite::Error| NodeError::setup(format!("{}: {e}", path.display()));
    let connection = rusqlite::Connection::open(&path).map_err(failed)?;
    let mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(failed)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(NodeError::setup(format!(
            "{}: journal mode stayed {mode}",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_and_an_old_one_end_in_wal_mode() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(SQLITE_DB_FILE_NAME);
        // A store as ldk-node leaves it: rollback journal, with a row.
        let old = rusqlite::Connection::open(&path).expect("open");
        old.execute_batch(
            "CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB); INSERT INTO kv VALUES ('a', x'01');",
        )
        .expect("fill");
        drop(old);
        use_write_ahead_log(dir.path()).expect("converted");
        let reopened = rusqlite::Connection::open(&path).expect("reopen");
        let mode: String = reopened
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .expect("mode");
        assert_eq!(
            mode, "wal",
            "the mode is the file's, seen by a new connection"
        );
        let kept: i64 = reopened
            .query_row("SELECT count(*) FROM kv", [], |row| row.get(0))
            .expect("rows");
        assert_eq!(kept, 1);
        let synchronous: i64 = reopened
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .expect("synchronous");
        assert_eq!(synchronous, 2, "FULL: each commit is synced");

        let fresh = tempfile::tempdir().expect("dir");
        use_write_ahead_log(fresh.path()).expect("made in wal mode");
    }
}
