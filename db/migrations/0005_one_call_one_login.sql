-- One call, one login (issue 8): keypad codes, why a challenge ended, wrong codes per call.
--
-- The numbers a phone was shown are its challenges (challenges_phone_time); no table of
-- their own. A challenge that shares its number with another live one of the same phone,
-- or reuses a number inside the phone's cooldown, carries a keypad code.

ALTER TABLE challenges ADD COLUMN code TEXT CHECK (code IS NULL OR length(code) BETWEEN 4 AND 8);
-- Why a challenge left 'pending' other than by a call or its time: the waiting page says so.
ALTER TABLE challenges ADD COLUMN ended_by TEXT
    CHECK (ended_by IN ('superseded', 'verified_elsewhere', 'reissued', 'logout', 'relogin'));
-- Wrong keypad codes keyed during the call: they count towards the number's call limit.
ALTER TABLE calls ADD COLUMN wrong_codes INTEGER NOT NULL DEFAULT 0;
-- A holder's live logins (max_live_challenges) in one probe.
CREATE INDEX challenges_holder_pending ON challenges (holder_id, created_at) WHERE state = 'pending';
