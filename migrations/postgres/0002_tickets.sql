-- Rectification tickets (整改工单) and their history. Times are RFC 3339 UTC text; dates
-- (notice_date, deadline, period_start, escalation_from) are YYYY-MM-DD in Asia/Shanghai.
CREATE TABLE tickets (
    id               BIGSERIAL PRIMARY KEY,
    site_number      TEXT NOT NULL,
    subject_number   TEXT NOT NULL,
    code             TEXT NOT NULL,
    state            TEXT NOT NULL,             -- open | overdue | resolved | closed | superseded
    opened_at        TEXT NOT NULL,
    notice_date      TEXT NOT NULL,
    deadline         TEXT NOT NULL,             -- the last working day to fix
    period           BIGINT NOT NULL DEFAULT 1, -- rectification period: 1, then +1 per granted extension
    period_start     TEXT NOT NULL,
    appeal_period    BIGINT,                   -- the period of the latest appeal
    appeal_state     TEXT,                      -- pending | upheld | rejected
    escalation_level BIGINT NOT NULL DEFAULT 0, -- escalation steps recommended so far
    escalation_from  TEXT,                      -- steps count from here instead of the deadline
    first_seen_at    TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL,
    evidence         TEXT NOT NULL,             -- JSON: the findings and what the checks saw
    closed_at        TEXT,
    updated_at       TEXT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1 -- optimistic concurrency: every change bumps it
);
-- Never two open tickets for the same problem.
CREATE UNIQUE INDEX tickets_one_active ON tickets (site_number, code) WHERE state IN ('open', 'overdue');
CREATE INDEX tickets_state ON tickets (state, deadline);
CREATE INDEX tickets_subject ON tickets (subject_number);

CREATE TABLE ticket_history (
    id         BIGSERIAL PRIMARY KEY,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,                   -- 'scanner' or the operator's name
    action     TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    detail     TEXT                             -- JSON, e.g. the old and new deadline
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

-- What applying each run to the tickets did, and the open totals after it (the report's trend).
CREATE TABLE ticket_runs (
    run_id        BIGINT PRIMARY KEY REFERENCES runs (id),
    applied_at    TEXT NOT NULL,
    skipped       TEXT,                         -- why the run changed nothing (degraded, …)
    opened        BIGINT NOT NULL DEFAULT 0,
    resolved      BIGINT NOT NULL DEFAULT 0,
    superseded    BIGINT NOT NULL DEFAULT 0,
    overdue       BIGINT NOT NULL DEFAULT 0,
    escalated     BIGINT NOT NULL DEFAULT 0,
    pending       BIGINT NOT NULL DEFAULT 0,
    open_total    BIGINT NOT NULL DEFAULT 0,
    overdue_total BIGINT NOT NULL DEFAULT 0
);
