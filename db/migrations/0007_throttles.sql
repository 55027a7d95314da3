-- Login throttles kept in the store (so a restart forgets nothing and every process on the
-- same database shares them), and server secrets generated once per database.

-- One row per counted key: scope 'pair' is (login ID, client address), 'address' a client
-- address across IDs (login_id ''), 'login' a login ID across addresses (address ''). An
-- unknown login ID is counted exactly like a real one, so the throttle never tells them apart.
CREATE TABLE login_throttles (
    scope        TEXT    NOT NULL CHECK (scope IN ('pair', 'address', 'login')),
    login_id     TEXT    NOT NULL DEFAULT '',
    address      TEXT    NOT NULL DEFAULT '',
    failures     INTEGER NOT NULL DEFAULT 0,  -- attempts counted since the last reset
    last_at      INTEGER NOT NULL,            -- when the latest attempt was counted
    succeeded_at INTEGER,                     -- 'pair' only: this address logged in to the ID
    PRIMARY KEY (scope, login_id, address)
);
CREATE INDEX login_throttles_login ON login_throttles (login_id) WHERE scope <> 'address';
CREATE INDEX login_throttles_age ON login_throttles (last_at);

-- Secrets the server generates for itself when the configuration names none (the signing
-- key of the login form's CSRF token), shared by every process on this database.
CREATE TABLE server_secrets (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
