// End-to-end tests of the `lepton` binary: a real server on port 0 against SQLite and
// PostgreSQL, driven over HTTP and through the CLI, as a user would.

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "lepton/api/http_client.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/meta_store.h"
#include "lepton/store/testing/test_store.h"
#include "http_testing.h"
#include "process.h"

namespace lepton {
namespace {

using ::lepton::testing::CliResult;
using ::lepton::testing::HttpCall;
using ::lepton::testing::JsonBody;
using ::lepton::testing::RunLepton;
using ::lepton::testing::ServerProcess;
using ::testing::HasSubstr;

class ServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           StrCat("lepton_it_", ::getpid(), "_", GetParam(), "_",
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    home_ = (dir_ / "home").string();
    LEPTON_ASSERT_OK_AND_ASSIGN(store_url_, store::testing::FreshStoreUrl(GetParam()));
    cli_env_ = {{"LEPTON_CLI_CONFIG", (dir_ / "cli-config").string()}};
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--home", home_, "--store", store_url_};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(args);
    ASSERT_FALSE(server_->url().empty()) << server_->startup_output();
  }

  std::string AdminToken() {
    auto t = ReadFile(home_ + "/admin.token");
    EXPECT_OK(t);
    return t.ok() ? std::string(StripWhitespace(*t)) : "";
  }

  api::HttpResponse Http(const std::string& method, const std::string& target,
                         const std::string& token = "", const std::string& body = "") {
    return HttpCall(server_->url(), method, target, token, body);
  }

  static Json Body(const api::HttpResponse& r) { return JsonBody(r); }

  CliResult Cli(std::vector<std::string> args, const std::string& input = "") {
    return RunLepton(args, cli_env_, input);
  }

  std::filesystem::path dir_;
  std::string home_;
  std::string store_url_;
  std::map<std::string, std::string> cli_env_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(ServerTest, FirstStartWritesAdminTokenOnceWithMode0600) {
  Start();
  EXPECT_THAT(server_->startup_output(), HasSubstr("(created now)"));
  struct stat st;
  ASSERT_EQ(::stat((home_ + "/admin.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string token = AdminToken();
  EXPECT_EQ(token.rfind("lep_", 0), 0u);
  EXPECT_EQ(Http("GET", "/healthz").status, 200);
  EXPECT_EQ(Http("GET", "/readyz").status, 200);
  EXPECT_EQ(Body(Http("GET", "/api/v1/whoami", token))["name"], "admin");
  ASSERT_EQ(server_->Stop(SIGTERM), 0);

  Start();  // same home and store: no new admin, the old token still works
  EXPECT_THAT(server_->startup_output(), ::testing::Not(HasSubstr("(created now)")));
  EXPECT_EQ(AdminToken(), token);
  EXPECT_EQ(Http("GET", "/api/v1/whoami", token).status, 200);
}

TEST_P(ServerTest, CliManagesUsersGrantsTokensAndAudit) {
  Start();
  CliResult r = Cli({"login", "--server", server_->url(), "--token-file", home_ + "/admin.token"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("logged in to " + server_->url() + " as admin"));
  struct stat st;
  ASSERT_EQ(::stat(cli_env_["LEPTON_CLI_CONFIG"].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  r = Cli({"user", "create", "dora", "--role", "data_scientist", "--scope", "credit/*"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("data_scientist@credit/*"));
  r = Cli({"token", "create", "--user", "dora", "--name", "ci", "--ttl", "3600"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string dora = std::string(StripWhitespace(r.out));
  ASSERT_EQ(dora.rfind("lep_", 0), 0u);

  r = Cli({"whoami", "--token", dora});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("dora"));
  r = Cli({"user", "list", "--token", dora});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("lepton: error: user 'dora' may not user.admin on '*' (HTTP 403 PERMISSION_DENIED)"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);

  r = Cli({"grant", "add", "dora", "approver", "*"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"audit", "list", "--token", dora, "--action", "user.create"});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // approver may read the audit log now
  EXPECT_THAT(r.out, HasSubstr("user.create"));
  r = Cli({"grant", "list", "dora", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto grants = ParseJson(r.out);
  ASSERT_OK(grants);
  ASSERT_EQ(grants->size(), 2u);
  r = Cli({"grant", "revoke", "dora", (*grants)[1]["id"]});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = Cli({"token", "list", "--user", "dora"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("ci"));
  r = Cli({"user", "disable", "dora"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"whoami", "--token", dora});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("user is disabled (HTTP 401 UNAUTHENTICATED)"));

  r = Cli({"user", "create", "pat", "--role", "viewer", "--password-stdin"}, "a long password\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CliResult login = RunLepton({"login", "--server", server_->url(), "--user", "pat", "--password-stdin"},
                              {{"LEPTON_CLI_CONFIG", (dir_ / "pat-config").string()}},
                              "a long password\n");
  EXPECT_EQ(login.exit_code, 0) << login.err;
  EXPECT_THAT(login.out, HasSubstr("as pat"));

  r = Cli({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("audit log intact"));
  r = Cli({"logout"});
  EXPECT_EQ(r.exit_code, 0);
  r = Cli({"whoami"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no server"));
}

TEST_P(ServerTest, BadInputGetsClearErrorsAndServerSurvives) {
  Start({"--max-body-bytes", "2048", "--read-timeout-ms", "500"});
  const std::string admin = AdminToken();
  struct Case {
    std::string method, target, token, body;
    int status;
    std::string code, message;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/v1/users", admin, "{\"name\":", 400, "INVALID_ARGUMENT", "malformed JSON"},
      {"POST", "/api/v1/users", admin, "{\"name\":7}", 400, "INVALID_ARGUMENT", "body.name: expected a string"},
      {"POST", "/api/v1/users", admin, "{\"name\":\"x\",\"admin\":true}", 400, "INVALID_ARGUMENT", "body.admin: unknown field"},
      {"POST", "/api/v1/users", admin, "{\"name\":\"x\",\"pad\":\"" + std::string(4000, 'a') + "\"}", 413, "INVALID_ARGUMENT", "exceeds 2048 bytes"},
      {"GET", "/api/v1/nowhere", admin, "", 404, "NOT_FOUND", "no route"},
      {"DELETE", "/healthz", "", "", 405, "INVALID_ARGUMENT", "not allowed"},
      {"GET", "/api/v1/users", "", "", 401, "UNAUTHENTICATED", "missing Authorization"},
      {"GET", "/api/v1/users", "lep_" + std::string(43, 'x'), "", 401, "UNAUTHENTICATED", "unknown token"},
  };
  for (const Case& c : cases) {
    api::HttpResponse r = Http(c.method, c.target, c.token, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << r.body;
    Json j = Body(r);
    EXPECT_EQ(j["code"], c.code) << r.body;
    EXPECT_THAT(j["error"].get<std::string>(), HasSubstr(c.message)) << r.body;
  }
  // 403: a viewer asking for the user list.
  ASSERT_EQ(Http("POST", "/api/v1/users", admin, R"({"name":"vic","role":"viewer"})").status, 201);
  const std::string vic = Body(Http("POST", "/api/v1/users/vic/tokens", admin, "{}"))["token"];
  EXPECT_EQ(Http("GET", "/api/v1/users", vic).status, 403);
  // Still alive and ready after all of it.
  EXPECT_EQ(Http("GET", "/readyz").status, 200);
  // Every denied call is in the audit log.
  Json denied = Body(Http("GET", "/api/v1/audit?limit=1000", admin));
  int unauthenticated = 0, forbidden = 0;
  for (const Json& e : denied) {
    if (e["outcome"] == "unauthenticated") ++unauthenticated;
    if (e["outcome"] == "denied") ++forbidden;
  }
  EXPECT_EQ(unauthenticated, 2);
  EXPECT_EQ(forbidden, 1);
}

TEST_P(ServerTest, SigtermShutsDownGracefully) {
  Start({"--shutdown-timeout-ms", "3000"});
  EXPECT_EQ(Http("GET", "/healthz").status, 200);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->Stop(SIGTERM, 10000), 0) << server_->Stderr();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(server_->Stderr(), HasSubstr("stopped clean=true"));
}

TEST_P(ServerTest, AuditVerifyFindsTamperedEntry) {
  Start();
  const std::string admin = AdminToken();
  for (const char* name : {"u1", "u2", "u3"}) {
    ASSERT_EQ(Http("POST", "/api/v1/users", admin, StrCat("{\"name\":\"", name, "\"}")).status, 201);
  }
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  CliResult r = RunLepton({"audit", "verify", "--store", store_url_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("intact: 4 entries"));
  {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto store, store::OpenMetaStore(store_url_));
    ASSERT_OK(store->Exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"));
  }
  r = RunLepton({"audit", "verify", "--store", store_url_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "lepton: error: audit log tampered: entry 3 was edited\n");
}

TEST_P(ServerTest, OpenApiDocumentValidates) {
  Start();
  api::HttpResponse r = Http("GET", "/openapi.json");
  ASSERT_EQ(r.status, 200);
  const std::string file = (dir_ / "openapi.json").string();
  ASSERT_OK(WriteFileAtomically(file, r.body));
  const std::string validator = std::string(LEPTON_SOURCE_DIR) + "/tools/validate_openapi.js";
  const std::string cmd = StrCat("cd ", LEPTON_SOURCE_DIR, "/tools && node ", validator, " ", file,
                                 " > ", file, ".out 2>&1");
  const int rc = std::system(cmd.c_str());
  auto out = ReadFile(file + ".out");
  EXPECT_EQ(rc, 0) << (out.ok() ? *out : "") << "\n(run scripts/install-deps.sh for the npm validator)";
  Json doc = Body(r);
  EXPECT_TRUE(doc["paths"].contains("/api/v1/users/{name}/grants/{grant_id}"));
}

// Training end to end on the real binary: ingest German credit, `lepton train -f` the example
// config (submits a training job, follows its progress, prints the run), the run is in tracking
// with metrics and artifacts, a bad config is a 400 naming its JSON path, a viewer gets 403, a
// finished job can be retried as a new job.
TEST_P(ServerTest, TrainingJobTrainsTheExampleAndTracksTheRun) {
  Start();
  const std::string admin = AdminToken();
  const std::string examples = std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/";
  CliResult r = Cli({"lake", "ingest", examples + "german_credit.csv", "--dataset", "credit/german_credit",
                     "--server", server_->url(), "--token", admin});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"train", "-f", examples + "model_config.json", "--server", server_->url(), "--token", admin});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("in experiment credit/scorecard"));
  EXPECT_THAT(r.out, HasSubstr("auc"));
  const std::string run_id = r.out.substr(4, r.out.find(' ', 4) - 4);

  // Over REST: the job and its run.
  Json jobs = Body(Http("GET", "/api/v1/jobs?kind=train", admin));
  ASSERT_EQ(jobs.size(), 1u);
  const std::string job_id = jobs[0]["id"];
  Json job = Body(Http("GET", "/api/v1/training-jobs/" + job_id, admin));
  EXPECT_EQ(job["state"], "succeeded");
  EXPECT_EQ(job["run_id"], run_id);
  EXPECT_EQ(job["result"]["run_id"], run_id);
  EXPECT_GT(job["result"]["metrics"]["auc"].get<double>(), 0.7);
  EXPECT_FALSE(job["logs"].empty());
  Json run = Body(Http("GET", "/api/v1/runs/" + run_id, admin));
  EXPECT_EQ(run["status"], "finished");
  EXPECT_EQ(run["job_id"], job_id);
  EXPECT_TRUE(run["metrics"].contains("test_auc"));
  EXPECT_TRUE(run["metrics"].contains("cv_auc"));
  EXPECT_EQ(run["params"]["config.learner.flavor"], "logistic");
  ASSERT_EQ(run["inputs"].size(), 1u);
  EXPECT_EQ(run["inputs"][0]["dataset"], "credit/german_credit");
  EXPECT_EQ(run["inputs"][0]["version"], 0);
  const std::string artifacts = Http("GET", "/api/v1/runs/" + run_id + "/artifacts", admin).body;
  for (const char* a : {"roc_curve.json", "pr_curve.json", "scorecard.json", "iv_report.json",
                        "feature_importance.json", "confusion_matrix.json", "model/manifest.json",
                        "model/pipeline.json", "model/model.json"}) {
    EXPECT_THAT(artifacts, HasSubstr(a));
  }
  EXPECT_TRUE(std::filesystem::exists(job["result"]["model_dir"].get<std::string>() + "/manifest.json"));

  // A bad config: 400 with the JSON path, nothing queued.
  auto config = ParseJson(*ReadFile(examples + "model_config.json"));
  ASSERT_OK(config);
  Json bad = *config;
  bad["split"]["test_fraction"] = 1.5;
  api::HttpResponse b = Http("POST", "/api/v1/training-jobs", admin, DumpJson(bad));
  EXPECT_EQ(b.status, 400);
  EXPECT_THAT(b.body, HasSubstr("split.test_fraction: expected a number in (0, 1), got 1.5"));
  // A viewer of credit/* may read but not train.
  ASSERT_EQ(Http("POST", "/api/v1/users", admin, R"({"name":"vic","role":"viewer","scope":"credit/*"})").status, 201);
  const std::string vic = Body(Http("POST", "/api/v1/users/vic/tokens", admin, "{}"))["token"];
  EXPECT_EQ(Http("POST", "/api/v1/training-jobs", vic, DumpJson(*config)).status, 403);
  EXPECT_EQ(Http("POST", "/api/v1/training-jobs/" + job_id + "/retry", vic, "{}").status, 403);
  EXPECT_EQ(Http("GET", "/api/v1/training-jobs/" + job_id, vic).status, 200);
  EXPECT_EQ(Http("GET", "/api/v1/training-jobs/nope", admin).status, 404);
  // Retry: a new job with the same config; cancelling a finished job is 409.
  api::HttpResponse retry = Http("POST", "/api/v1/training-jobs/" + job_id + "/retry", admin, "{}");
  ASSERT_EQ(retry.status, 202) << retry.body;
  EXPECT_NE(Body(retry)["id"], job_id);
  EXPECT_EQ(Http("POST", "/api/v1/training-jobs/" + job_id + "/cancel", admin, "{}").status, 409);
  r = Cli({"train", "status", job_id, "--server", server_->url(), "--token", admin});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("succeeded"));
}

// The registry over REST: a trained run registered as versions, aliases with history, a bundle
// downloaded as a tar archive (GNU tar lists it) and uploaded again as a new version, the
// deletion rules, and who may do what.
TEST_P(ServerTest, RegistryVersionsAliasesAndBundlesOverRest) {
  Start();
  const std::string admin = AdminToken();
  const std::string examples = std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/";
  CliResult r = Cli({"lake", "ingest", examples + "german_credit.csv", "--dataset", "credit/german_credit",
                     "--server", server_->url(), "--token", admin});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Cli({"train", "-f", examples + "model_config.json", "--server", server_->url(), "--token", admin});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string run_id = r.out.substr(4, r.out.find(' ', 4) - 4);

  api::HttpResponse created = Http("POST", "/api/v1/models", admin,
                                   R"({"name":"credit-scorer","description":"PD scorecard","tags":{"team":"risk"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Http("POST", "/api/v1/models", admin, R"({"name":"credit-scorer"})").status, 409);
  EXPECT_EQ(Http("POST", "/api/v1/models", admin, R"({"name":"Credit Scorer"})").status, 400);
  for (int i = 1; i <= 2; ++i) {
    api::HttpResponse v = Http("POST", "/api/v1/models/credit-scorer/versions", admin,
                               DumpJson(Json{{"run_id", run_id}, {"description", StrCat("take ", i)}}));
    ASSERT_EQ(v.status, 201) << v.body;
    EXPECT_EQ(Body(v)["version"], i);
    EXPECT_EQ(Body(v)["status"], "ready");
    EXPECT_EQ(Body(v)["flavor"], "logistic");
  }
  EXPECT_EQ(Http("POST", "/api/v1/models/credit-scorer/versions", admin, R"({"run_id":"nope"})").status, 404);
  EXPECT_EQ(Http("GET", "/api/v1/models/credit-scorer/versions/x", admin).status, 400);
  EXPECT_EQ(Http("GET", "/api/v1/models/credit-scorer/versions/9", admin).status, 404);

  // Aliases: set, move (previous version answered), read, history. ("production" is protected:
  // it moves only through an approved promotion, below.)
  EXPECT_EQ(Http("PUT", "/api/v1/models/credit-scorer/aliases/production", admin, R"({"version":1})").status, 409);
  api::HttpResponse a = Http("PUT", "/api/v1/models/credit-scorer/aliases/champion", admin,
                             R"({"version":1,"comment":"first release"})");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(Body(a)["previous_version"], -1);
  a = Http("PUT", "/api/v1/models/credit-scorer/aliases/champion", admin, R"({"version":2})");
  EXPECT_EQ(Body(a)["previous_version"], 1);
  EXPECT_EQ(Body(Http("GET", "/api/v1/models/credit-scorer/aliases/champion", admin))["version"], 2);
  EXPECT_EQ(Http("PUT", "/api/v1/models/credit-scorer/aliases/latest", admin, R"({"version":2})").status, 400);
  Json history = Body(Http("GET", "/api/v1/models/credit-scorer/alias-history?alias=champion", admin));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["comment"], "first release");
  EXPECT_EQ(history[1]["previous_version"], 1);
  Json model = Body(Http("GET", "/api/v1/models/credit-scorer", admin));
  EXPECT_EQ(model["aliases"]["champion"], 2);
  EXPECT_EQ(model["latest_version"], 2);
  EXPECT_EQ(model["tags"]["team"], "risk");

  // A version behind an alias, or a model with aliases, cannot be deleted.
  api::HttpResponse del = Http("DELETE", "/api/v1/models/credit-scorer/versions/2", admin);
  EXPECT_EQ(del.status, 409);
  EXPECT_THAT(del.body, HasSubstr("champion"));
  EXPECT_EQ(Http("DELETE", "/api/v1/models/credit-scorer", admin).status, 409);
  EXPECT_EQ(Http("DELETE", "/api/v1/models/credit-scorer/versions/1", admin).status, 200);

  // The bundle: a tar archive GNU tar can list, uploaded again as a version of another model.
  api::HttpResponse bundle = Http("GET", "/api/v1/models/credit-scorer/versions/2/bundle", admin);
  ASSERT_EQ(bundle.status, 200) << bundle.body;
  EXPECT_EQ(bundle.content_type, "application/x-tar");
  const std::string tar_path = (dir_ / "bundle.tar").string();
  ASSERT_OK(WriteFileAtomically(tar_path, bundle.body));
  std::string listing;
  if (FILE* p = ::popen(StrCat("tar -tf '", tar_path, "'").c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) listing.append(buf, n);
    EXPECT_EQ(::pclose(p), 0);
  }
  for (const char* f : {"manifest.json", "pipeline.json", "model.json", "metrics.json", "scorecard.json"}) {
    EXPECT_THAT(listing, HasSubstr(f));
  }
  ASSERT_EQ(Http("POST", "/api/v1/models", admin, R"({"name":"imported"})").status, 201);
  api::HttpResponse up = Http("POST", "/api/v1/models/imported/versions/upload?description=copied", admin, bundle.body);
  ASSERT_EQ(up.status, 201) << up.body;
  EXPECT_EQ(Body(up)["source"], "upload");
  EXPECT_EQ(Body(up)["description"], "copied");
  EXPECT_EQ(Http("GET", "/api/v1/models/imported/versions/1/bundle", admin).body, bundle.body);
  // A damaged upload (one byte of a file changed, so its checksum fails) is refused.
  std::string damaged = bundle.body;
  const size_t at = damaged.find("\"points\"");
  ASSERT_NE(at, std::string::npos);
  damaged[at + 2] ^= 1;
  api::HttpResponse bad = Http("POST", "/api/v1/models/imported/versions/upload", admin, damaged);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr("does not match its sha256"));
  EXPECT_EQ(Http("POST", "/api/v1/models/imported/versions/upload", admin, "not a tar").status, 400);

  // Roles: a viewer reads, cannot register or move aliases; a data scientist registers but
  // cannot move aliases; an ML engineer moves them.
  auto token_for = [&](const std::string& user, const std::string& role) {
    EXPECT_EQ(Http("POST", "/api/v1/users", admin,
                   DumpJson(Json{{"name", user}, {"role", role}, {"scope", "models/*"}})).status, 201);
    return Body(Http("POST", "/api/v1/users/" + user + "/tokens", admin, "{}"))["token"].get<std::string>();
  };
  const std::string vic = token_for("vic", "viewer"), dana = token_for("dana", "data_scientist"),
                    mel = token_for("mel", "ml_engineer");
  EXPECT_EQ(Http("GET", "/api/v1/models/credit-scorer", vic).status, 200);
  EXPECT_EQ(Body(Http("GET", "/api/v1/models", vic)).size(), 2u);
  EXPECT_EQ(Http("POST", "/api/v1/models", vic, R"({"name":"x"})").status, 403);
  EXPECT_EQ(Http("POST", "/api/v1/models", dana, R"({"name":"x"})").status, 201);
  EXPECT_EQ(Http("PUT", "/api/v1/models/credit-scorer/aliases/staging", dana, R"({"version":2})").status, 403);
  EXPECT_EQ(Http("PUT", "/api/v1/models/credit-scorer/aliases/staging", mel, R"({"version":2})").status, 200);
  EXPECT_EQ(Http("DELETE", "/api/v1/models/credit-scorer/aliases/staging", vic).status, 403);
  EXPECT_EQ(Http("DELETE", "/api/v1/models/credit-scorer/aliases/staging", mel).status, 200);

  // Governance: an approver sets the gates; the ML engineer's request fails them with a report
  // naming each gate and its numbers; once the card is filled in the request is pending until
  // someone else approves it (four eyes), and only then does production move.
  const std::string amy = token_for("amy", "approver");
  const std::string policy = R"({"metrics":{"auc":{"min":0.99}},"required_card_fields":["intended_use"]})";
  EXPECT_EQ(Http("PUT", "/api/v1/models/credit-scorer/policy", mel, policy).status, 403);
  ASSERT_EQ(Http("PUT", "/api/v1/models/credit-scorer/policy", amy, policy).status, 200);
  api::HttpResponse refused = Http("POST", "/api/v1/models/credit-scorer/promotions", mel,
                                   R"({"version":2,"alias":"production","comment":"go live"})");
  ASSERT_EQ(refused.status, 409) << refused.body;
  const Json report = Body(refused)["gate_report"];
  EXPECT_EQ(report["failed"], Json({"auc >= 0.99", "intended_use"}));
  EXPECT_GT(report["gates"][0]["actual"].get<double>(), 0.7);
  EXPECT_THAT(Body(refused)["error"].get<std::string>(), HasSubstr("auc >= 0.99: actual 0.7"));
  ASSERT_EQ(Http("PUT", "/api/v1/models/credit-scorer/policy", amy,
                 R"({"metrics":{"auc":{"min":0.75}},"max_fairness_gap":{"gap":"auc","max":0.5},"required_card_fields":["intended_use"]})")
                .status, 200);
  EXPECT_EQ(Http("PATCH", "/api/v1/models/credit-scorer/versions/2/card", dana, R"({"auc":1})").status, 400);
  ASSERT_EQ(Http("PATCH", "/api/v1/models/credit-scorer/versions/2/card", dana,
                 R"({"intended_use":"Pre-screening of consumer loan applications","risk_rating":"high"})").status, 200);
  Json gates = Body(Http("GET", "/api/v1/models/credit-scorer/versions/2/gates?alias=production", vic));
  EXPECT_TRUE(gates["passed"].get<bool>()) << gates;
  api::HttpResponse requested = Http("POST", "/api/v1/models/credit-scorer/promotions", mel,
                                     R"({"version":2,"alias":"production","comment":"go live"})");
  ASSERT_EQ(requested.status, 201) << requested.body;
  const std::string promotion = Body(requested)["id"];
  EXPECT_EQ(Body(requested)["state"], "pending");
  EXPECT_EQ(Http("GET", "/api/v1/models/credit-scorer/aliases/production", vic).status, 404);
  EXPECT_EQ(Http("POST", "/api/v1/models/credit-scorer/promotions/" + promotion + "/approve", mel, "{}").status, 403);
  EXPECT_EQ(Http("POST", "/api/v1/models/credit-scorer/promotions/" + promotion + "/approve", dana, "{}").status, 403);
  api::HttpResponse approved = Http("POST", "/api/v1/models/credit-scorer/promotions/" + promotion + "/approve", amy,
                                    R"({"comment":"card and gates checked"})");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(Body(approved)["state"], "approved");
  EXPECT_EQ(Body(approved)["decided_by"], "amy");
  EXPECT_EQ(Body(Http("GET", "/api/v1/models/credit-scorer/aliases/production", vic))["version"], 2);
  EXPECT_EQ(Http("POST", "/api/v1/models/credit-scorer/promotions/" + promotion + "/approve", amy, "{}").status, 409);
  // An approver cannot request; the admin can do both, but never on its own request.
  EXPECT_EQ(Http("POST", "/api/v1/models/credit-scorer/promotions", amy, R"({"version":2,"alias":"production"})").status, 403);
  api::HttpResponse self = Http("POST", "/api/v1/models/credit-scorer/promotions", admin,
                                R"({"version":2,"alias":"production"})");
  ASSERT_EQ(self.status, 201) << self.body;
  api::HttpResponse self_approve =
      Http("POST", "/api/v1/models/credit-scorer/promotions/" + Body(self)["id"].get<std::string>() + "/approve", admin, "{}");
  EXPECT_EQ(self_approve.status, 403);
  EXPECT_THAT(self_approve.body, HasSubstr("four eyes"));

  // The card as Markdown, global importance and per-row explanations.
  api::HttpResponse md = Http("GET", "/api/v1/models/credit-scorer/versions/2/card?format=markdown", vic);
  ASSERT_EQ(md.status, 200);
  EXPECT_THAT(md.content_type, HasSubstr("text/markdown"));
  EXPECT_THAT(md.body, HasSubstr("Pre-screening of consumer loan applications"));
  EXPECT_THAT(md.body, HasSubstr("95% interval"));
  Json importance = Body(Http("GET", "/api/v1/models/credit-scorer/versions/2/importance", vic));
  EXPECT_EQ(importance["model_kind"], "coefficient");
  EXPECT_EQ(importance["permutation"]["columns"].size(), 17u);
  const std::string applicant = R"({"rows":[{"checking_status":"<0","duration":24,"credit_history":"existing paid",)"
                                R"("purpose":"radio/tv","credit_amount":2500,"savings_status":"<100","employment":"1<=X<4",)"
                                R"("installment_commitment":4,"other_parties":"none","residence_since":2,)"
                                R"("property_magnitude":"car","other_payment_plans":"none","housing":"own",)"
                                R"("existing_credits":1,"job":"skilled","num_dependents":1,"own_telephone":"none"}],"top_k":3})";
  api::HttpResponse explained = Http("POST", "/api/v1/models/credit-scorer/versions/2/explain", vic, applicant);
  ASSERT_EQ(explained.status, 200) << explained.body;
  const Json e = Body(explained)["explanations"][0];
  EXPECT_EQ(e["contributions"].size(), 3u);
  EXPECT_EQ(e["points"].size(), 17u);
  double points = e["base_points"].get<double>();
  for (const Json& p : e["points"]) points += p["points"].get<double>();
  EXPECT_NEAR(points, e["credit_score"].get<double>(), 1e-6);
  api::HttpResponse bad_row = Http("POST", "/api/v1/models/credit-scorer/versions/2/explain", vic,
                                   R"({"rows":[{"duration":"long"}]})");
  EXPECT_EQ(bad_row.status, 400);
  EXPECT_THAT(bad_row.body, HasSubstr("body.rows[0].duration: expected"));

  // Lineage: the version → its run → german_credit version 0 → the ingested file; and back.
  Json lineage = Body(Http("GET", "/api/v1/models/credit-scorer/versions/2/lineage", vic));
  EXPECT_EQ(lineage["run"]["id"], run_id);
  ASSERT_EQ(lineage["datasets"].size(), 1u) << lineage;
  EXPECT_EQ(lineage["datasets"][0]["dataset"], "credit/german_credit");
  EXPECT_EQ(lineage["datasets"][0]["version"], 0);
  ASSERT_EQ(lineage["datasets"][0]["provenance"].size(), 1u);
  EXPECT_EQ(lineage["datasets"][0]["provenance"][0]["detail"]["source"]["file"], "german_credit.csv");
  EXPECT_EQ(lineage["datasets"][0]["provenance"][0]["detail"]["source"]["sha256"].get<std::string>().size(), 64u);
  Json trained_on = Body(Http("GET", "/api/v1/lake/datasets/credit/german_credit/models?version=0", admin));
  ASSERT_EQ(trained_on.size(), 1u) << trained_on;  // version 1 was deleted; the upload has no run here
  EXPECT_EQ(trained_on[0]["name"], "credit-scorer");
  EXPECT_EQ(trained_on[0]["version"], 2);
  EXPECT_EQ(Http("GET", "/api/v1/lake/datasets/credit/german_credit/models?version=x", admin).status, 400);

  // Every governance step is in the audit log.
  const std::string audit = Http("GET", "/api/v1/audit?limit=500", admin).body;
  for (const char* action : {"model.policy.set", "model.promotion.request", "model.promotion.approve", "model.card.update"}) {
    EXPECT_THAT(audit, HasSubstr(action));
  }
}

// Serving over the Open Inference Protocol and MLflow's formats: a deployment follows its
// alias, answers with the real signature, scores applicants given as one tensor per column,
// explains them, rolls back in one call, and obeys tokens and roles.
TEST_P(ServerTest, DeploymentsServeTheOpenInferenceProtocol) {
  Start();
  const std::string admin = AdminToken();
  const std::string examples = std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/";
  ASSERT_EQ(Cli({"lake", "ingest", examples + "german_credit.csv", "--dataset", "credit/german_credit", "--server",
                 server_->url(), "--token", admin}).exit_code, 0);
  CliResult r = Cli({"train", "-f", examples + "model_config.json", "--server", server_->url(), "--token", admin});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string run_id = r.out.substr(4, r.out.find(' ', 4) - 4);
  ASSERT_EQ(Http("POST", "/api/v1/models", admin, R"({"name":"scorer"})").status, 201);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Http("POST", "/api/v1/models/scorer/versions", admin, DumpJson(Json{{"run_id", run_id}})).status, 201);
  }
  ASSERT_EQ(Http("PUT", "/api/v1/models/scorer/aliases/live", admin, R"({"version":1})").status, 200);

  // Health before and after the first deployment.
  EXPECT_EQ(Http("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(Http("GET", "/v2/health/ready").status, 200);  // nothing to load
  api::HttpResponse created = Http("POST", "/api/v1/deployments", admin,
                                   R"({"name":"credit","model":"scorer","alias":"live","max_concurrency":8})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Body(created)["status"]["serving_version"], 1);
  EXPECT_EQ(Body(created)["status"]["state"], "ready");
  EXPECT_EQ(Http("POST", "/api/v1/deployments", admin, R"({"name":"credit","model":"scorer","alias":"live"})").status, 409);
  EXPECT_EQ(Http("POST", "/api/v1/deployments", admin, R"({"name":"x","model":"scorer"})").status, 400);
  EXPECT_EQ(Http("GET", "/v2/health/ready").status, 200);
  Json server_meta = Body(Http("GET", "/v2", admin));
  EXPECT_EQ(server_meta["name"], "lepton");
  EXPECT_TRUE(server_meta["extensions"].is_array());

  // Metadata: the real input signature (17 columns, strings as BYTES) and the outputs.
  Json meta = Body(Http("GET", "/v2/models/credit", admin));
  EXPECT_EQ(meta["versions"], Json({"1"}));
  EXPECT_EQ(meta["platform"], "lepton_logistic");
  ASSERT_EQ(meta["inputs"].size(), 17u);
  EXPECT_EQ(meta["inputs"][0], Json::parse(R"({"name":"checking_status","datatype":"BYTES","shape":[-1]})"));
  std::vector<std::string> outputs;
  for (const Json& o : meta["outputs"]) outputs.push_back(o["name"]);
  EXPECT_EQ(outputs, (std::vector<std::string>{"score", "label", "credit_score", "contributions", "points"}));
  EXPECT_EQ(Http("GET", "/v2/models/credit/ready", admin).status, 200);
  EXPECT_EQ(Http("GET", "/v2/models/credit/versions/1/ready", admin).status, 200);
  EXPECT_EQ(Http("GET", "/v2/models/credit/versions/2/ready", admin).status, 404);
  EXPECT_EQ(Http("GET", "/v2/models/nope", admin).status, 404);

  // Inference: two applicants, one tensor per column, built from the metadata.
  const Json applicants = Json::parse(R"([
    {"checking_status":"<0","duration":48,"credit_history":"existing paid","purpose":"radio/tv","credit_amount":5951,
     "savings_status":"<100","employment":"1<=X<4","installment_commitment":2,"other_parties":"none","residence_since":2,
     "property_magnitude":"real estate","other_payment_plans":"none","housing":"own","existing_credits":1,
     "job":"skilled","num_dependents":1,"own_telephone":"none"},
    {"checking_status":"no checking","duration":12,"credit_history":"critical/other existing credit","purpose":"education",
     "credit_amount":2096,"savings_status":"<100","employment":"4<=X<7","installment_commitment":2,"other_parties":"none",
     "residence_since":3,"property_magnitude":"real estate","other_payment_plans":"none","housing":"own",
     "existing_credits":1,"job":"unskilled resident","num_dependents":2,"own_telephone":"none"}])");
  Json inputs = Json::array();
  for (const Json& in : meta["inputs"]) {
    Json data = Json::array();
    for (const Json& a : applicants) data.push_back(a[in["name"].get<std::string>()]);
    inputs.push_back({{"name", in["name"]}, {"shape", {2}}, {"datatype", in["datatype"]}, {"data", data}});
  }
  api::HttpResponse inferred = Http("POST", "/v2/models/credit/infer", admin,
                                    DumpJson(Json{{"id", "req-7"}, {"inputs", inputs},
                                                  {"parameters", {{"contributions", true}}}}));
  ASSERT_EQ(inferred.status, 200) << inferred.body;
  Json out = Body(inferred);
  EXPECT_EQ(out["id"], "req-7");
  EXPECT_EQ(out["model_name"], "credit");
  EXPECT_EQ(out["model_version"], "1");
  std::map<std::string, Json> by_name;
  for (const Json& o : out["outputs"]) by_name[o["name"].get<std::string>()] = o;
  ASSERT_TRUE(by_name.contains("score") && by_name.contains("label") && by_name.contains("credit_score") &&
              by_name.contains("contributions") && by_name.contains("points"));
  const double risky = by_name["score"]["data"][0], safe = by_name["score"]["data"][1];
  EXPECT_GT(risky, safe);  // no checking account and critical history score better here
  EXPECT_EQ(by_name["contributions"]["shape"], Json({2, 18}));
  double points = by_name["points"]["parameters"]["base_points"];
  for (int k = 0; k < 17; ++k) points += by_name["points"]["data"][k].get<double>();
  EXPECT_NEAR(points, by_name["credit_score"]["data"][0].get<double>(), 1e-6);

  // The answer is in the prediction log (written asynchronously, a JSON line per request).
  std::string logged;
  for (int i = 0; i < 100 && logged.find("req-7") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(home_ + "/logs/predictions/credit", ec)) {
      logged = *ReadFile(f.path().string());
    }
  }
  ASSERT_THAT(logged, HasSubstr("\"id\":\"req-7\""));
  const Json line = *ParseJson(logged.substr(0, logged.find('\n')));
  EXPECT_EQ(line["version"], 1);
  EXPECT_EQ(line["rows"].size(), 2u);
  EXPECT_EQ(line["rows"][0]["duration"], 48);
  EXPECT_EQ(line["scores"].size(), 2u);

  // Drift of the logged traffic against the training reference: two applicants is little data,
  // but every column and the score get a PSI and a level.
  Json drift = Body(Http("GET", "/api/v1/deployments/credit/drift?requests=50", admin));
  EXPECT_EQ(drift["version"], 1);
  EXPECT_EQ(drift["rows"], 2);
  EXPECT_EQ(drift["columns"].size(), 17u) << drift;
  EXPECT_TRUE(drift["columns"]["duration"]["psi"].is_number());
  EXPECT_TRUE(drift["columns"]["duration"].contains("ks_p_value"));
  EXPECT_TRUE(drift["score"]["psi"].is_number());
  EXPECT_EQ(Http("GET", "/api/v1/deployments/credit/drift?requests=x", admin).status, 400);
  Json drift_history = Body(Http("GET", "/api/v1/deployments/credit/drift/history", admin));
  ASSERT_EQ(drift_history.size(), 1u);  // the on-demand check above, kept
  EXPECT_EQ(drift_history[0]["computed_at"], drift["computed_at"]);

  // The same applicants through the registry's explain endpoint and MLflow's formats agree.
  api::HttpResponse mlflow = Http("POST", "/api/v1/deployments/credit/invocations", admin,
                                  DumpJson(Json{{"dataframe_records", applicants}}));
  ASSERT_EQ(mlflow.status, 200) << mlflow.body;
  EXPECT_DOUBLE_EQ(Body(mlflow)["predictions"][0]["score"].get<double>(), risky);
  EXPECT_DOUBLE_EQ(Body(mlflow)["predictions"][1]["score"].get<double>(), safe);

  // Bad requests: 400 with {"error"} naming the input; unknown deployment 404.
  api::HttpResponse missing = Http("POST", "/v2/models/credit/infer", admin,
                                   R"({"inputs":[{"name":"duration","shape":[1],"datatype":"INT64","data":[12]}]})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(Body(missing)["error"].get<std::string>(), HasSubstr("input \"checking_status\" is missing"));
  Json wrong = inputs;
  for (Json& t : wrong) {
    if (t["name"] == "duration") {
      t["datatype"] = "BYTES";
      t["data"] = {"long", "short"};
    }
  }
  api::HttpResponse bad = Http("POST", "/v2/models/credit/infer", admin, DumpJson(Json{{"inputs", wrong}}));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(Body(bad)["error"].get<std::string>(), HasSubstr("(\"duration\").datatype: BYTES does not fit"));
  EXPECT_EQ(Http("POST", "/v2/models/nope/infer", admin, R"({"inputs":[]})").status, 404);
  EXPECT_EQ(Http("POST", "/v2/models/credit/infer", admin, "not json").status, 400);

  // Moving the alias switches the deployment (refresh now rather than wait for the watcher).
  ASSERT_EQ(Http("PUT", "/api/v1/models/scorer/aliases/live", admin, R"({"version":2})").status, 200);
  Json refreshed = Body(Http("POST", "/api/v1/deployments/credit/refresh", admin, "{}"));
  EXPECT_EQ(refreshed["status"]["serving_version"], 2);
  EXPECT_EQ(Body(Http("GET", "/v2/models/credit", admin))["versions"], Json({"2"}));
  Json rolled = Body(Http("POST", "/api/v1/deployments/credit/rollback", admin, "{}"));
  EXPECT_EQ(rolled["version"], 1);
  EXPECT_EQ(rolled["status"]["serving_version"], 1);
  EXPECT_EQ(rolled["revision"], 2);

  // Canary and shadow: all traffic to the canary (100 %), a shadow that only compares.
  api::HttpResponse split = Http("PUT", "/api/v1/deployments/credit", admin,
                                 R"({"model":"scorer","version":1,"canary":{"version":2,"percent":100},"shadow":{"version":2}})");
  ASSERT_EQ(split.status, 200) << split.body;
  EXPECT_EQ(Body(split)["status"]["canary_version"], 2);
  api::HttpResponse via_canary = Http("POST", "/v2/models/credit/infer", admin, DumpJson(Json{{"inputs", inputs}}));
  ASSERT_EQ(via_canary.status, 200);
  EXPECT_EQ(Body(via_canary)["model_version"], "2");
  Json shadowed;
  for (int i = 0; i < 100; ++i) {
    shadowed = Body(Http("GET", "/api/v1/deployments/credit", admin))["status"]["shadow"];
    if (shadowed["compared"].get<int64_t>() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(shadowed["compared"], 1);
  EXPECT_EQ(shadowed["rows"], 2);
  EXPECT_EQ(shadowed["label_agreement"], 1.0);  // the same bundle twice: identical answers
  ASSERT_EQ(Http("PUT", "/api/v1/deployments/credit", admin, R"({"model":"scorer","version":1})").status, 200);

  // Tokens and roles: no token 401; a viewer may read metadata but not infer; an ML engineer may.
  EXPECT_EQ(Http("POST", "/v2/models/credit/infer", "", DumpJson(Json{{"inputs", inputs}})).status, 401);
  ASSERT_EQ(Http("POST", "/api/v1/users", admin, R"({"name":"vic","role":"viewer","scope":"models/*"})").status, 201);
  ASSERT_EQ(Http("POST", "/api/v1/users", admin, R"({"name":"mel","role":"ml_engineer","scope":"models/*"})").status, 201);
  const std::string vic = Body(Http("POST", "/api/v1/users/vic/tokens", admin, "{}"))["token"];
  const std::string mel = Body(Http("POST", "/api/v1/users/mel/tokens", admin, "{}"))["token"];
  EXPECT_EQ(Http("GET", "/v2/models/credit", vic).status, 200);
  EXPECT_EQ(Http("POST", "/v2/models/credit/infer", vic, DumpJson(Json{{"inputs", inputs}})).status, 403);
  EXPECT_EQ(Http("POST", "/v2/models/credit/infer", mel, DumpJson(Json{{"inputs", inputs}})).status, 200);
  EXPECT_EQ(Http("POST", "/api/v1/deployments/credit/rollback", vic, "{}").status, 403);
  // Successful inference is not in the audit log (denied calls and deployment changes are).
  const Json audit = Body(Http("GET", "/api/v1/audit?limit=1000", admin));
  const Json& entries = audit.is_array() ? audit : audit["entries"];
  int rollbacks = 0, infer_ok = 0, infer_denied = 0;
  for (const Json& e : entries) {
    const std::string action = e.value("action", "");
    const std::string outcome = e.value("outcome", "");
    rollbacks += action == "deployment.rollback" && outcome == "ok";
    infer_ok += action == "v2.model.infer" && outcome == "ok";
    infer_denied += action == "v2.model.infer" && outcome == "denied";
  }
  EXPECT_EQ(rollbacks, 1) << audit.dump().substr(0, 500);
  EXPECT_EQ(infer_ok, 0);
  EXPECT_EQ(infer_denied, 1);

  // GET /metrics without a token: inference by deployment, version and code, latency
  // histograms, deployment gauges, process, lake and job metrics — valid for promtool.
  api::HttpResponse m = Http("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_THAT(m.content_type, HasSubstr("text/plain; version=0.0.4"));
  for (const char* want : {"lepton_inference_requests_total{deployment=\"credit\",version=\"2\",code=\"200\"} 1",
                           "lepton_inference_requests_total{deployment=\"credit\",version=\"1\",code=\"400\"} 3",
                           "lepton_inference_requests_total{deployment=\"credit\",version=\"1\",code=\"403\"} 1",
                           "lepton_inference_request_seconds_bucket{deployment=\"credit\",version=\"1\",le=\"+Inf\"}",
                           "lepton_inference_batch_rows_bucket{deployment=\"credit\",le=\"2\"}",
                           "lepton_deployment_serving_version{deployment=\"credit\"} 1",
                           "lepton_deployment_model_load_seconds{deployment=\"credit\"}",
                           "lepton_lake_datasets{namespace=\"credit\"} 1", "lepton_jobs{state=\"succeeded\"} ",
                           "process_resident_memory_bytes ", "process_open_fds "}) {
    EXPECT_THAT(m.body, HasSubstr(want));
  }
  EXPECT_THAT(m.body, ::testing::Not(HasSubstr("deployment=\"nope\"")));  // unknown names make no series
  const std::string metrics_file = (dir_ / "metrics.txt").string();
  ASSERT_OK(WriteFileAtomically(metrics_file, m.body));
  EXPECT_EQ(std::system(StrCat("/usr/bin/promtool check metrics < ", metrics_file).c_str()), 0) << m.body;
  // The Grafana dashboard in deploy/ only queries metrics this scrape has.
  EXPECT_EQ(std::system(StrCat("/usr/bin/python3 ", LEPTON_SOURCE_DIR, "/tools/check_dashboard.py ", LEPTON_SOURCE_DIR,
                               "/deploy/grafana-dashboard.json ", metrics_file).c_str()),
            0);
}

INSTANTIATE_TEST_SUITE_P(Stores, ServerTest, ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// CLI behaviour that needs no server.
TEST(CliTest, BadUsageIsOneLineAndExitCode2) {
  CliResult r = RunLepton({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lepton: error: unknown command 'frobnicate' (see lepton --help)\n");
  r = RunLepton({"server", "--listen", "nohost"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("flag --listen: expected HOST:PORT, got 'nohost'"));
  r = RunLepton({"server", "--colour", "red"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lepton: error: unknown flag --colour (see --help)\n");
  r = RunLepton({"user", "create"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliTest, EveryCommandHasHelp) {
  for (const char* cmd : {"server", "login", "logout", "whoami", "user", "token", "grant", "roles", "audit",
                          "lake", "train", "models"}) {
    CliResult r = RunLepton({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd << r.err;
    EXPECT_THAT(r.out, HasSubstr("usage: lepton " + std::string(cmd))) << cmd;
  }
  CliResult r = RunLepton({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("Commands:"));
}

TEST(CliTest, UnreachableServerIsOneReadableLine) {
  CliResult r = RunLepton({"whoami", "--server", "http://127.0.0.1:1", "--token", "lep_x"},
                          {{"LEPTON_CLI_CONFIG", "/nonexistent/config"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("lepton: error: connecting to http://127.0.0.1:1"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(CliTest, StartingOnABusyPortFailsClearly) {
  ServerProcess first({"--home", (std::filesystem::temp_directory_path() /
                                  StrCat("lepton_it_busy_", ::getpid())).string()});
  ASSERT_FALSE(first.url().empty()) << first.startup_output();
  CliResult r = RunLepton({"server", "--home",
                           (std::filesystem::temp_directory_path() /
                            StrCat("lepton_it_busy2_", ::getpid())).string(),
                           "--listen", StrCat("127.0.0.1:", first.port())});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot listen on 127.0.0.1:"));
}

}  // namespace
}  // namespace lepton

namespace lepton {
namespace {

// The lake over REST and the CLI, with the roles the issue names: data_engineer writes,
// data_scientist reads, viewer lists; every mutation is audited.
TEST_P(ServerTest, LakeRolesIngestScanAndAudit) {
  Start();
  const std::string admin = AdminToken();
  auto token_for = [&](const std::string& user, const std::string& role, const std::string& scope) {
    EXPECT_EQ(Http("POST", "/api/v1/users", admin,
                   DumpJson({{"name", user}, {"role", role}, {"scope", scope}})).status, 201);
    return Body(Http("POST", "/api/v1/users/" + user + "/tokens", admin, "{}"))["token"].get<std::string>();
  };
  const std::string eng = token_for("eng", "data_engineer", "credit/*");
  const std::string sci = token_for("sci", "data_scientist", "credit/*");
  const std::string other = token_for("oth", "data_engineer", "fraud/*");
  const std::string csv = std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/german_credit.csv";

  CliResult r = Cli({"lake", "ingest", csv, "--dataset", "credit/german_credit", "--server",
                     server_->url(), "--token", eng});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ingested 1000 rows into credit/german_credit version 0"));
  r = Cli({"lake", "ingest", csv, "--dataset", "credit/other", "--server", server_->url(), "--token", sci});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("may not dataset.write on 'credit/other' (HTTP 403"));
  r = Cli({"lake", "scan", "credit/german_credit", "--columns", "age,class", "--where", "age >= 70",
           "--format", "csv", "--server", server_->url(), "--token", sci});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "age,class\r\n70,good\r\n74,bad\r\n75,good\r\n74,good\r\n75,good\r\n74,good\r\n"
                   "74,good\r\n");
  // Without --limit, csv streams every row and the table shows a screenful and says so.
  r = Cli({"lake", "scan", "credit/german_credit", "--columns", "age", "--format", "csv",
           "--server", server_->url(), "--token", sci});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1001);
  r = Cli({"lake", "scan", "credit/german_credit", "--columns", "age", "--server", server_->url(),
           "--token", sci});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("100 rows (version 0); more match: pass --limit N"));
  r = Cli({"lake", "scan", "credit/german_credit", "--limit", "-3", "--server", server_->url(),
           "--token", sci});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--limit: expected a number >= 0"));
  // Listings show only what the caller may read.
  EXPECT_EQ(Body(Http("GET", "/api/v1/lake/datasets", other)).size(), 0u);
  EXPECT_EQ(Body(Http("GET", "/api/v1/lake/datasets", sci)).size(), 1u);
  EXPECT_EQ(Http("POST", "/api/v1/lake/datasets/credit/german_credit/scan", other, "{}").status, 403);
  // Bad rows: the default policy names file, line, column and reason and commits nothing.
  api::HttpResponse bad = Http("POST", "/api/v1/lake/datasets/credit/bad/ingest?source=b.csv", eng,
                               "id,n\n1,2\n2,3\n3,x\n");
  EXPECT_EQ(bad.status, 201) << bad.body;  // "x" is in the inference sample: n is a string column
  Json versions = Body(Http("GET", "/api/v1/lake/datasets/credit/german_credit/versions", sci));
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0]["operation"], "WRITE");
  Json lineage = Body(Http("GET", "/api/v1/lake/datasets/credit/german_credit/lineage", sci));
  EXPECT_EQ(lineage[0]["detail"]["source"]["file"], "german_credit.csv");
  EXPECT_EQ(lineage[0]["detail"]["source"]["sha256"].get<std::string>().size(), 64u);
  // Bad scan requests are 400s naming the problem.
  api::HttpResponse s = Http("POST", "/api/v1/lake/datasets/credit/german_credit/scan", sci,
                             R"({"where":[{"column":"age","op":"~","value":1}]})");
  EXPECT_EQ(s.status, 400);
  EXPECT_THAT(Body(s)["error"].get<std::string>(), HasSubstr("body.where[0].op"));
  // The ingest and the denied write are in the audit log.
  Json audit = Body(Http("GET", "/api/v1/audit?action=lake.dataset.ingest&limit=100", admin));
  int ok = 0, denied = 0;
  for (const Json& e : audit) {
    if (e["outcome"] == "ok") ++ok;
    if (e["outcome"] == "denied") ++denied;
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(denied, 1);
}

}  // namespace
}  // namespace lepton

namespace lepton {
namespace {

TEST_P(ServerTest, LakeProfileAndCleanOverRest) {
  Start();
  const std::string admin = AdminToken();
  ASSERT_EQ(Http("POST", "/api/v1/lake/datasets/hr/people/ingest?source=p.csv", admin,
                 "id,age,name\n1,30,  Ada \n2,,bob\n2,,bob\n3,200,cy\n").status, 201);
  api::HttpResponse p = Http("GET", "/api/v1/lake/datasets/hr/people/profile", admin);
  ASSERT_EQ(p.status, 200) << p.body;
  Json profile = Body(p);
  EXPECT_EQ(profile["rows"], 4);
  EXPECT_EQ(profile["duplicate_rows"], 1);
  api::HttpResponse table = Http("GET", "/api/v1/lake/datasets/hr/people/profile?format=table", admin);
  EXPECT_THAT(table.body, HasSubstr("age"));
  const std::string plan = R"({"rules": [{"dedup": {}},
      {"strings": {"columns": ["name"], "trim": true, "case": "lower"}},
      {"constraint": {"column": "age", "range": [0, 120], "action": "quarantine"}}]})";
  api::HttpResponse c = Http("POST", "/api/v1/lake/datasets/hr/people/clean", admin, plan);
  ASSERT_EQ(c.status, 201) << c.body;
  Json cleaned = Body(c);
  EXPECT_EQ(cleaned["version"], 1);
  EXPECT_EQ(cleaned["rows_out"], 2);
  EXPECT_EQ(cleaned["quarantine"], "hr/people__quarantine");
  Json rows = Body(Http("POST", "/api/v1/lake/datasets/hr/people/scan", admin,
                        R"({"columns": ["name"], "where": [{"column": "id", "op": "=", "value": 1}]})"));
  EXPECT_EQ(rows["rows"][0][0], "ada");
  Json lineage = Body(Http("GET", "/api/v1/lake/datasets/hr/people/lineage", admin));
  ASSERT_EQ(lineage.size(), 2u);
  EXPECT_EQ(lineage[1]["kind"], "clean");
  EXPECT_EQ(lineage[1]["detail"]["input_version"], 0);
  api::HttpResponse bad = Http("POST", "/api/v1/lake/datasets/hr/people/clean", admin,
                               R"({"rules": [{"missing": {"columns": ["incme"], "strategy": "mean"}}]})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(Body(bad)["error"].get<std::string>(), HasSubstr("unknown column 'incme'"));
}

}  // namespace
}  // namespace lepton

namespace lepton {
namespace {

// Scans stream: without a limit every row arrives, as JSON and as CSV, in responses far larger
// than one chunk; a data file that fails in the middle truncates the response.
TEST_P(ServerTest, LakeScanStreamsWholeTables) {
  Start();
  const std::string admin = AdminToken();
  constexpr int kRows = 30000;  // more than the old default limit (10 000), several chunks
  auto csv_of = [](int from, int to) {
    std::string csv = "id,name,score\n";
    for (int i = from; i < to; ++i) StrAppend(&csv, i, ",\"n, \"\"", i, "\"\"\",", i * 0.5, "\n");
    return csv;
  };
  api::HttpResponse in = Http("POST", "/api/v1/lake/datasets/big/t/ingest?source=t.csv", admin,
                              csv_of(0, kRows));
  ASSERT_EQ(in.status, 201) << in.body;
  ASSERT_EQ(Body(in)["rows"], kRows);
  EXPECT_EQ(Body(Http("GET", "/api/v1/lake/datasets/big/t", admin))["row_count"], kRows);
  const std::string scan = "/api/v1/lake/datasets/big/t/scan";

  api::HttpResponse j = Http("POST", scan, admin, "{}");
  ASSERT_EQ(j.status, 200) << j.body.substr(0, 500);
  EXPECT_EQ(j.Header("transfer-encoding"), "chunked");
  EXPECT_GT(j.body.size(), 512u << 10);  // several chunks
  Json all = Body(j);
  EXPECT_EQ(all["columns"], Json({"id", "name", "score"}));
  ASSERT_EQ(all["rows"].size(), static_cast<size_t>(kRows));
  EXPECT_EQ(all["rows"][0], Json({0, "n, \"0\"", 0.0}));
  EXPECT_EQ(all["rows"][kRows - 1][0], kRows - 1);
  EXPECT_EQ(all["stats"]["rows"], kRows);
  EXPECT_EQ(all["version"], 0);
  EXPECT_EQ(all["schema"]["fields"].size(), 3u);
  // The key order of the in-memory responses before streaming (nlohmann sorts keys).
  EXPECT_EQ(j.body.rfind("{\"columns\":[\"id\",\"name\",\"score\"],\"rows\":[[0,", 0), 0u);
  EXPECT_EQ(DumpJson(all), j.body);

  api::HttpResponse c =
      Http("POST", scan, admin, R"({"format": "csv", "columns": ["id", "name"]})");
  ASSERT_EQ(c.status, 200) << c.body.substr(0, 500);
  EXPECT_EQ(c.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(c.Header("X-Lepton-Version"), "0");
  std::vector<std::string_view> lines = Split(c.body, '\n');
  ASSERT_EQ(lines.size(), static_cast<size_t>(kRows) + 2);  // header, rows, "" after the last
  EXPECT_EQ(lines[0], "id,name\r");
  EXPECT_EQ(lines[1], "0,\"n, \"\"0\"\"\"\r");
  EXPECT_EQ(lines[kRows], StrCat(kRows - 1, ",\"n, \"\"", kRows - 1, "\"\"\"\r"));
  EXPECT_EQ(lines[kRows + 1], "");

  // Limits still apply when given; bad ones, unknown columns and versions are normal errors.
  Json few = Body(Http("POST", scan, admin,
                       R"({"limit": 5, "where": [{"column": "id", "op": ">=", "value": 100}]})"));
  ASSERT_EQ(few["rows"].size(), 5u);
  EXPECT_EQ(few["rows"][0][0], 100);
  EXPECT_EQ(Body(Http("POST", scan, admin, R"({"limit": 0})"))["rows"], Json::array());
  for (const char* bad : {R"({"limit": -1})", R"({"limit": 1.5})", R"({"limit": "all"})",
                          R"({"columns": ["nope"]})",
                          R"({"where": [{"column": "id", "op": "=", "value": "x"}]})"}) {
    api::HttpResponse r = Http("POST", scan, admin, bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(Body(r)["code"], "INVALID_ARGUMENT") << bad;
  }
  EXPECT_EQ(Http("POST", scan, admin, R"({"version": 7})").status, 404);

  // A second version in a second file, which then becomes unreadable: the first file's rows
  // are already on their way, so the client gets a truncated response, not a short one.
  const std::filesystem::path table = std::filesystem::path(home_) / "lake" / "big" / "t";
  auto data_files = [&] {
    std::set<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(table)) {
      if (e.path().filename().string().starts_with("part-")) files.insert(e.path().string());
    }
    return files;
  };
  const std::set<std::string> first_files = data_files();
  ASSERT_EQ(Http("POST", "/api/v1/lake/datasets/big/t/ingest?source=u.csv", admin,
                 csv_of(kRows, 2 * kRows)).status, 201);
  ASSERT_EQ(Body(Http("POST", scan, admin, "{}"))["rows"].size(), static_cast<size_t>(2 * kRows));
  std::string second;
  for (const std::string& f : data_files()) {
    if (!first_files.contains(f)) second = f;
  }
  ASSERT_FALSE(second.empty());
  std::filesystem::resize_file(second, 100);
  auto client = api::HttpClient::Create(server_->url());
  ASSERT_OK(client);
  client->set_token(admin);
  auto truncated = client->Send("POST", scan, "{}");
  EXPECT_THAT(truncated,
              ::lepton::testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr("partial")))
      << (truncated.ok() ? truncated->body.substr(0, 300) : "");
  // A scan that fails before its first chunk is a normal error response.
  api::HttpResponse only_second =
      Http("POST", scan, admin,
           StrCat(R"({"where": [{"column": "id", "op": ">=", "value": )", kRows, "}]}"));
  EXPECT_GE(only_second.status, 500) << only_second.body;
  EXPECT_TRUE(Body(only_second).contains("code"));
  EXPECT_EQ(Http("GET", "/healthz").status, 200);
}

TEST_P(ServerTest, LakeIngestsJsonLinesAndSql) {
  Start();
  const std::string admin = AdminToken();
  api::HttpResponse j = Http("POST", "/api/v1/lake/datasets/s/events/ingest?format=jsonl&source=e.jsonl",
                             admin, "{\"id\": 1, \"at\": \"2026-01-02T03:04:05Z\"}\n{\"id\": 2}\n");
  ASSERT_EQ(j.status, 201) << j.body;
  EXPECT_EQ(Body(j)["rows"], 2);
  const std::string db = (dir_ / "src.db").string();
  {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto src, store::OpenMetaStore("sqlite:" + db));
    ASSERT_OK(src->Exec("CREATE TABLE t (x INTEGER)"));
    ASSERT_OK(src->Exec("INSERT INTO t VALUES (1), (2), (3)"));
  }
  ASSERT_EQ(Http("POST", "/api/v1/users", admin, R"({"name":"eng","role":"data_engineer","scope":"*"})").status, 201);
  const std::string eng = Body(Http("POST", "/api/v1/users/eng/tokens", admin, "{}"))["token"];
  const std::string body = DumpJson({{"url", "sqlite:" + db}, {"sql", "t"}});
  // SQLite URLs read server files: admins only.
  EXPECT_EQ(Http("POST", "/api/v1/lake/datasets/s/t/ingest-sql", eng, body).status, 403);
  api::HttpResponse q = Http("POST", "/api/v1/lake/datasets/s/t/ingest-sql", admin, body);
  ASSERT_EQ(q.status, 201) << q.body;
  EXPECT_EQ(Body(q)["rows"], 3);
  EXPECT_EQ(Http("POST", "/api/v1/lake/datasets/s/t/ingest?format=xml", admin, "<a/>").status, 400);
}

}  // namespace
}  // namespace lepton

namespace lepton {
namespace {

TEST_P(ServerTest, AsyncIngestIsAJobWithProgress) {
  Start();
  const std::string admin = AdminToken();
  std::string csv = "id,v\n";
  for (int i = 0; i < 5000; ++i) csv += StrCat(i, ",", i * 2, "\n");
  api::HttpResponse r = Http("POST", "/api/v1/lake/datasets/s/big/ingest?async=true&source=big.csv", admin, csv);
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string id = Body(r)["id"];
  EXPECT_EQ(Body(r)["kind"], "lake.ingest");
  Json job;
  for (int i = 0; i < 500; ++i) {
    job = Body(Http("GET", "/api/v1/jobs/" + id, admin));
    if (job["state"] == "succeeded" || job["state"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(job["state"], "succeeded") << job.dump();
  EXPECT_EQ(job["result"]["rows"], 5000);
  EXPECT_EQ(job["result"]["version"], 0);
  EXPECT_FALSE(job["finished_at"].is_null());
  // Someone who may not read s/big does not see the job at all.
  ASSERT_EQ(Http("POST", "/api/v1/users", admin, R"({"name":"vi","role":"viewer","scope":"other/*"})").status, 201);
  const std::string vi = Body(Http("POST", "/api/v1/users/vi/tokens", admin, "{}"))["token"];
  EXPECT_EQ(Http("GET", "/api/v1/jobs/" + id, vi).status, 404);
  EXPECT_EQ(Body(Http("GET", "/api/v1/jobs", vi)).size(), 0u);
  // A finished job cannot be cancelled.
  EXPECT_EQ(Http("POST", "/api/v1/jobs/" + id + "/cancel", admin, "{}").status, 409);
  // A failing ingest is a failed job with the reason.
  api::HttpResponse bad = Http("POST", "/api/v1/lake/datasets/s/big/ingest?async=true", admin, "v\nnot-a-number\n");
  ASSERT_EQ(bad.status, 202);
  Json failed;
  for (int i = 0; i < 500; ++i) {
    failed = Body(Http("GET", "/api/v1/jobs/" + Body(bad)["id"].get<std::string>(), admin));
    if (failed["state"] == "succeeded" || failed["state"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_THAT(failed["error"].get<std::string>(), HasSubstr("column 'v'"));
}

// Experiment tracking over REST and the CLI: a data scientist creates an experiment and runs,
// logs params, metrics, tags, inputs and artifacts, searches and compares; params stay
// immutable (409), a viewer may read but not write (403), a bad filter is a 400 naming its
// position, someone outside the scope sees nothing (404), and every mutation is audited.
TEST_P(ServerTest, TrackingExperimentsRunsSearchCompareAndArtifacts) {
  Start();
  const std::string admin = AdminToken();
  auto token_for = [&](const std::string& user, const std::string& role, const std::string& scope) {
    EXPECT_EQ(Http("POST", "/api/v1/users", admin,
                   DumpJson({{"name", user}, {"role", role}, {"scope", scope}})).status, 201);
    return Body(Http("POST", "/api/v1/users/" + user + "/tokens", admin, "{}"))["token"].get<std::string>();
  };
  const std::string sci = token_for("sci", "data_scientist", "credit/*");
  const std::string vic = token_for("vic", "viewer", "*");
  const std::string out = token_for("out", "data_scientist", "fraud/*");

  api::HttpResponse r = Http("POST", "/api/v1/experiments", sci,
                             R"({"name":"credit/scorecard","description":"woe + logistic","tags":{"team":"risk"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string exp_id = Body(r)["id"];
  EXPECT_EQ(Http("POST", "/api/v1/experiments", sci, R"({"name":"fraud/x"})").status, 403);
  EXPECT_EQ(Http("POST", "/api/v1/experiments", sci, R"({"name":"credit/scorecard"})").status, 409);

  const double aucs[] = {0.74, 0.81, 0.69};
  const char* learners[] = {"logistic", "xgboost", "xgboost"};
  std::vector<std::string> runs;
  for (int i = 0; i < 3; ++i) {
    r = Http("POST", "/api/v1/runs", sci,
             DumpJson({{"experiment_name", "credit/scorecard"}, {"name", StrCat("run", i)},
                       {"tags", {{"fold", "all"}}}}));
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(Body(r)["status"], "running");
    EXPECT_EQ(Body(r)["user"], "sci");
    runs.push_back(Body(r)["id"]);
    const std::string run = "/api/v1/runs/" + runs.back();
    r = Http("POST", run + "/params", sci,
             DumpJson({{"params", {{{"key", "learner"}, {"value", learners[i]}}, {{"key", "seed"}, {"value", "7"}}}}}));
    ASSERT_EQ(r.status, 200) << r.body;
    Json metrics = Json::array();
    for (int step = 0; step < 3; ++step) {
      metrics.push_back({{"key", "auc"}, {"value", aucs[i] - 0.1 * (2 - step)}, {"step", step}});
    }
    metrics.push_back({{"key", "ks"}, {"value", aucs[i] / 2}});
    ASSERT_EQ(Http("POST", run + "/metrics", sci, DumpJson({{"metrics", metrics}})).status, 200);
    ASSERT_EQ(Http("POST", run + "/inputs", sci,
                   R"({"inputs":[{"dataset":"credit/german_credit","version":0,"digest":"abc","context":"training"}]})")
                  .status, 200);
    if (i != 2) {
      r = Http("PATCH", run, sci, R"({"status":"finished"})");
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_FALSE(Body(r)["end_time"].is_null());
    }
  }
  const std::string run0 = "/api/v1/runs/" + runs[0];
  // Params are immutable; tags are not.
  r = Http("POST", run0 + "/params", sci, R"({"params":[{"key":"learner","value":"xgboost"}]})");
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("params are immutable"));
  EXPECT_EQ(Http("POST", run0 + "/tags", sci, R"({"tags":[{"key":"fold","value":"5"}]})").status, 200);
  Json got = Body(Http("GET", run0, vic));
  EXPECT_EQ(got["params"]["learner"], "logistic");
  EXPECT_EQ(got["tags"]["fold"], "5");
  EXPECT_DOUBLE_EQ(got["metrics"]["auc"]["value"].get<double>(), 0.74);
  EXPECT_EQ(got["metrics"]["auc"]["step"], 2);
  EXPECT_EQ(got["inputs"][0]["dataset"], "credit/german_credit");
  Json history = Body(Http("GET", run0 + "/metrics/auc/history", vic));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0]["step"], 0);

  // Search: filter, order, paging; a bad filter is a 400 naming the position.
  r = Http("POST", "/api/v1/runs/search", vic,
           DumpJson({{"experiment_ids", {exp_id}},
                     {"filter", "metrics.auc > 0.7 and attributes.status = 'FINISHED'"},
                     {"order_by", {"metrics.auc DESC"}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  Json found = Body(r)["runs"];
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0]["name"], "run1");
  EXPECT_EQ(found[1]["name"], "run0");
  r = Http("POST", "/api/v1/runs/search", vic,
           DumpJson({{"experiment_names", {"credit/scorecard"}}, {"max_results", 2}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["runs"].size(), 2u);
  const std::string token = Body(r)["next_page_token"];
  r = Http("POST", "/api/v1/runs/search", vic,
           DumpJson({{"experiment_names", {"credit/scorecard"}}, {"max_results", 2}, {"page_token", token}}));
  EXPECT_EQ(Body(r)["runs"].size(), 1u);
  EXPECT_TRUE(Body(r)["next_page_token"].is_null());
  r = Http("POST", "/api/v1/runs/search", vic,
           DumpJson({{"experiment_ids", {exp_id}}, {"filter", "metrics.auc >> 0.7"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["code"], "INVALID_ARGUMENT");
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("at position 13"));

  // Compare side by side.
  r = Http("POST", "/api/v1/runs/compare", vic, DumpJson({{"run_ids", {runs[0], runs[1]}}}));
  ASSERT_EQ(r.status, 200) << r.body;
  Json cmp = Body(r);
  EXPECT_EQ(cmp["params"]["learner"], Json({"logistic", "xgboost"}));
  EXPECT_EQ(cmp["params"]["seed"], Json({"7", "7"}));
  EXPECT_DOUBLE_EQ(cmp["metrics"]["auc"][1].get<double>(), 0.81);

  // Artifacts: upload, list with size and SHA-256, download; traversal rejected.
  const std::string model = "{\"trees\":[1,2,3]}\n";
  r = Http("PUT", run0 + "/artifacts?path=model/model.json", sci, model);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["size_bytes"], static_cast<int64_t>(model.size()));
  const std::string sha = Body(r)["sha256"];
  EXPECT_EQ(sha.size(), 64u);
  Json listed = Body(Http("GET", run0 + "/artifacts", vic));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["path"], "model/model.json");
  EXPECT_EQ(listed[0]["sha256"], sha);
  r = Http("GET", run0 + "/artifacts?path=model/model.json", vic);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, model);
  EXPECT_EQ(r.Header("X-Lepton-Sha256"), sha);
  EXPECT_TRUE(PathExists(StrCat(home_, "/artifacts/", exp_id, "/", runs[0], "/model/model.json")));
  EXPECT_EQ(Http("PUT", run0 + "/artifacts?path=..%2F..%2Fescape", sci, "x").status, 400);
  EXPECT_EQ(Http("GET", run0 + "/artifacts?path=nope.bin", vic).status, 404);

  // A viewer reads but may not write; outside the scope the experiment does not exist.
  r = Http("POST", run0 + "/metrics", vic, R"({"metrics":[{"key":"auc","value":1}]})");
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("may not train on 'credit/scorecard'"));
  EXPECT_EQ(Http("PUT", run0 + "/artifacts?path=x", vic, "x").status, 403);
  EXPECT_EQ(Http("GET", run0, out).status, 404);
  EXPECT_EQ(Http("GET", "/api/v1/experiments/" + exp_id, out).status, 404);
  EXPECT_EQ(Body(Http("GET", "/api/v1/experiments", out)).size(), 0u);

  // The CLI: list with filter and order, compare, show.
  CliResult c = Cli({"runs", "list", "--experiment", "credit/scorecard", "--filter",
                     "params.learner = 'xgboost'", "--order-by", "metrics.auc DESC",
                     "--server", server_->url(), "--token", vic});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_LT(c.out.find("run1"), c.out.find("run2"));
  EXPECT_EQ(c.out.find("run0"), std::string::npos);
  EXPECT_THAT(c.out, HasSubstr("auc"));
  c = Cli({"runs", "compare", runs[0], runs[1], "--server", server_->url(), "--token", vic});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_THAT(c.out, HasSubstr("params.learner"));
  EXPECT_THAT(c.out, HasSubstr("xgboost"));
  c = Cli({"runs", "show", runs[0], "--server", server_->url(), "--token", vic});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_THAT(c.out, HasSubstr("model/model.json"));
  c = Cli({"experiments", "list", "--server", server_->url(), "--token", vic});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_THAT(c.out, HasSubstr("credit/scorecard"));
  c = Cli({"runs", "list", "--experiment", "credit/scorecard", "--filter", "metrics.auc ~ 1",
           "--server", server_->url(), "--token", vic});
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_THAT(c.err, HasSubstr("position 12"));
  for (const char* cmd : {"experiments", "runs"}) {
    CliResult h = RunLepton({cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_THAT(h.out, HasSubstr(StrCat("usage: lepton ", cmd)));
  }

  // Soft delete freezes the runs; restore thaws them.
  c = Cli({"experiments", "delete", "credit/scorecard", "--server", server_->url(), "--token", sci});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(Http("POST", run0 + "/tags", sci, R"({"tags":[{"key":"k","value":"v"}]})").status, 409);
  EXPECT_EQ(Body(Http("GET", "/api/v1/experiments", vic)).size(), 0u);
  EXPECT_EQ(Body(Http("GET", "/api/v1/experiments/" + exp_id, vic))["lifecycle"], "deleted");
  EXPECT_EQ(Http("POST", "/api/v1/experiments/" + exp_id + "/restore", sci, "{}").status, 200);
  EXPECT_EQ(Http("POST", run0 + "/tags", sci, R"({"tags":[{"key":"k","value":"v"}]})").status, 200);

  // Every mutation is in the audit log, denied ones included.
  Json audit = Body(Http("GET", "/api/v1/audit?limit=1000", admin));
  int logged = 0, denied = 0;
  for (const Json& e : audit) {
    if (e["action"] == "run.log_metrics" && e["outcome"] == "ok") ++logged;
    if (e["action"] == "run.log_metrics" && e["outcome"] == "denied") ++denied;
  }
  EXPECT_EQ(logged, 3);
  EXPECT_EQ(denied, 1);
}

}  // namespace
}  // namespace lepton
