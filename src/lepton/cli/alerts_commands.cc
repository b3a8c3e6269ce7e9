// `lepton alerts …`: alert rules over the REST API (/api/v1/alerts): every rule with its state,
// creating a rule from a JSON file, deleting one, and a rule's transitions and notifications.
// The rule format is in docs/alerts.md.

#include <iostream>
#include <string>
#include <vector>

#include "lepton/api/http.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/cli/args.h"
#include "lepton/cli/commands.h"
#include "lepton/cli/rest_client.h"

namespace lepton::cli {

int RunAlerts(const Argv& argv) {
  static const std::string kHelp = StrCat(
      "usage: lepton alerts list [--state inactive|pending|firing]\n"
      "       lepton alerts create -f|--file RULE.json\n"
      "       lepton alerts delete NAME\n"
      "       lepton alerts events NAME [--limit N]\n\n"
      "list shows every alert rule with its state (inactive, pending, firing), health, last value\n"
      "and last notification; create adds the rule in RULE.json (format: docs/alerts.md; needs\n"
      "the deploy permission); events lists a rule's transitions and notifications, newest first.\n\n",
      kConnHelp);
  std::set<std::string> known = kConnFlags;
  known.insert({"state", "file", "limit"});
  Argv words;  // `-f` is `--file`, as in `lepton train -f`
  for (const std::string& w : argv) words.push_back(w == "-f" ? "--file" : w);
  auto args = ParseArgs(words, {"help", "json"}, known);
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  const auto& pos = args->positional;
  if (args->Has("help") || pos.empty()) return Usage(kHelp.c_str(), *args);
  const std::string& sub = pos[0];
  if (sub == "list" && pos.size() == 1) {
    std::string target = "/api/v1/alerts";
    if (auto s = args->Flag("state")) target += "?state=" + api::UrlEncode(*s);
    auto res = Call(*args, "GET", target);
    if (!res.ok()) return Report(res.status());
    if (WantsJson(*args)) return PrintJson(*res), 0;
    std::vector<std::vector<std::string>> rows;
    for (const Json& a : *res) {
      const Json& n = a["last_notification"];
      const std::string notified =
          n.is_object() ? StrCat(Str(n, "status"), n.value("ok", false) ? " ok" : " failed: " + Str(n, "error")) : "-";
      rows.push_back({Str(a, "name"), Str(a, "state"), Str(a, "since"), Str(a, "health"), Str(a, "value"), notified,
                      Str(a, "expression")});
    }
    PrintTable({"NAME", "STATE", "SINCE", "HEALTH", "VALUE", "NOTIFIED", "EXPRESSION"}, rows);
    return 0;
  }
  if (sub == "create" && pos.size() == 1) {
    auto file = args->Flag("file");
    if (!file) return Fail("lepton alerts create needs -f RULE.json (see lepton alerts --help)", 2);
    auto text = ReadFile(*file);
    if (!text.ok()) return Report(text.status());
    auto rule = ParseJson(*text);
    if (!rule.ok()) return Fail(StrCat(*file, ": ", rule.status().message()));
    auto res = Call(*args, "POST", "/api/v1/alerts/rules", *rule);
    if (!res.ok()) return Report(res.status());
    if (WantsJson(*args)) return PrintJson(*res), 0;
    std::cout << "created alert rule " << Str(*res, "name") << ": " << Str(*res, "expression") << "\n";
    return 0;
  }
  if (sub == "delete" && pos.size() == 2) {
    auto res = Call(*args, "DELETE", "/api/v1/alerts/rules/" + api::UrlEncode(pos[1]));
    if (!res.ok()) return Report(res.status());
    if (WantsJson(*args)) return PrintJson(*res), 0;
    std::cout << "deleted alert rule " << pos[1] << "\n";
    return 0;
  }
  if (sub == "events" && pos.size() == 2) {
    std::string target = "/api/v1/alerts/rules/" + api::UrlEncode(pos[1]) + "/events";
    if (auto l = args->Flag("limit")) target += "?limit=" + api::UrlEncode(*l);
    auto res = Call(*args, "GET", target);
    if (!res.ok()) return Report(res.status());
    if (WantsJson(*args)) return PrintJson(*res), 0;
    std::vector<std::vector<std::string>> rows;
    for (const Json& e : *res) {
      std::string detail;
      if (Str(e, "kind") == "transition") {
        detail = StrCat("from ", Str(e, "previous_state"), ", value ", Str(e, "value"));
      } else {
        detail = e.value("ok", false) ? StrCat("delivered, HTTP ", Str(e, "http_status"))
                                      : StrCat("failed after ", Str(e, "attempts"), " attempts: ", Str(e, "error"));
      }
      rows.push_back({Str(e, "seq"), Str(e, "at"), Str(e, "kind"), Str(e, "state"), detail});
    }
    PrintTable({"SEQ", "TIME", "KIND", "STATE", "DETAIL"}, rows);
    return 0;
  }
  return Fail(StrCat("unknown or incomplete 'alerts ", StrJoin(pos, " "), "' (see lepton alerts --help)"), 2);
}

}  // namespace lepton::cli
