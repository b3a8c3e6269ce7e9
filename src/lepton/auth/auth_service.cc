#include "lepton/auth/auth_service.h"

#include "lepton/base/strings.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lepton/base/crypto.h"
#include "lepton/base/ids.h"
#include "lepton/base/status.h"

namespace lepton::auth {
namespace {

constexpr std::string_view kTokenPrefix = "lep_";
constexpr size_t kTokenChars = 43;  // base64url of 32 bytes, no padding
constexpr int64_t kMaxTtlSeconds = 10ll * 365 * 24 * 3600;

std::string TokenHash(std::string_view token) { return Sha256Hex(token); }

TokenInfo TokenFromRow(const store::Row& r) {
  return TokenInfo{r.String(0), r.String(1), r.String(2), r.String(3),
                   r.OptionalString(4), r.OptionalString(5)};
}

constexpr char kTokenColumns[] = "id, user_id, name, created_at, expires_at, revoked_at";

absl::Status CheckTtl(std::optional<int64_t> ttl_seconds) {
  if (ttl_seconds && (*ttl_seconds <= 0 || *ttl_seconds > kMaxTtlSeconds)) {
    return absl::InvalidArgumentError(
        lepton::StrCat("ttl_seconds: expected 1 to ", kMaxTtlSeconds, ", got ", *ttl_seconds));
  }
  return absl::OkStatus();
}

absl::Status CheckPassword(std::string_view password) {
  if (password.size() < 8 || password.size() > 1024) {
    return absl::InvalidArgumentError("password: expected 8 to 1024 characters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateUserName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (size_t i = 0; ok && i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    ok = alnum || (i > 0 && (c == '.' || c == '_' || c == '-'));
  }
  if (!ok) {
    return absl::InvalidArgumentError(lepton::StrCat(
        "invalid user name '", name,
        "': expected 1 to 64 characters of a-z, 0-9, '.', '_', '-', starting with a-z or 0-9"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> AuthService::UserId(std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs,
                          store_.Query("SELECT id FROM users WHERE name = ?", {std::string(name)}));
  if (rs.rows.empty()) return absl::NotFoundError(lepton::StrCat("user '", name, "' not found"));
  return rs.rows[0].String(0);
}

absl::StatusOr<std::vector<Grant>> AuthService::GrantsOf(const std::string& user_id) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT id, role, scope FROM grants WHERE user_id = ? ORDER BY created_at, id",
                   {user_id}));
  std::vector<Grant> out;
  for (const store::Row& r : rs.rows) {
    auto role = ParseRole(r.String(1));
    if (!role.ok()) continue;  // a role this binary does not know grants nothing
    out.push_back(Grant{r.String(0), *role, r.String(2)});
  }
  return out;
}

absl::StatusOr<User> AuthService::CreateUser(std::string_view name,
                                             std::optional<std::string> password,
                                             std::optional<Role> role, std::string_view scope,
                                             std::string_view created_by) {
  LEPTON_RETURN_IF_ERROR(ValidateUserName(name));
  const std::string grant_scope = scope.empty() ? "*" : std::string(scope);
  LEPTON_RETURN_IF_ERROR(ValidateScope(grant_scope));
  std::optional<std::string> hash;
  if (password) {
    LEPTON_RETURN_IF_ERROR(CheckPassword(*password));
    LEPTON_ASSIGN_OR_RETURN(hash, HashPassword(*password));
  }
  User user;
  user.id = NewId();
  user.name = std::string(name);
  user.has_password = hash.has_value();
  user.created_at = FormatTimestamp(clock_.Now());
  user.created_by = std::string(created_by);
  if (role) user.grants.push_back(Grant{NewId(), *role, grant_scope});
  absl::Status s = store_.Transaction([&](store::SqlSession& tx) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO users (id, name, password_hash, disabled, created_at, created_by) "
        "VALUES (?, ?, ?, 0, ?, ?)",
        {user.id, user.name, hash ? store::Value(*hash) : store::Null(), user.created_at,
         user.created_by}));
    for (const Grant& g : user.grants) {
      LEPTON_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO grants (id, user_id, role, scope, created_at, created_by) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {g.id, user.id, std::string(RoleName(g.role)), g.scope, user.created_at,
           user.created_by}));
    }
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(lepton::StrCat("user '", name, "' already exists"));
  }
  LEPTON_RETURN_IF_ERROR(s);
  return user;
}

absl::StatusOr<User> AuthService::GetUser(std::string_view name) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT id, name, disabled, CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END, "
                   "created_at, created_by "
                   "FROM users WHERE name = ?",
                   {std::string(name)}));
  if (rs.rows.empty()) return absl::NotFoundError(lepton::StrCat("user '", name, "' not found"));
  const store::Row& r = rs.rows[0];
  User u{r.String(0), r.String(1), r.Int(2) != 0, r.Int(3) != 0, r.String(4), r.String(5), {}};
  LEPTON_ASSIGN_OR_RETURN(u.grants, GrantsOf(u.id));
  return u;
}

absl::StatusOr<std::vector<User>> AuthService::ListUsers() {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, store_.Query("SELECT name FROM users ORDER BY name"));
  std::vector<User> out;
  for (const store::Row& r : rs.rows) {
    auto u = GetUser(r.String(0));
    if (absl::IsNotFound(u.status())) continue;  // deleted meanwhile
    LEPTON_RETURN_IF_ERROR(u.status());
    out.push_back(*std::move(u));
  }
  return out;
}

absl::Status AuthService::SetUserDisabled(std::string_view name, bool disabled) {
  const InvalidateOnExit invalidate{this};  // after the change: no stale re-caching in between
  LEPTON_ASSIGN_OR_RETURN(int64_t n, store_.Exec("UPDATE users SET disabled = ? WHERE name = ?",
                                                 {int64_t{disabled}, std::string(name)}));
  if (n == 0) return absl::NotFoundError(lepton::StrCat("user '", name, "' not found"));
  return absl::OkStatus();
}

absl::Status AuthService::DeleteUser(std::string_view name) {
  const InvalidateOnExit invalidate{this};  // after the change: no stale re-caching in between
  LEPTON_ASSIGN_OR_RETURN(int64_t n,
                          store_.Exec("DELETE FROM users WHERE name = ?", {std::string(name)}));
  if (n == 0) return absl::NotFoundError(lepton::StrCat("user '", name, "' not found"));
  return absl::OkStatus();
}

absl::Status AuthService::SetPassword(std::string_view name, std::string_view password) {
  LEPTON_RETURN_IF_ERROR(CheckPassword(password));
  LEPTON_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  LEPTON_ASSIGN_OR_RETURN(int64_t n,
                          store_.Exec("UPDATE users SET password_hash = ? WHERE name = ?",
                                      {hash, std::string(name)}));
  if (n == 0) return absl::NotFoundError(lepton::StrCat("user '", name, "' not found"));
  return absl::OkStatus();
}

absl::StatusOr<Grant> AuthService::AddGrant(std::string_view user_name, Role role,
                                            std::string_view scope, std::string_view created_by) {
  const InvalidateOnExit invalidate{this};  // a new grant widens cached principals
  LEPTON_RETURN_IF_ERROR(ValidateScope(scope));
  LEPTON_ASSIGN_OR_RETURN(std::string user_id, UserId(user_name));
  Grant g{NewId(), role, std::string(scope)};
  absl::Status s = store_
                       .Exec("INSERT INTO grants (id, user_id, role, scope, created_at, created_by) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
                             {g.id, user_id, std::string(RoleName(role)), g.scope,
                              FormatTimestamp(clock_.Now()), std::string(created_by)})
                       .status();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(lepton::StrCat("user '", user_name, "' already has role ",
                                                 RoleName(role), " over '", scope, "'"));
  }
  if (absl::IsFailedPrecondition(s)) {  // the user was deleted meanwhile
    return absl::NotFoundError(lepton::StrCat("user '", user_name, "' not found"));
  }
  LEPTON_RETURN_IF_ERROR(s);
  return g;
}

absl::Status AuthService::RevokeGrant(std::string_view user_name, std::string_view grant_id) {
  const InvalidateOnExit invalidate{this};  // after the change: no stale re-caching in between
  LEPTON_ASSIGN_OR_RETURN(std::string user_id, UserId(user_name));
  LEPTON_ASSIGN_OR_RETURN(int64_t n, store_.Exec("DELETE FROM grants WHERE id = ? AND user_id = ?",
                                                 {std::string(grant_id), user_id}));
  if (n == 0) {
    return absl::NotFoundError(
        lepton::StrCat("user '", user_name, "' has no grant '", grant_id, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<NewToken> AuthService::CreateToken(std::string_view user_name,
                                                  std::string_view token_name,
                                                  std::optional<int64_t> ttl_seconds) {
  LEPTON_RETURN_IF_ERROR(CheckTtl(ttl_seconds));
  if (token_name.empty() || token_name.size() > 128) {
    return absl::InvalidArgumentError("token name: expected 1 to 128 characters");
  }
  LEPTON_ASSIGN_OR_RETURN(std::string user_id, UserId(user_name));
  const absl::Time now = clock_.Now();
  NewToken t;
  t.secret = lepton::StrCat(kTokenPrefix, Base64UrlEncode(RandomBytes(32)));
  t.info.id = NewId();
  t.info.user_id = user_id;
  t.info.name = std::string(token_name);
  t.info.created_at = FormatTimestamp(now);
  if (ttl_seconds) t.info.expires_at = FormatTimestamp(now + absl::Seconds(*ttl_seconds));
  LEPTON_RETURN_IF_ERROR(store_.Exec(
      "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {t.info.id, user_id, t.info.name, TokenHash(t.secret), t.info.created_at,
       t.info.expires_at ? store::Value(*t.info.expires_at) : store::Null()}));
  return t;
}

absl::StatusOr<std::vector<TokenInfo>> AuthService::ListTokens(std::string_view user_name) {
  LEPTON_ASSIGN_OR_RETURN(std::string user_id, UserId(user_name));
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query(lepton::StrCat("SELECT ", kTokenColumns,
                                " FROM api_tokens WHERE user_id = ? ORDER BY created_at, id"),
                   {user_id}));
  std::vector<TokenInfo> out;
  for (const store::Row& r : rs.rows) out.push_back(TokenFromRow(r));
  return out;
}

absl::StatusOr<TokenInfo> AuthService::GetToken(std::string_view token_id) {
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query(lepton::StrCat("SELECT ", kTokenColumns, " FROM api_tokens WHERE id = ?"),
                   {std::string(token_id)}));
  if (rs.rows.empty()) return absl::NotFoundError(lepton::StrCat("token '", token_id, "' not found"));
  return TokenFromRow(rs.rows[0]);
}

absl::Status AuthService::RevokeToken(std::string_view token_id) {
  const InvalidateOnExit invalidate{this};  // after the change: no stale re-caching in between
  LEPTON_ASSIGN_OR_RETURN(
      int64_t n, store_.Exec("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
                             {FormatTimestamp(clock_.Now()), std::string(token_id)}));
  if (n == 0) return absl::NotFoundError(lepton::StrCat("token '", token_id, "' not found"));
  return absl::OkStatus();
}

absl::StatusOr<NewToken> AuthService::Login(std::string_view name, std::string_view password,
                                            std::optional<int64_t> ttl_seconds) {
  LEPTON_RETURN_IF_ERROR(CheckTtl(ttl_seconds));
  const absl::Status wrong = absl::UnauthenticatedError("wrong user name or password");
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT password_hash, disabled FROM users WHERE name = ?", {std::string(name)}));
  if (rs.rows.empty() || rs.rows[0].IsNull(0)) return wrong;
  if (!VerifyPassword(password, rs.rows[0].String(0))) return wrong;
  if (rs.rows[0].Int(1) != 0) return absl::UnauthenticatedError(lepton::StrCat("user '", name, "' is disabled"));
  return CreateToken(name, "login", ttl_seconds);
}

absl::StatusOr<Principal> AuthService::Authenticate(std::string_view token) {
  LEPTON_ASSIGN_OR_RETURN(std::shared_ptr<const Principal> p, AuthenticateShared(token));
  return *p;
}

absl::StatusOr<std::shared_ptr<const Principal>> AuthService::AuthenticateShared(std::string_view token) {
  if (!token.starts_with(kTokenPrefix) || token.size() != kTokenPrefix.size() + kTokenChars) {
    return absl::UnauthenticatedError("malformed token: expected 'lep_' and 43 characters");
  }
  const absl::Time now = clock_.Now();
  if (cache_ttl_ > absl::ZeroDuration()) {
    // Keyed by the token itself (held in memory no longer than the TTL, like the requests that
    // carry it): a hit costs no SHA-256.
    std::lock_guard<std::mutex> l(cache_mu_);
    auto it = cache_.find(token);
    if (it != cache_.end() && now < it->second.valid_until) return it->second.principal;
  }
  const std::string hash = TokenHash(token);
  LEPTON_ASSIGN_OR_RETURN(
      store::ResultSet rs,
      store_.Query("SELECT t.id, t.expires_at, t.revoked_at, u.id, u.name, u.disabled "
                   "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
                   {hash}));
  if (rs.rows.empty()) return absl::UnauthenticatedError("unknown token");
  const store::Row& r = rs.rows[0];
  if (!r.IsNull(2)) return absl::UnauthenticatedError("token was revoked");
  absl::Time valid_until = now + cache_ttl_;
  if (auto expires = r.OptionalString(1)) {
    absl::Time t;
    if (!ParseTimestamp(*expires, &t) || now >= t) {
      return absl::UnauthenticatedError("token has expired");
    }
    valid_until = std::min(valid_until, t);
  }
  if (r.Int(5) != 0) return absl::UnauthenticatedError("user is disabled");
  auto p = std::make_shared<Principal>();
  p->token_id = r.String(0);
  p->user_id = r.String(3);
  p->user_name = r.String(4);
  LEPTON_ASSIGN_OR_RETURN(p->grants, GrantsOf(p->user_id));
  if (cache_ttl_ > absl::ZeroDuration()) {
    std::lock_guard<std::mutex> l(cache_mu_);
    if (cache_.size() >= 10000) cache_.clear();  // bounded: many distinct tokens only cost queries
    cache_[std::string(token)] = Cached{p, valid_until};
  }
  return std::shared_ptr<const Principal>(std::move(p));
}

void AuthService::InvalidateCache() {
  std::lock_guard<std::mutex> l(cache_mu_);
  cache_.clear();
}

absl::StatusOr<std::optional<NewToken>> AuthService::Bootstrap() {
  LEPTON_ASSIGN_OR_RETURN(store::ResultSet rs, store_.Query("SELECT count(*) FROM users"));
  if (!rs.rows.empty() && rs.rows[0].Int(0) > 0) return std::optional<NewToken>();
  auto user = CreateUser("admin", std::nullopt, Role::kAdmin, "*", "bootstrap");
  // Another process may have bootstrapped the same store a moment ago.
  if (absl::IsAlreadyExists(user.status())) return std::optional<NewToken>();
  LEPTON_RETURN_IF_ERROR(user.status());
  LEPTON_ASSIGN_OR_RETURN(NewToken t, CreateToken("admin", "bootstrap", std::nullopt));
  return std::optional<NewToken>(std::move(t));
}

}  // namespace lepton::auth
