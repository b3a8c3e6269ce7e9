#pragma once
// Users, grants and API tokens, stored in the `MetaStore`.
//
// Tokens are "lep_" followed by 43 URL-safe base64 characters (256 random bits). Only their
// SHA-256 is stored, so a token is shown once, at creation; a lost token is revoked and replaced.
// Passwords are hashed with Argon2id and are optional: API access is by token, a password only
// lets a user exchange it for a token (`Login`).
//
// The service does not check permissions: callers (the API layer) call `Authorize` first.
// Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/auth/permissions.h"
#include "lepton/base/clock.h"
#include "lepton/store/meta_store.h"

namespace lepton::auth {

struct User {
  std::string id;
  std::string name;
  bool disabled = false;
  bool has_password = false;
  std::string created_at;
  std::string created_by;
  std::vector<Grant> grants;
};

struct TokenInfo {
  std::string id;
  std::string user_id;
  std::string name;
  std::string created_at;
  std::optional<std::string> expires_at;
  std::optional<std::string> revoked_at;
};

// A token as created: the only time the secret is available.
struct NewToken {
  TokenInfo info;
  std::string secret;
};

class AuthService {
 public:
  // `store` and `clock` must outlive the service. Verified tokens are cached for `cache_ttl`
  // (never past the token's expiry) so that a request does not cost four queries: changes made
  // through this service (revoking a token or grant, disabling or deleting a user) clear the
  // cache at once; changes made by another process sharing the store take effect within
  // `cache_ttl`. Zero turns the cache off.
  AuthService(store::MetaStore& store, Clock& clock, absl::Duration cache_ttl = absl::Seconds(2))
      : store_(store), clock_(clock), cache_ttl_(cache_ttl) {}

  // Users. Names are 1-64 characters of [a-z0-9._-] starting with a letter or digit.
  // InvalidArgument on a bad name or role; AlreadyExists when the name is taken.
  // `role`, when given, is granted over scope "*" (or `scope`, when given).
  absl::StatusOr<User> CreateUser(std::string_view name, std::optional<std::string> password,
                                  std::optional<Role> role, std::string_view scope,
                                  std::string_view created_by);
  // NotFound for an unknown name.
  absl::StatusOr<User> GetUser(std::string_view name);
  absl::StatusOr<std::vector<User>> ListUsers();
  // Disables (or enables) a user: its tokens stop working. NotFound for an unknown name.
  absl::Status SetUserDisabled(std::string_view name, bool disabled);
  // Deletes a user with its grants and tokens. NotFound for an unknown name.
  absl::Status DeleteUser(std::string_view name);
  // Sets or replaces the password. InvalidArgument when shorter than 8 characters.
  absl::Status SetPassword(std::string_view name, std::string_view password);

  // Grants. AlreadyExists when the user holds that role over that scope already.
  absl::StatusOr<Grant> AddGrant(std::string_view user_name, Role role, std::string_view scope,
                                 std::string_view created_by);
  // NotFound when the user has no grant with that id.
  absl::Status RevokeGrant(std::string_view user_name, std::string_view grant_id);

  // Tokens. `ttl_seconds` (> 0) sets an expiry; none means the token never expires.
  absl::StatusOr<NewToken> CreateToken(std::string_view user_name, std::string_view token_name,
                                       std::optional<int64_t> ttl_seconds);
  absl::StatusOr<std::vector<TokenInfo>> ListTokens(std::string_view user_name);
  // Looks a token up by id (NotFound if unknown).
  absl::StatusOr<TokenInfo> GetToken(std::string_view token_id);
  // Revokes a token; revoking twice is OK. NotFound for an unknown id.
  absl::Status RevokeToken(std::string_view token_id);

  // Exchanges a name and password for a new token. Unauthenticated on a wrong name or password
  // (the same message for both) or a disabled user.
  absl::StatusOr<NewToken> Login(std::string_view name, std::string_view password,
                                 std::optional<int64_t> ttl_seconds);

  // Resolves a bearer token to its principal. Unauthenticated for a malformed, unknown,
  // revoked or expired token, or a disabled user.
  absl::StatusOr<Principal> Authenticate(std::string_view token);
  // The same, shared with the cache (no copy of the grants per request).
  absl::StatusOr<std::shared_ptr<const Principal>> AuthenticateShared(std::string_view token);

  // On a store with no users: creates the user "admin" with role admin over "*" and a token,
  // and returns the token. On a store that has users, returns nullopt.
  absl::StatusOr<std::optional<NewToken>> Bootstrap();

 private:
  absl::StatusOr<std::string> UserId(std::string_view name);
  absl::StatusOr<std::vector<Grant>> GrantsOf(const std::string& user_id);

  void InvalidateCache();
  // Clears the token cache when the mutating method that holds it returns.
  struct InvalidateOnExit {
    AuthService* service;
    ~InvalidateOnExit() { service->InvalidateCache(); }
  };

  store::MetaStore& store_;
  Clock& clock_;
  const absl::Duration cache_ttl_;
  struct Cached {
    std::shared_ptr<const Principal> principal;
    absl::Time valid_until;
  };
  std::mutex cache_mu_;
  // By token; transparent lookup by string_view.
  struct TokenHasher {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Cached, TokenHasher, std::equal_to<>> cache_;
};

// InvalidArgument unless `name` is a valid user name.
absl::Status ValidateUserName(std::string_view name);

}  // namespace lepton::auth
