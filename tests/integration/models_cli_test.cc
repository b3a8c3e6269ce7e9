// End-to-end tests of `lepton models …`: the real binary as a server on port 0 (SQLite) and as
// the CLI, as a user would drive the model registry: a trained run registered twice, aliases
// moved with their history, a bundle downloaded and uploaded into another model, the deletion
// rules, bad usage (exit 2) and server errors (exit 1, one readable line).

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "process.h"

namespace lepton {
namespace {

using ::lepton::testing::CliResult;
using ::lepton::testing::RunLepton;
using ::lepton::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// The CLI's environment: no config file of the user running the tests.
const std::map<std::string, std::string> kEnv = {{"LEPTON_CLI_CONFIG", "/nonexistent/lepton-cli-config"}};

class ModelsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / StrCat("lepton_models_cli_", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string home = (dir_ / "home").string();
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--home", home, "--store", "sqlite"});
    ASSERT_FALSE(server_->url().empty()) << server_->startup_output();
    auto t = ReadFile(home + "/admin.token");
    ASSERT_OK(t);
    token_ = std::string(StripWhitespace(*t));
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // `lepton WORDS… --server URL --token ADMIN`.
  CliResult Lepton(std::vector<std::string> words) {
    words.insert(words.end(), {"--server", server_->url(), "--token", token_});
    return RunLepton(words, kEnv);
  }
  CliResult Models(std::vector<std::string> words) {
    words.insert(words.begin(), "models");
    return Lepton(std::move(words));
  }
  // `lepton models WORDS… --output json`, parsed (a test failure when it is not JSON).
  Json ModelsJson(std::vector<std::string> words) {
    words.insert(words.end(), {"--output", "json"});
    CliResult r = Models(words);
    EXPECT_EQ(r.exit_code, 0) << StrJoin(words, " ") << ": " << r.err;
    auto j = ParseJson(r.out);
    EXPECT_TRUE(j.ok()) << StrJoin(words, " ") << ": " << r.out;
    return j.ok() ? *j : Json();
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // `lepton models WORDS… --server URL --token TOKEN` as another user; `input` on stdin.
  CliResult ModelsAs(const std::string& token, std::vector<std::string> words, const std::string& input = "") {
    words.insert(words.begin(), "models");
    words.insert(words.end(), {"--server", server_->url(), "--token", token});
    return RunLepton(words, kEnv, input);
  }
  // A user with `role` over models/* (created by the admin through the CLI, i.e. the REST API);
  // returns its new API token.
  std::string UserToken(const std::string& name, const std::string& role) {
    CliResult r = Lepton({"user", "create", name, "--role", role, "--scope", "models/*"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = Lepton({"token", "create", "--user", name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::string(StripWhitespace(r.out));
  }
  // The credit-scoring example ingested and trained through the CLI; returns the run id.
  std::string TrainCreditRun() {
    const std::string examples = std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/";
    CliResult r = Lepton({"lake", "ingest", examples + "german_credit.csv", "--dataset", "credit/german_credit"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = Lepton({"train", "-f", examples + "model_config.json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, StartsWith("run "));
    return r.out.size() > 4 ? r.out.substr(4, r.out.find(' ', 4) - 4) : "";
  }

  std::filesystem::path dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string token_;
};

TEST_F(ModelsCliTest, RegistersAliasesDownloadsAndUploads) {
  // A finished run with a model: the credit-scoring example trained through the CLI.
  const std::string run_id = TrainCreditRun();
  ASSERT_FALSE(run_id.empty());

  // A model, registered from the run twice.
  CliResult r = Models({"create", "credit-scorer", "--description", "PD scorecard", "--tag", "team=risk", "--tag=owner=ana"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "created model credit-scorer\n");
  r = Models({"register", "credit-scorer", "--run", run_id, "--description", "first take"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "registered credit-scorer version 1\n");
  r = Models({"register", "credit-scorer", "--run", run_id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "registered credit-scorer version 2\n");

  r = Models({"list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("NAME"));
  EXPECT_THAT(r.out, HasSubstr("credit-scorer  2 "));
  EXPECT_THAT(r.out, HasSubstr("PD scorecard"));
  Json models = ModelsJson({"list", "--prefix", "credit"});
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]["latest_version"], 2);
  EXPECT_EQ(models[0]["tags"]["team"], "risk");
  EXPECT_EQ(models[0]["tags"]["owner"], "ana");
  EXPECT_TRUE(ModelsJson({"list", "--prefix", "zzz"}).empty());

  // Aliases: set, moved (the move printed), read through `version NAME ALIAS`, the history.
  r = Models({"alias", "credit-scorer", "champion", "1", "--comment", "first release"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "champion: - -> 1\n");
  r = Models({"alias", "credit-scorer", "champion", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "champion: 1 -> 2\n");
  EXPECT_EQ(ModelsJson({"version", "credit-scorer", "champion"})["version"], 2);
  r = Models({"history", "credit-scorer", "--alias", "champion"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("- -> 1"));
  EXPECT_THAT(r.out, HasSubstr("1 -> 2"));
  EXPECT_THAT(r.out, HasSubstr("first release"));
  Json history = ModelsJson({"history", "credit-scorer"});
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1]["previous_version"], 1);

  // `get`: the model, its aliases and its versions.
  r = Models({"get", "credit-scorer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("PD scorecard"));
  EXPECT_THAT(r.out, HasSubstr("champion"));
  EXPECT_THAT(r.out, HasSubstr("run:" + run_id));
  EXPECT_THAT(r.out, HasSubstr("first take"));
  Json model = ModelsJson({"get", "credit-scorer"});
  EXPECT_EQ(model["aliases"]["champion"], 2);
  ASSERT_EQ(model["versions"].size(), 2u);
  EXPECT_EQ(model["versions"][0]["version"], 2);  // newest first
  r = Models({"versions", "credit-scorer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), 3u);  // header and two versions
  EXPECT_THAT(r.out, HasSubstr("ready"));

  // Tags on the model and on a version.
  ASSERT_EQ(Models({"tag", "credit-scorer", "domain=credit"}).exit_code, 0);
  r = Models({"tag", "credit-scorer", "2", "stage=candidate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "set tag stage on credit-scorer version 2\n");
  EXPECT_EQ(ModelsJson({"version", "credit-scorer", "2"})["tags"]["stage"], "candidate");
  EXPECT_EQ(ModelsJson({"get", "credit-scorer"})["tags"]["domain"], "credit");
  ASSERT_EQ(Models({"untag", "credit-scorer", "2", "stage"}).exit_code, 0);
  ASSERT_EQ(Models({"untag", "credit-scorer", "domain"}).exit_code, 0);
  EXPECT_TRUE(ModelsJson({"version", "credit-scorer", "2"})["tags"].empty());
  EXPECT_FALSE(ModelsJson({"get", "credit-scorer"})["tags"].contains("domain"));

  // A version behind an alias cannot be deleted: one line naming the alias, exit 1.
  r = Models({"delete-version", "credit-scorer", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("lepton: error: "));
  EXPECT_THAT(r.err, HasSubstr("champion"));
  EXPECT_EQ(Lines(r.err), 1u);
  r = Models({"delete-version", "credit-scorer", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deleted credit-scorer version 1\n");

  // The bundle: downloaded (to a file, and by alias to stdout: the same bytes), uploaded into
  // another model, downloaded from there unchanged.
  r = Models({"download", "credit-scorer", "2", "-o", Path("a.tar")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote " + Path("a.tar")));
  auto a = ReadFile(Path("a.tar"));
  ASSERT_OK(a);
  EXPECT_EQ(a->substr(0, 13), "manifest.json");  // a tar archive, manifest first
  r = Models({"download", "credit-scorer", "champion", "-o", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == *a) << "stdout download differs: " << r.out.size() << " vs " << a->size() << " bytes";
  ASSERT_EQ(Models({"create", "imported"}).exit_code, 0);
  r = Models({"upload", "imported", Path("a.tar"), "--description", "copied"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("uploaded ", Path("a.tar"), " as imported version 1\n"));
  Json imported = ModelsJson({"version", "imported", "1"});
  EXPECT_EQ(imported["source"], "upload");
  EXPECT_EQ(imported["description"], "copied");
  ASSERT_EQ(Models({"download", "imported", "1", "--out", Path("b.tar")}).exit_code, 0);
  auto b = ReadFile(Path("b.tar"));
  ASSERT_OK(b);
  EXPECT_TRUE(*a == *b) << "the re-downloaded bundle differs";
  // A damaged archive (one byte of a file changed) is refused with the file named.
  std::string damaged = *a;
  const size_t at = damaged.find("\"points\"");
  ASSERT_NE(at, std::string::npos);
  damaged[at + 2] ^= 1;
  ASSERT_OK(WriteFileAtomically(Path("damaged.tar"), damaged));
  r = Models({"upload", "imported", Path("damaged.tar")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("does not match its sha256"));
  EXPECT_EQ(Lines(r.err), 1u);
  r = Models({"upload", "imported", Path("missing.tar")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.tar"));

  // Removing the alias is kept in the history; then the model can be deleted.
  r = Models({"unalias", "credit-scorer", "champion", "--comment", "retired"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  history = ModelsJson({"history", "credit-scorer", "--alias", "champion"});
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2]["version"], -1);
  EXPECT_EQ(history[2]["comment"], "retired");
  EXPECT_THAT(Models({"history", "credit-scorer"}).out, HasSubstr("2 -> -"));
  r = Models({"delete", "credit-scorer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deleted model credit-scorer\n");

  // Server errors: exit 1, one readable line.
  for (const std::vector<std::string>& words : std::vector<std::vector<std::string>>{
           {"get", "credit-scorer"}, {"versions", "nope"}, {"version", "imported", "7"},
           {"register", "imported", "--run", "no-such-run"}, {"create", "Bad Name"},
           {"alias", "imported", "latest", "1"}, {"download", "imported", "staging"}}) {
    r = Models(words);
    EXPECT_EQ(r.exit_code, 1) << StrJoin(words, " ");
    EXPECT_THAT(r.err, StartsWith("lepton: error: ")) << StrJoin(words, " ");
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  EXPECT_THAT(Models({"get", "credit-scorer"}).err, HasSubstr("credit-scorer"));
  EXPECT_THAT(Models({"get", "credit-scorer"}).err, HasSubstr("not found"));
  EXPECT_THAT(Models({"create", "Bad Name"}).err, HasSubstr("invalid model name"));
}

// Governance through the CLI, as the roles would use it: an approver's policy with a failing
// metric gate stops the engineer's promotion (exit 1, each failed gate with its numbers); with
// the policy relaxed and the card filled in, the promotion waits for a second person (four
// eyes), then the approver moves production. Cards, importance and explanations are read back.
TEST_F(ModelsCliTest, GovernsPromotionsCardsAndExplanations) {
  const std::string run_id = TrainCreditRun();
  ASSERT_FALSE(run_id.empty());
  ASSERT_EQ(Models({"create", "credit"}).exit_code, 0);
  ASSERT_EQ(Models({"register", "credit", "--run", run_id}).exit_code, 0);
  ASSERT_EQ(Models({"register", "credit", "--run", run_id}).exit_code, 0);
  const std::string eng = UserToken("eng", "ml_engineer");
  const std::string app = UserToken("app", "approver");
  const std::string sci = UserToken("sci", "data_scientist");

  // The default policy: production protected, no gates; the dry run passes with no gates.
  Json policy = ModelsJson({"policy", "credit"});
  EXPECT_EQ(policy["protected_aliases"], Json::array({"production"}));
  CliResult r = Models({"gates", "credit", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no gates"));

  // Only approvers set policies; the approver's has a metric gate the model fails.
  ASSERT_OK(WriteFileAtomically(Path("strict.json"),
                                R"({"metrics": {"auc": {"min": 0.95}, "log_loss": {"max": 0.9}}})"));
  r = ModelsAs(eng, {"policy", "credit", "--set", Path("strict.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("may not model.approve"));
  r = ModelsAs(app, {"policy", "credit", "--set", Path("strict.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "set the policy of credit\n");
  EXPECT_EQ(ModelsJson({"policy", "credit"})["metrics"]["auc"]["min"], 0.95);

  // The dry run reports (exit 0) each gate with its numbers.
  r = ModelsAs(eng, {"gates", "credit", "1", "--alias", "production"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("credit version 1 -> production: fails 1 of 2 gates"));
  EXPECT_THAT(r.out, HasSubstr("auc >= 0.95"));
  EXPECT_THAT(r.out, HasSubstr("NO"));
  EXPECT_THAT(r.out, HasSubstr("0.95"));
  Json gates = ModelsJson({"gates", "credit", "1"});
  EXPECT_EQ(gates["passed"], false);
  EXPECT_EQ(gates["failed"], Json::array({"auc >= 0.95"}));
  const double auc = gates["gates"][0]["actual"].get<double>();
  EXPECT_GT(auc, 0.6);
  EXPECT_LT(auc, 0.95);

  // The engineer's promotion fails the gate: exit 1, the failed gate with its numbers, nothing
  // requested.
  r = ModelsAs(eng, {"promote", "credit", "1", "--alias", "production"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_THAT(r.err, StartsWith("lepton: error: credit version 1 fails 1 quality gate for production:\n"));
  EXPECT_THAT(r.err, HasSubstr(StrCat("\n  auc >= 0.95: actual ", gates["gates"][0]["actual"].dump().substr(0, 6))));
  EXPECT_THAT(r.err, Not(HasSubstr("log_loss")));  // only the failed gates
  EXPECT_EQ(Lines(r.err), 2u);
  EXPECT_TRUE(ModelsJson({"promotions", "credit"}).empty());

  // Relaxed, with required card fields; the data scientist fills them in (owners: a list).
  r = ModelsAs(app, {"policy", "credit", "--set", "-"},
               R"({"metrics": {"auc": {"min": 0.6}}, "required_card_fields": ["intended_use", "owners"]})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ModelsAs(eng, {"promote", "credit", "1", "--alias", "production"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("\n  card field intended_use: empty\n  card field owners: empty\n"));
  r = ModelsAs(sci, {"card", "credit", "1", "--set", "intended_use=Retail credit applications up to EUR 20k",
                     "--set", "owners=ana, risk-team", "--set=risk_rating=medium"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "updated the card of credit version 1: intended_use, owners, risk_rating\n");
  Json card = ModelsJson({"card", "credit", "1"});
  EXPECT_EQ(card["owners"], Json::array({"ana", "risk-team"}));
  EXPECT_EQ(card["risk_rating"], "medium");
  EXPECT_EQ(card["model"], "credit");
  r = ModelsAs(sci, {"card", "credit", "1", "--set", "flavor=xgboost"});  // generated: not editable
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("card.flavor"));
  EXPECT_EQ(Lines(r.err), 1u);

  // Now the promotion is a pending request.
  r = ModelsAs(eng, {"promote", "credit", "1", "--alias", "production", "--comment", "first release"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("requested promotion "));
  EXPECT_THAT(r.out, HasSubstr(": credit 1 -> production (pending; needs an approver)\n"));
  const std::string id = r.out.substr(20, r.out.find(':') - 20);
  Json pending = ModelsJson({"promotions", "credit", "--state", "pending"});
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["id"], id);
  EXPECT_EQ(pending[0]["requested_by"], "eng");
  EXPECT_EQ(Models({"version", "credit", "production"}).exit_code, 1);  // not moved yet

  // The engineer cannot approve: first for lack of the role, then, given it, not its own request.
  r = ModelsAs(eng, {"approve", "credit", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("may not model.approve"));
  ASSERT_EQ(Lepton({"grant", "add", "eng", "approver", "models/*"}).exit_code, 0);
  r = ModelsAs(eng, {"approve", "credit", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("four eyes"));
  EXPECT_EQ(Lines(r.err), 1u);

  // The approver approves: production moves.
  r = ModelsAs(app, {"approve", "credit", id, "--comment", "reviewed the card"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("approved promotion ", id, ": credit 1 -> production\n"));
  r = Models({"version", "credit", "production"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("production"));
  EXPECT_EQ(ModelsJson({"version", "credit", "production"})["version"], 1);
  r = ModelsAs(app, {"promotions", "credit"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("ID "));
  EXPECT_THAT(r.out, HasSubstr("REQUESTED BY"));
  EXPECT_THAT(r.out, HasSubstr(id));
  EXPECT_THAT(r.out, HasSubstr("approved"));
  EXPECT_THAT(r.out, HasSubstr(" eng "));
  EXPECT_THAT(r.out, HasSubstr(" app"));
  EXPECT_EQ(ModelsJson({"promotions", "credit", "--state", "approved"}).size(), 1u);

  // Version 2 (no card yet): fill it in, then one request rejected, one withdrawn; an
  // unprotected alias moves at once.
  r = ModelsAs(sci, {"card", "credit", "2", "--set", "intended_use=challenger", "--set", "owners=ana"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = ModelsAs(eng, {"promote", "credit", "2", "--alias", "production"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string id2 = r.out.substr(20, r.out.find(':') - 20);
  r = ModelsAs(app, {"reject", "credit", id2, "--comment", "not yet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("rejected promotion ", id2, ": credit 2 -> production\n"));
  r = ModelsAs(eng, {"promote", "credit", "2", "--alias", "production"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  id2 = r.out.substr(20, r.out.find(':') - 20);
  r = ModelsAs(eng, {"cancel", "credit", id2});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, StrCat("cancelled promotion ", id2, ": credit 2 -> production\n"));
  EXPECT_EQ(ModelsJson({"promotions", "credit", "--state", "rejected"}).size(), 1u);
  EXPECT_EQ(ModelsJson({"promotions", "credit", "--state", "cancelled"}).size(), 1u);
  EXPECT_EQ(ModelsJson({"version", "credit", "production"})["version"], 1);
  r = ModelsAs(eng, {"promote", "credit", "2", "--alias", "staging"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "credit: staging -> 2 (applied: unprotected alias)\n");
  EXPECT_EQ(ModelsJson({"version", "credit", "staging"})["version"], 2);
  r = ModelsAs(app, {"reject", "credit", id2});  // already decided
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.err), 1u);

  // The card as Markdown (by alias), with the intended use.
  r = ModelsAs(app, {"card", "credit", "production", "--markdown"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("# Model card: credit version 1"));
  EXPECT_THAT(r.out, HasSubstr("## Intended use\n\nRetail credit applications up to EUR 20k"));
  EXPECT_THAT(r.out, HasSubstr("ana, risk-team"));

  // Importance: every input column, checking_status first by permutation.
  r = ModelsAs(app, {"importance", "credit", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("MODEL (coefficient)"));
  EXPECT_THAT(r.out, HasSubstr("\nchecking_status "));
  EXPECT_THAT(r.out, HasSubstr(" ± "));
  EXPECT_EQ(Lines(r.out), 2u + 1u + 17u);  // summary, blank, header, one line per input column
  Json importance = ModelsJson({"importance", "credit", "1"});
  EXPECT_EQ(importance["permutation"]["columns"][0]["column"], "checking_status");

  // Lineage: the run and the ingested example file behind version 1.
  r = ModelsAs(app, {"lineage", "credit", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("trained by run "));
  EXPECT_THAT(r.out, HasSubstr("on credit/german_credit version 0 (training)"));
  EXPECT_THAT(r.out, HasSubstr("version 0: ingest from german_credit.csv sha256 "));

  // Explain one applicant: the first row of the example data as JSON (numbers as numbers).
  auto csv = ReadFile(std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/german_credit.csv");
  ASSERT_OK(csv);
  const std::vector<std::string_view> lines = Split(*csv, '\n');
  ASSERT_GT(lines.size(), 2u);
  const std::vector<std::string_view> header = Split(lines[0], ','), values = Split(lines[1], ',');
  ASSERT_EQ(header.size(), values.size());
  Json applicant = Json::object();
  for (size_t i = 0; i < header.size(); ++i) {
    int64_t n = 0;
    if (ParseInt(values[i], &n)) applicant[std::string(header[i])] = n;
    else applicant[std::string(header[i])] = std::string(values[i]);
  }
  ASSERT_OK(WriteFileAtomically(Path("applicant.json"), DumpJson(Json::array({applicant}))));
  r = ModelsAs(app, {"explain", "credit", "1", "--rows", Path("applicant.json"), "--top-k", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("row 1: score 0."));
  EXPECT_THAT(r.out, HasSubstr(", credit score "));
  EXPECT_THAT(r.out, HasSubstr("CONTRIBUTION  POINTS"));
  EXPECT_EQ(Lines(r.out), 2u + 3u);  // the row's line, the header, three contributions
  Json explained = ModelsJson({"explain", "credit", "1", "--rows", Path("applicant.json")});
  ASSERT_EQ(explained["explanations"].size(), 1u);
  const Json& e = explained["explanations"][0];
  EXPECT_EQ(e["contributions"].size(), 17u);  // --top-k 0 (the default) keeps all
  double points = 0;
  for (const Json& p : e["points"]) points += p["points"].get<double>();
  EXPECT_NEAR(points + e.value("base_points", 0.0), e["credit_score"].get<double>(), 1e-6);
  char credit[32];
  std::snprintf(credit, sizeof(credit), "credit score %.1f", e["credit_score"].get<double>());
  EXPECT_THAT(r.out, HasSubstr(credit));
  // The same row on standard input, and a mistyped one: the server names the field.
  r = ModelsAs(app, {"explain", "credit", "1", "--rows", "-"}, DumpJson(applicant));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(credit));
  r = ModelsAs(app, {"explain", "credit", "1", "--rows", "-"}, R"([{"duration": "long"}])");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("rows[0].duration"));
  EXPECT_EQ(Lines(r.err), 1u);
  r = ModelsAs(app, {"explain", "credit", "1", "--rows", "-"}, "[{");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("standard input"));
  r = ModelsAs(app, {"explain", "credit", "1", "--rows", Path("missing.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.json"));
}

// A model trained by Python's xgboost, imported with its signature, explained like any other.
TEST_F(ModelsCliTest, ImportsAnXGBoostModelTrainedInPython) {
  const std::string script = R"(import sys, numpy as np, xgboost as xgb
rng = np.random.default_rng(1)
x = rng.normal(size=(300, 2)); y = (x[:, 0] - x[:, 1] > 0).astype(int)
xgb.train({"objective": "binary:logistic", "max_depth": 2, "nthread": 1}, xgb.DMatrix(x, label=y), 8).save_model(sys.argv[1])
)";
  ASSERT_OK(WriteFileAtomically(Path("train.py"), script));
  ASSERT_EQ(std::system(("/usr/bin/python3 " + Path("train.py") + " " + Path("model.ubj")).c_str()), 0);
  ASSERT_OK(WriteFileAtomically(Path("signature.json"),
                                R"({"inputs": [{"name": "x1", "type": "double"}, {"name": "x2", "type": "double"}],
                                    "task": "binary", "classes": ["no", "yes"]})"));
  ASSERT_OK(WriteFileAtomically(Path("bad_signature.json"),
                                R"({"inputs": [{"name": "x1", "type": "double"}], "task": "binary", "classes": ["no", "yes"]})"));
  ASSERT_EQ(Models({"create", "notebook"}).exit_code, 0);
  CliResult r = Models({"import", "notebook", "--flavor", "xgboost", "--model", Path("model.ubj"), "--signature",
                        Path("signature.json"), "--description", "from a notebook"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("as notebook version 1"));
  Json v = ModelsJson({"version", "notebook", "1"});
  EXPECT_EQ(v["source"], "import:xgboost");
  EXPECT_EQ(v["description"], "from a notebook");
  ASSERT_OK(WriteFileAtomically(Path("rows.json"), R"([{"x1": 2.0, "x2": -1.0}, {"x1": -2.0, "x2": 1.0}])"));
  Json e = ModelsJson({"explain", "notebook", "1", "--rows", Path("rows.json")});
  ASSERT_EQ(e["explanations"].size(), 2u) << e;
  EXPECT_GT(e["explanations"][0]["score"].get<double>(), 0.5);
  EXPECT_LT(e["explanations"][1]["score"].get<double>(), 0.5);
  r = Models({"import", "notebook", "--flavor", "xgboost", "--model", Path("model.ubj"), "--signature",
              Path("bad_signature.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  r = Models({"import", "notebook", "--flavor", "sklearn", "--model", Path("model.ubj"), "--signature",
              Path("signature.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("xgboost"));
  r = Models({"import", "notebook", "--model", Path("model.ubj")});
  EXPECT_EQ(r.exit_code, 2);
}

// Usage errors are found before any request: exit 2 and one line, here with no server at all.
TEST(ModelsCliUsageTest, HelpAndBadUsage) {
  CliResult r = RunLepton({"models"}, kEnv);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, StartsWith("usage: lepton models COMMAND"));
  for (const char* c : {"list", "create", "get", "delete", "register", "versions", "version", "delete-version",
                        "tag", "untag", "alias", "unalias", "history", "download", "upload", "policy", "gates",
                        "promote", "promotions", "approve", "reject", "cancel", "card", "importance", "lineage", "explain", "import"}) {
    EXPECT_THAT(r.out, HasSubstr(StrCat("\n  ", c, " "))) << c;
    CliResult h = RunLepton({"models", c, "--help"}, kEnv);
    EXPECT_EQ(h.exit_code, 0) << c;
    EXPECT_THAT(h.out, StartsWith(StrCat("usage: lepton models ", c, " "))) << c;
    EXPECT_THAT(h.out, HasSubstr("--server URL")) << c;
  }
  r = RunLepton({"models", "--help"}, kEnv);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("delete-version"));
  r = RunLepton({"--help"}, kEnv);
  EXPECT_THAT(r.out, HasSubstr("\n  models "));

  struct Case {
    std::vector<std::string> words;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"models", "frobnicate"}, "lepton: error: unknown command 'models frobnicate' (see lepton models --help)\n"},
      {{"models", "alias", "m", "champion"},
       "lepton: error: usage: lepton models alias NAME ALIAS V [--comment C]\n"},
      {{"models", "get"}, "lepton: error: usage: lepton models get NAME\n"},
      {{"models", "get", "a", "b"}, "lepton: error: usage: lepton models get NAME\n"},
      {{"models", "alias", "m", "champion", "two"},
       "lepton: error: V: expected a version number, got 'two' (see lepton models alias --help)\n"},
      {{"models", "delete-version", "m", "0"},
       "lepton: error: V: expected a version number, got '0' (see lepton models delete-version --help)\n"},
      {{"models", "tag", "m", "x", "k=v"},
       "lepton: error: V: expected a version number, got 'x' (see lepton models tag --help)\n"},
      {{"models", "tag", "m", "novalue"},
       "lepton: error: expected KEY=VALUE, got 'novalue' (see lepton models tag --help)\n"},
      {{"models", "create", "m", "--tag", "novalue"},
       "lepton: error: --tag: expected KEY=VALUE, got 'novalue' (see lepton models create --help)\n"},
      {{"models", "register", "m"},
       "lepton: error: models register needs --run RUN_ID (see lepton models register --help)\n"},
      {{"models", "list", "--run", "x"},
       "lepton: error: flag --run does not apply to 'models list' (see lepton models list --help)\n"},
      {{"models", "list", "--colour", "red"}, "lepton: error: unknown flag --colour (see --help)\n"},
      {{"models", "list", "--output", "yaml"},
       "lepton: error: --output: expected json or table, got 'yaml' (see lepton models list --help)\n"},
      {{"models", "list", "--prefix"}, "lepton: error: flag --prefix needs a value\n"},
      {{"models", "promote", "m", "1"},
       "lepton: error: models promote needs --alias A (see lepton models promote --help)\n"},
      {{"models", "promote", "m", "latest", "--alias", "production"},
       "lepton: error: V: expected a version number, got 'latest' (see lepton models promote --help)\n"},
      {{"models", "promotions", "m", "--state", "open"},
       "lepton: error: --state: expected pending, approved, rejected or cancelled, got 'open' "
       "(see lepton models promotions --help)\n"},
      {{"models", "approve", "m"}, "lepton: error: usage: lepton models approve NAME ID [--comment C]\n"},
      {{"models", "card", "m", "1", "--set", "novalue"},
       "lepton: error: --set: expected KEY=VALUE, got 'novalue' (see lepton models card --help)\n"},
      {{"models", "card", "m", "1", "--markdown", "--set", "status=approved"},
       "lepton: error: --markdown and --set do not go together (see lepton models card --help)\n"},
      {{"models", "gates", "m", "1", "--markdown"},
       "lepton: error: flag --markdown does not apply to 'models gates' (see lepton models gates --help)\n"},
      {{"models", "explain", "m", "1"},
       "lepton: error: models explain needs --rows FILE (see lepton models explain --help)\n"},
      {{"models", "explain", "m", "1", "--rows", "r.json", "--top-k", "-2"},
       "lepton: error: --top-k: expected a number >= 0, got '-2' (see lepton models explain --help)\n"},
      {{"models", "policy", "m", "extra"}, "lepton: error: usage: lepton models policy NAME [--set FILE]\n"},
  };
  for (const Case& c : cases) {
    r = RunLepton(c.words, kEnv);
    EXPECT_EQ(r.exit_code, 2) << StrJoin(c.words, " ");
    EXPECT_EQ(r.err, c.err) << StrJoin(c.words, " ");
    EXPECT_TRUE(r.out.empty()) << StrJoin(c.words, " ");
  }
  // No server configured: a client error (exit 1), one line.
  r = RunLepton({"models", "list"}, kEnv);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no server"));
  EXPECT_EQ(Lines(r.err), 1u);
}

}  // namespace
}  // namespace lepton
