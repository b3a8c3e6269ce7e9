#include "lepton/serving/drift_monitor.h"

#include <algorithm>

#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/train/json_rows.h"
#include "lepton/train/reference.h"

namespace lepton::serving {

DriftMonitor::DriftMonitor(store::MetaStore& store, Clock& clock, DeploymentService& deployments, PredictionLog& log)
    : store_(store), clock_(clock), deployments_(deployments), log_(log) {}

DriftMonitor::~DriftMonitor() { Stop(); }

void DriftMonitor::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<Json> DriftMonitor::Check(const std::string& deployment, int64_t requests) {
  LEPTON_ASSIGN_OR_RETURN(auto loaded, deployments_.Current(deployment));
  const Json& reference = loaded->bundle->reference();
  if (!reference.is_object()) {
    return absl::FailedPreconditionError(StrCat("model '", loaded->model, "' version ", loaded->version,
                                                " has no reference profile (imported, or trained before references "
                                                "were saved)"));
  }
  log_.Flush();  // what was answered so far is on disk
  // Entries are read one at a time straight into columns: a check holds one document, not a
  // thousand (which left a soaked server's heap 6-9 MB larger after each check).
  const std::vector<lake::Field>& signature = loaded->bundle->pipeline().input_signature();
  lake::RecordBatch batch{lake::Schema(signature)};
  std::vector<double> scores;
  const bool scored = loaded->bundle->task() != ml::Task::kMulticlass;
  absl::Status bad_row;
  const size_t entries = log_.ForEachRecent(
      deployment, loaded->version, static_cast<size_t>(std::max<int64_t>(requests, 1)), [&](Json&& e) {
        if (!bad_row.ok() || !e.contains("rows") || !e["rows"].is_array()) return;
        for (const Json& r : e["rows"]) {
          bad_row = train::AppendRowFromJson(signature, r, batch, StrCat("logged rows[", batch.num_rows(), "]"));
          if (!bad_row.ok()) return;
        }
        if (scored && e.contains("scores") && e["scores"].is_array()) {
          for (const Json& s : e["scores"]) scores.push_back(s.is_number() ? s.get<double>() : 0.0);
        }
      });
  LEPTON_RETURN_IF_ERROR(bad_row);
  if (batch.num_rows() == 0) {
    return absl::FailedPreconditionError(StrCat("deployment '", deployment, "' has no logged requests for version ",
                                                loaded->version, " yet"));
  }
  if (scores.size() != static_cast<size_t>(batch.num_rows())) scores.clear();
  LEPTON_ASSIGN_OR_RETURN(Json drift, train::CompareToReference(reference, batch, scores));
  double max_psi = 0;
  for (auto it = drift["columns"].begin(); it != drift["columns"].end(); ++it) {
    if ((*it)["psi"].is_number()) max_psi = std::max(max_psi, (*it)["psi"].get<double>());
  }
  if (drift["score"].is_object() && drift["score"]["psi"].is_number()) {
    max_psi = std::max(max_psi, drift["score"]["psi"].get<double>());
  }
  const std::string now = FormatTimestamp(clock_.Now());
  drift["deployment"] = deployment;
  drift["model"] = loaded->model;
  drift["version"] = loaded->version;
  drift["requests"] = entries;
  drift["computed_at"] = now;
  drift["max_psi"] = max_psi;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, tx.Query("SELECT MAX(seq) FROM monitor_drift WHERE deployment = ?", {deployment}));
    const int64_t seq = (rs.rows.empty() ? 0 : rs.rows[0].Int(0, 0)) + 1;
    return tx.Exec("INSERT INTO monitor_drift (deployment, seq, computed_at, model, version, rows_compared, max_psi, result) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   {deployment, seq, now, loaded->model, loaded->version, batch.num_rows(), max_psi, drift.dump()})
        .status();
  }));
  return drift;
}

absl::StatusOr<std::vector<Json>> DriftMonitor::History(const std::string& deployment, int64_t limit) {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          store_.Query("SELECT result FROM monitor_drift WHERE deployment = ? ORDER BY seq DESC LIMIT ?",
                                       {deployment, std::clamp<int64_t>(limit, 1, 10000)}));
  std::vector<Json> out;
  for (const store::Row& r : rs.rows) {
    auto j = ParseJson(r.String(0));
    if (j.ok()) out.push_back(*std::move(j));
  }
  return out;
}

void DriftMonitor::StartSchedule(absl::Duration interval, int64_t min_rows) {
  if (interval <= absl::ZeroDuration()) return;
  thread_ = std::thread([this, interval, min_rows] { Loop(interval, min_rows); });
}

void DriftMonitor::Loop(absl::Duration interval, int64_t min_rows) {
  std::unique_lock<std::mutex> l(mu_);
  while (!cv_.wait_for(l, absl::ToChronoMilliseconds(interval), [this] { return stopping_; })) {
    l.unlock();
    auto all = deployments_.List();
    if (all.ok()) {
      for (const Deployment& d : *all) {
        auto loaded = deployments_.Current(d.name);
        if (!loaded.ok()) continue;
        // Enough logged rows? `min_rows` entries hold at least that many rows, so no more are read
        // (reading 100 000 entries as documents here grew a soaked server's RSS by 380 MB).
        int64_t rows = 0;
        log_.ForEachRecent(d.name, (*loaded)->version, static_cast<size_t>(std::max<int64_t>(min_rows, 1)), [&](Json&& e) {
          if (e.contains("rows") && e["rows"].is_array()) rows += static_cast<int64_t>(e["rows"].size());
        });
        if (rows < min_rows) continue;
        auto result = Check(d.name);
        if (!result.ok()) {
          Log(LogLevel::kWarning, "scheduled drift check failed",
              {{"deployment", d.name}, {"error", std::string(result.status().message())}});
        }
      }
    }
    l.lock();
  }
}

}  // namespace lepton::serving
