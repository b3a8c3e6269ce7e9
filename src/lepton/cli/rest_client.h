#pragma once
// What the REST-client subcommands share: where the server and token come from, one call that
// turns any non-2xx answer into an error carrying the server's message, and output helpers.
// Connection settings: --server/--token, else LEPTON_SERVER/LEPTON_TOKEN, else the file that
// `lepton login` writes (~/.config/lepton/config, mode 0600; LEPTON_CLI_CONFIG overrides).

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/api/http.h"
#include "lepton/base/json.h"
#include "lepton/cli/args.h"

namespace lepton::cli {

// Flags every client command takes.
extern const std::set<std::string> kConnFlags;
// Their --help text.
extern const char kConnHelp[];

std::string CliConfigPath();

struct Connection {
  std::string server;
  std::string token;
};
// FailedPrecondition when no server is configured anywhere.
absl::StatusOr<Connection> ResolveConnection(const Args& args);

// Sends one request with a JSON body (none when null) and returns the decoded JSON of a 2xx
// answer; any other answer is an error "<server message> (HTTP <status> <CODE>)".
absl::StatusOr<Json> Call(const Args& args, std::string_view method, std::string_view target,
                          const Json& body = nullptr, bool need_token = true);
// As `Call`, with a raw body of `content_type`, returning the raw 2xx response.
absl::StatusOr<api::HttpResponse> CallRaw(const Args& args, std::string_view method,
                                          std::string_view target, std::string_view body,
                                          std::string_view content_type);

// Prints "lepton: error: <message>" and returns 1.
int Report(const absl::Status& s);
bool WantsJson(const Args& a);
void PrintJson(const Json& j);
// Prints rows as an aligned table under `header`.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);
// `j[key]` as display text ("-" when absent or null).
std::string Str(const Json& j, const char* key);
// Prints `text`; returns 0 when --help was asked for, 2 (bad usage) otherwise.
int Usage(const char* text, const Args& args);

}  // namespace lepton::cli
