#pragma once
// Roles, actions and grants, and `Authorize`: the one function that decides every permission in
// Lepton. A user holds grants; a grant is a role over a scope pattern:
//   "*"         every resource, including system-wide ones (users, audit log);
//   "credit/*"  the namespace `credit` and everything in it ("credit", "credit/customers");
//   "credit/x"  exactly that resource.
// A role is a fixed set of actions (see docs/security.md for the matrix). Stateless and
// thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lepton::auth {

enum class Role { kAdmin, kDataEngineer, kDataScientist, kMlEngineer, kApprover, kViewer };

// What a request wants to do. Resources of system-wide actions are "*".
enum class Action {
  kRead,           // read metadata: datasets, runs, models, deployments, profiles
  kDatasetWrite,   // ingest, clean, delete datasets and namespaces
  kTrain,          // experiments, runs, training jobs
  kModelRegister,  // register models and versions, edit cards
  kModelPromote,   // request promotion to a protected alias
  kModelApprove,   // approve or reject a promotion request
  kDeploy,         // create, change and roll back deployments
  kInfer,          // call a deployment's inference endpoints
  kAuditRead,      // read and verify the audit log (system-wide)
  kUserAdmin,      // users, grants, other users' tokens (system-wide)
};

// Every role and action, in documentation order.
const std::vector<Role>& AllRoles();
const std::vector<Action>& AllActions();

std::string_view RoleName(Role role);      // "data_scientist"
std::string_view ActionName(Action action);  // "model.promote"
// InvalidArgument listing the valid roles when `name` is not one.
absl::StatusOr<Role> ParseRole(std::string_view name);
// True when `role` includes `action` (before scopes are considered).
bool RoleAllows(Role role, Action action);

// InvalidArgument unless `scope` is "*", "<ns>/*" or a resource path of lower-case letters,
// digits, '-', '_', '.' and '/' separated segments.
absl::Status ValidateScope(std::string_view scope);
// True when the grant scope `pattern` covers `resource`.
bool ScopeMatches(std::string_view pattern, std::string_view resource);

struct Grant {
  std::string id;
  Role role;
  std::string scope;
};

// Who is calling, as established by authentication.
struct Principal {
  std::string user_id;
  std::string user_name;
  std::vector<Grant> grants;
  std::string token_id;  // the token used, "" for in-process callers
};

// The permission check. OK when some grant of `principal` has a role that allows `action` and a
// scope that covers `resource`; otherwise PermissionDenied naming the user, action and resource.
absl::Status Authorize(const Principal& principal, Action action, std::string_view resource);

}  // namespace lepton::auth
