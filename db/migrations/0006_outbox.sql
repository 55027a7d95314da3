-- Mail to holders: a durable outbox that a background sender drains, and e-mail addresses
-- confirmed by a code sent to them. Needs nothing from 0005 (it touches challenges only).

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    to_addr         TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,            -- NULL once sent or given up
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at)
    WHERE sent_at IS NULL AND next_attempt_at IS NOT NULL;

-- When holders.email was proven by a code sent to it; NULL: never proven (addresses
-- registered before this migration were confirmed on screen alone), so no mail goes there.
ALTER TABLE holders ADD COLUMN email_confirmed_at INTEGER;

-- An address a holder entered on My Page, waiting for the code mailed to it. It replaces
-- holders.email only when the code comes back.
CREATE TABLE email_confirmations (
    id         INTEGER PRIMARY KEY,
    holder_id  INTEGER NOT NULL REFERENCES holders (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    code_hash  TEXT    NOT NULL,        -- HMAC-SHA256 of the code under salt
    salt       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    state      TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'confirmed', 'expired', 'locked', 'cancelled')),
    confirmed_at INTEGER
);
CREATE INDEX email_confirmations_holder ON email_confirmations (holder_id, created_at);
