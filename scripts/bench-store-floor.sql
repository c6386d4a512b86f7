-- The writes of `run` for one day, as a handful of bulk statements: the store's floor.
--
--   sqlite3 -cmd "ATTACH 'FINISHED' AS done" IMPORTED < scripts/bench-store-floor.sql
--
-- IMPORTED is a store just after `init` and the imports; FINISHED the same store after the
-- job's `run` of the day. Each statement writes what the run wrote (the same rows, in the
-- order that suits SQLite best: one transaction per statement, keys sorted where the
-- table's key allows) under the job's settings, so its time is what SQLite alone needs to store
-- that day, with no parsing, no rules and no outputs. scripts/bench prints its total.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
PRAGMA cache_size = -32768;
PRAGMA wal_autocheckpoint = 4096; -- 64 MiB of a new store's 16 KiB pages, as the job
PRAGMA temp_store = FILE;
.timer on
-- Ingest: the files, then every record as it arrived, still to evaluate.
INSERT INTO runs SELECT * FROM done.runs;
INSERT INTO settlement_files SELECT * FROM done.settlement_files;
INSERT INTO settlement_records
SELECT record_id, file_sha256, line, ordinal, transaction_id, order_reference, amount_text, amount_minor, currency,
       direction, reversal, booked_on, value_on, descriptor, original_payment, problem, 'open', NULL, received_on, NULL, NULL
FROM done.settlement_records ORDER BY rowid;
-- Evaluation: each record's verdict (with the pass that decided it, and the last pass begun),
-- the exceptions raised, and rule 9's writes for each apply.
UPDATE settlement_records SET state = d.state, attached_order_id = d.attached_order_id, foreign_under = d.foreign_under,
                              decided_in_pass = d.decided_in_pass
FROM (SELECT rowid AS row, state, attached_order_id, foreign_under, decided_in_pass FROM done.settlement_records
      WHERE state <> 'open') AS d
WHERE settlement_records.rowid = d.row;
UPDATE evaluation_pass SET (number, business_date, round, provisional_holds) =
    (SELECT number, business_date, round, provisional_holds FROM done.evaluation_pass);
INSERT INTO exceptions SELECT * FROM done.exceptions ORDER BY exception_id;
INSERT INTO exception_history SELECT * FROM done.exception_history ORDER BY exception_id, seq;
UPDATE orders SET status = d.status, updated_at = d.updated_at
FROM (SELECT order_id, status, updated_at FROM done.orders WHERE status = 'completed' ORDER BY order_id) AS d
WHERE orders.order_id = d.order_id;
UPDATE licenses SET product = d.product, expires_on = d.expires_on, updated_at = d.updated_at
FROM (SELECT l.serial, l.product, l.expires_on, l.updated_at FROM done.licenses l
      WHERE l.serial IN (SELECT serial FROM done.license_extensions) ORDER BY l.serial) AS d
WHERE licenses.serial = d.serial;
INSERT INTO license_extensions SELECT * FROM done.license_extensions ORDER BY order_id;
INSERT INTO mail_outbox SELECT * FROM done.mail_outbox ORDER BY order_id;
INSERT INTO license_feed SELECT * FROM done.license_feed ORDER BY order_id;
-- Outputs: the date's files written, it is no longer among the dates to write (the run's
-- applies added it to unwritten_dates, once).
PRAGMA wal_checkpoint(TRUNCATE);
