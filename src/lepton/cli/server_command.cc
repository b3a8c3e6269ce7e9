// `lepton server`: the composition root. Loads the configuration, opens the metadata store,
// bootstraps the admin user, wires the API and serves until SIGTERM or SIGINT.

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <iostream>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lepton/base/strings.h"
#include "lepton/api/api_service.h"
#include "lepton/api/http_server.h"
#include "lepton/api/job_routes.h"
#include "lepton/api/lake_routes.h"
#include "lepton/api/tracking_routes.h"
#include "lepton/api/training_routes.h"
#include "lepton/api/registry_routes.h"
#include "lepton/api/serving_routes.h"
#include "lepton/api/metrics_routes.h"
#include "lepton/api/alert_routes.h"
#include "lepton/api/http_client.h"
#include "lepton/alerts/alert_service.h"
#include "lepton/monitor/process_metrics.h"
#include "lepton/jobs/job_runner.h"
#include "lepton/lake/crypto/keys.h"
#include "lepton/lake/lake.h"
#include "lepton/auth/audit_log.h"
#include "lepton/auth/auth_service.h"
#include "lepton/base/clock.h"
#include "lepton/base/config.h"
#include "lepton/base/files.h"
#include "lepton/base/logging.h"
#include "lepton/cli/args.h"
#include "lepton/cli/commands.h"
#include "lepton/cli/store_url.h"
#include "lepton/store/meta_store.h"
#include "lepton/tracking/tracking_service.h"

namespace lepton::cli {
namespace {

constexpr char kServerHelp[] = R"(usage: lepton server [--home DIR] [--listen HOST:PORT] [--store URL] [settings…]

Runs the Lepton platform: the REST API under /api/v1/, health at /healthz and /readyz, and the
API description at /openapi.json. On first start it creates the user 'admin' and writes its
token to <home>/admin.token (mode 0600).

  --home DIR             LEPTON_HOME: metadata, lake, models, logs (default ./lepton-home)
  --listen HOST:PORT     address to serve on (default 127.0.0.1:8080; port 0 picks a free one
                         and the chosen port is printed)
  --store URL            metadata store: sqlite (default, <home>/meta.db), sqlite:PATH, or
                         postgresql://user@host:port/db
  --config FILE          settings file (default <home>/lepton.yaml when it exists)
  --io-threads N         HTTP I/O threads (default: one per core)
  --max-body-bytes N     larger request bodies get 413 (default 67108864)
  --read-timeout-ms N    a request must arrive within this (default 30000)
  --idle-timeout-ms N    idle keep-alive connections are closed after this (default 60000)
  --shutdown-timeout-ms N  in-flight requests get this long after SIGTERM (default 10000)
  --access-log BOOL      one log line per request (default true)
  --log-level LEVEL      debug, info, warning, error (default info)
  --log-format FORMAT    text or json (default text)
  --alert-interval DUR   how often alert rules are evaluated, e.g. 15s, 500ms, 1m (default 15s;
                         0 turns evaluation off). See docs/alerts.md.

Sensitive datasets are encrypted at rest under a master key: LEPTON_MASTER_KEY (64 hex
characters or base64 of 32 bytes), else the file LEPTON_MASTER_KEY_FILE, else <home>/master.key
(created with mode 0600 at first start). Back it up: without it those datasets are unreadable.
See docs/security.md.

Every setting can also come from LEPTON_<NAME> (e.g. LEPTON_LISTEN) or lepton.yaml; flags win
over the environment, which wins over the file. See docs/configuration.md.
)";

}  // namespace

int RunServer(const Argv& argv) {
  std::set<std::string> known = {"config", "help", "alert-interval"};
  for (const std::string& k : ConfigKeys()) {
    std::string flag = k;
    std::replace(flag.begin(), flag.end(), '_', '-');
    known.insert(flag);
  }
  auto args = ParseArgs(argv, {"help"}, known);
  if (!args.ok()) return Fail(std::string(args.status().message()), 2);
  if (args->Has("help")) {
    std::cout << kServerHelp;
    return 0;
  }
  if (!args->positional.empty()) return Fail("lepton server takes no arguments (see --help)", 2);
  // Not a setting of lepton.yaml (yet): read here and kept out of LoadConfig.
  absl::Duration alert_interval = absl::Seconds(15);
  if (auto it = args->flags.find("alert-interval"); it != args->flags.end()) {
    int64_t seconds = 0;
    if (ParseInt(it->second, &seconds) && seconds >= 0) {
      alert_interval = absl::Seconds(seconds);
    } else if (!absl::ParseDuration(it->second, &alert_interval) || alert_interval < absl::ZeroDuration()) {
      return Fail(lepton::StrCat("--alert-interval: expected a duration such as 15s, 500ms or 1m, got '", it->second, "'"), 2);
    }
    args->flags.erase(it);
  }
  auto config = LoadConfig(args->flags, ProcessEnvironment());
  if (!config.ok()) return Fail(std::string(config.status().message()), 2);
  SetLogLevel(config->log_level);
  SetLogFormat(config->log_format);

  if (absl::Status s = MakeDirs(config->home, 0700); !s.ok()) return Fail(std::string(s.message()));
  auto store = store::OpenMetaStore(StoreUrl(*config));
  if (!store.ok()) return Fail(lepton::StrCat("opening metadata store: ", store.status().message()));

  Clock& clock = Clock::System();
  auth::AuthService auth_service(**store, clock);
  auth::AuditLog audit(**store, clock);
  const std::string token_path = config->home + "/admin.token";
  auto bootstrap = auth_service.Bootstrap();
  if (!bootstrap.ok()) return Fail(lepton::StrCat("bootstrap: ", bootstrap.status().message()));
  if (bootstrap->has_value()) {
    if (absl::Status s = WriteFileAtomically(token_path, (*bootstrap)->secret + "\n", 0600);
        !s.ok()) {
      return Fail(lepton::StrCat("writing admin token: ", s.message()));
    }
    auto appended = audit.Append({.actor = "bootstrap", .action = "user.create",
                                  .resource = "user admin", .outcome = "ok",
                                  .request_id = "-", .detail = "first start: admin and token"});
    if (!appended.ok()) return Fail(std::string(appended.status().message()));
  }

  api::ApiService service(**store, auth_service, audit,
                          {.access_log = config->access_log, .version = "0.1.0"});
  // The master key of encryption at rest (sensitive datasets): LEPTON_MASTER_KEY, else
  // LEPTON_MASTER_KEY_FILE, else <home>/master.key, created (mode 0600) at first start.
  auto master_key = lake::crypto::LoadMasterKeyFromEnvironment(config->home, /*create_if_missing=*/true);
  if (!master_key.ok()) return Fail(lepton::StrCat("master key: ", master_key.status().message()));
  std::shared_ptr<const lake::crypto::MasterKey> master;
  if (master_key->has_value()) {
    master = std::make_shared<const lake::crypto::MasterKey>(std::move(**master_key));
  }
  lake::Lake lake(config->home + "/lake", **store, clock, master);
  // Run artifacts live under <home>/artifacts/<experiment_id>/<run_id>/.
  tracking::TrackingService tracking_service(**store, clock, config->home + "/artifacts");
  // Declared after the lake and tracking: jobs still running at shutdown (training) use both.
  jobs::JobRunner job_runner(**store, clock, /*workers=*/2);
  if (absl::Status s = job_runner.Start(); !s.ok()) return Fail(StrCat("starting jobs: ", s.message()));
  api::AddLakeRoutes(service.router(), lake, job_runner, config->home + "/tmp/uploads");
  api::AddJobRoutes(service.router(), job_runner);
  api::AddTrackingRoutes(service.router(), tracking_service);
  api::AddTrainingRoutes(service.router(), job_runner, lake, tracking_service);
  // Model bundles live under <home>/models/<name>/<version>/. Registrations a crash interrupted
  // (still pending from before this start) are marked failed.
  registry::RegistryService registry_service(**store, clock, config->home + "/models", tracking_service,
                                            &lake.catalog());
  if (auto failed = registry_service.RecoverPending(clock.Now()); !failed.ok()) {
    Log(LogLevel::kError, "recovering interrupted model registrations", {{"status", failed.status().ToString()}});
  } else if (*failed > 0) {
    Log(LogLevel::kWarning, "interrupted model registrations marked failed", {{"versions", *failed}});
  }
  api::AddRegistryRoutes(service.router(), registry_service);
  // Deployments load their models (from the registry) before the server listens; a watcher
  // follows alias moves.
  serving::DeploymentService deployments(**store, clock, registry_service);
  if (absl::Status s = deployments.Start(absl::Seconds(2)); !s.ok()) return Fail(StrCat("starting deployments: ", s.message()));
  // Prometheus metrics at GET /metrics: process, inference (by deployment, version, code),
  // deployments, and lake and job counts read from the store at scrape time.
  monitor::MetricsRegistry metrics;
  if (absl::Status s = monitor::RegisterProcessMetrics(metrics); !s.ok()) return Fail(StrCat("metrics: ", s.message()));
  store::MetaStore* meta = store->get();
  auto count_by = [meta](std::string sql) {
    return [meta, sql]() {
      std::vector<monitor::CallbackSample> samples;
      auto rs = meta->Query(sql);
      if (rs.ok()) {
        for (const store::Row& r : rs->rows) samples.push_back({{r.String(0)}, static_cast<double>(r.Int(1))});
      }
      return samples;
    };
  };
  if (absl::Status s = metrics.AddCallbackGauge("lepton_lake_datasets", "Datasets in the lake catalog by namespace.",
                                                {"namespace"}, count_by("SELECT namespace, COUNT(*) FROM lake_datasets GROUP BY namespace"));
      !s.ok()) {
    return Fail(StrCat("metrics: ", s.message()));
  }
  if (absl::Status s = metrics.AddCallbackGauge("lepton_jobs", "Background jobs by state.", {"state"},
                                                count_by("SELECT state, COUNT(*) FROM jobs GROUP BY state"));
      !s.ok()) {
    return Fail(StrCat("metrics: ", s.message()));
  }
  // Sampled inference answers, written asynchronously under <home>/logs/predictions/<deployment>/.
  serving::PredictionLog prediction_log(config->home + "/logs/predictions", clock);
  if (absl::Status s = metrics.AddCallbackCounter("lepton_prediction_log_dropped_total",
                                                  "Prediction log entries dropped because the writer queue was full.",
                                                  [&prediction_log]() -> std::optional<double> {
                                                    return static_cast<double>(prediction_log.stats().dropped);
                                                  });
      !s.ok()) {
    return Fail(StrCat("metrics: ", s.message()));
  }
  // Drift of each deployment's logged traffic against its training reference: on demand, and
  // every 10 minutes for deployments with at least 100 logged rows; kept as a time series.
  serving::DriftMonitor drift(**store, clock, deployments, prediction_log);
  drift.StartSchedule(absl::Minutes(10));
  if (absl::Status s = api::AddServingRoutes(service.router(), deployments, "0.1.0", &metrics, &prediction_log, &drift);
      !s.ok()) {
    return Fail(StrCat("serving routes: ", s.message()));
  }
  api::AddMetricsRoutes(service.router(), metrics);
  // Alert rules on these metrics and on the recorded drift checks, notifying webhooks from a
  // sender thread (5 s per attempt). Evaluation starts once the server listens.
  alerts::WebhookSender webhook = [](const std::string& url, const std::string& body) -> absl::StatusOr<int> {
    LEPTON_ASSIGN_OR_RETURN(alerts::WebhookUrl u, alerts::ParseWebhookUrl(url));
    LEPTON_ASSIGN_OR_RETURN(api::HttpClient client, api::HttpClient::Create(u.base_url));
    LEPTON_ASSIGN_OR_RETURN(api::HttpResponse r,
                            client.Send("POST", u.target, body, {{"user-agent", "lepton-alerts/0.1.0"}}, absl::Seconds(5)));
    return r.status;
  };
  // The payloads' externalURL / generatorURL: the listen address when it names its port.
  const std::string http_url_guess = config->listen.ends_with(":0") ? "" : StrCat("http://", config->listen);
  auto alert_service =
      alerts::AlertService::Create(**store, clock, &metrics, alerts::DriftHistorySource(drift), webhook,
                                   {.external_url = http_url_guess});
  if (!alert_service.ok()) return Fail(StrCat("alerts: ", alert_service.status().message()));
  api::AddAlertRoutes(service.router(), **alert_service);
  alerts::AlertService* alerting = alert_service->get();
  if (absl::Status s = metrics.AddCallbackGauge("lepton_alerts", "Alert rules by state (inactive, pending, firing).",
                                                {"state"},
                                                [alerting] {
                                                  std::map<std::string, double> by_state = {
                                                      {"inactive", 0}, {"pending", 0}, {"firing", 0}};
                                                  for (const auto& a : alerting->List()) {
                                                    by_state[std::string(alerts::AlertStateName(a.state))] += 1;
                                                  }
                                                  std::vector<monitor::CallbackSample> out;
                                                  for (const auto& [state, n] : by_state) out.push_back({{state}, n});
                                                  return out;
                                                });
      !s.ok()) {
    return Fail(StrCat("metrics: ", s.message()));
  }
  if (absl::Status s = metrics.AddCallbackCounter(
          "lepton_alert_notifications_total", "Alert notifications by outcome (delivered, failed, dropped).",
          {"outcome"},
          [alerting] {
            const alerts::AlertServiceStats st = alerting->stats();
            return std::vector<monitor::CallbackSample>{{{"delivered"}, static_cast<double>(st.delivered)},
                                                        {{"failed"}, static_cast<double>(st.failed)},
                                                        {{"dropped"}, static_cast<double>(st.dropped)}};
          });
      !s.ok()) {
    return Fail(StrCat("metrics: ", s.message()));
  }
  const auto colon = config->listen.rfind(':');
  api::HttpServerOptions http;
  http.host = config->listen.substr(0, colon);
  if (http.host == "localhost") http.host = "127.0.0.1";
  if (http.host.size() > 2 && http.host.front() == '[') http.host = http.host.substr(1, http.host.size() - 2);
  http.port = std::stoi(config->listen.substr(colon + 1));
  http.io_threads = config->io_threads;
  http.max_body_bytes = static_cast<uint64_t>(config->max_body_bytes);
  http.read_timeout = absl::Milliseconds(config->read_timeout_ms);
  http.idle_timeout = absl::Milliseconds(config->idle_timeout_ms);

  // Block the stop signals before any thread starts, so that only `sigwait` below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = api::HttpServer::Start(
      http, [&service](const api::HttpRequest& r) { return service.Handle(r); });
  if (!server.ok()) return Fail(std::string(server.status().message()));
  const std::string url = lepton::StrCat(
      "http://", http.host.find(':') != std::string::npos ? "[" + http.host + "]" : http.host,
      ":", (*server)->port());
  std::cout << "Lepton 0.1.0 listening on " << url << "\n"
            << "  API:          " << url << "/api/v1/   (described at " << url << "/openapi.json)\n"
            << "  health:       " << url << "/healthz   " << url << "/readyz\n"
            << "  home:         " << config->home << "\n"
            << "  master key:   " << (master ? master->source() : "none") << "  (id "
            << (master ? master->id() : "-") << "; encrypts sensitive datasets)\n"
            << "  admin token:  " << token_path
            << (bootstrap->has_value() ? "  (created now)" : "") << "\n"
            << "  sign in:      lepton login --server " << url << " --token-file " << token_path
            << std::endl;
  (*alert_service)->Start(alert_interval);
  Log(LogLevel::kInfo, "server started", {{"url", url}, {"store", (*store)->dialect() == store::Dialect::kSqlite ? "sqlite" : "postgresql"}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  Log(LogLevel::kInfo, "shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                         {"deadline_ms", config->shutdown_timeout_ms}});
  (*alert_service)->Stop();
  const bool clean = (*server)->Shutdown(absl::Milliseconds(config->shutdown_timeout_ms));
  Log(clean ? LogLevel::kInfo : LogLevel::kWarning, "stopped",
      {{"clean", clean ? "true" : "false"}, {"requests", (*server)->requests_served()}});
  return 0;
}

}  // namespace lepton::cli
