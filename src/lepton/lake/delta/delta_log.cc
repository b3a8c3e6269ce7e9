#include "lepton/lake/delta/delta_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/parquet/nested_reader.h"
#include "lepton/lake/parquet/nested_writer.h"

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

// "0000…0042.checkpoint.parquet" → 42; nullopt for other names (multi-part and V2 checkpoints
// included: we neither write nor read those).
std::optional<int64_t> CheckpointVersionOf(std::string_view name) {
  constexpr std::string_view kSuffix = ".checkpoint.parquet";
  if (name.size() != 20 + kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

std::string VersionedPath(const std::string& table_dir, int64_t version, const char* suffix) {
  char name[64];
  std::snprintf(name, sizeof name, "%020lld%s", static_cast<long long>(version), suffix);
  return StrCat(LogDir(table_dir), "/", name);
}

// The commit and checkpoint versions present in `_delta_log`.
struct LogListing {
  int64_t latest_commit = -1;
  std::vector<int64_t> checkpoints;  // ascending
};

absl::StatusOr<LogListing> ListLog(const std::string& table_dir) {
  const std::string log = LogDir(table_dir);
  DIR* d = ::opendir(log.c_str());
  if (d == nullptr) return absl::NotFoundError(StrCat("no Delta table at ", table_dir));
  LogListing listing;
  while (dirent* e = ::readdir(d)) {
    if (auto v = VersionOf(e->d_name)) listing.latest_commit = std::max(listing.latest_commit, *v);
    if (auto c = CheckpointVersionOf(e->d_name)) listing.checkpoints.push_back(*c);
  }
  ::closedir(d);
  if (listing.latest_commit < 0)
    return absl::NotFoundError(StrCat("no Delta table at ", table_dir));
  std::sort(listing.checkpoints.begin(), listing.checkpoints.end());
  return listing;
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

// The replayed log at one version, keeping the actions themselves (not only their parsed form)
// so that a checkpoint reproduces them faithfully, fields we do not model included.
struct LogState {
  int64_t version = -1;
  int64_t timestamp_ms = 0;
  int64_t checkpoint_version = -1;
  std::optional<Json> protocol;
  std::optional<Json> metadata;
  std::vector<Json> adds;  // in the order they were added; `removed` marks the dead ones
  std::vector<bool> removed;
  std::map<std::string, size_t> live;      // path → index in `adds`
  std::map<std::string, Json> tombstones;  // path → remove action
  std::map<std::string, Json> txns;        // appId → txn action
};

// Applies one action (a JSON object with one key) to `s`. `where` labels errors.
absl::Status ApplyAction(const Json& a, const std::string& where, LogState* s) {
  if (auto it = a.find("protocol"); it != a.end() && it->is_object()) {
    const Json reader = it->value("minReaderVersion", Json(1));
    const int64_t version = reader.is_number_integer() ? reader.get<int64_t>() : 1;
    if (version > kMaxReaderVersion) {
      return absl::UnimplementedError(StrCat("table ", where, " needs Delta reader version ",
                                             version, "; Lepton reads version 1"));
    }
    s->protocol = *it;
  } else if (auto it2 = a.find("metaData"); it2 != a.end()) {
    s->metadata = *it2;
  } else if (auto it3 = a.find("add"); it3 != a.end() && it3->is_object()) {
    const std::string path = it3->value("path", "");
    if (auto old = s->live.find(path); old != s->live.end()) s->removed[old->second] = true;
    s->live[path] = s->adds.size();
    s->adds.push_back(*it3);
    s->removed.push_back(false);
    s->tombstones.erase(path);
  } else if (auto it4 = a.find("remove"); it4 != a.end() && it4->is_object()) {
    const std::string path = it4->value("path", "");
    if (auto old = s->live.find(path); old != s->live.end()) {
      s->removed[old->second] = true;
      s->live.erase(old);
    }
    s->tombstones[path] = *it4;
  } else if (auto it5 = a.find("txn"); it5 != a.end() && it5->is_object()) {
    s->txns[it5->value("appId", "")] = *it5;
  }
  return absl::OkStatus();
}

// Applies the JSON commits `from`..`to` to `s`.
absl::Status ReplayCommits(const std::string& table_dir, int64_t from, int64_t to, LogState* s) {
  for (int64_t v = from; v <= to; ++v) {
    auto commit = ReadCommit(VersionedPath(table_dir, v, ".json"));
    if (absl::IsNotFound(commit.status())) {
      return absl::DataLossError(StrCat("table ", table_dir, ": commit ", v, " is missing"));
    }
    LEPTON_RETURN_IF_ERROR(commit.status());
    s->timestamp_ms = commit->timestamp_ms;
    s->version = v;
    for (const Json& a : commit->actions) LEPTON_RETURN_IF_ERROR(ApplyAction(a, table_dir, s));
  }
  return absl::OkStatus();
}

int64_t RemoveTimestamp(const Json& remove) {
  auto it = remove.find("deletionTimestamp");
  return it != remove.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// Whether a tombstone is still kept at `s.timestamp_ms`.
bool Unexpired(const Json& remove, const LogState& s, absl::Duration retention) {
  return RemoveTimestamp(remove) > s.timestamp_ms - absl::ToInt64Milliseconds(retention);
}

absl::StatusOr<Snapshot> ToSnapshot(const std::string& table_dir, const LogState& s,
                                    absl::Duration retention) {
  if (!s.metadata)
    return absl::DataLossError(StrCat("table ", table_dir, " has no metaData action"));
  Snapshot snap;
  snap.version = s.version;
  snap.timestamp_ms = s.timestamp_ms;
  snap.checkpoint_version = s.checkpoint_version;
  LEPTON_ASSIGN_OR_RETURN(snap.metadata, MetadataFromJson(*s.metadata));
  for (size_t i = 0; i < s.adds.size(); ++i) {
    if (s.removed[i]) continue;
    AddFile f = AddFromJson(s.adds[i]);
    snap.num_records += f.num_records;
    snap.size_bytes += f.size_bytes;
    snap.files.push_back(std::move(f));
  }
  for (const auto& [path, remove] : s.tombstones) {
    if (!Unexpired(remove, s, retention)) continue;
    const Json data_change = remove.value("dataChange", Json(true));
    snap.tombstones.push_back(RemovedFile{path, RemoveTimestamp(remove),
                                          !data_change.is_boolean() || data_change.get<bool>()});
  }
  return snap;
}

// Delta's checkpoint schema (PROTOCOL.md "Checkpoint Schema"), restricted to the actions a
// table without table features has; every column is OPTIONAL so each row sets exactly one.
std::vector<parquet::SchemaNode> CheckpointSchema() {
  namespace pq = parquet;
  const auto string_map = [](std::string name) {
    return pq::MapNode(std::move(name), pq::StringNode("key"), pq::StringNode("value"));
  };
  return {
      pq::GroupNode("txn", {pq::StringNode("appId"), pq::LeafNode("version", pq::kInt64),
                            pq::LeafNode("lastUpdated", pq::kInt64)}),
      pq::GroupNode(
          "add",
          {pq::StringNode("path"), string_map("partitionValues"), pq::LeafNode("size", pq::kInt64),
           pq::LeafNode("modificationTime", pq::kInt64), pq::LeafNode("dataChange", pq::kBoolean),
           pq::StringNode("stats"), string_map("tags")}),
      pq::GroupNode("remove",
                    {pq::StringNode("path"), pq::LeafNode("deletionTimestamp", pq::kInt64),
                     pq::LeafNode("dataChange", pq::kBoolean),
                     pq::LeafNode("extendedFileMetadata", pq::kBoolean),
                     string_map("partitionValues"), pq::LeafNode("size", pq::kInt64)}),
      pq::GroupNode("metaData",
                    {pq::StringNode("id"), pq::StringNode("name"), pq::StringNode("description"),
                     pq::GroupNode("format", {pq::StringNode("provider"), string_map("options")}),
                     pq::StringNode("schemaString"),
                     pq::ListNode("partitionColumns", pq::StringNode("element")),
                     string_map("configuration"), pq::LeafNode("createdTime", pq::kInt64)}),
      pq::GroupNode("protocol", {pq::LeafNode("minReaderVersion", pq::kInt32),
                                 pq::LeafNode("minWriterVersion", pq::kInt32)}),
  };
}

constexpr char kTimestampKey[] = "lepton.commitTimestamp";
// SHA-256 of the rows as read back (`DumpJson` of the array of records). Page CRCs catch corrupt
// values but not a corrupt footer (a renamed field reads back as null); the digest catches both.
constexpr char kDigestKey[] = "lepton.rowsSha256";
constexpr const char* kActionColumns[] = {"protocol", "metaData", "txn", "add", "remove"};

// Null members stand for absent fields in checkpoint rows; JSON commits leave them out, and the
// parsers above expect that. Map values stay (a null partition value is meaningful).
Json WithoutNullMembers(const Json& j) {
  if (!j.is_object()) return j;
  Json out = Json::object();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_null()) continue;
    out[it.key()] = it.key() == "format" ? WithoutNullMembers(*it) : *it;
  }
  return out;
}

// Loads the classic checkpoint of `version`. Any problem is an error; callers fall back.
absl::StatusOr<LogState> LoadCheckpoint(const std::string& table_dir, int64_t version) {
  const std::string path = VersionedPath(table_dir, version, ".checkpoint.parquet");
  LEPTON_ASSIGN_OR_RETURN(auto reader, parquet::NestedReader::Open(path));
  std::vector<std::string> columns;
  for (const char* c : kActionColumns) {
    for (const parquet::SchemaNode& f : reader->fields()) {
      if (f.name == c && !f.is_leaf()) columns.push_back(c);
    }
  }
  LEPTON_ASSIGN_OR_RETURN(std::vector<Json> rows, reader->ReadAll(columns));
  for (const parquet::KeyValue& kv : reader->key_value_metadata()) {
    if (kv.key == kDigestKey && kv.value != Sha256Hex(DumpJson(Json(rows)))) {
      return absl::DataLossError(StrCat(path, ": rows do not match their digest"));
    }
  }
  LogState s;
  s.version = version;
  s.checkpoint_version = version;
  for (const Json& row : rows) {
    for (auto it = row.begin(); it != row.end(); ++it) {
      if (it->is_null()) continue;
      LEPTON_RETURN_IF_ERROR(ApplyAction(Json{{it.key(), WithoutNullMembers(*it)}}, table_dir, &s));
    }
  }
  if (!s.protocol || !s.metadata) {
    return absl::DataLossError(StrCat(path, " lacks the protocol or metaData action"));
  }
  LEPTON_RETURN_IF_ERROR(MetadataFromJson(*s.metadata).status());
  std::optional<int64_t> timestamp;
  for (const parquet::KeyValue& kv : reader->key_value_metadata()) {
    int64_t ms = 0;
    if (kv.key == kTimestampKey && kv.value && ParseInt(*kv.value, &ms)) timestamp = ms;
  }
  if (!timestamp) {
    // Another engine's checkpoint: the commit's own timestamp when it is still there.
    if (auto commit = ReadCommit(VersionedPath(table_dir, version, ".json")); commit.ok()) {
      timestamp = commit->timestamp_ms;
    } else {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) {
        timestamp = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
      }
    }
  }
  s.timestamp_ms = timestamp.value_or(0);
  return s;
}

// The log at `target` (<= listing.latest_commit): from the newest loadable checkpoint <= target
// when `use_checkpoints`, else from version 0.
absl::StatusOr<LogState> Replay(const std::string& table_dir, const LogListing& listing,
                                int64_t target, bool use_checkpoints) {
  if (use_checkpoints) {
    for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
      if (*it > target) continue;
      absl::StatusOr<LogState> s = LoadCheckpoint(table_dir, *it);
      if (!s.ok()) {
        Log(LogLevel::kWarning, "delta: skipping unreadable checkpoint",
            {{"table", table_dir}, {"version", *it}, {"error", s.status().ToString()}});
        continue;
      }
      LEPTON_RETURN_IF_ERROR(ReplayCommits(table_dir, *it + 1, target, &*s));
      return s;
    }
  }
  LogState s;
  LEPTON_RETURN_IF_ERROR(ReplayCommits(table_dir, 0, target, &s));
  return s;
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
  return VersionedPath(dir_, version, ".json");
}

std::string DeltaLog::CheckpointPath(int64_t version) const {
  return VersionedPath(dir_, version, ".checkpoint.parquet");
}

absl::StatusOr<int64_t> DeltaLog::LatestVersion() const {
  LEPTON_ASSIGN_OR_RETURN(LogListing listing, ListLog(dir_));
  return listing.latest_commit;
}

absl::StatusOr<Snapshot> DeltaLog::SnapshotAt(std::optional<int64_t> version) const {
  LEPTON_ASSIGN_OR_RETURN(LogListing listing, ListLog(dir_));
  const int64_t latest = listing.latest_commit;
  const int64_t target = version.value_or(latest);
  if (target < 0 || target > latest) {
    return absl::NotFoundError(
        StrCat("table ", dir_, " has no version ", target, " (latest is ", latest, ")"));
  }
  LEPTON_ASSIGN_OR_RETURN(LogState state, Replay(dir_, listing, target, options_.read_checkpoints));
  return ToSnapshot(dir_, state, options_.tombstone_retention);
}

absl::Status DeltaLog::WriteCheckpoint(int64_t version) {
  LEPTON_ASSIGN_OR_RETURN(LogListing listing, ListLog(dir_));
  if (version < 0 || version > listing.latest_commit) {
    return absl::NotFoundError(StrCat("table ", dir_, " has no version ", version));
  }
  LEPTON_ASSIGN_OR_RETURN(LogState s, Replay(dir_, listing, version, options_.read_checkpoints));
  if (!s.metadata) return absl::DataLossError(StrCat("table ", dir_, " has no metaData action"));
  std::vector<Json> rows;
  if (s.protocol) rows.push_back({{"protocol", *s.protocol}});
  rows.push_back({{"metaData", *s.metadata}});
  for (const auto& [app, txn] : s.txns) rows.push_back({{"txn", txn}});
  int64_t num_adds = 0;
  for (size_t i = 0; i < s.adds.size(); ++i) {
    if (s.removed[i]) continue;
    rows.push_back({{"add", s.adds[i]}});
    ++num_adds;
  }
  // Expired tombstones are dropped, as Spark does: VACUUM may delete those files anyway.
  for (const auto& [path, remove] : s.tombstones) {
    if (Unexpired(remove, s, options_.tombstone_retention)) rows.push_back({{"remove", remove}});
  }
  parquet::NestedWriterOptions options;
  options.codec = parquet::kSnappy;
  options.created_by = "Lepton/0.1.0";
  options.root_name = "spark_schema";
  options.key_value_metadata.push_back({kTimestampKey, StrCat(s.timestamp_ms)});
  const auto encode = [&]() -> absl::StatusOr<std::string> {
    LEPTON_ASSIGN_OR_RETURN(auto writer,
                            parquet::NestedWriter::Create(CheckpointSchema(), options));
    for (const Json& row : rows) LEPTON_RETURN_IF_ERROR(writer->Write(row));
    return writer->Finish();
  };
  const std::string where = StrCat("writing checkpoint ", version, " of ", dir_);
  // Encode, read back for the digest (which also proves the file reads back), encode again with
  // the digest in the footer.
  absl::StatusOr<std::string> bytes = encode();
  if (!bytes.ok()) return Annotate(bytes.status(), where);
  absl::StatusOr<std::unique_ptr<parquet::NestedReader>> reader =
      parquet::NestedReader::OpenBytes(*std::move(bytes), CheckpointPath(version));
  if (!reader.ok()) return Annotate(reader.status(), where);
  absl::StatusOr<std::vector<Json>> read_back = (*reader)->ReadAll();
  if (!read_back.ok()) return Annotate(read_back.status(), where);
  options.key_value_metadata.push_back({kDigestKey, Sha256Hex(DumpJson(Json(*read_back)))});
  bytes = encode();
  if (!bytes.ok()) return Annotate(bytes.status(), where);
  if (absl::Status st = WriteFileAtomically(CheckpointPath(version), *bytes); !st.ok()) {
    return Annotate(st, where);
  }
  const int64_t size_bytes = static_cast<int64_t>(bytes->size());

  // `_last_checkpoint` only moves forward (a slow writer of an older checkpoint must not move it
  // back); a race between two writers can still leave the older one, which only costs readers
  // of other engines a longer replay.
  const std::string last_path = StrCat(LogDir(dir_), "/_last_checkpoint");
  if (auto existing = ReadFile(last_path); existing.ok()) {
    auto j = ParseJson(StripWhitespace(*existing));
    if (j.ok() && j->is_object() && j->value("version", Json(-1)).is_number_integer() &&
        j->value("version", Json(-1)).get<int64_t>() >= version) {
      return absl::OkStatus();
    }
  }
  const Json last = {{"version", version},
                     {"size", static_cast<int64_t>(rows.size())},
                     {"sizeInBytes", size_bytes},
                     {"numOfAddFiles", num_adds}};
  return WriteFileAtomically(last_path, DumpJson(last));
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

  int64_t interval = options_.checkpoint_interval;
  const std::map<std::string, std::string>& config =
      request.metadata ? request.metadata->configuration : previous->metadata.configuration;
  if (auto it = config.find("delta.checkpointInterval"); it != config.end()) {
    int64_t table_interval = 0;
    if (ParseInt(it->second, &table_interval) && table_interval > 0) interval = table_interval;
  }
  if (interval > 0 && version > 0 && version % interval == 0) {
    // The commit stands whatever happens here; readers fall back to the JSON commits.
    if (absl::Status s = WriteCheckpoint(version); !s.ok()) {
      Log(LogLevel::kWarning, "delta: checkpoint failed",
          {{"table", dir_}, {"version", version}, {"error", s.ToString()}});
    }
  }
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
