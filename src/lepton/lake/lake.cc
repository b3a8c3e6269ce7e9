#include "lepton/lake/lake.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/sources/batch_source.h"
#include "lepton/lake/sources/json_lines_source.h"
#include "lepton/lake/sources/parquet_source.h"
#include "lepton/lake/sources/sql_source.h"

namespace lepton::lake {
namespace {

constexpr char kQuarantineSuffix[] = "__quarantine";

// A stream over a file that hashes every byte as the parser pulls it, so that lineage gets the
// file's SHA-256 without a second pass over it, and that counts bytes for progress.
class HashingFile : public std::streambuf {
 public:
  HashingFile() : stream_(this) {}
  ~HashingFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      return errno == ENOENT ? absl::NotFoundError(StrCat("no such file: ", path))
                             : absl::PermissionDeniedError(StrCat("cannot read ", path));
    }
    struct stat st;
    if (::fstat(fd_, &st) == 0) total_ = st.st_size;
    buffer_.resize(1 << 20);
    return absl::OkStatus();
  }
  std::istream& stream() { return stream_; }
  int64_t total() const { return total_; }
  // Bytes handed to the parser so far.
  int64_t position() const { return consumed_ - (egptr() - gptr()); }
  // Hashes whatever the parser did not read and returns the digest of the whole file.
  absl::StatusOr<std::string> Finish() {
    while (Fill() > 0) {
    }
    if (failed_) return absl::DataLossError("reading the source file failed");
    return hash_.HexDigest();
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (Fill() <= 0) return traits_type::eof();
    return traits_type::to_int_type(*gptr());
  }

 private:
  ssize_t Fill() {
    ssize_t n;
    do {
      n = ::read(fd_, buffer_.data(), buffer_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) failed_ = true;
    if (n <= 0) return 0;
    hash_.Update(std::string_view(buffer_.data(), static_cast<size_t>(n)));
    consumed_ += n;
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return n;
  }

  std::istream stream_;
  int fd_ = -1;
  int64_t total_ = 0;
  int64_t consumed_ = 0;
  bool failed_ = false;
  std::string buffer_;
  Sha256 hash_;
};

std::string FormatName(SourceFormat f) {
  switch (f) {
    case SourceFormat::kCsv: return "csv";
    case SourceFormat::kJsonLines: return "jsonl";
    case SourceFormat::kParquet: return "parquet";
    case SourceFormat::kSql: return "sql";
  }
  return "csv";
}

absl::StatusOr<std::string> FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("no such file: ", path));
  Sha256 h;
  std::string buf(1 << 20, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.Update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
  }
  return h.HexDigest();
}

absl::Status NoMasterKey(std::string_view dataset, std::string_view why) {
  return absl::FailedPreconditionError(StrCat(
      "dataset ", dataset, " is encrypted at rest; ", why, " needs the master key, but none "
      "is configured; set ", crypto::kMasterKeyEnv, " (64 hex characters or the base64 of 32 bytes) "
      "or ", crypto::kMasterKeyFileEnv, ", or keep the server's <home>/master.key"));
}

}  // namespace

Lake::Lake(std::string root, store::MetaStore& store, Clock& clock,
           std::shared_ptr<const crypto::MasterKey> master_key)
    : root_(std::move(root)), clock_(clock), master_key_(std::move(master_key)),
      catalog_(store, clock) {}

absl::StatusOr<std::shared_ptr<const crypto::DataKey>> Lake::WriteKey(const Dataset& dataset) {
  if (!dataset.sensitive) return std::shared_ptr<const crypto::DataKey>();
  if (!master_key_) return NoMasterKey(dataset.full_name(), "writing it");
  return crypto::LoadOrCreateTableKey(TableDir(dataset.ns, dataset.name), *master_key_,
                                      dataset.full_name());
}

absl::StatusOr<std::shared_ptr<const crypto::DataKey>> Lake::ReadKey(std::string_view ns,
                                                                     std::string_view name) {
  const std::string dir = TableDir(ns, name);
  if (!crypto::HasTableKey(dir)) return std::shared_ptr<const crypto::DataKey>();
  const std::string full = StrCat(ns, "/", name);
  if (!master_key_) return NoMasterKey(full, "reading it");
  return crypto::LoadTableKey(dir, *master_key_, full);
}

std::string Lake::TableDir(std::string_view ns, std::string_view name) const {
  return StrCat(root_, "/", ns, "/", name);
}

absl::StatusOr<Dataset> Lake::EnsureDataset(const CsvIngestRequest& r) {
  auto existing = catalog_.GetDataset(r.ns, r.name);
  if (existing.ok() || !absl::IsNotFound(existing.status()) || !r.create) return existing;
  if (r.sensitive && !master_key_) {
    return NoMasterKey(StrCat(r.ns, "/", r.name), "creating it");
  }
  if (auto ns = catalog_.GetNamespace(r.ns); absl::IsNotFound(ns.status())) {
    auto created = catalog_.CreateNamespace(r.ns, "", r.user);
    if (!created.ok() && !absl::IsAlreadyExists(created.status())) return created.status();
  }
  auto created = catalog_.CreateDataset(r.ns, r.name, r.description, {}, r.sensitive, r.user);
  if (absl::IsAlreadyExists(created.status())) return catalog_.GetDataset(r.ns, r.name);
  return created;
}

absl::StatusOr<SourceFormat> ParseSourceFormat(std::string_view name) {
  if (name == "csv") return SourceFormat::kCsv;
  if (name == "jsonl" || name == "json") return SourceFormat::kJsonLines;
  if (name == "parquet") return SourceFormat::kParquet;
  if (name == "sql") return SourceFormat::kSql;
  return absl::InvalidArgumentError(
      StrCat("unknown source format '", name, "'; expected csv, jsonl, parquet or sql"));
}

absl::StatusOr<IngestResult> Lake::IngestCsv(const IngestRequest& r) {
  IngestRequest csv = r;
  csv.format = SourceFormat::kCsv;
  return Ingest(csv);
}

absl::StatusOr<IngestResult> Lake::Ingest(const IngestRequest& r) {
  LEPTON_RETURN_IF_ERROR(ValidateLakeName("namespace", r.ns));
  LEPTON_RETURN_IF_ERROR(ValidateLakeName("dataset", r.name));
  if (r.name.ends_with(kQuarantineSuffix)) {
    return absl::InvalidArgumentError("dataset names ending in __quarantine are reserved");
  }
  IngestResult result;
  const bool from_file = r.format != SourceFormat::kSql;
  HashingFile file;
  std::string source_name = r.source_name;
  if (from_file) {
    LEPTON_RETURN_IF_ERROR(file.Open(r.path));
    // Parquet is read by path, not streamed: hash it up front. Streamed formats hash as they go.
    if (r.format == SourceFormat::kParquet) {
      LEPTON_ASSIGN_OR_RETURN(result.sha256, FileSha256(r.path));
    }
    if (source_name.empty()) source_name = std::filesystem::path(r.path).filename().string();
  }
  std::unique_ptr<sources::BatchSource> source;
  switch (r.format) {
    case SourceFormat::kCsv: {
      ingest::CsvReadOptions csv = r.csv;
      if (csv.source_name.empty()) csv.source_name = source_name;
      LEPTON_ASSIGN_OR_RETURN(auto reader, ingest::CsvReader::Create(&file.stream(), csv));
      source = std::make_unique<sources::CsvSource>(std::move(reader), StrCat("csv: ", source_name));
      break;
    }
    case SourceFormat::kJsonLines: {
      sources::JsonLinesOptions o;
      o.schema = r.csv.schema;
      o.bad_rows = r.csv.bad_rows;
      o.source_name = source_name;
      LEPTON_ASSIGN_OR_RETURN(source, sources::JsonLinesSource::Create(&file.stream(), o));
      break;
    }
    case SourceFormat::kParquet: {
      LEPTON_ASSIGN_OR_RETURN(source, sources::ParquetSource::Open(r.path, {}));
      break;
    }
    case SourceFormat::kSql: {
      sources::SqlSourceOptions o;
      o.schema = r.csv.schema;
      o.bad_rows = r.csv.bad_rows;
      LEPTON_ASSIGN_OR_RETURN(source, sources::SqlSource::Open(r.sql_url, r.sql, o));
      if (source_name.empty()) source_name = source->description();
      break;
    }
  }
  LEPTON_ASSIGN_OR_RETURN(Dataset dataset, EnsureDataset(r));

  TableWriteOptions wo;
  wo.mode = r.mode;
  wo.operation = r.mode == WriteMode::kOverwrite ? "OVERWRITE" : "WRITE";
  wo.operation_parameters = {{"source", source_name}};
  wo.user = r.user;
  wo.table_name = dataset.full_name();
  LEPTON_ASSIGN_OR_RETURN(wo.data_key, WriteKey(dataset));
  LEPTON_ASSIGN_OR_RETURN(auto writer,
                          TableWriter::Open(TableDir(r.ns, r.name), source->schema(), wo, clock_));
  std::vector<ingest::BadRow> quarantined;
  // Two stages on two cores: this thread parses CSV while a second one encodes and compresses
  // Parquet. The encoder works in bursts (a whole row group at a time), so parsed batches queue
  // between the two, up to `kMaxQueuedBytes` (always at least one batch): enough to keep the
  // parser busy through a row-group flush, and a fixed bound on memory.
  constexpr int64_t kMaxQueuedBytes = int64_t{96} << 20;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<RecordBatch, int64_t>> queue;  // batch, its bytes
  int64_t queued_bytes = 0;
  bool input_done = false;
  absl::Status write_status;
  std::thread encoder([&] {
    while (true) {
      std::optional<RecordBatch> batch;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !queue.empty() || input_done; });
        if (queue.empty()) return;
        batch = std::move(queue.front().first);
        queued_bytes -= queue.front().second;
        queue.pop_front();
      }
      cv.notify_all();
      absl::Status s = writer->Write(std::move(*batch));
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        write_status = s;
        input_done = true;
        cv.notify_all();
        return;
      }
    }
  });
  absl::Status read_status;
  while (true) {
    auto next = source->ReadNext();
    if (!next.ok()) {
      read_status = next.status();
      break;
    }
    for (ingest::BadRow& b : source->TakeQuarantined()) quarantined.push_back(std::move(b));
    if (!*next) break;
    int64_t bytes = 0;
    for (const Column& c : (*next)->columns()) bytes += c.memory_bytes();
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] {
      return queue.empty() || queued_bytes + bytes <= kMaxQueuedBytes || !write_status.ok();
    });
    if (!write_status.ok()) break;
    queue.emplace_back(std::move(**next), bytes);
    queued_bytes += bytes;
    lock.unlock();
    cv.notify_all();
    if (r.progress) {
      r.progress({from_file && r.format != SourceFormat::kParquet ? file.position() : 0,
                  from_file ? file.total() : 0, source->rows_read()});
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    input_done = true;
  }
  cv.notify_all();
  encoder.join();
  LEPTON_RETURN_IF_ERROR(read_status);
  LEPTON_RETURN_IF_ERROR(write_status);
  if (from_file && r.format != SourceFormat::kParquet) {
    LEPTON_ASSIGN_OR_RETURN(result.sha256, file.Finish());
  }
  writer->set_operation_parameters(
      {{"source", source_name}, {"sha256", result.sha256}, {"format", FormatName(r.format)}});
  LEPTON_ASSIGN_OR_RETURN(WriteResult written, writer->Commit());
  result.version = written.version;
  result.rows = source->rows_read();
  result.bad_rows = source->bad_rows();
  result.bytes_read = from_file ? file.total() : 0;
  if (r.progress) r.progress({file.total(), file.total(), result.rows});
  Json source_json = from_file ? Json{{"file", source_name}, {"sha256", result.sha256},
                                      {"bytes", result.bytes_read}}
                                : Json{{"query", source->description()}};
  source_json["format"] = FormatName(r.format);
  Json lineage = {{"source", source_json},
                  {"mode", r.mode == WriteMode::kOverwrite ? "overwrite" : "append"},
                  {"rows", result.rows},
                  {"bad_rows", result.bad_rows},
                  {"bad_row_policy", r.csv.bad_rows == ingest::BadRowPolicy::kFail ? "fail"
                                     : r.csv.bad_rows == ingest::BadRowPolicy::kSkip ? "skip"
                                                                                    : "quarantine"}};
  LEPTON_RETURN_IF_ERROR(catalog_.RecordVersion(
      dataset, written.version, written.snapshot.num_records, written.snapshot.size_bytes,
      written.snapshot.metadata.schema, "ingest", lineage, r.user));
  if (!quarantined.empty()) {
    LEPTON_RETURN_IF_ERROR(WriteQuarantine(dataset, written.version, quarantined, r.user));
    result.quarantine = StrCat(r.ns, "/", r.name, kQuarantineSuffix);
  }
  LEPTON_ASSIGN_OR_RETURN(result.dataset, catalog_.GetDataset(r.ns, r.name));
  return result;
}

absl::Status Lake::WriteQuarantine(const Dataset& dataset, int64_t version,
                                   const std::vector<ingest::BadRow>& rows,
                                   const std::string& user) {
  const std::string name = dataset.name + kQuarantineSuffix;
  auto side = catalog_.GetDataset(dataset.ns, name);
  if (absl::IsNotFound(side.status())) {
    side = catalog_.CreateDataset(dataset.ns, name,
                                  StrCat("rows rejected while ingesting ", dataset.full_name()),
                                  {"quarantine"}, dataset.sensitive, user);
  }
  LEPTON_RETURN_IF_ERROR(side.status());
  RecordBatch batch(Schema({{"line", DataType::kInt64, false},
                            {"raw", DataType::kString, false},
                            {"reason", DataType::kString, false},
                            {"ingest_version", DataType::kInt64, false}}));
  for (const ingest::BadRow& b : rows) {
    batch.mutable_column(0).AppendInt64(b.line);
    batch.mutable_column(1).AppendString(b.raw);
    batch.mutable_column(2).AppendString(b.reason);
    batch.mutable_column(3).AppendInt64(version);
  }
  TableWriteOptions wo;
  wo.operation = "WRITE";
  wo.user = user;
  wo.table_name = side->full_name();
  LEPTON_ASSIGN_OR_RETURN(wo.data_key, WriteKey(*side));
  LEPTON_ASSIGN_OR_RETURN(auto writer, TableWriter::Open(TableDir(dataset.ns, name),
                                                         batch.schema(), wo, clock_));
  LEPTON_RETURN_IF_ERROR(writer->Write(batch));
  LEPTON_ASSIGN_OR_RETURN(WriteResult w, writer->Commit());
  return catalog_.RecordVersion(*side, w.version, w.snapshot.num_records, w.snapshot.size_bytes,
                                w.snapshot.metadata.schema, "quarantine",
                                {{"input", dataset.full_name()}, {"input_version", version}}, user);
}

absl::StatusOr<delta::Snapshot> Lake::Snapshot(std::string_view ns, std::string_view name,
                                               const VersionSpec& spec) {
  LEPTON_ASSIGN_OR_RETURN(Dataset d, catalog_.GetDataset(ns, name));
  if (d.current_version < 0) {
    return absl::NotFoundError(StrCat("dataset '", d.full_name(), "' has no data yet"));
  }
  delta::DeltaLog log(TableDir(ns, name), clock_);
  if (spec.as_of) return log.SnapshotAsOf(*spec.as_of);
  return log.SnapshotAt(spec.version);
}

absl::StatusOr<ScanStats> Lake::Scan(std::string_view ns, std::string_view name,
                                     const VersionSpec& spec, const ScanOptions& options,
                                     const std::function<absl::Status(const RecordBatch&)>& emit) {
  LEPTON_ASSIGN_OR_RETURN(delta::Snapshot snap, Snapshot(ns, name, spec));
  ScanOptions keyed = options;
  LEPTON_ASSIGN_OR_RETURN(keyed.data_key, ReadKey(ns, name));
  return lake::Scan(TableDir(ns, name), snap, keyed, emit);
}

absl::StatusOr<profile::Profile> Lake::Profile(std::string_view ns, std::string_view name,
                                               const VersionSpec& spec,
                                               const profile::ProfileOptions& options) {
  LEPTON_RETURN_IF_ERROR(profile::ValidateOptions(options));
  LEPTON_ASSIGN_OR_RETURN(delta::Snapshot snap, Snapshot(ns, name, spec));
  profile::Profiler profiler(snap.metadata.schema, options);
  ScanOptions scan;
  LEPTON_ASSIGN_OR_RETURN(scan.data_key, ReadKey(ns, name));
  LEPTON_RETURN_IF_ERROR(lake::Scan(TableDir(ns, name), snap, scan,
                                    [&](const RecordBatch& batch) { return profiler.Add(batch); }));
  profile::Profile result = profiler.Finish();
  result.version = snap.version;
  return result;
}

absl::StatusOr<std::vector<delta::CommitInfo>> Lake::History(std::string_view ns,
                                                             std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(Dataset d, catalog_.GetDataset(ns, name));
  if (d.current_version < 0) return std::vector<delta::CommitInfo>{};
  return delta::DeltaLog(TableDir(ns, name), clock_).History();
}

absl::Status Lake::DeleteDataset(std::string_view ns, std::string_view name) {
  LEPTON_RETURN_IF_ERROR(catalog_.DeleteDataset(ns, name));
  std::error_code ec;
  std::filesystem::remove_all(TableDir(ns, name), ec);
  if (ec) return absl::InternalError(StrCat("removing ", TableDir(ns, name), ": ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<clean::CleanResult> Lake::Clean(std::string_view ns, std::string_view name,
                                               std::string_view plan_text,
                                               const std::string& user) {
  LEPTON_ASSIGN_OR_RETURN(clean::CleaningPlan plan, clean::ParsePlan(plan_text));
  LEPTON_ASSIGN_OR_RETURN(Dataset dataset, catalog_.GetDataset(ns, name));
  LEPTON_ASSIGN_OR_RETURN(delta::Snapshot snap, Snapshot(ns, name, {}));
  std::vector<RecordBatch> input;
  ScanOptions scan;
  LEPTON_ASSIGN_OR_RETURN(scan.data_key, ReadKey(ns, name));
  LEPTON_RETURN_IF_ERROR(lake::Scan(TableDir(ns, name), snap, scan,
                                    [&](const RecordBatch& batch) {
                                      input.push_back(batch);
                                      return absl::OkStatus();
                                    }));
  LEPTON_ASSIGN_OR_RETURN(clean::CleaningResult cleaned,
                          clean::ApplyPlan(plan, snap.metadata.schema, input));
  input.clear();

  TableWriteOptions wo;
  wo.mode = WriteMode::kOverwrite;
  wo.operation = "CLEAN";
  wo.operation_parameters = {{"input_version", snap.version}};
  wo.user = user;
  wo.table_name = dataset.full_name();
  LEPTON_ASSIGN_OR_RETURN(wo.data_key, WriteKey(dataset));
  LEPTON_ASSIGN_OR_RETURN(auto writer,
                          TableWriter::Open(TableDir(ns, name), cleaned.schema, wo, clock_));
  for (const RecordBatch& batch : cleaned.batches) LEPTON_RETURN_IF_ERROR(writer->Write(batch));
  LEPTON_ASSIGN_OR_RETURN(WriteResult written, writer->Commit());

  clean::CleanResult result;
  result.input_version = snap.version;
  result.version = written.version;
  result.rows_in = cleaned.rows_in;
  result.rows_out = cleaned.rows_out;
  result.rows_quarantined = static_cast<int64_t>(cleaned.quarantined.size());
  const Json lineage = {{"input_version", snap.version},
                        {"rules", clean::PlanToJson(plan)},
                        {"report", cleaned.ReportJson()},
                        {"rows_in", result.rows_in},
                        {"rows_out", result.rows_out},
                        {"rows_quarantined", result.rows_quarantined}};
  LEPTON_RETURN_IF_ERROR(catalog_.RecordVersion(
      dataset, written.version, written.snapshot.num_records, written.snapshot.size_bytes,
      written.snapshot.metadata.schema, "clean", lineage, user));
  if (!cleaned.quarantined.empty()) {
    std::vector<ingest::BadRow> rows;
    rows.reserve(cleaned.quarantined.size());
    for (const clean::QuarantinedRow& q : cleaned.quarantined) {
      rows.push_back({q.row + 1, DumpJson(q.values), q.reason});
    }
    LEPTON_RETURN_IF_ERROR(WriteQuarantine(dataset, written.version, rows, user));
    result.quarantine = StrCat(ns, "/", name, kQuarantineSuffix);
  }
  result.report = std::move(cleaned.report);
  return result;
}

}  // namespace lepton::lake
