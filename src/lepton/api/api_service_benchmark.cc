// In-process cost of the request pipeline, without sockets: route match, authentication
// (token hash + store lookups), permission check, handler, JSON encoding.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "lepton/api/api_service.h"
#include "lepton/base/logging.h"
#include "lepton/base/status.h"
#include "lepton/store/meta_store.h"

namespace lepton::api {
namespace {

struct Fixture {
  Fixture() {
    SetLogLevel(LogLevel::kError);
    const auto dir = std::filesystem::temp_directory_path() / "lepton_api_bench";
    std::filesystem::remove_all(dir);
    auto s = store::OpenMetaStore("sqlite:" + (dir / "meta.db").string());
    LEPTON_CHECK_OK(s);
    store = *std::move(s);
    auth = std::make_unique<auth::AuthService>(*store, Clock::System());
    audit = std::make_unique<auth::AuditLog>(*store, Clock::System());
    auto admin = auth->Bootstrap();
    LEPTON_CHECK_OK(admin);
    token = (*admin)->secret;
    service = std::make_unique<ApiService>(*store, *auth, *audit,
                                           ApiOptions{.access_log = false});
  }
  HttpRequest Get(std::string path, bool with_token) {
    HttpRequest r;
    r.method = "GET";
    r.target = r.path = std::move(path);
    if (with_token) r.headers.emplace_back("authorization", "Bearer " + token);
    return r;
  }
  std::unique_ptr<store::MetaStore> store;
  std::unique_ptr<auth::AuthService> auth;
  std::unique_ptr<auth::AuditLog> audit;
  std::unique_ptr<ApiService> service;
  std::string token;
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_Handle_Healthz(benchmark::State& state) {
  HttpRequest r = F().Get("/healthz", false);
  for (auto _ : state) benchmark::DoNotOptimize(F().service->Handle(r));
}
BENCHMARK(BM_Handle_Healthz);

void BM_Handle_WhoamiAuthenticated(benchmark::State& state) {
  HttpRequest r = F().Get("/api/v1/whoami", true);
  for (auto _ : state) benchmark::DoNotOptimize(F().service->Handle(r));
}
BENCHMARK(BM_Handle_WhoamiAuthenticated)->ThreadRange(1, 2);

void BM_Authenticate(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(F().auth->Authenticate(F().token));
}
BENCHMARK(BM_Authenticate);

}  // namespace
}  // namespace lepton::api
