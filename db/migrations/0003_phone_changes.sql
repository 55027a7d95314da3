-- Phone-number change requests (異動) and the challenge kind that proves the new number.
-- A phone_change challenge carries the NEW number in phone_e164: the call must come from it.

ALTER TABLE challenges ADD COLUMN kind TEXT NOT NULL DEFAULT 'login'
    CHECK (kind IN ('login', 'phone_change'));

CREATE TABLE phone_changes (
    id             INTEGER PRIMARY KEY,
    holder_id      INTEGER NOT NULL REFERENCES holders (id) ON DELETE CASCADE,
    contract_id    INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    party          TEXT    NOT NULL CHECK (party IN ('holder', 'insured')),
    old_phone_e164 TEXT,              -- in force until the new one is proven
    new_phone_e164 TEXT    NOT NULL,
    change_date    TEXT    NOT NULL,  -- 変更日, ISO date
    state          TEXT    NOT NULL DEFAULT 'draft'
        CHECK (state IN ('draft', 'awaiting_call', 'completed', 'expired', 'cancelled')),
    challenge_id   INTEGER REFERENCES challenges (id),
    session_ref    TEXT    NOT NULL,  -- opaque browser-session reference, never the session key
    ip             TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER,           -- the call's deadline, once awaiting it
    completed_at   INTEGER
);
CREATE INDEX phone_changes_holder ON phone_changes (holder_id, state);
CREATE INDEX phone_changes_awaiting ON phone_changes (expires_at) WHERE state = 'awaiting_call';
CREATE UNIQUE INDEX phone_changes_challenge ON phone_changes (challenge_id)
    WHERE challenge_id IS NOT NULL;
