#include "lepton/jobs/job_runner.h"

#include <chrono>

#include "lepton/base/ids.h"
#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::jobs {
namespace {

constexpr char kColumns[] =
    "id, kind, resource, state, params, progress, result, error, created_by, created_at, "
    "started_at, finished_at";

absl::StatusOr<JobState> StateFromName(std::string_view n) {
  if (n == "queued") return JobState::kQueued;
  if (n == "running") return JobState::kRunning;
  if (n == "succeeded") return JobState::kSucceeded;
  if (n == "failed") return JobState::kFailed;
  if (n == "cancelled") return JobState::kCancelled;
  return absl::DataLossError(StrCat("unknown job state '", n, "'"));
}

Json ParseOr(const std::string& text, Json fallback) {
  if (text.empty()) return fallback;
  auto j = ParseJson(text);
  return j.ok() ? *j : fallback;
}

absl::StatusOr<Job> JobFromRow(const store::Row& r) {
  Job j;
  j.id = r.String(0);
  j.kind = r.String(1);
  j.resource = r.String(2);
  LEPTON_ASSIGN_OR_RETURN(j.state, StateFromName(r.String(3)));
  j.params = ParseOr(r.String(4), Json::object());
  j.progress = ParseOr(r.String(5), Json::object());
  j.result = ParseOr(r.String(6), Json());
  j.error = r.String(7);
  j.created_by = r.String(8);
  j.created_at = r.String(9);
  j.started_at = r.String(10);
  j.finished_at = r.String(11);
  return j;
}

bool Finished(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

}  // namespace

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
  }
  return "unknown";
}

Json JobToJson(const Job& j) {
  return {{"id", j.id},
          {"kind", j.kind},
          {"resource", j.resource},
          {"state", std::string(JobStateName(j.state))},
          {"params", j.params},
          {"progress", j.progress},
          {"result", j.result},
          {"error", j.error.empty() ? Json(nullptr) : Json(j.error)},
          {"created_by", j.created_by},
          {"created_at", j.created_at},
          {"started_at", j.started_at.empty() ? Json(nullptr) : Json(j.started_at)},
          {"finished_at", j.finished_at.empty() ? Json(nullptr) : Json(j.finished_at)}};
}

class JobRunner::Context : public JobContext {
 public:
  Context(JobRunner& runner, std::string id) : runner_(runner), id_(std::move(id)) {}
  void SetProgress(const Json& progress) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    runner_.store_
        .Exec("UPDATE jobs SET progress = ? WHERE id = ? AND state = 'running'",
              {DumpJson(progress), id_})
        .IgnoreError();  // progress is advisory; the final state is written by Finish
  }
  bool cancelled() const override {
    std::lock_guard<std::mutex> lock(runner_.mu_);
    auto it = runner_.cancel_.find(id_);
    return it != runner_.cancel_.end() && it->second;
  }

 private:
  JobRunner& runner_;
  std::string id_;
  std::chrono::steady_clock::time_point last_{};
};

JobRunner::JobRunner(store::MetaStore& store, Clock& clock, int workers)
    : store_(store), clock_(clock), workers_count_(std::max(1, workers)) {}

JobRunner::~JobRunner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

absl::Status JobRunner::Start() {
  const std::string now = FormatTimestamp(clock_.Now());
  LEPTON_ASSIGN_OR_RETURN(
      int64_t n, store_.Exec("UPDATE jobs SET state = 'failed', finished_at = ?, error = "
                             "'interrupted: the server stopped before the job finished' "
                             "WHERE state IN ('queued', 'running')",
                             {now}));
  if (n > 0) Log(LogLevel::kWarning, "jobs interrupted by a restart marked failed", {{"jobs", n}});
  for (int i = 0; i < workers_count_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  return absl::OkStatus();
}

absl::StatusOr<Job> JobRunner::Submit(std::string kind, std::string resource, Json params,
                                      std::string created_by, JobFn fn) {
  Job j;
  j.id = NewId();
  j.kind = std::move(kind);
  j.resource = std::move(resource);
  j.params = std::move(params);
  j.created_by = std::move(created_by);
  j.created_at = FormatTimestamp(clock_.Now());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::UnavailableError("the server is shutting down");
  }
  LEPTON_RETURN_IF_ERROR(store_.Exec(
      StrCat("INSERT INTO jobs (", kColumns, ") VALUES (?, ?, ?, 'queued', ?, '{}', '', '', ?, ?, '', '')"),
      {j.id, j.kind, j.resource, DumpJson(j.params), j.created_by, j.created_at}));
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({j.id, std::move(fn)});
    cancel_[j.id] = false;
  }
  cv_.notify_one();
  return j;
}

absl::StatusOr<Job> JobRunner::Get(std::string_view id) {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          store_.Query(StrCat("SELECT ", kColumns, " FROM jobs WHERE id = ?"),
                                       {std::string(id)}));
  if (rs.rows.empty()) return absl::NotFoundError(StrCat("job '", id, "' not found"));
  return JobFromRow(rs.rows[0]);
}

absl::StatusOr<std::vector<Job>> JobRunner::List(std::string_view kind, int64_t limit) {
  std::string sql = StrCat("SELECT ", kColumns, " FROM jobs");
  std::vector<store::Value> params;
  if (!kind.empty()) {
    sql += " WHERE kind = ?";
    params.emplace_back(std::string(kind));
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?";
  params.emplace_back(limit);
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, store_.Query(sql, params));
  std::vector<Job> out;
  for (const store::Row& r : rs.rows) {
    LEPTON_ASSIGN_OR_RETURN(Job j, JobFromRow(r));
    out.push_back(std::move(j));
  }
  return out;
}

absl::StatusOr<Job> JobRunner::Cancel(std::string_view id) {
  LEPTON_ASSIGN_OR_RETURN(Job j, Get(id));
  if (Finished(j.state)) {
    return absl::FailedPreconditionError(
        StrCat("job '", id, "' has already ", JobStateName(j.state)));
  }
  bool was_queued = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancel_[std::string(id)] = true;
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->id == id) {
        queue_.erase(it);
        was_queued = true;
        break;
      }
    }
  }
  if (was_queued) LEPTON_RETURN_IF_ERROR(Finish(std::string(id), JobState::kCancelled, Json(), "cancelled"));
  return Get(id);
}

absl::StatusOr<Job> JobRunner::Wait(std::string_view id, absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (true) {
    LEPTON_ASSIGN_OR_RETURN(Job j, Get(id));
    if (Finished(j.state)) return j;
    if (absl::Now() >= until) return absl::DeadlineExceededError(StrCat("job '", id, "' still ", JobStateName(j.state)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::Status JobRunner::Finish(const std::string& id, JobState state, const Json& result,
                               const std::string& error) {
  return store_
      .Exec("UPDATE jobs SET state = ?, result = ?, error = ?, finished_at = ? WHERE id = ?",
            {std::string(JobStateName(state)), result.is_null() ? std::string() : DumpJson(result),
             error, FormatTimestamp(clock_.Now()), id})
      .status();
}

void JobRunner::WorkerLoop() {
  while (true) {
    Pending p;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_ && queue_.empty()) return;
      if (stopping_) return;  // queued jobs stay queued; the next Start marks them interrupted
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    store_
        .Exec("UPDATE jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'",
              {FormatTimestamp(clock_.Now()), p.id})
        .IgnoreError();
    Context ctx(*this, p.id);
    absl::StatusOr<Json> result;
    try {
      result = p.fn(ctx);
    } catch (const std::exception& e) {
      result = absl::InternalError(StrCat("job threw: ", e.what()));
    }
    const bool cancelled = ctx.cancelled();
    absl::Status s;
    if (cancelled && !result.ok()) s = Finish(p.id, JobState::kCancelled, Json(), "cancelled");
    else if (result.ok()) s = Finish(p.id, JobState::kSucceeded, *result, "");
    else s = Finish(p.id, JobState::kFailed, Json(), std::string(ToStd(result.status().message())));
    if (!s.ok()) Log(LogLevel::kError, "recording job result failed", {{"job", p.id}, {"status", s.ToString()}});
    std::lock_guard<std::mutex> lock(mu_);
    cancel_.erase(p.id);
  }
}

}  // namespace lepton::jobs
