-- Holders, contracts, challenges, calls, web sessions and the audit trail.
-- Times are integer UTC epoch seconds; phone numbers are E.164 ("+819012345678").

CREATE TABLE holders (
    id            INTEGER PRIMARY KEY,
    login_id      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    kana          TEXT    NOT NULL DEFAULT '',
    birth_date    TEXT    NOT NULL DEFAULT '',
    email         TEXT,
    phone_e164    TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX holders_phone ON holders (phone_e164) WHERE phone_e164 IS NOT NULL;

CREATE TABLE contracts (
    id                     INTEGER PRIMARY KEY,
    policy_number          TEXT    NOT NULL UNIQUE,
    product                TEXT    NOT NULL,
    start_date             TEXT    NOT NULL,
    end_date               TEXT    NOT NULL,
    holder_id              INTEGER NOT NULL REFERENCES holders (id) ON DELETE CASCADE,
    insured_name           TEXT    NOT NULL,
    insured_kana           TEXT    NOT NULL DEFAULT '',
    insured_birth_date     TEXT    NOT NULL DEFAULT '',
    insured_same_as_holder INTEGER NOT NULL DEFAULT 0 CHECK (insured_same_as_holder IN (0, 1)),
    insured_phone_e164     TEXT,
    changeable_online      INTEGER NOT NULL DEFAULT 1 CHECK (changeable_online IN (0, 1))
);
CREATE INDEX contracts_holder ON contracts (holder_id);

CREATE TABLE calls (
    id           INTEGER PRIMARY KEY,
    received_at  INTEGER NOT NULL,
    uniqueid     TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    cli_raw      TEXT    NOT NULL,   -- the number exactly as presented
    cli_e164     TEXT,
    presentation TEXT    NOT NULL,   -- shown | withheld | unavailable
    dialled_raw  TEXT    NOT NULL,
    dialled_e164 TEXT,
    peer         TEXT    NOT NULL,   -- FastAGI peer address
    context      TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    challenge_id INTEGER REFERENCES challenges (id)
);
CREATE INDEX calls_cli_time ON calls (cli_e164, received_at);
CREATE INDEX calls_time ON calls (received_at);

CREATE TABLE challenges (
    id               INTEGER PRIMARY KEY,
    holder_id        INTEGER NOT NULL REFERENCES holders (id) ON DELETE CASCADE,
    session_ref      TEXT    NOT NULL,  -- opaque browser-session binding from the web layer
    phone_e164       TEXT    NOT NULL,  -- the registered number the call must come from
    auth_number      TEXT    NOT NULL,  -- E.164 of the number shown on the page
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'verified', 'consumed', 'expired', 'cancelled')),
    verified_call_id INTEGER REFERENCES calls (id)
);
-- The call's lookup: (caller, dialled) names the pending challenges in one index probe.
CREATE INDEX challenges_pending ON challenges (phone_e164, auth_number) WHERE state = 'pending';
CREATE INDEX challenges_phone_time ON challenges (phone_e164, created_at);
CREATE INDEX challenges_session ON challenges (session_ref);
CREATE INDEX challenges_due ON challenges (expires_at) WHERE state = 'pending';

CREATE TABLE web_sessions (
    key        TEXT    PRIMARY KEY,
    data       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    holder_id INTEGER REFERENCES holders (id) ON DELETE SET NULL,
    event     TEXT    NOT NULL,
    detail    TEXT    NOT NULL DEFAULT '',
    ip        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_holder ON audit_log (holder_id, at);
