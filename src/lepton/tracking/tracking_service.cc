#include "lepton/tracking/tracking_service.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/ids.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/tracking/search_filter.h"

namespace lepton::tracking {
namespace {

constexpr char kExperimentColumns[] =
    "id, name, description, tags, created_by, created_at, updated_at, lifecycle";
constexpr char kRunColumns[] =
    "r.id, r.experiment_id, r.name, r.status, r.start_time, r.end_time, r.user_name, r.source, "
    "r.job_id, r.parent_run_id";

std::map<std::string, std::string> StringMapFromJson(const std::string& text) {
  std::map<std::string, std::string> out;
  auto j = ParseJson(text);
  if (j.ok() && j->is_object()) {
    for (const auto& [k, v] : j->items()) {
      if (v.is_string()) out[k] = v.get<std::string>();
    }
  }
  return out;
}

Experiment ExperimentFromRow(const store::Row& r) {
  Experiment e;
  e.id = r.String(0);
  e.name = r.String(1);
  e.description = r.String(2);
  e.tags = StringMapFromJson(r.String(3));
  e.created_by = r.String(4);
  e.created_at = r.String(5);
  e.updated_at = r.String(6);
  e.deleted = r.String(7) == "deleted";
  return e;
}

absl::StatusOr<RunInfo> RunInfoFromRow(const store::Row& r) {
  RunInfo i;
  i.id = r.String(0);
  i.experiment_id = r.String(1);
  i.name = r.String(2);
  auto status = ParseRunStatus(r.String(3));
  if (!status.ok()) return absl::DataLossError(StrCat("run ", i.id, ": unknown status '", r.String(3), "'"));
  i.status = *status;
  i.start_time = r.String(4);
  i.end_time = r.String(5);
  i.user = r.String(6);
  i.source = r.String(7);
  i.job_id = r.String(8);
  i.parent_run_id = r.String(9);
  return i;
}

absl::Status ValidateKey(std::string_view what, std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength) {
    return absl::InvalidArgumentError(
        StrCat(what, " key '", key, "': expected 1 to ", kMaxKeyLength, " characters"));
  }
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(StrCat(what, " key '", key, "': control characters are not allowed"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTags(const std::map<std::string, std::string>& tags) {
  if (tags.size() > kMaxBatchTags) {
    return absl::InvalidArgumentError(StrCat("tags: at most ", kMaxBatchTags, " at once"));
  }
  for (const auto& [k, v] : tags) {
    LEPTON_RETURN_IF_ERROR(ValidateKey("tag", k));
    if (v.size() > kMaxTagValueBytes) {
      return absl::InvalidArgumentError(
          StrCat("tag '", k, "': value exceeds ", kMaxTagValueBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDatasetName(std::string_view dataset) {
  const auto slash = dataset.find('/');
  bool ok = slash != std::string_view::npos && slash > 0 && slash + 1 < dataset.size();
  for (size_t i = 0; ok && i < dataset.size(); ++i) {
    const char c = dataset[i];
    ok = i == slash || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        StrCat("dataset '", dataset, "': expected <namespace>/<name> of a-z, 0-9 and '_'"));
  }
  return absl::OkStatus();
}

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

// Page tokens are opaque to clients: hex of {"offset": N}, as MLflow's (base64 there).
std::string EncodePageToken(int64_t offset) {
  return HexEncode(DumpJson(Json{{"offset", offset}}));
}

absl::StatusOr<int64_t> DecodePageToken(std::string_view token) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(StrCat("page_token '", token, "': not a token this server issued"));
  };
  if (token.size() % 2 != 0 || token.size() > 128) return bad();
  std::string raw;
  for (size_t i = 0; i < token.size(); i += 2) {
    int v = 0;
    for (size_t k = 0; k < 2; ++k) {
      const char c = token[i + k];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else return bad();
    }
    raw.push_back(static_cast<char>(v));
  }
  auto j = ParseJson(raw);
  if (!j.ok() || !j->is_object() || !j->contains("offset") || !(*j)["offset"].is_number_integer() ||
      (*j)["offset"].get<int64_t>() < 0) {
    return bad();
  }
  return (*j)["offset"].get<int64_t>();
}

int64_t TimeMillis(const std::string& rfc3339) {
  absl::Time t;
  return ParseTimestamp(rfc3339, &t) ? absl::ToUnixMillis(t) : 0;
}

// A field's value in one run, for filtering and ordering.
struct FieldValue {
  bool present = false;
  bool numeric = false;
  double number = 0;
  std::string text;
};

FieldValue Lookup(const Run& run, const FieldRef& f) {
  FieldValue v;
  const auto text = [&v](const std::string& s) {
    v.present = true;
    v.text = s;
  };
  switch (f.kind) {
    case FieldKind::kMetric:
      if (auto it = run.metrics.find(f.key); it != run.metrics.end()) {
        v.present = v.numeric = true;
        v.number = it->second.value;
      }
      break;
    case FieldKind::kParam:
      if (auto it = run.params.find(f.key); it != run.params.end()) text(it->second);
      break;
    case FieldKind::kTag:
      if (auto it = run.tags.find(f.key); it != run.tags.end()) text(it->second);
      break;
    case FieldKind::kAttribute: {
      const RunInfo& i = run.info;
      if (f.key == "start_time" || f.key == "end_time") {
        const std::string& t = f.key == "start_time" ? i.start_time : i.end_time;
        if (!t.empty()) {
          v.present = v.numeric = true;
          v.number = static_cast<double>(TimeMillis(t));
        }
      } else if (f.key == "run_id") text(i.id);
      else if (f.key == "run_name") text(i.name);
      else if (f.key == "status") text(std::string(RunStatusName(i.status)));
      else if (f.key == "user") text(i.user);
      else if (f.key == "experiment_id") text(i.experiment_id);
      else if (f.key == "source") text(i.source);
      else if (f.key == "job_id") text(i.job_id);
      else if (f.key == "parent_run_id") text(i.parent_run_id);
      break;
    }
    case FieldKind::kDataset: break;  // multi-valued: see Matches
  }
  return v;
}

bool CompareText(std::string a, Comparator op, std::string b, bool fold_case) {
  if (fold_case) {
    a = AsciiLower(a);
    b = AsciiLower(b);
  }
  switch (op) {
    case Comparator::kEq: return a == b;
    case Comparator::kNe: return a != b;
    case Comparator::kLike: return LikeMatch(a, b, false);
    case Comparator::kILike: return LikeMatch(a, b, true);
    default: return false;  // rejected by the parser
  }
}

bool CompareNumber(double a, Comparator op, double b) {
  switch (op) {
    case Comparator::kEq: return a == b;
    case Comparator::kNe: return a != b;
    case Comparator::kLt: return a < b;
    case Comparator::kLe: return a <= b;
    case Comparator::kGt: return a > b;
    case Comparator::kGe: return a >= b;
    default: return false;
  }
}

// A run without the field never matches (also for !=), as in MLflow's SQL store.
bool Matches(const Run& run, const FilterClause& c) {
  if (c.field.kind == FieldKind::kDataset) {
    const std::string& want = std::get<std::string>(c.value);
    for (const DatasetInput& in : run.inputs) {
      const std::string& have = c.field.key == "name" ? in.dataset
                                : c.field.key == "digest" ? in.digest
                                                          : in.context;
      if (CompareText(have, c.op, want, false)) return true;
    }
    return false;
  }
  const FieldValue v = Lookup(run, c.field);
  if (!v.present) return false;
  if (v.numeric) return CompareNumber(v.number, c.op, std::get<double>(c.value));
  // Statuses are stored lower case; MLflow clients write them upper case.
  const bool fold = c.field.kind == FieldKind::kAttribute && c.field.key == "status";
  return CompareText(v.text, c.op, std::get<std::string>(c.value), fold);
}

// <0, 0, >0 like strcmp; missing values sort last in either direction.
int CompareForOrder(const FieldValue& a, const FieldValue& b, bool ascending) {
  if (!a.present || !b.present) return a.present == b.present ? 0 : (a.present ? -1 : 1);
  int c = 0;
  if (a.numeric && b.numeric) c = a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  else c = a.text.compare(b.text) < 0 ? -1 : (a.text == b.text ? 0 : 1);
  return ascending ? c : -c;
}

}  // namespace

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kQueued: return "queued";
    case RunStatus::kRunning: return "running";
    case RunStatus::kFinished: return "finished";
    case RunStatus::kFailed: return "failed";
    case RunStatus::kKilled: return "killed";
  }
  return "unknown";
}

absl::StatusOr<RunStatus> ParseRunStatus(std::string_view name) {
  const std::string n = AsciiLower(name);
  for (RunStatus s : {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kFinished,
                      RunStatus::kFailed, RunStatus::kKilled}) {
    if (RunStatusName(s) == n) return s;
  }
  return absl::InvalidArgumentError(StrCat(
      "unknown run status '", name, "'; expected queued, running, finished, failed or killed"));
}

bool IsTerminal(RunStatus status) {
  return status == RunStatus::kFinished || status == RunStatus::kFailed ||
         status == RunStatus::kKilled;
}

absl::Status ValidateExperimentName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 128 && name.front() != '/' && name.back() != '/';
  char prev = '/';
  for (char c : name) {
    const bool seg = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                     c == '.';
    ok = ok && (seg || (c == '/' && prev != '/'));
    prev = c;
  }
  if (ok) {
    for (std::string_view segment : Split(name, '/')) ok = ok && segment != "." && segment != "..";
  }
  if (!ok) {
    return absl::InvalidArgumentError(StrCat(
        "invalid experiment name '", name,
        "': expected 1 to 128 characters of a-z, 0-9, '_', '-', '.' in segments separated by "
        "'/' (e.g. credit/scorecard)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateArtifactPath(std::string_view path) {
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("artifact path '", path, "': ", why));
  };
  if (path.empty() || path.size() > 512) return bad("expected 1 to 512 bytes");
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') {
      return bad("control characters and '\\' are not allowed");
    }
  }
  for (std::string_view segment : Split(path, '/')) {
    if (segment.empty() || segment == "." || segment == "..") {
      return bad("expected a relative path of non-empty segments, without '.' or '..'");
    }
  }
  return absl::OkStatus();
}

TrackingService::TrackingService(store::MetaStore& store, Clock& clock, std::string artifact_root)
    : store_(store), clock_(clock), artifact_root_(std::move(artifact_root)) {}

// ---------------------------------------------------------------- experiments

absl::StatusOr<Experiment> TrackingService::CreateExperiment(
    std::string_view name, std::string_view description,
    const std::map<std::string, std::string>& tags, std::string_view created_by) {
  LEPTON_RETURN_IF_ERROR(ValidateExperimentName(name));
  LEPTON_RETURN_IF_ERROR(ValidateTags(tags));
  if (description.size() > 20000) return absl::InvalidArgumentError("description: at most 20000 bytes");
  Experiment e;
  e.id = NewId();
  e.name = std::string(name);
  e.description = std::string(description);
  e.tags = tags;
  e.created_by = std::string(created_by);
  e.created_at = e.updated_at = FormatTimestamp(clock_.Now());
  absl::Status s =
      store_
          .Exec(StrCat("INSERT INTO tracking_experiments (", kExperimentColumns,
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, 'active')"),
                {e.id, e.name, e.description, DumpJson(Json(e.tags)), e.created_by, e.created_at,
                 e.updated_at})
          .status();
  if (absl::IsAlreadyExists(s)) {
    auto existing = GetExperimentByName(name);
    return absl::AlreadyExistsError(
        StrCat("experiment '", name, "' already exists",
               existing.ok() && existing->deleted ? " (deleted: restore it instead)" : ""));
  }
  LEPTON_RETURN_IF_ERROR(s);
  return e;
}

absl::StatusOr<Experiment> TrackingService::GetExperiment(std::string_view id) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query(StrCat("SELECT ", kExperimentColumns, " FROM tracking_experiments WHERE id = ?"),
                   {std::string(id)}));
  if (rs.rows.empty()) return absl::NotFoundError(StrCat("experiment '", id, "' not found"));
  return ExperimentFromRow(rs.rows[0]);
}

absl::StatusOr<Experiment> TrackingService::GetExperimentByName(std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query(StrCat("SELECT ", kExperimentColumns, " FROM tracking_experiments WHERE name = ?"),
                   {std::string(name)}));
  if (rs.rows.empty()) return absl::NotFoundError(StrCat("experiment '", name, "' not found"));
  return ExperimentFromRow(rs.rows[0]);
}

absl::StatusOr<std::vector<Experiment>> TrackingService::ListExperiments(ViewType view) {
  std::string sql = StrCat("SELECT ", kExperimentColumns, " FROM tracking_experiments");
  if (view == ViewType::kActiveOnly) sql += " WHERE lifecycle = 'active'";
  if (view == ViewType::kDeletedOnly) sql += " WHERE lifecycle = 'deleted'";
  sql += " ORDER BY name";
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, store_.Query(sql));
  std::vector<Experiment> out;
  for (const store::Row& r : rs.rows) out.push_back(ExperimentFromRow(r));
  return out;
}

absl::Status TrackingService::DeleteExperiment(std::string_view id) {
  LEPTON_ASSIGN_OR_RETURN(
      int64_t n, store_.Exec("UPDATE tracking_experiments SET lifecycle = 'deleted', updated_at = ? "
                             "WHERE id = ? AND lifecycle = 'active'",
                             {FormatTimestamp(clock_.Now()), std::string(id)}));
  if (n > 0) return absl::OkStatus();
  LEPTON_RETURN_IF_ERROR(GetExperiment(id).status());
  return absl::FailedPreconditionError(StrCat("experiment '", id, "' is already deleted"));
}

absl::Status TrackingService::RestoreExperiment(std::string_view id) {
  LEPTON_ASSIGN_OR_RETURN(
      int64_t n, store_.Exec("UPDATE tracking_experiments SET lifecycle = 'active', updated_at = ? "
                             "WHERE id = ? AND lifecycle = 'deleted'",
                             {FormatTimestamp(clock_.Now()), std::string(id)}));
  if (n > 0) return absl::OkStatus();
  LEPTON_RETURN_IF_ERROR(GetExperiment(id).status());
  return absl::FailedPreconditionError(StrCat("experiment '", id, "' is not deleted"));
}

// ---------------------------------------------------------------- runs

absl::StatusOr<RunInfo> TrackingService::CreateRun(const NewRun& req) {
  if (req.status != RunStatus::kQueued && req.status != RunStatus::kRunning) {
    return absl::InvalidArgumentError(
        StrCat("status: a new run is queued or running, not ", RunStatusName(req.status)));
  }
  LEPTON_RETURN_IF_ERROR(ValidateTags(req.tags));
  if (req.name.size() > 250) return absl::InvalidArgumentError("name: at most 250 characters");
  RunInfo info;
  info.id = NewId();
  info.experiment_id = req.experiment_id;
  info.name = req.name.empty() ? StrCat("run-", AsciiLower(info.id.substr(info.id.size() - 8)))
                               : req.name;
  info.status = req.status;
  info.start_time = FormatTimestamp(clock_.Now());
  info.user = req.user;
  info.source = req.source;
  info.job_id = req.job_id;
  info.parent_run_id = req.parent_run_id;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(
        store::ResultSet e,
        tx.Query("SELECT lifecycle FROM tracking_experiments WHERE id = ?", {req.experiment_id}));
    if (e.rows.empty()) {
      return absl::NotFoundError(StrCat("experiment '", req.experiment_id, "' not found"));
    }
    if (e.rows[0].String(0) != "active") {
      return absl::FailedPreconditionError(
          StrCat("experiment '", req.experiment_id, "' is deleted; restore it to add runs"));
    }
    if (!req.parent_run_id.empty()) {
      LEPTON_ASSIGN_OR_RETURN(
          store::ResultSet p,
          tx.Query("SELECT experiment_id FROM tracking_runs WHERE id = ?", {req.parent_run_id}));
      if (p.rows.empty() || p.rows[0].String(0) != req.experiment_id) {
        return absl::InvalidArgumentError(StrCat("parent_run_id '", req.parent_run_id,
                                                 "': not a run of experiment '",
                                                 req.experiment_id, "'"));
      }
    }
    LEPTON_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO tracking_runs (id, experiment_id, name, status, start_time, end_time, "
                "user_name, source, job_id, parent_run_id) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?)",
                {info.id, info.experiment_id, info.name, std::string(RunStatusName(info.status)),
                 info.start_time, info.user, info.source, info.job_id, info.parent_run_id})
            .status());
    for (const auto& [k, v] : req.tags) {
      LEPTON_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO tracking_tags (run_id, key, value) VALUES (?, ?, ?)", {info.id, k, v})
              .status());
    }
    return absl::OkStatus();
  }));
  return info;
}

absl::StatusOr<RunInfo> TrackingService::GetRunInfo(std::string_view run_id) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query(StrCat("SELECT ", kRunColumns, " FROM tracking_runs r WHERE r.id = ?"),
                   {std::string(run_id)}));
  if (rs.rows.empty()) return absl::NotFoundError(StrCat("run '", run_id, "' not found"));
  return RunInfoFromRow(rs.rows[0]);
}

absl::StatusOr<RunInfo> TrackingService::WritableRun(store::SqlSession& tx, std::string_view run_id) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      tx.Query(StrCat("SELECT ", kRunColumns, ", e.lifecycle FROM tracking_runs r "
                      "JOIN tracking_experiments e ON e.id = r.experiment_id WHERE r.id = ?"),
               {std::string(run_id)}));
  if (rs.rows.empty()) return absl::NotFoundError(StrCat("run '", run_id, "' not found"));
  if (rs.rows[0].String(10) != "active") {
    return absl::FailedPreconditionError(
        StrCat("run '", run_id, "' belongs to a deleted experiment; restore it to write"));
  }
  return RunInfoFromRow(rs.rows[0]);
}

absl::StatusOr<Run> TrackingService::GetRun(std::string_view run_id) {
  Run run;
  LEPTON_ASSIGN_OR_RETURN(run.info, GetRunInfo(run_id));
  const std::vector<store::Value> id = {run.info.id};
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet params,
                          store_.Query("SELECT key, value FROM tracking_params WHERE run_id = ?", id));
  for (const store::Row& r : params.rows) run.params[r.String(0)] = r.String(1);
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet tags,
                          store_.Query("SELECT key, value FROM tracking_tags WHERE run_id = ?", id));
  for (const store::Row& r : tags.rows) run.tags[r.String(0)] = r.String(1);
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet metrics,
      store_.Query("SELECT key, value, step, timestamp_ms FROM tracking_latest_metrics "
                   "WHERE run_id = ?", id));
  for (const store::Row& r : metrics.rows) {
    run.metrics[r.String(0)] = Metric{r.String(0), r.Double(1), r.Int(2), r.Int(3)};
  }
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet inputs,
      store_.Query("SELECT dataset, version, digest, context FROM tracking_inputs WHERE run_id = ? "
                   "ORDER BY created_at, dataset, context", id));
  for (const store::Row& r : inputs.rows) {
    run.inputs.push_back({r.String(0), r.Int(1), r.String(2), r.String(3)});
  }
  return run;
}

absl::Status TrackingService::LogParams(std::string_view run_id,
                                        const std::map<std::string, std::string>& params) {
  if (params.size() > kMaxBatchParams) {
    return absl::InvalidArgumentError(StrCat("params: at most ", kMaxBatchParams, " at once"));
  }
  for (const auto& [k, v] : params) {
    LEPTON_RETURN_IF_ERROR(ValidateKey("param", k));
    if (v.size() > kMaxParamValueBytes) {
      return absl::InvalidArgumentError(
          StrCat("param '", k, "': value exceeds ", kMaxParamValueBytes, " bytes"));
    }
  }
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(RunInfo run, WritableRun(tx, run_id));
    for (const auto& [k, v] : params) {
      LEPTON_ASSIGN_OR_RETURN(
          int64_t n, tx.Exec("INSERT INTO tracking_params (run_id, key, value) VALUES (?, ?, ?) "
                             "ON CONFLICT (run_id, key) DO NOTHING",
                             {run.id, k, v}));
      if (n > 0) continue;
      LEPTON_ASSIGN_OR_RETURN(
          store::ResultSet old,
          tx.Query("SELECT value FROM tracking_params WHERE run_id = ? AND key = ?", {run.id, k}));
      const std::string previous = old.rows.empty() ? "" : old.rows[0].String(0);
      if (previous != v) {
        return absl::FailedPreconditionError(
            StrCat("param '", k, "' of run '", run.id, "' is already '", previous,
                   "'; params are immutable (got '", v, "')"));
      }
    }
    return absl::OkStatus();
  });
}

absl::Status TrackingService::LogParam(std::string_view run_id, std::string_view key,
                                       std::string_view value) {
  return LogParams(run_id, {{std::string(key), std::string(value)}});
}

absl::Status TrackingService::LogMetrics(std::string_view run_id, const std::vector<Metric>& metrics) {
  if (metrics.size() > kMaxBatchMetrics) {
    return absl::InvalidArgumentError(StrCat("metrics: at most ", kMaxBatchMetrics, " at once"));
  }
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  for (const Metric& m : metrics) {
    LEPTON_RETURN_IF_ERROR(ValidateKey("metric", m.key));
    if (!std::isfinite(m.value)) {
      return absl::InvalidArgumentError(StrCat("metric '", m.key, "': value must be finite"));
    }
  }
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(RunInfo run, WritableRun(tx, run_id));
    for (const Metric& m : metrics) {
      const int64_t ts = m.timestamp_ms > 0 ? m.timestamp_ms : now_ms;
      const std::vector<store::Value> row = {run.id, m.key, m.value, m.step, ts};
      LEPTON_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO tracking_metrics (run_id, key, value, step, timestamp_ms) "
                  "VALUES (?, ?, ?, ?, ?)", row)
              .status());
      LEPTON_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO tracking_latest_metrics (run_id, key, value, step, timestamp_ms) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET "
                  "value = excluded.value, step = excluded.step, "
                  "timestamp_ms = excluded.timestamp_ms "
                  "WHERE excluded.step > tracking_latest_metrics.step OR "
                  "(excluded.step = tracking_latest_metrics.step AND "
                  "(excluded.timestamp_ms > tracking_latest_metrics.timestamp_ms OR "
                  "(excluded.timestamp_ms = tracking_latest_metrics.timestamp_ms AND "
                  "excluded.value > tracking_latest_metrics.value)))",
                  row)
              .status());
    }
    return absl::OkStatus();
  });
}

absl::Status TrackingService::LogMetric(std::string_view run_id, std::string_view key, double value,
                                        int64_t step) {
  return LogMetrics(run_id, {Metric{std::string(key), value, step, 0}});
}

absl::Status TrackingService::SetTags(std::string_view run_id,
                                      const std::map<std::string, std::string>& tags) {
  LEPTON_RETURN_IF_ERROR(ValidateTags(tags));
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(RunInfo run, WritableRun(tx, run_id));
    for (const auto& [k, v] : tags) {
      LEPTON_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO tracking_tags (run_id, key, value) VALUES (?, ?, ?) "
                  "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                  {run.id, k, v})
              .status());
    }
    return absl::OkStatus();
  });
}

absl::Status TrackingService::SetTag(std::string_view run_id, std::string_view key,
                                     std::string_view value) {
  return SetTags(run_id, {{std::string(key), std::string(value)}});
}

absl::Status TrackingService::LogInputs(std::string_view run_id,
                                        const std::vector<DatasetInput>& inputs) {
  if (inputs.size() > 100) return absl::InvalidArgumentError("inputs: at most 100 at once");
  for (const DatasetInput& in : inputs) {
    LEPTON_RETURN_IF_ERROR(ValidateDatasetName(in.dataset));
    if (in.context.empty() || in.context.size() > 64) {
      return absl::InvalidArgumentError(
          StrCat("input '", in.dataset, "': context must be 1 to 64 characters "
                 "(training, validation, test, …)"));
    }
    if (in.digest.size() > 256) {
      return absl::InvalidArgumentError(StrCat("input '", in.dataset, "': digest exceeds 256 bytes"));
    }
  }
  const std::string now = FormatTimestamp(clock_.Now());
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(RunInfo run, WritableRun(tx, run_id));
    for (const DatasetInput& in : inputs) {
      LEPTON_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO tracking_inputs (run_id, dataset, version, digest, context, "
                  "created_at) VALUES (?, ?, ?, ?, ?, ?) "
                  "ON CONFLICT (run_id, dataset, version, context) DO NOTHING",
                  {run.id, in.dataset, in.version, in.digest, in.context, now})
              .status());
    }
    return absl::OkStatus();
  });
}

absl::Status TrackingService::LogInput(std::string_view run_id, const DatasetInput& input) {
  return LogInputs(run_id, {input});
}

absl::StatusOr<RunInfo> TrackingService::SetStatus(std::string_view run_id, RunStatus status,
                                                   std::optional<std::string> end_time) {
  if (end_time) {
    absl::Time t;
    if (!ParseTimestamp(*end_time, &t)) {
      return absl::InvalidArgumentError(StrCat("end_time: expected an RFC 3339 time, got '", *end_time, "'"));
    }
    *end_time = FormatTimestamp(t);
  }
  RunInfo out;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(RunInfo run, WritableRun(tx, run_id));
    if (run.status == status) {
      out = run;
      return absl::OkStatus();
    }
    if (IsTerminal(run.status)) {
      return absl::FailedPreconditionError(StrCat("run '", run.id, "' is already ",
                                                  RunStatusName(run.status), "; cannot become ",
                                                  RunStatusName(status)));
    }
    const std::string now = FormatTimestamp(clock_.Now());
    const RunStatus old = run.status;
    if (run.status == RunStatus::kQueued) run.start_time = now;  // the run starts now
    run.status = status;
    if (IsTerminal(status)) run.end_time = end_time.value_or(now);
    // Conditional on the status read above: a concurrent change makes this a conflict.
    LEPTON_ASSIGN_OR_RETURN(
        int64_t n, tx.Exec("UPDATE tracking_runs SET status = ?, start_time = ?, end_time = ? "
                           "WHERE id = ? AND status = ?",
                           {std::string(RunStatusName(status)), run.start_time, run.end_time,
                            run.id, std::string(RunStatusName(old))}));
    if (n == 0) return absl::AbortedError(StrCat("run '", run.id, "' changed concurrently; retry"));
    out = run;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<RunInfo> TrackingService::EndRun(std::string_view run_id, RunStatus status) {
  if (!IsTerminal(status)) {
    return absl::InvalidArgumentError(
        StrCat("status: a run ends finished, failed or killed, not ", RunStatusName(status)));
  }
  return SetStatus(run_id, status);
}

absl::StatusOr<RunInfo> TrackingService::RenameRun(std::string_view run_id, std::string_view name) {
  if (name.empty() || name.size() > 250) {
    return absl::InvalidArgumentError("name: expected 1 to 250 characters");
  }
  RunInfo out;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(out, WritableRun(tx, run_id));
    out.name = std::string(name);
    return tx.Exec("UPDATE tracking_runs SET name = ? WHERE id = ?", {out.name, out.id}).status();
  }));
  return out;
}

absl::StatusOr<std::vector<Metric>> TrackingService::GetMetricHistory(std::string_view run_id,
                                                                      std::string_view key) {
  LEPTON_ASSIGN_OR_RETURN(RunInfo run, GetRunInfo(run_id));
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT value, step, timestamp_ms FROM tracking_metrics WHERE run_id = ? AND "
                   "key = ? ORDER BY step, timestamp_ms, value",
                   {run.id, std::string(key)}));
  std::vector<Metric> out;
  out.reserve(rs.rows.size());
  for (const store::Row& r : rs.rows) out.push_back({std::string(key), r.Double(0), r.Int(1), r.Int(2)});
  return out;
}

// ---------------------------------------------------------------- search

absl::StatusOr<std::vector<Run>> TrackingService::LoadRuns(
    const std::vector<std::string>& experiment_ids) {
  std::vector<store::Value> ids(experiment_ids.begin(), experiment_ids.end());
  const std::string in = Placeholders(ids.size());
  const std::string runs_of = StrCat("run_id IN (SELECT id FROM tracking_runs WHERE experiment_id IN (", in, "))");
  std::vector<Run> runs;
  std::unordered_map<std::string, size_t> index;
  // Plain reads, not a transaction: SQLite would take its write lock for one. A run created
  // between the queries shows up without its params, which a search may well see anyway.
  LEPTON_RETURN_IF_ERROR([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        tx.Query(StrCat("SELECT ", kRunColumns, " FROM tracking_runs r WHERE r.experiment_id IN (", in, ")"),
                 ids));
    for (const store::Row& r : rs.rows) {
      Run run;
      LEPTON_ASSIGN_OR_RETURN(run.info, RunInfoFromRow(r));
      index[run.info.id] = runs.size();
      runs.push_back(std::move(run));
    }
    const auto each = [&](std::string sql, auto&& fn) -> absl::Status {
      LEPTON_ASSIGN_OR_RETURN(store::ResultSet q, tx.Query(sql, ids));
      for (const store::Row& r : q.rows) {
        auto it = index.find(r.String(0));
        if (it != index.end()) fn(runs[it->second], r);
      }
      return absl::OkStatus();
    };
    LEPTON_RETURN_IF_ERROR(each(StrCat("SELECT run_id, key, value FROM tracking_params WHERE ", runs_of),
                                [](Run& run, const store::Row& r) { run.params[r.String(1)] = r.String(2); }));
    LEPTON_RETURN_IF_ERROR(each(StrCat("SELECT run_id, key, value FROM tracking_tags WHERE ", runs_of),
                                [](Run& run, const store::Row& r) { run.tags[r.String(1)] = r.String(2); }));
    LEPTON_RETURN_IF_ERROR(each(
        StrCat("SELECT run_id, key, value, step, timestamp_ms FROM tracking_latest_metrics WHERE ", runs_of),
        [](Run& run, const store::Row& r) {
          run.metrics[r.String(1)] = Metric{r.String(1), r.Double(2), r.Int(3), r.Int(4)};
        }));
    return each(
        StrCat("SELECT run_id, dataset, version, digest, context FROM tracking_inputs WHERE ", runs_of,
               " ORDER BY created_at, dataset, context"),
        [](Run& run, const store::Row& r) {
          run.inputs.push_back({r.String(1), r.Int(2), r.String(3), r.String(4)});
        });
  }(store_));
  return runs;
}

absl::StatusOr<SearchResult> TrackingService::SearchRuns(const SearchRequest& req) {
  if (req.experiment_ids.empty()) {
    return absl::InvalidArgumentError("experiment_ids: name at least one experiment");
  }
  if (req.experiment_ids.size() > 100) return absl::InvalidArgumentError("experiment_ids: at most 100");
  if (req.max_results < 1 || req.max_results > 50000) {
    return absl::InvalidArgumentError(StrCat("max_results: expected 1 to 50000, got ", req.max_results));
  }
  LEPTON_ASSIGN_OR_RETURN(std::vector<FilterClause> clauses, ParseFilter(req.filter));
  std::vector<OrderItem> order;
  for (const std::string& item : req.order_by) {
    LEPTON_ASSIGN_OR_RETURN(OrderItem o, ParseOrderBy(item));
    order.push_back(std::move(o));
  }
  int64_t offset = 0;
  if (!req.page_token.empty()) {
    LEPTON_ASSIGN_OR_RETURN(offset, DecodePageToken(req.page_token));
  }
  for (const std::string& id : req.experiment_ids) LEPTON_RETURN_IF_ERROR(GetExperiment(id).status());

  LEPTON_ASSIGN_OR_RETURN(std::vector<Run> all, LoadRuns(req.experiment_ids));
  std::vector<Run> hits;
  for (Run& run : all) {
    bool ok = true;
    for (const FilterClause& c : clauses) ok = ok && Matches(run, c);
    if (ok) hits.push_back(std::move(run));
  }
  const OrderItem start_desc{{FieldKind::kAttribute, "start_time"}, false};
  std::stable_sort(hits.begin(), hits.end(), [&](const Run& a, const Run& b) {
    for (const OrderItem& o : order) {
      const int c = CompareForOrder(Lookup(a, o.field), Lookup(b, o.field), o.ascending);
      if (c != 0) return c < 0;
    }
    // Ties (and the default order): newest first, then by id for a stable paging order.
    const int c = CompareForOrder(Lookup(a, start_desc.field), Lookup(b, start_desc.field), false);
    if (c != 0) return c < 0;
    return a.info.id < b.info.id;
  });
  SearchResult out;
  const size_t begin = std::min(hits.size(), static_cast<size_t>(offset));
  const size_t end = std::min(hits.size(), begin + static_cast<size_t>(req.max_results));
  for (size_t i = begin; i < end; ++i) out.runs.push_back(std::move(hits[i]));
  if (end < hits.size()) out.next_page_token = EncodePageToken(static_cast<int64_t>(end));
  return out;
}

absl::StatusOr<RunComparison> TrackingService::CompareRuns(const std::vector<std::string>& run_ids) {
  if (run_ids.empty() || run_ids.size() > 100) {
    return absl::InvalidArgumentError("run_ids: expected 1 to 100 runs");
  }
  std::vector<Run> runs;
  for (const std::string& id : run_ids) {
    LEPTON_ASSIGN_OR_RETURN(Run r, GetRun(id));
    runs.push_back(std::move(r));
  }
  RunComparison c;
  const size_t n = runs.size();
  for (size_t i = 0; i < n; ++i) {
    c.runs.push_back(runs[i].info);
    for (const auto& [k, v] : runs[i].params) {
      auto& row = c.params[k];
      row.resize(n);
      row[i] = v;
    }
    for (const auto& [k, m] : runs[i].metrics) {
      auto& row = c.metrics[k];
      row.resize(n);
      row[i] = m.value;
    }
  }
  return c;
}

// ---------------------------------------------------------------- artifacts

std::string TrackingService::ArtifactDir(const RunInfo& run) const {
  return StrCat(artifact_root_, "/", run.experiment_id, "/", run.id);
}

absl::StatusOr<ArtifactInfo> TrackingService::LogArtifact(std::string_view run_id,
                                                          std::string_view path,
                                                          std::string_view data) {
  LEPTON_RETURN_IF_ERROR(ValidateArtifactPath(path));
  LEPTON_ASSIGN_OR_RETURN(RunInfo run, WritableRun(store_, run_id));
  // A path cannot be both a file and a folder: reject "a/b" when "a" is a file, and "a" when
  // "a/…" files exist. A run holds tens of artifacts, so the check reads their paths rather
  // than relying on string functions whose argument types differ between SQLite and PostgreSQL.
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet existing,
      store_.Query("SELECT path FROM tracking_artifacts WHERE run_id = ?", {run.id}));
  for (const store::Row& r : existing.rows) {
    const std::string other = r.String(0);
    const auto under = [](std::string_view child, std::string_view parent) {
      return child.size() > parent.size() && child.starts_with(parent) &&
             child[parent.size()] == '/';
    };
    if (under(other, path) || under(path, other)) {
      return absl::FailedPreconditionError(
          StrCat("artifact path '", path, "' clashes with artifact '", other,
                 "' (a path is a file or a folder, not both)"));
    }
  }
  const std::string full = StrCat(ArtifactDir(run), "/", path);
  LEPTON_RETURN_IF_ERROR(MakeDirs(full.substr(0, full.rfind('/'))));
  LEPTON_RETURN_IF_ERROR(WriteFileAtomically(full, data));
  ArtifactInfo info{std::string(path), static_cast<int64_t>(data.size()), Sha256Hex(data),
                    FormatTimestamp(clock_.Now())};
  LEPTON_RETURN_IF_ERROR(
      store_
          .Exec("INSERT INTO tracking_artifacts (run_id, path, size_bytes, sha256, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, path) DO UPDATE SET "
                "size_bytes = excluded.size_bytes, sha256 = excluded.sha256, "
                "created_at = excluded.created_at",
                {run.id, info.path, info.size_bytes, info.sha256, info.created_at})
          .status());
  return info;
}

absl::StatusOr<std::string> TrackingService::ReadArtifact(std::string_view run_id,
                                                          std::string_view path) {
  LEPTON_RETURN_IF_ERROR(ValidateArtifactPath(path));
  LEPTON_ASSIGN_OR_RETURN(RunInfo run, GetRunInfo(run_id));
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT size_bytes FROM tracking_artifacts WHERE run_id = ? AND path = ?",
                   {run.id, std::string(path)}));
  if (rs.rows.empty()) {
    return absl::NotFoundError(StrCat("run '", run.id, "' has no artifact '", path, "'"));
  }
  return ReadFile(StrCat(ArtifactDir(run), "/", path));
}

absl::StatusOr<std::vector<ArtifactInfo>> TrackingService::ListArtifacts(std::string_view run_id,
                                                                         std::string_view prefix) {
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  if (!prefix.empty()) LEPTON_RETURN_IF_ERROR(ValidateArtifactPath(prefix));
  LEPTON_ASSIGN_OR_RETURN(RunInfo run, GetRunInfo(run_id));
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT path, size_bytes, sha256, created_at FROM tracking_artifacts "
                   "WHERE run_id = ? ORDER BY path",
                   {run.id}));
  std::vector<ArtifactInfo> out;
  for (const store::Row& r : rs.rows) {
    const std::string p = r.String(0);
    if (!prefix.empty() && p != prefix &&
        !(p.size() > prefix.size() && p.starts_with(prefix) && p[prefix.size()] == '/')) {
      continue;
    }
    out.push_back({p, r.Int(1), r.String(2), r.String(3)});
  }
  return out;
}

// ---------------------------------------------------------------- JSON

Json ExperimentToJson(const Experiment& e) {
  return {{"id", e.id},
          {"name", e.name},
          {"description", e.description},
          {"tags", e.tags},
          {"created_by", e.created_by},
          {"created_at", e.created_at},
          {"updated_at", e.updated_at},
          {"lifecycle", e.deleted ? "deleted" : "active"}};
}

Json RunInfoToJson(const RunInfo& r) {
  const auto or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  return {{"id", r.id},
          {"experiment_id", r.experiment_id},
          {"name", r.name},
          {"status", std::string(RunStatusName(r.status))},
          {"start_time", r.start_time},
          {"end_time", or_null(r.end_time)},
          {"user", r.user},
          {"source", r.source},
          {"job_id", or_null(r.job_id)},
          {"parent_run_id", or_null(r.parent_run_id)}};
}

Json MetricToJson(const Metric& m) {
  return {{"key", m.key}, {"value", m.value}, {"step", m.step}, {"timestamp", m.timestamp_ms}};
}

Json RunToJson(const Run& r) {
  Json j = RunInfoToJson(r.info);
  j["params"] = r.params;
  j["tags"] = r.tags;
  Json metrics = Json::object();
  for (const auto& [k, m] : r.metrics) {
    metrics[k] = {{"value", m.value}, {"step", m.step}, {"timestamp", m.timestamp_ms}};
  }
  j["metrics"] = std::move(metrics);
  Json inputs = Json::array();
  for (const DatasetInput& in : r.inputs) {
    inputs.push_back({{"dataset", in.dataset}, {"version", in.version}, {"digest", in.digest},
                      {"context", in.context}});
  }
  j["inputs"] = std::move(inputs);
  return j;
}

Json ArtifactToJson(const ArtifactInfo& a) {
  return {{"path", a.path}, {"size_bytes", a.size_bytes}, {"sha256", a.sha256},
          {"created_at", a.created_at}};
}

Json ComparisonToJson(const RunComparison& c) {
  Json runs = Json::array();
  for (const RunInfo& r : c.runs) runs.push_back(RunInfoToJson(r));
  const auto row = [](const auto& values) {
    Json out = Json::array();
    for (const auto& v : values) out.push_back(v ? Json(*v) : Json(nullptr));
    return out;
  };
  Json params = Json::object(), metrics = Json::object();
  for (const auto& [k, v] : c.params) params[k] = row(v);
  for (const auto& [k, v] : c.metrics) metrics[k] = row(v);
  return {{"runs", runs}, {"params", params}, {"metrics", metrics}};
}

absl::StatusOr<std::vector<std::string>> TrackingService::RunIdsWithInput(std::string_view dataset, int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT DISTINCT i.run_id, r.start_time FROM tracking_inputs i JOIN tracking_runs r ON r.id = i.run_id "
                   "WHERE i.dataset = ? AND (? < 0 OR i.version = ?) ORDER BY r.start_time, i.run_id",
                   {std::string(dataset), version, version}));
  std::vector<std::string> out;
  for (const store::Row& r : rs.rows) out.push_back(r.String(0));
  return out;
}

}  // namespace lepton::tracking
