#pragma once
// `RegistryService`: the model registry, MLflow-style. A registered model has numbered versions
// (1, 2, 3, … per model, never reused); a version is a model bundle — the files
// `train::Model::Save` writes (manifest.json with the sha256 of every other file,
// pipeline.json, the learner's file, metrics, scorecard) — kept under
// `<models_root>/<name>/<version>/`. Aliases ("staging", "production", "champion", any name)
// point at versions; they move atomically, every move is kept in an append-only history, and a
// version an alias points at cannot be deleted.
//
// Governance: each model has a `Policy` (gates.h; default: "production" is protected, no
// gates). A protected alias never moves by `SetAlias`: `RequestPromotion` evaluates the gates
// (FailedPrecondition naming the failed gates and their numbers) and opens a pending request;
// `ApprovePromotion` by another user than the requester (four eyes; PermissionDenied
// otherwise) evaluates the gates again and moves the alias in the same transaction that
// records the decision; `RejectPromotion` (another user) and `CancelPromotion` (the requester)
// close it without a move. A request to an unprotected alias that passes the gates is applied
// at once. Model cards (model_card.h) are generated from the bundle plus edits kept per version.
//
// Registration is crash-safe: the version row is inserted as `pending_registration`, the files
// are written into a temporary folder, verified by loading them (`train::Model::Load`, which
// checks every checksum), renamed into place, and only then is the version `ready`. A failure
// marks it `failed_registration` with the reason; a crash leaves a pending row that
// `RecoverPending` fails at the next start. Only ready versions can be aliased or loaded.
//
// Model names are one path segment: 1-64 characters of a-z, 0-9, '-', '_', '.', starting with
// a letter or digit (they appear in inference URLs, /v2/models/<name>). Permission resources
// are "models/<name>" (a grant on "models/*" covers every model). Alias names: 1-64 of a-z,
// 0-9, '-', '_', starting with a letter, not "latest" and not "v<digits>" (they would read
// like versions).
//
// Thread-safe: all methods may run concurrently, also from several processes sharing one store
// and models folder (version numbers and alias moves are decided in store transactions).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/lake/catalog.h"
#include "lepton/registry/gates.h"
#include "lepton/store/meta_store.h"
#include "lepton/tracking/tracking_service.h"
#include "lepton/train/model.h"

namespace lepton::registry {

enum class VersionStatus { kPendingRegistration, kReady, kFailedRegistration };
// "pending_registration", "ready", "failed_registration" (MLflow's ModelVersionStatus).
std::string_view VersionStatusName(VersionStatus status);

struct RegisteredModel {
  std::string name;
  std::string description;
  std::map<std::string, std::string> tags;
  std::map<std::string, int64_t> aliases;  // alias → version
  int64_t latest_version = 0;              // highest ready version, 0 when none
  std::string created_by;
  std::string created_at;
  std::string updated_at;
  Json ToJson() const;
};

struct ModelVersion {
  std::string name;
  int64_t version = 0;
  VersionStatus status = VersionStatus::kPendingRegistration;
  std::string status_message;
  std::string source;   // "run:<run_id>", "upload" or "import:<flavor>"
  std::string run_id;   // "" when not from a run
  std::string flavor;   // "logistic", "xgboost", …
  std::string description;
  std::string manifest_sha256;
  std::map<std::string, std::string> tags;
  std::vector<std::string> aliases;
  std::string created_by;
  std::string created_at;
  std::string updated_at;
  Json ToJson() const;
};

enum class PromotionState { kPending, kApproved, kRejected, kCancelled };
// "pending", "approved", "rejected", "cancelled".
std::string_view PromotionStateName(PromotionState state);

struct Promotion {
  std::string id;
  std::string name;
  int64_t version = 0;
  std::string alias;
  PromotionState state = PromotionState::kPending;
  std::string requested_by;
  std::string requested_at;
  std::string comment;
  Json gate_report;       // GateReport::ToJson at the request (at the approval once approved)
  std::string decided_by;  // "" while pending
  std::string decided_at;
  std::string decision_comment;
  Json ToJson() const;
};

struct AliasChange {
  std::string alias;
  int64_t version = 0;           // -1: the alias was removed
  int64_t previous_version = 0;  // -1: the alias was new
  std::string changed_by;
  std::string changed_at;
  std::string comment;
  Json ToJson() const;
};

// InvalidArgument explaining the rules above.
absl::Status ValidateModelName(std::string_view name);
absl::Status ValidateAliasName(std::string_view alias);
// "models/<name>".
std::string ModelResource(std::string_view name);

class RegistryService {
 public:
  // `models_root` is created when missing. `tracking` gives access to runs' model artifacts;
  // `catalog` (may be null) to the lake's lineage records for lineage queries.
  RegistryService(store::MetaStore& store, Clock& clock, std::string models_root,
                  tracking::TrackingService& tracking, lake::Catalog* catalog = nullptr);

  // Models. AlreadyExists for a taken name; NotFound for an unknown one.
  absl::StatusOr<RegisteredModel> CreateModel(std::string_view name, std::string_view description,
                                              const std::map<std::string, std::string>& tags,
                                              std::string_view user);
  absl::StatusOr<RegisteredModel> GetModel(std::string_view name);
  // Every model, by name; `name_prefix` filters.
  absl::StatusOr<std::vector<RegisteredModel>> ListModels(std::string_view name_prefix = "");
  absl::StatusOr<RegisteredModel> UpdateModel(std::string_view name, std::string_view description);
  absl::Status SetModelTag(std::string_view name, std::string_view key, std::string_view value);
  absl::Status DeleteModelTag(std::string_view name, std::string_view key);
  // FailedPrecondition while any alias exists (delete or move them first); removes the
  // versions' bundles too.
  absl::Status DeleteModel(std::string_view name);

  // Versions. From a finished run of the tracking service that logged a model (artifacts
  // "model/…"): NotFound for an unknown run, FailedPrecondition when the run is not finished or
  // has no model, DataLoss when the run's files fail their checksums.
  absl::StatusOr<ModelVersion> CreateVersionFromRun(std::string_view name, std::string_view run_id,
                                                    std::string_view description, std::string_view user);
  // From bundle files (name → bytes, e.g. an uploaded archive). The files must form a bundle
  // that loads: DataLoss on a checksum mismatch, InvalidArgument for a missing or malformed
  // manifest, an unknown flavor or unexpected files.
  absl::StatusOr<ModelVersion> CreateVersionFromFiles(std::string_view name,
                                                      const std::map<std::string, std::string>& files,
                                                      std::string_view description, std::string_view user);
  // From a model trained elsewhere: `flavor` "xgboost" (an XGBoost JSON or UBJ file) or
  // "torchscript" (a .pt file), with its declared signature (train/import.h: inputs, task,
  // classes, threshold). InvalidArgument for an unknown flavor, bytes that are not such a model,
  // or a signature that does not fit it (input count, objective, classes).
  absl::StatusOr<ModelVersion> CreateVersionFromImport(std::string_view name, std::string_view flavor,
                                                       std::string_view model_bytes, const Json& signature,
                                                       std::string_view description, std::string_view user);
  absl::StatusOr<ModelVersion> GetVersion(std::string_view name, int64_t version);
  // Newest first.
  absl::StatusOr<std::vector<ModelVersion>> ListVersions(std::string_view name);
  absl::StatusOr<ModelVersion> UpdateVersion(std::string_view name, int64_t version, std::string_view description);
  absl::Status SetVersionTag(std::string_view name, int64_t version, std::string_view key, std::string_view value);
  absl::Status DeleteVersionTag(std::string_view name, int64_t version, std::string_view key);
  // FailedPrecondition naming the aliases when any points at it.
  absl::Status DeleteVersion(std::string_view name, int64_t version);

  // The bundle files of a ready version, each verified against the manifest (DataLoss on a
  // mismatch). FailedPrecondition for a version that is not ready.
  absl::StatusOr<std::map<std::string, std::string>> BundleFiles(std::string_view name, int64_t version);
  // The loaded model (checksums verified by train::Model::Load).
  absl::StatusOr<train::Model> LoadVersion(std::string_view name, int64_t version);
  // Where a version's bundle lives.
  std::string BundleDir(std::string_view name, int64_t version) const;

  // Aliases. `SetAlias` points `alias` at a ready version (moving it if it exists) in one
  // transaction with its history row; returns the previous version (-1 when new).
  // FailedPrecondition for a protected alias (see the file comment).
  absl::StatusOr<int64_t> SetAlias(std::string_view name, std::string_view alias, int64_t version,
                                   std::string_view user, std::string_view comment = "");
  absl::Status DeleteAlias(std::string_view name, std::string_view alias, std::string_view user,
                           std::string_view comment = "");
  // The version behind `alias`. NotFound when the alias does not exist.
  absl::StatusOr<ModelVersion> GetVersionByAlias(std::string_view name, std::string_view alias);
  // Oldest first; `alias` "" for every alias of the model.
  absl::StatusOr<std::vector<AliasChange>> AliasHistory(std::string_view name, std::string_view alias = "");

  // Governance. The policy of a model (the default one when none was set).
  absl::StatusOr<Policy> GetPolicy(std::string_view name);
  // Replaces the policy (InvalidArgument naming the JSON path of a bad one).
  absl::StatusOr<Policy> SetPolicy(std::string_view name, const Json& policy, std::string_view user);
  // The gates of the model's policy for `version` promoted to `alias` (a dry run).
  absl::StatusOr<GateReport> CheckGates(std::string_view name, int64_t version, std::string_view alias);
  // See the file comment. FailedPrecondition when the gates fail (the message lists them),
  // when the version is not ready, or when a request for the same alias and version is pending.
  absl::StatusOr<Promotion> RequestPromotion(std::string_view name, int64_t version, std::string_view alias,
                                             std::string_view user, std::string_view comment);
  absl::StatusOr<Promotion> ApprovePromotion(std::string_view name, std::string_view id, std::string_view user,
                                             std::string_view comment);
  absl::StatusOr<Promotion> RejectPromotion(std::string_view name, std::string_view id, std::string_view user,
                                            std::string_view comment);
  absl::StatusOr<Promotion> CancelPromotion(std::string_view name, std::string_view id, std::string_view user,
                                            std::string_view comment);
  absl::StatusOr<Promotion> GetPromotion(std::string_view name, std::string_view id);
  // Newest first; `state` "" for all.
  absl::StatusOr<std::vector<Promotion>> ListPromotions(std::string_view name, std::string_view state = "");

  // The model card of a version (model_card.h), and editing its editable fields.
  absl::StatusOr<Json> GetCard(std::string_view name, int64_t version);
  absl::StatusOr<Json> UpdateCard(std::string_view name, int64_t version, const Json& changes, std::string_view user);

  // Lineage of a version, model → data: {"model", "version", "source", "run": {id, name,
  // experiment_id, status, start_time, end_time, user} or null, "datasets": [{"dataset",
  // "version", "digest", "context", "provenance": [lineage steps of that dataset version,
  // newest first: cleaning runs with their rules, ingests with their source file and sha256 or
  // query]}]}. The datasets are the run's inputs (the bundle's recorded training data when the
  // version did not come from a run here).
  absl::StatusOr<Json> VersionLineage(std::string_view name, int64_t version);
  // The reverse, data → models: every registered version trained on `dataset` ("ns/name") at
  // `version` (-1: any version), oldest run first.
  absl::StatusOr<std::vector<ModelVersion>> VersionsTrainedOn(std::string_view dataset, int64_t version = -1);

  // Fails versions left `pending_registration` by a crash before `older_than` (the start of
  // this process), and removes their temporary folders. Returns how many.
  absl::StatusOr<int64_t> RecoverPending(absl::Time older_than);

 private:
  absl::StatusOr<ModelVersion> Register(std::string_view name, const std::map<std::string, std::string>& files,
                                        std::string_view source, std::string_view run_id,
                                        std::string_view description, std::string_view user);
  absl::Status RequireModel(store::SqlSession& s, std::string_view name);
  // Moves `alias` inside `tx` (the model row already locked), with its history row.
  absl::StatusOr<int64_t> MoveAlias(store::SqlSession& tx, std::string_view name, std::string_view alias,
                                    int64_t version, std::string_view user, std::string_view comment);
  // manifest.json and metrics.json of a ready version, verified.
  absl::StatusOr<std::pair<Json, Json>> BundleMetadata(std::string_view name, int64_t version);
  absl::StatusOr<Promotion> Decide(std::string_view name, std::string_view id, std::string_view user,
                                   std::string_view comment, PromotionState to);

  store::MetaStore& store_;
  Clock& clock_;
  std::string models_root_;
  tracking::TrackingService& tracking_;
  lake::Catalog* catalog_;
};

}  // namespace lepton::registry
