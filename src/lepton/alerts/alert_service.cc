#include "lepton/alerts/alert_service.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::alerts {
namespace {

// What Alertmanager sends as the end of an alert that has not ended.
constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";

std::string TimeText(absl::Time t) { return t == absl::InfinitePast() ? "" : FormatTimestamp(t); }
absl::Time ParseTimeOr(const std::string& text, absl::Time fallback) {
  absl::Time t;
  return !text.empty() && ParseTimestamp(text, &t) ? t : fallback;
}

AlertState ParseState(std::string_view s) {
  if (s == "pending") return AlertState::kPending;
  if (s == "firing") return AlertState::kFiring;
  return AlertState::kInactive;
}

// FNV-1a over the sorted labels, as 16 hex digits: a stable identity of the alert for receivers
// that deduplicate (Alertmanager's fingerprint plays the same role).
std::string Fingerprint(const std::map<std::string, std::string>& labels) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  for (const auto& [k, v] : labels) {
    mix(k);
    mix(v);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string FormatValue(std::optional<double> v) { return v ? FormatNumber(*v) : ""; }

// Expands `{{ $value }}` and `{{ $labels.NAME }}` (spaces inside the braces optional); anything
// else between braces is left as written.
std::string Expand(std::string_view text, std::optional<double> value,
                   const std::map<std::string, std::string>& labels) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find("{{", i);
    if (open == std::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(i, open - i));
    std::string_view inner = StripWhitespace(text.substr(open + 2, close - open - 2));
    if (inner == "$value") {
      out.append(FormatValue(value));
    } else if (inner.starts_with("$labels.")) {
      auto it = labels.find(std::string(inner.substr(8)));
      if (it != labels.end()) out.append(it->second);
    } else {
      out.append(text.substr(open, close + 2 - open));
    }
    i = close + 2;
  }
  out.append(text.substr(i));
  return out;
}

// Inserts `e` as the rule's next event; OK without inserting when the rule no longer exists.
absl::Status InsertEvent(store::SqlSession& tx, const std::string& rule, const AlertEvent& e) {
  LEPTON_ASSIGN_OR_RETURN(int64_t changed,
                          tx.Exec("UPDATE alert_rules SET next_event_seq = next_event_seq + 1 WHERE name = ?", {rule}));
  if (changed == 0) return absl::OkStatus();
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, tx.Query("SELECT next_event_seq FROM alert_rules WHERE name = ?", {rule}));
  if (rs.rows.empty()) return absl::OkStatus();
  const int64_t seq = rs.rows[0].Int(0);
  auto opt_int = [](std::optional<int64_t> v) -> store::Value { return v ? store::Value(*v) : store::Null(); };
  return tx
      .Exec("INSERT INTO alert_events (rule, seq, at, kind, state, previous_state, value, ok, http_status, attempts, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {rule, seq, e.at, e.kind, e.state, e.previous_state, e.value ? store::Value(*e.value) : store::Null(),
             e.ok ? store::Value(int64_t{*e.ok ? 1 : 0}) : store::Null(), opt_int(e.http_status), opt_int(e.attempts),
             e.detail})
      .status();
}

}  // namespace

DriftSource DriftHistorySource(serving::DriftMonitor& monitor) {
  return [&monitor](const std::string& deployment) -> absl::StatusOr<std::optional<Json>> {
    LEPTON_ASSIGN_OR_RETURN(std::vector<Json> history, monitor.History(deployment, 1));
    if (history.empty()) return std::optional<Json>();
    return std::optional<Json>(std::move(history[0]));
  };
}

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
  }
  return "inactive";
}

Json NotificationOutcome::ToJson() const {
  Json j = {{"status", status}, {"at", at}, {"ok", ok}, {"attempts", attempts}};
  j["http_status"] = http_status == 0 ? Json(nullptr) : Json(http_status);
  j["error"] = error;
  return j;
}

Json AlertStatus::ToJson() const {
  Json j = RuleToJson(rule);
  j["expression"] = RuleExpression(rule);
  j["created_by"] = created_by;
  j["created_at"] = created_at;
  j["updated_by"] = updated_by;
  j["updated_at"] = updated_at;
  Json s = {{"state", std::string(AlertStateName(state))},
            {"since", since},
            {"active_at", active_at},
            {"health", health},
            {"error", error},
            {"last_evaluation", last_evaluation}};
  s["value"] = last_value ? Json(*last_value) : Json(nullptr);
  s["last_notification"] = last_notification ? last_notification->ToJson() : Json(nullptr);
  j["status"] = std::move(s);
  return j;
}

Json AlertEvent::ToJson() const {
  Json j = {{"seq", seq}, {"at", at}, {"kind", kind}, {"state", state}};
  if (kind == "transition") {
    j["previous_state"] = previous_state;
    j["value"] = value ? Json(*value) : Json(nullptr);
  } else {
    j["ok"] = ok.value_or(false);
    j["http_status"] = http_status ? Json(*http_status) : Json(nullptr);
    j["attempts"] = attempts.value_or(0);
    j["error"] = detail;
  }
  return j;
}

// One rule and its evaluation state.
struct AlertService::Runtime {
  AlertRule rule;
  std::string created_by, created_at, updated_by, updated_at;
  AlertState state = AlertState::kInactive;
  absl::Time since = absl::InfinitePast();
  absl::Time active_at = absl::InfinitePast();
  std::string health = "unknown";
  std::string error;
  std::optional<double> last_value;
  std::string last_evaluation;
  std::optional<NotificationOutcome> last_notification;
  // rate/increase: (time, summed value) of earlier ticks inside the window, oldest first.
  std::deque<std::pair<absl::Time, double>> samples;
  // Bumped by every update, so that an evaluation that read the old rule is discarded.
  uint64_t generation = 0;
};

// A state change to persist, and the notification it calls for.
struct AlertService::Transition {
  std::string rule;
  AlertState from = AlertState::kInactive;
  AlertState to = AlertState::kInactive;
  std::string at;
  std::string active_at;
  std::optional<double> value;
  std::optional<Notification> notify;
};

absl::StatusOr<std::unique_ptr<AlertService>> AlertService::Create(store::MetaStore& store, Clock& clock,
                                                                   const monitor::MetricsRegistry* metrics,
                                                                   DriftSource drift, WebhookSender sender,
                                                                   AlertServiceOptions options) {
  if (!sender) return absl::InvalidArgumentError("alerts: no webhook sender");
  options.max_attempts = std::max(options.max_attempts, 1);
  options.queue_capacity = std::max<size_t>(options.queue_capacity, 1);
  std::unique_ptr<AlertService> service(
      new AlertService(store, clock, metrics, std::move(drift), std::move(sender), std::move(options)));
  LEPTON_RETURN_IF_ERROR(service->Load());
  return service;
}

AlertService::AlertService(store::MetaStore& store, Clock& clock, const monitor::MetricsRegistry* metrics,
                           DriftSource drift, WebhookSender sender, AlertServiceOptions options)
    : store_(store),
      clock_(clock),
      metrics_(metrics),
      drift_(std::move(drift)),
      sender_(std::move(sender)),
      options_(std::move(options)) {
  sender_thread_ = std::thread([this] { SenderLoop(); });
}

AlertService::~AlertService() {
  Stop();
  {
    std::lock_guard<std::mutex> l(queue_mu_);
    sender_stopping_ = true;
  }
  queue_cv_.notify_all();
  if (sender_thread_.joinable()) sender_thread_.join();
}

absl::Status AlertService::Load() {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT name, spec, created_by, created_at, updated_by, updated_at, state, state_since, active_at "
                   "FROM alert_rules ORDER BY name"));
  std::lock_guard<std::mutex> l(mu_);
  for (const store::Row& r : rs.rows) {
    const std::string name = r.String(0);
    auto spec = ParseJson(r.String(1));
    absl::StatusOr<AlertRule> rule = spec.ok() ? ParseRule(*spec, "alert_rules.spec", name) : spec.status();
    if (!rule.ok()) {
      // A row this binary cannot read (written by a newer one): keep serving the others.
      Log(LogLevel::kWarning, "skipping unreadable alert rule", {{"rule", name}, {"error", rule.status().ToString()}});
      continue;
    }
    auto rt = std::make_unique<Runtime>();
    rt->rule = *std::move(rule);
    rt->created_by = r.String(2);
    rt->created_at = r.String(3);
    rt->updated_by = r.String(4);
    rt->updated_at = r.String(5);
    rt->state = ParseState(r.String(6));
    rt->since = ParseTimeOr(r.String(7), absl::InfinitePast());
    rt->active_at = ParseTimeOr(r.String(8), absl::InfinitePast());
    if (!rt->rule.enabled) rt->health = "disabled";
    rules_[name] = std::move(rt);
  }
  return absl::OkStatus();
}

AlertStatus AlertService::StatusOf(const Runtime& rt) const {
  AlertStatus s;
  s.rule = rt.rule;
  s.created_by = rt.created_by;
  s.created_at = rt.created_at;
  s.updated_by = rt.updated_by;
  s.updated_at = rt.updated_at;
  s.state = rt.state;
  s.since = TimeText(rt.since);
  s.active_at = rt.state == AlertState::kInactive ? "" : TimeText(rt.active_at);
  s.health = rt.health;
  s.error = rt.error;
  s.last_value = rt.last_value;
  s.last_evaluation = rt.last_evaluation;
  s.last_notification = rt.last_notification;
  return s;
}

absl::StatusOr<AlertStatus> AlertService::CreateRule(const AlertRule& rule, const std::string& actor) {
  LEPTON_RETURN_IF_ERROR(ValidateRuleName(rule.name));
  LEPTON_RETURN_IF_ERROR(ParseRule(RuleToJson(rule)).status());
  const std::string now = FormatTimestamp(clock_.Now());
  absl::StatusOr<int64_t> inserted = store_.Exec(
      "INSERT INTO alert_rules (name, spec, created_by, created_at, updated_by, updated_at, state, state_since, "
      "active_at, next_event_seq) VALUES (?, ?, ?, ?, ?, ?, 'inactive', '', '', 0)",
      {rule.name, DumpJson(RuleToJson(rule)), actor, now, actor, now});
  if (!inserted.ok()) {
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(StrCat("alert rule '", rule.name, "' already exists"));
    }
    return inserted.status();
  }
  auto rt = std::make_unique<Runtime>();
  rt->rule = rule;
  rt->created_by = rt->updated_by = actor;
  rt->created_at = rt->updated_at = now;
  if (!rule.enabled) rt->health = "disabled";
  std::lock_guard<std::mutex> l(mu_);
  AlertStatus out = StatusOf(*rt);
  rules_[rule.name] = std::move(rt);
  return out;
}

absl::StatusOr<AlertStatus> AlertService::UpdateRule(const AlertRule& rule, const std::string& actor) {
  LEPTON_RETURN_IF_ERROR(ParseRule(RuleToJson(rule)).status());
  const absl::Time now_time = clock_.Now();
  const std::string now = FormatTimestamp(now_time);
  LEPTON_ASSIGN_OR_RETURN(int64_t changed,
                          store_.Exec("UPDATE alert_rules SET spec = ?, updated_by = ?, updated_at = ? WHERE name = ?",
                                      {DumpJson(RuleToJson(rule)), actor, now, rule.name}));
  if (changed == 0) return absl::NotFoundError(StrCat("alert rule '", rule.name, "' not found"));
  std::optional<Transition> t;
  AlertStatus out;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = rules_.find(rule.name);
    if (it == rules_.end()) return absl::NotFoundError(StrCat("alert rule '", rule.name, "' not found"));
    Runtime& rt = *it->second;
    const AlertRule& old = rt.rule;
    const bool same_reading = old.kind == rule.kind && old.metric == rule.metric && old.matchers == rule.matchers &&
                              old.function == rule.function && old.window_seconds == rule.window_seconds &&
                              old.deployment == rule.deployment && old.column == rule.column &&
                              old.statistic == rule.statistic;
    if (!same_reading) rt.samples.clear();
    rt.rule = rule;
    rt.updated_by = actor;
    rt.updated_at = now;
    ++rt.generation;
    if (!rule.enabled) {
      if (rt.state != AlertState::kInactive) t = Move(rt, AlertState::kInactive, now_time);
      rt.health = "disabled";
      rt.error.clear();
    } else if (rt.health == "disabled") {
      rt.health = "unknown";
    }
    out = StatusOf(rt);
  }
  if (t) Apply(*t);
  return out;
}

absl::Status AlertService::DeleteRule(const std::string& name) {
  int64_t deleted = 0;
  LEPTON_RETURN_IF_ERROR(store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(tx.Exec("DELETE FROM alert_events WHERE rule = ?", {name}).status());
    LEPTON_ASSIGN_OR_RETURN(deleted, tx.Exec("DELETE FROM alert_rules WHERE name = ?", {name}));
    return absl::OkStatus();
  }));
  if (deleted == 0) return absl::NotFoundError(StrCat("alert rule '", name, "' not found"));
  std::optional<Notification> resolved;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = rules_.find(name);
    if (it == rules_.end()) return absl::OkStatus();
    if (it->second->state == AlertState::kFiring) {
      Transition t = Move(*it->second, AlertState::kInactive, clock_.Now());
      resolved = std::move(t.notify);
    }
    rules_.erase(it);
  }
  if (resolved) Enqueue(*std::move(resolved));
  return absl::OkStatus();
}

absl::StatusOr<AlertStatus> AlertService::GetRule(const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = rules_.find(name);
  if (it == rules_.end()) return absl::NotFoundError(StrCat("alert rule '", name, "' not found"));
  return StatusOf(*it->second);
}

std::vector<AlertStatus> AlertService::List() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<AlertStatus> out;
  out.reserve(rules_.size());
  for (const auto& [name, rt] : rules_) out.push_back(StatusOf(*rt));
  return out;
}

absl::StatusOr<std::vector<AlertEvent>> AlertService::Events(const std::string& name, int64_t limit) const {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!rules_.contains(name)) return absl::NotFoundError(StrCat("alert rule '", name, "' not found"));
  }
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          store_.Query("SELECT seq, at, kind, state, previous_state, value, ok, http_status, attempts, "
                                       "detail FROM alert_events WHERE rule = ? ORDER BY seq DESC LIMIT ?",
                                       {name, std::clamp<int64_t>(limit, 1, 1000)}));
  std::vector<AlertEvent> out;
  for (const store::Row& r : rs.rows) {
    AlertEvent e;
    e.seq = r.Int(0);
    e.at = r.String(1);
    e.kind = r.String(2);
    e.state = r.String(3);
    e.previous_state = r.String(4);
    if (!r.IsNull(5)) e.value = r.Double(5);
    if (auto ok = r.OptionalInt(6)) e.ok = *ok != 0;
    e.http_status = r.OptionalInt(7);
    e.attempts = r.OptionalInt(8);
    e.detail = r.String(9);
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<double> AlertService::Read(const AlertRule& rule) const {
  if (rule.kind == RuleKind::kMetric) {
    if (metrics_ == nullptr) return absl::FailedPreconditionError("no metrics registry to read");
    return metrics_->Sum(rule.metric, rule.matchers);
  }
  if (!drift_) return absl::FailedPreconditionError("no drift history to read");
  LEPTON_ASSIGN_OR_RETURN(std::optional<Json> check, drift_(rule.deployment));
  if (!check) return absl::NotFoundError(StrCat("no drift check of deployment '", rule.deployment, "' recorded yet"));
  const Json* node = nullptr;
  if (rule.column == "score") {
    if (check->contains("score") && (*check)["score"].is_object()) node = &(*check)["score"];
  } else if (check->contains("columns") && (*check)["columns"].is_object() &&
             (*check)["columns"].contains(rule.column)) {
    node = &(*check)["columns"][rule.column];
  }
  if (node == nullptr) {
    return absl::NotFoundError(StrCat("the newest drift check of '", rule.deployment, "' has no ",
                                      rule.column == "score" ? "score drift" : StrCat("column '", rule.column, "'")));
  }
  const char* key = rule.statistic == DriftStatistic::kPsi ? "psi" : "ks_statistic";
  if (!node->contains(key) || !(*node)[key].is_number()) {
    return absl::NotFoundError(StrCat("the newest drift check of '", rule.deployment, "' has no ", key, " for ",
                                      rule.column));
  }
  return (*node)[key].get<double>();
}

std::string AlertService::Payload(const Runtime& rt, std::string_view status, absl::Time now) const {
  std::map<std::string, std::string> labels = rt.rule.labels;
  labels["alertname"] = rt.rule.name;
  std::map<std::string, std::string> annotations;
  for (const auto& [k, v] : rt.rule.annotations) annotations[k] = Expand(v, rt.last_value, labels);
  if (!rt.rule.description.empty() && !annotations.contains("description")) {
    annotations["description"] = Expand(rt.rule.description, rt.last_value, labels);
  }
  const bool resolved = status == "resolved";
  // Firing: it started now. Resolved: it started when it began firing and ends now.
  const std::string starts_at = FormatTimestamp(resolved ? rt.since : now);
  const std::string ends_at = resolved ? FormatTimestamp(now) : kZeroTime;
  Json alert = {{"status", status},
                {"labels", labels},
                {"annotations", annotations},
                {"startsAt", starts_at},
                {"endsAt", ends_at},
                {"generatorURL", StrCat(options_.external_url, "/api/v1/alerts/rules/", rt.rule.name)},
                {"fingerprint", Fingerprint(labels)}};
  alert["value"] = rt.last_value ? Json(*rt.last_value) : Json(nullptr);
  Json body = {{"version", "4"},
               {"groupKey", StrCat("{}:{alertname=", Json(rt.rule.name).dump(), "}")},
               {"truncatedAlerts", 0},
               {"status", status},
               {"receiver", options_.receiver},
               {"groupLabels", {{"alertname", rt.rule.name}}},
               {"commonLabels", labels},
               {"commonAnnotations", annotations},
               {"externalURL", options_.external_url},
               {"alerts", Json::array({std::move(alert)})}};
  return DumpJson(body);
}

AlertService::Transition AlertService::Move(Runtime& rt, AlertState to, absl::Time now) {
  Transition t;
  t.rule = rt.rule.name;
  t.from = rt.state;
  t.to = to;
  t.at = FormatTimestamp(now);
  t.value = rt.last_value;
  if (to == AlertState::kFiring) {
    t.notify = Notification{rt.rule.name, rt.rule.webhook_url, "firing", Payload(rt, "firing", now)};
  } else if (rt.state == AlertState::kFiring && to == AlertState::kInactive) {
    t.notify = Notification{rt.rule.name, rt.rule.webhook_url, "resolved", Payload(rt, "resolved", now)};
  }
  if (to == AlertState::kPending || (to == AlertState::kFiring && rt.state == AlertState::kInactive)) {
    rt.active_at = now;
  }
  if (to == AlertState::kInactive) rt.active_at = absl::InfinitePast();
  rt.state = to;
  rt.since = now;
  t.active_at = TimeText(rt.active_at);
  return t;
}

void AlertService::Apply(const Transition& t) {
  const AlertEvent e{.at = t.at,
                     .kind = "transition",
                     .state = std::string(AlertStateName(t.to)),
                     .previous_state = std::string(AlertStateName(t.from)),
                     .value = t.value};
  absl::Status s = store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(tx.Exec("UPDATE alert_rules SET state = ?, state_since = ?, active_at = ? WHERE name = ?",
                                   {e.state, t.at, t.active_at, t.rule})
                               .status());
    return InsertEvent(tx, t.rule, e);
  });
  if (!s.ok()) {
    Log(LogLevel::kWarning, "recording an alert transition failed",
        {{"rule", t.rule}, {"state", e.state}, {"error", s.ToString()}});
  }
  Log(t.to == AlertState::kFiring ? LogLevel::kWarning : LogLevel::kInfo, "alert state changed",
      {{"rule", t.rule}, {"from", e.previous_state}, {"to", e.state}, {"value", FormatValue(t.value)}});
  if (t.notify) Enqueue(*t.notify);
}

void AlertService::EvaluateOnce() {
  std::lock_guard<std::mutex> serial(eval_mu_);
  const absl::Time now = clock_.Now();
  struct Snapshot {
    AlertRule rule;
    uint64_t generation;
  };
  std::vector<Snapshot> todo;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, rt] : rules_) {
      if (rt->rule.enabled) todo.push_back({rt->rule, rt->generation});
    }
  }
  std::vector<Transition> transitions;
  for (const Snapshot& snap : todo) {
    // Read outside the lock: callback metrics and the drift history query the store.
    const absl::StatusOr<double> raw = Read(snap.rule);
    std::lock_guard<std::mutex> l(mu_);
    auto it = rules_.find(snap.rule.name);
    if (it == rules_.end() || it->second->generation != snap.generation) continue;  // changed meanwhile
    Runtime& rt = *it->second;
    const AlertRule& rule = rt.rule;
    rt.last_evaluation = FormatTimestamp(now);
    std::optional<double> value;
    rt.health = "ok";
    rt.error.clear();
    if (rule.kind == RuleKind::kMetric && rule.function != MetricFunction::kValue) {
      if (raw.ok()) rt.samples.emplace_back(now, *raw);
      while (!rt.samples.empty() && rt.samples.front().first < now - absl::Seconds(rule.window_seconds)) {
        rt.samples.pop_front();
      }
      if (rt.samples.size() >= 2 && rt.samples.back().first > rt.samples.front().first) {
        // PromQL's counter semantics: a drop is a reset, after which the counter restarted at 0.
        double increase = 0;
        for (size_t i = 1; i < rt.samples.size(); ++i) {
          const double d = rt.samples[i].second - rt.samples[i - 1].second;
          increase += d >= 0 ? d : rt.samples[i].second;
        }
        const double seconds = absl::ToDoubleSeconds(rt.samples.back().first - rt.samples.front().first);
        value = rule.function == MetricFunction::kIncrease ? increase : increase / seconds;
      } else if (raw.ok()) {
        rt.health = "no_data";
        rt.error = "fewer than two samples in the window yet";
      }
    } else if (raw.ok()) {
      value = *raw;
    }
    if (!raw.ok()) {
      rt.health = raw.status().code() == absl::StatusCode::kNotFound ? "no_data" : "error";
      rt.error = std::string(raw.status().message());
    }
    rt.last_value = value;
    const bool holds = value.has_value() && Compare(rule.op, *value, rule.threshold);
    if (holds) {
      if (rt.state == AlertState::kInactive) transitions.push_back(Move(rt, AlertState::kPending, now));
      if (rt.state == AlertState::kPending && now - rt.active_at >= absl::Seconds(rule.for_seconds)) {
        transitions.push_back(Move(rt, AlertState::kFiring, now));
      }
    } else if (rt.state != AlertState::kInactive) {
      transitions.push_back(Move(rt, AlertState::kInactive, now));
    }
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    ++stats_.evaluations;
  }
  for (const Transition& t : transitions) Apply(t);
}

void AlertService::Enqueue(Notification n) {
  {
    std::lock_guard<std::mutex> l(queue_mu_);
    if (queue_.size() < options_.queue_capacity) {
      queue_.push_back(std::move(n));
      queue_cv_.notify_all();
      return;
    }
  }
  NotificationOutcome dropped{.status = n.status,
                              .at = FormatTimestamp(clock_.Now()),
                              .ok = false,
                              .attempts = 0,
                              .error = StrCat("dropped: the notification queue is full (", options_.queue_capacity,
                                              " waiting)")};
  RecordOutcome(n, dropped);
}

void AlertService::RecordOutcome(const Notification& n, const NotificationOutcome& outcome) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (outcome.ok) {
      ++stats_.delivered;
    } else if (outcome.attempts == 0) {
      ++stats_.dropped;
    } else {
      ++stats_.failed;
    }
    if (auto it = rules_.find(n.rule); it != rules_.end()) it->second->last_notification = outcome;
  }
  if (!outcome.ok) {
    Log(LogLevel::kWarning, "alert notification failed",
        {{"rule", n.rule}, {"status", n.status}, {"attempts", outcome.attempts}, {"error", outcome.error}});
  }
  const AlertEvent e{.at = outcome.at,
                     .kind = "notification",
                     .state = outcome.status,
                     .ok = outcome.ok,
                     .http_status = outcome.http_status == 0 ? std::nullopt : std::optional<int64_t>(outcome.http_status),
                     .attempts = outcome.attempts,
                     .detail = outcome.error};
  absl::Status s = store_.Transaction([&](store::SqlSession& tx) { return InsertEvent(tx, n.rule, e); });
  if (!s.ok()) Log(LogLevel::kWarning, "recording an alert notification failed", {{"rule", n.rule}, {"error", s.ToString()}});
}

void AlertService::SenderLoop() {
  std::unique_lock<std::mutex> l(queue_mu_);
  while (true) {
    queue_cv_.wait(l, [this] { return sender_stopping_ || !queue_.empty(); });
    if (sender_stopping_) break;
    Notification n = std::move(queue_.front());
    queue_.pop_front();
    sending_ = true;
    l.unlock();

    NotificationOutcome outcome{.status = n.status};
    absl::Duration backoff = options_.retry_backoff;
    for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
      outcome.attempts = attempt;
      const absl::StatusOr<int> answer = sender_(n.url, n.body);
      bool retry = true;
      if (answer.ok()) {
        outcome.http_status = *answer;
        outcome.ok = *answer >= 200 && *answer < 300;
        outcome.error = outcome.ok ? "" : StrCat("HTTP ", *answer);
        retry = !outcome.ok && (*answer >= 500 || *answer == 429);
      } else {
        outcome.http_status = 0;
        outcome.ok = false;
        outcome.error = std::string(answer.status().message());
      }
      if (outcome.ok || !retry || attempt == options_.max_attempts) break;
      std::unique_lock<std::mutex> wait(queue_mu_);
      if (queue_cv_.wait_for(wait, absl::ToChronoNanoseconds(backoff), [this] { return sender_stopping_; })) break;
      backoff *= 2;
    }
    outcome.at = FormatTimestamp(clock_.Now());
    RecordOutcome(n, outcome);

    l.lock();
    sending_ = false;
    queue_cv_.notify_all();
  }
  if (!queue_.empty()) {
    Log(LogLevel::kWarning, "alert notifications dropped at shutdown", {{"count", static_cast<int64_t>(queue_.size())}});
  }
}

void AlertService::WaitForNotifications() {
  std::unique_lock<std::mutex> l(queue_mu_);
  queue_cv_.wait(l, [this] { return (queue_.empty() && !sending_) || sender_stopping_; });
}

AlertServiceStats AlertService::stats() const {
  AlertServiceStats s;
  {
    std::lock_guard<std::mutex> l(mu_);
    s = stats_;
  }
  std::lock_guard<std::mutex> l(queue_mu_);
  s.queued = queue_.size();
  return s;
}

void AlertService::Start(absl::Duration evaluate_every) {
  if (eval_thread_.joinable() || evaluate_every <= absl::ZeroDuration()) return;
  eval_thread_ = std::thread([this, evaluate_every] { EvaluatorLoop(evaluate_every); });
}

void AlertService::EvaluatorLoop(absl::Duration every) {
  std::unique_lock<std::mutex> l(eval_thread_mu_);
  do {
    l.unlock();
    EvaluateOnce();
    l.lock();
  } while (!eval_cv_.wait_for(l, absl::ToChronoNanoseconds(every), [this] { return eval_stopping_; }));
}

void AlertService::Stop() {
  {
    std::lock_guard<std::mutex> l(eval_thread_mu_);
    eval_stopping_ = true;
  }
  eval_cv_.notify_all();
  if (eval_thread_.joinable()) eval_thread_.join();
}

}  // namespace lepton::alerts
