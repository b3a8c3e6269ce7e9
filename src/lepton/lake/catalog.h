#pragma once
// The lake catalog: namespaces and datasets with their descriptions, tags, owner, schema,
// current version, row count, size, `sensitive` flag and lineage records, kept in the
// `MetaStore` (tables lake_namespaces, lake_datasets, lake_lineage). The data itself lives in
// Delta tables on disk (see delta/delta_log.h); the catalog is the index that the API, search
// and permissions work from, and is updated after each successful table commit.
//
// Names: namespaces and datasets are 1-64 characters of [a-z0-9_], starting with a letter; a
// dataset is addressed as "<namespace>/<name>", which is also its permission resource.
// Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"
#include "lepton/store/meta_store.h"

namespace lepton::lake {

struct Namespace {
  std::string name;
  std::string description;
  std::string owner;
  std::string created_at;
};

struct Dataset {
  std::string id;
  std::string ns;          // namespace
  std::string name;
  std::string description;
  std::vector<std::string> tags;
  std::string owner;
  bool sensitive = false;
  std::string created_at;
  std::string updated_at;
  int64_t current_version = -1;  // -1 until the first write
  int64_t row_count = 0;
  int64_t size_bytes = 0;
  Schema schema;

  std::string full_name() const { return ns + "/" + name; }
};

// One lineage record: how a version came to be.
struct LineageRecord {
  std::string id;
  int64_t version = 0;
  std::string kind;   // "ingest", "clean", "overwrite", …
  Json detail;        // e.g. {"source": {"file": "x.csv", "sha256": "…"}} or {"input_version": 3, …}
  std::string created_at;
  std::string created_by;
};

// Changes to a dataset's descriptive fields; unset fields stay as they are.
struct DatasetUpdate {
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> tags;
  std::optional<bool> sensitive;
};

// InvalidArgument unless `name` is a valid namespace or dataset name.
absl::Status ValidateLakeName(std::string_view what, std::string_view name);
// Splits "ns/name" (InvalidArgument when malformed).
absl::StatusOr<std::pair<std::string, std::string>> ParseDatasetName(std::string_view full);

class Catalog {
 public:
  // `store` and `clock` must outlive the catalog.
  Catalog(store::MetaStore& store, Clock& clock) : store_(store), clock_(clock) {}

  // AlreadyExists for a taken name; InvalidArgument for a bad one.
  absl::StatusOr<Namespace> CreateNamespace(std::string_view name, std::string_view description,
                                            std::string_view owner);
  absl::StatusOr<Namespace> GetNamespace(std::string_view name);
  absl::StatusOr<std::vector<Namespace>> ListNamespaces();
  // FailedPrecondition while it holds datasets; NotFound when unknown.
  absl::Status DeleteNamespace(std::string_view name);

  // NotFound for an unknown namespace; AlreadyExists for a taken name.
  absl::StatusOr<Dataset> CreateDataset(std::string_view ns, std::string_view name,
                                        std::string_view description,
                                        const std::vector<std::string>& tags, bool sensitive,
                                        std::string_view owner);
  absl::StatusOr<Dataset> GetDataset(std::string_view ns, std::string_view name);
  // Datasets of `ns`, or of every namespace when `ns` is empty; by namespace, then name.
  absl::StatusOr<std::vector<Dataset>> ListDatasets(std::string_view ns);
  absl::StatusOr<Dataset> UpdateDataset(std::string_view ns, std::string_view name,
                                        const DatasetUpdate& update);
  // Removes the catalog entry and its lineage (the caller removes the files).
  absl::Status DeleteDataset(std::string_view ns, std::string_view name);

  // Records that `version` of the dataset was committed, with its totals and schema, and how it
  // came to be. Versions only move forward: FailedPrecondition for a version not newer than the
  // recorded one.
  absl::Status RecordVersion(const Dataset& dataset, int64_t version, int64_t row_count,
                             int64_t size_bytes, const Schema& schema, std::string_view kind,
                             const Json& detail, std::string_view created_by);
  // Lineage of a dataset, oldest first.
  absl::StatusOr<std::vector<LineageRecord>> Lineage(std::string_view ns, std::string_view name);
  // How `version` of a dataset came to be, newest step first: its own record, then, for a
  // cleaning run, the version it read (`detail.input_version`), for an appending ingest the
  // version before it, until an overwriting ingest or version 0 — so the result names every
  // cleaning run and every source (file with sha256, or query) behind the version.
  // NotFound for an unknown dataset or a version with no record.
  absl::StatusOr<std::vector<LineageRecord>> Provenance(std::string_view ns, std::string_view name, int64_t version);

 private:
  store::MetaStore& store_;
  Clock& clock_;
};

// The JSON the API returns for these.
Json NamespaceToJson(const Namespace& ns);
Json DatasetToJson(const Dataset& d);
Json LineageToJson(const LineageRecord& r);

}  // namespace lepton::lake
