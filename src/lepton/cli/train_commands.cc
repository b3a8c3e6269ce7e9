// `lepton train …`: training jobs over the REST API (/api/v1/training-jobs). `lepton train -f
// model_config.json` submits the config, draws the job's progress and prints the run id and the
// key test metrics; a failed or cancelled job is one readable line and exit code 1.

#include <cmath>
#include <cstdio>
#include <iostream>
#include <set>

#include "lepton/api/http.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/cli/args.h"
#include "lepton/cli/commands.h"
#include "lepton/cli/progress.h"
#include "lepton/cli/rest_client.h"

namespace lepton::cli {
namespace {

constexpr char kTrainHelp[] = R"(usage: lepton train -f model_config.json [--detach]
       lepton train status JOB_ID
       lepton train cancel JOB_ID
       lepton train retry JOB_ID

  -f, --file FILE    the model config (docs/model-config.md); submits a training job on the
                     server, shows its progress (phase, fold, boosting round) and prints the
                     run id and the test metrics. The dataset named in the config must be in
                     the server's lake, e.g. lepton lake ingest german_credit.csv
                     --dataset credit/german_credit
  --detach           print the job id and return at once
  status JOB_ID      state, progress, result and the last log lines
  cancel JOB_ID      stop a queued or running job (its run ends "killed")
  retry JOB_ID       a new job with the same config

Example: lepton train -f examples/credit-scoring/model_config.json
)";

std::string JobPath(const std::string& id) { return "/api/v1/training-jobs/" + api::UrlEncode(id); }

std::string Fixed(const Json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v.get<double>());
  return buf;
}

// "cv fold 2/5, candidate 3/4, round 40/400" and the like.
std::string Detail(const Json& p) {
  if (!p.is_object() || !p.contains("phase")) return "queued";
  std::string out = p.value("phase", "");
  if (p.value("folds", 0) > 0) {
    out += StrCat(" fold ", p.value("fold", 0), "/", p.value("folds", 0));
    if (p.value("candidates", 0) > 1) out += StrCat(", candidate ", p.value("candidate", 0), "/", p.value("candidates", 0));
  }
  if (p.value("rounds", int64_t{0}) > 0) out += StrCat(", round ", p.value("round", int64_t{0}), "/", p.value("rounds", int64_t{0}));
  return out;
}

void PrintResult(const Json& job) {
  const Json& r = job["result"];
  std::cout << "run " << r.value("run_id", "") << " in experiment " << r.value("experiment", "") << "\n";
  std::vector<std::vector<std::string>> rows;
  for (auto it = r["metrics"].begin(); it != r["metrics"].end(); ++it) rows.push_back({it.key(), Fixed(*it)});
  PrintTable({"TEST METRIC", "VALUE"}, rows);
  std::cout << "model: " << r.value("model_dir", "") << "\n";
}

void PrintStatus(const Json& job) {
  std::cout << "job " << Str(job, "id") << ": " << Str(job, "state");
  if (job["state"] == "running") std::cout << " (" << Detail(job["progress"]) << ", "
                                           << static_cast<int>(100 * job["progress"].value("fraction", 0.0)) << "%)";
  std::cout << "\n";
  if (!job["run_id"].is_null()) std::cout << "run: " << Str(job, "run_id") << "\n";
  if (job["error"].is_string()) std::cout << "error: " << job["error"].get<std::string>() << "\n";
  if (job["state"] == "succeeded") PrintResult(job);
  const Json& logs = job["logs"];
  if (logs.is_array() && !logs.empty()) {
    std::cout << "log:\n";
    const size_t from = logs.size() > 10 ? logs.size() - 10 : 0;
    for (size_t i = from; i < logs.size(); ++i) std::cout << "  " << logs[i].get<std::string>() << "\n";
  }
}

// Draws the job's progress until it ends; prints the result or fails with its error.
int Follow(const Args& a, const Json& job) {
  const std::string id = job.value("id", "");
  std::cerr << "training job " << id << " submitted\n";
  ProgressBar bar("train");
  auto done = PollJob(a, JobPath(id), [&bar](const Json& j) {
    const Json& p = j["progress"];
    bar.Update(p.is_object() ? p.value("fraction", 0.0) : 0.0, Detail(p));
  });
  bar.Done();
  if (!done.ok()) return Report(done.status());
  if ((*done)["state"] != "succeeded") {
    const Json& e = (*done)["error"];
    return Fail(StrCat("training job ", id, " ", (*done)["state"].get<std::string>(),
                       e.is_string() ? ": " + e.get<std::string>() : std::string()));
  }
  if (WantsJson(a)) PrintJson((*done)["result"]);
  else PrintResult(*done);
  return 0;
}

}  // namespace

int RunTrain(const Argv& argv) {
  // `-f FILE` is the documented short form of --file.
  Argv words;
  for (size_t i = 0; i < argv.size(); ++i) words.push_back(argv[i] == "-f" ? "--file" : argv[i]);
  std::set<std::string> known = kConnFlags;
  known.insert("file");
  auto args = ParseArgs(words, {"help", "json", "detach"}, known);
  if (!args.ok()) return Fail(std::string(ToStd(args.status().message())), 2);
  const auto& pos = args->positional;
  if (args->Has("help")) return Usage(kTrainHelp, *args);
  if (auto file = args->Flag("file")) {
    if (!pos.empty()) return Fail("lepton train -f FILE takes no other arguments (see lepton train --help)", 2);
    auto text = ReadFile(*file);
    if (!text.ok()) return Report(text.status());
    auto config = ParseJson(*text);
    if (!config.ok()) return Fail(StrCat(*file, ": ", config.status().message()));
    auto job = Call(*args, "POST", "/api/v1/training-jobs", *config);
    if (!job.ok()) return Fail(StrCat(*file, ": ", job.status().message()));
    if (args->Has("detach")) {
      std::cout << (*job)["id"].get<std::string>() << "\n";
      return 0;
    }
    return Follow(*args, *job);
  }
  if (pos.size() == 2 && (pos[0] == "status" || pos[0] == "cancel" || pos[0] == "retry")) {
    absl::StatusOr<Json> res = pos[0] == "status" ? Call(*args, "GET", JobPath(pos[1]))
                                                  : Call(*args, "POST", JobPath(pos[1]) + "/" + pos[0]);
    if (!res.ok()) return Report(res.status());
    if (pos[0] == "retry" && !args->Has("detach") && !WantsJson(*args)) return Follow(*args, *res);
    if (WantsJson(*args)) PrintJson(*res);
    else PrintStatus(*res);
    return 0;
  }
  if (pos.empty()) return Usage(kTrainHelp, *args);
  return Fail(StrCat("unknown or incomplete 'train ", StrJoin(pos, " "), "' (see lepton train --help)"), 2);
}

}  // namespace lepton::cli
