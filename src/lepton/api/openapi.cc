#include "lepton/api/openapi.h"

#include "lepton/base/strings.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace lepton::api {
namespace {

Json ErrorRef() { return {{"$ref", "#/components/schemas/Error"}}; }

Json ErrorResponse(const std::string& description) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", ErrorRef()}}}}}};
}

}  // namespace

Json BuildOpenApi(const Router& router, const std::string& version) {
  Json paths = Json::object();
  for (const Route& r : router.routes()) {
    const RouteSpec& s = r.spec;
    Json op;
    // operationId must be unique and a plain identifier.
    op["operationId"] = absl::StrReplaceAll(s.operation_id, {{".", "_"}});
    op["summary"] = s.summary;
    if (!s.tag.empty()) op["tags"] = Json::array({s.tag});
    Json params = Json::array();
    for (const std::string& seg : r.segments) {
      if (seg.size() >= 2 && seg.front() == '{') {
        params.push_back({{"name", seg.substr(1, seg.size() - 2)},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
      }
    }
    for (const std::string& q : s.query_params) {
      params.push_back(
          {{"name", q}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (!s.request_schema.is_null()) {
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", s.request_schema}}}}}};
    }
    Json responses = Json::object();
    Json content = {{"application/json", {{"schema", s.response_schema.is_null()
                                                         ? Json{{"type", "object"}}
                                                         : s.response_schema}}}};
    for (const std::string& type : s.other_response_types) {
      content[type] = {{"schema", {{"type", "string"}}}};
    }
    responses[std::to_string(s.success_status)] = {
        {"description", s.streamed ? "success, streamed with Transfer-Encoding: chunked (a failure "
                                     "after the first bytes ends the connection without the final "
                                     "chunk: treat an incomplete body as an error)"
                                   : "success"},
        {"content", content}};
    if (!s.request_schema.is_null() || !s.query_params.empty()) {
      responses["400"] = ErrorResponse("malformed request: bad JSON, wrong type, unknown field");
    }
    if (s.authenticated) {
      responses["401"] = ErrorResponse("missing, malformed, unknown, expired or revoked token");
      responses["403"] = ErrorResponse("the caller's grants do not allow this");
    } else {
      op["security"] = Json::array();  // public: overrides the global bearer requirement
    }
    responses["default"] = ErrorResponse("error");
    op["responses"] = responses;
    paths[s.pattern][AsciiLower(s.method)] = op;
  }
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "Lepton API"},
        {"version", version},
        {"description",
         "Lepton, an enterprise AI platform: data lake, training, registry, serving and "
         "monitoring. Errors are {\"error\": message, \"code\": CANONICAL_CODE}."}}},
      {"servers", Json::array({{{"url", "/"}}})},
      {"security", Json::array({{{"bearer", Json::array()}}})},
      {"paths", paths},
      {"components",
       {{"securitySchemes",
         {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"description", "lep_… API token"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"required", Json::array({"error", "code"})},
            {"properties",
             {{"error", {{"type", "string"}}},
              {"code", {{"type", "string"}, {"example", "INVALID_ARGUMENT"}}}}}}}}}}}};
}

}  // namespace lepton::api
