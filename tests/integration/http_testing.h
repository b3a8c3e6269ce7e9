#pragma once
// HTTP helpers shared by the integration tests that talk to a real `lepton server`: one call on a
// fresh connection with a bearer token, failing the test (not crashing) when the server cannot be
// reached, and a body parsed as JSON (null, and a test failure, when it is not JSON).

#include <string>

#include "gtest/gtest.h"
#include "lepton/api/http_client.h"
#include "lepton/base/json.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::testing {

inline api::HttpResponse HttpCall(const std::string& base_url, const std::string& method, const std::string& target,
                                  const std::string& token, const std::string& body = "") {
  auto client = api::HttpClient::Create(base_url);
  EXPECT_OK(client);
  if (!client.ok()) return api::HttpResponse{.status = 0};
  client->set_token(token);
  auto r = client->Send(method, target, body);
  EXPECT_TRUE(r.ok()) << method << " " << target << ": " << r.status();
  return r.ok() ? *r : api::HttpResponse{.status = 0};
}

inline Json JsonBody(const api::HttpResponse& r) {
  auto j = ParseJson(r.body);
  EXPECT_TRUE(j.ok()) << r.body;
  return j.ok() ? *j : Json();
}

}  // namespace lepton::testing
