#include "lepton/cli/rest_client.h"

#include <cstdlib>
#include <iostream>

#include "lepton/api/http_client.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/cli/commands.h"

namespace lepton::cli {

const std::set<std::string> kConnFlags = {"server", "token", "json", "help"};

std::string CliConfigPath() {
  if (const char* p = std::getenv("LEPTON_CLI_CONFIG"); p && *p) return p;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/lepton/config";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.config/lepton/config";
}

absl::StatusOr<Connection> ResolveConnection(const Args& args) {
  Connection c;
  if (auto text = ReadFile(CliConfigPath()); text.ok()) {
    auto j = ParseJson(*text);
    if (j.ok() && j->is_object()) {
      c.server = j->value("server", "");
      c.token = j->value("token", "");
    }
  }
  if (const char* s = std::getenv("LEPTON_SERVER"); s && *s) c.server = s;
  if (const char* t = std::getenv("LEPTON_TOKEN"); t && *t) c.token = t;
  if (auto s = args.Flag("server")) c.server = *s;
  if (auto t = args.Flag("token")) c.token = *t;
  if (c.server.empty()) {
    return absl::FailedPreconditionError(
        "no server: run 'lepton login --server URL …' or pass --server");
  }
  return c;
}

// Sends one request and returns the decoded JSON body of a 2xx answer; any other answer becomes
// an error carrying the server's message.
absl::StatusOr<Json> Call(const Args& args, std::string_view method, std::string_view target,
                          const Json& body, bool need_token) {
  auto conn = ResolveConnection(args);
  if (!conn.ok()) return conn.status();
  if (need_token && conn->token.empty()) {
    return absl::FailedPreconditionError("no token: run 'lepton login' or pass --token");
  }
  auto client = api::HttpClient::Create(conn->server);
  if (!client.ok()) return client.status();
  client->set_token(conn->token);
  auto res = client->Send(method, target, body.is_null() ? "" : DumpJson(body));
  if (!res.ok()) return res.status();
  auto j = ParseJson(res->body);
  if (res->status >= 200 && res->status < 300) {
    if (!j.ok()) return absl::InternalError(lepton::StrCat("server sent invalid JSON: ", j.status().message()));
    return *j;
  }
  std::string message = res->body;
  std::string code;
  if (j.ok() && j->is_object()) {
    message = j->value("error", res->body);
    code = j->value("code", "");
  }
  return absl::UnknownError(lepton::StrCat(message, " (HTTP ", res->status, code.empty() ? "" : " ", code, ")"));
}

int Report(const absl::Status& s) { return Fail(std::string(s.message())); }

bool WantsJson(const Args& a) { return a.Has("json"); }

void PrintJson(const Json& j) { std::cout << j.dump(2) << "\n"; }

// Prints rows as an aligned table with a header.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

absl::StatusOr<api::HttpResponse> CallRaw(const Args& args, std::string_view method,
                                          std::string_view target, std::string_view body,
                                          std::string_view content_type) {
  auto conn = ResolveConnection(args);
  if (!conn.ok()) return conn.status();
  if (conn->token.empty()) {
    return absl::FailedPreconditionError("no token: run 'lepton login' or pass --token");
  }
  auto client = api::HttpClient::Create(conn->server);
  if (!client.ok()) return client.status();
  client->set_token(conn->token);
  auto res = client->Send(method, target, body, {{"Content-Type", std::string(content_type)}},
                          absl::Minutes(30));
  if (!res.ok()) return res.status();
  if (res->status >= 200 && res->status < 300) return res;
  auto j = ParseJson(res->body);
  std::string message = res->body;
  std::string code;
  if (j.ok() && j->is_object()) {
    message = j->value("error", res->body);
    code = j->value("code", "");
  }
  return absl::UnknownError(lepton::StrCat(message, " (HTTP ", res->status, code.empty() ? "" : " ", code, ")"));
}

int Usage(const char* text, const Args& args) {
  std::cout << text;
  return args.Has("help") ? 0 : 2;
}

const char kConnHelp[] =
    "  --server URL   server (default: from 'lepton login', or LEPTON_SERVER)\n"
    "  --token TOKEN  API token (default: from 'lepton login', or LEPTON_TOKEN)\n"
    "  --json         print the server's JSON instead of a table\n";


}  // namespace lepton::cli
