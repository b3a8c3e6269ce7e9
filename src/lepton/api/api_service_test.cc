#include "lepton/api/api_service.h"

#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/store/testing/test_store.h"

namespace lepton::api {
namespace {

using ::testing::HasSubstr;

// Drives `ApiService::Handle` directly (no sockets) over a real store.
class ApiServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LEPTON_ASSERT_OK_AND_ASSIGN(store_, store::testing::OpenTestStore(GetParam()));
    auth_ = std::make_unique<auth::AuthService>(*store_, clock_);
    audit_ = std::make_unique<auth::AuditLog>(*store_, clock_);
    LEPTON_ASSERT_OK_AND_ASSIGN(auto admin, auth_->Bootstrap());
    admin_token_ = admin->secret;
    service_ = std::make_unique<ApiService>(*store_, *auth_, *audit_,
                                            ApiOptions{.access_log = false});
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& token = "", const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    EXPECT_TRUE(ParseTarget(target, &r.path, &r.query));
    if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + token);
    if (!body.empty()) r.headers.emplace_back("content-type", "application/json");
    r.body = body;
    return service_->Handle(r);
  }

  static Json Body(const HttpResponse& r) {
    auto j = ParseJson(r.body);
    EXPECT_TRUE(j.ok()) << r.body;
    return j.ok() ? *j : Json();
  }

  std::string TokenFor(const std::string& user, const std::string& role, const std::string& scope) {
    EXPECT_EQ(Call("POST", "/api/v1/users", admin_token_,
                   DumpJson({{"name", user}, {"role", role}, {"scope", scope}}))
                  .status,
              201);
    HttpResponse t = Call("POST", "/api/v1/users/" + user + "/tokens", admin_token_, "{}");
    EXPECT_EQ(t.status, 201) << t.body;
    return Body(t)["token"];
  }

  std::vector<auth::AuditEntry> AuditEntries() {
    auto entries = audit_->List({.after_seq = 0, .limit = 1000});
    EXPECT_OK(entries);
    return entries.ok() ? *entries : std::vector<auth::AuditEntry>{};
  }

  FakeClock clock_;
  std::unique_ptr<store::MetaStore> store_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<auth::AuditLog> audit_;
  std::unique_ptr<ApiService> service_;
  std::string admin_token_;
};

TEST_P(ApiServiceTest, HealthAndReadinessNeedNoToken) {
  EXPECT_EQ(Body(Call("GET", "/healthz"))["status"], "ok");
  EXPECT_EQ(Body(Call("GET", "/readyz"))["status"], "ready");
}

TEST_P(ApiServiceTest, ErrorsAreJsonWithCanonicalCode) {
  HttpResponse r = Call("GET", "/api/v1/nothing", admin_token_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["code"], "NOT_FOUND");
  r = Call("PUT", "/healthz");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET");
  EXPECT_THAT(std::string(Body(r)["error"]), HasSubstr("not allowed"));
}

TEST_P(ApiServiceTest, MissingMalformedAndUnknownTokensAre401) {
  for (const std::string& token : {std::string(""), std::string("lep_nope"),
                                   "lep_" + std::string(43, 'A')}) {
    HttpResponse r = Call("GET", "/api/v1/whoami", token);
    EXPECT_EQ(r.status, 401) << token;
    EXPECT_EQ(Body(r)["code"], "UNAUTHENTICATED");
    EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer");
  }
  HttpRequest basic;
  basic.method = "GET";
  basic.path = "/api/v1/whoami";
  basic.headers = {{"authorization", "Basic YWRtaW46eA=="}};
  EXPECT_EQ(service_->Handle(basic).status, 401);
}

TEST_P(ApiServiceTest, RequestIdIsEchoedOrMinted) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/healthz";
  r.headers = {{"x-request-id", "abc-123"}};
  EXPECT_EQ(service_->Handle(r).Header("X-Request-Id"), "abc-123");
  r.headers = {{"x-request-id", "bad id\n"}};
  EXPECT_EQ(service_->Handle(r).Header("X-Request-Id").size(), 16u);
}

TEST_P(ApiServiceTest, BadBodiesAre400NamingTheProblem) {
  struct Case {
    std::string body;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"{\"name\": ", "malformed JSON"},
           {"[1,2]", "expected a JSON object, got array"},
           {"{\"name\": 5}", "body.name: expected a string, got number"},
           {"{\"name\": \"x\", \"colour\": \"red\"}", "body.colour: unknown field"},
           {"{}", "body.name: required field is missing"},
           {"{\"name\": \"x\", \"role\": \"root\"}", "unknown role 'root'"},
           {"{\"name\": \"Bad Name\"}", "invalid user name"},
       }) {
    HttpResponse r = Call("POST", "/api/v1/users", admin_token_, c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(Body(r)["code"], "INVALID_ARGUMENT");
    EXPECT_THAT(std::string(Body(r)["error"]), HasSubstr(c.message)) << c.body;
  }
  HttpRequest text;
  text.method = "POST";
  text.path = "/api/v1/users";
  text.headers = {{"authorization", "Bearer " + admin_token_}, {"content-type", "text/csv"}};
  text.body = "a,b";
  EXPECT_EQ(service_->Handle(text).status, 400);
}

TEST_P(ApiServiceTest, PermissionsAreEnforcedAndDenialsAudited) {
  const std::string viewer = TokenFor("vera", "viewer", "*");
  HttpResponse r = Call("GET", "/api/v1/users", viewer);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r)["code"], "PERMISSION_DENIED");
  EXPECT_EQ(Call("GET", "/api/v1/whoami", viewer).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/audit", viewer).status, 403);
  const auto entries = AuditEntries();
  ASSERT_FALSE(entries.empty());
  const auth::AuditEntry& last = entries.back();
  EXPECT_EQ(last.actor, "vera");
  EXPECT_EQ(last.action, "audit.list");
  EXPECT_EQ(last.outcome, "denied");
  EXPECT_FALSE(last.request_id.empty());
}

TEST_P(ApiServiceTest, MutatingCallsAreAuditedWithOutcome) {
  ASSERT_EQ(Call("POST", "/api/v1/users", admin_token_, R"({"name":"ada"})").status, 201);
  ASSERT_EQ(Call("POST", "/api/v1/users", admin_token_, R"({"name":"ada"})").status, 409);
  const auto entries = AuditEntries();
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(entries[entries.size() - 2].action, "user.create");
  EXPECT_EQ(entries[entries.size() - 2].outcome, "ok");
  EXPECT_EQ(entries.back().outcome, "error:409");
  EXPECT_THAT(entries.back().detail, HasSubstr("already exists"));
  auto report = audit_->Verify();
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok);
}

TEST_P(ApiServiceTest, ScopedGrantsAndSelfServiceTokens) {
  const std::string ds = TokenFor("dora", "data_scientist", "credit/*");
  // Own tokens: create, list, revoke; someone else's: forbidden.
  HttpResponse created = Call("POST", "/api/v1/tokens", ds, R"({"name":"laptop","ttl_seconds":60})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Body(created)["id"];
  EXPECT_EQ(Body(Call("GET", "/api/v1/tokens", ds)).size(), 2u);
  EXPECT_EQ(Call("GET", "/api/v1/users/admin/tokens", ds).status, 403);
  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/" + id, ds).status, 200);
  // The admin's token id is not revocable by dora (and reads as unknown).
  const std::string admin_token_id = Body(Call("GET", "/api/v1/whoami", admin_token_))["token_id"];
  EXPECT_EQ(Call("DELETE", "/api/v1/tokens/" + admin_token_id, ds).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/whoami", admin_token_).status, 200);
}

TEST_P(ApiServiceTest, RevokedTokenStopsWorkingImmediately) {
  const std::string t = TokenFor("tim", "viewer", "*");
  const std::string id = Body(Call("GET", "/api/v1/whoami", t))["token_id"];
  ASSERT_EQ(Call("DELETE", "/api/v1/tokens/" + id, admin_token_).status, 200);
  HttpResponse r = Call("GET", "/api/v1/whoami", t);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["error"], "token was revoked");
}

TEST_P(ApiServiceTest, AdminCannotDeleteOrDisableThemselves) {
  EXPECT_EQ(Call("DELETE", "/api/v1/users/admin", admin_token_).status, 409);
  EXPECT_EQ(Call("PATCH", "/api/v1/users/admin", admin_token_, R"({"disabled":true})").status, 409);
}

TEST_P(ApiServiceTest, LoginExchangesPasswordForToken) {
  ASSERT_EQ(Call("POST", "/api/v1/users", admin_token_,
                 R"({"name":"pat","password":"long enough","role":"viewer"})")
                .status,
            201);
  EXPECT_EQ(Call("POST", "/api/v1/login", "", R"({"user":"pat","password":"wrong one"})").status, 401);
  HttpResponse ok = Call("POST", "/api/v1/login", "", R"({"user":"pat","password":"long enough"})");
  ASSERT_EQ(ok.status, 201);
  EXPECT_EQ(Call("GET", "/api/v1/whoami", Body(ok)["token"]).status, 200);
}

TEST_P(ApiServiceTest, AuditQueryParametersAreValidated) {
  EXPECT_EQ(Call("GET", "/api/v1/audit?limit=0", admin_token_).status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/audit?after=x", admin_token_).status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/audit?limit=2", admin_token_).status, 200);
}

TEST_P(ApiServiceTest, OpenApiDescribesEveryRoute) {
  Json doc = service_->OpenApiDocument();
  EXPECT_EQ(doc["openapi"], "3.0.3");
  for (const Route& r : service_->router().routes()) {
    std::string method = r.spec.method;
    for (char& ch : method) ch = static_cast<char>(std::tolower(ch));
    EXPECT_TRUE(doc["paths"][r.spec.pattern].contains(method)) << r.spec.pattern;
  }
  EXPECT_EQ(doc["paths"]["/healthz"]["get"]["security"], Json::array());
  EXPECT_TRUE(doc["paths"]["/api/v1/users"]["post"].contains("requestBody"));
}

// A route whose body streams "aaa", "bb", then ends — or fails with DataLoss when the request
// has ?fail=1.
void AddStreamRoute(ApiService& service) {
  service.router().Add(
      {.method = "POST", .pattern = "/api/v1/stream", .operation_id = "test.stream",
       .summary = "A streamed body.", .tag = "test", .other_response_types = {"text/plain"},
       .streamed = true},
      [](RouteContext& ctx) -> absl::StatusOr<HttpResponse> {
        const bool fail = ctx.request.QueryParam("fail").has_value();
        HttpResponse r;
        r.content_type = "text/plain";
        r.producer = [n = 0, fail]() mutable -> absl::StatusOr<std::optional<std::string>> {
          switch (n++) {
            case 0: return std::optional<std::string>("aaa");
            case 1: return std::optional<std::string>("bb");
            default:
              if (fail) return absl::DataLossError("file vanished");
              return std::optional<std::string>();
          }
        };
        return r;
      });
}

// Pulls `r`'s producer to its end or error, returning the bytes and the final status.
std::pair<std::string, absl::Status> Drain(HttpResponse& r) {
  std::string body;
  while (true) {
    auto next = r.producer();
    if (!next.ok()) return {body, next.status()};
    if (!next->has_value()) return {body, absl::OkStatus()};
    body += **next;
  }
}

TEST_P(ApiServiceTest, StreamedResponsesGetHeadersAuditAndAnAccessLogAtTheEnd) {
  ApiService logged(*store_, *auth_, *audit_, ApiOptions{.access_log = true});
  AddStreamRoute(logged);
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/stream";
  req.headers = {{"authorization", "Bearer " + admin_token_}, {"x-request-id", "stream-1"}};
  ::testing::internal::CaptureStderr();
  HttpResponse r = logged.Handle(req);
  const std::string before = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r.producer);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("X-Request-Id"), "stream-1");
  EXPECT_EQ(before, "") << "the access log waits for the end of the stream";
  ::testing::internal::CaptureStderr();
  auto [body, status] = Drain(r);
  const std::string after = ::testing::internal::GetCapturedStderr();
  EXPECT_OK(status);
  EXPECT_EQ(body, "aaabb");
  EXPECT_THAT(after, HasSubstr("status=200"));
  EXPECT_THAT(after, HasSubstr("bytes=5"));
  EXPECT_THAT(after, HasSubstr("stream=complete"));
  EXPECT_THAT(after, HasSubstr("stream-1"));
  // Audited like any other mutating call, once, with the status it was answered with.
  int audited = 0;
  for (const auto& e : AuditEntries()) {
    if (e.action == "test.stream") {
      ++audited;
      EXPECT_EQ(e.outcome, "ok");
    }
  }
  EXPECT_EQ(audited, 1);
  // The OpenAPI document says so.
  const Json ok = logged.OpenApiDocument()["paths"]["/api/v1/stream"]["post"]["responses"]["200"];
  EXPECT_THAT(ok["description"].get<std::string>(), HasSubstr("chunked"));
  EXPECT_TRUE(ok["content"].contains("text/plain"));
}

TEST_P(ApiServiceTest, StreamedResponseErrorsAndAbandonsAreLogged) {
  ApiService logged(*store_, *auth_, *audit_, ApiOptions{.access_log = true});
  AddStreamRoute(logged);
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/stream";
  req.target = "/api/v1/stream?fail=1";
  req.query = {{"fail", "1"}};
  req.headers = {{"authorization", "Bearer " + admin_token_}};
  ::testing::internal::CaptureStderr();
  HttpResponse failed = logged.Handle(req);
  auto [body, status] = Drain(failed);
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(body, "aaabb");
  EXPECT_THAT(status, ::lepton::testing::StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(log, HasSubstr("stream=error"));
  EXPECT_THAT(log, HasSubstr("file vanished"));
  // The server drops a stream whose client went away: the line is written then.
  req.query.clear();
  ::testing::internal::CaptureStderr();
  {
    HttpResponse dropped = logged.Handle(req);
    ASSERT_OK(dropped.producer());
  }
  log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("stream=aborted"));
  EXPECT_THAT(log, HasSubstr("bytes=3"));
}

INSTANTIATE_TEST_SUITE_P(Stores, ApiServiceTest,
                         ::testing::ValuesIn(store::testing::TestStoreKinds()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace lepton::api
