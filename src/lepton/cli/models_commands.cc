// `lepton models …`: the model registry over the REST API (/api/v1/models): registered models,
// numbered versions (from a tracked run or an uploaded bundle archive), tags, aliases with their
// history, and bundle downloads; governance (a model's policy, dry-run quality gates, promotion
// requests decided by a second person), model cards, global importance and per-row explanations.
//
// Every subcommand is one row of kSubcommands (name, operands, summary, flags, handler); the
// `lepton models --help` list and each `lepton models X --help` are generated from it, so a new
// subcommand is one handler and one row. Handlers see only their operands (the words after the
// subcommand) and return the exit code: 0, 1 (a server or file error, one line) or 2 (bad usage).

#include <cstdio>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lepton/api/http.h"
#include "lepton/api/http_client.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/base/tar.h"
#include "lepton/cli/args.h"
#include "lepton/cli/commands.h"
#include "lepton/cli/progress.h"
#include "lepton/cli/rest_client.h"

namespace lepton::cli {
namespace {

// One parsed `lepton models X …`: `args.positional` holds the operands after X; `lists` the
// values of the subcommand's repeatable flags, in order (e.g. every --tag).
struct Invocation {
  std::string command;
  Args args;
  std::map<std::string, std::vector<std::string>> lists;

  const std::vector<std::string>& operands() const { return args.positional; }
  bool json() const { return WantsJson(args); }
};

struct Subcommand {
  const char* name;
  const char* operands;  // after the name, e.g. "NAME ALIAS V [--comment C]"
  const char* summary;   // one line in `lepton models --help`
  const char* details;   // more text for `lepton models NAME --help` ("" for none)
  size_t min_operands;
  size_t max_operands;
  std::set<std::string> flags;           // value flags besides the connection ones
  std::set<std::string> repeated_flags;  // value flags that may be given more than once
  std::set<std::string> switches;        // flags without a value (e.g. --markdown)
  int (*run)(const Invocation& in);
};

// ------------------------------------------------------------------ helpers

std::string ModelPath(const std::string& name) { return "/api/v1/models/" + api::UrlEncode(name); }
std::string VersionPath(const std::string& name, int64_t v) { return StrCat(ModelPath(name), "/versions/", v); }

// `j[key]` as display text; "-" when absent, null or empty.
std::string Text(const Json& j, const char* key) {
  const std::string s = Str(j, key);
  return s.empty() ? "-" : s;
}

// A version number for display: -1 (no version: a new or removed alias) and 0 (no ready
// version yet) are "-".
std::string VersionText(const Json& v) {
  if (!v.is_number_integer() || v.get<int64_t>() < 1) return "-";
  return v.dump();
}

std::string UsageLine(const Subcommand& s) { return StrCat("lepton models ", s.name, " ", s.operands); }

int BadUsage(const Invocation& in, const std::string& what) {
  return Fail(StrCat(what, " (see lepton models ", in.command, " --help)"), 2);
}

// A version operand: a positive integer, else bad usage.
std::optional<int64_t> ParseVersion(const std::string& text) {
  int64_t v = 0;
  if (!ParseInt(text, &v) || v < 1) return std::nullopt;
  return v;
}

// The version behind `v_or_alias` (a number or an alias of the model), as the server's JSON.
absl::StatusOr<Json> ResolveVersion(const Invocation& in, const std::string& name, const std::string& v_or_alias) {
  if (auto v = ParseVersion(v_or_alias)) return Call(in.args, "GET", VersionPath(name, *v));
  return Call(in.args, "GET", ModelPath(name) + "/aliases/" + api::UrlEncode(v_or_alias));
}

// Prints `j` as JSON when --json / --output json was asked for, else calls `print`; 0.
template <typename F>
int Show(const Invocation& in, const Json& j, F print) {
  if (in.json()) PrintJson(j);
  else print();
  return 0;
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

// "production=2, staging=3" from {"production": 2, "staging": 3}.
std::string AliasList(const Json& aliases) {
  std::vector<std::string> parts;
  if (aliases.is_object()) {
    for (auto it = aliases.begin(); it != aliases.end(); ++it) parts.push_back(StrCat(it.key(), "=", it->dump()));
  } else if (aliases.is_array()) {
    for (const Json& a : aliases) parts.push_back(a.is_string() ? a.get<std::string>() : a.dump());
  }
  return parts.empty() ? "-" : StrJoin(parts, ", ");
}

void PrintVersions(const Json& versions) {
  std::vector<std::vector<std::string>> rows;
  for (const Json& v : versions) {
    rows.push_back({Str(v, "version"), Text(v, "status"), AliasList(v["aliases"]), Text(v, "source"),
                    Text(v, "flavor"), Text(v, "created_by"), Text(v, "created_at"), Text(v, "description")});
  }
  PrintTable({"VERSION", "STATUS", "ALIASES", "SOURCE", "FLAVOR", "CREATED BY", "CREATED", "DESCRIPTION"}, rows);
}

void PrintVersion(const Json& v) {
  for (const char* k : {"name", "version", "status", "status_message", "source", "run_id", "flavor", "description",
                        "manifest_sha256", "created_by", "created_at", "updated_at"}) {
    if (std::string_view(k) == "status_message" && Str(v, k).empty()) continue;
    std::printf("%-16s %s\n", k, Text(v, k).c_str());
  }
  std::printf("%-16s %s\n", "aliases", AliasList(v["aliases"]).c_str());
  PrintMap("tags", v["tags"]);
}

// "1 -> 2", "- -> 1" (a new alias), "2 -> -" (a removed one).
std::string Move(const Json& change) {
  return StrCat(VersionText(change["previous_version"]), " -> ", VersionText(change["version"]));
}

// ------------------------------------------------------------------ handlers

int List(const Invocation& in) {
  std::string target = "/api/v1/models";
  if (auto p = in.args.Flag("prefix")) target += "?prefix=" + api::UrlEncode(*p);
  auto res = Call(in.args, "GET", target);
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] {
    std::vector<std::vector<std::string>> rows;
    for (const Json& m : *res) {
      rows.push_back({Str(m, "name"), VersionText(m["latest_version"]), AliasList(m["aliases"]),
                      Text(m, "description")});
    }
    PrintTable({"NAME", "LATEST", "ALIASES", "DESCRIPTION"}, rows);
  });
}

int Create(const Invocation& in) {
  const std::string& name = in.operands()[0];
  Json tags = Json::object();
  if (auto it = in.lists.find("tag"); it != in.lists.end()) {
    for (const std::string& kv : it->second) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) return BadUsage(in, StrCat("--tag: expected KEY=VALUE, got '", kv, "'"));
      tags[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  Json body = {{"name", name}, {"tags", tags}};
  if (auto d = in.args.Flag("description")) body["description"] = *d;
  auto res = Call(in.args, "POST", "/api/v1/models", body);
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] { std::cout << "created model " << Str(*res, "name") << "\n"; });
}

int Get(const Invocation& in) {
  const std::string& name = in.operands()[0];
  auto model = Call(in.args, "GET", ModelPath(name));
  if (!model.ok()) return Report(model.status());
  auto versions = Call(in.args, "GET", ModelPath(name) + "/versions");
  if (!versions.ok()) return Report(versions.status());
  Json out = *model;
  out["versions"] = *versions;
  return Show(in, out, [&] {
    for (const char* k : {"name", "description", "latest_version", "created_by", "created_at", "updated_at"}) {
      const std::string v = std::string_view(k) == "latest_version" ? VersionText((*model)[k]) : Text(*model, k);
      std::printf("%-15s %s\n", k, v.c_str());
    }
    PrintMap("aliases", (*model)["aliases"]);
    PrintMap("tags", (*model)["tags"]);
    std::cout << "\nversions:\n";
    if (versions->empty()) std::cout << "  (none: lepton models register " << name << " --run RUN_ID)\n";
    else PrintVersions(*versions);
  });
}

int Delete(const Invocation& in) {
  const std::string& name = in.operands()[0];
  auto res = Call(in.args, "DELETE", ModelPath(name));
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] { std::cout << "deleted model " << name << "\n"; });
}

int Register(const Invocation& in) {
  const std::string& name = in.operands()[0];
  const auto run = in.args.Flag("run");
  if (!run || run->empty()) return BadUsage(in, "models register needs --run RUN_ID");
  Json body = {{"run_id", *run}};
  if (auto d = in.args.Flag("description")) body["description"] = *d;
  auto res = Call(in.args, "POST", ModelPath(name) + "/versions", body);
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] { std::cout << "registered " << name << " version " << Str(*res, "version") << "\n"; });
}

int Versions(const Invocation& in) {
  auto res = Call(in.args, "GET", ModelPath(in.operands()[0]) + "/versions");
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] { PrintVersions(*res); });
}

int Version(const Invocation& in) {
  auto res = ResolveVersion(in, in.operands()[0], in.operands()[1]);
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] { PrintVersion(*res); });
}

int DeleteVersion(const Invocation& in) {
  const std::string& name = in.operands()[0];
  const auto v = ParseVersion(in.operands()[1]);
  if (!v) return BadUsage(in, StrCat("V: expected a version number, got '", in.operands()[1], "'"));
  auto res = Call(in.args, "DELETE", VersionPath(name, *v));
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] { std::cout << "deleted " << name << " version " << *v << "\n"; });
}

// `tag NAME [V] KEY=VALUE` and `untag NAME [V] KEY`: the model's tags, or a version's with V.
int TagOrUntag(const Invocation& in, bool set) {
  const auto& ops = in.operands();
  const std::string& name = ops[0];
  std::string base = ModelPath(name);
  std::string what = name;
  if (ops.size() == 3) {
    const auto v = ParseVersion(ops[1]);
    if (!v) return BadUsage(in, StrCat("V: expected a version number, got '", ops[1], "'"));
    base = VersionPath(name, *v);
    what = StrCat(name, " version ", *v);
  }
  const std::string& last = ops.back();
  std::string key = last;
  absl::StatusOr<Json> res;
  if (set) {
    const auto eq = last.find('=');
    if (eq == std::string::npos || eq == 0) return BadUsage(in, StrCat("expected KEY=VALUE, got '", last, "'"));
    key = last.substr(0, eq);
    res = Call(in.args, "PUT", base + "/tags/" + api::UrlEncode(key), {{"value", last.substr(eq + 1)}});
  } else {
    res = Call(in.args, "DELETE", base + "/tags/" + api::UrlEncode(key));
  }
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] { std::cout << (set ? "set tag " : "removed tag ") << key << " on " << what << "\n"; });
}
int Tag(const Invocation& in) { return TagOrUntag(in, true); }
int Untag(const Invocation& in) { return TagOrUntag(in, false); }

int Alias(const Invocation& in) {
  const auto& ops = in.operands();
  const auto v = ParseVersion(ops[2]);
  if (!v) return BadUsage(in, StrCat("V: expected a version number, got '", ops[2], "'"));
  Json body = {{"version", *v}};
  if (auto c = in.args.Flag("comment")) body["comment"] = *c;
  auto res = Call(in.args, "PUT", ModelPath(ops[0]) + "/aliases/" + api::UrlEncode(ops[1]), body);
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] { std::cout << ops[1] << ": " << Move(*res) << "\n"; });
}

int Unalias(const Invocation& in) {
  const auto& ops = in.operands();
  std::string target = ModelPath(ops[0]) + "/aliases/" + api::UrlEncode(ops[1]);
  if (auto c = in.args.Flag("comment")) target += "?comment=" + api::UrlEncode(*c);
  auto res = Call(in.args, "DELETE", target);
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] { std::cout << "removed alias " << ops[1] << " of " << ops[0] << "\n"; });
}

int History(const Invocation& in) {
  std::string target = ModelPath(in.operands()[0]) + "/alias-history";
  if (auto a = in.args.Flag("alias")) target += "?alias=" + api::UrlEncode(*a);
  auto res = Call(in.args, "GET", target);
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] {
    std::vector<std::vector<std::string>> rows;
    for (const Json& c : *res) {
      rows.push_back({Text(c, "changed_at"), Text(c, "alias"), Move(c), Text(c, "changed_by"), Text(c, "comment")});
    }
    PrintTable({"CHANGED", "ALIAS", "MOVE", "BY", "COMMENT"}, rows);
  });
}

int Download(const Invocation& in) {
  const std::string& name = in.operands()[0];
  auto version = ResolveVersion(in, name, in.operands()[1]);
  if (!version.ok()) return Report(version.status());
  const Json& number = (*version)["version"];
  if (!number.is_number_integer()) return Fail("the server's answer has no version number");
  const int64_t v = number.get<int64_t>();
  auto res = CallRaw(in.args, "GET", VersionPath(name, v) + "/bundle", "", "application/json");
  if (!res.ok()) return Report(res.status());
  const std::string file = in.args.Flag("out").value_or(StrCat(name, "-", v, ".tar"));
  if (file == "-") {
    std::cout.write(res->body.data(), static_cast<std::streamsize>(res->body.size()));
    std::cout.flush();
    return std::cout ? 0 : Fail("writing the bundle to stdout failed");
  }
  if (auto s = WriteFileAtomically(file, res->body); !s.ok()) return Report(s);
  const Json out = {{"name", name}, {"version", v}, {"file", file}, {"size_bytes", res->body.size()}};
  return Show(in, out, [&] {
    std::cout << "wrote " << file << " (" << name << " version " << v << ", " << HumanBytes(res->body.size())
              << ")\n";
  });
}

int Upload(const Invocation& in) {
  const std::string& name = in.operands()[0];
  const std::string& file = in.operands()[1];
  auto bytes = ReadFile(file);
  if (!bytes.ok()) return Report(bytes.status());
  std::string target = ModelPath(name) + "/versions/upload";
  if (auto d = in.args.Flag("description")) target += "?description=" + api::UrlEncode(*d);
  auto res = CallRaw(in.args, "POST", target, *bytes, "application/x-tar");
  if (!res.ok()) return Report(res.status());
  auto j = ParseJson(res->body);
  if (!j.ok()) return Fail(StrCat("server sent invalid JSON: ", j.status().message()));
  return Show(in, *j, [&] {
    std::cout << "uploaded " << file << " as " << name << " version " << Str(*j, "version") << "\n";
  });
}

int Import(const Invocation& in) {
  const std::string& name = in.operands()[0];
  const auto flavor = in.args.Flag("flavor");
  const auto model_file = in.args.Flag("model");
  const auto signature_file = in.args.Flag("signature");
  if (!flavor || !model_file || !signature_file) {
    return BadUsage(in, "models import needs --flavor, --model FILE and --signature FILE");
  }
  auto model = ReadFile(*model_file);
  if (!model.ok()) return Report(model.status());
  auto signature = ReadFile(*signature_file);
  if (!signature.ok()) return Report(signature.status());
  // The model file keeps its base name inside the archive (the server only needs it to differ
  // from signature.json).
  std::string base = *model_file;
  if (auto slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
  if (base.empty() || base == "signature.json") base = "model";
  auto tar = WriteTar({{"signature.json", *signature}, {base, *model}});
  if (!tar.ok()) return Report(tar.status());
  std::string target = StrCat(ModelPath(name), "/versions/import?flavor=", api::UrlEncode(*flavor));
  if (auto d = in.args.Flag("description")) target += "&description=" + api::UrlEncode(*d);
  auto res = CallRaw(in.args, "POST", target, *tar, "application/x-tar");
  if (!res.ok()) return Report(res.status());
  auto j = ParseJson(res->body);
  if (!j.ok()) return Fail(StrCat("server sent invalid JSON: ", j.status().message()));
  return Show(in, *j, [&] {
    std::cout << "imported " << *model_file << " (" << *flavor << ") as " << name << " version " << Str(*j, "version")
              << "\n";
  });
}

// ------------------------------------------------------------------ governance, cards, explanations

// A number for display: integers as they are, other numbers with at most 4 decimals (0.9,
// 0.7699), strings as they are (cut at 40 characters), string arrays joined; "-" for null.
std::string Num(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_number_integer() || v.is_boolean()) return v.dump();
  if (v.is_number()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.4f", v.get<double>());
    std::string s = buf;
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s == "-0" ? "0" : s;
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    return s.size() > 40 ? s.substr(0, 37) + "..." : s;
  }
  if (v.is_array()) {
    std::vector<std::string> parts;
    for (const Json& e : v) parts.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    return StrJoin(parts, ", ");
  }
  return v.dump();
}

// A number with 4 decimals, for aligned table columns ("0.7710").
std::string Fixed(const Json& v) {
  if (!v.is_number()) return Num(v);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4f", v.get<double>());
  return buf;
}

// A number with its sign ("+0.6699", "-1.1141").
std::string Signed(const Json& v) {
  if (!v.is_number()) return Num(v);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%+.4f", v.get<double>());
  return buf;
}

// The version number behind `v_or_alias` (a number, else an alias resolved by the server).
absl::StatusOr<int64_t> VersionNumber(const Invocation& in, const std::string& name, const std::string& v_or_alias) {
  if (auto v = ParseVersion(v_or_alias)) return *v;
  LEPTON_ASSIGN_OR_RETURN(Json version, ResolveVersion(in, name, v_or_alias));
  const Json& number = version["version"];
  if (!number.is_number_integer()) return absl::InternalError("the server's answer has no version number");
  return number.get<int64_t>();
}

// The contents of `file`, or of standard input for "-".
absl::StatusOr<std::string> ReadInput(const std::string& file) {
  if (file != "-") return ReadFile(file);
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (std::cin.bad()) return absl::DataLossError("reading standard input failed");
  return text;
}

// How messages name an input file.
std::string InputName(const std::string& file) { return file == "-" ? "standard input" : file; }

// `file` (or standard input) parsed as JSON; the error names the file.
absl::StatusOr<Json> ReadJsonInput(const std::string& file) {
  LEPTON_ASSIGN_OR_RETURN(std::string text, ReadInput(file));
  auto j = ParseJson(text);
  if (!j.ok()) return absl::InvalidArgumentError(StrCat(InputName(file), ": ", j.status().message()));
  return *j;
}

// One request whose answer is wanted whatever its status (`Call` keeps only 2xx bodies): the
// status and the decoded JSON body ({"error": <the raw body>} for an error answer that is not
// JSON). Errors: no connection settings or token, the server unreachable, a 2xx answer that is
// not JSON.
struct Answer {
  int status = 0;
  Json body;
};
absl::StatusOr<Answer> Exchange(const Args& args, std::string_view method, const std::string& target,
                                const Json& body) {
  LEPTON_ASSIGN_OR_RETURN(Connection conn, ResolveConnection(args));
  if (conn.token.empty()) return absl::FailedPreconditionError("no token: run 'lepton login' or pass --token");
  LEPTON_ASSIGN_OR_RETURN(api::HttpClient client, api::HttpClient::Create(conn.server));
  client.set_token(conn.token);
  LEPTON_ASSIGN_OR_RETURN(api::HttpResponse res, client.Send(method, target, DumpJson(body)));
  Answer out{.status = res.status};
  if (auto j = ParseJson(res.body); j.ok()) out.body = std::move(*j);
  else if (res.status >= 200 && res.status < 300) return absl::InternalError("server sent invalid JSON");
  else out.body = {{"error", res.body}};
  return out;
}

// An error answer as `Call` words it: "<server message> (HTTP <status> <CODE>)".
std::string AnswerError(const Answer& a) {
  std::string message = a.body.is_object() ? a.body.value("error", std::string()) : std::string();
  std::string code = a.body.is_object() ? a.body.value("code", std::string()) : std::string();
  return StrCat(message, " (HTTP ", a.status, code.empty() ? "" : " ", code, ")");
}

int Policy(const Invocation& in) {
  const std::string& name = in.operands()[0];
  const std::string target = ModelPath(name) + "/policy";
  if (auto file = in.args.Flag("set")) {
    if (file->empty()) return BadUsage(in, "--set: expected a FILE ('-' for standard input)");
    auto policy = ReadJsonInput(*file);
    if (!policy.ok()) return Report(policy.status());
    if (!policy->is_object()) return Fail(StrCat(InputName(*file), ": expected a JSON object"));
    auto res = Call(in.args, "PUT", target, *policy);
    if (!res.ok()) return Report(res.status());
    return Show(in, *res, [&] { std::cout << "set the policy of " << name << "\n"; });
  }
  auto res = Call(in.args, "GET", target);
  if (!res.ok()) return Report(res.status());
  PrintJson(*res);  // the same JSON `--set` takes back, in either output mode
  return 0;
}

int Gates(const Invocation& in) {
  const std::string& name = in.operands()[0];
  const std::string alias = in.args.Flag("alias").value_or("production");
  if (alias.empty()) return BadUsage(in, "--alias: expected an alias name");
  auto v = VersionNumber(in, name, in.operands()[1]);
  if (!v.ok()) return Report(v.status());
  auto res = Call(in.args, "GET", StrCat(VersionPath(name, *v), "/gates?alias=", api::UrlEncode(alias)));
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] {
    const Json& gates = (*res)["gates"];
    const size_t failed = (*res)["failed"].is_array() ? (*res)["failed"].size() : 0;
    std::cout << name << " version " << *v << " -> " << alias << ": ";
    if (gates.empty()) std::cout << "no gates (the policy has none for it)\n";
    else if (failed == 0) std::cout << "passes all " << gates.size() << " gates\n";
    else std::cout << "fails " << failed << " of " << gates.size() << " gates\n";
    if (gates.empty()) return;
    std::vector<std::vector<std::string>> rows;
    for (const Json& g : gates) {
      rows.push_back({Text(g, "name"), g.value("passed", false) ? "yes" : "NO", Num(g["actual"]), Num(g["limit"])});
    }
    std::cout << "\n";
    PrintTable({"GATE", "PASSED", "ACTUAL", "LIMIT"}, rows);
  });
}

int Promote(const Invocation& in) {
  const std::string& name = in.operands()[0];
  const auto v = ParseVersion(in.operands()[1]);
  if (!v) return BadUsage(in, StrCat("V: expected a version number, got '", in.operands()[1], "'"));
  const auto alias = in.args.Flag("alias");
  if (!alias || alias->empty()) return BadUsage(in, "models promote needs --alias A");
  Json body = {{"version", *v}, {"alias", *alias}};
  if (auto c = in.args.Flag("comment")) body["comment"] = *c;
  auto res = Exchange(in.args, "POST", ModelPath(name) + "/promotions", body);
  if (!res.ok()) return Report(res.status());
  const Json& report = res->body.is_object() && res->body.contains("gate_report") ? res->body["gate_report"] : Json();
  if (res->status == 409 && report.is_object()) {
    // The gates failed: every failed gate with its numbers, one line each.
    if (in.json()) PrintJson(res->body);
    std::vector<std::string> details;
    for (const Json& g : report.value("gates", Json::array())) {
      if (!g.value("passed", true)) details.push_back(Text(g, "detail"));
    }
    Fail(StrCat(name, " version ", *v, " fails ", details.size(),
                details.size() == 1 ? " quality gate" : " quality gates", " for ", *alias, ":"));
    for (const std::string& d : details) std::cerr << "  " << d << "\n";
    return 1;
  }
  if (res->status < 200 || res->status >= 300) return Fail(AnswerError(*res));
  const Json& p = res->body;
  return Show(in, p, [&] {
    if (Str(p, "state") == "pending") {
      std::cout << "requested promotion " << Str(p, "id") << ": " << name << " " << *v << " -> " << *alias
                << " (pending; needs an approver)\n";
    } else {
      std::cout << name << ": " << *alias << " -> " << *v << " (applied: unprotected alias)\n";
    }
  });
}

int Promotions(const Invocation& in) {
  std::string target = ModelPath(in.operands()[0]) + "/promotions";
  if (auto s = in.args.Flag("state")) {
    if (*s != "pending" && *s != "approved" && *s != "rejected" && *s != "cancelled") {
      return BadUsage(in, StrCat("--state: expected pending, approved, rejected or cancelled, got '", *s, "'"));
    }
    target += "?state=" + *s;
  }
  auto res = Call(in.args, "GET", target);
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] {
    std::vector<std::vector<std::string>> rows;
    for (const Json& p : *res) {
      rows.push_back({Str(p, "id"), Str(p, "version"), Text(p, "alias"), Text(p, "state"), Text(p, "requested_by"),
                      Text(p, "decided_by")});
    }
    PrintTable({"ID", "VERSION", "ALIAS", "STATE", "REQUESTED BY", "DECIDED BY"}, rows);
  });
}

// `approve|reject|cancel NAME ID [--comment C]`: `verb` is the route's last segment.
int Decide(const Invocation& in, const char* verb, const char* done) {
  const std::string& name = in.operands()[0];
  const std::string& id = in.operands()[1];
  Json body = Json::object();
  if (auto c = in.args.Flag("comment")) body["comment"] = *c;
  auto res = Call(in.args, "POST", StrCat(ModelPath(name), "/promotions/", api::UrlEncode(id), "/", verb), body);
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] {
    std::cout << done << " promotion " << id << ": " << name << " " << Str(*res, "version") << " -> "
              << Str(*res, "alias") << "\n";
  });
}
int Approve(const Invocation& in) { return Decide(in, "approve", "approved"); }
int Reject(const Invocation& in) { return Decide(in, "reject", "rejected"); }
int Cancel(const Invocation& in) { return Decide(in, "cancel", "cancelled"); }

int Card(const Invocation& in) {
  const std::string& name = in.operands()[0];
  const auto sets = in.lists.find("set");
  const bool markdown = in.args.Has("markdown");
  Json changes = Json::object();
  if (sets != in.lists.end()) {
    if (markdown) return BadUsage(in, "--markdown and --set do not go together");
    for (const std::string& kv : sets->second) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        return BadUsage(in, StrCat("--set: expected KEY=VALUE, got '", kv, "'"));
      }
      const std::string key = kv.substr(0, eq);
      const std::string value = kv.substr(eq + 1);
      if (key == "owners") {
        Json owners = Json::array();
        for (std::string_view o : Split(value, ',')) {
          if (!StripWhitespace(o).empty()) owners.push_back(std::string(StripWhitespace(o)));
        }
        changes[key] = owners;
      } else {
        changes[key] = value;
      }
    }
  }
  auto v = VersionNumber(in, name, in.operands()[1]);
  if (!v.ok()) return Report(v.status());
  const std::string target = VersionPath(name, *v) + "/card";
  if (!changes.empty()) {
    auto res = Call(in.args, "PATCH", target, changes);
    if (!res.ok()) return Report(res.status());
    std::vector<std::string> keys;
    for (auto it = changes.begin(); it != changes.end(); ++it) keys.push_back(it.key());
    return Show(in, *res, [&] {
      std::cout << "updated the card of " << name << " version " << *v << ": " << StrJoin(keys, ", ") << "\n";
    });
  }
  if (markdown) {
    auto res = CallRaw(in.args, "GET", target + "?format=markdown", "", "application/json");
    if (!res.ok()) return Report(res.status());
    std::cout << res->body;
    if (!res->body.empty() && res->body.back() != '\n') std::cout << "\n";
    return 0;
  }
  auto res = Call(in.args, "GET", target);
  if (!res.ok()) return Report(res.status());
  PrintJson(*res);
  return 0;
}

int Importance(const Invocation& in) {
  const std::string& name = in.operands()[0];
  auto v = VersionNumber(in, name, in.operands()[1]);
  if (!v.ok()) return Report(v.status());
  auto res = Call(in.args, "GET", VersionPath(name, *v) + "/importance");
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] {
    const Json& model = (*res)["model"];
    const Json& perm = (*res)["permutation"];
    // Every column once: the model's order (largest first), then any only permutation has.
    std::vector<std::string> columns;
    std::map<std::string, std::string> own;
    std::map<std::string, std::string> permuted;
    if (model.is_array()) {
      for (const Json& c : model) {
        columns.push_back(Str(c, "column"));
        own[columns.back()] = Fixed(c["importance"]);
      }
    }
    if (perm.is_object() && perm["columns"].is_array()) {
      for (const Json& c : perm["columns"]) {
        const std::string col = Str(c, "column");
        if (!own.contains(col) && !permuted.contains(col)) columns.push_back(col);
        permuted[col] = StrCat(Signed(c["mean"]), " ± ", Fixed(c["std"]));
      }
    }
    std::cout << name << " version " << *v << ": ";
    if (perm.is_object()) {
      std::cout << "permutation = the drop of " << Str(perm, "metric") << " when a column is shuffled (baseline "
                << Num(perm["baseline"]) << ", " << Str(perm, "rows") << " rows, " << Str(perm, "repeats")
                << " repeats)";
    } else {
      std::cout << "no permutation importance (the build did not compute it)";
    }
    std::cout << "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const std::string& c : columns) {
      rows.push_back({c, own.contains(c) ? own[c] : "-", permuted.contains(c) ? permuted[c] : "-"});
    }
    PrintTable({"COLUMN", StrCat("MODEL (", Str(*res, "model_kind"), ")"), "PERMUTATION (mean ± std)"}, rows);
  });
}

int Lineage(const Invocation& in) {
  const std::string& name = in.operands()[0];
  auto v = VersionNumber(in, name, in.operands()[1]);
  if (!v.ok()) return Report(v.status());
  auto res = Call(in.args, "GET", VersionPath(name, *v) + "/lineage");
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] {
    const Json& run = (*res)["run"];
    std::cout << name << " version " << *v << " (" << Str(*res, "source") << ")\n";
    if (run.is_object()) {
      std::cout << "  trained by run " << Str(run, "id") << " (" << Str(run, "name") << ", " << Str(run, "status")
                << ", " << Str(run, "user") << ", " << Str(run, "start_time") << ")\n";
    }
    for (const Json& d : (*res)["datasets"]) {
      std::cout << "  on " << Str(d, "dataset") << " version " << Str(d, "version") << " (" << Str(d, "context")
                << ")\n";
      for (const Json& step : d["provenance"]) {
        const Json& detail = step["detail"];
        std::string what;
        if (detail.is_object() && detail.contains("source")) {
          const Json& src = detail["source"];
          what = src.contains("file") ? StrCat("from ", Str(src, "file"), " sha256 ", Str(src, "sha256").substr(0, 16), "…")
                                      : StrCat("from query ", Str(src, "query"));
        } else if (detail.is_object() && detail.contains("input_version")) {
          what = StrCat("of version ", Str(detail, "input_version"));
        }
        std::cout << "    version " << Str(step, "version") << ": " << Str(step, "kind") << " " << what << " by "
                  << Str(step, "created_by") << " at " << Str(step, "created_at") << "\n";
      }
    }
  });
}

int Explain(const Invocation& in) {
  const std::string& name = in.operands()[0];
  const auto file = in.args.Flag("rows");
  if (!file || file->empty()) return BadUsage(in, "models explain needs --rows FILE");
  int64_t top_k = 0;
  if (auto k = in.args.Flag("top-k"); k && (!ParseInt(*k, &top_k) || top_k < 0)) {
    return BadUsage(in, StrCat("--top-k: expected a number >= 0, got '", *k, "'"));
  }
  auto rows = ReadJsonInput(*file);
  if (!rows.ok()) return Report(rows.status());
  if (rows->is_object()) *rows = Json::array({*rows});  // one row
  if (!rows->is_array()) return Fail(StrCat(InputName(*file), ": expected a JSON array of row objects"));
  auto v = VersionNumber(in, name, in.operands()[1]);
  if (!v.ok()) return Report(v.status());
  auto res = Call(in.args, "POST", VersionPath(name, *v) + "/explain", {{"rows", *rows}, {"top_k", top_k}});
  if (!res.ok()) return Report(res.status());
  return Show(in, *res, [&] {
    size_t i = 0;
    for (const Json& e : (*res)["explanations"]) {
      if (i > 0) std::cout << "\n";
      const bool scorecard = e.contains("credit_score");
      std::cout << "row " << ++i << ": score " << Num(e["score"]);
      if (scorecard && e["credit_score"].is_number()) {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.1f", e["credit_score"].get<double>());
        std::cout << ", credit score " << buf;
      }
      std::cout << " (base " << Signed(e["base"]) << " + contributions = margin " << Signed(e["margin"]) << ")\n";
      std::map<std::string, std::string> points;
      if (scorecard) {
        for (const Json& p : e.value("points", Json::array())) {
          char buf[64];
          std::snprintf(buf, sizeof(buf), "%.1f", p["points"].is_number() ? p["points"].get<double>() : 0.0);
          points[Str(p, "column")] = buf;
        }
      }
      std::vector<std::vector<std::string>> table;
      for (const Json& c : e.value("contributions", Json::array())) {
        std::vector<std::string> row = {"  " + Str(c, "column"), Signed(c["value"])};
        if (scorecard) row.push_back(points.contains(Str(c, "column")) ? points[Str(c, "column")] : "-");
        table.push_back(std::move(row));
      }
      std::vector<std::string> header = {"  COLUMN", "CONTRIBUTION"};
      if (scorecard) header.push_back("POINTS");
      PrintTable(header, table);
    }
  });
}

// ------------------------------------------------------------------ the table

const std::vector<Subcommand>& Subcommands() {
  static const std::vector<Subcommand> kSubcommands = {
      {"list", "[--prefix P]", "models you may read, with latest version and aliases", "", 0, 0, {"prefix"}, {}, {},
       List},
      {"create", "NAME [--description D] [--tag KEY=VALUE]…", "register a model name",
       "  NAME: 1 to 64 characters of a-z 0-9 - _ . (e.g. credit-scorer); --tag may be repeated.\n", 1, 1,
       {"description"}, {"tag"}, {}, Create},
      {"get", "NAME", "a model with its tags, aliases and versions", "", 1, 1, {}, {}, {}, Get},
      {"delete", "NAME", "delete a model and its versions (refused while aliased)", "", 1, 1, {}, {}, {},
       Delete},
      {"register", "NAME --run RUN_ID [--description D]", "a finished run's model as the next version",
       "  The run must have finished and logged its model (lepton train does); the bundle is copied\n"
       "  and verified. Prints \"registered NAME version N\".\n",
       1, 1, {"run", "description"}, {}, {}, Register},
      {"versions", "NAME", "a model's versions, newest first", "", 1, 1, {}, {}, {}, Versions},
      {"version", "NAME V|ALIAS", "one version (by number or alias)", "", 2, 2, {}, {}, {}, Version},
      {"delete-version", "NAME V", "delete a version (refused while an alias points at it)", "", 2,
       2, {}, {}, {}, DeleteVersion},
      {"tag", "NAME [V] KEY=VALUE", "set a tag on the model, or on version V", "", 2, 3, {}, {}, {}, Tag},
      {"untag", "NAME [V] KEY", "remove a tag from the model, or from version V", "", 2, 3, {}, {}, {}, Untag},
      {"alias", "NAME ALIAS V [--comment C]", "point ALIAS at ready version V; prints the move (1 -> 2)",
       "  ALIAS: a-z 0-9 - _ starting with a letter; not 'latest' or 'v<number>'. The move and its\n"
       "  comment are kept in the alias history. A protected alias (see 'lepton models policy')\n"
       "  moves only through 'lepton models promote' and an approver.\n",
       3, 3, {"comment"}, {}, {}, Alias},
      {"unalias", "NAME ALIAS [--comment C]", "remove an alias (kept in the history)", "", 2, 2, {"comment"}, {}, {},
       Unalias},
      {"history", "NAME [--alias A]", "every alias change, oldest first", "", 1, 1, {"alias"}, {}, {}, History},
      {"download", "NAME V|ALIAS [-o FILE]", "the bundle as a tar archive (default NAME-V.tar)",
       "  -o, --out FILE  where to write it ('-': standard output). The archive holds manifest.json\n"
       "                  first, then the files it lists; 'lepton models upload' takes it back.\n",
       2, 2, {"out"}, {}, {}, Download},
      {"upload", "NAME FILE [--description D]", "a bundle tar archive as the next version",
       "  FILE: an archive from 'lepton models download' (any installation); every file is checked\n"
       "  against the manifest, and a damaged or missing one is refused by name.\n",
       2, 2, {"description"}, {}, {}, Upload},
      {"import", "NAME --flavor xgboost|torchscript --model FILE --signature FILE [--description D]",
       "a model trained elsewhere as the next version",
       "  --model: an XGBoost JSON or UBJ model file, or a TorchScript .pt file. --signature: a JSON\n"
       "  file declaring the inputs in the model's order and the task, e.g.\n"
       "    {\"inputs\": [{\"name\": \"income\", \"type\": \"double\"}, …], \"task\": \"binary\",\n"
       "     \"classes\": [\"good\", \"bad\"], \"threshold\": 0.5}\n"
       "  A model that does not fit its signature (input count, objective, classes) is refused.\n",
       1, 1, {"flavor", "model", "signature", "description"}, {}, {}, Import},
      {"policy", "NAME [--set FILE]", "the policy (protected aliases, gates) as JSON; or --set it",
       "  Without --set, prints the policy as JSON: the document --set takes back. Setting it needs the\n"
       "  approver role. FILE ('-': standard input), every part optional:\n"
       "    {\"protected_aliases\": [\"production\"],\n"
       "     \"metrics\": {\"auc\": {\"min\": 0.75}, \"log_loss\": {\"max\": 0.55}},\n"
       "     \"not_worse_than\": {\"alias\": \"production\", \"metric\": \"auc\", \"margin\": 0.01},\n"
       "     \"max_fairness_gap\": {\"gap\": \"auc\", \"max\": 0.15, \"columns\": [\"age\"]},\n"
       "     \"required_card_fields\": [\"intended_use\", \"limitations\"]}\n"
       "  Metrics are the test-part metrics of the version; the default policy protects production\n"
       "  and has no gates.\n",
       1, 1, {"set"}, {}, {}, Policy},
      {"gates", "NAME V|ALIAS [--alias A]", "dry-run the quality gates for V -> A (default production)",
       "  A report, not a check: prints every gate with the candidate's value and the limit, and\n"
       "  exits 0 whether the gates pass or not (the --json answer has \"passed\").\n",
       2, 2, {"alias"}, {}, {}, Gates},
      {"promote", "NAME V --alias A [--comment C]", "ask that alias A point at version V (gates first)",
       "  The policy's gates run first: when one fails, each failed gate is printed with its numbers\n"
       "  and the exit code is 1. A protected alias gives a pending request that another user with\n"
       "  the approver role decides ('requested promotion ID: …'); an unprotected one moves at once.\n"
       "  Needs the ml_engineer role. With --json the server's answer is printed, also the gate report\n"
       "  of a refusal.\n",
       2, 2, {"alias", "comment"}, {}, {}, Promote},
      {"promotions", "NAME [--state S]", "promotion requests, newest first",
       "  --state S  pending, approved, rejected or cancelled.\n", 1, 1, {"state"}, {}, {}, Promotions},
      {"approve", "NAME ID [--comment C]", "approve a pending promotion (not yours): the alias moves",
       "  Needs the approver role, and another user than the requester (four eyes).\n", 2, 2, {"comment"}, {}, {},
       Approve},
      {"reject", "NAME ID [--comment C]", "reject a pending promotion (not your own)",
       "  Needs the approver role, and another user than the requester (four eyes).\n", 2, 2, {"comment"}, {}, {},
       Reject},
      {"cancel", "NAME ID [--comment C]", "withdraw your own pending promotion", "", 2, 2, {"comment"}, {}, {},
       Cancel},
      {"card", "NAME V|ALIAS [--markdown] [--set KEY=VALUE]…", "the model card as JSON or Markdown; --set edits it",
       "  The card is generated from the bundle (training data, features, test metrics with their\n"
       "  intervals, fairness slices, importance) plus fields people fill in. --set KEY=VALUE may be\n"
       "  repeated; KEY is one of intended_use, out_of_scope_uses, limitations,\n"
       "  ethical_considerations, caveats, owners (a comma-separated list), risk_rating (high,\n"
       "  medium, low, unknown) or status (draft, pending_review, approved, archived).\n"
       "  Editing needs the data_scientist role.\n",
       2, 2, {}, {"set"}, {"markdown"}, Card},
      {"importance", "NAME V|ALIAS", "importance per input column (model's own, permutation)",
       "  MODEL: the learner's own measure summed per input column (XGBoost total gain, |coefficient|\n"
       "  for linear models). PERMUTATION: how much the test metric drops when the column is\n"
       "  shuffled (mean ± std over the repeats), when the build computed it.\n",
       2, 2, {}, {}, {}, Importance},
      {"lineage", "NAME V|ALIAS", "the training run, dataset versions, cleaning runs and sources behind it",
       "  Model version -> training run -> dataset versions -> each version's cleaning runs and\n"
       "  ingests with their source files (sha256) or queries, newest step first. The reverse, from a\n"
       "  dataset to its models: GET /api/v1/lake/datasets/NS/NAME/models.\n",
       2, 2, {}, {}, {}, Lineage},
      {"explain", "NAME V|ALIAS --rows FILE [--top-k K]", "per-row score and input column contributions",
       "  FILE ('-': standard input): a JSON array of row objects, e.g. [{\"duration\": 6, …}]; keys the\n"
       "  model does not take are ignored. Per row: the score, each column's contribution in log-odds\n"
       "  (TreeSHAP for XGBoost, coefficient x value for linear models), largest first (--top-k K\n"
       "  keeps K; 0, the default, keeps all) and, for scorecards, the credit score and each column's\n"
       "  points.\n",
       2, 2, {"rows", "top-k"}, {}, {}, Explain},
  };
  return kSubcommands;
}

constexpr char kFlagsHelp[] =
    "  --output FMT   json (the same as --json) or table (the default)\n";

std::string ListHelp() {
  std::string out =
      "usage: lepton models COMMAND …\n\n"
      "The model registry: registered models, numbered versions from runs or uploaded bundles,\n"
      "tags, aliases with their history, bundle downloads; governance (policies, quality gates,\n"
      "promotions approved by a second person), model cards and explanations.\n\n";
  for (const Subcommand& s : Subcommands()) {
    std::string left = StrCat("  ", s.name, " ", s.operands);
    if (left.size() > 40) left += "\n" + std::string(42, ' ');
    else left += std::string(42 - left.size(), ' ');
    out += left + s.summary + "\n";
  }
  out += StrCat("\nFlags of every command:\n", kConnHelp, kFlagsHelp,
                "\nRun 'lepton models COMMAND --help' for one command.\n");
  return out;
}

std::string CommandHelp(const Subcommand& s) {
  return StrCat("usage: ", UsageLine(s), "\n\n  ", s.summary, "\n", s.details, "\nFlags:\n", kConnHelp, kFlagsHelp);
}

const Subcommand* Find(const std::string& name) {
  for (const Subcommand& s : Subcommands()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

// Removes every `--NAME VALUE` / `--NAME=VALUE` of the repeatable flags from `argv` into
// `lists`. InvalidArgument for one without its value.
absl::Status ExtractRepeated(Argv& argv, const std::set<std::string>& names,
                             std::map<std::string, std::vector<std::string>>& lists) {
  Argv rest;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      rest.insert(rest.end(), argv.begin() + static_cast<ptrdiff_t>(i), argv.end());
      break;
    }
    bool taken = false;
    for (const std::string& n : names) {
      if (a == "--" + n) {
        if (i + 1 >= argv.size()) return absl::InvalidArgumentError(StrCat("flag --", n, " needs a value"));
        lists[n].push_back(argv[++i]);
        taken = true;
      } else if (a.starts_with("--" + n + "=")) {
        lists[n].push_back(a.substr(n.size() + 3));
        taken = true;
      }
      if (taken) break;
    }
    if (!taken) rest.push_back(a);
  }
  argv = std::move(rest);
  return absl::OkStatus();
}

}  // namespace

int RunModels(const Argv& argv_in) {
  // `-o FILE` is the documented short form of --out.
  Argv argv;
  for (const std::string& a : argv_in) argv.push_back(a == "-o" ? "--out" : a == "-h" ? "--help" : a);
  std::set<std::string> bool_flags = {"help", "json"};

  // First pass: find the subcommand word, whatever flags stand before it.
  std::set<std::string> all_flags = kConnFlags;
  all_flags.insert("output");
  for (const Subcommand& s : Subcommands()) {
    all_flags.insert(s.flags.begin(), s.flags.end());
    all_flags.insert(s.repeated_flags.begin(), s.repeated_flags.end());
    bool_flags.insert(s.switches.begin(), s.switches.end());
  }
  auto first = ParseArgs(argv, bool_flags, all_flags);
  if (!first.ok()) return Fail(std::string(ToStd(first.status().message())), 2);
  if (first->positional.empty()) return Usage(ListHelp().c_str(), *first);
  const std::string command = first->positional[0];
  const Subcommand* sub = Find(command);
  if (sub == nullptr) {
    return Fail(StrCat("unknown command 'models ", command, "' (see lepton models --help)"), 2);
  }

  // Second pass: only this subcommand's flags.
  std::set<std::string> known = kConnFlags;
  known.insert("output");
  known.insert(sub->flags.begin(), sub->flags.end());
  known.insert(sub->repeated_flags.begin(), sub->repeated_flags.end());
  known.insert(sub->switches.begin(), sub->switches.end());
  for (const auto& [flag, value] : first->flags) {
    if (!known.contains(flag)) {
      return Fail(StrCat("flag --", flag, " does not apply to 'models ", command, "' (see lepton models ", command,
                         " --help)"), 2);
    }
  }
  Invocation in{.command = command};
  if (auto s = ExtractRepeated(argv, sub->repeated_flags, in.lists); !s.ok()) {
    return Fail(std::string(ToStd(s.message())), 2);
  }
  auto args = ParseArgs(argv, bool_flags, known);
  if (!args.ok()) return Fail(std::string(ToStd(args.status().message())), 2);
  in.args = std::move(*args);
  // Drop the subcommand word (the first positional) and keep its operands.
  in.args.positional.erase(in.args.positional.begin());
  if (in.args.Has("help")) {
    std::cout << CommandHelp(*sub);
    return 0;
  }
  if (auto o = in.args.Flag("output")) {
    if (*o == "json") in.args.flags["json"] = "true";
    else if (*o == "table") in.args.flags.erase("json");
    else return BadUsage(in, StrCat("--output: expected json or table, got '", *o, "'"));
  }
  const size_t n = in.operands().size();
  if (n < sub->min_operands || n > sub->max_operands) return Fail(StrCat("usage: ", UsageLine(*sub)), 2);
  return sub->run(in);
}

}  // namespace lepton::cli
