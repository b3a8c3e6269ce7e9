#pragma once
// The `lepton` subcommands. Each takes the words after its name and returns the process exit
// code: 0 success, 1 failure (one readable line on stderr), 2 bad usage.

#include <string>
#include <vector>

namespace lepton::cli {

using Argv = std::vector<std::string>;

int RunServer(const Argv& args);        // lepton server …
int RunLogin(const Argv& args);         // lepton login …
int RunLogout(const Argv& args);        // lepton logout
int RunWhoami(const Argv& args);        // lepton whoami
int RunUser(const Argv& args);          // lepton user …
int RunToken(const Argv& args);         // lepton token …
int RunGrant(const Argv& args);         // lepton grant …
int RunRoles(const Argv& args);         // lepton roles
int RunAudit(const Argv& args);         // lepton audit …
int RunLake(const Argv& args);          // lepton lake …

// Prints "lepton: error: <message>" on stderr and returns `code`.
int Fail(const std::string& message, int code = 1);

}  // namespace lepton::cli
