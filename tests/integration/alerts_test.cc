// Alerting end to end on the real binary: a local webhook receiver (api::HttpServer on port 0),
// `lepton server --alert-interval 1`, a rule on the lake's dataset gauge driven over HTTP, the
// receiver getting "firing" and then "resolved", the state and notification outcome in
// GET /api/v1/alerts, the rule's events, and 400/403 for bad rules and viewers.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/api/http_client.h"
#include "lepton/api/http_server.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"
#include "http_testing.h"
#include "process.h"

namespace lepton {
namespace {

using ::lepton::testing::HttpCall;
using ::lepton::testing::JsonBody;
using ::lepton::testing::ServerProcess;
using ::testing::HasSubstr;

// Collects the JSON bodies POSTed to it.
class Receiver {
 public:
  Receiver() {
    auto s = api::HttpServer::Start({.host = "127.0.0.1", .port = 0, .io_threads = 1},
                                    [this](const api::HttpRequest& r) {
                                      std::lock_guard<std::mutex> l(mu_);
                                      requests_.push_back(r);
                                      return api::HttpResponse::MakeJson(200, {{"ok", true}});
                                    });
    EXPECT_OK(s);
    if (s.ok()) server_ = *std::move(s);
  }
  std::string Url(const std::string& path) const { return StrCat("http://127.0.0.1:", server_->port(), path); }
  std::vector<api::HttpRequest> Requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  // The bodies received so far whose "status" is `status`.
  std::vector<Json> WithStatus(const std::string& status) {
    std::vector<Json> out;
    for (const api::HttpRequest& r : Requests()) {
      auto j = ParseJson(r.body);
      if (j.ok() && (*j)["status"] == status) out.push_back(*j);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<api::HttpRequest> requests_;
  std::unique_ptr<api::HttpServer> server_;
};

// Polls `done` every 100 ms for up to `seconds`.
bool WaitFor(const std::function<bool()>& done, int seconds = 15) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

class AlertsIntegrationTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / StrCat("lepton_it_alerts_", ::getpid(), "_", GetParam());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::string store_url, store::testing::FreshStoreUrl(GetParam()));
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
        "--home", (dir_ / "home").string(), "--store", store_url, "--alert-interval", "300ms"});
    ASSERT_FALSE(server_->url().empty()) << server_->startup_output();
    auto t = ReadFile((dir_ / "home" / "admin.token").string());
    ASSERT_OK(t);
    admin_ = std::string(StripWhitespace(*t));
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  api::HttpResponse Http(const std::string& method, const std::string& target, const std::string& token,
                         const std::string& body = "") {
    return HttpCall(server_->url(), method, target, token, body);
  }
  static Json Body(const api::HttpResponse& r) { return JsonBody(r); }
  // The rule's entry in GET /api/v1/alerts.
  Json Alert(const std::string& name) {
    for (const Json& a : Body(Http("GET", "/api/v1/alerts", admin_))) {
      if (a["name"] == name) return a;
    }
    return Json();
  }

  std::filesystem::path dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string admin_;
};

TEST_P(AlertsIntegrationTest, RuleFiresToTheWebhookAndResolves) {
  Receiver receiver;
  ASSERT_EQ(Http("POST", "/api/v1/lake/namespaces", admin_, R"({"name":"alerting"})").status, 201);
  const Json rule = {{"name", "datasets-present"},
                     {"description", "alerting has {{ $value }} datasets"},
                     {"kind", "metric"},
                     {"metric", "lepton_lake_datasets"},
                     {"match", {{"namespace", "alerting"}}},
                     {"op", ">="},
                     {"threshold", 1},
                     {"for_seconds", 0},
                     {"labels", {{"severity", "ticket"}}},
                     {"webhook_url", receiver.Url("/hook")}};
  api::HttpResponse r = Http("POST", "/api/v1/alerts/rules", admin_, rule.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["created_by"], "admin");
  EXPECT_EQ(Body(r)["expression"], "sum(lepton_lake_datasets{namespace=\"alerting\"}) >= 1");

  // Evaluated, but nothing to read yet: no data, inactive.
  ASSERT_TRUE(WaitFor([&] { return Alert("datasets-present")["health"] == "no_data"; })) << Alert("datasets-present");
  EXPECT_EQ(Alert("datasets-present")["state"], "inactive");

  ASSERT_EQ(Http("POST", "/api/v1/lake/datasets/alerting/one", admin_, "{}").status, 201);
  ASSERT_TRUE(WaitFor([&] { return !receiver.WithStatus("firing").empty(); })) << server_->Stderr();
  const Json firing = receiver.WithStatus("firing")[0];
  EXPECT_EQ(firing["version"], "4");
  EXPECT_EQ(firing["alerts"][0]["labels"], Json({{"alertname", "datasets-present"}, {"severity", "ticket"}}));
  EXPECT_EQ(firing["alerts"][0]["annotations"]["description"], "alerting has 1 datasets");
  EXPECT_EQ(firing["alerts"][0]["value"], 1.0);
  EXPECT_THAT(firing["alerts"][0]["generatorURL"].get<std::string>(), HasSubstr("/api/v1/alerts/rules/datasets-present"));
  EXPECT_EQ(receiver.Requests()[0].path, "/hook");
  EXPECT_EQ(receiver.Requests()[0].Header("content-type"), "application/json");

  ASSERT_TRUE(WaitFor([&] { return Alert("datasets-present")["last_notification"].is_object(); }));
  Json a = Alert("datasets-present");
  EXPECT_EQ(a["state"], "firing");
  EXPECT_EQ(a["health"], "ok");
  EXPECT_EQ(a["value"], 1.0);
  EXPECT_EQ(a["last_notification"]["ok"], true);
  EXPECT_EQ(a["last_notification"]["http_status"], 200);
  EXPECT_EQ(a["last_notification"]["status"], "firing");
  EXPECT_EQ(Body(Http("GET", "/api/v1/alerts?state=firing", admin_)).size(), 1u);

  ASSERT_EQ(Http("DELETE", "/api/v1/lake/datasets/alerting/one", admin_).status, 200);
  ASSERT_TRUE(WaitFor([&] { return !receiver.WithStatus("resolved").empty(); })) << server_->Stderr();
  const Json resolved = receiver.WithStatus("resolved")[0];
  EXPECT_EQ(resolved["alerts"][0]["startsAt"], firing["alerts"][0]["startsAt"]);
  EXPECT_NE(resolved["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(receiver.WithStatus("firing").size(), 1u);  // exactly one per transition
  ASSERT_TRUE(WaitFor([&] { return Alert("datasets-present")["last_notification"]["status"] == "resolved"; }));
  EXPECT_EQ(Alert("datasets-present")["state"], "inactive");

  // The history, newest first.
  Json events = Body(Http("GET", "/api/v1/alerts/rules/datasets-present/events", admin_));
  std::vector<std::string> seen;
  for (const Json& e : events) seen.push_back(StrCat(e["kind"].get<std::string>(), ":", e["state"].get<std::string>()));
  EXPECT_THAT(seen, ::testing::ElementsAre("notification:resolved", "transition:inactive", "notification:firing",
                                           "transition:firing", "transition:pending"));
  EXPECT_EQ(Body(Http("GET", "/api/v1/alerts/rules/datasets-present/events?limit=2", admin_)).size(), 2u);
  EXPECT_EQ(Http("GET", "/api/v1/alerts/rules/datasets-present/events?limit=0", admin_).status, 400);

  // Disable with PUT, then delete; mutations are audited.
  Json disabled = rule;
  disabled.erase("name");
  disabled["enabled"] = false;
  r = Http("PUT", "/api/v1/alerts/rules/datasets-present", admin_, disabled.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["status"]["health"], "disabled");
  EXPECT_EQ(Http("DELETE", "/api/v1/alerts/rules/datasets-present", admin_).status, 200);
  EXPECT_EQ(Http("GET", "/api/v1/alerts/rules/datasets-present", admin_).status, 404);
  Json audit = Body(Http("GET", "/api/v1/audit?action=alert.rule.create", admin_));
  EXPECT_THAT(audit.dump(), HasSubstr("alert.rule.create"));
}

TEST_P(AlertsIntegrationTest, BadRulesAre400AndViewersMayReadButNotWrite) {
  const Json good = {{"name", "r"}, {"kind", "metric"}, {"metric", "lepton_jobs"}, {"op", ">"},
                     {"threshold", 1}, {"webhook_url", "http://127.0.0.1:9/x"}};
  struct Case {
    std::string field;
    Json value;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"threshold", "1", "body.threshold: expected a number"},
           {"webhook_url", "https://example.com/x", "https is not supported"},
           {"op", "!=", "body.op: expected one of >, >=, <, <="},
           {"name", "No Caps", "body.name: invalid alert rule name"},
           {"extra", 1, "body.extra: unknown field"},
       }) {
    Json j = good;
    j[c.field] = c.value;
    api::HttpResponse r = Http("POST", "/api/v1/alerts/rules", admin_, j.dump());
    EXPECT_EQ(r.status, 400) << c.field << ": " << r.body;
    EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr(c.message));
  }
  EXPECT_EQ(Http("POST", "/api/v1/alerts/rules", admin_, "{").status, 400);
  // Created with the CLI; listed by it.
  const std::string rule_file = (dir_ / "rule.json").string();
  ASSERT_OK(WriteFileAtomically(rule_file, good.dump()));
  const std::vector<std::string> conn = {"--server", server_->url(), "--token", admin_};
  std::vector<std::string> create = {"alerts", "create", "-f", rule_file};
  create.insert(create.end(), conn.begin(), conn.end());
  testing::CliResult cli = testing::RunLepton(create, {{"LEPTON_CLI_CONFIG", (dir_ / "cli").string()}});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("created alert rule r: sum(lepton_jobs) > 1"));
  std::vector<std::string> list = {"alerts", "list"};
  list.insert(list.end(), conn.begin(), conn.end());
  cli = testing::RunLepton(list, {{"LEPTON_CLI_CONFIG", (dir_ / "cli").string()}});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("r "));
  EXPECT_THAT(cli.out, HasSubstr("inactive"));
  EXPECT_EQ(Http("POST", "/api/v1/alerts/rules", admin_, good.dump()).status, 409);
  EXPECT_EQ(Http("GET", "/api/v1/alerts/rules/nope", admin_).status, 404);
  EXPECT_EQ(Http("GET", "/api/v1/alerts?state=bogus", admin_).status, 400);

  ASSERT_EQ(Http("POST", "/api/v1/users", admin_, R"({"name":"vic","role":"viewer"})").status, 201);
  const std::string vic = Body(Http("POST", "/api/v1/users/vic/tokens", admin_, "{}"))["token"];
  Json other = good;
  other["name"] = "mine";
  EXPECT_EQ(Http("POST", "/api/v1/alerts/rules", vic, other.dump()).status, 403);
  EXPECT_EQ(Http("DELETE", "/api/v1/alerts/rules/r", vic).status, 403);
  EXPECT_EQ(Http("GET", "/api/v1/alerts", vic).status, 200);
  EXPECT_EQ(Body(Http("GET", "/api/v1/alerts/rules", vic)).size(), 1u);
  EXPECT_EQ(Http("GET", "/api/v1/alerts/rules/r", vic).status, 200);
  EXPECT_EQ(Http("GET", "/api/v1/alerts", "").status, 401);
}

INSTANTIATE_TEST_SUITE_P(Stores, AlertsIntegrationTest, ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton
