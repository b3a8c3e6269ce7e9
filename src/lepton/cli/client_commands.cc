// The REST-client subcommands: login, logout, whoami, user, token, grant, roles, audit.
// Connection settings come from --server/--token, else LEPTON_SERVER/LEPTON_TOKEN, else the file
// written by `lepton login` (~/.config/lepton/config, mode 0600).

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "lepton/base/strings.h"
#include "lepton/api/http_client.h"
#include "lepton/auth/audit_log.h"
#include "lepton/base/clock.h"
#include "lepton/base/config.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/cli/args.h"
#include "lepton/cli/commands.h"
#include "lepton/cli/rest_client.h"
#include "lepton/cli/store_url.h"
#include "lepton/store/meta_store.h"

namespace lepton::cli {
namespace {

std::string GrantsText(const Json& user) {
  std::vector<std::string> parts;
  for (const Json& g : user.value("grants", Json::array())) {
    parts.push_back(lepton::StrCat(Str(g, "role"), "@", Str(g, "scope")));
  }
  return parts.empty() ? "-" : lepton::StrJoin(parts, ",");
}

void PrintUsers(const Json& users) {
  std::vector<std::vector<std::string>> rows;
  for (const Json& u : users) {
    rows.push_back({Str(u, "name"), u.value("disabled", false) ? "disabled" : "active",
                    GrantsText(u), Str(u, "created_at")});
  }
  PrintTable({"NAME", "STATE", "GRANTS", "CREATED"}, rows);
}

void PrintTokens(const Json& tokens) {
  std::vector<std::vector<std::string>> rows;
  for (const Json& t : tokens) {
    std::string state = "active";
    if (!t["revoked_at"].is_null()) state = "revoked";
    rows.push_back({Str(t, "id"), Str(t, "name"), state, Str(t, "created_at"), Str(t, "expires_at")});
  }
  PrintTable({"ID", "NAME", "STATE", "CREATED", "EXPIRES"}, rows);
}

absl::StatusOr<std::string> ReadSecretFromStdin() {
  std::string line;
  if (!std::getline(std::cin, line)) return absl::InvalidArgumentError("expected the password on standard input");
  return std::string(StripWhitespace(line));
}

}  // namespace

int RunLogin(const Argv& argv) {
  static constexpr char kHelp[] =
      "usage: lepton login --server URL (--token TOKEN | --token-file FILE | --user NAME "
      "[--password-stdin])\n\n"
      "Checks the credentials against the server and stores the server URL and a token in\n"
      "~/.config/lepton/config (mode 0600; LEPTON_CLI_CONFIG overrides the path). With --user,\n"
      "the password (read from standard input) is exchanged for a new token.\n";
  auto args = ParseArgs(argv, {"help", "password-stdin"},
                        {"server", "token", "token-file", "user", "ttl"});
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  if (args->Has("help")) return Usage(kHelp, *args);
  Args a = *args;
  if (auto file = a.Flag("token-file")) {
    auto text = ReadFile(*file);
    if (!text.ok()) return Report(text.status());
    a.flags["token"] = std::string(StripWhitespace(*text));
  }
  if (auto user = a.Flag("user")) {
    auto password = ReadSecretFromStdin();
    if (!password.ok()) return Report(password.status());
    Json body = {{"user", *user}, {"password", *password}};
    if (auto ttl = a.Flag("ttl")) body["ttl_seconds"] = std::atoll(ttl->c_str());
    auto tok = Call(a, "POST", "/api/v1/login", body, /*need_token=*/false);
    if (!tok.ok()) return Report(tok.status());
    a.flags["token"] = (*tok)["token"].get<std::string>();
  }
  if (!a.Has("token")) return Fail("login needs --token, --token-file or --user", 2);
  auto me = Call(a, "GET", "/api/v1/whoami");
  if (!me.ok()) return Report(me.status());
  auto conn = ResolveConnection(a);
  if (!conn.ok()) return Report(conn.status());
  const std::string path = CliConfigPath();
  if (auto s = MakeDirs(std::filesystem::path(path).parent_path().string(), 0700); !s.ok()) return Report(s);
  if (auto s = WriteFileAtomically(path, DumpJson({{"server", conn->server}, {"token", conn->token}}) + "\n", 0600);
      !s.ok()) {
    return Report(s);
  }
  std::cout << "logged in to " << conn->server << " as " << (*me)["name"].get<std::string>()
            << " (saved in " << path << ")\n";
  return 0;
}

int RunLogout(const Argv& argv) {
  auto args = ParseArgs(argv, {"help"}, {});
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  if (args->Has("help")) return Usage("usage: lepton logout\n\nForgets the saved server and token.\n", *args);
  std::error_code ec;
  std::filesystem::remove(CliConfigPath(), ec);
  std::cout << "logged out\n";
  return 0;
}

int RunWhoami(const Argv& argv) {
  auto args = ParseArgs(argv, {"help", "json"}, kConnFlags);
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  if (args->Has("help")) return Usage(lepton::StrCat("usage: lepton whoami [flags]\n\n", kConnHelp).c_str(), *args);
  auto me = Call(*args, "GET", "/api/v1/whoami");
  if (!me.ok()) return Report(me.status());
  if (WantsJson(*args)) PrintJson(*me);
  else std::cout << (*me)["name"].get<std::string>() << "  " << GrantsText(*me) << "\n";
  return 0;
}

int RunUser(const Argv& argv) {
  static const std::string kHelp = lepton::StrCat(
      "usage: lepton user list\n"
      "       lepton user show NAME\n"
      "       lepton user create NAME [--role ROLE] [--scope SCOPE] [--password-stdin]\n"
      "       lepton user disable NAME | enable NAME | delete NAME\n"
      "       lepton user set-password NAME   (password on standard input)\n\n"
      "Roles: admin, data_engineer, data_scientist, ml_engineer, approver, viewer.\n"
      "Scopes: '*' (everything), 'NS/*' (a namespace), or one resource 'NS/NAME'.\n\n",
      kConnHelp);
  std::set<std::string> known = kConnFlags;
  known.insert({"role", "scope"});
  auto args = ParseArgs(argv, {"help", "json", "password-stdin"}, known);
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  const auto& pos = args->positional;
  if (args->Has("help") || pos.empty()) return Usage(kHelp.c_str(), *args);
  const std::string& verb = pos[0];
  auto need_name = [&]() -> bool { return pos.size() == 2; };
  absl::StatusOr<Json> res;
  if (verb == "list" && pos.size() == 1) {
    res = Call(*args, "GET", "/api/v1/users");
    if (res.ok() && !WantsJson(*args)) return PrintUsers(*res), 0;
  } else if (verb == "show" && need_name()) {
    res = Call(*args, "GET", "/api/v1/users/" + api::UrlEncode(pos[1]));
  } else if (verb == "create" && need_name()) {
    Json body = {{"name", pos[1]}};
    if (auto r = args->Flag("role")) body["role"] = *r;
    if (auto s = args->Flag("scope")) body["scope"] = *s;
    if (args->Has("password-stdin")) {
      auto pw = ReadSecretFromStdin();
      if (!pw.ok()) return Report(pw.status());
      body["password"] = *pw;
    }
    res = Call(*args, "POST", "/api/v1/users", body);
  } else if ((verb == "disable" || verb == "enable") && need_name()) {
    res = Call(*args, "PATCH", "/api/v1/users/" + api::UrlEncode(pos[1]),
               {{"disabled", verb == "disable"}});
  } else if (verb == "set-password" && need_name()) {
    auto pw = ReadSecretFromStdin();
    if (!pw.ok()) return Report(pw.status());
    res = Call(*args, "PATCH", "/api/v1/users/" + api::UrlEncode(pos[1]), {{"password", *pw}});
  } else if (verb == "delete" && need_name()) {
    res = Call(*args, "DELETE", "/api/v1/users/" + api::UrlEncode(pos[1]));
  } else {
    return Fail(lepton::StrCat("unknown or incomplete 'user ", lepton::StrJoin(pos, " "), "' (see lepton user --help)"), 2);
  }
  if (!res.ok()) return Report(res.status());
  if (WantsJson(*args) || verb == "show") PrintJson(*res);
  else if (verb == "delete") std::cout << "deleted user " << pos[1] << "\n";
  else PrintUsers(Json::array({*res}));
  return 0;
}

int RunToken(const Argv& argv) {
  static const std::string kHelp = lepton::StrCat(
      "usage: lepton token list [--user NAME]\n"
      "       lepton token create [--name NAME] [--ttl SECONDS] [--user NAME]\n"
      "       lepton token revoke TOKEN_ID\n\n"
      "Without --user, acts on your own tokens; other users' need the admin role.\n"
      "A new token's secret is printed once and never again.\n\n",
      kConnHelp);
  std::set<std::string> known = kConnFlags;
  known.insert({"user", "name", "ttl"});
  auto args = ParseArgs(argv, {"help", "json"}, known);
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  const auto& pos = args->positional;
  if (args->Has("help") || pos.empty()) return Usage(kHelp.c_str(), *args);
  const std::string base = args->Has("user")
                               ? "/api/v1/users/" + api::UrlEncode(*args->Flag("user")) + "/tokens"
                               : "/api/v1/tokens";
  if (pos[0] == "list" && pos.size() == 1) {
    auto res = Call(*args, "GET", base);
    if (!res.ok()) return Report(res.status());
    if (WantsJson(*args)) PrintJson(*res);
    else PrintTokens(*res);
    return 0;
  }
  if (pos[0] == "create" && pos.size() == 1) {
    Json body = {{"name", args->Flag("name").value_or("cli")}};
    if (auto ttl = args->Flag("ttl")) {
      char* end = nullptr;
      const long long n = std::strtoll(ttl->c_str(), &end, 10);
      if (end == ttl->c_str() || *end != '\0') return Fail("--ttl: expected a number of seconds", 2);
      body["ttl_seconds"] = n;
    }
    auto res = Call(*args, "POST", base, body);
    if (!res.ok()) return Report(res.status());
    if (WantsJson(*args)) PrintJson(*res);
    else std::cout << (*res)["token"].get<std::string>() << "\n";
    return 0;
  }
  if (pos[0] == "revoke" && pos.size() == 2) {
    auto res = Call(*args, "DELETE", "/api/v1/tokens/" + api::UrlEncode(pos[1]));
    if (!res.ok()) return Report(res.status());
    std::cout << "revoked token " << pos[1] << "\n";
    return 0;
  }
  return Fail(lepton::StrCat("unknown or incomplete 'token ", lepton::StrJoin(pos, " "), "' (see lepton token --help)"), 2);
}

int RunGrant(const Argv& argv) {
  static const std::string kHelp = lepton::StrCat(
      "usage: lepton grant list USER\n"
      "       lepton grant add USER ROLE SCOPE\n"
      "       lepton grant revoke USER GRANT_ID\n\n"
      "SCOPE is '*' (everything), 'NS/*' (a namespace and all in it) or 'NS/NAME'.\n\n",
      kConnHelp);
  auto args = ParseArgs(argv, {"help", "json"}, kConnFlags);
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  const auto& pos = args->positional;
  if (args->Has("help") || pos.empty()) return Usage(kHelp.c_str(), *args);
  absl::StatusOr<Json> res;
  if (pos[0] == "list" && pos.size() == 2) {
    res = Call(*args, "GET", "/api/v1/users/" + api::UrlEncode(pos[1]) + "/grants");
  } else if (pos[0] == "add" && pos.size() == 4) {
    res = Call(*args, "POST", "/api/v1/users/" + api::UrlEncode(pos[1]) + "/grants",
               {{"role", pos[2]}, {"scope", pos[3]}});
  } else if (pos[0] == "revoke" && pos.size() == 3) {
    res = Call(*args, "DELETE",
               "/api/v1/users/" + api::UrlEncode(pos[1]) + "/grants/" + api::UrlEncode(pos[2]));
  } else {
    return Fail(lepton::StrCat("unknown or incomplete 'grant ", lepton::StrJoin(pos, " "), "' (see lepton grant --help)"), 2);
  }
  if (!res.ok()) return Report(res.status());
  if (WantsJson(*args)) return PrintJson(*res), 0;
  Json rows = res->is_array() ? *res : Json::array({*res});
  if (pos[0] == "revoke") {
    std::cout << "revoked grant " << pos[2] << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  for (const Json& g : rows) table.push_back({Str(g, "id"), Str(g, "role"), Str(g, "scope")});
  PrintTable({"ID", "ROLE", "SCOPE"}, table);
  return 0;
}

int RunRoles(const Argv& argv) {
  auto args = ParseArgs(argv, {"help", "json"}, kConnFlags);
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  if (args->Has("help")) return Usage(lepton::StrCat("usage: lepton roles [flags]\n\nLists the roles and what each may do.\n\n", kConnHelp).c_str(), *args);
  auto res = Call(*args, "GET", "/api/v1/roles");
  if (!res.ok()) return Report(res.status());
  if (WantsJson(*args)) return PrintJson(*res), 0;
  std::vector<std::vector<std::string>> rows;
  for (const Json& r : *res) {
    rows.push_back({Str(r, "role"), lepton::StrJoin(r["actions"].get<std::vector<std::string>>(), ", ")});
  }
  PrintTable({"ROLE", "ACTIONS"}, rows);
  return 0;
}

int RunAudit(const Argv& argv) {
  static const std::string kHelp = lepton::StrCat(
      "usage: lepton audit list [--after SEQ] [--limit N] [--actor NAME] [--action ACTION]\n"
      "       lepton audit verify [--home DIR | --store URL]\n\n"
      "verify walks the hash chain and reports the first edited, inserted or deleted entry;\n"
      "it exits 0 when the log is intact and 1 otherwise. With --home or --store it reads the\n"
      "metadata store directly (no server needed); otherwise it asks the server.\n\n",
      kConnHelp);
  std::set<std::string> known = kConnFlags;
  known.insert({"after", "limit", "actor", "action", "home", "store"});
  auto args = ParseArgs(argv, {"help", "json"}, known);
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  const auto& pos = args->positional;
  if (args->Has("help") || pos.size() != 1) return Usage(kHelp.c_str(), *args);
  if (pos[0] == "list") {
    std::vector<std::string> q;
    for (const char* k : {"after", "limit", "actor", "action"}) {
      if (auto v = args->Flag(k)) q.push_back(lepton::StrCat(k, "=", api::UrlEncode(*v)));
    }
    auto res = Call(*args, "GET", "/api/v1/audit" + (q.empty() ? "" : "?" + lepton::StrJoin(q, "&")));
    if (!res.ok()) return Report(res.status());
    if (WantsJson(*args)) return PrintJson(*res), 0;
    std::vector<std::vector<std::string>> rows;
    for (const Json& e : *res) {
      rows.push_back({Str(e, "seq"), Str(e, "ts"), Str(e, "actor"), Str(e, "action"),
                      Str(e, "outcome"), Str(e, "resource")});
    }
    PrintTable({"SEQ", "TIME", "ACTOR", "ACTION", "OUTCOME", "RESOURCE"}, rows);
    return 0;
  }
  if (pos[0] != "verify") return Fail(lepton::StrCat("unknown 'audit ", pos[0], "' (see lepton audit --help)"), 2);
  Json report;
  if (args->Has("home") || args->Has("store")) {
    std::map<std::string, std::string> flags;
    if (auto h = args->Flag("home")) flags["home"] = *h;
    if (auto s = args->Flag("store")) flags["store"] = *s;
    auto config = LoadConfig(flags, ProcessEnvironment());
    if (!config.ok()) return Fail(std::string(config.status().message()), 2);
    const std::string url = StoreUrl(*config);
    if (url.starts_with("sqlite:") && !PathExists(url.substr(7))) {
      return Fail(lepton::StrCat("no metadata store at ", url.substr(7)));
    }
    auto store = store::OpenMetaStore(url);
    if (!store.ok()) return Report(store.status());
    auth::AuditLog log(**store, Clock::System());
    auto r = log.Verify();
    if (!r.ok()) return Report(r.status());
    report = {{"ok", r->ok}, {"entries", r->entries}, {"first_bad_seq", r->first_bad_seq},
              {"problem", r->problem}, {"message", r->message}};
  } else {
    auto res = Call(*args, "GET", "/api/v1/audit/verify");
    if (!res.ok()) return Report(res.status());
    report = *res;
  }
  if (WantsJson(*args)) PrintJson(report);
  if (report.value("ok", false)) {
    if (!WantsJson(*args)) std::cout << report.value("message", "audit log intact") << "\n";
    return 0;
  }
  return Fail(lepton::StrCat("audit log tampered: ", report.value("message", "")), 1);
}

}  // namespace lepton::cli
