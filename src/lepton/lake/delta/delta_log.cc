#include "lepton/lake/delta/delta_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake::delta {
namespace {

constexpr int kMaxReaderVersion = 1;

std::string LogDir(const std::string& table_dir) { return table_dir + "/_delta_log"; }

// "0000…0042.json" → 42; nullopt for other names (checkpoints, temporaries, _last_checkpoint).
std::optional<int64_t> VersionOf(std::string_view name) {
  if (name.size() != 25 || !name.ends_with(".json")) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

std::string NewUuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string h = HexEncode(b);
  return StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-", h.substr(16, 4),
                "-", h.substr(20));
}

absl::Status ErrnoError(std::string_view what, const std::string& path) {
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Writes `data` to `path` only if `path` does not exist yet: AlreadyExists otherwise.
absl::Status PutIfAbsent(const std::string& dir, const std::string& path, std::string_view data) {
  const std::string tmp = StrCat(dir, "/.tmp-", HexEncode(RandomBytes(8)), ".json");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("creating", tmp);
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      absl::Status s = ErrnoError("writing", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status s = ErrnoError("syncing", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  // link() fails with EEXIST when the name is taken: the put-if-absent primitive.
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) return absl::AlreadyExistsError(StrCat(path, " already exists"));
    errno = err;
    return ErrnoError("committing", path);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

Json MetadataJson(const TableMetadata& m) {
  Json config = Json::object();
  for (const auto& [k, v] : m.configuration) config[k] = v;
  Json j = {{"id", m.id},
            {"format", {{"provider", "parquet"}, {"options", Json::object()}}},
            {"schemaString", SchemaToDeltaString(m.schema)},
            {"partitionColumns", Json::array()},
            {"configuration", config},
            {"createdTime", m.created_time_ms}};
  if (!m.name.empty()) j["name"] = m.name;
  if (!m.description.empty()) j["description"] = m.description;
  return j;
}

absl::StatusOr<TableMetadata> MetadataFromJson(const Json& j) {
  if (!j.is_object()) return absl::DataLossError("metaData is not an object");
  TableMetadata m;
  m.id = j.value("id", "");
  m.name = j.value("name", "");
  m.description = j.value("description", "");
  m.created_time_ms = j.value("createdTime", int64_t{0});
  if (auto it = j.find("configuration"); it != j.end() && it->is_object()) {
    for (auto c = it->begin(); c != it->end(); ++c) {
      if (c->is_string()) m.configuration[c.key()] = c->get<std::string>();
    }
  }
  if (auto it = j.find("partitionColumns"); it != j.end() && it->is_array() && !it->empty()) {
    return absl::UnimplementedError("partitioned Delta tables are not supported yet");
  }
  auto schema = j.find("schemaString");
  if (schema == j.end() || !schema->is_string()) return absl::DataLossError("metaData has no schemaString");
  LEPTON_ASSIGN_OR_RETURN(m.schema, SchemaFromDeltaString(schema->get<std::string>()));
  return m;
}

Json AddJson(const AddFile& a) {
  Json j = {{"path", a.path},
            {"partitionValues", Json::object()},
            {"size", a.size_bytes},
            {"modificationTime", a.modification_time_ms},
            {"dataChange", a.data_change}};
  Json stats = a.stats.is_null() ? Json{{"numRecords", a.num_records}} : a.stats;
  j["stats"] = DumpJson(stats);  // Delta stores the statistics as a JSON string
  return j;
}

AddFile AddFromJson(const Json& j) {
  AddFile a;
  a.path = j.value("path", "");
  a.size_bytes = j.value("size", int64_t{0});
  a.modification_time_ms = j.value("modificationTime", int64_t{0});
  a.data_change = j.value("dataChange", true);
  if (auto it = j.find("stats"); it != j.end() && it->is_string()) {
    auto parsed = ParseJson(it->get<std::string>());
    if (parsed.ok()) {
      a.stats = *parsed;
      a.num_records = a.stats.value("numRecords", int64_t{0});
    }
  }
  return a;
}

struct ParsedCommit {
  std::vector<Json> actions;
  int64_t timestamp_ms = 0;
};

absl::StatusOr<ParsedCommit> ReadCommit(const std::string& path) {
  LEPTON_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  ParsedCommit c;
  size_t line_no = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no;
    if (StripWhitespace(line).empty()) continue;
    auto j = ParseJson(line);
    if (!j.ok() || !j->is_object()) {
      return absl::DataLossError(StrCat(path, ":", line_no, ": not a Delta action"));
    }
    if (auto it = j->find("commitInfo"); it != j->end() && it->is_object()) {
      c.timestamp_ms = it->value("timestamp", int64_t{0});
    }
    c.actions.push_back(*std::move(j));
  }
  if (c.timestamp_ms == 0) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      c.timestamp_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    }
  }
  return c;
}

}  // namespace

std::string DeltaTypeName(DataType type) {
  switch (type) {
    case DataType::kBool: return "boolean";
    case DataType::kInt32: return "integer";
    case DataType::kInt64: return "long";
    case DataType::kFloat: return "float";
    case DataType::kDouble: return "double";
    case DataType::kString: return "string";
    case DataType::kDate: return "date";
    case DataType::kTimestamp: return "timestamp";
  }
  return "string";
}

absl::StatusOr<DataType> FromDeltaTypeName(std::string_view name) {
  if (name == "boolean") return DataType::kBool;
  if (name == "integer" || name == "short" || name == "byte") return DataType::kInt32;
  if (name == "long") return DataType::kInt64;
  if (name == "float") return DataType::kFloat;
  if (name == "double") return DataType::kDouble;
  if (name == "string") return DataType::kString;
  if (name == "date") return DataType::kDate;
  if (name == "timestamp") return DataType::kTimestamp;
  return absl::InvalidArgumentError(StrCat("Delta type '", name, "' is not supported"));
}

std::string SchemaToDeltaString(const Schema& schema) {
  Json fields = Json::array();
  for (const Field& f : schema.fields()) {
    fields.push_back({{"name", f.name},
                      {"type", DeltaTypeName(f.type)},
                      {"nullable", f.nullable},
                      {"metadata", Json::object()}});
  }
  return DumpJson({{"type", "struct"}, {"fields", fields}});
}

absl::StatusOr<Schema> SchemaFromDeltaString(std::string_view text) {
  auto j = ParseJson(text);
  if (!j.ok() || !j->is_object() || j->value("type", "") != "struct" ||
      !j->contains("fields") || !(*j)["fields"].is_array()) {
    return absl::DataLossError("schemaString is not a Delta struct schema");
  }
  std::vector<Field> fields;
  for (const Json& f : (*j)["fields"]) {
    if (!f.is_object() || !f.contains("name") || !f.contains("type") || !f["type"].is_string()) {
      return absl::UnimplementedError(
          StrCat("Delta field ", f.is_object() ? f.value("name", "?") : "?",
                 ": nested types are not supported"));
    }
    LEPTON_ASSIGN_OR_RETURN(DataType t, FromDeltaTypeName(f["type"].get<std::string>()));
    fields.push_back({f["name"].get<std::string>(), t, f.value("nullable", true)});
  }
  return Schema(std::move(fields));
}

std::string DeltaLog::CommitPath(int64_t version) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020lld.json", static_cast<long long>(version));
  return StrCat(LogDir(dir_), "/", name);
}

absl::StatusOr<int64_t> DeltaLog::LatestVersion() const {
  const std::string log = LogDir(dir_);
  DIR* d = ::opendir(log.c_str());
  if (d == nullptr) return absl::NotFoundError(StrCat("no Delta table at ", dir_));
  int64_t latest = -1;
  while (dirent* e = ::readdir(d)) {
    if (auto v = VersionOf(e->d_name)) latest = std::max(latest, *v);
  }
  ::closedir(d);
  if (latest < 0) return absl::NotFoundError(StrCat("no Delta table at ", dir_));
  return latest;
}

absl::StatusOr<Snapshot> DeltaLog::SnapshotAt(std::optional<int64_t> version) const {
  LEPTON_ASSIGN_OR_RETURN(int64_t latest, LatestVersion());
  const int64_t target = version.value_or(latest);
  if (target < 0 || target > latest) {
    return absl::NotFoundError(
        StrCat("table ", dir_, " has no version ", target, " (latest is ", latest, ")"));
  }
  Snapshot snap;
  std::map<std::string, size_t> live;  // path → index in snap.files
  std::vector<bool> removed;
  bool have_metadata = false;
  for (int64_t v = 0; v <= target; ++v) {
    auto commit = ReadCommit(CommitPath(v));
    if (absl::IsNotFound(commit.status())) {
      return absl::DataLossError(StrCat("table ", dir_, ": commit ", v, " is missing"));
    }
    LEPTON_RETURN_IF_ERROR(commit.status());
    snap.timestamp_ms = commit->timestamp_ms;
    for (const Json& a : commit->actions) {
      if (auto it = a.find("protocol"); it != a.end()) {
        const int reader = it->value("minReaderVersion", 1);
        if (reader > kMaxReaderVersion) {
          return absl::UnimplementedError(StrCat("table ", dir_, " needs Delta reader version ",
                                                 reader, "; Lepton reads version 1"));
        }
      } else if (auto it2 = a.find("metaData"); it2 != a.end()) {
        LEPTON_ASSIGN_OR_RETURN(snap.metadata, MetadataFromJson(*it2));
        have_metadata = true;
      } else if (auto it3 = a.find("add"); it3 != a.end()) {
        AddFile f = AddFromJson(*it3);
        if (auto old = live.find(f.path); old != live.end()) removed[old->second] = true;
        live[f.path] = snap.files.size();
        snap.files.push_back(std::move(f));
        removed.push_back(false);
      } else if (auto it4 = a.find("remove"); it4 != a.end()) {
        const std::string path = it4->value("path", "");
        if (auto old = live.find(path); old != live.end()) {
          removed[old->second] = true;
          live.erase(old);
        }
      }
    }
  }
  if (!have_metadata) return absl::DataLossError(StrCat("table ", dir_, " has no metaData action"));
  std::vector<AddFile> files;
  for (size_t i = 0; i < snap.files.size(); ++i) {
    if (!removed[i]) files.push_back(std::move(snap.files[i]));
  }
  snap.files = std::move(files);
  snap.version = target;
  for (const AddFile& f : snap.files) {
    snap.num_records += f.num_records;
    snap.size_bytes += f.size_bytes;
  }
  return snap;
}

absl::StatusOr<std::vector<CommitInfo>> DeltaLog::History() const {
  LEPTON_ASSIGN_OR_RETURN(int64_t latest, LatestVersion());
  std::vector<CommitInfo> out;
  for (int64_t v = 0; v <= latest; ++v) {
    LEPTON_ASSIGN_OR_RETURN(ParsedCommit c, ReadCommit(CommitPath(v)));
    CommitInfo info;
    info.version = v;
    info.timestamp_ms = c.timestamp_ms;
    for (const Json& a : c.actions) {
      if (auto it = a.find("commitInfo"); it != a.end() && it->is_object()) {
        info.operation = it->value("operation", "");
        info.user = it->value("userName", "");
        if (auto p = it->find("operationParameters"); p != it->end()) info.operation_parameters = *p;
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

absl::StatusOr<Snapshot> DeltaLog::SnapshotAsOf(absl::Time time) const {
  LEPTON_ASSIGN_OR_RETURN(std::vector<CommitInfo> history, History());
  const int64_t ms = absl::ToUnixMillis(time);
  int64_t chosen = -1;
  for (const CommitInfo& c : history) {
    if (c.timestamp_ms <= ms) chosen = c.version;
  }
  if (chosen < 0) {
    return absl::NotFoundError(StrCat("table ", dir_, " did not exist at ", FormatTimestamp(time)));
  }
  return SnapshotAt(chosen);
}

absl::StatusOr<CommitInfo> DeltaLog::CommitVersion(int64_t version, const CommitRequest& request) {
  if (version < 0) return absl::InvalidArgumentError("version must be >= 0");
  std::optional<Snapshot> previous;
  if (version > 0) {
    auto snap = SnapshotAt(version - 1);
    if (absl::IsNotFound(snap.status())) {
      return absl::FailedPreconditionError(
          StrCat("cannot commit version ", version, ": version ", version - 1, " does not exist"));
    }
    LEPTON_RETURN_IF_ERROR(snap.status());
    previous = *std::move(snap);
  } else if (!request.metadata) {
    return absl::FailedPreconditionError("version 0 of a table needs its metadata (schema)");
  }
  if (previous) {
    for (const std::string& path : request.remove) {
      const bool is_live = std::any_of(previous->files.begin(), previous->files.end(),
                                       [&](const AddFile& f) { return f.path == path; });
      if (!is_live) {
        return absl::FailedPreconditionError(StrCat("cannot remove ", path, ": not a live file"));
      }
    }
  } else if (!request.remove.empty()) {
    return absl::FailedPreconditionError("version 0 cannot remove files");
  }
  // Commit timestamps only move forward, so time travel by timestamp is well defined even when
  // clocks disagree a little between writers.
  int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  if (previous && now_ms <= previous->timestamp_ms) now_ms = previous->timestamp_ms + 1;

  CommitInfo info{version, now_ms, request.operation, request.operation_parameters, request.user};
  std::string text;
  Json commit_info = {{"timestamp", now_ms},
                      {"operation", request.operation},
                      {"operationParameters", request.operation_parameters},
                      {"engineInfo", "Lepton/0.1.0"},
                      {"isBlindAppend", request.remove.empty() && !request.metadata}};
  if (!request.user.empty()) commit_info["userName"] = request.user;
  if (version > 0) commit_info["readVersion"] = version - 1;
  StrAppend(&text, DumpJson({{"commitInfo", commit_info}}), "\n");
  if (version == 0) {
    StrAppend(&text, DumpJson({{"protocol", {{"minReaderVersion", 1}, {"minWriterVersion", 2}}}}), "\n");
  }
  if (request.metadata) {
    TableMetadata m = *request.metadata;
    if (m.id.empty()) m.id = previous ? previous->metadata.id : NewUuid();
    if (m.created_time_ms == 0) m.created_time_ms = previous ? previous->metadata.created_time_ms : now_ms;
    StrAppend(&text, DumpJson({{"metaData", MetadataJson(m)}}), "\n");
  }
  for (const std::string& path : request.remove) {
    StrAppend(&text, DumpJson({{"remove", {{"path", path}, {"deletionTimestamp", now_ms},
                                           {"dataChange", true}}}}), "\n");
  }
  for (const AddFile& a : request.add) {
    StrAppend(&text, DumpJson({{"add", AddJson(a)}}), "\n");
  }
  const std::string log = LogDir(dir_);
  LEPTON_RETURN_IF_ERROR(MakeDirs(log));
  LEPTON_RETURN_IF_ERROR(PutIfAbsent(log, CommitPath(version), text));
  return info;
}

absl::StatusOr<CommitInfo> DeltaLog::Append(const CommitRequest& request, int max_attempts) {
  if (!request.remove.empty()) {
    return absl::InvalidArgumentError("Append cannot remove files; use CommitVersion");
  }
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    auto latest = LatestVersion();
    int64_t next = 0;
    if (latest.ok()) next = *latest + 1;
    else if (!absl::IsNotFound(latest.status())) return latest.status();
    auto committed = CommitVersion(next, request);
    if (!absl::IsAlreadyExists(committed.status())) return committed;
  }
  return absl::AbortedError(StrCat("append to ", dir_, " lost ", max_attempts,
                                   " races for the next version; try again"));
}

}  // namespace lepton::lake::delta
