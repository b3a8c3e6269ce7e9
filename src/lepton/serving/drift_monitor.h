#pragma once
// `DriftMonitor`: drift of what deployments serve, against the reference profile saved with the
// served version at training (train/reference.h), from the prediction log's newest entries.
// Every computation — on demand or by the schedule — is kept as a time series in the metadata
// store (table monitor_drift), newest first in `History`.
//
// The schedule: every `interval` (0: off) each deployment with at least `min_rows` logged rows
// for its served version is checked. Thread-safe.

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/serving/deployment_service.h"
#include "lepton/serving/prediction_log.h"
#include "lepton/store/meta_store.h"

namespace lepton::serving {

class DriftMonitor {
 public:
  DriftMonitor(store::MetaStore& store, Clock& clock, DeploymentService& deployments, PredictionLog& log);
  ~DriftMonitor();

  // Computes the drift of `deployment` over its newest `requests` logged requests and records
  // it. FailedPrecondition when the served version has no reference or nothing is logged.
  // The result: train::CompareToReference's JSON plus "deployment", "model", "version",
  // "requests", "computed_at", "max_psi".
  absl::StatusOr<Json> Check(const std::string& deployment, int64_t requests = 1000);
  // Recorded results, newest first.
  absl::StatusOr<std::vector<Json>> History(const std::string& deployment, int64_t limit = 100);

  void StartSchedule(absl::Duration interval, int64_t min_rows = 100);
  void Stop();

 private:
  void Loop(absl::Duration interval, int64_t min_rows);

  store::MetaStore& store_;
  Clock& clock_;
  DeploymentService& deployments_;
  PredictionLog& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lepton::serving
