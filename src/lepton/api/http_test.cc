#include "lepton/api/http.h"

#include "gtest/gtest.h"

namespace lepton::api {
namespace {

TEST(ParseTargetTest, DecodesPathAndQuery) {
  std::string path;
  HeaderList query;
  ASSERT_TRUE(ParseTarget("/api/v1/users/a%20b?limit=5&actor=ad+min&flag", &path, &query));
  EXPECT_EQ(path, "/api/v1/users/a b");
  ASSERT_EQ(query.size(), 3u);
  EXPECT_EQ(query[0], (std::pair<std::string, std::string>("limit", "5")));
  EXPECT_EQ(query[1].second, "ad min");
  EXPECT_EQ(query[2], (std::pair<std::string, std::string>("flag", "")));
}

TEST(ParseTargetTest, RejectsBadTargets) {
  std::string path;
  HeaderList query;
  for (const char* bad : {"", "api/v1", "http://x/y", "/a%2", "/a%zz", "/a%00b", "/?x=%0"}) {
    EXPECT_FALSE(ParseTarget(bad, &path, &query)) << bad;
  }
}

TEST(HttpRequestTest, HeaderAndQueryLookups) {
  HttpRequest r;
  r.headers = {{"content-type", "application/json"}};
  r.query = {{"a", "1"}};
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("missing"), "");
  EXPECT_EQ(r.QueryParam("a"), "1");
  EXPECT_EQ(r.QueryParam("b"), std::nullopt);
}

TEST(UrlEncodeTest, EscapesReservedCharacters) {
  EXPECT_EQ(UrlEncode("a b/c?d"), "a%20b%2Fc%3Fd");
  EXPECT_EQ(UrlEncode("safe-_.~AZ09"), "safe-_.~AZ09");
  std::string path;
  HeaderList query;
  ASSERT_TRUE(ParseTarget("/" + UrlEncode("x/ y%"), &path, &query));
  EXPECT_EQ(path, "/x/ y%");
}

}  // namespace
}  // namespace lepton::api
