// Alert rules: validation, the inactive → pending → firing → resolved state machine on a fake
// clock, webhook notifications (payload, exactly one per transition, retries, the bounded
// queue), rate and increase windows, drift rules on recorded drift checks, and persistence
// across a restart — on SQLite and, when configured, PostgreSQL.

#include "lepton/alerts/alert_service.h"

#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/crypto.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/registry/registry_service.h"
#include "lepton/serving/deployment_service.h"
#include "lepton/serving/drift_monitor.h"
#include "lepton/serving/prediction_log.h"
#include "lepton/store/testing/test_store.h"
#include "lepton/tracking/tracking_service.h"

namespace lepton::alerts {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

Json MetricRuleJson() {
  return {{"name", "high"},           {"kind", "metric"},       {"metric", "queue_depth"},
          {"op", ">"},                {"threshold", 10},        {"for_seconds", 60},
          {"webhook_url", "http://127.0.0.1:9/hook"}};
}

AlertRule MustParse(const Json& j) {
  auto r = ParseRule(j);
  EXPECT_OK(r);
  return r.ok() ? *r : AlertRule{};
}

// ---------------------------------------------------------------- rules (no store)

TEST(AlertRuleTest, ValidationErrorsNameTheField) {
  struct Case {
    std::string field;
    Json value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"threshold", "high", "body.threshold: expected a number"},
      {"threshold", nullptr, "body.threshold: required"},
      {"op", "==", "body.op: expected one of >, >=, <, <="},
      {"kind", "log", "body.kind: expected metric or drift"},
      {"metric", "bad name", "body.metric: 'bad name' is not a metric name"},
      {"function", "avg", "body.function: expected one of value, rate, increase"},
      {"window_seconds", 60, "body.window_seconds: only for rate and increase"},
      {"for_seconds", -1, "body.for_seconds: expected 0 to 604800"},
      {"for_seconds", 1.5, "body.for_seconds: expected a whole number of seconds"},
      {"webhook_url", "https://x/y", "body.webhook_url: webhook URL 'https://x/y': https is not supported"},
      {"webhook_url", "ftp://x", "expected http://host[:port][/path]"},
      {"webhook_url", "http://x:99999/", "the port must be 1 to 65535"},
      {"name", "Bad Name", "body.name: invalid alert rule name 'Bad Name'"},
      {"labels", {{"alertname", "x"}}, "body.labels.alertname: reserved"},
      {"labels", {{"__x", "y"}}, "body.labels.__x: invalid label name"},
      {"labels", {{"team", 3}}, "body.labels.team: expected a string"},
      {"match", {{"code", 500}}, "body.match.code: expected a string"},
      {"enabled", "yes", "body.enabled: expected true or false"},
      {"colour", "red", "body.colour: unknown field"},
  };
  for (const Case& c : cases) {
    Json j = MetricRuleJson();
    if (c.value.is_null()) {
      j.erase(c.field);
    } else {
      j[c.field] = c.value;
    }
    EXPECT_THAT(ParseRule(j), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message))) << c.field;
  }
  Json rate = MetricRuleJson();
  rate["function"] = "rate";
  EXPECT_THAT(ParseRule(rate), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("body.window_seconds: required for rate")));
  EXPECT_THAT(ParseRule(Json::array()), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body: expected a JSON object")));
  Json drift = {{"name", "d"}, {"kind", "drift"}, {"op", ">"}, {"threshold", 0.25},
                {"webhook_url", "http://h/"}, {"statistic", "chi2"}, {"deployment", "web"}};
  EXPECT_THAT(ParseRule(drift), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body.statistic: expected psi or ks")));
  drift.erase("deployment");
  drift["statistic"] = "psi";
  EXPECT_THAT(ParseRule(drift), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body.deployment: required")));
  // The URL's name wins, and a differing body name is refused.
  EXPECT_THAT(ParseRule(MetricRuleJson(), "body", "other"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("differs from the rule 'other'")));
}

TEST(AlertRuleTest, RoundTripsThroughJson) {
  Json j = MetricRuleJson();
  j["function"] = "rate";
  j["window_seconds"] = 60;
  j["match"] = {{"deployment", "credit-xgboost"}, {"code", "500"}};
  j["labels"] = {{"severity", "page"}};
  j["annotations"] = {{"summary", "5xx at {{ $value }}/s"}};
  AlertRule r = MustParse(j);
  EXPECT_EQ(r.matchers, (std::vector<std::pair<std::string, std::string>>{{"code", "500"}, {"deployment", "credit-xgboost"}}));
  LEPTON_ASSERT_OK_AND_ASSIGN(AlertRule back, ParseRule(RuleToJson(r)));
  EXPECT_EQ(RuleToJson(back), RuleToJson(r));
  EXPECT_EQ(RuleExpression(r), "rate(sum(queue_depth{code=\"500\",deployment=\"credit-xgboost\"})[60s]) > 10");
}

TEST(AlertRuleTest, WebhookUrls) {
  LEPTON_ASSERT_OK_AND_ASSIGN(WebhookUrl u, ParseWebhookUrl("http://127.0.0.1:5001/hooks/a?x=1"));
  EXPECT_EQ(u.base_url, "http://127.0.0.1:5001");
  EXPECT_EQ(u.target, "/hooks/a?x=1");
  LEPTON_ASSERT_OK_AND_ASSIGN(u, ParseWebhookUrl("http://alerts.internal"));
  EXPECT_EQ(u.base_url, "http://alerts.internal:80");
  EXPECT_EQ(u.target, "/");
  LEPTON_ASSERT_OK_AND_ASSIGN(u, ParseWebhookUrl("http://[::1]:8080/x"));
  EXPECT_EQ(u.base_url, "http://[::1]:8080");
  EXPECT_THAT(ParseWebhookUrl("http://user:pw@h/"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("credentials")));
  EXPECT_THAT(ParseWebhookUrl("http:///x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no host")));
  EXPECT_THAT(ParseWebhookUrl("http://h/a b"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("space")));
}

// ---------------------------------------------------------------- the service

// A webhook receiver in memory: records every call and answers from a script (200 when empty).
class FakeSender {
 public:
  WebhookSender AsSender() {
    return [this](const std::string& url, const std::string& body) -> absl::StatusOr<int> {
      std::unique_lock<std::mutex> l(mu_);
      calls_.push_back({url, body});
      if (gate_) {
        entered_.set_value();
        gate_cv_.wait(l, [this] { return !gate_; });
      }
      if (script_.empty()) return 200;
      const Answer a = script_.front();
      script_.pop_front();
      if (!a.error.empty()) return absl::UnavailableError(a.error);
      return a.status;
    };
  }
  // An HTTP status, or a transport error when `error` is set.
  struct Answer {
    int status = 0;
    std::string error;
  };
  void Script(std::vector<Answer> answers) {
    std::lock_guard<std::mutex> l(mu_);
    script_.assign(answers.begin(), answers.end());
  }
  // The next call blocks until `Open()`; the returned future is ready once it is blocked.
  std::future<void> Close() {
    std::lock_guard<std::mutex> l(mu_);
    gate_ = true;
    entered_ = std::promise<void>();
    return entered_.get_future();
  }
  void Open() {
    {
      std::lock_guard<std::mutex> l(mu_);
      gate_ = false;
    }
    gate_cv_.notify_all();
  }
  std::vector<std::pair<std::string, Json>> Calls() {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::pair<std::string, Json>> out;
    for (const auto& [url, body] : calls_) {
      auto j = ParseJson(body);
      out.emplace_back(url, j.ok() ? *j : Json());
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable gate_cv_;
  bool gate_ = false;
  std::promise<void> entered_;
  std::deque<Answer> script_;
  std::vector<std::pair<std::string, std::string>> calls_;
};

class AlertServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    LEPTON_ASSERT_OK_AND_ASSIGN(depth_family_, metrics_.AddGauge("queue_depth", "Queue depth.", {"queue"}));
    LEPTON_ASSERT_OK_AND_ASSIGN(depth_, depth_family_->WithLabels({"a"}));
    LEPTON_ASSERT_OK_AND_ASSIGN(requests_family_, metrics_.AddCounter("requests_total", "Requests.", {"code"}));
    Restart();
  }
  void Restart(AlertServiceOptions options = {.retry_backoff = absl::ZeroDuration()}) {
    service_.reset();
    auto s = AlertService::Create(*store_, clock_, &metrics_, drift_, sender_.AsSender(), options);
    ASSERT_OK(s);
    service_ = *std::move(s);
  }
  AlertStatus Status(const std::string& name = "high") {
    auto s = service_->GetRule(name);
    EXPECT_OK(s);
    return s.ok() ? *s : AlertStatus{};
  }
  // Evaluates and waits for the notifications that evaluation queued.
  void Tick(absl::Duration advance = absl::ZeroDuration()) {
    clock_.Advance(advance);
    service_->EvaluateOnce();
    service_->WaitForNotifications();
  }

  std::unique_ptr<store::MetaStore> store_;
  FakeClock clock_;
  monitor::MetricsRegistry metrics_;
  monitor::GaugeFamily* depth_family_ = nullptr;
  monitor::Gauge depth_;
  monitor::CounterFamily* requests_family_ = nullptr;
  FakeSender sender_;
  DriftSource drift_;
  std::unique_ptr<AlertService> service_;
};

TEST_P(AlertServiceTest, PendingThenFiringAfterForThenResolvedWithOneNotificationEach) {
  Json j = MetricRuleJson();
  j["labels"] = {{"severity", "page"}};
  j["annotations"] = {{"summary", "queue {{ $labels.severity }} at {{ $value }}"}};
  j["description"] = "the queue is deep";
  LEPTON_ASSERT_OK_AND_ASSIGN(AlertStatus created, service_->CreateRule(MustParse(j), "ada"));
  EXPECT_EQ(created.state, AlertState::kInactive);
  EXPECT_EQ(created.health, "unknown");

  depth_.Set(5);
  Tick();
  EXPECT_EQ(Status().state, AlertState::kInactive);
  EXPECT_EQ(Status().health, "ok");
  EXPECT_EQ(Status().last_value, 5.0);

  depth_.Set(11);
  Tick(absl::Seconds(15));
  const absl::Time pending_at = clock_.Now();
  EXPECT_EQ(Status().state, AlertState::kPending);
  EXPECT_EQ(Status().active_at, FormatTimestamp(pending_at));
  Tick(absl::Seconds(59));  // held 59 s of 60
  EXPECT_EQ(Status().state, AlertState::kPending);
  EXPECT_TRUE(sender_.Calls().empty());
  Tick(absl::Seconds(1));
  const absl::Time fired_at = clock_.Now();
  AlertStatus st = Status();
  EXPECT_EQ(st.state, AlertState::kFiring);
  EXPECT_EQ(st.since, FormatTimestamp(fired_at));
  ASSERT_EQ(sender_.Calls().size(), 1u);
  auto [url, body] = sender_.Calls()[0];
  EXPECT_EQ(url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(body["version"], "4");
  EXPECT_EQ(body["status"], "firing");
  EXPECT_EQ(body["receiver"], "lepton");
  ASSERT_EQ(body["alerts"].size(), 1u);
  const Json& alert = body["alerts"][0];
  EXPECT_EQ(alert["status"], "firing");
  EXPECT_EQ(alert["labels"], Json({{"alertname", "high"}, {"severity", "page"}}));
  EXPECT_EQ(alert["annotations"]["summary"], "queue page at 11");
  EXPECT_EQ(alert["annotations"]["description"], "the queue is deep");
  EXPECT_EQ(alert["startsAt"], FormatTimestamp(fired_at));
  EXPECT_EQ(alert["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(alert["value"], 11.0);
  ASSERT_TRUE(st.last_notification.has_value());
  EXPECT_TRUE(st.last_notification->ok);
  EXPECT_EQ(st.last_notification->http_status, 200);
  EXPECT_EQ(st.last_notification->status, "firing");

  // Still firing: no repeat.
  Tick(absl::Seconds(15));
  Tick(absl::Seconds(15));
  EXPECT_EQ(sender_.Calls().size(), 1u);

  depth_.Set(3);
  Tick(absl::Seconds(15));
  EXPECT_EQ(Status().state, AlertState::kInactive);
  ASSERT_EQ(sender_.Calls().size(), 2u);
  const Json resolved = sender_.Calls()[1].second;
  EXPECT_EQ(resolved["status"], "resolved");
  EXPECT_EQ(resolved["alerts"][0]["startsAt"], FormatTimestamp(fired_at));
  EXPECT_EQ(resolved["alerts"][0]["endsAt"], FormatTimestamp(clock_.Now()));
  EXPECT_EQ(resolved["alerts"][0]["labels"]["alertname"], "high");
  EXPECT_EQ(resolved["alerts"][0]["fingerprint"], alert["fingerprint"]);

  // The history, newest first: resolved notification, → inactive, firing notification,
  // → firing, → pending.
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<AlertEvent> events, service_->Events("high"));
  std::vector<std::string> seen;
  for (const AlertEvent& e : events) seen.push_back(StrCat(e.kind, ":", e.state));
  EXPECT_THAT(seen, ::testing::ElementsAre("notification:resolved", "transition:inactive", "notification:firing",
                                           "transition:firing", "transition:pending"));
  EXPECT_EQ(events[1].previous_state, "firing");
  EXPECT_EQ(events[1].value, 3.0);
  EXPECT_EQ(events[2].http_status, 200);
  LEPTON_ASSERT_OK_AND_ASSIGN(events, service_->Events("high", 2));
  EXPECT_EQ(events.size(), 2u);
  EXPECT_THAT(service_->Events("nope"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(AlertServiceTest, PendingThatClearsGoesBackWithoutNotifying) {
  ASSERT_OK(service_->CreateRule(MustParse(MetricRuleJson()), "ada").status());
  depth_.Set(20);
  Tick();
  EXPECT_EQ(Status().state, AlertState::kPending);
  depth_.Set(1);
  Tick(absl::Seconds(30));
  EXPECT_EQ(Status().state, AlertState::kInactive);
  depth_.Set(20);
  Tick(absl::Seconds(30));  // pending again: the `for` clock restarts
  Tick(absl::Seconds(59));
  EXPECT_EQ(Status().state, AlertState::kPending);
  EXPECT_TRUE(sender_.Calls().empty());
}

TEST_P(AlertServiceTest, ForZeroFiresAtOnceAndAbsentMetricIsNoDataThatResolves) {
  Json j = MetricRuleJson();
  j["for_seconds"] = 0;
  j["metric"] = "requests_total";
  j["match"] = {{"code", "500"}};
  ASSERT_OK(service_->CreateRule(MustParse(j), "ada").status());
  Tick();
  AlertStatus st = Status();
  EXPECT_EQ(st.state, AlertState::kInactive);
  EXPECT_EQ(st.health, "no_data");
  EXPECT_FALSE(st.last_value.has_value());
  EXPECT_THAT(st.error, HasSubstr("no series of requests_total"));

  LEPTON_ASSERT_OK_AND_ASSIGN(monitor::Counter errors, requests_family_->WithLabels({"500"}));
  errors.Inc(12);
  LEPTON_ASSERT_OK_AND_ASSIGN(monitor::Counter ok, requests_family_->WithLabels({"200"}));
  ok.Inc(1000);  // not matched
  Tick(absl::Seconds(1));
  EXPECT_EQ(Status().state, AlertState::kFiring);
  EXPECT_EQ(Status().last_value, 12.0);
  ASSERT_EQ(sender_.Calls().size(), 1u);

  // The rule now matches nothing (code 503 never seen): no data resolves the alert.
  j["match"] = {{"code", "503"}};
  ASSERT_OK(service_->UpdateRule(MustParse(j), "ada").status());
  Tick(absl::Seconds(1));
  EXPECT_EQ(Status().state, AlertState::kInactive);
  EXPECT_EQ(Status().health, "no_data");
  ASSERT_EQ(sender_.Calls().size(), 2u);
  EXPECT_EQ(sender_.Calls()[1].second["status"], "resolved");
}

TEST_P(AlertServiceTest, RateAndIncreaseOverTheWindowHandleResets) {
  LEPTON_ASSERT_OK_AND_ASSIGN(monitor::Counter errors, requests_family_->WithLabels({"500"}));
  Json j = MetricRuleJson();
  j["metric"] = "requests_total";
  j["function"] = "rate";
  j["window_seconds"] = 60;
  j["for_seconds"] = 0;
  j["threshold"] = 1;
  ASSERT_OK(service_->CreateRule(MustParse(j), "ada").status());
  Json inc = j;
  inc["name"] = "inc";
  inc["function"] = "increase";
  inc["threshold"] = 100;
  ASSERT_OK(service_->CreateRule(MustParse(inc), "ada").status());

  errors.Inc(1000);  // the counter's past does not count
  Tick();
  EXPECT_EQ(Status().health, "no_data");  // one sample is not a rate
  EXPECT_EQ(Status().state, AlertState::kInactive);
  errors.Inc(30);
  Tick(absl::Seconds(30));  // 30 in 30 s = 1/s: not > 1
  EXPECT_EQ(Status().last_value, 1.0);
  EXPECT_EQ(Status("inc").last_value, 30.0);
  EXPECT_EQ(Status().state, AlertState::kInactive);
  errors.Inc(60);
  Tick(absl::Seconds(30));  // 90 in 60 s = 1.5/s
  EXPECT_EQ(Status().last_value, 1.5);
  EXPECT_EQ(Status().state, AlertState::kFiring);
  EXPECT_EQ(Status("inc").last_value, 90.0);
  Tick(absl::Seconds(30));  // no new errors; the first sample left the window
  EXPECT_EQ(Status("inc").last_value, 60.0);
  EXPECT_EQ(Status().last_value, 1.0);  // (60 + 0) over the 60 s between the kept samples
  EXPECT_EQ(Status().state, AlertState::kInactive);

  // A reset (the value going down, as a restarted process's counter does) counts the new value
  // as the increase, never a negative one. Counters cannot go down, so a gauge plays one.
  Json gauge_inc = inc;
  gauge_inc["name"] = "reset";
  gauge_inc["metric"] = "queue_depth";
  gauge_inc["match"] = Json::object();
  ASSERT_OK(service_->CreateRule(MustParse(gauge_inc), "ada").status());
  depth_.Set(50);
  Tick(absl::Seconds(1));
  depth_.Set(80);
  Tick(absl::Seconds(10));
  depth_.Set(5);  // reset: +5
  Tick(absl::Seconds(10));
  EXPECT_EQ(Status("reset").last_value, 35.0);
}

TEST_P(AlertServiceTest, DriftRulesReadTheNewestRecordedCheck) {
  const std::string root = (std::filesystem::temp_directory_path() /
                            StrCat("lepton_alerts_", ::getpid(), "_", HexEncode(RandomBytes(6))))
                               .string();
  tracking::TrackingService tracking(*store_, clock_, root + "/artifacts");
  registry::RegistryService registry(*store_, clock_, root + "/models", tracking);
  serving::DeploymentService deployments(*store_, clock_, registry);
  serving::PredictionLog log(root + "/predictions", clock_);
  serving::DriftMonitor monitor(*store_, clock_, deployments, log);
  drift_ = DriftHistorySource(monitor);
  Restart();
  auto record = [&](int64_t seq, double score_psi, double income_ks) {
    Json result = {{"deployment", "web"},
                   {"columns", {{"income", {{"psi", 0.01}, {"ks_statistic", income_ks}}}}},
                   {"score", {{"psi", score_psi}, {"ks_statistic", 0.1}}}};
    ASSERT_OK(store_->Exec("INSERT INTO monitor_drift (deployment, seq, computed_at, model, version, rows_compared, "
                           "max_psi, result) VALUES ('web', ?, ?, 'scorer', 1, 100, ?, ?)",
                           {seq, FormatTimestamp(clock_.Now()), score_psi, result.dump()})
                  .status());
  };
  Json psi = {{"name", "score-psi"}, {"kind", "drift"}, {"deployment", "web"}, {"column", "score"},
              {"statistic", "psi"}, {"op", ">"}, {"threshold", 0.25}, {"webhook_url", "http://h:1/"}};
  ASSERT_OK(service_->CreateRule(MustParse(psi), "ada").status());
  Json ks = psi;
  ks["name"] = "income-ks";
  ks["column"] = "income";
  ks["statistic"] = "ks";
  ks["threshold"] = 0.3;
  ASSERT_OK(service_->CreateRule(MustParse(ks), "ada").status());
  Json missing = psi;
  missing["name"] = "age";
  missing["column"] = "age";
  ASSERT_OK(service_->CreateRule(MustParse(missing), "ada").status());

  Tick();
  EXPECT_EQ(Status("score-psi").health, "no_data");
  EXPECT_THAT(Status("score-psi").error, HasSubstr("no drift check of deployment 'web' recorded yet"));
  record(1, 0.1, 0.5);
  Tick(absl::Seconds(1));
  EXPECT_EQ(Status("score-psi").last_value, 0.1);
  EXPECT_EQ(Status("score-psi").state, AlertState::kInactive);
  EXPECT_EQ(Status("income-ks").last_value, 0.5);
  EXPECT_EQ(Status("income-ks").state, AlertState::kFiring);
  EXPECT_EQ(Status("age").health, "no_data");
  EXPECT_THAT(Status("age").error, HasSubstr("has no column 'age'"));
  record(2, 0.4, 0.2);  // the newest check counts
  Tick(absl::Seconds(1));
  EXPECT_EQ(Status("score-psi").last_value, 0.4);
  EXPECT_EQ(Status("score-psi").state, AlertState::kFiring);
  EXPECT_EQ(Status("income-ks").state, AlertState::kInactive);
  std::vector<std::string> statuses;
  for (const auto& [url, body] : sender_.Calls()) {
    statuses.push_back(StrCat(body["alerts"][0]["labels"]["alertname"].get<std::string>(), ":",
                              body["status"].get<std::string>()));
  }
  EXPECT_THAT(statuses, ::testing::UnorderedElementsAre("income-ks:firing", "score-psi:firing", "income-ks:resolved"));
  service_.reset();
  std::filesystem::remove_all(root);
}

TEST_P(AlertServiceTest, RetriesFailedDeliveriesAndRecordsTheOutcome) {
  Json j = MetricRuleJson();
  j["for_seconds"] = 0;
  ASSERT_OK(service_->CreateRule(MustParse(j), "ada").status());
  // Two 503s, then accepted on the third attempt.
  sender_.Script({{503}, {0, "connection refused"}, {202}});
  depth_.Set(11);
  Tick();
  ASSERT_EQ(sender_.Calls().size(), 3u);
  AlertStatus st = Status();
  ASSERT_TRUE(st.last_notification.has_value());
  EXPECT_TRUE(st.last_notification->ok);
  EXPECT_EQ(st.last_notification->attempts, 3);
  EXPECT_EQ(st.last_notification->http_status, 202);

  // Three failures: given up, the error kept.
  sender_.Script({{500}, {500}, {502}});
  depth_.Set(1);
  Tick(absl::Seconds(1));
  ASSERT_EQ(sender_.Calls().size(), 6u);
  st = Status();
  EXPECT_FALSE(st.last_notification->ok);
  EXPECT_EQ(st.last_notification->status, "resolved");
  EXPECT_EQ(st.last_notification->attempts, 3);
  EXPECT_EQ(st.last_notification->http_status, 502);
  EXPECT_EQ(st.last_notification->error, "HTTP 502");

  // A 4xx other than 429 is not retried.
  sender_.Script({{404}});
  depth_.Set(11);
  Tick(absl::Seconds(1));
  ASSERT_EQ(sender_.Calls().size(), 7u);
  EXPECT_EQ(Status().last_notification->attempts, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<AlertEvent> events, service_->Events("high", 1));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "notification");
  EXPECT_EQ(events[0].ok, false);
  EXPECT_EQ(events[0].http_status, 404);
  EXPECT_EQ(events[0].detail, "HTTP 404");
  EXPECT_EQ(service_->stats().delivered, 1u);
  EXPECT_EQ(service_->stats().failed, 2u);
}

TEST_P(AlertServiceTest, AFullQueueDropsNotificationsWithoutBlockingEvaluation) {
  Restart({.queue_capacity = 2, .retry_backoff = absl::ZeroDuration()});
  for (int i = 0; i < 4; ++i) {
    Json j = MetricRuleJson();
    j["name"] = StrCat("r", i);
    j["for_seconds"] = 0;
    j["threshold"] = i == 0 ? 10 : 20;
    ASSERT_OK(service_->CreateRule(MustParse(j), "ada").status());
  }
  // r0 fires; its notification is taken by the sender, whose receiver hangs.
  std::future<void> blocked = sender_.Close();
  struct Reopen {
    FakeSender& sender;
    ~Reopen() { sender.Open(); }  // never leave the sender thread blocked, even on failure
  } reopen{sender_};
  depth_.Set(11);
  clock_.Advance(absl::Seconds(1));
  service_->EvaluateOnce();
  ASSERT_EQ(Status("r0").state, AlertState::kFiring);
  // A guard against a hang, not a timing assumption: the sender picks it up at once.
  ASSERT_EQ(blocked.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  // r1..r3 fire: r1 and r2 wait in the queue, r3 is dropped. Evaluation returns all the same.
  depth_.Set(21);
  clock_.Advance(absl::Seconds(1));
  service_->EvaluateOnce();
  EXPECT_EQ(service_->stats().queued, 2u);
  EXPECT_EQ(Status("r3").state, AlertState::kFiring);
  ASSERT_TRUE(Status("r3").last_notification.has_value());
  EXPECT_FALSE(Status("r3").last_notification->ok);
  EXPECT_EQ(Status("r3").last_notification->attempts, 0);
  EXPECT_THAT(Status("r3").last_notification->error, HasSubstr("queue is full"));
  EXPECT_EQ(service_->stats().dropped, 1u);
  sender_.Open();
  service_->WaitForNotifications();
  EXPECT_EQ(sender_.Calls().size(), 3u);
  for (const char* r : {"r0", "r1", "r2"}) EXPECT_TRUE(Status(r).last_notification->ok) << r;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<AlertEvent> events, service_->Events("r3", 1));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "notification");
  EXPECT_EQ(events[0].attempts, 0);
}

TEST_P(AlertServiceTest, RulesAndStateSurviveARestart) {
  Json j = MetricRuleJson();
  j["for_seconds"] = 0;
  ASSERT_OK(service_->CreateRule(MustParse(j), "ada").status());
  Json pending = MetricRuleJson();
  pending["name"] = "slow";
  pending["for_seconds"] = 120;
  ASSERT_OK(service_->CreateRule(MustParse(pending), "ada").status());
  depth_.Set(11);
  Tick();
  const absl::Time started = clock_.Now();
  EXPECT_EQ(Status().state, AlertState::kFiring);
  EXPECT_EQ(Status("slow").state, AlertState::kPending);
  ASSERT_EQ(sender_.Calls().size(), 1u);

  Restart();
  ASSERT_EQ(service_->List().size(), 2u);
  EXPECT_EQ(Status().state, AlertState::kFiring);  // not re-announced below
  EXPECT_EQ(Status().since, FormatTimestamp(started));
  EXPECT_EQ(Status().created_by, "ada");
  EXPECT_EQ(Status("slow").active_at, FormatTimestamp(started));
  Tick(absl::Seconds(60));
  EXPECT_EQ(sender_.Calls().size(), 1u);
  EXPECT_EQ(Status("slow").state, AlertState::kPending);
  Tick(absl::Seconds(60));  // 120 s since it became pending, before the restart
  EXPECT_EQ(Status("slow").state, AlertState::kFiring);
  depth_.Set(0);
  Tick(absl::Seconds(1));
  ASSERT_EQ(sender_.Calls().size(), 4u);  // slow firing, then both resolved
  EXPECT_EQ(sender_.Calls()[2].second["status"], "resolved");
  EXPECT_EQ(sender_.Calls()[3].second["status"], "resolved");
}

TEST_P(AlertServiceTest, CreateUpdateDisableDelete) {
  Json j = MetricRuleJson();
  j["for_seconds"] = 0;
  ASSERT_OK(service_->CreateRule(MustParse(j), "ada").status());
  EXPECT_THAT(service_->CreateRule(MustParse(j), "ada"), StatusIs(absl::StatusCode::kAlreadyExists));
  AlertRule unknown = MustParse(j);
  unknown.name = "nope";
  EXPECT_THAT(service_->UpdateRule(unknown, "ada"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(service_->DeleteRule("nope"), StatusIs(absl::StatusCode::kNotFound));

  depth_.Set(11);
  Tick();
  ASSERT_EQ(sender_.Calls().size(), 1u);
  // Disabling a firing rule resolves it; a disabled rule is not evaluated.
  j["enabled"] = false;
  LEPTON_ASSERT_OK_AND_ASSIGN(AlertStatus st, service_->UpdateRule(MustParse(j), "bob"));
  service_->WaitForNotifications();
  EXPECT_EQ(st.state, AlertState::kInactive);
  EXPECT_EQ(st.health, "disabled");
  EXPECT_EQ(st.updated_by, "bob");
  ASSERT_EQ(sender_.Calls().size(), 2u);
  EXPECT_EQ(sender_.Calls()[1].second["status"], "resolved");
  Tick(absl::Seconds(1));
  EXPECT_EQ(Status().state, AlertState::kInactive);
  EXPECT_EQ(sender_.Calls().size(), 2u);

  j["enabled"] = true;
  ASSERT_OK(service_->UpdateRule(MustParse(j), "bob").status());
  Tick(absl::Seconds(1));
  EXPECT_EQ(Status().state, AlertState::kFiring);
  // Deleting a firing rule announces it resolved; its events go with it.
  ASSERT_OK(service_->DeleteRule("high"));
  service_->WaitForNotifications();
  ASSERT_EQ(sender_.Calls().size(), 4u);
  EXPECT_EQ(sender_.Calls()[3].second["status"], "resolved");
  EXPECT_THAT(service_->GetRule("high"), StatusIs(absl::StatusCode::kNotFound));
  LEPTON_ASSERT_OK_AND_ASSIGN(store::ResultSet rs, store_->Query("SELECT COUNT(*) FROM alert_events"));
  EXPECT_EQ(rs.rows[0].Int(0), 0);
  // Re-creating the name starts a fresh history.
  ASSERT_OK(service_->CreateRule(MustParse(j), "ada").status());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto events, service_->Events("high"));
  EXPECT_TRUE(events.empty());
}

TEST_P(AlertServiceTest, EvaluatorThreadStartsAndStopsPromptly) {
  Json j = MetricRuleJson();
  j["for_seconds"] = 0;
  ASSERT_OK(service_->CreateRule(MustParse(j), "ada").status());
  depth_.Set(11);
  service_->Start(absl::Hours(1));  // the first evaluation runs at once
  service_->Stop();                 // returns without waiting out the hour
  service_->WaitForNotifications();
  EXPECT_GE(service_->stats().evaluations, 1u);
  EXPECT_EQ(Status().state, AlertState::kFiring);
  EXPECT_EQ(sender_.Calls().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Stores, AlertServiceTest, ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::alerts
