#include "lepton/api/http.h"


#include "lepton/base/strings.h"

namespace lepton::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool Decode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return false;
    out->push_back(c);
  }
  return true;
}

}  // namespace

void DeferredResponse::Complete(HttpResponse response) {
  std::unique_lock<std::mutex> lock(mu_);
  if (completed_) return;
  completed_ = true;
  response_ = std::make_unique<HttpResponse>(std::move(response));
  Deliver(std::move(lock));
}

void DeferredResponse::Then(std::function<void(HttpResponse&)> step) {
  std::lock_guard<std::mutex> lock(mu_);
  steps_.push_back(std::move(step));
}

void DeferredResponse::OnComplete(std::function<void(HttpResponse)> sink) {
  std::unique_lock<std::mutex> lock(mu_);
  sink_ = std::move(sink);
  Deliver(std::move(lock));
}

// Runs the steps and the sink outside the lock once both the response and the sink are there.
void DeferredResponse::Deliver(std::unique_lock<std::mutex> lock) {
  if (delivered_ || !completed_ || !sink_) return;
  delivered_ = true;
  HttpResponse response = std::move(*response_);
  response_.reset();
  auto steps = std::move(steps_);
  auto sink = std::move(sink_);
  lock.unlock();
  for (auto& step : steps) step(response);
  sink(std::move(response));
}

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::optional<std::string> HttpRequest::QueryParam(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

HttpResponse HttpResponse::MakeJson(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = DumpJson(body);
  return r;
}

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

bool ParseTarget(std::string_view target, std::string* path, HeaderList* query) {
  if (target.empty() || target[0] != '/') return false;
  const auto q = target.find('?');
  if (!Decode(target.substr(0, q), /*plus_is_space=*/false, path)) return false;
  query->clear();
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string k, v;
    if (!Decode(pair.substr(0, eq), true, &k)) return false;
    if (eq != std::string_view::npos && !Decode(pair.substr(eq + 1), true, &v)) return false;
    query->emplace_back(std::move(k), std::move(v));
  }
  return true;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

}  // namespace lepton::api
