#include "lepton/lake/data_lake.h"

#include "lepton/lake/crypto/keys.h"

#include "lepton/base/clock.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton {
namespace {

absl::StatusOr<lake::ScanOptions> ScanFromJson(JsonFields& f, const std::string& path) {
  lake::ScanOptions o;
  o.limit = -1;
  o.columns = f.OptionalStringArray("columns").value_or(std::vector<std::string>{});
  std::optional<Json> where = f.OptionalValue("where");
  if (!where) return o;
  LEPTON_ASSIGN_OR_RETURN(o.predicates, lake::PredicatesFromJson(*where, StrCat(path, ".where")));
  return o;
}

}  // namespace

DataLake::DataLake(const std::string& config_path) {
  status_ = [&]() -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(std::string text, ReadFile(config_path));
    auto json = ParseJson(text);
    if (!json.ok()) return Annotate(json.status(), config_path);
    JsonFields top(*json, "");
    const std::string home = top.OptionalString("home").value_or("./lepton-home");
    const std::string store = top.OptionalString("store").value_or("sqlite");
    std::optional<Json> datasets = top.OptionalValue("datasets");
    LEPTON_RETURN_IF_ERROR(Annotate(top.Finish(), config_path));
    if (datasets) {
      if (!datasets->is_object()) {
        return absl::InvalidArgumentError(StrCat(config_path, ": datasets: expected an object"));
      }
      for (auto it = datasets->begin(); it != datasets->end(); ++it) {
        const std::string path = StrCat("datasets.", it.key());
        JsonFields f(*it, path);
        Source s;
        s.dataset = f.String("dataset");
        if (auto v = f.OptionalInt("version")) s.version.version = *v;
        auto scan = ScanFromJson(f, path);
        LEPTON_RETURN_IF_ERROR(Annotate(scan.status(), config_path));
        s.scan = *scan;
        LEPTON_RETURN_IF_ERROR(Annotate(f.Finish(), config_path));
        LEPTON_RETURN_IF_ERROR(Annotate(lake::ParseDatasetName(s.dataset).status(), config_path));
        sources_[it.key()] = std::move(s);
      }
    }
    const std::string url = store == "sqlite" ? StrCat("sqlite:", home, "/meta.db") : store;
    if (url.starts_with("sqlite:") && !PathExists(url.substr(7))) {
      return absl::NotFoundError(StrCat("no Lepton home at ", home, " (", url.substr(7), " is missing)"));
    }
    LEPTON_ASSIGN_OR_RETURN(store_, store::OpenMetaStore(url));
    LEPTON_ASSIGN_OR_RETURN(auto master, lake::crypto::LoadMasterKeyFromEnvironment(home, false));
    std::shared_ptr<const lake::crypto::MasterKey> key;
    if (master) key = std::make_shared<const lake::crypto::MasterKey>(std::move(*master));
    lake_ = std::make_unique<lake::Lake>(home + "/lake", *store_, Clock::System(), key);
    return absl::OkStatus();
  }();
}

DataLake::~DataLake() = default;
DataLake::DataLake(DataLake&&) noexcept = default;
DataLake& DataLake::operator=(DataLake&&) noexcept = default;

absl::StatusOr<Frame> DataLake::get_data(const std::string& name) {
  LEPTON_RETURN_IF_ERROR(status_);
  Source source;
  if (auto it = sources_.find(name); it != sources_.end()) {
    source = it->second;
  } else if (name.find('/') != std::string::npos) {
    source.dataset = name;
    source.scan.limit = -1;
  } else {
    return absl::NotFoundError(StrCat("no data source '", name, "' in the configuration"));
  }
  LEPTON_ASSIGN_OR_RETURN(auto parts, lake::ParseDatasetName(source.dataset));
  std::optional<Frame> frame;
  LEPTON_RETURN_IF_ERROR(lake_->Scan(parts.first, parts.second, source.version, source.scan,
                                     [&](const lake::RecordBatch& b) -> absl::Status {
                                       if (!frame) frame.emplace(b.schema());
                                       for (size_t c = 0; c < b.num_columns(); ++c) {
                                         frame->mutable_column(c).AppendRange(b.column(c), 0, b.num_rows());
                                       }
                                       return absl::OkStatus();
                                     }));
  if (!frame) {
    // No rows matched: an empty frame with the projected schema.
    LEPTON_ASSIGN_OR_RETURN(auto snap, lake_->Snapshot(parts.first, parts.second, source.version));
    std::vector<lake::Field> fields;
    if (source.scan.columns.empty()) {
      fields = snap.metadata.schema.fields();
    } else {
      for (const std::string& c : source.scan.columns) {
        fields.push_back(snap.metadata.schema.field(static_cast<size_t>(snap.metadata.schema.Find(c))));
      }
    }
    frame.emplace(lake::Schema(std::move(fields)));
  }
  return *std::move(frame);
}

}  // namespace lepton
