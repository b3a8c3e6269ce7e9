// `lepton lake …`: namespaces, datasets, ingest, versions, lineage and scans. Talks to the REST
// API; `lepton lake ingest --home DIR` also works without a server, straight on a home folder,
// with a progress bar.

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "lepton/api/http.h"
#include "lepton/api/lake_routes.h"
#include "lepton/base/clock.h"
#include "lepton/base/config.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/cli/args.h"
#include "lepton/cli/commands.h"
#include "lepton/cli/progress.h"
#include "lepton/cli/rest_client.h"
#include "lepton/cli/store_url.h"
#include "lepton/lake/crypto/keys.h"
#include "lepton/lake/lake.h"
#include "lepton/store/meta_store.h"

namespace lepton::cli {
namespace {

constexpr char kLakeHelp[] = R"(usage: lepton lake COMMAND …

  ns list                                   namespaces you may read
  ns create NAME [--description TEXT]
  ns delete NAME                            (must be empty)
  ls [NAMESPACE]                            datasets you may read
  show NS/NAME                              description, schema, version, rows, size
  ingest FILE --dataset NS/NAME [--format csv|jsonl|parquet] [--mode append|overwrite]
         [--bad-rows fail|skip|quarantine]
         [--delimiter C] [--no-header] [--description TEXT] [--if-empty]
         [--home DIR [--store URL]]         without --home: uploads to the server;
                                            with --home: writes the home folder directly
  ingest-sql --dataset NS/NAME --url URL --sql "TABLE or SELECT …" [--mode …] [--bad-rows …]
                                            from postgresql://… (or sqlite:/path, admins only)
  versions NS/NAME                          version history
  profile NS/NAME [--version V]             column statistics and data-quality alerts
  clean NS/NAME --rules FILE                apply cleaning rules (YAML or JSON) as a new version
  lineage NS/NAME                           how each version came to be
  scan NS/NAME [--columns a,b] [--where "COL OP VALUE"]… [--limit N] [--version V]
         [--as-of TIME] [--format table|csv|json]
         OP: = != < <= > >=; also "COL is null", "COL is not null"
         csv and json return every matching row unless --limit is given (the server
         streams them); the table format shows the first 100 unless --limit is given
  delete NS/NAME

Bad rows: 'fail' (default) stops at the first one and commits nothing, naming file, line,
column and reason; 'skip' drops and counts them; 'quarantine' keeps them with their reasons
in the dataset NS/NAME__quarantine.
)";

std::string DatasetPath(const std::string& full) {
  const auto slash = full.find('/');
  return StrCat("/api/v1/lake/datasets/", api::UrlEncode(full.substr(0, slash)), "/",
                api::UrlEncode(slash == std::string::npos ? "" : full.substr(slash + 1)));
}

// The ingest bar's text after the percentage.
std::string IngestDetail(const lake::Progress& p) {
  return StrCat(HumanBytes(p.bytes_done), " / ", HumanBytes(p.bytes_total), "  ", p.rows, " rows");
}
double IngestFraction(const lake::Progress& p) {
  return p.bytes_total > 0 ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 0;
}

void PrintDatasets(const Json& list) {
  std::vector<std::vector<std::string>> rows;
  for (const Json& d : list) {
    rows.push_back({Str(d, "full_name"), Str(d, "current_version"), Str(d, "row_count"),
                    HumanBytes(d.value("size_bytes", int64_t{0})),
                    d.value("sensitive", false) ? "yes" : "no", Str(d, "description")});
  }
  PrintTable({"DATASET", "VERSION", "ROWS", "SIZE", "SENSITIVE", "DESCRIPTION"}, rows);
}

void PrintIngest(const Json& r) {
  std::cout << "ingested " << r.value("rows", int64_t{0}) << " rows into "
            << r["dataset"].value("full_name", "") << " version " << r.value("version", int64_t{-1});
  const int64_t bad = r.value("bad_rows", int64_t{0});
  if (bad > 0) std::cout << " (" << bad << " bad rows" << (r.value("quarantine", "").empty() ? " skipped" : " quarantined in " + r.value("quarantine", "")) << ")";
  std::cout << "\n";
}

// Parses "age >= 60", "name = ada", "x is null".
absl::StatusOr<Json> ParseWhere(const std::string& text) {
  std::vector<std::string> words;
  for (std::string_view w : Split(StripWhitespace(text), ' ')) {
    if (!w.empty()) words.emplace_back(w);
  }
  if (words.size() == 3 && words[1] == "is" && words[2] == "null") {
    return Json{{"column", words[0]}, {"op", "is_null"}};
  }
  if (words.size() == 4 && words[1] == "is" && words[2] == "not" && words[3] == "null") {
    return Json{{"column", words[0]}, {"op", "is_not_null"}};
  }
  // Also accept "age>=60" without spaces.
  std::string column, op, value;
  const std::string t(StripWhitespace(text));
  const size_t at = t.find_first_of("=!<>");
  if (at == std::string::npos || at == 0) {
    return absl::InvalidArgumentError(StrCat("--where '", text, "': expected COLUMN OP VALUE"));
  }
  column = std::string(StripWhitespace(std::string_view(t).substr(0, at)));
  size_t op_len = (at + 1 < t.size() && t[at + 1] == '=') ? 2 : 1;
  if (t[at] == '<' && at + 1 < t.size() && t[at + 1] == '>') op_len = 2;
  op = t.substr(at, op_len);
  value = std::string(StripWhitespace(std::string_view(t).substr(at + op_len)));
  if (op == "==") op = "=";
  if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front()) {
    return Json{{"column", column}, {"op", op}, {"value", value.substr(1, value.size() - 2)}};
  }
  auto literal = ParseJson(value);
  return Json{{"column", column}, {"op", op},
              {"value", literal.ok() && !literal->is_object() && !literal->is_array() ? *literal : Json(value)}};
}

int LocalIngest(const Args& a, const std::string& file, const std::string& dataset) {
  std::map<std::string, std::string> flags = {{"home", *a.Flag("home")}};
  if (auto s = a.Flag("store")) flags["store"] = *s;
  auto config = LoadConfig(flags, ProcessEnvironment());
  if (!config.ok()) return Fail(std::string(ToStd(config.status().message())), 2);
  auto parts = lake::ParseDatasetName(dataset);
  if (!parts.ok()) return Report(parts.status());
  if (auto s = MakeDirs(config->home, 0700); !s.ok()) return Report(s);
  auto store = store::OpenMetaStore(StoreUrl(*config));
  if (!store.ok()) return Report(store.status());
  auto master = lake::crypto::LoadMasterKeyFromEnvironment(config->home, /*create_if_missing=*/true);
  if (!master.ok()) return Report(master.status());
  std::shared_ptr<const lake::crypto::MasterKey> key;
  if (*master) key = std::make_shared<const lake::crypto::MasterKey>(std::move(**master));
  lake::Lake lake(config->home + "/lake", **store, Clock::System(), key);
  if (a.Has("if-empty")) {
    auto d = lake.catalog().GetDataset(parts->first, parts->second);
    if (d.ok() && d->current_version >= 0) {
      std::cout << dataset << " already has data (version " << d->current_version << "); not ingesting\n";
      return 0;
    }
  }
  lake::IngestRequest r;
  auto format = lake::ParseSourceFormat(a.Flag("format").value_or("csv"));
  if (!format.ok()) return Fail(std::string(ToStd(format.status().message())), 2);
  r.format = *format;
  r.ns = parts->first;
  r.name = parts->second;
  r.path = file;
  r.user = "local";
  r.description = a.Flag("description").value_or("");
  if (a.Flag("mode").value_or("append") == "overwrite") r.mode = lake::WriteMode::kOverwrite;
  const std::string bad = a.Flag("bad-rows").value_or("fail");
  if (bad == "skip") r.csv.bad_rows = lake::ingest::BadRowPolicy::kSkip;
  else if (bad == "quarantine") r.csv.bad_rows = lake::ingest::BadRowPolicy::kQuarantine;
  if (auto d = a.Flag("delimiter")) r.csv.delimiter = (*d)[0];
  if (a.Has("no-header")) r.csv.has_header = false;
  ProgressBar bar("ingest");
  r.progress = [&bar](const lake::Progress& p) { bar.Update(IngestFraction(p), IngestDetail(p)); };
  auto res = lake.Ingest(r);
  bar.Done();
  if (!res.ok()) return Report(res.status());
  PrintIngest({{"rows", res->rows}, {"version", res->version}, {"bad_rows", res->bad_rows},
               {"quarantine", res->quarantine}, {"dataset", lake::DatasetToJson(res->dataset)}});
  return 0;
}

int Ingest(const Args& a) {
  if (a.positional.size() != 2) return Fail("usage: lepton lake ingest FILE --dataset NS/NAME (see lepton lake --help)", 2);
  const std::string& file = a.positional[1];
  const auto dataset = a.Flag("dataset");
  if (!dataset) return Fail("lake ingest needs --dataset NS/NAME", 2);
  const std::string mode = a.Flag("mode").value_or("append");
  if (mode != "append" && mode != "overwrite") return Fail("--mode: expected append or overwrite", 2);
  const std::string bad = a.Flag("bad-rows").value_or("fail");
  if (bad != "fail" && bad != "skip" && bad != "quarantine") {
    return Fail("--bad-rows: expected fail, skip or quarantine", 2);
  }
  if (auto d = a.Flag("delimiter"); d && d->size() != 1) return Fail("--delimiter: expected one character", 2);
  if (a.Has("home")) return LocalIngest(a, file, *dataset);
  auto body = ReadFile(file);
  if (!body.ok()) return Report(body.status());
  std::string target = StrCat(DatasetPath(*dataset), "/ingest?format=", a.Flag("format").value_or("csv"),
                              "&mode=", mode, "&bad_rows=", bad,
                              "&source=", api::UrlEncode(std::filesystem::path(file).filename().string()));
  if (auto d = a.Flag("delimiter")) target += "&delimiter=" + api::UrlEncode(*d);
  if (a.Has("no-header")) target += "&header=false";
  if (auto d = a.Flag("description")) target += "&description=" + api::UrlEncode(*d);
  if (a.Has("if-empty")) {
    auto d = Call(a, "GET", DatasetPath(*dataset));
    if (d.ok() && d->value("current_version", int64_t{-1}) >= 0) {
      std::cout << *dataset << " already has data; not ingesting\n";
      return 0;
    }
  }
  std::cerr << "uploading " << HumanBytes(static_cast<int64_t>(body->size())) << "…\n";
  // The server ingests as a job; poll it and draw its progress.
  auto res = CallRaw(a, "POST", target + "&async=true", *body, "application/octet-stream");
  if (!res.ok()) return Report(res.status());
  auto job = ParseJson(res->body);
  if (!job.ok()) return Report(job.status());
  const std::string job_path = "/api/v1/jobs/" + api::UrlEncode((*job)["id"].get<std::string>());
  ProgressBar bar("ingest");
  auto done = PollJob(a, job_path, [&bar](const Json& j) {
    const Json& p = j["progress"];
    const lake::Progress progress{p.value("bytes_done", int64_t{0}), p.value("bytes_total", int64_t{0}),
                                  p.value("rows", int64_t{0})};
    bar.Update(IngestFraction(progress), IngestDetail(progress));
  });
  bar.Done();
  if (!done.ok()) return Report(done.status());
  if ((*done)["state"] != "succeeded") {
    return Fail((*done)["error"].is_string() ? (*done)["error"].get<std::string>() : (*done)["state"].get<std::string>());
  }
  if (WantsJson(a)) PrintJson((*done)["result"]);
  else PrintIngest((*done)["result"]);
  return 0;
}

int Scan(const Args& a, const std::vector<std::string>& wheres) {
  if (a.positional.size() != 2) return Fail("usage: lepton lake scan NS/NAME [flags]", 2);
  Json body = Json::object();
  if (auto c = a.Flag("columns")) {
    Json cols = Json::array();
    for (std::string_view s : Split(*c, ',')) cols.push_back(std::string(StripWhitespace(s)));
    body["columns"] = cols;
  }
  Json where = Json::array();
  for (const std::string& w : wheres) {
    auto p = ParseWhere(w);
    if (!p.ok()) return Fail(std::string(ToStd(p.status().message())), 2);
    where.push_back(*p);
  }
  if (!where.empty()) body["where"] = where;
  const std::string format = a.Flag("format").value_or(WantsJson(a) ? "json" : "table");
  if (format != "table" && format != "csv" && format != "json") {
    return Fail("--format: expected table, csv or json", 2);
  }
  constexpr int64_t kTableRows = 100;  // a screenful; the table is built in memory
  if (auto l = a.Flag("limit")) {
    int64_t n;
    if (!ParseInt(*l, &n) || n < 0) return Fail("--limit: expected a number >= 0", 2);
    body["limit"] = n;
  } else if (format == "table") {
    body["limit"] = kTableRows + 1;  // one more, to tell whether rows were cut
  }
  if (auto v = a.Flag("version")) {
    int64_t n;
    if (!ParseInt(*v, &n)) return Fail("--version: expected a number", 2);
    body["version"] = n;
  }
  if (auto t = a.Flag("as-of")) body["as_of"] = *t;
  if (format == "csv") {
    body["format"] = "csv";
    auto res = CallRaw(a, "POST", DatasetPath(a.positional[1]) + "/scan", DumpJson(body), "application/json");
    if (!res.ok()) return Report(res.status());
    std::cout << res->body;
    return 0;
  }
  auto res = Call(a, "POST", DatasetPath(a.positional[1]) + "/scan", body);
  if (!res.ok()) return Report(res.status());
  if (format == "json") return PrintJson(*res), 0;
  std::vector<std::string> header = (*res)["columns"].get<std::vector<std::string>>();
  std::vector<std::vector<std::string>> rows;
  const bool cut = !a.Flag("limit") && (*res)["rows"].size() > static_cast<size_t>(kTableRows);
  for (const Json& r : (*res)["rows"]) {
    if (cut && rows.size() == static_cast<size_t>(kTableRows)) break;
    std::vector<std::string> row;
    for (const Json& v : r) row.push_back(v.is_null() ? "NULL" : v.is_string() ? v.get<std::string>() : v.dump());
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows);
  std::cerr << rows.size() << " rows (version " << (*res)["version"] << ")"
            << (cut ? "; more match: pass --limit N, or --format csv for all" : "") << "\n";
  return 0;
}

}  // namespace

int RunLake(const Argv& argv) {
  // --where may repeat: collect it before the generic parser keeps only the last one.
  std::vector<std::string> wheres;
  Argv rest;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--where" && i + 1 < argv.size()) {
      wheres.push_back(argv[++i]);
    } else if (argv[i].starts_with("--where=")) {
      wheres.push_back(argv[i].substr(8));
    } else {
      rest.push_back(argv[i]);
    }
  }
  std::set<std::string> known = kConnFlags;
  known.insert({"description", "dataset", "mode", "bad-rows", "delimiter", "home", "store", "rules",
                "format", "url", "sql",
                "columns", "limit", "version", "as-of", "format"});
  auto args = ParseArgs(rest, {"help", "json", "no-header", "if-empty"}, known);
  if (!args.ok()) return Fail(std::string(ToStd(args.status().message())), 2);
  const auto& pos = args->positional;
  if (args->Has("help") || pos.empty()) return Usage(kLakeHelp, *args);
  const std::string& cmd = pos[0];
  absl::StatusOr<Json> res;
  if (cmd == "ns" && pos.size() >= 2) {
    if (pos[1] == "list" && pos.size() == 2) {
      res = Call(*args, "GET", "/api/v1/lake/namespaces");
      if (res.ok() && !WantsJson(*args)) {
        std::vector<std::vector<std::string>> rows;
        for (const Json& n : *res) rows.push_back({Str(n, "name"), Str(n, "owner"), Str(n, "description")});
        PrintTable({"NAMESPACE", "OWNER", "DESCRIPTION"}, rows);
        return 0;
      }
    } else if (pos[1] == "create" && pos.size() == 3) {
      res = Call(*args, "POST", "/api/v1/lake/namespaces",
                 {{"name", pos[2]}, {"description", args->Flag("description").value_or("")}});
      if (res.ok() && !WantsJson(*args)) return std::cout << "created namespace " << pos[2] << "\n", 0;
    } else if (pos[1] == "delete" && pos.size() == 3) {
      res = Call(*args, "DELETE", "/api/v1/lake/namespaces/" + api::UrlEncode(pos[2]));
      if (res.ok() && !WantsJson(*args)) return std::cout << "deleted namespace " << pos[2] << "\n", 0;
    } else {
      return Fail("unknown 'lake ns' command (see lepton lake --help)", 2);
    }
  } else if (cmd == "ls" && pos.size() <= 2) {
    res = Call(*args, "GET", pos.size() == 2 ? "/api/v1/lake/datasets?namespace=" + api::UrlEncode(pos[1])
                                             : std::string("/api/v1/lake/datasets"));
    if (res.ok() && !WantsJson(*args)) return PrintDatasets(*res), 0;
  } else if (cmd == "show" && pos.size() == 2) {
    res = Call(*args, "GET", DatasetPath(pos[1]));
  } else if (cmd == "ingest") {
    return Ingest(*args);
  } else if (cmd == "versions" && pos.size() == 2) {
    res = Call(*args, "GET", DatasetPath(pos[1]) + "/versions");
    if (res.ok() && !WantsJson(*args)) {
      std::vector<std::vector<std::string>> rows;
      for (const Json& v : *res) rows.push_back({Str(v, "version"), Str(v, "timestamp"), Str(v, "operation"), Str(v, "user")});
      PrintTable({"VERSION", "TIME", "OPERATION", "USER"}, rows);
      return 0;
    }
  } else if (cmd == "profile" && pos.size() == 2) {
    std::string target = DatasetPath(pos[1]) + "/profile?format=" + (WantsJson(*args) ? "json" : "table");
    if (auto v = args->Flag("version")) target += "&version=" + api::UrlEncode(*v);
    auto raw = CallRaw(*args, "GET", target, "", "application/json");
    if (!raw.ok()) return Report(raw.status());
    std::cout << raw->body;
    if (!raw->body.empty() && raw->body.back() != '\n') std::cout << "\n";
    return 0;
  } else if (cmd == "clean" && pos.size() == 2) {
    const auto rules_file = args->Flag("rules");
    if (!rules_file) return Fail("lake clean needs --rules FILE", 2);
    auto rules = ReadFile(*rules_file);
    if (!rules.ok()) return Report(rules.status());
    auto raw = CallRaw(*args, "POST", DatasetPath(pos[1]) + "/clean", *rules, "application/yaml");
    if (!raw.ok()) return Report(raw.status());
    auto j = ParseJson(raw->body);
    if (!j.ok()) return Report(j.status());
    if (WantsJson(*args)) return PrintJson(*j), 0;
    std::cout << "cleaned " << pos[1] << ": version " << (*j)["input_version"] << " -> "
              << (*j)["version"] << ", rows " << (*j)["rows_in"] << " -> " << (*j)["rows_out"];
    if ((*j)["rows_quarantined"].get<int64_t>() > 0) {
      std::cout << " (" << (*j)["rows_quarantined"] << " quarantined in " << (*j)["quarantine"].get<std::string>() << ")";
    }
    std::cout << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const Json& rule : (*j)["report"]) {
      std::string summary;
      for (auto it = rule.begin(); it != rule.end(); ++it) {
        if (it->is_number_integer() && it->get<int64_t>() != 0 && it.key() != "index") {
          summary += it.key() + "=" + it->dump() + " ";
        }
      }
      rows.push_back({Str(rule, "index"), Str(rule, "kind"), summary});
    }
    PrintTable({"RULE", "KIND", "EFFECT"}, rows);
    return 0;
  } else if (cmd == "lineage" && pos.size() == 2) {
    res = Call(*args, "GET", DatasetPath(pos[1]) + "/lineage");
  } else if (cmd == "ingest-sql" && pos.size() == 1) {
    const auto dataset = args->Flag("dataset");
    const auto url = args->Flag("url");
    const auto sql = args->Flag("sql");
    if (!dataset || !url || !sql) return Fail("lake ingest-sql needs --dataset, --url and --sql", 2);
    auto j = Call(*args, "POST", DatasetPath(*dataset) + "/ingest-sql",
                  {{"url", *url}, {"sql", *sql}, {"mode", args->Flag("mode").value_or("append")},
                   {"bad_rows", args->Flag("bad-rows").value_or("fail")}});
    if (!j.ok()) return Report(j.status());
    if (WantsJson(*args)) return PrintJson(*j), 0;
    PrintIngest(*j);
    return 0;
  } else if (cmd == "scan") {
    return Scan(*args, wheres);
  } else if (cmd == "delete" && pos.size() == 2) {
    res = Call(*args, "DELETE", DatasetPath(pos[1]));
    if (res.ok() && !WantsJson(*args)) return std::cout << "deleted " << pos[1] << "\n", 0;
  } else {
    return Fail(StrCat("unknown or incomplete 'lake ", StrJoin(pos, " "), "' (see lepton lake --help)"), 2);
  }
  if (!res.ok()) return Report(res.status());
  PrintJson(*res);
  return 0;
}

}  // namespace lepton::cli
