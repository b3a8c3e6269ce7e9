// Fuzzes the whole API behind the HTTP parser: an `ApiService` wired like `lepton server`
// (SQLite metadata store in a temporary directory, AuthService, AuditLog, system clock,
// bootstrapped admin) answers requests parsed from the input with `ParseRawRequest`.
//
// Input format: byte 0 is a control byte, the rest is one raw HTTP/1.1 request. When byte 0 is
// odd, "authorization: Bearer <admin token>" is put in front of the request's headers (so the
// fuzzer reaches the authenticated handlers; '1' = as admin, '0' = as sent).
//
// Invariants (a violation traps): every response has a status in [200, 600), a body that is valid
// JSON, an X-Request-Id header, and when it is an error (>= 400) a body object with string
// fields "error" and "code".
//
// The store is recreated every kResetEvery inputs so that it (and the audit chain, which
// /api/v1/audit/verify walks) stays small. Environment: LEPTON_FUZZ_TMPDIR picks the directory
// for the store (default /dev/shm when writable, else $TMPDIR or /tmp); LEPTON_FUZZ_VERBOSE=1
// prints each request and response (for checking seeds).

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "lepton/api/api_service.h"
#include "lepton/api/http.h"
#include "lepton/api/http_server.h"
#include "lepton/auth/audit_log.h"
#include "lepton/auth/auth_service.h"
#include "lepton/base/clock.h"
#include "lepton/base/json.h"
#include "lepton/base/logging.h"
#include "lepton/base/strings.h"
#include "lepton/store/meta_store.h"

namespace {

constexpr int kResetEvery = 2000;

struct World {
  std::unique_ptr<lepton::store::MetaStore> store;
  std::unique_ptr<lepton::auth::AuthService> auth;
  std::unique_ptr<lepton::auth::AuditLog> audit;
  std::unique_ptr<lepton::api::ApiService> service;
  std::string admin_token;
};

std::string* g_dir = nullptr;  // the temporary directory holding meta.db
World* g_world = nullptr;
int g_inputs = 0;

[[noreturn]] void Die(std::string_view what) {
  std::fprintf(stderr, "api_fuzzer: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

constexpr std::string_view kDirPrefix = "lepton-api-fuzzer-";

// Removes the directories of earlier runs that died without cleaning up (a crash skips atexit):
// lepton-api-fuzzer-<pid>-XXXXXX whose process is gone.
void RemoveStaleDirs(const std::string& base) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kDirPrefix)) continue;
    int64_t pid = 0;
    const std::string_view rest = std::string_view(name).substr(kDirPrefix.size());
    if (!lepton::ParseInt(rest.substr(0, rest.find('-')), &pid) || pid <= 0) continue;
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

std::string MakeTempDir() {
  std::string base;
  if (const char* env = std::getenv("LEPTON_FUZZ_TMPDIR"); env != nullptr && *env != '\0') {
    base = env;
  } else if (access("/dev/shm", W_OK) == 0) {
    base = "/dev/shm";
  } else if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') {
    base = tmp;
  } else {
    base = "/tmp";
  }
  RemoveStaleDirs(base);
  std::string templ = lepton::StrCat(base, "/", kDirPrefix, getpid(), "-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) Die(lepton::StrCat("mkdtemp in ", base, " failed"));
  return templ;
}

void RemoveDir() {
  if (g_dir == nullptr) return;
  std::error_code ec;
  std::filesystem::remove_all(*g_dir, ec);
}

// (Re)creates the store and the services over an empty database.
void BuildWorld() {
  if (g_world != nullptr) {
    // Members go in reverse order of construction: service, audit, auth, store.
    delete g_world;
    g_world = nullptr;
    RemoveDir();
    std::filesystem::create_directories(*g_dir);
  }
  auto world = std::make_unique<World>();
  auto store = lepton::store::OpenMetaStore("sqlite:" + *g_dir + "/meta.db");
  if (!store.ok()) Die(lepton::StrCat("opening the store: ", store.status().ToString()));
  world->store = *std::move(store);
  lepton::Clock& clock = lepton::Clock::System();
  world->auth = std::make_unique<lepton::auth::AuthService>(*world->store, clock);
  world->audit = std::make_unique<lepton::auth::AuditLog>(*world->store, clock);
  auto bootstrap = world->auth->Bootstrap();
  if (!bootstrap.ok() || !bootstrap->has_value()) {
    Die(lepton::StrCat("bootstrap: ", bootstrap.status().ToString()));
  }
  world->admin_token = (*bootstrap)->secret;
  world->service = std::make_unique<lepton::api::ApiService>(
      *world->store, *world->auth, *world->audit,
      lepton::api::ApiOptions{.access_log = false, .version = "0.1.0"});
  g_world = world.release();
}

void CheckResponse(const lepton::api::HttpRequest& request,
                   const lepton::api::HttpResponse& response) {
  const std::string context =
      lepton::StrCat(request.method, " ", request.target, " -> ", response.status, " ",
                     response.body.substr(0, 300));
  FUZZ_CHECK(response.status >= 200 && response.status < 600, context.c_str());
  FUZZ_CHECK(!response.Header("x-request-id").empty(), context.c_str());
  absl::StatusOr<lepton::Json> body = lepton::ParseJson(response.body);
  FUZZ_CHECK(body.ok(), context.c_str());
  if (response.status >= 400) {
    FUZZ_CHECK(body->is_object(), context.c_str());
    const auto error = body->find("error");
    const auto code = body->find("code");
    FUZZ_CHECK(error != body->end() && error->is_string(), context.c_str());
    FUZZ_CHECK(code != body->end() && code->is_string() && !code->get<std::string>().empty(),
               context.c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  lepton::SetLogLevel(lepton::LogLevel::kError);
  g_dir = new std::string(MakeTempDir());
  std::atexit(RemoveDir);
  BuildWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  if (g_world == nullptr) LLVMFuzzerInitialize(nullptr, nullptr);
  if (++g_inputs % kResetEvery == 0) BuildWorld();

  const bool as_admin = (data[0] & 1) != 0;
  const std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  lepton::api::HttpServerOptions limits;
  limits.header_limit_bytes = 16 * 1024;
  limits.max_body_bytes = 1 << 20;
  lepton::api::HttpRequest request;
  static const bool kVerbose = std::getenv("LEPTON_FUZZ_VERBOSE") != nullptr;
  const int parsed = lepton::api::ParseRawRequest(raw, limits, &request);
  if (kVerbose && parsed != 0) std::fprintf(stderr, "  parse: %d\n", parsed);
  if (parsed != 0) return 0;
  request.remote = "127.0.0.1:40000";
  if (as_admin) {
    request.headers.insert(request.headers.begin(),
                           {"authorization", "Bearer " + g_world->admin_token});
  }
  const lepton::api::HttpResponse response = g_world->service->Handle(request);
  if (kVerbose) {
    std::fprintf(stderr, "  %s %s%s -> %d %.200s\n", request.method.c_str(),
                 request.target.c_str(), as_admin ? " (admin)" : "", response.status,
                 response.body.c_str());
  }
  CheckResponse(request, response);
  return 0;
}
