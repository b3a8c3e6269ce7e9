#include "lepton/serving/deployment_service.h"

#include <chrono>
#include <cmath>

#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/train/json_rows.h"

namespace lepton::serving {
namespace {

bool NameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'; }

absl::Status NotFound(std::string_view name) {
  return absl::NotFoundError(StrCat("deployment '", name, "' not found"));
}

}  // namespace

absl::Status ValidateDeploymentName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] != '-' && name[0] != '_' && name[0] != '.';
  for (char c : name) ok = ok && NameChar(c);
  if (!ok) {
    return absl::InvalidArgumentError(StrCat("invalid deployment name '", name,
                                             "': expected 1 to 64 characters of a-z, 0-9, '-', '_', '.', "
                                             "starting with a letter or digit"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DeploymentSpec> DeploymentSpec::FromJson(const Json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("deployment: expected an object");
  DeploymentSpec s;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = *it;
    auto int_in = [&](int64_t low, int64_t high, int64_t* out) -> absl::Status {
      if (!v.is_number_integer() || v.get<int64_t>() < low || v.get<int64_t>() > high) {
        return absl::InvalidArgumentError(StrCat("deployment.", k, ": expected an integer in [", low, ", ", high, "]"));
      }
      *out = v.get<int64_t>();
      return absl::OkStatus();
    };
    int64_t n = 0;
    if (k == "model" && v.is_string()) {
      s.model = v.get<std::string>();
    } else if (k == "alias" && v.is_string()) {
      s.alias = v.get<std::string>();
    } else if (k == "version") {
      LEPTON_RETURN_IF_ERROR(int_in(1, INT64_MAX, &s.version));
    } else if (k == "max_concurrency") {
      LEPTON_RETURN_IF_ERROR(int_in(1, 4096, &n));
      s.max_concurrency = static_cast<int>(n);
    } else if (k == "max_queue") {
      LEPTON_RETURN_IF_ERROR(int_in(0, 1000000, &n));
      s.max_queue = static_cast<int>(n);
    } else if (k == "queue_timeout_ms") {
      LEPTON_RETURN_IF_ERROR(int_in(0, 600000, &s.queue_timeout_ms));
    } else if (k == "log_sample_rate") {
      if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= 1)) {
        return absl::InvalidArgumentError("deployment.log_sample_rate: expected a number in [0, 1]");
      }
      s.log_sample_rate = v.get<double>();
    } else if (k == "batching") {
      LEPTON_ASSIGN_OR_RETURN(s.batching, BatchingOptions::FromJson(v, "deployment.batching"));
    } else if ((k == "canary" || k == "shadow") && v.is_object()) {
      VersionTarget t;
      for (auto f = v.begin(); f != v.end(); ++f) {
        if (f.key() == "alias" && f->is_string()) {
          t.alias = f->get<std::string>();
        } else if (f.key() == "version" && f->is_number_integer() && f->get<int64_t>() >= 1) {
          t.version = f->get<int64_t>();
        } else if (k == "canary" && f.key() == "percent" && f->is_number()) {
          s.canary_percent = f->get<double>();
          if (!(s.canary_percent >= 0 && s.canary_percent <= 100)) {
            return absl::InvalidArgumentError("deployment.canary.percent: expected a number in [0, 100]");
          }
        } else {
          return absl::InvalidArgumentError(StrCat("deployment.", k, ".", f.key(), ": unknown field or wrong type (alias "
                                                   "a string, version a positive integer",
                                                   k == "canary" ? ", percent a number" : "", ")"));
        }
      }
      if (t.alias.empty() == (t.version == 0)) {
        return absl::InvalidArgumentError(StrCat("deployment.", k, ": give exactly one of alias and version"));
      }
      if (k == "canary") {
        if (!v.contains("percent")) return absl::InvalidArgumentError("deployment.canary.percent: required");
        s.canary = t;
      } else {
        s.shadow = t;
      }
    } else {
      return absl::InvalidArgumentError(
          StrCat("deployment.", k, ": unknown field or wrong type (model and alias are strings; version, "
                 "max_concurrency, max_queue, queue_timeout_ms integers; canary and shadow objects)"));
    }
  }
  if (s.model.empty()) return absl::InvalidArgumentError("deployment.model: required");
  if (s.alias.empty() == (s.version == 0)) {
    return absl::InvalidArgumentError("deployment: give exactly one of alias and version");
  }
  return s;
}

Json DeploymentSpec::ToJson() const {
  Json j = {{"model", model}, {"max_concurrency", max_concurrency}, {"max_queue", max_queue},
            {"queue_timeout_ms", queue_timeout_ms}};
  if (!alias.empty()) j["alias"] = alias;
  else j["version"] = version;
  auto target = [](const VersionTarget& t) {
    return t.alias.empty() ? Json{{"version", t.version}} : Json{{"alias", t.alias}};
  };
  if (canary) {
    j["canary"] = target(*canary);
    j["canary"]["percent"] = canary_percent;
  }
  if (shadow) j["shadow"] = target(*shadow);
  j["log_sample_rate"] = log_sample_rate;
  if (batching.enabled()) j["batching"] = batching.ToJson();
  return j;
}

Json ShadowStats::ToJson() const {
  return {{"compared", compared},
          {"rows", rows},
          {"label_agreement", rows > 0 ? Json(static_cast<double>(label_agreements) / static_cast<double>(rows)) : Json(nullptr)},
          {"mean_abs_score_diff", rows > 0 ? Json(sum_abs_score_diff / static_cast<double>(rows)) : Json(nullptr)},
          {"max_abs_score_diff", max_abs_score_diff},
          {"dropped", dropped},
          {"errors", errors}};
}

Json DeploymentStatus::ToJson() const {
  return {{"state", state},          {"serving_version", serving_version}, {"target_version", target_version},
          {"last_error", last_error}, {"load_seconds", load_seconds},      {"loaded_at", loaded_at},
          {"in_flight", in_flight},  {"queued", queued},                   {"rejected", rejected},
          {"canary_version", canary_version}, {"shadow_version", shadow_version}, {"shadow", shadow.ToJson()}};
}

struct DeploymentService::State {
  mutable std::mutex mu;  // deployment, loaded, status fields below
  Deployment deployment;
  std::shared_ptr<const LoadedModel> loaded;
  std::shared_ptr<const LoadedModel> canary;  // null without a canary
  std::shared_ptr<const LoadedModel> shadow;  // null without a shadow
  DeploymentStatus status;
  std::mutex load_mu;  // one load of this deployment at a time

  std::mutex admit_mu;
  std::condition_variable admit_cv;
  int in_flight = 0;
  int queued = 0;
  int64_t rejected = 0;
};

struct DeploymentService::Ticket::Slot {
  std::shared_ptr<State> state;
  ~Slot() {
    {
      std::lock_guard<std::mutex> l(state->admit_mu);
      --state->in_flight;
    }
    state->admit_cv.notify_one();
  }
};

DeploymentService::Ticket& DeploymentService::Ticket::operator=(Ticket&& other) noexcept {
  slot_ = std::exchange(other.slot_, nullptr);
  return *this;
}
DeploymentService::Ticket::~Ticket() = default;

struct DeploymentService::ShadowJob {
  std::string deployment;
  std::shared_ptr<const LoadedModel> shadow;
  lake::RecordBatch rows;
  train::Predictions served;
};

namespace {
constexpr size_t kShadowQueue = 1024;  // copies waiting; more are dropped (the request path never waits)
}  // namespace

DeploymentService::DeploymentService(store::MetaStore& store, Clock& clock, registry::RegistryService& registry)
    : store_(store), clock_(clock), registry_(registry) {
  shadow_worker_ = std::thread([this] { ShadowLoop(); });
}

DeploymentService::~DeploymentService() { Stop(); }

void DeploymentService::Stop() {
  {
    std::lock_guard<std::mutex> l(watch_mu_);
    stopping_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  {
    std::lock_guard<std::mutex> l(shadow_mu_);
    shadow_stopping_ = true;
  }
  shadow_cv_.notify_all();
  if (shadow_worker_.joinable()) shadow_worker_.join();
  for (ShadowJob* j : shadow_queue_) delete j;
  shadow_queue_.clear();
}

std::shared_ptr<DeploymentService::State> DeploymentService::Find(std::string_view name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = states_.find(name);
  return it == states_.end() ? nullptr : it->second;
}

absl::StatusOr<int64_t> DeploymentService::ResolveTarget(const DeploymentSpec& spec) {
  return ResolveVersion(spec.model, VersionTarget{.alias = spec.alias, .version = spec.version});
}

absl::StatusOr<int64_t> DeploymentService::ResolveVersion(const std::string& model, const VersionTarget& target) {
  DeploymentSpec spec;
  spec.model = model;
  spec.alias = target.alias;
  spec.version = target.version;
  registry::ModelVersion v;
  if (!spec.alias.empty()) {
    LEPTON_ASSIGN_OR_RETURN(v, registry_.GetVersionByAlias(spec.model, spec.alias));
  } else {
    LEPTON_ASSIGN_OR_RETURN(v, registry_.GetVersion(spec.model, spec.version));
  }
  if (v.status != registry::VersionStatus::kReady) {
    return absl::FailedPreconditionError(StrCat("model '", spec.model, "' version ", v.version, " is ",
                                                registry::VersionStatusName(v.status), ", not ready"));
  }
  return v.version;
}

absl::StatusOr<std::shared_ptr<const LoadedModel>> DeploymentService::LoadAndWarm(const DeploymentSpec& spec,
                                                                                 int64_t version) {
  const auto start = std::chrono::steady_clock::now();
  LEPTON_ASSIGN_OR_RETURN(train::Model model, registry_.LoadVersion(spec.model, version));
  // Warm: the first predictions touch the model's memory and the pipeline's lookup tables.
  if (model.example_input().is_object()) {
    LEPTON_ASSIGN_OR_RETURN(lake::RecordBatch row, train::RowsFromJson(model.pipeline().input_signature(),
                                                                       Json::array({model.example_input()}),
                                                                       "example_input"));
    for (int i = 0; i < 3; ++i) LEPTON_RETURN_IF_ERROR(model.Predict(row).status());
  }
  auto loaded = std::make_shared<LoadedModel>();
  loaded->model = spec.model;
  loaded->version = version;
  loaded->bundle = std::make_shared<const train::Model>(std::move(model));
  loaded->load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  loaded->loaded_at = FormatTimestamp(clock_.Now());
  return WithBatching(std::move(loaded), spec.batching);
}

std::shared_ptr<const LoadedModel> WithBatching(std::shared_ptr<const LoadedModel> loaded,
                                                const BatchingOptions& batching) {
  const bool has = loaded->batcher != nullptr;
  if (has == batching.enabled() &&
      (!has || (loaded->batcher->options().max_batch_rows == batching.max_batch_rows &&
                loaded->batcher->options().max_queue_delay == batching.max_queue_delay))) {
    return loaded;
  }
  auto out = std::make_shared<LoadedModel>(*loaded);  // the same bundle, another batcher
  out->batcher.reset();
  if (batching.enabled()) {
    out->batcher = std::make_shared<Batcher>(
        batching, [bundle = out->bundle](const lake::RecordBatch& rows) { return bundle->Predict(rows); });
  }
  return out;
}

absl::Status DeploymentService::RecordServed(const std::string& name, int64_t version) {
  return store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                            tx.Query("SELECT seq, version FROM serving_served_versions WHERE name = ? ORDER BY seq DESC LIMIT 1",
                                     {name}));
    if (!rs.rows.empty() && rs.rows[0].Int(1) == version) return absl::OkStatus();
    const int64_t next = rs.rows.empty() ? 1 : rs.rows[0].Int(0) + 1;
    return tx.Exec("INSERT INTO serving_served_versions (name, seq, version, served_at) VALUES (?, ?, ?, ?)",
                   {name, next, version, FormatTimestamp(clock_.Now())})
        .status();
  });
}

absl::Status DeploymentService::Switch(const std::string& name, std::shared_ptr<const LoadedModel> loaded) {
  std::shared_ptr<State> s = Find(name);
  if (s == nullptr) return NotFound(name);
  std::shared_ptr<const LoadedModel> old;
  {
    std::lock_guard<std::mutex> l(s->mu);
    old = std::exchange(s->loaded, loaded);
    s->status.state = "ready";
    s->status.serving_version = loaded->version;
    s->status.target_version = loaded->version;
    s->status.last_error.clear();
    s->status.load_seconds = loaded->load_seconds;
    s->status.loaded_at = loaded->loaded_at;
  }
  if (old == nullptr || old->version != loaded->version || old->model != loaded->model) {
    Log(LogLevel::kInfo, "deployment switched",
        {{"deployment", name}, {"model", loaded->model}, {"version", loaded->version},
         {"previous", old == nullptr ? int64_t{0} : old->version}, {"load_seconds", loaded->load_seconds}});
  }
  // `old` is released here; requests still holding it finish on it (it drains).
  return RecordServed(name, loaded->version);
}

absl::Status DeploymentService::RefreshExtras(State& s, const DeploymentSpec& spec) {
  auto one = [&](const std::optional<VersionTarget>& target, std::shared_ptr<const LoadedModel> State::*slot,
                 int64_t DeploymentStatus::*version_field) -> absl::Status {
    std::shared_ptr<const LoadedModel> current;
    {
      std::lock_guard<std::mutex> l(s.mu);
      current = s.*slot;
    }
    if (!target) {
      std::lock_guard<std::mutex> l(s.mu);
      (s.*slot).reset();
      s.status.*version_field = 0;
      return absl::OkStatus();
    }
    LEPTON_ASSIGN_OR_RETURN(int64_t version, ResolveVersion(spec.model, *target));
    // The canary batches like the primary; the shadow answers copies on its own thread anyway.
    const BatchingOptions batching = slot == &State::canary ? spec.batching : BatchingOptions{};
    if (current != nullptr && current->version == version && current->model == spec.model) {
      std::shared_ptr<const LoadedModel> rebatched = WithBatching(current, batching);
      std::lock_guard<std::mutex> l(s.mu);
      s.*slot = std::move(rebatched);
      return absl::OkStatus();
    }
    DeploymentSpec as = spec;
    as.batching = batching;
    LEPTON_ASSIGN_OR_RETURN(auto loaded, LoadAndWarm(as, version));
    std::lock_guard<std::mutex> l(s.mu);
    s.*slot = std::move(loaded);
    s.status.*version_field = version;
    return absl::OkStatus();
  };
  LEPTON_RETURN_IF_ERROR(one(spec.canary, &State::canary, &DeploymentStatus::canary_version));
  return one(spec.shadow, &State::shadow, &DeploymentStatus::shadow_version);
}

absl::StatusOr<DeploymentService::Routed> DeploymentService::Route(std::string_view name, int64_t version,
                                                                 uint64_t key) const {
  std::shared_ptr<State> s = Find(name);
  if (s == nullptr) return NotFound(name);
  std::lock_guard<std::mutex> l(s->mu);
  if (s->loaded == nullptr) {
    return absl::UnavailableError(StrCat("deployment '", name, "' has no model loaded yet",
                                         s->status.last_error.empty() ? "" : StrCat(": ", s->status.last_error)));
  }
  Routed r;
  r.shadow = s->shadow;
  r.log_sample_rate = s->deployment.spec.log_sample_rate;
  if (version > 0) {
    if (version == s->loaded->version) {
      r.serve = s->loaded;
    } else if (s->canary != nullptr && version == s->canary->version) {
      r.serve = s->canary;
      r.canary = true;
    } else {
      return absl::NotFoundError(StrCat("deployment '", name, "' serves version ", s->loaded->version,
                                        s->canary != nullptr ? StrCat(" (canary ", s->canary->version, ")") : std::string(),
                                        ", not ", version));
    }
    return r;
  }
  // Basis points of the key space: percent 12.5 → keys % 10000 < 1250.
  const double percent = s->deployment.spec.canary_percent;
  if (s->canary != nullptr && static_cast<double>(key % 10000) < percent * 100.0) {
    r.serve = s->canary;
    r.canary = true;
  } else {
    r.serve = s->loaded;
  }
  return r;
}

void DeploymentService::Shadow(std::string_view name, std::shared_ptr<const LoadedModel> shadow, lake::RecordBatch rows,
                               train::Predictions served) {
  std::shared_ptr<State> s = Find(name);
  if (s == nullptr || shadow == nullptr) return;
  {
    std::lock_guard<std::mutex> l(shadow_mu_);
    if (shadow_queue_.size() < kShadowQueue && !shadow_stopping_) {
      shadow_queue_.push_back(new ShadowJob{std::string(name), std::move(shadow), std::move(rows), std::move(served)});
      shadow_cv_.notify_one();
      return;
    }
  }
  std::lock_guard<std::mutex> l(s->mu);
  ++s->status.shadow.dropped;
}

void DeploymentService::ShadowLoop() {
  std::unique_lock<std::mutex> l(shadow_mu_);
  while (true) {
    shadow_cv_.wait(l, [this] { return shadow_stopping_ || !shadow_queue_.empty(); });
    if (shadow_stopping_) return;
    std::unique_ptr<ShadowJob> job(shadow_queue_.front());
    shadow_queue_.erase(shadow_queue_.begin());
    shadow_busy_ = true;
    l.unlock();
    auto p = job->shadow->bundle->Predict(job->rows);
    std::shared_ptr<State> s = Find(job->deployment);
    if (s != nullptr) {
      std::lock_guard<std::mutex> sl(s->mu);
      ShadowStats& st = s->status.shadow;
      if (!p.ok() || p->scores.size() != job->served.scores.size()) {
        ++st.errors;
      } else {
        ++st.compared;
        const size_t rows = p->labels.empty() ? p->scores.size() : p->labels.size();
        const size_t width = rows == 0 ? 1 : p->scores.size() / rows;
        st.rows += static_cast<int64_t>(rows);
        for (size_t r = 0; r < rows; ++r) {
          double diff = 0;
          for (size_t k = 0; k < width; ++k) diff = std::max(diff, std::fabs(p->scores[r * width + k] - job->served.scores[r * width + k]));
          st.sum_abs_score_diff += diff;
          st.max_abs_score_diff = std::max(st.max_abs_score_diff, diff);
          if (!p->labels.empty() && r < job->served.labels.size() && p->labels[r] == job->served.labels[r]) ++st.label_agreements;
        }
      }
    }
    l.lock();
    shadow_busy_ = false;
    if (shadow_queue_.empty()) shadow_idle_cv_.notify_all();
  }
}

void DeploymentService::DrainShadow() {
  std::unique_lock<std::mutex> l(shadow_mu_);
  shadow_idle_cv_.wait(l, [this] { return shadow_stopping_ || (shadow_queue_.empty() && !shadow_busy_); });
}

absl::StatusOr<DeploymentStatus> DeploymentService::Refresh(std::string_view name) {
  std::shared_ptr<State> s = Find(name);
  if (s == nullptr) return NotFound(name);
  std::lock_guard<std::mutex> load_lock(s->load_mu);
  DeploymentSpec spec;
  int64_t serving = 0;
  {
    std::lock_guard<std::mutex> l(s->mu);
    spec = s->deployment.spec;
    serving = s->loaded == nullptr ? 0 : s->loaded->version;
  }
  absl::Status st = [&]() -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(int64_t target, ResolveTarget(spec));
    {
      std::lock_guard<std::mutex> l(s->mu);
      s->status.target_version = target;
    }
    if (target != serving) {
      LEPTON_ASSIGN_OR_RETURN(auto loaded, LoadAndWarm(spec, target));
      LEPTON_RETURN_IF_ERROR(Switch(std::string(name), std::move(loaded)));
    }
    return RefreshExtras(*s, spec);
  }();
  if (!st.ok()) {
    std::lock_guard<std::mutex> l(s->mu);
    s->status.last_error = std::string(st.message());
    s->status.state = s->loaded == nullptr ? "failed" : "degraded";
    Log(LogLevel::kWarning, "deployment refresh failed; the previous version keeps serving",
        {{"deployment", std::string(name)}, {"error", std::string(st.message())}});
  }
  return Status(name);
}

DeploymentStatus DeploymentService::Status(std::string_view name) const {
  std::shared_ptr<State> s = Find(name);
  if (s == nullptr) return DeploymentStatus{.state = "unknown"};
  DeploymentStatus out;
  {
    std::lock_guard<std::mutex> l(s->mu);
    out = s->status;
  }
  std::lock_guard<std::mutex> l(s->admit_mu);
  out.in_flight = s->in_flight;
  out.queued = s->queued;
  out.rejected = s->rejected;
  return out;
}

absl::StatusOr<std::shared_ptr<const LoadedModel>> DeploymentService::Current(std::string_view name,
                                                                             int64_t version) const {
  std::shared_ptr<State> s = Find(name);
  if (s == nullptr) return NotFound(name);
  std::lock_guard<std::mutex> l(s->mu);
  if (s->loaded == nullptr) {
    return absl::UnavailableError(StrCat("deployment '", name, "' has no model loaded yet",
                                         s->status.last_error.empty() ? "" : StrCat(": ", s->status.last_error)));
  }
  if (version > 0 && version != s->loaded->version) {
    if (s->canary != nullptr && version == s->canary->version) return s->canary;
    return absl::NotFoundError(StrCat("deployment '", name, "' serves version ", s->loaded->version, ", not ", version));
  }
  return s->loaded;
}

bool DeploymentService::AllReady() const {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [name, s] : states_) {
    std::lock_guard<std::mutex> sl(s->mu);
    if (s->loaded == nullptr) return false;
  }
  return true;
}

absl::StatusOr<DeploymentService::Ticket> DeploymentService::Admit(std::string_view name) {
  std::shared_ptr<State> s = Find(name);
  if (s == nullptr) return NotFound(name);
  int max_concurrency = 0, max_queue = 0;
  int64_t timeout_ms = 0;
  {
    std::lock_guard<std::mutex> l(s->mu);
    max_concurrency = s->deployment.spec.max_concurrency;
    max_queue = s->deployment.spec.max_queue;
    timeout_ms = s->deployment.spec.queue_timeout_ms;
  }
  std::unique_lock<std::mutex> l(s->admit_mu);
  auto busy = [&] {
    ++s->rejected;
    return absl::UnavailableError(StrCat("deployment '", name, "' is at capacity (", max_concurrency,
                                         " running, ", s->queued, " queued); retry later"));
  };
  if (s->in_flight >= max_concurrency) {
    if (s->queued >= max_queue) return busy();
    ++s->queued;
    const bool got = s->admit_cv.wait_for(l, std::chrono::milliseconds(timeout_ms),
                                          [&] { return s->in_flight < max_concurrency; });
    --s->queued;
    if (!got) return busy();
  }
  ++s->in_flight;
  auto slot = std::make_shared<Ticket::Slot>();
  slot->state = s;
  return Ticket(std::move(slot));
}

namespace {

constexpr char kColumns[] = "name, spec, revision, created_by, created_at, updated_by, updated_at";

absl::StatusOr<Deployment> FromRow(const store::Row& r) {
  Deployment d;
  d.name = r.String(0);
  auto spec = ParseJson(r.String(1));
  if (!spec.ok()) return absl::DataLossError(StrCat("deployment '", d.name, "': stored spec is not JSON"));
  LEPTON_ASSIGN_OR_RETURN(d.spec, DeploymentSpec::FromJson(*spec));
  d.revision = r.Int(2);
  d.created_by = r.String(3);
  d.created_at = r.String(4);
  d.updated_by = r.String(5);
  d.updated_at = r.String(6);
  return d;
}

}  // namespace

absl::StatusOr<Deployment> DeploymentService::Get(std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, store_.Query(StrCat("SELECT ", kColumns, " FROM serving_deployments WHERE name = ?"),
                                                            {std::string(name)}));
  if (rs.rows.empty()) return NotFound(name);
  return FromRow(rs.rows[0]);
}

absl::StatusOr<std::vector<Deployment>> DeploymentService::List() {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, store_.Query(StrCat("SELECT ", kColumns, " FROM serving_deployments ORDER BY name")));
  std::vector<Deployment> out;
  for (const store::Row& r : rs.rows) {
    LEPTON_ASSIGN_OR_RETURN(Deployment d, FromRow(r));
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<Deployment> DeploymentService::Create(std::string_view name, const DeploymentSpec& spec,
                                                     std::string_view user) {
  LEPTON_RETURN_IF_ERROR(ValidateDeploymentName(name));
  if (Find(name) != nullptr) return absl::AlreadyExistsError(StrCat("deployment '", name, "' already exists"));
  LEPTON_ASSIGN_OR_RETURN(int64_t target, ResolveTarget(spec));
  LEPTON_ASSIGN_OR_RETURN(auto loaded, LoadAndWarm(spec, target));
  const std::string now = FormatTimestamp(clock_.Now());
  Deployment d{.name = std::string(name), .spec = spec, .revision = 1, .created_by = std::string(user),
               .created_at = now, .updated_by = std::string(user), .updated_at = now};
  absl::Status st = store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(tx.Exec(StrCat("INSERT INTO serving_deployments (", kColumns, ") VALUES (?, ?, 1, ?, ?, ?, ?)"),
                                   {d.name, spec.ToJson().dump(), d.created_by, now, d.updated_by, now})
                               .status());
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM serving_deployment_history WHERE name = ?", {d.name}).status());
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM serving_served_versions WHERE name = ?", {d.name}).status());
    return tx.Exec("INSERT INTO serving_deployment_history (name, revision, spec, changed_by, changed_at, comment) "
                   "VALUES (?, 1, ?, ?, ?, 'created')",
                   {d.name, spec.ToJson().dump(), d.created_by, now})
        .status();
  });
  if (absl::IsAlreadyExists(st)) return absl::AlreadyExistsError(StrCat("deployment '", name, "' already exists"));
  LEPTON_RETURN_IF_ERROR(st);
  auto state = std::make_shared<State>();
  state->deployment = d;
  {
    std::lock_guard<std::mutex> l(mu_);
    states_[d.name] = state;
  }
  LEPTON_RETURN_IF_ERROR(Switch(d.name, std::move(loaded)));
  if (absl::Status extras = RefreshExtras(*state, spec); !extras.ok()) {
    Delete(d.name).IgnoreError();  // created whole or not at all
    return extras;
  }
  return d;
}

absl::StatusOr<Deployment> DeploymentService::Update(std::string_view name, const DeploymentSpec& spec,
                                                     std::string_view user, std::string_view comment) {
  std::shared_ptr<State> s = Find(name);
  if (s == nullptr) return NotFound(name);
  std::lock_guard<std::mutex> load_lock(s->load_mu);
  LEPTON_ASSIGN_OR_RETURN(int64_t target, ResolveTarget(spec));
  std::shared_ptr<const LoadedModel> current;
  {
    std::lock_guard<std::mutex> l(s->mu);
    current = s->loaded;
  }
  std::shared_ptr<const LoadedModel> next = current;
  if (current == nullptr || current->version != target || current->model != spec.model) {
    LEPTON_ASSIGN_OR_RETURN(next, LoadAndWarm(spec, target));
  } else {
    next = WithBatching(current, spec.batching);  // the same version, maybe batched differently
  }
  // The canary and shadow must resolve too before the spec changes.
  if (spec.canary) LEPTON_RETURN_IF_ERROR(ResolveVersion(spec.model, *spec.canary).status());
  if (spec.shadow) LEPTON_RETURN_IF_ERROR(ResolveVersion(spec.model, *spec.shadow).status());
  const std::string now = FormatTimestamp(clock_.Now());
  Deployment d;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, tx.Query(StrCat("SELECT ", kColumns, " FROM serving_deployments WHERE name = ?"),
                                                          {std::string(name)}));
    if (rs.rows.empty()) return NotFound(name);
    LEPTON_ASSIGN_OR_RETURN(d, FromRow(rs.rows[0]));
    d.spec = spec;
    d.revision += 1;
    d.updated_by = std::string(user);
    d.updated_at = now;
    LEPTON_ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE serving_deployments SET spec = ?, revision = ?, updated_by = ?, "
                                               "updated_at = ? WHERE name = ? AND revision = ?",
                                               {spec.ToJson().dump(), d.revision, d.updated_by, now, d.name, d.revision - 1}));
    if (n != 1) return absl::AbortedError(StrCat("deployment '", name, "' changed concurrently; try again"));
    return tx.Exec("INSERT INTO serving_deployment_history (name, revision, spec, changed_by, changed_at, comment) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {d.name, d.revision, spec.ToJson().dump(), d.updated_by, now, std::string(comment)})
        .status();
  }));
  {
    std::lock_guard<std::mutex> l(s->mu);
    s->deployment = d;
  }
  LEPTON_RETURN_IF_ERROR(Switch(d.name, std::move(next)));
  s->admit_cv.notify_all();  // a larger max_concurrency admits waiting requests at once
  LEPTON_RETURN_IF_ERROR(RefreshExtras(*s, spec));
  return d;
}

absl::Status DeploymentService::Delete(std::string_view name) {
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM serving_deployments WHERE name = ?", {std::string(name)}));
    if (n == 0) return NotFound(name);
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM serving_deployment_history WHERE name = ?", {std::string(name)}).status());
    return tx.Exec("DELETE FROM serving_served_versions WHERE name = ?", {std::string(name)}).status();
  }));
  std::lock_guard<std::mutex> l(mu_);
  states_.erase(std::string(name));  // running requests keep their model until they finish
  return absl::OkStatus();
}

absl::StatusOr<Deployment> DeploymentService::Rollback(std::string_view name, std::string_view user) {
  LEPTON_ASSIGN_OR_RETURN(Deployment d, Get(name));
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          store_.Query("SELECT version FROM serving_served_versions WHERE name = ? ORDER BY seq DESC",
                                       {std::string(name)}));
  if (rs.rows.empty()) return absl::FailedPreconditionError(StrCat("deployment '", name, "' has served nothing yet"));
  const int64_t current = rs.rows[0].Int(0);
  int64_t previous = 0;
  for (const store::Row& r : rs.rows) {
    if (r.Int(0) != current) {
      previous = r.Int(0);
      break;
    }
  }
  if (previous == 0) {
    return absl::FailedPreconditionError(StrCat("deployment '", name, "' has served only version ", current,
                                                "; there is nothing to roll back to"));
  }
  DeploymentSpec spec = d.spec;
  spec.alias.clear();
  spec.version = previous;
  return Update(name, spec, user, StrCat("rollback from version ", current, " to ", previous));
}

absl::Status DeploymentService::Start(absl::Duration refresh_every) {
  LEPTON_ASSIGN_OR_RETURN(std::vector<Deployment> all, List());
  for (const Deployment& d : all) {
    auto state = std::make_shared<State>();
    state->deployment = d;
    {
      std::lock_guard<std::mutex> l(mu_);
      states_[d.name] = state;
    }
    Refresh(d.name).IgnoreError();  // failures are in the status; the server starts anyway
  }
  watcher_ = std::thread([this, refresh_every] { WatchLoop(refresh_every); });
  return absl::OkStatus();
}

void DeploymentService::WatchLoop(absl::Duration every) {
  std::unique_lock<std::mutex> l(watch_mu_);
  while (!watch_cv_.wait_for(l, absl::ToChronoMilliseconds(every), [this] { return stopping_; })) {
    l.unlock();
    std::vector<std::string> names;
    {
      std::lock_guard<std::mutex> ml(mu_);
      for (const auto& [name, s] : states_) names.push_back(name);
    }
    for (const std::string& name : names) Refresh(name).IgnoreError();
    l.lock();
  }
}

}  // namespace lepton::serving
