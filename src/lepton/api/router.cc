#include "lepton/api/router.h"

#include "lepton/base/strings.h"

#include "lepton/base/status.h"

namespace lepton::api {

const std::string& RouteContext::Param(std::string_view name) const {
  static const std::string* empty = new std::string();
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return *empty;
}

void Router::Add(RouteSpec spec, RouteHandler handler) {
  for (const Route& r : routes_) {
    LEPTON_CHECK(!(r.spec.method == spec.method && r.spec.pattern == spec.pattern));
  }
  Route route;
  for (std::string_view seg : Split(spec.pattern, '/')) route.segments.emplace_back(seg);
  route.spec = std::move(spec);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

namespace {

// Matches `path` segments against `route`; returns the number of literal segments matched
// (higher is more specific), or -1 for no match. `params` gets views into the route and path.
int MatchSegments(const Route& route, const std::vector<std::string_view>& path,
                  std::vector<std::pair<std::string_view, std::string_view>>* params) {
  if (route.segments.size() != path.size()) return -1;
  int literals = 0;
  params->clear();
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& seg = route.segments[i];
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      if (path[i].empty()) return -1;
      params->emplace_back(std::string_view(seg).substr(1, seg.size() - 2), path[i]);
    } else if (seg == path[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

}  // namespace

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  // Called for every request: the scratch vectors are per thread, and parameters stay views
  // until the best route is known.
  thread_local std::vector<std::string_view> parts;
  thread_local std::vector<std::pair<std::string_view, std::string_view>> params;
  parts.clear();
  for (size_t from = 0;;) {  // split on every '/', as Split does
    const size_t slash = path.find('/', from);
    parts.push_back(path.substr(from, slash == std::string_view::npos ? std::string_view::npos : slash - from));
    if (slash == std::string_view::npos) break;
    from = slash + 1;
  }
  Match best;
  int best_score = -1;
  for (const Route& r : routes_) {
    if (r.spec.method != method) continue;
    const int score = MatchSegments(r, parts, &params);
    if (score > best_score) {
      best_score = score;
      best.route = &r;
      best.params.assign(params.begin(), params.end());
    }
  }
  if (best.route != nullptr) return best;
  // No route for this method: 405 when the path has routes for other methods.
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    if (r.spec.method != method && MatchSegments(r, parts, &params) >= 0) allowed.push_back(r.spec.method);
  }
  if (!allowed.empty()) {
    best.status = 405;
    best.allow = lepton::StrJoin(allowed, ", ");
  }
  return best;
}

std::string ExpandResource(std::string_view t, const RouteContext& ctx) {
  std::string out;
  size_t i = 0;
  while (i < t.size()) {
    if (t[i] == '{') {
      const size_t close = t.find('}', i);
      if (close == std::string_view::npos) break;
      out += ctx.Param(t.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      out.push_back(t[i++]);
    }
  }
  return out;
}

}  // namespace lepton::api
