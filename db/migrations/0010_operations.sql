-- The insurer's operations (issue 13): operator accounts for the console under /admin,
-- their sessions (never the holders' web_sessions) and their audit trail.

CREATE TABLE operators (
    id            INTEGER PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'support', 'admin')),
    created_at    INTEGER NOT NULL
);

-- The cookie carries a random key; the row is found by its SHA-256, so a copy of the
-- database holds no key that opens a console session.
CREATE TABLE operator_sessions (
    key_hash    TEXT    PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    csrf        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX operator_sessions_expiry ON operator_sessions (expires_at);

-- Every operator action: logins, searches, holder views, unlocks, cancellations, imports.
-- operator_id is NULL for a failed login (the login typed is in detail) and for the
-- command line (detail says so).
CREATE TABLE operator_audit (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    operator_id INTEGER REFERENCES operators (id) ON DELETE SET NULL,
    action      TEXT    NOT NULL,
    holder_id   INTEGER REFERENCES holders (id) ON DELETE SET NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX operator_audit_time ON operator_audit (at);
CREATE INDEX operator_audit_holder ON operator_audit (holder_id, at);

-- The dashboard's windows and the console's lookups.
CREATE INDEX challenges_created ON challenges (created_at);
CREATE INDEX contracts_insured_phone ON contracts (insured_phone_e164)
    WHERE insured_phone_e164 IS NOT NULL;
