/// The numbered schema migrations, shared by SQLite and PostgreSQL (`docs/schema.md`).
///
/// Only integers, text and NULL are stored, in portable SQL, so one list serves both stores.
/// A migration, once released, is never edited: a change is a new number.
enum Migrations {
    /// A numbered step. `{bytes}` in a statement is the store's byte collation (nothing on
    /// SQLite). `byteOrderIndexes` are made only on a store whose text columns do not
    /// compare as bytes already (PostgreSQL; SQLite's BINARY does), with `{bytes}` replaced by
    /// its byte collation: the keyset pages and candidate searches sort by bytes, and only an
    /// index in that collation lets the database walk to a page instead of sorting the table.
    struct Migration {
        var version: Int
        var statements: [String]
        var byteOrderIndexes: [String] = []
    }

    static let all: [Migration] = [
        Migration(version: 1, statements: [
            """
            CREATE TABLE orders (
                order_id TEXT PRIMARY KEY,
                serial TEXT NOT NULL,
                current_product TEXT NOT NULL,
                target_product TEXT NOT NULL,
                years INTEGER NOT NULL CHECK (years BETWEEN 1 AND 3),
                amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
                currency TEXT NOT NULL,
                email TEXT NOT NULL,
                placed_at TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'cancelled', 'completed')),
                updated_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX orders_status ON orders (status)",
            "CREATE INDEX orders_candidates ON orders (currency, amount_minor, status, placed_at)",
            """
            CREATE TABLE licenses (
                serial TEXT PRIMARY KEY,
                product TEXT NOT NULL,
                expires_on TEXT NOT NULL,
                auto_renew INTEGER NOT NULL CHECK (auto_renew IN (0, 1)),
                email TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE settlement_files (
                sha256 TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                size_bytes BIGINT NOT NULL,
                format TEXT,
                version TEXT,
                status TEXT NOT NULL CHECK (status IN ('ingested', 'rejected')),
                reason TEXT,
                line INTEGER,
                col INTEGER,
                received_on TEXT NOT NULL,
                records INTEGER NOT NULL DEFAULT 0,
                skipped_status INTEGER NOT NULL DEFAULT 0,
                run_id TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE settlement_file_arrivals (
                sha256 TEXT NOT NULL,
                name TEXT NOT NULL,
                received_on TEXT NOT NULL,
                PRIMARY KEY (sha256, name, received_on)
            )
            """,
            """
            CREATE TABLE settlement_records (
                record_id TEXT PRIMARY KEY,
                file_sha256 TEXT NOT NULL REFERENCES settlement_files (sha256),
                line INTEGER NOT NULL,
                ordinal INTEGER NOT NULL,
                transaction_id TEXT,
                order_reference TEXT,
                amount_text TEXT NOT NULL,
                amount_minor BIGINT,
                currency TEXT NOT NULL,
                direction TEXT NOT NULL CHECK (direction IN ('credit', 'debit')),
                reversal INTEGER NOT NULL CHECK (reversal IN (0, 1)),
                booked_on TEXT,
                value_on TEXT,
                descriptor TEXT NOT NULL,
                original_payment TEXT,
                problem TEXT,
                state TEXT NOT NULL CHECK (state IN ('open', 'held', 'foreign', 'matched', 'invalid', 'duplicate')),
                attached_order_id TEXT,
                received_on TEXT NOT NULL
            )
            """,
            "CREATE INDEX settlement_records_state ON settlement_records (state)",
            "CREATE INDEX settlement_records_transaction ON settlement_records (transaction_id, order_reference)",
            "CREATE INDEX settlement_records_order ON settlement_records (order_reference)",
            "CREATE INDEX settlement_records_attached ON settlement_records (attached_order_id)",
            "CREATE INDEX settlement_records_booked ON settlement_records (state, booked_on)",
            """
            CREATE TABLE exceptions (
                exception_id TEXT PRIMARY KEY,
                code TEXT NOT NULL,
                severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
                subject TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
                record_id TEXT,
                order_id TEXT,
                serial TEXT,
                transaction_id TEXT,
                file_name TEXT,
                line INTEGER,
                col INTEGER,
                amount_minor BIGINT,
                expected_amount_minor BIGINT,
                expected_currency TEXT,
                currency TEXT,
                placed_on TEXT,
                settled_on TEXT,
                lag_days INTEGER,
                candidates TEXT NOT NULL DEFAULT '',
                descriptor TEXT,
                detail TEXT,
                first_seen TEXT NOT NULL,
                last_seen TEXT NOT NULL
            )
            """,
            "CREATE INDEX exceptions_record ON exceptions (record_id)",
            """
            CREATE TABLE exception_history (
                exception_id TEXT NOT NULL REFERENCES exceptions (exception_id),
                seq INTEGER NOT NULL,
                business_date TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                status TEXT NOT NULL,
                note TEXT,
                run_id TEXT,
                PRIMARY KEY (exception_id, seq)
            )
            """,
            "CREATE INDEX exception_history_date ON exception_history (business_date)",
            """
            CREATE TABLE license_extensions (
                order_id TEXT PRIMARY KEY,
                serial TEXT NOT NULL,
                transaction_id TEXT,
                record_id TEXT NOT NULL,
                previous_product TEXT NOT NULL,
                product TEXT NOT NULL,
                previous_expires_on TEXT NOT NULL,
                new_expires_on TEXT NOT NULL,
                years INTEGER NOT NULL,
                placed_on TEXT NOT NULL,
                applied_on TEXT NOT NULL,
                applied_at TEXT NOT NULL,
                run_id TEXT NOT NULL
            )
            """,
            "CREATE INDEX license_extensions_serial ON license_extensions (serial, order_id)",
            """
            CREATE TABLE mail_outbox (
                order_id TEXT PRIMARY KEY REFERENCES license_extensions (order_id),
                business_date TEXT NOT NULL,
                recipient TEXT NOT NULL,
                written INTEGER NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE license_feed (
                order_id TEXT PRIMARY KEY REFERENCES license_extensions (order_id),
                business_date TEXT NOT NULL,
                written INTEGER NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE runs (
                run_id TEXT PRIMARY KEY,
                command TEXT NOT NULL,
                business_date TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                outcome TEXT
            )
            """,
        ]),
        Migration(version: 2, statements: [], byteOrderIndexes: [
            "CREATE INDEX mail_outbox_pages ON mail_outbox (business_date, order_id{bytes})",
            "CREATE INDEX license_extensions_pages ON license_extensions (serial{bytes}, order_id{bytes})",
            "CREATE INDEX settlement_records_pages ON settlement_records (record_id{bytes})",
            """
            CREATE INDEX orders_candidate_pages ON orders (currency, amount_minor, status, placed_at{bytes}, order_id{bytes})
            """,
        ]),
        // The candidate search reads only pending orders: completing an order now drops it from
        // a smaller index instead of moving it across one ordered by placement time (a night's
        // million applies dirtied a page of that index each). The day summary reads a date's
        // records by their file, in the order they were stored, not by the hashed record id;
        // and `(state, booked_on)` serves every search by state.
        Migration(version: 3, statements: [
            "DROP INDEX orders_candidates",
            "DROP INDEX IF EXISTS orders_candidate_pages",
            """
            CREATE INDEX orders_pending_candidates ON orders (currency, amount_minor, placed_at{bytes}, order_id{bytes})
            WHERE status = 'pending'
            """,
            "DROP INDEX IF EXISTS settlement_records_pages",
            "DROP INDEX settlement_records_state",
            "CREATE INDEX settlement_records_file ON settlement_records (file_sha256)",
        ]),
        // Each extension keeps the booking date of the settlement that paid it: the outbox
        // read a million mails' dates by looking up each hashed record id again.
        Migration(version: 4, statements: [
            "ALTER TABLE license_extensions ADD COLUMN settled_on TEXT",
            """
            UPDATE license_extensions SET settled_on = (
                SELECT booked_on FROM settlement_records r WHERE r.record_id = license_extensions.record_id)
            """,
        ]),
        // The pending orders are the rows of `orders_pending_candidates` (migration 3), which
        // serves every search by status; completing an order no longer also moves it across an
        // index of all orders by status.
        Migration(version: 5, statements: ["DROP INDEX orders_status"]),
        // Nothing reads the extensions in byte order by serial since the feed became one sorted
        // statement (PostgreSQL: 0 scans in a run); each apply still wrote an entry to it.
        Migration(version: 6, statements: ["DROP INDEX IF EXISTS license_extensions_pages"]),
        // The dates whose mail or feed files lack rows are kept by date, not by row: finding
        // them read every mail and feed row ever stored (on the store one night of a million
        // left, 0.27 s of a quiet night), and marking a night's million rows written rewrote
        // each of them. An apply adds its date here in its transaction; writing the date's
        // files removes it.
        Migration(version: 7, statements: [
            "CREATE TABLE unwritten_dates (business_date TEXT PRIMARY KEY)",
            """
            INSERT INTO unwritten_dates (business_date)
            SELECT business_date FROM mail_outbox WHERE written = 0
            UNION SELECT business_date FROM license_feed WHERE written = 0
            """,
            "ALTER TABLE mail_outbox DROP COLUMN written",
            "ALTER TABLE license_feed DROP COLUMN written",
        ]),
        // A foreign record keeps the descriptors it was found foreign under
        // (`DescriptorMatcher.fingerprint`): a run evaluates it again only under other
        // descriptors, where every run evaluated every foreign record ever stored. Those
        // stored before have none, and are evaluated once more.
        Migration(version: 8, statements: ["ALTER TABLE settlement_records ADD COLUMN foreign_under TEXT"]),
        // The day summary counts a date's extensions through an index by date of apply: the
        // count read every extension ever applied (0.27 s a night per million held). A night's
        // extensions share its date and are stored in the order they apply, so each entry is
        // added at the end of the index.
        Migration(version: 9, statements: ["CREATE INDEX license_extensions_applied ON license_extensions (applied_on)"]),
        // A run's passes are kept while it goes on (`EvaluationPass`): the pass begun last, with
        // the run's date until its passes are finished, and on each record the pass that last
        // decided it. A run killed in the middle of a pass is followed by one that finishes the
        // pass over the records it had not decided, as one uninterrupted run would, where it
        // began the pass again over all of them. The stamp is written with the record's state,
        // which each pass writes anyway.
        Migration(version: 10, statements: [
            "ALTER TABLE settlement_records ADD COLUMN decided_in_pass BIGINT",
            """
            CREATE TABLE evaluation_pass (
                number BIGINT NOT NULL,
                business_date TEXT,
                round INTEGER NOT NULL,
                provisional_holds INTEGER NOT NULL
            )
            """,
            "INSERT INTO evaluation_pass (number, business_date, round, provisional_holds) VALUES (0, NULL, 0, 0)",
        ]),
        // A known file sent again is counted with the inbox file it arrived as (inode, size
        // and modification time): a run stopped after counting it and before taking it out of
        // the inbox left that file there, and the next run, for another date, counted it again.
        // Arrivals counted before have none.
        Migration(version: 11, statements: ["ALTER TABLE settlement_file_arrivals ADD COLUMN inbox_file TEXT"]),
        // The date a file was first quarantined, kept when it reads later (`received_on` then
        // moves to the date its records came in), so that neither date's report changes after it.
        Migration(version: 12, statements: [
            "ALTER TABLE settlement_files ADD COLUMN rejected_on TEXT",
            "UPDATE settlement_files SET rejected_on = received_on WHERE status = 'rejected'",
        ]),
        // Each extension keeps what its settlement paid, the completion mail's amount: an apply
        // within `amount_tolerance_minor`, or by a support decision, is charged other than the
        // order's amount, and the mail told the customer the order's.
        Migration(version: 13, statements: [
            "ALTER TABLE license_extensions ADD COLUMN paid_minor BIGINT",
            "ALTER TABLE license_extensions ADD COLUMN paid_currency TEXT",
            """
            UPDATE license_extensions SET
                paid_minor = (SELECT amount_minor FROM settlement_records r WHERE r.record_id = license_extensions.record_id),
                paid_currency = (SELECT currency FROM settlement_records r WHERE r.record_id = license_extensions.record_id)
            """,
        ]),
        // Each inbox file quarantined is counted on its date, by content, name and date: a file is
        // one row by content, so two files of one content quarantined on one date (two empty
        // files), or a broken file sent again on a later date, were counted once, on the first
        // date, where the run named each and exited 2. The rejections replace `rejected_on`
        // (migration 12), each kept with the run that refused it last and the inbox file it was
        // (as arrivals are, migration 11: a run stopped before moving it leaves it in the inbox).
        Migration(version: 14, statements: [
            """
            CREATE TABLE settlement_file_rejections (
                sha256 TEXT NOT NULL,
                name TEXT NOT NULL,
                rejected_on TEXT NOT NULL,
                run_id TEXT NOT NULL,
                inbox_file TEXT,
                PRIMARY KEY (sha256, name, rejected_on)
            )
            """,
            """
            INSERT INTO settlement_file_rejections (sha256, name, rejected_on, run_id)
            SELECT sha256, name, rejected_on, run_id FROM settlement_files WHERE rejected_on IS NOT NULL
            """,
            "ALTER TABLE settlement_files DROP COLUMN rejected_on",
        ]),
    ]

    static var latest: Int { all.last?.version ?? 0 }

    static let bookkeeping = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
}
