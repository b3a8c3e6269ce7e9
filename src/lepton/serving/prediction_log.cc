#include "lepton/serving/prediction_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <random>

#include "lepton/base/files.h"
#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::serving {

namespace fs = std::filesystem;

namespace {
constexpr size_t kWakeAt = 256;  // queued entries that wake the writer before its next tick
constexpr auto kTick = std::chrono::milliseconds(50);
}  // namespace

PredictionLog::PredictionLog(std::string root, Clock& clock, PredictionLogOptions options)
    : root_(std::move(root)), clock_(clock), options_(options) {
  writer_ = std::thread([this] { WriterLoop(); });
}

PredictionLog::~PredictionLog() {
  Flush();
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

bool PredictionLog::Sampled(double sample_rate, const std::optional<std::string>& key) {
  if (sample_rate >= 1) return true;
  if (sample_rate <= 0) return false;
  uint64_t h = 0;
  if (key) {
    h = std::hash<std::string>{}(*key);
  } else {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    h = rng();
  }
  return static_cast<double>(h % 1000000) < sample_rate * 1000000.0;
}

void PredictionLog::Record(const Json& entry) { Record(entry.value("deployment", "unknown"), DumpJson(entry)); }

void PredictionLog::Record(std::string deployment, std::string line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (queue_.size() >= options_.max_queue || stopping_) {
      ++stats_.dropped;
      return;
    }
    queue_.push_back({std::move(deployment), std::move(line)});
    wake = queue_.size() == kWakeAt;
  }
  if (wake) cv_.notify_one();
}

void PredictionLog::Flush() {
  std::unique_lock<std::mutex> l(mu_);
  flush_requested_ = true;
  cv_.notify_one();
  idle_cv_.wait(l, [this] { return queue_.empty() && !writing_; });
}

PredictionLogStats PredictionLog::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

std::vector<std::string> PredictionLog::Files(const std::string& deployment) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(root_ + "/" + deployment, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with("predictions-") && name.ends_with(".jsonl")) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());  // names sort by time, then sequence
  return out;
}

std::vector<Json> PredictionLog::Recent(const std::string& deployment, int64_t version, size_t max_entries) const {
  std::vector<Json> out;
  ForEachRecent(deployment, version, max_entries, [&](Json&& e) { out.push_back(std::move(e)); });
  return out;
}

size_t PredictionLog::ForEachRecent(const std::string& deployment, int64_t version, size_t max_entries,
                                    const std::function<void(Json&& entry)>& fn) const {
  size_t taken = 0;
  const std::vector<std::string> files = Files(deployment);
  // Each file is read backwards in blocks, so that taking the newest entries costs memory for
  // them, not for the (up to 64 MiB) file.
  constexpr int64_t kBlock = 1 << 20;
  auto take = [&](std::string_view line) {
    if (line.empty()) return;
    auto j = ParseJson(line);
    if (!j.ok() || !j->is_object()) return;  // a line being written
    if (version > 0 && j->value("version", int64_t{0}) != version) return;
    ++taken;
    fn(*std::move(j));
  };
  for (auto f = files.rbegin(); f != files.rend() && taken < max_entries; ++f) {
    const int fd = ::open(f->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // rotated away meanwhile
    int64_t pos = ::lseek(fd, 0, SEEK_END);
    std::string pending;  // the start of a line whose beginning lies before `pos`
    std::string buf;
    while (pos > 0 && taken < max_entries) {
      const int64_t n = std::min(kBlock, pos);
      pos -= n;
      buf.resize(static_cast<size_t>(n));
      const ssize_t got = ::pread(fd, buf.data(), static_cast<size_t>(n), pos);
      if (got != n) break;
      buf += pending;
      // Lines after the first newline are complete; newest (last) first.
      size_t line_end = buf.size();
      for (size_t nl = buf.rfind('\n', line_end == 0 ? 0 : line_end - 1); nl != std::string::npos && taken < max_entries;
           nl = nl == 0 ? std::string::npos : buf.rfind('\n', nl - 1)) {
        take(std::string_view(buf).substr(nl + 1, line_end - nl - 1));
        line_end = nl;
      }
      pending.assign(buf, 0, line_end);
      if (pos == 0 && taken < max_entries) take(pending);  // the file's first line
    }
    ::close(fd);
  }
  return taken;
}

absl::Status PredictionLog::Rotate(const std::string& deployment, Current& cur) {
  const std::string dir = root_ + "/" + deployment;
  LEPTON_RETURN_IF_ERROR(MakeDirs(dir));
  char stamp[32];
  const absl::CivilSecond t = absl::ToCivilSecond(clock_.Now(), absl::UTCTimeZone());
  std::snprintf(stamp, sizeof stamp, "%04d%02d%02d-%02d%02d%02d", static_cast<int>(t.year()), t.month(), t.day(),
                t.hour(), t.minute(), t.second());
  char seq[16];
  std::snprintf(seq, sizeof seq, "%06lld", static_cast<long long>(++seq_ % 1000000));
  cur.path = StrCat(dir, "/predictions-", stamp, "-", seq, ".jsonl");
  cur.bytes = 0;
  // Retention: keep the newest max_files (the new one included).
  std::vector<std::string> files = Files(deployment);
  const int64_t excess = static_cast<int64_t>(files.size()) + 1 - options_.max_files;
  for (int64_t i = 0; i < excess && i < static_cast<int64_t>(files.size()); ++i) {
    std::error_code ec;
    fs::remove(files[static_cast<size_t>(i)], ec);
  }
  return absl::OkStatus();
}

absl::Status PredictionLog::Append(Current& cur, const std::string& text) {
  const int fd = ::open(cur.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return absl::UnavailableError(StrCat("opening ", cur.path, ": ", std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::UnavailableError(StrCat("writing ", cur.path, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  cur.bytes += static_cast<int64_t>(text.size());
  return absl::OkStatus();
}

absl::Status PredictionLog::Write(const std::string& deployment, const std::vector<const std::string*>& lines) {
  Current& cur = current_[deployment];
  std::string pending;  // lines for the current file, written with one write call
  for (const std::string* line : lines) {
    const int64_t used = cur.bytes + static_cast<int64_t>(pending.size());
    // A new file when this line would pass the limit (a line longer than the limit still goes
    // whole into a file of its own).
    if (cur.path.empty() || (used > 0 && used + static_cast<int64_t>(line->size()) + 1 > options_.max_file_bytes)) {
      if (!pending.empty()) LEPTON_RETURN_IF_ERROR(Append(cur, pending));
      pending.clear();
      LEPTON_RETURN_IF_ERROR(Rotate(deployment, cur));
    }
    pending += *line;
    pending += '\n';
  }
  return pending.empty() ? absl::OkStatus() : Append(cur, pending);
}

void PredictionLog::WriterLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    cv_.wait_for(l, kTick, [this] { return stopping_ || flush_requested_ || queue_.size() >= kWakeAt; });
    flush_requested_ = false;
    if (queue_.empty()) {
      if (stopping_) return;
      idle_cv_.notify_all();
      continue;
    }
    std::deque<Entry> batch;
    batch.swap(queue_);
    writing_ = true;
    l.unlock();
    // One write per deployment and file per batch, in arrival order within each deployment.
    std::map<std::string, std::vector<const std::string*>> lines;
    for (const Entry& e : batch) lines[e.deployment].push_back(&e.line);
    int64_t written = 0, errors = 0;
    for (const auto& [deployment, these] : lines) {
      absl::Status s = Write(deployment, these);
      if (s.ok()) {
        written += static_cast<int64_t>(these.size());
      } else {
        if (errors == 0) Log(LogLevel::kWarning, "prediction log write failed", {{"error", std::string(s.message())}});
        errors += static_cast<int64_t>(these.size());
      }
    }
    l.lock();
    stats_.written += written;
    stats_.errors += errors;
    writing_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace lepton::serving
