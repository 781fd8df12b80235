-- Cron firings skipped because the profile's previous run was still going: one row per
-- (profile, instant), however many instances fired it, so that the skip is counted once.
CREATE TABLE skipped_firings (
    profile     TEXT NOT NULL,
    slot        TEXT NOT NULL,
    running_run BIGINT NOT NULL,  -- the run still going
    skipped_at  TEXT NOT NULL,
    PRIMARY KEY (profile, slot)
);
