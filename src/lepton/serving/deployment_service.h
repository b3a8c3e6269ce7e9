#pragma once
// `DeploymentService`: what the server serves. A deployment (a name, used in inference URLs such
// as /v2/models/<name>/infer) serves a registered model through an alias — "serve whatever
// `production` points at" — or pinned to a version. Its spec is kept in the metadata store with
// a revision history; the models themselves are loaded from the registry (checksums verified).
//
// Hot reload: a watcher thread re-resolves every deployment's target every `refresh_every`
// (and `Refresh(name)` does it at once, e.g. right after an alias move or a spec change). When
// the target version changed, the new version is loaded and warmed (its manifest's example input
// predicted a few times) while the old one keeps serving; then the served model is swapped in one
// atomic pointer exchange. Requests already running finish on the old model, which is unloaded
// when the last of them releases it (shared ownership). A version that fails to load leaves the
// old one serving, with the error in the deployment's status.
//
// Admission: each deployment runs at most `max_concurrency` inferences at once; up to
// `max_queue` more wait (at most `queue_timeout_ms`); beyond that `Admit` answers Unavailable,
// which the API maps to 503 with Retry-After.
//
// Rollback: `Rollback` pins the deployment to the version it served before the current one.
//
// Canary and shadow (optional, per spec): a canary version answers a percentage of the requests;
// a shadow version receives a copy of each request on a background thread (bounded queue,
// dropped when full — the request path never waits for it) and its answers are compared with the
// served ones (label agreement, score differences in the status), never returned. Both are
// resolved, loaded and swapped like the primary.
//
// Thread-safe. `Current` and `Admit` are on the request path: a mutex-protected map lookup and a
// shared_ptr copy, no I/O.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/registry/registry_service.h"
#include "lepton/serving/batcher.h"
#include "lepton/store/meta_store.h"
#include "lepton/train/model.h"

namespace lepton::serving {

// A second version of the same model next to the primary one: by alias or fixed version.
struct VersionTarget {
  std::string alias;
  int64_t version = 0;
};

struct DeploymentSpec {
  std::string model;        // registered model name
  std::string alias;        // serve the version behind this alias ...
  int64_t version = 0;      // ... or this fixed version (exactly one of the two)
  int max_concurrency = 16;
  int max_queue = 256;
  int64_t queue_timeout_ms = 1000;
  // Canary: `canary_percent` % of requests (by a hash of the request id, else at random) are
  // answered by this version instead.
  std::optional<VersionTarget> canary;
  double canary_percent = 0;
  // Shadow: this version gets a copy of every request after the answer was sent; its answers
  // are compared with the served ones and counted, never returned.
  std::optional<VersionTarget> shadow;
  // Share of requests written to the prediction log (prediction_log.h), by request-id hash.
  double log_sample_rate = 1.0;
  // Dynamic batching of the served and canary versions (batcher.h); off by default.
  BatchingOptions batching;

  // {"model", "alias" | "version", "max_concurrency", "max_queue", "queue_timeout_ms",
  //  "canary": {"alias" | "version", "percent"}, "shadow": {"alias" | "version"},
  //  "log_sample_rate": 0..1, "batching": {"max_batch_size", "max_queue_delay_us"}};
  // InvalidArgument naming the field.
  static absl::StatusOr<DeploymentSpec> FromJson(const Json& j);
  Json ToJson() const;
};

struct Deployment {
  std::string name;
  DeploymentSpec spec;
  int64_t revision = 1;
  std::string created_by, created_at, updated_by, updated_at;
};

// A loaded, warmed model version. Immutable; shared by the requests using it.
struct LoadedModel {
  std::string model;   // registered model name
  int64_t version = 0;
  std::shared_ptr<const train::Model> bundle;
  double load_seconds = 0;
  std::string loaded_at;
  // Set when the deployment batches: requests predict through it (its thread), not inline.
  std::shared_ptr<Batcher> batcher;
};

// What the shadow version did with its copies of the traffic.
struct ShadowStats {
  int64_t compared = 0;        // requests the shadow answered
  int64_t rows = 0;            // rows compared
  int64_t label_agreements = 0;  // rows where both gave the same label (classification)
  double sum_abs_score_diff = 0;  // summed |shadow score - served score|
  double max_abs_score_diff = 0;
  int64_t dropped = 0;         // copies not run: the shadow queue was full
  int64_t errors = 0;          // copies the shadow failed on
  Json ToJson() const;         // adds "label_agreement" and "mean_abs_score_diff"
};

struct DeploymentStatus {
  std::string state = "loading";  // loading | ready | failed (never loaded) | degraded (serving an
                                  // older version; the target failed to load)
  int64_t serving_version = 0;    // 0 while nothing is loaded
  int64_t target_version = 0;     // what the spec resolves to now
  std::string last_error;
  double load_seconds = 0;
  std::string loaded_at;
  int64_t in_flight = 0;
  int64_t queued = 0;
  int64_t rejected = 0;           // 503s since start
  int64_t canary_version = 0;     // 0: no canary loaded
  int64_t shadow_version = 0;     // 0: no shadow loaded
  ShadowStats shadow;
  Json ToJson() const;
};

// `loaded` batching as `batching` says: itself when it already does, else a copy sharing the
// bundle with a new batcher (or none).
std::shared_ptr<const LoadedModel> WithBatching(std::shared_ptr<const LoadedModel> loaded,
                                                const BatchingOptions& batching);

// InvalidArgument unless `name` is 1-64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit.
absl::Status ValidateDeploymentName(std::string_view name);

class DeploymentService {
 public:
  DeploymentService(store::MetaStore& store, Clock& clock, registry::RegistryService& registry);
  ~DeploymentService();

  // Loads every stored deployment (failures are recorded in their status, not returned) and
  // starts the watcher. Call once.
  absl::Status Start(absl::Duration refresh_every = absl::Seconds(2));
  void Stop();

  // Management. Create/Update validate the spec against the registry (the model exists; the
  // alias or version resolves to a ready version) and load it before answering: a deployment is
  // created serving, or not at all. AlreadyExists / NotFound as usual.
  absl::StatusOr<Deployment> Create(std::string_view name, const DeploymentSpec& spec, std::string_view user);
  absl::StatusOr<Deployment> Update(std::string_view name, const DeploymentSpec& spec, std::string_view user,
                                    std::string_view comment = "");
  absl::Status Delete(std::string_view name);
  absl::StatusOr<Deployment> Get(std::string_view name);
  absl::StatusOr<std::vector<Deployment>> List();
  // Pins the deployment to the version it served before the current one (a new revision).
  // FailedPrecondition when it has served only one version.
  absl::StatusOr<Deployment> Rollback(std::string_view name, std::string_view user);
  // Re-resolves the target now and switches when it changed. Returns the status afterwards.
  absl::StatusOr<DeploymentStatus> Refresh(std::string_view name);
  DeploymentStatus Status(std::string_view name) const;

  // Serving. The model serving `name`; NotFound for an unknown deployment, Unavailable while
  // nothing is loaded. With `version` > 0: that version only if it is the one being served.
  absl::StatusOr<std::shared_ptr<const LoadedModel>> Current(std::string_view name, int64_t version = 0) const;
  // True when every deployment serves a version (the server's readiness).
  bool AllReady() const;

  // The model that answers one request: the canary for `canary_percent` % of the keys (a hash
  // of the request id; callers without one pass a random key), else the primary; plus the
  // shadow, if any. With `version` > 0 that exact version (primary or canary) answers.
  struct Routed {
    std::shared_ptr<const LoadedModel> serve;
    bool canary = false;
    std::shared_ptr<const LoadedModel> shadow;  // null without a shadow
    double log_sample_rate = 1.0;
  };
  absl::StatusOr<Routed> Route(std::string_view name, int64_t version, uint64_t key) const;
  // Queues a copy of a served request for the shadow (never blocks: a full queue drops it and
  // counts the drop). `served` are the served model's predictions for `rows`.
  void Shadow(std::string_view name, std::shared_ptr<const LoadedModel> shadow, lake::RecordBatch rows,
              train::Predictions served);
  // Waits until the shadow queue is empty (tests).
  void DrainShadow();

  // A slot to run one inference in; released when destroyed.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket();

   private:
    friend class DeploymentService;
    struct Slot;
    explicit Ticket(std::shared_ptr<Slot> slot) : slot_(std::move(slot)) {}
    std::shared_ptr<Slot> slot_;
  };
  // Unavailable ("deployment X is at capacity …") when the queue is full or the wait timed out.
  absl::StatusOr<Ticket> Admit(std::string_view name);

 private:
  struct State;
  absl::StatusOr<int64_t> ResolveTarget(const DeploymentSpec& spec);
  absl::StatusOr<int64_t> ResolveVersion(const std::string& model, const VersionTarget& target);
  // Loads the spec's canary and shadow (when their versions changed) and installs them;
  // errors leave the previous ones in place.
  absl::Status RefreshExtras(State& s, const DeploymentSpec& spec);
  // Loads `version` of the spec's model, warms it; no state change.
  absl::StatusOr<std::shared_ptr<const LoadedModel>> LoadAndWarm(const DeploymentSpec& spec, int64_t version);
  absl::Status Switch(const std::string& name, std::shared_ptr<const LoadedModel> loaded);
  std::shared_ptr<State> Find(std::string_view name) const;
  absl::Status RecordServed(const std::string& name, int64_t version);
  void WatchLoop(absl::Duration every);

  store::MetaStore& store_;
  Clock& clock_;
  registry::RegistryService& registry_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<State>, std::less<>> states_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;
  std::thread watcher_;

  struct ShadowJob;
  void ShadowLoop();
  std::mutex shadow_mu_;
  std::condition_variable shadow_cv_;
  std::condition_variable shadow_idle_cv_;
  std::vector<ShadowJob*> shadow_queue_;  // owned; bounded by kShadowQueue
  bool shadow_busy_ = false;
  bool shadow_stopping_ = false;
  std::thread shadow_worker_;
};

}  // namespace lepton::serving
