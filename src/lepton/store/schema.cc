// The metadata schema, as migrations (see migrations.h). Append only.

#include "lepton/store/migrations.h"

namespace lepton::store {

const std::vector<Migration>& Migrations() {
  static const auto* migrations = new std::vector<Migration>{
      {1, "auth: users, grants, API tokens, audit log",
       R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  disabled BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (user_id, role, scope)
);
CREATE INDEX grants_user ON grants(user_id);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  ts TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  outcome TEXT NOT NULL,
  request_id TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE audit_head (
  id BIGINT PRIMARY KEY,
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
)sql",
       ""},
      {2, "lake: namespaces, datasets, lineage",
       R"sql(
CREATE TABLE lake_namespaces (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  owner TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE lake_datasets (
  id TEXT PRIMARY KEY,
  namespace TEXT NOT NULL REFERENCES lake_namespaces(name),
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  tags TEXT NOT NULL,
  owner TEXT NOT NULL,
  sensitive BIGINT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  current_version BIGINT NOT NULL,
  row_count BIGINT NOT NULL,
  size_bytes BIGINT NOT NULL,
  schema_json TEXT NOT NULL,
  UNIQUE (namespace, name)
);
CREATE TABLE lake_lineage (
  id TEXT PRIMARY KEY,
  dataset_id TEXT NOT NULL REFERENCES lake_datasets(id) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX lake_lineage_dataset ON lake_lineage(dataset_id, version);
)sql",
       ""},
      {3, "jobs: background jobs with state, progress and result",
       R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  resource TEXT NOT NULL,
  state TEXT NOT NULL,
  params TEXT NOT NULL,
  progress TEXT NOT NULL,
  result TEXT NOT NULL,
  error TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL
);
CREATE INDEX jobs_state ON jobs(state);
CREATE INDEX jobs_created ON jobs(created_at);
)sql",
       ""},
      {4, "tracking: experiments, runs, params, metrics, tags, dataset inputs, artifacts",
       // Metric timestamps are epoch milliseconds (MLflow's API unit); other times RFC 3339.
       // tracking_latest_metrics caches each key's latest value (highest step, then timestamp,
       // then value) for GetRun and search; tracking_metrics keeps the whole history.
       R"sql(
CREATE TABLE tracking_experiments (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  lifecycle TEXT NOT NULL
);
CREATE TABLE tracking_runs (
  id TEXT PRIMARY KEY,
  experiment_id TEXT NOT NULL REFERENCES tracking_experiments(id),
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time TEXT NOT NULL,
  end_time TEXT NOT NULL,
  user_name TEXT NOT NULL,
  source TEXT NOT NULL,
  job_id TEXT NOT NULL,
  parent_run_id TEXT NOT NULL
);
CREATE INDEX tracking_runs_experiment ON tracking_runs(experiment_id, start_time);
CREATE TABLE tracking_params (
  run_id TEXT NOT NULL REFERENCES tracking_runs(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE tracking_tags (
  run_id TEXT NOT NULL REFERENCES tracking_runs(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE tracking_metrics (
  run_id TEXT NOT NULL REFERENCES tracking_runs(id),
  key TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  step BIGINT NOT NULL,
  timestamp_ms BIGINT NOT NULL
);
CREATE INDEX tracking_metrics_history ON tracking_metrics(run_id, key, step);
CREATE TABLE tracking_latest_metrics (
  run_id TEXT NOT NULL REFERENCES tracking_runs(id),
  key TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  step BIGINT NOT NULL,
  timestamp_ms BIGINT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE tracking_inputs (
  run_id TEXT NOT NULL REFERENCES tracking_runs(id),
  dataset TEXT NOT NULL,
  version BIGINT NOT NULL,
  digest TEXT NOT NULL,
  context TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, dataset, version, context)
);
CREATE TABLE tracking_artifacts (
  run_id TEXT NOT NULL REFERENCES tracking_runs(id),
  path TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, path)
);
)sql",
       ""},
      {5, "registry: registered models, versions, tags, aliases and their history",
       // A version's number comes from registry_models.next_version (UPDATE … RETURNING-free:
       // read and bump inside one write transaction). registry_alias_history is append-only:
       // which version an alias pointed at, when, set by whom (version -1: alias removed).
       R"sql(
CREATE TABLE registry_models (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  next_version BIGINT NOT NULL
);
CREATE TABLE registry_model_tags (
  name TEXT NOT NULL REFERENCES registry_models(name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (name, key)
);
CREATE TABLE registry_versions (
  name TEXT NOT NULL REFERENCES registry_models(name) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL,
  source TEXT NOT NULL,
  run_id TEXT NOT NULL,
  flavor TEXT NOT NULL,
  description TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE INDEX registry_versions_run ON registry_versions(run_id);
CREATE TABLE registry_version_tags (
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (name, version, key),
  FOREIGN KEY (name, version) REFERENCES registry_versions(name, version) ON DELETE CASCADE
);
CREATE TABLE registry_aliases (
  name TEXT NOT NULL REFERENCES registry_models(name) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  version BIGINT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (name, alias),
  FOREIGN KEY (name, version) REFERENCES registry_versions(name, version)
);
CREATE TABLE registry_alias_history (
  seq BIGINT NOT NULL,
  name TEXT NOT NULL,
  alias TEXT NOT NULL,
  version BIGINT NOT NULL,
  previous_version BIGINT NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  comment TEXT NOT NULL,
  PRIMARY KEY (name, seq)
);
)sql",
       ""},
      {6, "registry governance: policies (quality gates), model card edits, promotion requests",
       // A promotion request is decided once: pending → approved | rejected | cancelled; the
       // gate report of the request (and of the approval) is kept as JSON.
       R"sql(
CREATE TABLE registry_policies (
  name TEXT PRIMARY KEY REFERENCES registry_models(name) ON DELETE CASCADE,
  policy TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE registry_cards (
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  edits TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (name, version),
  FOREIGN KEY (name, version) REFERENCES registry_versions(name, version) ON DELETE CASCADE
);
CREATE TABLE registry_promotions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL REFERENCES registry_models(name) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  alias TEXT NOT NULL,
  state TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  comment TEXT NOT NULL,
  gate_report TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  decision_comment TEXT NOT NULL
);
CREATE INDEX registry_promotions_model ON registry_promotions(name, state);
)sql",
       ""},
      {7, "serving: deployments, their spec history and the versions they served",
       // serving_served_versions records every switch of the served version (the rollback
       // target is the version served before the current one).
       R"sql(
CREATE TABLE serving_deployments (
  name TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  revision BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE serving_deployment_history (
  name TEXT NOT NULL,
  revision BIGINT NOT NULL,
  spec TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  comment TEXT NOT NULL,
  PRIMARY KEY (name, revision)
);
CREATE TABLE serving_served_versions (
  name TEXT NOT NULL,
  seq BIGINT NOT NULL,
  version BIGINT NOT NULL,
  served_at TEXT NOT NULL,
  PRIMARY KEY (name, seq)
);
)sql",
       ""},
      {8, "monitoring: drift results per deployment over time",
       R"sql(
CREATE TABLE monitor_drift (
  deployment TEXT NOT NULL,
  seq BIGINT NOT NULL,
  computed_at TEXT NOT NULL,
  model TEXT NOT NULL,
  version BIGINT NOT NULL,
  rows_compared BIGINT NOT NULL,
  max_psi DOUBLE PRECISION NOT NULL,
  result TEXT NOT NULL,
  PRIMARY KEY (deployment, seq)
);
)sql",
       ""},
      {9, "alerts: alert rules with their persisted state, and their transitions and notifications",
       // alert_rules.spec is the rule as JSON (alerts/rule.h); state, state_since and active_at
       // (when the condition began to hold) are kept so that a restart neither re-announces a
       // firing alert nor forgets to resolve it, and a pending one keeps its `for` progress.
       // next_event_seq numbers alert_events per rule (incremented under the row lock).
       R"sql(
CREATE TABLE alert_rules (
  name TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  state TEXT NOT NULL,
  state_since TEXT NOT NULL,
  active_at TEXT NOT NULL,
  next_event_seq BIGINT NOT NULL
);
CREATE TABLE alert_events (
  rule TEXT NOT NULL,
  seq BIGINT NOT NULL,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  previous_state TEXT NOT NULL,
  value DOUBLE PRECISION,
  ok BIGINT,
  http_status BIGINT,
  attempts BIGINT,
  detail TEXT NOT NULL,
  PRIMARY KEY (rule, seq)
);
)sql",
       ""},
  };
  return *migrations;
}

}  // namespace lepton::store
