#include "lepton/lake/catalog.h"

#include <map>
#include <set>

#include "lepton/base/ids.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake {
namespace {

constexpr char kDatasetColumns[] =
    "id, namespace, name, description, tags, owner, sensitive, created_at, updated_at, "
    "current_version, row_count, size_bytes, schema_json";

absl::StatusOr<Dataset> DatasetFromRow(const store::Row& r) {
  Dataset d;
  d.id = r.String(0);
  d.ns = r.String(1);
  d.name = r.String(2);
  d.description = r.String(3);
  auto tags = ParseJson(r.String(4));
  if (tags.ok() && tags->is_array()) {
    for (const Json& t : *tags) {
      if (t.is_string()) d.tags.push_back(t.get<std::string>());
    }
  }
  d.owner = r.String(5);
  d.sensitive = r.Int(6) != 0;
  d.created_at = r.String(7);
  d.updated_at = r.String(8);
  d.current_version = r.Int(9);
  d.row_count = r.Int(10);
  d.size_bytes = r.Int(11);
  auto schema_json = ParseJson(r.String(12));
  if (!schema_json.ok()) return absl::DataLossError(StrCat("dataset ", d.ns, "/", d.name, ": bad schema"));
  LEPTON_ASSIGN_OR_RETURN(d.schema, Schema::FromJson(*schema_json));
  return d;
}

absl::Status ValidateTags(const std::vector<std::string>& tags) {
  for (const std::string& t : tags) {
    if (t.empty() || t.size() > 64) return absl::InvalidArgumentError("tags: each tag is 1 to 64 characters");
  }
  if (tags.size() > 64) return absl::InvalidArgumentError("tags: at most 64");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLakeName(std::string_view what, std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!ok) {
    return absl::InvalidArgumentError(StrCat("invalid ", what, " name '", name,
                                             "': expected 1 to 64 characters of a-z, 0-9 and '_', "
                                             "starting with a letter"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::string, std::string>> ParseDatasetName(std::string_view full) {
  const auto slash = full.find('/');
  if (slash == std::string_view::npos) {
    return absl::InvalidArgumentError(
        StrCat("dataset '", full, "': expected <namespace>/<name>"));
  }
  std::string ns(full.substr(0, slash)), name(full.substr(slash + 1));
  LEPTON_RETURN_IF_ERROR(ValidateLakeName("namespace", ns));
  LEPTON_RETURN_IF_ERROR(ValidateLakeName("dataset", name));
  return std::make_pair(ns, name);
}

absl::StatusOr<Namespace> Catalog::CreateNamespace(std::string_view name,
                                                   std::string_view description,
                                                   std::string_view owner) {
  LEPTON_RETURN_IF_ERROR(ValidateLakeName("namespace", name));
  Namespace ns{std::string(name), std::string(description), std::string(owner),
               FormatTimestamp(clock_.Now())};
  absl::Status s = store_
                       .Exec("INSERT INTO lake_namespaces (name, description, owner, created_at) "
                             "VALUES (?, ?, ?, ?)",
                             {ns.name, ns.description, ns.owner, ns.created_at})
                       .status();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(StrCat("namespace '", name, "' already exists"));
  }
  LEPTON_RETURN_IF_ERROR(s);
  return ns;
}

absl::StatusOr<Namespace> Catalog::GetNamespace(std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT name, description, owner, created_at FROM lake_namespaces WHERE name = ?",
                   {std::string(name)}));
  if (rs.rows.empty()) return absl::NotFoundError(StrCat("namespace '", name, "' not found"));
  const store::Row& r = rs.rows[0];
  return Namespace{r.String(0), r.String(1), r.String(2), r.String(3)};
}

absl::StatusOr<std::vector<Namespace>> Catalog::ListNamespaces() {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT name, description, owner, created_at FROM lake_namespaces ORDER BY name"));
  std::vector<Namespace> out;
  for (const store::Row& r : rs.rows) out.push_back({r.String(0), r.String(1), r.String(2), r.String(3)});
  return out;
}

absl::Status Catalog::DeleteNamespace(std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT count(*) FROM lake_datasets WHERE namespace = ?", {std::string(name)}));
  if (rs.rows[0].Int(0) > 0) {
    return absl::FailedPreconditionError(
        StrCat("namespace '", name, "' still holds ", rs.rows[0].Int(0), " datasets"));
  }
  LEPTON_ASSIGN_OR_RETURN(int64_t n, store_.Exec("DELETE FROM lake_namespaces WHERE name = ?",
                                                 {std::string(name)}));
  if (n == 0) return absl::NotFoundError(StrCat("namespace '", name, "' not found"));
  return absl::OkStatus();
}

absl::StatusOr<Dataset> Catalog::CreateDataset(std::string_view ns, std::string_view name,
                                               std::string_view description,
                                               const std::vector<std::string>& tags,
                                               bool sensitive, std::string_view owner) {
  LEPTON_RETURN_IF_ERROR(ValidateLakeName("namespace", ns));
  LEPTON_RETURN_IF_ERROR(ValidateLakeName("dataset", name));
  LEPTON_RETURN_IF_ERROR(ValidateTags(tags));
  LEPTON_RETURN_IF_ERROR(GetNamespace(ns).status());
  Dataset d;
  d.id = NewId();
  d.ns = std::string(ns);
  d.name = std::string(name);
  d.description = std::string(description);
  d.tags = tags;
  d.owner = std::string(owner);
  d.sensitive = sensitive;
  d.created_at = d.updated_at = FormatTimestamp(clock_.Now());
  absl::Status s =
      store_
          .Exec(StrCat("INSERT INTO lake_datasets (", kDatasetColumns,
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {d.id, d.ns, d.name, d.description, DumpJson(Json(d.tags)), d.owner,
                 int64_t{d.sensitive}, d.created_at, d.updated_at, int64_t{-1}, int64_t{0},
                 int64_t{0}, DumpJson(d.schema.ToJson())})
          .status();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(StrCat("dataset '", ns, "/", name, "' already exists"));
  }
  LEPTON_RETURN_IF_ERROR(s);
  return d;
}

absl::StatusOr<Dataset> Catalog::GetDataset(std::string_view ns, std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query(StrCat("SELECT ", kDatasetColumns,
                          " FROM lake_datasets WHERE namespace = ? AND name = ?"),
                   {std::string(ns), std::string(name)}));
  if (rs.rows.empty()) return absl::NotFoundError(StrCat("dataset '", ns, "/", name, "' not found"));
  return DatasetFromRow(rs.rows[0]);
}

absl::StatusOr<std::vector<Dataset>> Catalog::ListDatasets(std::string_view ns) {
  std::string sql = StrCat("SELECT ", kDatasetColumns, " FROM lake_datasets");
  std::vector<store::Value> params;
  if (!ns.empty()) {
    sql += " WHERE namespace = ?";
    params.emplace_back(std::string(ns));
  }
  sql += " ORDER BY namespace, name";
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, store_.Query(sql, params));
  std::vector<Dataset> out;
  for (const store::Row& r : rs.rows) {
    LEPTON_ASSIGN_OR_RETURN(Dataset d, DatasetFromRow(r));
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<Dataset> Catalog::UpdateDataset(std::string_view ns, std::string_view name,
                                               const DatasetUpdate& update) {
  LEPTON_ASSIGN_OR_RETURN(Dataset d, GetDataset(ns, name));
  if (update.description) d.description = *update.description;
  if (update.tags) {
    LEPTON_RETURN_IF_ERROR(ValidateTags(*update.tags));
    d.tags = *update.tags;
  }
  if (update.sensitive) d.sensitive = *update.sensitive;
  d.updated_at = FormatTimestamp(clock_.Now());
  LEPTON_RETURN_IF_ERROR(store_.Exec(
      "UPDATE lake_datasets SET description = ?, tags = ?, sensitive = ?, updated_at = ? "
      "WHERE id = ?",
      {d.description, DumpJson(Json(d.tags)), int64_t{d.sensitive}, d.updated_at, d.id}));
  return d;
}

absl::Status Catalog::DeleteDataset(std::string_view ns, std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(
      int64_t n, store_.Exec("DELETE FROM lake_datasets WHERE namespace = ? AND name = ?",
                             {std::string(ns), std::string(name)}));
  if (n == 0) return absl::NotFoundError(StrCat("dataset '", ns, "/", name, "' not found"));
  return absl::OkStatus();
}

absl::Status Catalog::RecordVersion(const Dataset& dataset, int64_t version, int64_t row_count,
                                    int64_t size_bytes, const Schema& schema,
                                    std::string_view kind, const Json& detail,
                                    std::string_view created_by) {
  const std::string now = FormatTimestamp(clock_.Now());
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    // Only move forward: two writers that committed versions 4 and 5 may record them in either
    // order; the catalog keeps 5.
    LEPTON_ASSIGN_OR_RETURN(
        int64_t n,
        tx.Exec("UPDATE lake_datasets SET current_version = ?, row_count = ?, size_bytes = ?, "
                "schema_json = ?, updated_at = ? WHERE id = ? AND current_version < ?",
                {version, row_count, size_bytes, DumpJson(schema.ToJson()), now, dataset.id,
                 version}));
    if (n == 0) {
      LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                              tx.Query("SELECT current_version FROM lake_datasets WHERE id = ?",
                                       {dataset.id}));
      if (rs.rows.empty()) {
        return absl::NotFoundError(StrCat("dataset '", dataset.full_name(), "' not found"));
      }
    }
    return tx
        .Exec("INSERT INTO lake_lineage (id, dataset_id, version, kind, detail, created_at, "
              "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
              {NewId(), dataset.id, version, std::string(kind), DumpJson(detail), now,
               std::string(created_by)})
        .status();
  });
}

absl::StatusOr<std::vector<LineageRecord>> Catalog::Lineage(std::string_view ns,
                                                            std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(Dataset d, GetDataset(ns, name));
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT id, version, kind, detail, created_at, created_by FROM lake_lineage "
                   "WHERE dataset_id = ? ORDER BY version, created_at",
                   {d.id}));
  std::vector<LineageRecord> out;
  for (const store::Row& r : rs.rows) {
    auto detail = ParseJson(r.String(3));
    out.push_back({r.String(0), r.Int(1), r.String(2), detail.ok() ? *detail : Json(),
                   r.String(4), r.String(5)});
  }
  return out;
}

absl::StatusOr<std::vector<LineageRecord>> Catalog::Provenance(std::string_view ns, std::string_view name,
                                                               int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(std::vector<LineageRecord> all, Lineage(ns, name));
  std::map<int64_t, const LineageRecord*> by_version;
  for (const LineageRecord& r : all) by_version[r.version] = &r;  // the latest record of a version
  std::vector<LineageRecord> out;
  std::set<int64_t> seen;
  for (int64_t v = version; v >= 0 && !seen.contains(v);) {
    seen.insert(v);
    auto it = by_version.find(v);
    if (it == by_version.end()) {
      if (out.empty()) {
        return absl::NotFoundError(StrCat("dataset ", ns, "/", name, " has no lineage record for version ", version));
      }
      break;  // history before the catalog kept records
    }
    const LineageRecord& r = *it->second;
    out.push_back(r);
    if (r.detail.is_object() && r.detail.contains("input_version") && r.detail["input_version"].is_number_integer()) {
      v = r.detail["input_version"].get<int64_t>();
    } else if (r.kind == "ingest" && r.detail.is_object() && r.detail.value("mode", "append") == "append") {
      v = v - 1;
    } else {
      break;  // an overwrite (or another operation) starts the data afresh
    }
  }
  return out;
}

Json NamespaceToJson(const Namespace& ns) {
  return {{"name", ns.name}, {"description", ns.description}, {"owner", ns.owner},
          {"created_at", ns.created_at}};
}

Json DatasetToJson(const Dataset& d) {
  return {{"id", d.id},
          {"namespace", d.ns},
          {"name", d.name},
          {"full_name", d.full_name()},
          {"description", d.description},
          {"tags", d.tags},
          {"owner", d.owner},
          {"sensitive", d.sensitive},
          {"created_at", d.created_at},
          {"updated_at", d.updated_at},
          {"current_version", d.current_version},
          {"row_count", d.row_count},
          {"size_bytes", d.size_bytes},
          {"schema", d.schema.ToJson()}};
}

Json LineageToJson(const LineageRecord& r) {
  return {{"id", r.id},       {"version", r.version},       {"kind", r.kind},
          {"detail", r.detail}, {"created_at", r.created_at}, {"created_by", r.created_by}};
}

}  // namespace lepton::lake
