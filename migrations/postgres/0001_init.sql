-- Filings, scan runs and per-domain results. Times are RFC 3339 UTC text.
CREATE TABLE filings (
    site_number    TEXT PRIMARY KEY,
    subject_number TEXT NOT NULL,
    site_name      TEXT NOT NULL,
    subject_name   TEXT,
    subject_nature TEXT,
    domains        TEXT NOT NULL,
    filed_ips      TEXT NOT NULL DEFAULT '',
    psb_number     TEXT,
    status         TEXT NOT NULL,
    province       TEXT,
    homepage       TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    removed_at     TEXT
);
CREATE INDEX filings_subject ON filings (subject_number);

CREATE TABLE filing_domains (
    domain      TEXT NOT NULL,
    site_number TEXT NOT NULL REFERENCES filings (site_number) ON DELETE CASCADE,
    PRIMARY KEY (domain, site_number)
);
CREATE INDEX filing_domains_site ON filing_domains (site_number);

CREATE TABLE runs (
    id           BIGSERIAL PRIMARY KEY,
    profile      TEXT NOT NULL,
    probes       TEXT NOT NULL,
    state        TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    targets      BIGINT NOT NULL DEFAULT 0,
    checked      BIGINT NOT NULL DEFAULT 0,
    inconclusive BIGINT NOT NULL DEFAULT 0,
    with_findings BIGINT NOT NULL DEFAULT 0,
    note         TEXT
);

CREATE TABLE results (
    id           BIGSERIAL PRIMARY KEY,
    run_id       BIGINT NOT NULL REFERENCES runs (id),
    site_number  TEXT NOT NULL,
    domain       TEXT NOT NULL,
    checked_at   TEXT NOT NULL,
    inconclusive BIGINT NOT NULL,
    http_status  BIGINT,
    final_url    TEXT,
    title        TEXT,
    codes        TEXT NOT NULL,
    evidence     TEXT NOT NULL
);
CREATE INDEX results_run ON results (run_id);
CREATE INDEX results_site ON results (site_number, checked_at);
