#include "lepton/auth/permissions.h"

#include "lepton/base/strings.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lepton::auth {
namespace {

struct RoleInfo {
  Role role;
  std::string_view name;
  std::vector<Action> actions;
};

const std::vector<RoleInfo>& Roles() {
  static const auto* roles = new std::vector<RoleInfo>{
      {Role::kAdmin, "admin", AllActions()},
      {Role::kDataEngineer, "data_engineer", {Action::kRead, Action::kDatasetWrite}},
      {Role::kDataScientist,
       "data_scientist",
       {Action::kRead, Action::kTrain, Action::kModelRegister, Action::kInfer}},
      {Role::kMlEngineer,
       "ml_engineer",
       {Action::kRead, Action::kModelPromote, Action::kDeploy, Action::kInfer}},
      {Role::kApprover, "approver", {Action::kRead, Action::kModelApprove, Action::kAuditRead}},
      {Role::kViewer, "viewer", {Action::kRead}},
  };
  return *roles;
}

bool ValidSegmentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

}  // namespace

const std::vector<Action>& AllActions() {
  static const auto* actions = new std::vector<Action>{
      Action::kRead,         Action::kDatasetWrite, Action::kTrain,  Action::kModelRegister,
      Action::kModelPromote, Action::kModelApprove, Action::kDeploy, Action::kInfer,
      Action::kAuditRead,    Action::kUserAdmin};
  return *actions;
}

const std::vector<Role>& AllRoles() {
  static const auto* roles = [] {
    auto* r = new std::vector<Role>();
    for (const RoleInfo& info : Roles()) r->push_back(info.role);
    return r;
  }();
  return *roles;
}

std::string_view RoleName(Role role) {
  for (const RoleInfo& info : Roles()) {
    if (info.role == role) return info.name;
  }
  return "unknown";
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kRead: return "read";
    case Action::kDatasetWrite: return "dataset.write";
    case Action::kTrain: return "train";
    case Action::kModelRegister: return "model.register";
    case Action::kModelPromote: return "model.promote";
    case Action::kModelApprove: return "model.approve";
    case Action::kDeploy: return "deploy";
    case Action::kInfer: return "infer";
    case Action::kAuditRead: return "audit.read";
    case Action::kUserAdmin: return "user.admin";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(std::string_view name) {
  std::vector<std::string_view> names;
  for (const RoleInfo& info : Roles()) {
    if (info.name == name) return info.role;
    names.push_back(info.name);
  }
  return absl::InvalidArgumentError(
      lepton::StrCat("unknown role '", name, "'; expected one of ", lepton::StrJoin(names, ", ")));
}

bool RoleAllows(Role role, Action action) {
  for (const RoleInfo& info : Roles()) {
    if (info.role != role) continue;
    for (Action a : info.actions) {
      if (a == action) return true;
    }
  }
  return false;
}

absl::Status ValidateScope(std::string_view scope) {
  if (scope == "*") return absl::OkStatus();
  std::string_view body = scope;
  if (body.ends_with("/*")) body.remove_suffix(2);
  bool segment_empty = true;
  for (char c : body) {
    if (c == '/') {
      if (segment_empty) break;
      segment_empty = true;
    } else if (ValidSegmentChar(c)) {
      segment_empty = false;
    } else {
      segment_empty = true;
      break;
    }
  }
  if (body.empty() || segment_empty) {
    return absl::InvalidArgumentError(lepton::StrCat(
        "invalid scope '", scope,
        "': expected '*', '<namespace>/*' or a path of lower-case names separated by '/'"));
  }
  return absl::OkStatus();
}

bool ScopeMatches(std::string_view pattern, std::string_view resource) {
  if (pattern == "*") return true;
  if (resource == "*") return false;  // system-wide resources need a "*" grant
  if (pattern.ends_with("/*")) {
    const std::string_view ns = pattern.substr(0, pattern.size() - 2);
    return resource == ns || (resource.size() > ns.size() && resource.starts_with(ns) &&
                              resource[ns.size()] == '/');
  }
  return pattern == resource;
}

absl::Status Authorize(const Principal& principal, Action action, std::string_view resource) {
  for (const Grant& g : principal.grants) {
    if (RoleAllows(g.role, action) && ScopeMatches(g.scope, resource)) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(lepton::StrCat("user '", principal.user_name, "' may not ",
                                                  ActionName(action), " on '", resource, "'"));
}

}  // namespace lepton::auth
