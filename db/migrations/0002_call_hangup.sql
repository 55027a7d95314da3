-- How each call ended, as the AMI client saw it (Hangup event): filled in after the
-- decision, NULL when AMI is off or the event never came.

ALTER TABLE calls ADD COLUMN ended_at INTEGER;
ALTER TABLE calls ADD COLUMN hangup_cause INTEGER;      -- Q.850 cause, e.g. 21 Call Rejected
ALTER TABLE calls ADD COLUMN hangup_cause_txt TEXT;     -- Asterisk's Cause-txt
-- The AMI client finds the call by the channel's uniqueid (agi_uniqueid).
CREATE INDEX calls_uniqueid ON calls (uniqueid);
