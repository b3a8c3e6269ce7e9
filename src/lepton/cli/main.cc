// `lepton`: the platform's one binary. Dispatches to the subcommands in commands.h.

#include <malloc.h>

#include <iostream>
#include <string>
#include <vector>

#include "lepton/cli/commands.h"

namespace lepton::cli {
namespace {

constexpr char kHelp[] = R"(usage: lepton COMMAND [ARGS…]

Lepton, an enterprise AI platform in one binary.

Commands:
  server     run the platform (REST API, health, OpenAPI)
  login      store a server URL and token for the commands below
  logout     forget them
  whoami     the signed-in user and its grants
  user       list, show, create, disable, enable, delete users
  token      list, create, revoke API tokens
  grant      list, add, revoke a user's roles over scopes
  roles      the roles and what each may do
  audit      list the audit log, verify its hash chain
  lake       namespaces, datasets, ingest, versions, lineage, scans
  experiments  list, create, show, delete, restore tracked experiments
  runs       list (filter, order), show and compare runs
  train      train a model from a model_config.json (progress, status, cancel, retry)
  models     the model registry: versions, aliases, bundles, promotions with gates and approval,
             model cards, explanations, lineage
  alerts     alert rules with their state; create, delete, events
  version    print the version

Run 'lepton COMMAND --help' for a command's flags.
)";

}  // namespace
}  // namespace lepton::cli

int main(int argc, char** argv) {
  using namespace lepton::cli;
  // Ingest and scans allocate and free column buffers of a few MiB per batch. With glibc's
  // defaults those come from fresh mmaps, or from heap the allocator keeps trimming back to the
  // OS, so every batch pays first-touch page faults again (measured: 49k faults and 25% of
  // ingest CPU in the kernel for a 100 MB CSV). Serving buffers up to 32 MiB from the heap and
  // keeping up to 256 MiB of freed heap cuts that to 19k faults; see docs/operations.md.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  if (argc < 2) {
    std::cerr << kHelp;
    return 2;
  }
  const std::string command = argv[1];
  const Argv args(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kHelp;
    return 0;
  }
  if (command == "version" || command == "--version") {
    std::cout << "lepton 0.1.0\n";
    return 0;
  }
  if (command == "server") return RunServer(args);
  if (command == "login") return RunLogin(args);
  if (command == "logout") return RunLogout(args);
  if (command == "whoami") return RunWhoami(args);
  if (command == "user") return RunUser(args);
  if (command == "token") return RunToken(args);
  if (command == "grant") return RunGrant(args);
  if (command == "roles") return RunRoles(args);
  if (command == "audit") return RunAudit(args);
  if (command == "lake") return RunLake(args);
  if (command == "experiments") return RunExperiments(args);
  if (command == "runs") return RunRuns(args);
  if (command == "train") return RunTrain(args);
  if (command == "models") return RunModels(args);
  if (command == "alerts") return RunAlerts(args);
  return Fail("unknown command '" + command + "' (see lepton --help)", 2);
}
