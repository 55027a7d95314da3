-- The last call that can honestly be tied to this challenge (issue 10), for its waiting
-- page: each such call replaces the previous one, a call that cannot be tied changes
-- nothing. 0004's hint column only knew withheld and unavailable callers, and SQLite
-- cannot widen a CHECK, so the kind moves to a column of its own.
--   withheld_call / unavailable_call  the holder's phone called with its number hidden
--   wrong_number   the holder's phone called another authentication number than the page's
--   other_phone    another number registered to the same holder called the page's number
--   old_phone      during a number change, the number in force (not the new one) called
--   wrong_code     the holder's phone keyed a wrong keypad code

ALTER TABLE challenges ADD COLUMN last_call TEXT CHECK (last_call IN (
    'withheld_call', 'unavailable_call', 'wrong_number', 'other_phone', 'old_phone', 'wrong_code'
));
UPDATE challenges SET last_call = hint WHERE hint IS NOT NULL;
