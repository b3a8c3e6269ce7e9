#pragma once
// `AlertService`: keeps the alert rules (alerts/rule.h) in the metadata store (tables
// alert_rules and alert_events, migration 9), evaluates them on a schedule and notifies their
// webhooks.
//
// Evaluation: every tick each enabled rule reads its value — the sum of the matching series of
// the server's metrics registry (optionally as a rate or increase over the rule's window, from
// the samples this service took at earlier ticks), or a statistic of the deployment's newest
// recorded drift check — and compares it with the threshold:
//
//   inactive --condition holds--> pending --held for for_seconds--> firing
//   pending --condition fails--> inactive          firing --condition fails--> inactive (resolved)
//
// (`for_seconds` 0 goes from inactive to firing in one tick.) A value that cannot be read — no
// series matches, fewer than two samples in a rate window, no drift check recorded yet — does
// not hold: the rule's health is "no_data" and a firing alert resolves, as in Prometheus.
//
// Notifications: entering firing and leaving it each send one Alertmanager-style webhook payload
// (version "4", see docs/alerts.md) to the rule's URL. Sending is on a sender thread behind a
// bounded queue, so evaluation never waits on a receiver; a full queue drops the notification
// (recorded as such). A delivery is retried with doubling backoff on transport errors, 5xx and
// 429; 2xx is success. Every transition and every notification outcome is recorded in
// alert_events and the newest outcome is part of the rule's status.
//
// State (inactive/pending/firing, since when) is persisted on every transition, so a restarted
// server neither re-announces a firing alert nor forgets to resolve it. One server process
// should evaluate a given store's rules (several would each notify).
//
// Thread-safe: every public method may be called concurrently. The sender thread runs from
// construction to destruction; the evaluator thread from `Start` to `Stop`.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lepton/alerts/rule.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/monitor/metrics.h"
#include "lepton/serving/drift_monitor.h"
#include "lepton/store/meta_store.h"

namespace lepton::alerts {

// POSTs `json_body` (Content-Type application/json) to `url` (a validated webhook URL) and
// returns the HTTP status of the answer; an error when no answer arrived (unreachable, timeout).
// Called on the sender thread only. Must not throw.
using WebhookSender = std::function<absl::StatusOr<int>(const std::string& url, const std::string& json_body)>;

// The newest recorded drift check of `deployment` (a `serving::DriftMonitor::Check` result), or
// nullopt when none was recorded yet. Called on the evaluating thread.
using DriftSource = std::function<absl::StatusOr<std::optional<Json>>(const std::string& deployment)>;

// The drift source of a server: `monitor.History(deployment, 1)`. `monitor` must outlive the
// returned function.
DriftSource DriftHistorySource(serving::DriftMonitor& monitor);

enum class AlertState { kInactive, kPending, kFiring };
std::string_view AlertStateName(AlertState state);  // "inactive", "pending", "firing"

// How one notification ended.
struct NotificationOutcome {
  std::string status;   // the payload's status: "firing" or "resolved"
  std::string at;       // when the outcome was known (RFC 3339)
  bool ok = false;      // delivered (a 2xx answer)
  int http_status = 0;  // the last answer's status, 0 when none arrived
  int attempts = 0;     // 0 when dropped because the queue was full
  std::string error;    // why it failed ("" when ok)
  Json ToJson() const;
};

// A rule with its evaluation state, as GET /api/v1/alerts shows it.
struct AlertStatus {
  AlertRule rule;
  std::string created_by, created_at, updated_by, updated_at;
  AlertState state = AlertState::kInactive;
  std::string since;      // when `state` was entered ("" when never left inactive)
  std::string active_at;  // when the condition began to hold (pending/firing; "" otherwise)
  // "unknown" (not evaluated yet), "ok", "no_data" (see above), "error" (e.g. the drift
  // history could not be read; `error` says why) or "disabled".
  std::string health = "unknown";
  std::string error;
  std::optional<double> last_value;
  std::string last_evaluation;  // "" before the first
  std::optional<NotificationOutcome> last_notification;
  Json ToJson() const;
};

// One row of a rule's history.
struct AlertEvent {
  int64_t seq = 0;
  std::string at;
  std::string kind;            // "transition" or "notification"
  std::string state;           // transition: the new state; notification: "firing"/"resolved"
  std::string previous_state;  // transition only ("" for notifications)
  std::optional<double> value;
  std::optional<bool> ok;       // notification only
  std::optional<int64_t> http_status;
  std::optional<int64_t> attempts;
  std::string detail;  // the error of a failed notification
  Json ToJson() const;
};

struct AlertServiceOptions {
  size_t queue_capacity = 256;  // notifications waiting for the sender; more are dropped
  int max_attempts = 3;         // per notification, >= 1
  // Wait before the first retry, doubled for each further one. Tests use zero.
  absl::Duration retry_backoff = absl::Seconds(1);
  std::string receiver = "lepton";  // the payload's "receiver"
  std::string external_url;         // the server's URL, for each alert's "generatorURL"
};

struct AlertServiceStats {
  uint64_t delivered = 0;  // notifications answered 2xx
  uint64_t failed = 0;     // given up after the last attempt (or not retried: other 4xx)
  uint64_t dropped = 0;    // the queue was full
  uint64_t evaluations = 0;
  size_t queued = 0;
};

class AlertService {
 public:
  // Loads the rules and their persisted state. `metrics` (for metric rules) and `drift` (for
  // drift rules) may be null/empty: such rules then evaluate as "error". `store`, `clock` and
  // `metrics` must outlive the service. Errors: the store's.
  static absl::StatusOr<std::unique_ptr<AlertService>> Create(store::MetaStore& store, Clock& clock,
                                                              const monitor::MetricsRegistry* metrics,
                                                              DriftSource drift, WebhookSender sender,
                                                              AlertServiceOptions options = {});
  ~AlertService();  // Stop(), then the sender finishes its current attempt and drops the rest
  AlertService(const AlertService&) = delete;
  AlertService& operator=(const AlertService&) = delete;

  // Adds a rule (checked with the rules of `ParseRule`). AlreadyExists for a taken name.
  absl::StatusOr<AlertStatus> CreateRule(const AlertRule& rule, const std::string& actor);
  // Replaces the rule named `rule.name`. The evaluation state is kept; samples for rate/increase
  // are dropped when what is read changed. Disabling a firing rule resolves it (notified).
  // NotFound for an unknown rule.
  absl::StatusOr<AlertStatus> UpdateRule(const AlertRule& rule, const std::string& actor);
  // Deletes a rule and its events; a firing alert is announced resolved first. NotFound.
  absl::Status DeleteRule(const std::string& name);
  // NotFound for an unknown rule.
  absl::StatusOr<AlertStatus> GetRule(const std::string& name) const;
  // All rules by name.
  std::vector<AlertStatus> List() const;
  // The rule's events, newest first, at most `limit` (1 .. 1000). NotFound for an unknown rule.
  absl::StatusOr<std::vector<AlertEvent>> Events(const std::string& name, int64_t limit = 100) const;

  // Evaluates every enabled rule once, at `clock.Now()`, and queues the notifications the
  // transitions call for. The evaluator thread calls this every tick; tests call it directly.
  // Concurrent calls are serialized.
  void EvaluateOnce();

  // Starts the evaluator thread: `EvaluateOnce` every `evaluate_every` (> 0), the first one
  // right away. At most once.
  void Start(absl::Duration evaluate_every);
  // Stops the evaluator promptly (a running evaluation finishes first). Idempotent.
  void Stop();

  // Blocks until the notification queue is empty and no delivery is in flight (tests, and a
  // graceful shutdown that wants the last notifications out).
  void WaitForNotifications();

  AlertServiceStats stats() const;

 private:
  struct Runtime;
  struct Notification {
    std::string rule;
    std::string url;
    std::string status;  // firing / resolved
    std::string body;
  };
  struct Transition;

  AlertService(store::MetaStore& store, Clock& clock, const monitor::MetricsRegistry* metrics, DriftSource drift,
               WebhookSender sender, AlertServiceOptions options);
  absl::Status Load();
  // The value of `rule` now, before windowing: NotFound = no data.
  absl::StatusOr<double> Read(const AlertRule& rule) const;
  // Builds the webhook payload of `rt` going to `status`.
  std::string Payload(const Runtime& rt, std::string_view status, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a transition in memory (caller holds mu_), returning what to persist and send.
  Transition Move(Runtime& rt, AlertState to, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Persists a transition and queues its notification (without mu_).
  void Apply(const Transition& t);
  void Enqueue(Notification n);
  void RecordOutcome(const Notification& n, const NotificationOutcome& outcome);
  absl::Status AppendEvent(const std::string& rule, const AlertEvent& e);
  AlertStatus StatusOf(const Runtime& rt) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvaluatorLoop(absl::Duration every);
  void SenderLoop();

  store::MetaStore& store_;
  Clock& clock_;
  const monitor::MetricsRegistry* const metrics_;
  const DriftSource drift_;
  const WebhookSender sender_;
  const AlertServiceOptions options_;

  std::mutex eval_mu_;  // serializes EvaluateOnce
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Runtime>> rules_ ABSL_GUARDED_BY(mu_);
  AlertServiceStats stats_ ABSL_GUARDED_BY(mu_);

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;  // work queued, stopping, or idle
  std::deque<Notification> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool sending_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool sender_stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread sender_thread_;

  std::mutex eval_thread_mu_;
  std::condition_variable eval_cv_;
  bool eval_stopping_ ABSL_GUARDED_BY(eval_thread_mu_) = false;
  std::thread eval_thread_;
};

}  // namespace lepton::alerts
