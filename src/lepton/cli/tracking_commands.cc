// `lepton experiments …` and `lepton runs …`: experiment tracking over the REST API
// (/api/v1/experiments, /api/v1/runs).

#include <cstdio>
#include <iostream>
#include <set>

#include "lepton/api/http.h"
#include "lepton/base/strings.h"
#include "lepton/cli/args.h"
#include "lepton/cli/commands.h"
#include "lepton/cli/rest_client.h"

namespace lepton::cli {
namespace {

constexpr char kExperimentsHelp[] = R"(usage: lepton experiments COMMAND …

  list [--deleted | --all]                  experiments you may read
  create NAME [--description TEXT]          NAME like credit/scorecard (a grant on credit/*
                                            covers it)
  show ID|NAME                              details and tags
  delete ID|NAME                            soft delete: hidden, runs read-only
  restore ID|NAME                           undo a delete

)";

constexpr char kRunsHelp[] = R"(usage: lepton runs COMMAND …

  list --experiment NAME [--filter EXPR] [--order-by "KEY [ASC|DESC], …"] [--max N]
       EXPR: clauses joined by AND, e.g.
         "metrics.auc > 0.7 and params.learner = 'xgboost' and attributes.status = 'FINISHED'"
         (=, !=, <, <=, >, >= for metrics and times; =, !=, LIKE, ILIKE for params, tags and
         attributes such as run_name, user, status)
  show RUN                                  params, latest metrics, tags, inputs, artifacts
  compare RUN RUN…                          params and metrics side by side ('*': they differ)

)";

std::string Number(const Json& v) {
  if (!v.is_number()) return "-";
  if (v.is_number_integer()) return v.dump();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
  return buf;
}

// Experiment ids are upper-case ULIDs; names are lower case.
bool LooksLikeId(const std::string& s) {
  if (s.size() != 26) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

absl::StatusOr<Json> ResolveExperiment(const Args& a, const std::string& id_or_name) {
  if (LooksLikeId(id_or_name)) return Call(a, "GET", "/api/v1/experiments/" + api::UrlEncode(id_or_name));
  auto list = Call(a, "GET", "/api/v1/experiments?name=" + api::UrlEncode(id_or_name));
  if (!list.ok()) return list.status();
  if (list->empty()) return absl::NotFoundError(StrCat("experiment '", id_or_name, "' not found"));
  return (*list)[0];
}

void PrintExperiments(const Json& list) {
  std::vector<std::vector<std::string>> rows;
  for (const Json& e : list) {
    rows.push_back({Str(e, "id"), Str(e, "name"), Str(e, "lifecycle"), Str(e, "created_by"),
                    Str(e, "created_at"), Str(e, "description")});
  }
  PrintTable({"ID", "NAME", "LIFECYCLE", "CREATED BY", "CREATED", "DESCRIPTION"}, rows);
}

void PrintMap(const char* title, const Json& m) {
  if (!m.is_object() || m.empty()) return;
  std::cout << "\n" << title << ":\n";
  std::vector<std::vector<std::string>> rows;
  for (auto it = m.begin(); it != m.end(); ++it) {
    rows.push_back({"  " + it.key(), it->is_string() ? it->get<std::string>() : it->dump()});
  }
  PrintTable({"  KEY", "VALUE"}, rows);
}

void PrintRun(const Json& r, const Json& artifacts) {
  for (const char* k : {"id", "name", "experiment_id", "status", "user", "start_time", "end_time",
                        "source", "job_id", "parent_run_id"}) {
    const std::string v = Str(r, k);
    std::printf("%-14s %s\n", k, v.empty() ? "-" : v.c_str());
  }
  PrintMap("params", r["params"]);
  if (r["metrics"].is_object() && !r["metrics"].empty()) {
    std::cout << "\nmetrics (latest):\n";
    std::vector<std::vector<std::string>> rows;
    for (auto it = r["metrics"].begin(); it != r["metrics"].end(); ++it) {
      rows.push_back({"  " + it.key(), Number((*it)["value"]), Str(*it, "step")});
    }
    PrintTable({"  KEY", "VALUE", "STEP"}, rows);
  }
  PrintMap("tags", r["tags"]);
  if (r["inputs"].is_array() && !r["inputs"].empty()) {
    std::cout << "\ninputs:\n";
    std::vector<std::vector<std::string>> rows;
    for (const Json& in : r["inputs"]) {
      rows.push_back({"  " + Str(in, "dataset"), Str(in, "version"), Str(in, "context"), Str(in, "digest")});
    }
    PrintTable({"  DATASET", "VERSION", "CONTEXT", "DIGEST"}, rows);
  }
  if (artifacts.is_array() && !artifacts.empty()) {
    std::cout << "\nartifacts:\n";
    std::vector<std::vector<std::string>> rows;
    for (const Json& a : artifacts) {
      rows.push_back({"  " + Str(a, "path"), Str(a, "size_bytes"), Str(a, "sha256")});
    }
    PrintTable({"  PATH", "BYTES", "SHA256"}, rows);
  }
}

void PrintRuns(const Json& runs) {
  // Up to four metric columns: the keys most runs have, alphabetically among equals.
  std::map<std::string, int> counts;
  for (const Json& r : runs) {
    for (auto it = r["metrics"].begin(); it != r["metrics"].end(); ++it) ++counts[it.key()];
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [k, n] : counts) ranked.push_back({-n, k});
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> metric_keys;
  for (size_t i = 0; i < ranked.size() && i < 4; ++i) metric_keys.push_back(ranked[i].second);
  std::vector<std::string> header = {"RUN", "NAME", "STATUS", "USER", "START"};
  for (const std::string& k : metric_keys) header.push_back(k);
  std::vector<std::vector<std::string>> rows;
  for (const Json& r : runs) {
    std::vector<std::string> row = {Str(r, "id"), Str(r, "name"), Str(r, "status"), Str(r, "user"),
                                    Str(r, "start_time")};
    for (const std::string& k : metric_keys) {
      row.push_back(r["metrics"].contains(k) ? Number(r["metrics"][k]["value"]) : "-");
    }
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows);
}

// One row per key; '*' marks keys whose values differ between the runs.
void PrintComparison(const Json& c) {
  std::vector<std::string> header = {"", "KEY"};
  for (const Json& r : c["runs"]) header.push_back(Str(r, "name"));
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> ids = {"", "run"};
  for (const Json& r : c["runs"]) ids.push_back(Str(r, "id"));
  rows.push_back(ids);
  std::vector<std::string> status = {"", "status"};
  for (const Json& r : c["runs"]) status.push_back(Str(r, "status"));
  rows.push_back(status);
  const auto section = [&](const char* prefix, const Json& values, bool numeric) {
    for (auto it = values.begin(); it != values.end(); ++it) {
      std::vector<std::string> row = {"", StrCat(prefix, it.key())};
      std::set<std::string> distinct;
      for (const Json& v : *it) {
        const std::string text = v.is_null() ? "-" : (numeric ? Number(v) : v.get<std::string>());
        distinct.insert(text);
        row.push_back(text);
      }
      if (distinct.size() > 1) row[0] = "*";
      rows.push_back(std::move(row));
    }
  };
  section("params.", c["params"], false);
  section("metrics.", c["metrics"], true);
  PrintTable(header, rows);
}

std::vector<std::string> SplitOrderBy(const std::string& text) {
  std::vector<std::string> out;
  for (std::string_view item : Split(text, ',')) {
    std::string_view t = StripWhitespace(item);
    if (!t.empty()) out.emplace_back(t);
  }
  return out;
}

}  // namespace

int RunExperiments(const Argv& argv) {
  std::set<std::string> known = kConnFlags;
  known.insert({"description", "deleted", "all"});
  auto args = ParseArgs(argv, {"help", "json", "deleted", "all"}, known);
  if (!args.ok()) return Fail(std::string(ToStd(args.status().message())), 2);
  const auto& pos = args->positional;
  if (args->Has("help") || pos.empty()) return Usage(kExperimentsHelp, *args);
  const std::string& cmd = pos[0];
  absl::StatusOr<Json> res;
  if (cmd == "list" && pos.size() == 1) {
    const std::string view = args->Has("all") ? "all" : (args->Has("deleted") ? "deleted" : "active");
    res = Call(*args, "GET", "/api/v1/experiments?view=" + view);
    if (res.ok() && !WantsJson(*args)) return PrintExperiments(*res), 0;
  } else if (cmd == "create" && pos.size() == 2) {
    res = Call(*args, "POST", "/api/v1/experiments",
               {{"name", pos[1]}, {"description", args->Flag("description").value_or("")}});
    if (res.ok() && !WantsJson(*args)) {
      std::cout << "created experiment " << Str(*res, "name") << " (id " << Str(*res, "id") << ")\n";
      return 0;
    }
  } else if (cmd == "show" && pos.size() == 2) {
    res = ResolveExperiment(*args, pos[1]);
    if (res.ok() && !WantsJson(*args)) {
      for (const char* k : {"id", "name", "description", "lifecycle", "created_by", "created_at", "updated_at"}) {
        std::printf("%-12s %s\n", k, Str(*res, k).c_str());
      }
      PrintMap("tags", (*res)["tags"]);
      return 0;
    }
  } else if ((cmd == "delete" || cmd == "restore") && pos.size() == 2) {
    auto e = ResolveExperiment(*args, pos[1]);
    if (!e.ok()) return Report(e.status());
    const std::string path = "/api/v1/experiments/" + api::UrlEncode(Str(*e, "id"));
    res = cmd == "delete" ? Call(*args, "DELETE", path) : Call(*args, "POST", path + "/restore");
    if (res.ok() && !WantsJson(*args)) {
      std::cout << (cmd == "delete" ? "deleted" : "restored") << " experiment " << Str(*res, "name") << "\n";
      return 0;
    }
  } else {
    return Fail(StrCat("unknown or incomplete 'experiments ", StrJoin(pos, " "),
                       "' (see lepton experiments --help)"), 2);
  }
  if (!res.ok()) return Report(res.status());
  PrintJson(*res);
  return 0;
}

int RunRuns(const Argv& argv) {
  std::set<std::string> known = kConnFlags;
  known.insert({"experiment", "filter", "order-by", "max"});
  auto args = ParseArgs(argv, {"help", "json"}, known);
  if (!args.ok()) return Fail(std::string(ToStd(args.status().message())), 2);
  const auto& pos = args->positional;
  if (args->Has("help") || pos.empty()) return Usage(kRunsHelp, *args);
  const std::string& cmd = pos[0];
  absl::StatusOr<Json> res;
  if (cmd == "list" && pos.size() == 1) {
    const auto experiment = args->Flag("experiment");
    if (!experiment) return Fail("runs list needs --experiment NAME", 2);
    Json body = {{"experiment_names", {*experiment}},
                 {"filter", args->Flag("filter").value_or("")},
                 {"order_by", SplitOrderBy(args->Flag("order-by").value_or(""))}};
    if (auto m = args->Flag("max")) {
      int64_t n = 0;
      if (!ParseInt(*m, &n)) return Fail("--max: expected a number", 2);
      body["max_results"] = n;
    }
    res = Call(*args, "POST", "/api/v1/runs/search", body);
    if (res.ok() && !WantsJson(*args)) {
      PrintRuns((*res)["runs"]);
      if (!(*res)["next_page_token"].is_null()) std::cout << "(more runs: raise --max)\n";
      return 0;
    }
  } else if (cmd == "show" && pos.size() == 2) {
    const std::string path = "/api/v1/runs/" + api::UrlEncode(pos[1]);
    res = Call(*args, "GET", path);
    if (res.ok() && !WantsJson(*args)) {
      auto artifacts = Call(*args, "GET", path + "/artifacts");
      if (!artifacts.ok()) return Report(artifacts.status());
      PrintRun(*res, *artifacts);
      return 0;
    }
  } else if (cmd == "compare" && pos.size() >= 3) {
    res = Call(*args, "POST", "/api/v1/runs/compare",
               {{"run_ids", std::vector<std::string>(pos.begin() + 1, pos.end())}});
    if (res.ok() && !WantsJson(*args)) return PrintComparison(*res), 0;
  } else {
    return Fail(StrCat("unknown or incomplete 'runs ", StrJoin(pos, " "), "' (see lepton runs --help)"), 2);
  }
  if (!res.ok()) return Report(res.status());
  PrintJson(*res);
  return 0;
}

}  // namespace lepton::cli
