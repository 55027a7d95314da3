-- Every committed change of a challenge a waiting page shows (its state, the last call's
-- hint, its keypad code) is NOTIFY'd on channel callauth_challenge as "id:kind", the kinds
-- db/events.py publishes. NOTIFY is transactional: listeners hear it only on COMMIT.
-- Applied (idempotently) after the numbered migrations, under their lock; a database at
-- the latest version with this trigger is left alone, so a change here comes with a new
-- numbered migration (even one SQLite has nothing to do for).

CREATE OR REPLACE FUNCTION callauth_notify_challenge() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IS DISTINCT FROM OLD.state THEN
        PERFORM pg_notify('callauth_challenge', NEW.id || ':' || NEW.state);
    ELSIF NEW.last_call IS DISTINCT FROM OLD.last_call THEN
        PERFORM pg_notify('callauth_challenge', NEW.id || ':last_call');
    ELSIF NEW.code IS DISTINCT FROM OLD.code THEN
        PERFORM pg_notify('callauth_challenge', NEW.id || ':code_assigned');
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS callauth_challenge_changed ON challenges;
CREATE TRIGGER callauth_challenge_changed AFTER UPDATE ON challenges
    FOR EACH ROW EXECUTE FUNCTION callauth_notify_challenge();
