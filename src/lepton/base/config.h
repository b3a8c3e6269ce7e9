#pragma once
// Server configuration. Every setting has one name used in all three sources:
//   lepton.yaml      `listen: 127.0.0.1:8080`        (file: --config, LEPTON_CONFIG, or
//                                                     <home>/lepton.yaml when it exists)
//   environment      `LEPTON_LISTEN=127.0.0.1:8080`
//   flags            `--listen 127.0.0.1:8080` or `--listen=127.0.0.1:8080`
// Precedence, highest first: flags, environment, file, built-in defaults. Unknown keys in the
// file or unknown flags are errors; unknown LEPTON_* variables are ignored (other tools use them).
// See docs/configuration.md for the full table.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/logging.h"

namespace lepton {

struct Config {
  std::string home = "./lepton-home";       // LEPTON_HOME: metadata, lake, models, logs
  std::string listen = "127.0.0.1:8080";   // HOST:PORT; port 0 picks a free port
  // Metadata store: "sqlite" (<home>/meta.db), "sqlite:/path/file.db", or a PostgreSQL URL
  // ("postgresql://user@host:port/db").
  std::string store = "sqlite";
  int io_threads = 0;                       // 0: one per core
  int64_t max_body_bytes = 64ll << 20;      // larger request bodies get 413
  int64_t read_timeout_ms = 30000;          // a request must arrive whole within this
  int64_t idle_timeout_ms = 60000;          // keep-alive connections idle longer are closed
  int64_t shutdown_timeout_ms = 10000;      // in-flight requests get this long after SIGTERM
  bool access_log = true;                   // one line per request
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
};

// Loads the configuration. `flags` are name/value pairs already split from the command line
// (names without leading dashes, '-' and '_' interchangeable); `env` is the environment as
// "NAME=value" strings (pass `environ`). InvalidArgument naming the source and key on an unknown
// key or a bad value; NotFound when an explicitly named config file is missing.
absl::StatusOr<Config> LoadConfig(const std::map<std::string, std::string>& flags,
                                  const std::vector<std::string>& env);

// The environment of this process as "NAME=value" strings.
std::vector<std::string> ProcessEnvironment();

// The names of all settings, in documentation order.
const std::vector<std::string>& ConfigKeys();

}  // namespace lepton
