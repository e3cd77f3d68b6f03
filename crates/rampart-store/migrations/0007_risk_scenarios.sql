-- Risk scenarios on the organisation's risk matrix, their treatment and
-- acceptance, their Open FAIR model and the quantification runs.

-- One row per organisation that changed the defaults: the matrix and the
-- risk tolerance as JSON (absent: the built-in 5×5 and no tolerance).
CREATE TABLE risk_settings (
    org_id      TEXT PRIMARY KEY REFERENCES organisations (id),
    matrix      TEXT NOT NULL,
    tolerance   TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Ratings are 1-based positions on the matrix; the *_level columns hold the
-- level they map to, recomputed whenever the matrix changes, so lists can
-- filter and sort by level in SQL.
CREATE TABLE risk_scenarios (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organisations (id),
    name                 TEXT NOT NULL,
    description          TEXT NOT NULL,
    owner                TEXT NOT NULL,
    threat_id            TEXT REFERENCES threats (id),
    inherent_likelihood  BIGINT,
    inherent_impact      BIGINT,
    inherent_level       BIGINT,
    current_likelihood   BIGINT,
    current_impact       BIGINT,
    current_level        BIGINT,
    residual_likelihood  BIGINT,
    residual_impact      BIGINT,
    residual_level       BIGINT,
    target_likelihood    BIGINT,
    target_impact        BIGINT,
    target_level         BIGINT,
    treatment            TEXT NOT NULL,
    review_every_days    BIGINT,
    last_reviewed_at     BIGINT NOT NULL,
    fair_model           TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX risk_scenarios_org ON risk_scenarios (org_id, id);
CREATE INDEX risk_scenarios_threat ON risk_scenarios (threat_id);

CREATE TABLE risk_scenario_assets (
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    scenario_id  TEXT NOT NULL REFERENCES risk_scenarios (id),
    asset_id     TEXT NOT NULL REFERENCES assets (id),
    PRIMARY KEY (scenario_id, asset_id)
);
CREATE INDEX risk_scenario_assets_asset ON risk_scenario_assets (asset_id);

CREATE TABLE risk_scenario_vulnerabilities (
    org_id            TEXT NOT NULL REFERENCES organisations (id),
    scenario_id       TEXT NOT NULL REFERENCES risk_scenarios (id),
    vulnerability_id  TEXT NOT NULL REFERENCES vulnerabilities (id),
    PRIMARY KEY (scenario_id, vulnerability_id)
);
CREATE INDEX risk_scenario_vulnerabilities_vulnerability ON risk_scenario_vulnerabilities (vulnerability_id);

CREATE TABLE risk_scenario_controls (
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    scenario_id  TEXT NOT NULL REFERENCES risk_scenarios (id),
    control_id   TEXT NOT NULL REFERENCES applied_controls (id),
    PRIMARY KEY (scenario_id, control_id)
);
CREATE INDEX risk_scenario_controls_control ON risk_scenario_controls (control_id);

CREATE TABLE risk_acceptances (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    scenario_id    TEXT NOT NULL REFERENCES risk_scenarios (id),
    state          TEXT NOT NULL,
    justification  TEXT NOT NULL,
    approver_id    TEXT NOT NULL REFERENCES users (id),
    submitted_by   TEXT NOT NULL,
    submitted_at   BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    remind_days    BIGINT NOT NULL,
    decided_by     TEXT,
    decided_at     BIGINT,
    decision_note  TEXT
);
CREATE INDEX risk_acceptances_scenario ON risk_acceptances (org_id, scenario_id, submitted_at);
CREATE INDEX risk_acceptances_state ON risk_acceptances (org_id, state, expires_at);

-- Quantification results, kept with what reproduces them. scenario_id is
-- NULL for a portfolio run.
CREATE TABLE quant_runs (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organisations (id),
    scenario_id     TEXT REFERENCES risk_scenarios (id),
    iterations      BIGINT NOT NULL,
    seed            TEXT NOT NULL,
    mode            TEXT NOT NULL,
    engine_version  TEXT NOT NULL,
    model           TEXT NOT NULL,
    result          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX quant_runs_org ON quant_runs (org_id, scenario_id, id);
