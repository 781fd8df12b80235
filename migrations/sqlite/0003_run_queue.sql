-- The daemon's work queue: a scheduled run owns one row per (filing, domain) to check. Instances
-- claim rows by lease; a lease that is not renewed expires and the row is claimed again, so the
-- work of an instance that died is finished by another (or by itself after a restart).
ALTER TABLE runs ADD COLUMN slot TEXT;         -- queued runs: the cron instant, or the request time (API); NULL for `beiand scan`
ALTER TABLE runs ADD COLUMN queued INTEGER NOT NULL DEFAULT 0; -- 1: checked through run_targets
-- Who applies a finished queued run to the tickets, since when (taken over when stale).
ALTER TABLE runs ADD COLUMN apply_owner TEXT;
ALTER TABLE runs ADD COLUMN apply_at TEXT;
-- One run per profile and cron instant, however many instances fire it (NULL slots never clash).
CREATE UNIQUE INDEX runs_profile_slot ON runs (profile, slot);
CREATE INDEX runs_state ON runs (state);

CREATE TABLE run_targets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    site_number TEXT NOT NULL,
    domain      TEXT NOT NULL,
    not_before  TEXT NOT NULL,                  -- spread over the profile's window, with jitter
    state       TEXT NOT NULL DEFAULT 'pending', -- pending | leased | done
    lease_owner TEXT,
    lease_until TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX run_targets_claim ON run_targets (state, not_before);
CREATE INDEX run_targets_run ON run_targets (run_id, state);
CREATE INDEX run_targets_owner ON run_targets (lease_owner);
