#include "lepton/api/lake_routes.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "absl/time/time.h"
#include "lepton/api/api_service.h"
#include "lepton/api/body_pipe.h"
#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::api {
namespace {

using auth::Action;
using lake::DataType;

Json Str() { return {{"type", "string"}}; }
Json Obj(Json props, std::vector<std::string> required = {}) {
  Json j = {{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty()) j["required"] = required;
  return j;
}
Json DatasetSchema() {
  return Obj({{"id", Str()}, {"namespace", Str()}, {"name", Str()}, {"full_name", Str()},
              {"description", Str()}, {"tags", {{"type", "array"}, {"items", Str()}}},
              {"owner", Str()}, {"sensitive", {{"type", "boolean"}}}, {"created_at", Str()},
              {"updated_at", Str()}, {"current_version", {{"type", "integer"}}},
              {"row_count", {{"type", "integer"}}}, {"size_bytes", {{"type", "integer"}}},
              {"schema", {{"type", "object"}}}});
}
Json NamespaceSchema() {
  return Obj({{"name", Str()}, {"description", Str()}, {"owner", Str()}, {"created_at", Str()}});
}

Json CellJson(const lake::Column& c, int64_t i) {
  if (c.IsNull(i)) return nullptr;
  switch (c.type()) {
    case DataType::kBool: return c.ValueAt<uint8_t>(i) != 0;
    case DataType::kInt32: return c.ValueAt<int32_t>(i);
    case DataType::kInt64: return c.ValueAt<int64_t>(i);
    case DataType::kFloat: {
      const float v = c.ValueAt<float>(i);
      return std::isfinite(v) ? Json(v) : Json(nullptr);
    }
    case DataType::kDouble: {
      const double v = c.ValueAt<double>(i);
      return std::isfinite(v) ? Json(v) : Json(nullptr);
    }
    case DataType::kString: return std::string(c.StringAt(i));
    case DataType::kDate:
      return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(int64_t{c.ValueAt<int32_t>(i)} * 86400),
                              absl::UTCTimeZone());
    case DataType::kTimestamp:
      return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(c.ValueAt<int64_t>(i)),
                              absl::UTCTimeZone());
  }
  return nullptr;
}

void AppendCsvField(const std::string& v, std::string* out) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char ch : v) {
    if (ch == '"') out->push_back('"');
    out->push_back(ch);
  }
  out->push_back('"');
}

absl::Status Require(const RouteContext& ctx, Action action, const std::string& resource) {
  return auth::Authorize(*ctx.principal, action, resource);
}

absl::StatusOr<lake::VersionSpec> VersionFrom(const std::optional<Json>& version,
                                              const std::optional<std::string>& as_of) {
  lake::VersionSpec spec;
  if (version) {
    if (!version->is_number_integer() || version->get<int64_t>() < 0) {
      return absl::InvalidArgumentError("version: expected a non-negative integer");
    }
    spec.version = version->get<int64_t>();
  }
  if (as_of) {
    absl::Time t;
    if (!ParseTimestamp(*as_of, &t)) {
      return absl::InvalidArgumentError(StrCat("as_of: expected an RFC 3339 time, got '", *as_of, "'"));
    }
    spec.as_of = t;
  }
  if (spec.version && spec.as_of) return absl::InvalidArgumentError("give version or as_of, not both");
  return spec;
}

// Removes a staged upload when the request is done, whatever happens.
struct StagedFile {
  std::string path;
  ~StagedFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

Json BatchRowsToJson(const lake::RecordBatch& batch) {
  Json rows = Json::array();
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    Json row = Json::array();
    for (size_t c = 0; c < batch.num_columns(); ++c) row.push_back(CellJson(batch.column(c), r));
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

void AppendCsvRow(const lake::RecordBatch& batch, int64_t r, std::string* out) {
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    if (c > 0) out->push_back(',');
    const Json v = CellJson(batch.column(c), r);
    if (v.is_null()) continue;
    AppendCsvField(v.is_string() ? v.get<std::string>() : v.dump(), out);
  }
  out->append("\r\n");
}

}  // namespace

void AppendCsvRows(const lake::RecordBatch& batch, std::string* out) {
  for (int64_t r = 0; r < batch.num_rows(); ++r) AppendCsvRow(batch, r, out);
}

namespace {

// The scan route hands the server chunks of about this size (a row never straddles two).
constexpr size_t kScanChunkBytes = 256 * 1024;

// Writes the scan route's body through `write`, chunk by chunk, as the scan goes.
// JSON: {"columns":[…],"rows":[[…],…],"schema":{…},"stats":{…},"version":N} — the keys in the
// order nlohmann::json sorts them, so the body is byte for byte what serializing the whole
// object in memory gives (as the route did before it streamed); "stats" is known only at the end
// and comes after "rows". CSV: a header line of column names, then the rows (CRLF).
absl::Status WriteScanBody(const std::string& dir, const lake::delta::Snapshot& snapshot,
                           const lake::ScanOptions& options, bool csv,
                           const BodyPipe::ChunkWriter& write) {
  std::string buf;
  bool started = false;
  int64_t rows = 0;
  lake::Schema out_schema;
  const auto start = [&](const lake::Schema& schema) {
    started = true;
    out_schema = schema;
    std::vector<std::string> names;
    for (const auto& field : schema.fields()) names.push_back(field.name);
    if (csv) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) buf.push_back(',');
        AppendCsvField(names[i], &buf);
      }
      buf.append("\r\n");
    } else {
      buf.append(StrCat("{\"columns\":", DumpJson(names), ",\"rows\":["));
    }
  };
  LEPTON_ASSIGN_OR_RETURN(
      lake::ScanStats stats,
      lake::Scan(dir, snapshot, options, [&](const lake::RecordBatch& b) -> absl::Status {
        if (!started) start(b.schema());
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (csv) {
            AppendCsvRow(b, r, &buf);
          } else {
            Json row = Json::array();
            for (size_t c = 0; c < b.num_columns(); ++c) row.push_back(CellJson(b.column(c), r));
            if (rows > 0) buf.push_back(',');
            buf.append(DumpJson(row));
          }
          ++rows;
          if (buf.size() >= kScanChunkBytes) {
            std::string chunk;
            chunk.reserve(kScanChunkBytes + kScanChunkBytes / 8);
            chunk.swap(buf);
            LEPTON_RETURN_IF_ERROR(write(std::move(chunk)));
          }
        }
        return absl::OkStatus();
      }));
  if (!started) {
    // No rows: still answer with the projected schema (the scan has validated the columns).
    const lake::Schema& s = snapshot.metadata.schema;
    std::vector<lake::Field> fields;
    if (options.columns.empty()) fields = s.fields();
    for (const auto& c : options.columns) fields.push_back(s.field(static_cast<size_t>(s.Find(c))));
    start(lake::Schema(fields));
  }
  if (!csv) {
    const Json stats_json = {{"files", stats.files}, {"row_groups", stats.row_groups},
                             {"row_groups_skipped", stats.row_groups_skipped},
                             {"rows_read", stats.rows_read}, {"rows", stats.rows_emitted}};
    buf.append(StrCat("],\"schema\":", DumpJson(out_schema.ToJson()), ",\"stats\":",
                      DumpJson(stats_json), ",\"version\":", snapshot.version, "}"));
  }
  return write(std::move(buf));
}

}  // namespace

void AddLakeRoutes(Router& router, lake::Lake& lake, jobs::JobRunner& jobs, std::string upload_dir) {
  lake::Catalog& catalog = lake.catalog();
  const RoutePermission ns_write{Action::kDatasetWrite, "{ns}"};
  const RoutePermission ns_read{Action::kRead, "{ns}"};
  const RoutePermission ds_write{Action::kDatasetWrite, "{ns}/{name}"};
  const RoutePermission ds_read{Action::kRead, "{ns}/{name}"};

  router.Add({.method = "GET", .pattern = "/api/v1/lake/namespaces", .operation_id = "lake.namespace.list",
              .summary = "Namespaces the caller may read.", .tag = "lake",
              .response_schema = {{"type", "array"}, {"items", NamespaceSchema()}}},
             [&catalog](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto all, catalog.ListNamespaces());
               Json out = Json::array();
               for (const auto& ns : all) {
                 if (Require(ctx, Action::kRead, ns.name).ok()) out.push_back(lake::NamespaceToJson(ns));
               }
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "POST", .pattern = "/api/v1/lake/namespaces", .operation_id = "lake.namespace.create",
              .summary = "Create a namespace (dataset.write over it).", .tag = "lake",
              .request_schema = Obj({{"name", Str()}, {"description", Str()}}, {"name"}),
              .response_schema = NamespaceSchema(), .success_status = 201},
             [&catalog](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               std::string name = f.String("name");
               std::string description = f.OptionalString("description").value_or("");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_RETURN_IF_ERROR(lake::ValidateLakeName("namespace", name));
               LEPTON_RETURN_IF_ERROR(Require(ctx, Action::kDatasetWrite, name));
               LEPTON_ASSIGN_OR_RETURN(auto ns, catalog.CreateNamespace(name, description,
                                                                        ctx.principal->user_name));
               return HttpResponse::MakeJson(201, lake::NamespaceToJson(ns));
             });
  router.Add({.method = "GET", .pattern = "/api/v1/lake/namespaces/{ns}", .operation_id = "lake.namespace.get",
              .summary = "One namespace.", .tag = "lake", .permission = ns_read,
              .response_schema = NamespaceSchema()},
             [&catalog](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto ns, catalog.GetNamespace(ctx.Param("ns")));
               return HttpResponse::MakeJson(200, lake::NamespaceToJson(ns));
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/lake/namespaces/{ns}", .operation_id = "lake.namespace.delete",
              .summary = "Delete an empty namespace.", .tag = "lake", .permission = ns_write,
              .response_schema = Obj({{"deleted", Str()}})},
             [&catalog](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(catalog.DeleteNamespace(ctx.Param("ns")));
               return HttpResponse::MakeJson(200, {{"deleted", ctx.Param("ns")}});
             });

  router.Add({.method = "GET", .pattern = "/api/v1/lake/datasets", .operation_id = "lake.dataset.list",
              .summary = "Datasets the caller may read (optionally of one namespace).", .tag = "lake",
              .response_schema = {{"type", "array"}, {"items", DatasetSchema()}},
              .query_params = {"namespace"}},
             [&catalog](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto all,
                                       catalog.ListDatasets(ctx.request.QueryParam("namespace").value_or("")));
               Json out = Json::array();
               for (const auto& d : all) {
                 if (Require(ctx, Action::kRead, d.full_name()).ok()) out.push_back(lake::DatasetToJson(d));
               }
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "POST", .pattern = "/api/v1/lake/datasets/{ns}/{name}", .operation_id = "lake.dataset.create",
              .summary = "Register a dataset (no data yet).", .tag = "lake", .permission = ds_write,
              .request_schema = Obj({{"description", Str()}, {"tags", {{"type", "array"}, {"items", Str()}}},
                                     {"sensitive", {{"type", "boolean"}}}}),
              .response_schema = DatasetSchema(), .success_status = 201},
             [&catalog](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               Json body = Json::object();
               if (!ctx.request.body.empty()) {
                 LEPTON_ASSIGN_OR_RETURN(body, ParseJsonBody(ctx.request));
               }
               JsonFields f(body, "body");
               std::string description = f.OptionalString("description").value_or("");
               std::vector<std::string> tags = f.OptionalStringArray("tags").value_or(std::vector<std::string>{});
               bool sensitive = f.OptionalBool("sensitive").value_or(false);
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(auto d, catalog.CreateDataset(ctx.Param("ns"), ctx.Param("name"), description,
                                                                     tags, sensitive, ctx.principal->user_name));
               return HttpResponse::MakeJson(201, lake::DatasetToJson(d));
             });
  router.Add({.method = "GET", .pattern = "/api/v1/lake/datasets/{ns}/{name}", .operation_id = "lake.dataset.get",
              .summary = "A dataset: description, tags, owner, schema, version, rows, size.", .tag = "lake",
              .permission = ds_read, .response_schema = DatasetSchema()},
             [&catalog](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto d, catalog.GetDataset(ctx.Param("ns"), ctx.Param("name")));
               return HttpResponse::MakeJson(200, lake::DatasetToJson(d));
             });
  router.Add({.method = "PATCH", .pattern = "/api/v1/lake/datasets/{ns}/{name}", .operation_id = "lake.dataset.update",
              .summary = "Change a dataset's description, tags or sensitive flag.", .tag = "lake",
              .permission = ds_write,
              .request_schema = Obj({{"description", Str()}, {"tags", {{"type", "array"}, {"items", Str()}}},
                                     {"sensitive", {{"type", "boolean"}}}}),
              .response_schema = DatasetSchema()},
             [&catalog](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               lake::DatasetUpdate u;
               u.description = f.OptionalString("description");
               u.tags = f.OptionalStringArray("tags");
               u.sensitive = f.OptionalBool("sensitive");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               LEPTON_ASSIGN_OR_RETURN(auto d, catalog.UpdateDataset(ctx.Param("ns"), ctx.Param("name"), u));
               return HttpResponse::MakeJson(200, lake::DatasetToJson(d));
             });
  router.Add({.method = "DELETE", .pattern = "/api/v1/lake/datasets/{ns}/{name}", .operation_id = "lake.dataset.delete",
              .summary = "Delete a dataset and its files.", .tag = "lake", .permission = ds_write,
              .response_schema = Obj({{"deleted", Str()}})},
             [&lake](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_RETURN_IF_ERROR(lake.DeleteDataset(ctx.Param("ns"), ctx.Param("name")));
               return HttpResponse::MakeJson(200, {{"deleted", StrCat(ctx.Param("ns"), "/", ctx.Param("name"))}});
             });

  router.Add({.method = "POST", .pattern = "/api/v1/lake/datasets/{ns}/{name}/ingest",
              .operation_id = "lake.dataset.ingest",
              .summary = "Ingest the file in the request body (format=csv, jsonl or parquet) as a new "
                         "version (the dataset and namespace are created when missing).",
              .tag = "lake", .permission = ds_write,
              .response_schema = Obj({{"dataset", DatasetSchema()}, {"version", {{"type", "integer"}}},
                                      {"rows", {{"type", "integer"}}}, {"bad_rows", {{"type", "integer"}}},
                                      {"sha256", Str()}, {"quarantine", Str()}}),
              .success_status = 201,
              .query_params = {"format", "mode", "bad_rows", "delimiter", "header", "source", "description", "async"}},
             [&lake, &jobs, upload_dir](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               const HttpRequest& req = ctx.request;
               if (req.body.empty()) return absl::InvalidArgumentError("body: expected the file, got nothing");
               lake::IngestRequest r;
               LEPTON_ASSIGN_OR_RETURN(r.format, lake::ParseSourceFormat(req.QueryParam("format").value_or("csv")));
               if (r.format == lake::SourceFormat::kSql) {
                 return absl::InvalidArgumentError("format: sql sources use /ingest-sql");
               }
               r.ns = ctx.Param("ns");
               r.name = ctx.Param("name");
               r.user = ctx.principal->user_name;
               r.source_name = req.QueryParam("source").value_or("upload");
               r.description = req.QueryParam("description").value_or("");
               const std::string mode = req.QueryParam("mode").value_or("append");
               if (mode == "overwrite") r.mode = lake::WriteMode::kOverwrite;
               else if (mode != "append") return absl::InvalidArgumentError("mode: expected append or overwrite");
               const std::string bad = req.QueryParam("bad_rows").value_or("fail");
               if (bad == "skip") r.csv.bad_rows = lake::ingest::BadRowPolicy::kSkip;
               else if (bad == "quarantine") r.csv.bad_rows = lake::ingest::BadRowPolicy::kQuarantine;
               else if (bad != "fail") return absl::InvalidArgumentError("bad_rows: expected fail, skip or quarantine");
               if (auto d = req.QueryParam("delimiter")) {
                 if (d->size() != 1) return absl::InvalidArgumentError("delimiter: expected one character");
                 r.csv.delimiter = (*d)[0];
               }
               if (auto h = req.QueryParam("header")) {
                 if (*h != "true" && *h != "false") return absl::InvalidArgumentError("header: expected true or false");
                 r.csv.has_header = *h == "true";
               }
               const std::string async = req.QueryParam("async").value_or("false");
               if (async != "true" && async != "false") return absl::InvalidArgumentError("async: expected true or false");
               LEPTON_RETURN_IF_ERROR(MakeDirs(upload_dir, 0700));
               auto staged = std::make_shared<StagedFile>();
               staged->path = StrCat(upload_dir, "/upload-", HexEncode(RandomBytes(8)));
               LEPTON_RETURN_IF_ERROR(WriteFileAtomically(staged->path, req.body, 0600));
               r.path = staged->path;
               auto to_json = [](const lake::IngestResult& res) {
                 return Json{{"dataset", lake::DatasetToJson(res.dataset)}, {"version", res.version},
                             {"rows", res.rows}, {"bad_rows", res.bad_rows}, {"sha256", res.sha256},
                             {"quarantine", res.quarantine}};
               };
               if (async == "true") {
                 const std::string resource = StrCat(r.ns, "/", r.name);
                 LEPTON_ASSIGN_OR_RETURN(
                     jobs::Job job,
                     jobs.Submit("lake.ingest", resource,
                                 {{"dataset", resource}, {"source", r.source_name}, {"bytes", req.body.size()}},
                                 ctx.principal->user_name,
                                 [&lake, r, staged, to_json](jobs::JobContext& job_ctx) mutable -> absl::StatusOr<Json> {
                                   r.progress = [&job_ctx](const lake::Progress& p) {
                                     job_ctx.SetProgress({{"bytes_done", p.bytes_done}, {"bytes_total", p.bytes_total},
                                                          {"rows", p.rows},
                                                          {"fraction", p.bytes_total > 0 ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 0.0}});
                                   };
                                   LEPTON_ASSIGN_OR_RETURN(lake::IngestResult res, lake.Ingest(r));
                                   return to_json(res);
                                 }));
                 return HttpResponse::MakeJson(202, jobs::JobToJson(job));
               }
               LEPTON_ASSIGN_OR_RETURN(lake::IngestResult res, lake.Ingest(r));
               return HttpResponse::MakeJson(201, to_json(res));
             });

  router.Add({.method = "POST", .pattern = "/api/v1/lake/datasets/{ns}/{name}/ingest-sql",
              .operation_id = "lake.dataset.ingest_sql",
              .summary = "Ingest a table or SELECT query from PostgreSQL (postgresql://…) or SQLite "
                         "(sqlite:/path; admins only, as it reads files on the server).",
              .tag = "lake", .permission = ds_write,
              .request_schema = Obj({{"url", Str()}, {"sql", Str()}, {"mode", Str()},
                                     {"bad_rows", Str()}, {"description", Str()}},
                                    {"url", "sql"}),
              .response_schema = {{"type", "object"}}, .success_status = 201},
             [&lake](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(Json body, ParseJsonBody(ctx.request));
               JsonFields f(body, "body");
               lake::IngestRequest r;
               r.format = lake::SourceFormat::kSql;
               r.sql_url = f.String("url");
               r.sql = f.String("sql");
               const std::string mode = f.OptionalString("mode").value_or("append");
               const std::string bad = f.OptionalString("bad_rows").value_or("fail");
               r.description = f.OptionalString("description").value_or("");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               if (r.sql_url.starts_with("sqlite:")) {
                 // An SQLite URL names a file on the server (the metadata store is one): admins only.
                 LEPTON_RETURN_IF_ERROR(auth::Authorize(*ctx.principal, Action::kUserAdmin, "*"));
               }
               if (mode == "overwrite") r.mode = lake::WriteMode::kOverwrite;
               else if (mode != "append") return absl::InvalidArgumentError("body.mode: expected append or overwrite");
               if (bad == "skip") r.csv.bad_rows = lake::ingest::BadRowPolicy::kSkip;
               else if (bad == "quarantine") r.csv.bad_rows = lake::ingest::BadRowPolicy::kQuarantine;
               else if (bad != "fail") return absl::InvalidArgumentError("body.bad_rows: expected fail, skip or quarantine");
               r.ns = ctx.Param("ns");
               r.name = ctx.Param("name");
               r.user = ctx.principal->user_name;
               LEPTON_ASSIGN_OR_RETURN(lake::IngestResult res, lake.Ingest(r));
               return HttpResponse::MakeJson(
                   201, {{"dataset", lake::DatasetToJson(res.dataset)}, {"version", res.version},
                         {"rows", res.rows}, {"bad_rows", res.bad_rows}, {"quarantine", res.quarantine}});
             });

  router.Add({.method = "GET", .pattern = "/api/v1/lake/datasets/{ns}/{name}/versions",
              .operation_id = "lake.dataset.versions", .summary = "Version history (Delta commits).",
              .tag = "lake", .permission = ds_read,
              .response_schema = {{"type", "array"}, {"items", {{"type", "object"}}}}},
             [&lake](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto history, lake.History(ctx.Param("ns"), ctx.Param("name")));
               Json out = Json::array();
               for (const auto& c : history) {
                 out.push_back({{"version", c.version},
                                {"timestamp", FormatTimestamp(absl::FromUnixMillis(c.timestamp_ms))},
                                {"operation", c.operation},
                                {"parameters", c.operation_parameters},
                                {"user", c.user}});
               }
               return HttpResponse::MakeJson(200, out);
             });
  router.Add({.method = "GET", .pattern = "/api/v1/lake/datasets/{ns}/{name}/lineage",
              .operation_id = "lake.dataset.lineage", .summary = "How each version came to be.",
              .tag = "lake", .permission = ds_read,
              .response_schema = {{"type", "array"}, {"items", {{"type", "object"}}}}},
             [&catalog](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               LEPTON_ASSIGN_OR_RETURN(auto lineage, catalog.Lineage(ctx.Param("ns"), ctx.Param("name")));
               Json out = Json::array();
               for (const auto& l : lineage) out.push_back(lake::LineageToJson(l));
               return HttpResponse::MakeJson(200, out);
             });

  router.Add({.method = "GET", .pattern = "/api/v1/lake/datasets/{ns}/{name}/profile",
              .operation_id = "lake.dataset.profile",
              .summary = "Profile of a version: per column count, nulls, distinct, min, max, mean, std, "
                         "quantiles, histogram, top values; table-level duplicates; alerts. "
                         "format=table gives the CLI's text table.",
              .tag = "lake", .permission = ds_read, .response_schema = {{"type", "object"}},
              .query_params = {"version", "as_of", "format"}},
             [&lake](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               std::optional<Json> version;
               if (auto v = ctx.request.QueryParam("version")) {
                 int64_t n;
                 if (!ParseInt(*v, &n)) return absl::InvalidArgumentError("version: expected an integer");
                 version = n;
               }
               LEPTON_ASSIGN_OR_RETURN(lake::VersionSpec spec,
                                       VersionFrom(version, ctx.request.QueryParam("as_of")));
               const std::string format = ctx.request.QueryParam("format").value_or("json");
               if (format != "json" && format != "table") {
                 return absl::InvalidArgumentError("format: expected json or table");
               }
               LEPTON_ASSIGN_OR_RETURN(auto profile, lake.Profile(ctx.Param("ns"), ctx.Param("name"), spec));
               if (format == "table") {
                 HttpResponse r;
                 r.content_type = "text/plain; charset=utf-8";
                 r.body = lake::profile::ProfileToTable(profile);
                 return r;
               }
               return HttpResponse::MakeJson(200, lake::profile::ProfileToJson(profile));
             });

  router.Add({.method = "POST", .pattern = "/api/v1/lake/datasets/{ns}/{name}/clean",
              .operation_id = "lake.dataset.clean",
              .summary = "Clean the latest version with the rules in the body (YAML or JSON) into a new "
                         "version; answers the per-rule report.",
              .tag = "lake", .permission = ds_write, .response_schema = {{"type", "object"}},
              .success_status = 201},
             [&lake](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               if (ctx.request.body.empty()) {
                 return absl::InvalidArgumentError("body: expected cleaning rules (YAML or JSON)");
               }
               LEPTON_ASSIGN_OR_RETURN(auto r, lake.Clean(ctx.Param("ns"), ctx.Param("name"),
                                                          ctx.request.body, ctx.principal->user_name));
               Json report = Json::array();
               for (const auto& rule : r.report) report.push_back(rule.ToJson());
               return HttpResponse::MakeJson(
                   201, {{"input_version", r.input_version}, {"version", r.version},
                         {"rows_in", r.rows_in}, {"rows_out", r.rows_out},
                         {"rows_quarantined", r.rows_quarantined}, {"quarantine", r.quarantine},
                         {"report", report}});
             });

  Json predicate_schema = Obj({{"column", Str()}, {"op", Str()}, {"value", Json::object()},
                               {"values", {{"type", "array"}, {"items", Json::object()}}}},
                              {"column", "op"});
  Json scan_schema =
      Obj({{"columns", {{"type", "array"}, {"items", Str()}}},
           {"rows", {{"type", "array"}, {"items", {{"type", "array"}, {"items", Json::object()}}}}},
           {"schema", {{"type", "object"}}},
           {"stats", Obj({{"files", {{"type", "integer"}}}, {"row_groups", {{"type", "integer"}}},
                          {"row_groups_skipped", {{"type", "integer"}}},
                          {"rows_read", {{"type", "integer"}}}, {"rows", {{"type", "integer"}}}})},
           {"version", {{"type", "integer"}}}});
  router.Add({.method = "POST", .pattern = "/api/v1/lake/datasets/{ns}/{name}/scan",
              .operation_id = "lake.dataset.scan",
              .summary = "Read rows, streamed (chunked): projection, predicates (=, !=, <, <=, >, "
                         ">=, between, in, is_null, is_not_null; AND), optional limit (none: every "
                         "row), version or as_of; JSON or CSV (format=csv: text/csv). A failure "
                         "after the first bytes ends the connection without the final chunk.",
              .tag = "lake", .permission = ds_read,
              .request_schema = Obj({{"columns", {{"type", "array"}, {"items", Str()}}},
                                     {"where", {{"type", "array"}, {"items", predicate_schema}}},
                                     {"limit", {{"type", "integer"}, {"minimum", 0}}},
                                     {"version", {{"type", "integer"}, {"minimum", 0}}},
                                     {"as_of", Str()},
                                     {"format", {{"type", "string"}, {"enum", {"json", "csv"}}}}}),
              .response_schema = scan_schema, .other_response_types = {"text/csv"},
              .streamed = true},
             [&lake](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
               Json body = Json::object();
               if (!ctx.request.body.empty()) {
                 LEPTON_ASSIGN_OR_RETURN(body, ParseJsonBody(ctx.request));
               }
               JsonFields f(body, "body");
               lake::ScanOptions o;
               o.columns = f.OptionalStringArray("columns").value_or(std::vector<std::string>{});
               std::optional<Json> where = f.OptionalValue("where");
               // The response is streamed, so nothing bounds the row count but the table.
               const std::optional<int64_t> limit = f.OptionalInt("limit");
               std::optional<Json> version = f.OptionalValue("version");
               std::optional<std::string> as_of = f.OptionalString("as_of");
               const std::string format = f.OptionalString("format").value_or("json");
               LEPTON_RETURN_IF_ERROR(f.Finish());
               if (limit && *limit < 0) {
                 return absl::InvalidArgumentError("body.limit: expected a non-negative integer");
               }
               o.limit = limit.value_or(-1);
               // Smaller than the scan's default batch: the scan holds a batch in memory while
               // it fills (across files), and the first bytes wait for the first batch.
               o.batch_rows = 8192;
               if (format != "json" && format != "csv") return absl::InvalidArgumentError("body.format: expected json or csv");
               if (where) {
                 LEPTON_ASSIGN_OR_RETURN(o.predicates, lake::PredicatesFromJson(*where, "body.where"));
               }
               LEPTON_ASSIGN_OR_RETURN(lake::VersionSpec spec, VersionFrom(version, as_of));
               LEPTON_ASSIGN_OR_RETURN(auto snap, lake.Snapshot(ctx.Param("ns"), ctx.Param("name"), spec));
               LEPTON_ASSIGN_OR_RETURN(o.data_key, lake.ReadKey(ctx.Param("ns"), ctx.Param("name")));
               const int64_t snap_version = snap.version;
               const bool csv = format == "csv";
               // The scan pushes batches to a callback; the pipe runs it on a thread of its own
               // and the server pulls the serialized chunks as the client takes them. The thread
               // touches only what it captures by value, never `lake`.
               auto pipe = std::make_shared<BodyPipe>(
                   [dir = lake.TableDir(ctx.Param("ns"), ctx.Param("name")), snap = std::move(snap),
                    o = std::move(o), csv](const BodyPipe::ChunkWriter& write) {
                     return WriteScanBody(dir, snap, o, csv, write);
                   });
               // Waiting for the first chunk turns everything that fails before it — an unknown
               // column, a predicate value of the wrong type, an unreadable first file — into a
               // normal error response rather than a truncated stream.
               LEPTON_ASSIGN_OR_RETURN(std::optional<std::string> first, pipe->Next());
               HttpResponse r;
               r.status = 200;
               if (csv) {
                 r.content_type = "text/csv; charset=utf-8";
                 r.headers.emplace_back("X-Lepton-Version", std::to_string(snap_version));
               }
               r.producer = [pipe, first = std::move(first)]() mutable
                   -> absl::StatusOr<std::optional<std::string>> {
                 if (first) {
                   std::optional<std::string> chunk = std::move(first);
                   first.reset();
                   return chunk;
                 }
                 return pipe->Next();
               };
               return r;
             });
}

}  // namespace lepton::api
