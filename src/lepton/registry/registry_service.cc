#include "lepton/registry/registry_service.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/ids.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/registry/model_card.h"
#include "lepton/train/import.h"

namespace lepton::registry {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxDescription = 20000;
constexpr size_t kMaxTagKey = 250;
constexpr size_t kMaxTagValue = 5000;

bool Lower(char c) { return c >= 'a' && c <= 'z'; }
bool Digit(char c) { return c >= '0' && c <= '9'; }

absl::Status ValidateTag(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > kMaxTagKey) {
    return absl::InvalidArgumentError(StrCat("tag key: expected 1 to ", kMaxTagKey, " bytes, got ", key.size()));
  }
  if (value.size() > kMaxTagValue) {
    return absl::InvalidArgumentError(StrCat("tag '", key, "': value longer than ", kMaxTagValue, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDescription(std::string_view d) {
  if (d.size() > kMaxDescription) {
    return absl::InvalidArgumentError(StrCat("description: at most ", kMaxDescription, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ModelNotFound(std::string_view name) {
  return absl::NotFoundError(StrCat("registered model '", name, "' not found"));
}
absl::Status VersionNotFound(std::string_view name, int64_t version) {
  return absl::NotFoundError(StrCat("model '", name, "' has no version ", version));
}

absl::StatusOr<VersionStatus> ParseStatus(std::string_view s) {
  if (s == "pending_registration") return VersionStatus::kPendingRegistration;
  if (s == "ready") return VersionStatus::kReady;
  if (s == "failed_registration") return VersionStatus::kFailedRegistration;
  return absl::DataLossError(StrCat("registry: unknown version status '", s, "' in the store"));
}

constexpr char kVersionColumns[] =
    "name, version, status, status_message, source, run_id, flavor, description, manifest_sha256, "
    "created_by, created_at, updated_at";

absl::StatusOr<ModelVersion> VersionFromRow(const store::Row& r) {
  ModelVersion v;
  v.name = r.String(0);
  v.version = r.Int(1);
  LEPTON_ASSIGN_OR_RETURN(v.status, ParseStatus(r.String(2)));
  v.status_message = r.String(3);
  v.source = r.String(4);
  v.run_id = r.String(5);
  v.flavor = r.String(6);
  v.description = r.String(7);
  v.manifest_sha256 = r.String(8);
  v.created_by = r.String(9);
  v.created_at = r.String(10);
  v.updated_at = r.String(11);
  return v;
}

// Fills tags and aliases of `v`.
absl::Status FillVersion(store::SqlSession& s, ModelVersion& v) {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet tags,
                          s.Query("SELECT key, value FROM registry_version_tags WHERE name = ? AND version = ? ORDER BY key",
                                  {v.name, v.version}));
  for (const store::Row& r : tags.rows) v.tags[r.String(0)] = r.String(1);
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet aliases,
                          s.Query("SELECT alias FROM registry_aliases WHERE name = ? AND version = ? ORDER BY alias",
                                  {v.name, v.version}));
  for (const store::Row& r : aliases.rows) v.aliases.push_back(r.String(0));
  return absl::OkStatus();
}

absl::StatusOr<ModelVersion> QueryVersion(store::SqlSession& s, std::string_view name, int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          s.Query(StrCat("SELECT ", kVersionColumns, " FROM registry_versions WHERE name = ? AND version = ?"),
                                  {std::string(name), version}));
  if (rs.rows.empty()) return VersionNotFound(name, version);
  LEPTON_ASSIGN_OR_RETURN(ModelVersion v, VersionFromRow(rs.rows[0]));
  LEPTON_RETURN_IF_ERROR(FillVersion(s, v));
  return v;
}

// The manifest's file list, checked against `files`: every listed file present with its
// checksum, nothing unlisted besides manifest.json.
absl::StatusOr<Json> CheckBundle(const std::map<std::string, std::string>& files) {
  auto it = files.find("manifest.json");
  if (it == files.end()) return absl::InvalidArgumentError("bundle: no manifest.json");
  auto manifest = ParseJson(it->second);
  if (!manifest.ok() || !manifest->is_object()) {
    return absl::InvalidArgumentError("bundle: manifest.json is not a JSON object");
  }
  const Json& listed = (*manifest)["files"];
  if (!listed.is_object() || !(*manifest)["flavor"].is_string()) {
    return absl::InvalidArgumentError("bundle: manifest.json lacks \"files\" or \"flavor\"");
  }
  for (auto f = listed.begin(); f != listed.end(); ++f) {
    auto have = files.find(f.key());
    if (have == files.end()) return absl::InvalidArgumentError(StrCat("bundle: ", f.key(), " is listed in the manifest but missing"));
    if (!f->is_string() || Sha256Hex(have->second) != f->get<std::string>()) {
      return absl::DataLossError(StrCat("bundle: ", f.key(), " does not match its sha256 in the manifest"));
    }
  }
  for (const auto& [name, bytes] : files) {
    if (name != "manifest.json" && !listed.contains(name)) {
      return absl::InvalidArgumentError(StrCat("bundle: unexpected file ", name, " (not in the manifest)"));
    }
  }
  return *std::move(manifest);
}

}  // namespace

std::string_view VersionStatusName(VersionStatus status) {
  switch (status) {
    case VersionStatus::kPendingRegistration: return "pending_registration";
    case VersionStatus::kReady: return "ready";
    case VersionStatus::kFailedRegistration: return "failed_registration";
  }
  return "ready";
}

Json RegisteredModel::ToJson() const {
  return {{"name", name},       {"description", description}, {"tags", tags},
          {"aliases", aliases}, {"latest_version", latest_version}, {"created_by", created_by},
          {"created_at", created_at}, {"updated_at", updated_at}};
}

Json ModelVersion::ToJson() const {
  return {{"name", name},
          {"version", version},
          {"status", VersionStatusName(status)},
          {"status_message", status_message},
          {"source", source},
          {"run_id", run_id},
          {"flavor", flavor},
          {"description", description},
          {"manifest_sha256", manifest_sha256},
          {"tags", tags},
          {"aliases", aliases},
          {"created_by", created_by},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

Json AliasChange::ToJson() const {
  return {{"alias", alias},           {"version", version},       {"previous_version", previous_version},
          {"changed_by", changed_by}, {"changed_at", changed_at}, {"comment", comment}};
}

absl::Status ValidateModelName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && (Lower(name[0]) || Digit(name[0]));
  for (char c : name) ok = ok && (Lower(c) || Digit(c) || c == '-' || c == '_' || c == '.');
  if (!ok) {
    return absl::InvalidArgumentError(StrCat("invalid model name '", name,
                                             "': expected 1 to 64 characters of a-z, 0-9, '-', '_', '.', "
                                             "starting with a letter or digit (e.g. credit-scorer)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateAliasName(std::string_view alias) {
  bool ok = !alias.empty() && alias.size() <= 64 && Lower(alias[0]);
  for (char c : alias) ok = ok && (Lower(c) || Digit(c) || c == '-' || c == '_');
  const bool looks_like_version =
      alias.size() >= 2 && alias[0] == 'v' && std::all_of(alias.begin() + 1, alias.end(), Digit);
  if (!ok || alias == "latest" || looks_like_version) {
    return absl::InvalidArgumentError(StrCat("invalid alias '", alias,
                                             "': expected 1 to 64 characters of a-z, 0-9, '-', '_', starting with "
                                             "a letter; 'latest' and 'v<number>' are reserved"));
  }
  return absl::OkStatus();
}

std::string ModelResource(std::string_view name) { return StrCat("models/", name); }

RegistryService::RegistryService(store::MetaStore& store, Clock& clock, std::string models_root,
                                 tracking::TrackingService& tracking, lake::Catalog* catalog)
    : store_(store), clock_(clock), models_root_(std::move(models_root)), tracking_(tracking), catalog_(catalog) {}

std::string RegistryService::BundleDir(std::string_view name, int64_t version) const {
  return StrCat(models_root_, "/", name, "/", version);
}

// Locks the model's row for the rest of the transaction (PostgreSQL: a row lock taken by the
// UPDATE; SQLite: write transactions are serialized anyway), so that alias moves, history
// sequence numbers and version numbers of one model are decided one transaction at a time.
// NotFound for an unknown model.
absl::Status LockModel(store::SqlSession& tx, std::string_view name, const std::string& now) {
  LEPTON_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE registry_models SET updated_at = ? WHERE name = ?",
                                             {now, std::string(name)}));
  if (n == 0) return ModelNotFound(name);
  return absl::OkStatus();
}

absl::Status RegistryService::RequireModel(store::SqlSession& s, std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          s.Query("SELECT 1 FROM registry_models WHERE name = ?", {std::string(name)}));
  if (rs.rows.empty()) return ModelNotFound(name);
  return absl::OkStatus();
}

absl::StatusOr<RegisteredModel> RegistryService::CreateModel(std::string_view name, std::string_view description,
                                                             const std::map<std::string, std::string>& tags,
                                                             std::string_view user) {
  LEPTON_RETURN_IF_ERROR(ValidateModelName(name));
  LEPTON_RETURN_IF_ERROR(ValidateDescription(description));
  for (const auto& [k, v] : tags) LEPTON_RETURN_IF_ERROR(ValidateTag(k, v));
  const std::string now = FormatTimestamp(clock_.Now());
  absl::Status st = store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO registry_models (name, description, created_by, created_at, updated_at, next_version) "
                "VALUES (?, ?, ?, ?, ?, 1)",
                {std::string(name), std::string(description), std::string(user), now, now})
            .status());
    for (const auto& [k, v] : tags) {
      LEPTON_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO registry_model_tags (name, key, value) VALUES (?, ?, ?)", {std::string(name), k, v}).status());
    }
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(st)) return absl::AlreadyExistsError(StrCat("registered model '", name, "' already exists"));
  LEPTON_RETURN_IF_ERROR(st);
  return GetModel(name);
}

absl::StatusOr<RegisteredModel> RegistryService::GetModel(std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(std::vector<RegisteredModel> all, ListModels(name));
  for (RegisteredModel& m : all) {
    if (m.name == name) return std::move(m);
  }
  return ModelNotFound(name);
}

absl::StatusOr<std::vector<RegisteredModel>> RegistryService::ListModels(std::string_view name_prefix) {
  // Prefix match without LIKE (whose '_' and '%' would need escaping): a range on the key.
  const std::string low(name_prefix);
  const std::string high = low + "\x7f";
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT name, description, created_by, created_at, updated_at FROM registry_models "
                   "WHERE name >= ? AND name < ? ORDER BY name",
                   {low, high}));
  std::vector<RegisteredModel> out;
  for (const store::Row& r : rs.rows) {
    RegisteredModel m;
    m.name = r.String(0);
    m.description = r.String(1);
    m.created_by = r.String(2);
    m.created_at = r.String(3);
    m.updated_at = r.String(4);
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet tags,
                            store_.Query("SELECT key, value FROM registry_model_tags WHERE name = ?", {m.name}));
    for (const store::Row& t : tags.rows) m.tags[t.String(0)] = t.String(1);
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet aliases,
                            store_.Query("SELECT alias, version FROM registry_aliases WHERE name = ?", {m.name}));
    for (const store::Row& a : aliases.rows) m.aliases[a.String(0)] = a.Int(1);
    LEPTON_ASSIGN_OR_RETURN(
        store::ResultSet latest,
        store_.Query("SELECT MAX(version) FROM registry_versions WHERE name = ? AND status = 'ready'", {m.name}));
    m.latest_version = latest.rows.empty() ? 0 : latest.rows[0].Int(0, 0);
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<RegisteredModel> RegistryService::UpdateModel(std::string_view name, std::string_view description) {
  LEPTON_RETURN_IF_ERROR(ValidateDescription(description));
  LEPTON_ASSIGN_OR_RETURN(int64_t n, store_.Exec("UPDATE registry_models SET description = ?, updated_at = ? WHERE name = ?",
                                                 {std::string(description), FormatTimestamp(clock_.Now()), std::string(name)}));
  if (n == 0) return ModelNotFound(name);
  return GetModel(name);
}

absl::Status RegistryService::SetModelTag(std::string_view name, std::string_view key, std::string_view value) {
  LEPTON_RETURN_IF_ERROR(ValidateTag(key, value));
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(RequireModel(tx, name));
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM registry_model_tags WHERE name = ? AND key = ?",
                                   {std::string(name), std::string(key)}).status());
    return tx.Exec("INSERT INTO registry_model_tags (name, key, value) VALUES (?, ?, ?)",
                   {std::string(name), std::string(key), std::string(value)}).status();
  });
}

absl::Status RegistryService::DeleteModelTag(std::string_view name, std::string_view key) {
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(RequireModel(tx, name));
    LEPTON_ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM registry_model_tags WHERE name = ? AND key = ?",
                                               {std::string(name), std::string(key)}));
    if (n == 0) return absl::NotFoundError(StrCat("model '", name, "' has no tag '", key, "'"));
    return absl::OkStatus();
  });
}

absl::Status RegistryService::DeleteModel(std::string_view name) {
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(RequireModel(tx, name));
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet aliases,
                            tx.Query("SELECT alias, version FROM registry_aliases WHERE name = ? ORDER BY alias",
                                     {std::string(name)}));
    if (!aliases.rows.empty()) {
      std::vector<std::string> held;
      for (const store::Row& r : aliases.rows) held.push_back(StrCat(r.String(0), " → ", r.Int(1)));
      return absl::FailedPreconditionError(StrCat("model '", name, "' still has aliases (", StrJoin(held, ", "),
                                                  "); delete them first"));
    }
    for (const char* table : {"registry_version_tags", "registry_cards", "registry_promotions", "registry_policies"}) {
      LEPTON_RETURN_IF_ERROR(tx.Exec(StrCat("DELETE FROM ", table, " WHERE name = ?"), {std::string(name)}).status());
    }
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM registry_versions WHERE name = ?", {std::string(name)}).status());
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM registry_model_tags WHERE name = ?", {std::string(name)}).status());
    return tx.Exec("DELETE FROM registry_models WHERE name = ?", {std::string(name)}).status();
  }));
  std::error_code ec;
  fs::remove_all(StrCat(models_root_, "/", name), ec);  // the rows are gone; leftovers are harmless
  return absl::OkStatus();
}

absl::StatusOr<ModelVersion> RegistryService::CreateVersionFromRun(std::string_view name, std::string_view run_id,
                                                                   std::string_view description,
                                                                   std::string_view user) {
  LEPTON_ASSIGN_OR_RETURN(tracking::RunInfo run, tracking_.GetRunInfo(run_id));
  if (run.status != tracking::RunStatus::kFinished) {
    return absl::FailedPreconditionError(StrCat("run ", run_id, " is ", tracking::RunStatusName(run.status),
                                                ", not finished: only a finished run's model can be registered"));
  }
  LEPTON_ASSIGN_OR_RETURN(std::vector<tracking::ArtifactInfo> artifacts, tracking_.ListArtifacts(run_id, "model/"));
  std::map<std::string, std::string> files;
  for (const tracking::ArtifactInfo& a : artifacts) {
    LEPTON_ASSIGN_OR_RETURN(std::string bytes, tracking_.ReadArtifact(run_id, a.path));
    files[a.path.substr(6)] = std::move(bytes);  // without "model/"
  }
  if (files.empty()) return absl::FailedPreconditionError(StrCat("run ", run_id, " logged no model (no model/ artifacts)"));
  return Register(name, files, StrCat("run:", run_id), run_id, description, user);
}

absl::StatusOr<ModelVersion> RegistryService::CreateVersionFromFiles(std::string_view name,
                                                                     const std::map<std::string, std::string>& files,
                                                                     std::string_view description,
                                                                     std::string_view user) {
  return Register(name, files, "upload", "", description, user);
}

absl::StatusOr<ModelVersion> RegistryService::CreateVersionFromImport(std::string_view name, std::string_view flavor,
                                                                      std::string_view model_bytes,
                                                                      const Json& signature,
                                                                      std::string_view description,
                                                                      std::string_view user) {
  LEPTON_RETURN_IF_ERROR(RequireModel(store_, name));
  LEPTON_ASSIGN_OR_RETURN(train::ImportSignature sig, train::ImportSignature::FromJson(signature));
  LEPTON_ASSIGN_OR_RETURN(train::Model model, train::ImportModel(flavor, model_bytes, sig));
  model.set_created(std::string(user), FormatTimestamp(clock_.Now()));
  LEPTON_ASSIGN_OR_RETURN(auto files, model.Files());
  return Register(name, files, StrCat("import:", flavor), "", description, user);
}

absl::StatusOr<ModelVersion> RegistryService::Register(std::string_view name,
                                                       const std::map<std::string, std::string>& files,
                                                       std::string_view source, std::string_view run_id,
                                                       std::string_view description, std::string_view user) {
  LEPTON_RETURN_IF_ERROR(ValidateDescription(description));
  for (const auto& [file, bytes] : files) {
    (void)bytes;
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
      return absl::InvalidArgumentError(StrCat("bundle: file name '", file, "' is not a plain file name"));
    }
  }
  // Checked before a version number is taken: a bad bundle leaves no trace.
  LEPTON_ASSIGN_OR_RETURN(Json manifest, CheckBundle(files));
  const std::string flavor = manifest["flavor"].get<std::string>();
  const std::string manifest_sha = Sha256Hex(files.at("manifest.json"));

  // 1. Take a number and record the version as pending.
  int64_t version = 0;
  const std::string now = FormatTimestamp(clock_.Now());
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    // Bump first: the UPDATE locks the row, so concurrent registrations get distinct numbers.
    LEPTON_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE registry_models SET next_version = next_version + 1, "
                                               "updated_at = ? WHERE name = ?",
                                               {now, std::string(name)}));
    if (n == 0) return ModelNotFound(name);
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, tx.Query("SELECT next_version FROM registry_models WHERE name = ?",
                                                          {std::string(name)}));
    version = rs.rows.at(0).Int(0) - 1;
    return tx.Exec(StrCat("INSERT INTO registry_versions (", kVersionColumns,
                          ") VALUES (?, ?, 'pending_registration', '', ?, ?, ?, ?, ?, ?, ?, ?)"),
                   {std::string(name), version, std::string(source), std::string(run_id), flavor,
                    std::string(description), manifest_sha, std::string(user), now, now})
        .status();
  }));

  // 2. Write, verify by loading, move into place; 3. mark ready (or failed with the reason).
  const std::string final_dir = BundleDir(name, version);
  const std::string temp_dir = StrCat(final_dir, ".tmp-", NewId());
  absl::Status written = [&]() -> absl::Status {
    LEPTON_RETURN_IF_ERROR(MakeDirs(temp_dir));
    for (const auto& [file, bytes] : files) LEPTON_RETURN_IF_ERROR(WriteFileAtomically(StrCat(temp_dir, "/", file), bytes));
    LEPTON_RETURN_IF_ERROR(train::Model::Load(temp_dir).status());
    std::error_code ec;
    fs::remove_all(final_dir, ec);  // a leftover of a crashed attempt at this number
    fs::rename(temp_dir, final_dir, ec);
    if (ec) return absl::InternalError(StrCat("moving the bundle into ", final_dir, ": ", ec.message()));
    return absl::OkStatus();
  }();
  if (!written.ok()) {
    std::error_code ec;
    fs::remove_all(temp_dir, ec);
    store_.Exec("UPDATE registry_versions SET status = 'failed_registration', status_message = ?, updated_at = ? "
                "WHERE name = ? AND version = ?",
                {std::string(written.message()), FormatTimestamp(clock_.Now()), std::string(name), version})
        .IgnoreError();  // the registration's own error is the one to report
    return written;
  }
  LEPTON_RETURN_IF_ERROR(store_.Exec("UPDATE registry_versions SET status = 'ready', updated_at = ? WHERE name = ? AND version = ?",
                                     {FormatTimestamp(clock_.Now()), std::string(name), version})
                             .status());
  return GetVersion(name, version);
}

absl::StatusOr<ModelVersion> RegistryService::GetVersion(std::string_view name, int64_t version) {
  ModelVersion v;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(RequireModel(tx, name));
    LEPTON_ASSIGN_OR_RETURN(v, QueryVersion(tx, name, version));
    return absl::OkStatus();
  }));
  return v;
}

absl::StatusOr<std::vector<ModelVersion>> RegistryService::ListVersions(std::string_view name) {
  std::vector<ModelVersion> out;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    out.clear();
    LEPTON_RETURN_IF_ERROR(RequireModel(tx, name));
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                            tx.Query(StrCat("SELECT ", kVersionColumns, " FROM registry_versions WHERE name = ? ORDER BY version DESC"),
                                     {std::string(name)}));
    for (const store::Row& r : rs.rows) {
      LEPTON_ASSIGN_OR_RETURN(ModelVersion v, VersionFromRow(r));
      LEPTON_RETURN_IF_ERROR(FillVersion(tx, v));
      out.push_back(std::move(v));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<ModelVersion> RegistryService::UpdateVersion(std::string_view name, int64_t version,
                                                            std::string_view description) {
  LEPTON_RETURN_IF_ERROR(ValidateDescription(description));
  LEPTON_ASSIGN_OR_RETURN(int64_t n, store_.Exec("UPDATE registry_versions SET description = ?, updated_at = ? WHERE name = ? AND version = ?",
                                                 {std::string(description), FormatTimestamp(clock_.Now()), std::string(name), version}));
  if (n == 0) return VersionNotFound(name, version);
  return GetVersion(name, version);
}

absl::Status RegistryService::SetVersionTag(std::string_view name, int64_t version, std::string_view key,
                                            std::string_view value) {
  LEPTON_RETURN_IF_ERROR(ValidateTag(key, value));
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(QueryVersion(tx, name, version).status());
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM registry_version_tags WHERE name = ? AND version = ? AND key = ?",
                                   {std::string(name), version, std::string(key)}).status());
    return tx.Exec("INSERT INTO registry_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)",
                   {std::string(name), version, std::string(key), std::string(value)}).status();
  });
}

absl::Status RegistryService::DeleteVersionTag(std::string_view name, int64_t version, std::string_view key) {
  LEPTON_ASSIGN_OR_RETURN(int64_t n, store_.Exec("DELETE FROM registry_version_tags WHERE name = ? AND version = ? AND key = ?",
                                                 {std::string(name), version, std::string(key)}));
  if (n == 0) return absl::NotFoundError(StrCat("model '", name, "' version ", version, " has no tag '", key, "'"));
  return absl::OkStatus();
}

absl::Status RegistryService::DeleteVersion(std::string_view name, int64_t version) {
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(ModelVersion v, QueryVersion(tx, name, version));
    if (!v.aliases.empty()) {
      return absl::FailedPreconditionError(StrCat("model '", name, "' version ", version, " is behind the alias(es) ",
                                                  StrJoin(v.aliases, ", "), "; move or delete them first"));
    }
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM registry_version_tags WHERE name = ? AND version = ?",
                                   {std::string(name), version}).status());
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM registry_cards WHERE name = ? AND version = ?",
                                   {std::string(name), version}).status());
    // Pending requests for the version end with it (decided ones stay as history).
    LEPTON_RETURN_IF_ERROR(tx.Exec("UPDATE registry_promotions SET state = 'cancelled', decided_by = '-', decided_at = ?, "
                                   "decision_comment = 'version deleted' WHERE name = ? AND version = ? AND state = 'pending'",
                                   {FormatTimestamp(clock_.Now()), std::string(name), version}).status());
    return tx.Exec("DELETE FROM registry_versions WHERE name = ? AND version = ?", {std::string(name), version}).status();
  }));
  std::error_code ec;
  fs::remove_all(BundleDir(name, version), ec);
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> RegistryService::BundleFiles(std::string_view name, int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(name, version));
  if (v.status != VersionStatus::kReady) {
    return absl::FailedPreconditionError(StrCat("model '", name, "' version ", version, " is ",
                                                VersionStatusName(v.status), ", not ready"));
  }
  const std::string dir = BundleDir(name, version);
  std::map<std::string, std::string> files;
  LEPTON_ASSIGN_OR_RETURN(files["manifest.json"], ReadFile(dir + "/manifest.json"));
  if (Sha256Hex(files["manifest.json"]) != v.manifest_sha256) {
    return absl::DataLossError(StrCat("model '", name, "' version ", version, ": manifest.json was changed on disk"));
  }
  auto manifest = ParseJson(files["manifest.json"]);
  if (!manifest.ok() || !(*manifest)["files"].is_object()) {
    return absl::DataLossError(StrCat("model '", name, "' version ", version, ": manifest.json is damaged"));
  }
  for (auto f = (*manifest)["files"].begin(); f != (*manifest)["files"].end(); ++f) {
    LEPTON_ASSIGN_OR_RETURN(files[f.key()], ReadFile(StrCat(dir, "/", f.key())));
  }
  LEPTON_RETURN_IF_ERROR(CheckBundle(files).status());
  return files;
}

absl::StatusOr<train::Model> RegistryService::LoadVersion(std::string_view name, int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(name, version));
  if (v.status != VersionStatus::kReady) {
    return absl::FailedPreconditionError(StrCat("model '", name, "' version ", version, " is ",
                                                VersionStatusName(v.status), ", not ready"));
  }
  LEPTON_ASSIGN_OR_RETURN(std::string manifest, ReadFile(BundleDir(name, version) + "/manifest.json"));
  if (Sha256Hex(manifest) != v.manifest_sha256) {
    return absl::DataLossError(StrCat("model '", name, "' version ", version, ": manifest.json was changed on disk"));
  }
  return train::Model::Load(BundleDir(name, version));
}

absl::StatusOr<int64_t> RegistryService::MoveAlias(store::SqlSession& tx, std::string_view name,
                                                   std::string_view alias, int64_t version, std::string_view user,
                                                   std::string_view comment) {
  LEPTON_ASSIGN_OR_RETURN(ModelVersion v, QueryVersion(tx, name, version));
  if (v.status != VersionStatus::kReady) {
    return absl::FailedPreconditionError(StrCat("model '", name, "' version ", version, " is ",
                                                VersionStatusName(v.status), "; only ready versions take aliases"));
  }
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet old, tx.Query("SELECT version FROM registry_aliases WHERE name = ? AND alias = ?",
                                                         {std::string(name), std::string(alias)}));
  const std::string now = FormatTimestamp(clock_.Now());
  int64_t previous = -1;
  if (!old.rows.empty()) {
    previous = old.rows[0].Int(0);
    LEPTON_RETURN_IF_ERROR(tx.Exec("UPDATE registry_aliases SET version = ?, updated_by = ?, updated_at = ? WHERE name = ? AND alias = ?",
                                   {version, std::string(user), now, std::string(name), std::string(alias)}).status());
  } else {
    LEPTON_RETURN_IF_ERROR(tx.Exec("INSERT INTO registry_aliases (name, alias, version, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)",
                                   {std::string(name), std::string(alias), version, std::string(user), now}).status());
  }
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet seq, tx.Query("SELECT MAX(seq) FROM registry_alias_history WHERE name = ?",
                                                         {std::string(name)}));
  const int64_t next = (seq.rows.empty() ? 0 : seq.rows[0].Int(0, 0)) + 1;
  LEPTON_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO registry_alias_history (seq, name, alias, version, previous_version, changed_by, changed_at, comment) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              {next, std::string(name), std::string(alias), version, previous, std::string(user), now, std::string(comment)})
          .status());
  return previous;
}

absl::StatusOr<int64_t> RegistryService::SetAlias(std::string_view name, std::string_view alias, int64_t version,
                                                  std::string_view user, std::string_view comment) {
  LEPTON_RETURN_IF_ERROR(ValidateAliasName(alias));
  if (comment.size() > kMaxTagValue) return absl::InvalidArgumentError("comment: at most 5000 bytes");
  LEPTON_ASSIGN_OR_RETURN(Policy policy, GetPolicy(name));
  if (policy.IsProtected(alias)) {
    return absl::FailedPreconditionError(StrCat("alias '", alias, "' of model '", name,
                                                "' is protected: request a promotion, which passes the quality gates "
                                                "and needs an approver's decision"));
  }
  int64_t previous = -1;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(LockModel(tx, name, FormatTimestamp(clock_.Now())));
    LEPTON_ASSIGN_OR_RETURN(previous, MoveAlias(tx, name, alias, version, user, comment));
    return absl::OkStatus();
  }));
  return previous;
}

absl::Status RegistryService::DeleteAlias(std::string_view name, std::string_view alias, std::string_view user,
                                          std::string_view comment) {
  if (comment.size() > kMaxTagValue) return absl::InvalidArgumentError("comment: at most 5000 bytes");
  LEPTON_ASSIGN_OR_RETURN(Policy policy, GetPolicy(name));
  if (policy.IsProtected(alias)) {
    return absl::FailedPreconditionError(StrCat("alias '", alias, "' of model '", name,
                                                "' is protected: an approver must first remove it from the policy's "
                                                "protected_aliases"));
  }
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    const std::string now = FormatTimestamp(clock_.Now());
    LEPTON_RETURN_IF_ERROR(LockModel(tx, name, now));
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet old, tx.Query("SELECT version FROM registry_aliases WHERE name = ? AND alias = ?",
                                                           {std::string(name), std::string(alias)}));
    if (old.rows.empty()) return absl::NotFoundError(StrCat("model '", name, "' has no alias '", alias, "'"));
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM registry_aliases WHERE name = ? AND alias = ?",
                                   {std::string(name), std::string(alias)}).status());
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet seq, tx.Query("SELECT MAX(seq) FROM registry_alias_history WHERE name = ?",
                                                           {std::string(name)}));
    const int64_t next = (seq.rows.empty() ? 0 : seq.rows[0].Int(0, 0)) + 1;
    return tx.Exec("INSERT INTO registry_alias_history (seq, name, alias, version, previous_version, changed_by, changed_at, comment) "
                   "VALUES (?, ?, ?, -1, ?, ?, ?, ?)",
                   {next, std::string(name), std::string(alias), old.rows[0].Int(0), std::string(user), now,
                    std::string(comment)})
        .status();
  });
}

absl::StatusOr<ModelVersion> RegistryService::GetVersionByAlias(std::string_view name, std::string_view alias) {
  ModelVersion v;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(RequireModel(tx, name));
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, tx.Query("SELECT version FROM registry_aliases WHERE name = ? AND alias = ?",
                                                          {std::string(name), std::string(alias)}));
    if (rs.rows.empty()) return absl::NotFoundError(StrCat("model '", name, "' has no alias '", alias, "'"));
    LEPTON_ASSIGN_OR_RETURN(v, QueryVersion(tx, name, rs.rows[0].Int(0)));
    return absl::OkStatus();
  }));
  return v;
}

absl::StatusOr<std::vector<AliasChange>> RegistryService::AliasHistory(std::string_view name, std::string_view alias) {
  std::vector<AliasChange> out;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    out.clear();
    LEPTON_RETURN_IF_ERROR(RequireModel(tx, name));
    LEPTON_ASSIGN_OR_RETURN(
        store::ResultSet rs,
        tx.Query("SELECT alias, version, previous_version, changed_by, changed_at, comment FROM registry_alias_history "
                 "WHERE name = ? AND (? = '' OR alias = ?) ORDER BY seq",
                 {std::string(name), std::string(alias), std::string(alias)}));
    for (const store::Row& r : rs.rows) {
      out.push_back({.alias = r.String(0), .version = r.Int(1), .previous_version = r.Int(2),
                     .changed_by = r.String(3), .changed_at = r.String(4), .comment = r.String(5)});
    }
    return absl::OkStatus();
  }));
  return out;
}

// ------------------------------------------------------------------ governance

std::string_view PromotionStateName(PromotionState state) {
  switch (state) {
    case PromotionState::kPending: return "pending";
    case PromotionState::kApproved: return "approved";
    case PromotionState::kRejected: return "rejected";
    case PromotionState::kCancelled: return "cancelled";
  }
  return "pending";
}

Json Promotion::ToJson() const {
  return {{"id", id},
          {"name", name},
          {"version", version},
          {"alias", alias},
          {"state", PromotionStateName(state)},
          {"requested_by", requested_by},
          {"requested_at", requested_at},
          {"comment", comment},
          {"gate_report", gate_report},
          {"decided_by", decided_by.empty() ? Json(nullptr) : Json(decided_by)},
          {"decided_at", decided_at.empty() ? Json(nullptr) : Json(decided_at)},
          {"decision_comment", decision_comment}};
}

namespace {

constexpr char kPromotionColumns[] =
    "id, name, version, alias, state, requested_by, requested_at, comment, gate_report, decided_by, decided_at, "
    "decision_comment";

absl::StatusOr<Promotion> PromotionFromRow(const store::Row& r) {
  Promotion p;
  p.id = r.String(0);
  p.name = r.String(1);
  p.version = r.Int(2);
  p.alias = r.String(3);
  const std::string state = r.String(4);
  if (state == "pending") p.state = PromotionState::kPending;
  else if (state == "approved") p.state = PromotionState::kApproved;
  else if (state == "rejected") p.state = PromotionState::kRejected;
  else if (state == "cancelled") p.state = PromotionState::kCancelled;
  else return absl::DataLossError(StrCat("registry: unknown promotion state '", state, "' in the store"));
  p.requested_by = r.String(5);
  p.requested_at = r.String(6);
  p.comment = r.String(7);
  auto report = ParseJson(r.String(8));
  p.gate_report = report.ok() ? *report : Json();
  p.decided_by = r.String(9);
  p.decided_at = r.String(10);
  p.decision_comment = r.String(11);
  return p;
}

absl::StatusOr<Promotion> QueryPromotion(store::SqlSession& s, std::string_view name, std::string_view id) {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          s.Query(StrCat("SELECT ", kPromotionColumns, " FROM registry_promotions WHERE id = ? AND name = ?"),
                                  {std::string(id), std::string(name)}));
  if (rs.rows.empty()) return absl::NotFoundError(StrCat("model '", name, "' has no promotion request '", id, "'"));
  return PromotionFromRow(rs.rows[0]);
}

}  // namespace

absl::StatusOr<Policy> RegistryService::GetPolicy(std::string_view name) {
  LEPTON_RETURN_IF_ERROR(RequireModel(store_, name));
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          store_.Query("SELECT policy FROM registry_policies WHERE name = ?", {std::string(name)}));
  if (rs.rows.empty()) return Policy();
  auto j = ParseJson(rs.rows[0].String(0));
  if (!j.ok()) return absl::DataLossError(StrCat("model '", name, "': stored policy is not JSON"));
  return Policy::FromJson(*j);
}

absl::StatusOr<Policy> RegistryService::SetPolicy(std::string_view name, const Json& policy, std::string_view user) {
  LEPTON_ASSIGN_OR_RETURN(Policy p, Policy::FromJson(policy));
  for (const std::string& alias : p.protected_aliases) {
    if (absl::Status s = ValidateAliasName(alias); !s.ok()) {
      return absl::InvalidArgumentError(StrCat("policy.protected_aliases: ", s.message()));
    }
  }
  const std::string now = FormatTimestamp(clock_.Now());
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(LockModel(tx, name, now));
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM registry_policies WHERE name = ?", {std::string(name)}).status());
    return tx.Exec("INSERT INTO registry_policies (name, policy, updated_by, updated_at) VALUES (?, ?, ?, ?)",
                   {std::string(name), p.ToJson().dump(), std::string(user), now})
        .status();
  }));
  return p;
}

absl::StatusOr<std::pair<Json, Json>> RegistryService::BundleMetadata(std::string_view name, int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(auto files, BundleFiles(name, version));
  auto manifest = ParseJson(files["manifest.json"]);
  if (!manifest.ok()) return absl::DataLossError(StrCat("model '", name, "' version ", version, ": manifest.json is damaged"));
  Json metrics = Json::object();
  if (auto it = files.find("metrics.json"); it != files.end()) {
    auto m = ParseJson(it->second);
    if (!m.ok()) return absl::DataLossError(StrCat("model '", name, "' version ", version, ": metrics.json is damaged"));
    metrics = *m;
  }
  return std::make_pair(*std::move(manifest), std::move(metrics));
}

absl::StatusOr<Json> RegistryService::GetCard(std::string_view name, int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(name, version));
  LEPTON_ASSIGN_OR_RETURN(auto meta, BundleMetadata(name, version));
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, store_.Query("SELECT edits FROM registry_cards WHERE name = ? AND version = ?",
                                                            {std::string(name), version}));
  Json edits = Json::object();
  if (!rs.rows.empty()) {
    auto j = ParseJson(rs.rows[0].String(0));
    if (j.ok()) edits = *j;
  }
  return BuildCard({.model = v.name, .version = v.version, .created_by = v.created_by, .created_at = v.created_at,
                    .description = v.description, .manifest = meta.first, .metrics = meta.second},
                   edits);
}

absl::StatusOr<Json> RegistryService::UpdateCard(std::string_view name, int64_t version, const Json& changes,
                                                 std::string_view user) {
  LEPTON_RETURN_IF_ERROR(ApplyCardEdits(Json::object(), changes).status());  // validate before any I/O
  const std::string now = FormatTimestamp(clock_.Now());
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(LockModel(tx, name, now));
    LEPTON_RETURN_IF_ERROR(QueryVersion(tx, name, version).status());
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, tx.Query("SELECT edits FROM registry_cards WHERE name = ? AND version = ?",
                                                          {std::string(name), version}));
    Json current = Json::object();
    if (!rs.rows.empty()) {
      auto j = ParseJson(rs.rows[0].String(0));
      if (j.ok()) current = *j;
    }
    LEPTON_ASSIGN_OR_RETURN(Json merged, ApplyCardEdits(current, changes));
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM registry_cards WHERE name = ? AND version = ?",
                                   {std::string(name), version}).status());
    return tx.Exec("INSERT INTO registry_cards (name, version, edits, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)",
                   {std::string(name), version, merged.dump(), std::string(user), now})
        .status();
  }));
  return GetCard(name, version);
}

absl::StatusOr<GateReport> RegistryService::CheckGates(std::string_view name, int64_t version, std::string_view alias) {
  LEPTON_RETURN_IF_ERROR(ValidateAliasName(alias));
  LEPTON_ASSIGN_OR_RETURN(Policy policy, GetPolicy(name));
  LEPTON_ASSIGN_OR_RETURN(auto meta, BundleMetadata(name, version));
  LEPTON_ASSIGN_OR_RETURN(Json card, GetCard(name, version));
  std::optional<Json> incumbent;
  int64_t incumbent_version = -1;
  if (policy.not_worse_than) {
    auto behind = GetVersionByAlias(name, policy.not_worse_than->alias);
    if (behind.ok() && behind->version != version) {
      incumbent_version = behind->version;
      LEPTON_ASSIGN_OR_RETURN(auto theirs, BundleMetadata(name, behind->version));
      incumbent = theirs.second;
    } else if (!behind.ok() && !absl::IsNotFound(behind.status())) {
      return behind.status();
    }
  }
  return EvaluateGates(policy, meta.second, card, incumbent, incumbent_version);
}

absl::StatusOr<Promotion> RegistryService::RequestPromotion(std::string_view name, int64_t version,
                                                            std::string_view alias, std::string_view user,
                                                            std::string_view comment) {
  if (comment.size() > kMaxTagValue) return absl::InvalidArgumentError("comment: at most 5000 bytes");
  LEPTON_ASSIGN_OR_RETURN(GateReport gates, CheckGates(name, version, alias));
  if (!gates.passed) {
    return absl::FailedPreconditionError(StrCat("model '", name, "' version ", version, " fails the quality gates for '",
                                                alias, "': ", gates.FailureSummary()));
  }
  LEPTON_ASSIGN_OR_RETURN(Policy policy, GetPolicy(name));
  Promotion p{.id = NewId(), .name = std::string(name), .version = version, .alias = std::string(alias),
              .requested_by = std::string(user), .requested_at = FormatTimestamp(clock_.Now()),
              .comment = std::string(comment), .gate_report = gates.ToJson()};
  const bool immediate = !policy.IsProtected(alias);
  if (immediate) {
    p.state = PromotionState::kApproved;
    p.decided_by = std::string(user);
    p.decided_at = p.requested_at;
    p.decision_comment = "unprotected alias: applied at once";
  }
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(LockModel(tx, name, p.requested_at));
    LEPTON_ASSIGN_OR_RETURN(ModelVersion v, QueryVersion(tx, name, version));
    if (v.status != VersionStatus::kReady) {
      return absl::FailedPreconditionError(StrCat("model '", name, "' version ", version, " is ",
                                                  VersionStatusName(v.status), ", not ready"));
    }
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet dup,
                            tx.Query("SELECT id FROM registry_promotions WHERE name = ? AND alias = ? AND version = ? "
                                     "AND state = 'pending'",
                                     {std::string(name), std::string(alias), version}));
    if (!dup.rows.empty()) {
      return absl::FailedPreconditionError(StrCat("a promotion of model '", name, "' version ", version, " to '", alias,
                                                  "' is already pending (", dup.rows[0].String(0), ")"));
    }
    if (immediate) LEPTON_RETURN_IF_ERROR(MoveAlias(tx, name, alias, version, user, comment).status());
    return tx.Exec(StrCat("INSERT INTO registry_promotions (", kPromotionColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                   {p.id, p.name, p.version, p.alias, std::string(PromotionStateName(p.state)), p.requested_by,
                    p.requested_at, p.comment, p.gate_report.dump(), p.decided_by, p.decided_at, p.decision_comment})
        .status();
  }));
  return p;
}

absl::StatusOr<Promotion> RegistryService::Decide(std::string_view name, std::string_view id, std::string_view user,
                                                  std::string_view comment, PromotionState to) {
  if (comment.size() > kMaxTagValue) return absl::InvalidArgumentError("comment: at most 5000 bytes");
  LEPTON_ASSIGN_OR_RETURN(Promotion before, GetPromotion(name, id));
  // The gates again at approval: the version behind the compared alias may have changed.
  std::optional<GateReport> gates;
  if (to == PromotionState::kApproved && before.state == PromotionState::kPending) {
    LEPTON_ASSIGN_OR_RETURN(gates, CheckGates(name, before.version, before.alias));
    if (!gates->passed) {
      return absl::FailedPreconditionError(StrCat("model '", name, "' version ", before.version,
                                                  " no longer passes the quality gates for '", before.alias,
                                                  "': ", gates->FailureSummary()));
    }
  }
  Promotion p;
  const std::string now = FormatTimestamp(clock_.Now());
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(LockModel(tx, name, now));
    LEPTON_ASSIGN_OR_RETURN(p, QueryPromotion(tx, name, id));
    if (p.state != PromotionState::kPending) {
      return absl::FailedPreconditionError(StrCat("promotion request ", id, " was already ", PromotionStateName(p.state),
                                                  p.decided_by.empty() ? std::string() : StrCat(" by ", p.decided_by)));
    }
    if (to == PromotionState::kCancelled) {
      if (user != p.requested_by) {
        return absl::PermissionDeniedError(StrCat("only ", p.requested_by, ", who requested it, may cancel promotion request ", id));
      }
    } else if (user == p.requested_by) {
      return absl::PermissionDeniedError(StrCat("four eyes: ", user, " requested promotion ", id,
                                                " and may not decide it; another approver must"));
    }
    if (to == PromotionState::kApproved) {
      LEPTON_RETURN_IF_ERROR(MoveAlias(tx, name, p.alias, p.version, user,
                                       StrCat("promotion ", id, " approved", comment.empty() ? "" : ": ", comment))
                                 .status());
      p.gate_report = gates->ToJson();
    }
    p.state = to;
    p.decided_by = std::string(user);
    p.decided_at = now;
    p.decision_comment = std::string(comment);
    LEPTON_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE registry_promotions SET state = ?, decided_by = ?, decided_at = ?, "
                                               "decision_comment = ?, gate_report = ? WHERE id = ? AND state = 'pending'",
                                               {std::string(PromotionStateName(to)), p.decided_by, p.decided_at,
                                                p.decision_comment, p.gate_report.dump(), std::string(id)}));
    if (n != 1) return absl::AbortedError(StrCat("promotion request ", id, " changed concurrently; try again"));
    return absl::OkStatus();
  }));
  return p;
}

absl::StatusOr<Promotion> RegistryService::ApprovePromotion(std::string_view name, std::string_view id,
                                                            std::string_view user, std::string_view comment) {
  return Decide(name, id, user, comment, PromotionState::kApproved);
}
absl::StatusOr<Promotion> RegistryService::RejectPromotion(std::string_view name, std::string_view id,
                                                           std::string_view user, std::string_view comment) {
  return Decide(name, id, user, comment, PromotionState::kRejected);
}
absl::StatusOr<Promotion> RegistryService::CancelPromotion(std::string_view name, std::string_view id,
                                                           std::string_view user, std::string_view comment) {
  return Decide(name, id, user, comment, PromotionState::kCancelled);
}

absl::StatusOr<Promotion> RegistryService::GetPromotion(std::string_view name, std::string_view id) {
  LEPTON_RETURN_IF_ERROR(RequireModel(store_, name));
  return QueryPromotion(store_, name, id);
}

absl::StatusOr<std::vector<Promotion>> RegistryService::ListPromotions(std::string_view name, std::string_view state) {
  LEPTON_RETURN_IF_ERROR(RequireModel(store_, name));
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          store_.Query(StrCat("SELECT ", kPromotionColumns, " FROM registry_promotions WHERE name = ? "
                                              "AND (? = '' OR state = ?) ORDER BY requested_at DESC, id DESC"),
                                       {std::string(name), std::string(state), std::string(state)}));
  std::vector<Promotion> out;
  for (const store::Row& r : rs.rows) {
    LEPTON_ASSIGN_OR_RETURN(Promotion p, PromotionFromRow(r));
    out.push_back(std::move(p));
  }
  return out;
}

// ------------------------------------------------------------------ lineage

absl::StatusOr<Json> RegistryService::VersionLineage(std::string_view name, int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(name, version));
  Json out = {{"model", v.name}, {"version", v.version}, {"source", v.source}, {"run", nullptr}};
  std::vector<tracking::DatasetInput> inputs;
  if (!v.run_id.empty()) {
    auto run = tracking_.GetRun(v.run_id);
    if (run.ok()) {
      const tracking::RunInfo& i = run->info;
      out["run"] = {{"id", i.id}, {"name", i.name}, {"experiment_id", i.experiment_id},
                    {"status", tracking::RunStatusName(i.status)}, {"start_time", i.start_time},
                    {"end_time", i.end_time.empty() ? Json(nullptr) : Json(i.end_time)}, {"user", i.user}};
      inputs = run->inputs;
    } else if (!absl::IsNotFound(run.status())) {
      return run.status();
    }
  }
  if (inputs.empty() && v.status == VersionStatus::kReady) {
    // No run here (an uploaded bundle): the training data its manifest records.
    LEPTON_ASSIGN_OR_RETURN(auto meta, BundleMetadata(name, version));
    const Json& l = meta.first.contains("lineage") ? meta.first["lineage"] : Json::object();
    if (l.is_object() && l.value("dataset", "") != "") {
      inputs.push_back({.dataset = l.value("dataset", ""), .version = l.value("version", int64_t{-1}),
                        .digest = l.value("digest", ""), .context = "training"});
    }
  }
  Json datasets = Json::array();
  for (const tracking::DatasetInput& in : inputs) {
    Json d = {{"dataset", in.dataset}, {"version", in.version}, {"digest", in.digest}, {"context", in.context},
              {"provenance", Json::array()}};
    auto parsed = lake::ParseDatasetName(in.dataset);
    if (catalog_ != nullptr && parsed.ok() && in.version >= 0) {
      auto steps = catalog_->Provenance(parsed->first, parsed->second, in.version);
      if (steps.ok()) {
        for (const lake::LineageRecord& r : *steps) d["provenance"].push_back(lake::LineageToJson(r));
      } else if (!absl::IsNotFound(steps.status())) {
        return steps.status();
      } else {
        d["provenance_error"] = std::string(steps.status().message());  // e.g. the dataset was deleted
      }
    }
    datasets.push_back(std::move(d));
  }
  out["datasets"] = std::move(datasets);
  return out;
}

absl::StatusOr<std::vector<ModelVersion>> RegistryService::VersionsTrainedOn(std::string_view dataset, int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(std::vector<std::string> runs, tracking_.RunIdsWithInput(dataset, version));
  std::vector<ModelVersion> out;
  for (const std::string& run : runs) {
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                            store_.Query("SELECT name, version FROM registry_versions WHERE run_id = ? ORDER BY name, version",
                                         {run}));
    for (const store::Row& r : rs.rows) {
      LEPTON_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(r.String(0), r.Int(1)));
      out.push_back(std::move(v));
    }
  }
  return out;
}

absl::StatusOr<int64_t> RegistryService::RecoverPending(absl::Time older_than) {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          store_.Query("SELECT name, version FROM registry_versions WHERE status = 'pending_registration' "
                                       "AND created_at < ?",
                                       {FormatTimestamp(older_than)}));
  int64_t failed = 0;
  for (const store::Row& r : rs.rows) {
    const std::string name = r.String(0);
    const int64_t version = r.Int(1);
    // Temporary folders of the interrupted registration.
    std::error_code ec;
    const std::string model_dir = StrCat(models_root_, "/", name);
    const std::string prefix = StrCat(version, ".tmp-");
    for (fs::directory_iterator it(model_dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().filename().string().starts_with(prefix)) fs::remove_all(it->path(), ec);
    }
    LEPTON_ASSIGN_OR_RETURN(int64_t n, store_.Exec("UPDATE registry_versions SET status = 'failed_registration', "
                                                   "status_message = ?, updated_at = ? WHERE name = ? AND version = ? "
                                                   "AND status = 'pending_registration'",
                                                   {std::string("registration was interrupted (server stopped)"),
                                                    FormatTimestamp(clock_.Now()), name, version}));
    failed += n;
  }
  return failed;
}

}  // namespace lepton::registry
