-- What the waiting page should say after a refused call named this challenge: a withheld
-- or unavailable caller ID ("dial 186"). Kept on the row, so the hint survives a restart
-- and any instance serving the browser sees it.

ALTER TABLE challenges ADD COLUMN hint TEXT
    CHECK (hint IN ('withheld_call', 'unavailable_call'));
