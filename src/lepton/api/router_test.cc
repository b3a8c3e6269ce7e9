#include "lepton/api/router.h"

#include "gtest/gtest.h"

namespace lepton::api {
namespace {

RouteHandler Named(std::string name) {
  return [name](RouteContext&) -> absl::StatusOr<HttpResponse> {
    return HttpResponse::MakeJson(200, {{"route", name}});
  };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add({.method = "GET", .pattern = "/api/v1/users/{name}", .operation_id = "get"}, Named("get"));
    router_.Add({.method = "DELETE", .pattern = "/api/v1/users/{name}", .operation_id = "del"}, Named("del"));
    router_.Add({.method = "GET", .pattern = "/api/v1/users/me", .operation_id = "me"}, Named("me"));
    router_.Add({.method = "GET", .pattern = "/api/v1/users/{name}/tokens/{id}", .operation_id = "tok"}, Named("tok"));
  }
  Router router_;
};

TEST_F(RouterTest, ParametersAreCaptured) {
  Router::Match m = router_.Find("GET", "/api/v1/users/ada/tokens/t1");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->spec.operation_id, "tok");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>("name", "ada")));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>("id", "t1")));
}

TEST_F(RouterTest, LiteralSegmentsWinOverParameters) {
  EXPECT_EQ(router_.Find("GET", "/api/v1/users/me").route->spec.operation_id, "me");
  EXPECT_EQ(router_.Find("GET", "/api/v1/users/mel").route->spec.operation_id, "get");
}

TEST_F(RouterTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Router::Match none = router_.Find("GET", "/api/v1/nothing");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_EQ(none.status, 404);
  Router::Match wrong = router_.Find("POST", "/api/v1/users/ada");
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.allow, "GET, DELETE");
}

TEST_F(RouterTest, EmptyParameterDoesNotMatch) {
  EXPECT_EQ(router_.Find("GET", "/api/v1/users/").status, 404);
  EXPECT_EQ(router_.Find("GET", "/api/v1/users//tokens/x").status, 404);
}

TEST(ExpandResourceTest, SubstitutesParameters) {
  HttpRequest req;
  RouteContext ctx{req, {{"ns", "credit"}, {"name", "scorer"}}, nullptr, ""};
  EXPECT_EQ(ExpandResource("{ns}/{name}", ctx), "credit/scorer");
  EXPECT_EQ(ExpandResource("*", ctx), "*");
}

}  // namespace
}  // namespace lepton::api
