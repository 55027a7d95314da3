-- One row that the health probe rewrites (db/health.py): a real write in a transaction,
-- so a database that can be read but not written is found out by /healthz, not by a call.
-- probes counts up: SQLite skips writing a row updated to the values it already has.

CREATE TABLE health (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    probes    INTEGER NOT NULL,
    probed_at INTEGER NOT NULL
);
INSERT INTO health (id, probes, probed_at) VALUES (1, 0, 0);
