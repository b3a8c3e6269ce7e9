#include "lepton/api/http_client.h"

#include "lepton/base/strings.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lepton::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

absl::StatusOr<HttpClient> HttpClient::Create(std::string_view base_url) {
  std::string_view rest = base_url;
  if (!rest.starts_with("http://")) {
    return absl::InvalidArgumentError(
        lepton::StrCat("server URL '", base_url, "': expected http://HOST:PORT"));
  }
  rest.remove_prefix(7);
  while (rest.ends_with('/')) rest.remove_suffix(1);
  const auto colon = rest.rfind(':');
  int64_t port = 80;
  std::string_view host = rest;
  if (colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    if (!ParseInt(rest.substr(colon + 1), &port) || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError(lepton::StrCat("server URL '", base_url, "': bad port"));
    }
  }
  if (host.empty() || host.find('/') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        lepton::StrCat("server URL '", base_url, "': expected http://HOST:PORT"));
  }
  return HttpClient(std::string(host), static_cast<int>(port));
}

absl::StatusOr<HttpResponse> HttpClient::Send(std::string_view method, std::string_view target,
                                              std::string_view body, const HeaderList& headers,
                                              absl::Duration timeout) const {
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  const beast::string_view verb(method.data(), method.size());
  http::request<http::string_body> req(http::string_to_verb(verb), std::string(target), 11);
  if (req.method() == http::verb::unknown) req.method_string(verb);
  req.set(http::field::host, lepton::StrCat(host_, ":", port_));
  req.set(http::field::user_agent, "lepton-cli");
  if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::string(body);
  req.keep_alive(false);
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  parser.eager(true);

  beast::error_code result;
  const char* stage = "connecting to";
  stream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(timeout)));
  resolver.async_resolve(host_, std::to_string(port_), [&](beast::error_code ec,
                                                           tcp::resolver::results_type results) {
    if (ec) return void(result = ec);
    stream.async_connect(results, [&](beast::error_code ec2, const tcp::endpoint&) {
      if (ec2) return void(result = ec2);
      stage = "sending to";
      http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
        if (ec3) return void(result = ec3);
        stage = "reading from";
        http::async_read(stream, buffer, parser, [&](beast::error_code ec4, size_t) {
          result = ec4;
        });
      });
    });
  });
  ioc.run();
  const std::string where = lepton::StrCat(stage, " http://", host_, ":", port_);
  if (result == beast::error::timeout) {
    return absl::DeadlineExceededError(lepton::StrCat("timed out ", where));
  }
  if (result) return absl::UnavailableError(lepton::StrCat(where, ": ", result.message()));
  auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    if (f.name() == http::field::content_type) out.content_type = std::string(f.value());
    else out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace lepton::api
