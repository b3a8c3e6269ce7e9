#include "lepton/base/config.h"

#include "lepton/base/strings.h"

#include <unistd.h>

#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "yaml-cpp/yaml.h"

extern char** environ;

namespace lepton {
namespace {

using Setter = std::function<absl::Status(Config&, const std::string&)>;

absl::Status SetInt(int64_t* out, const std::string& v, int64_t min) {
  int64_t n;
  if (!absl::SimpleAtoi(v, &n) || n < min) {
    return absl::InvalidArgumentError(lepton::StrCat("expected an integer >= ", min, ", got '", v, "'"));
  }
  *out = n;
  return absl::OkStatus();
}

const std::vector<std::pair<std::string, Setter>>& Setters() {
  static const auto* setters = new std::vector<std::pair<std::string, Setter>>{
      {"home", [](Config& c, const std::string& v) {
         if (v.empty()) return absl::InvalidArgumentError("expected a folder, got ''");
         c.home = v;
         return absl::OkStatus();
       }},
      {"listen", [](Config& c, const std::string& v) {
         const auto colon = v.rfind(':');
         int port;
         if (colon == std::string::npos || !absl::SimpleAtoi(v.substr(colon + 1), &port) ||
             port < 0 || port > 65535) {
           return absl::InvalidArgumentError(lepton::StrCat("expected HOST:PORT, got '", v, "'"));
         }
         c.listen = v;
         return absl::OkStatus();
       }},
      {"store", [](Config& c, const std::string& v) {
         if (v != "sqlite" && !v.starts_with("sqlite:") && !v.starts_with("postgresql://") &&
             !v.starts_with("postgres://")) {
           return absl::InvalidArgumentError(lepton::StrCat(
               "expected sqlite, sqlite:PATH or postgresql://…, got '", v, "'"));
         }
         c.store = v;
         return absl::OkStatus();
       }},
      {"io_threads", [](Config& c, const std::string& v) {
         int64_t n;
         LEPTON_RETURN_IF_ERROR(SetInt(&n, v, 0));
         c.io_threads = static_cast<int>(std::min<int64_t>(n, 256));
         return absl::OkStatus();
       }},
      {"max_body_bytes", [](Config& c, const std::string& v) { return SetInt(&c.max_body_bytes, v, 1); }},
      {"read_timeout_ms", [](Config& c, const std::string& v) { return SetInt(&c.read_timeout_ms, v, 1); }},
      {"idle_timeout_ms", [](Config& c, const std::string& v) { return SetInt(&c.idle_timeout_ms, v, 1); }},
      {"shutdown_timeout_ms", [](Config& c, const std::string& v) { return SetInt(&c.shutdown_timeout_ms, v, 0); }},
      {"access_log", [](Config& c, const std::string& v) {
         const std::string l = AsciiLower(v);
         if (l == "true" || l == "1" || l == "yes" || l == "on") c.access_log = true;
         else if (l == "false" || l == "0" || l == "no" || l == "off") c.access_log = false;
         else return absl::InvalidArgumentError(lepton::StrCat("expected true or false, got '", v, "'"));
         return absl::OkStatus();
       }},
      {"log_level", [](Config& c, const std::string& v) {
         LEPTON_ASSIGN_OR_RETURN(c.log_level, ParseLogLevel(v));
         return absl::OkStatus();
       }},
      {"log_format", [](Config& c, const std::string& v) {
         LEPTON_ASSIGN_OR_RETURN(c.log_format, ParseLogFormat(v));
         return absl::OkStatus();
       }},
  };
  return *setters;
}

std::string Normalize(std::string_view key) {
  return AsciiLower(absl::StrReplaceAll(std::string(key), {{"-", "_"}}));
}

// `source` names where the value came from and, for flags and variables, the key itself
// ("flag --listen", "environment LEPTON_LISTEN"); file sources are the path, so the key is added.
absl::Status Apply(Config& c, const std::string& source, const std::string& key,
                   const std::string& value, bool source_names_key) {
  for (const auto& [name, set] : Setters()) {
    if (name == key) {
      return Annotate(set(c, value), source_names_key ? source : lepton::StrCat(source, ": ", key));
    }
  }
  return absl::InvalidArgumentError(lepton::StrCat(source, ": unknown setting '", key, "'"));
}

// Reads a flat YAML mapping of settings into key/value strings.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadYaml(const std::string& path) {
  LEPTON_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<std::pair<std::string, std::string>> out;
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull()) return out;
    if (!root.IsMap()) return absl::InvalidArgumentError(lepton::StrCat(path, ": expected a mapping of settings"));
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (!kv.second.IsScalar()) {
        return absl::InvalidArgumentError(lepton::StrCat(path, ": ", key, ": expected a single value"));
      }
      out.emplace_back(Normalize(key), kv.second.as<std::string>());
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(lepton::StrCat(path, ": ", e.what()));
  }
  return out;
}

}  // namespace

const std::vector<std::string>& ConfigKeys() {
  static const auto* keys = [] {
    auto* k = new std::vector<std::string>();
    for (const auto& [name, set] : Setters()) k->push_back(name);
    return k;
  }();
  return *keys;
}

std::vector<std::string> ProcessEnvironment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

absl::StatusOr<Config> LoadConfig(const std::map<std::string, std::string>& flags,
                                  const std::vector<std::string>& env) {
  std::map<std::string, std::string> env_settings;
  std::string env_config_file;
  for (const std::string& kv : env) {
    if (!kv.starts_with("LEPTON_")) continue;
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = Normalize(kv.substr(7, eq - 7));
    if (key == "config") {
      env_config_file = kv.substr(eq + 1);
      continue;
    }
    for (const std::string& known : ConfigKeys()) {
      if (known == key) env_settings[key] = kv.substr(eq + 1);
    }
  }
  std::map<std::string, std::string> flag_settings;
  std::string flag_config_file;
  for (const auto& [k, v] : flags) {
    const std::string key = Normalize(k);
    if (key == "config") flag_config_file = v;
    else flag_settings[key] = v;
  }

  // The config file may itself be found through `home`, so settle `home` first.
  Config c;
  std::string config_file = !flag_config_file.empty() ? flag_config_file : env_config_file;
  const bool explicit_file = !config_file.empty();
  if (!explicit_file) {
    std::string home = c.home;
    if (auto it = env_settings.find("home"); it != env_settings.end()) home = it->second;
    if (auto it = flag_settings.find("home"); it != flag_settings.end()) home = it->second;
    config_file = home + "/lepton.yaml";
  }
  if (explicit_file || PathExists(config_file)) {
    LEPTON_ASSIGN_OR_RETURN(auto file_settings, ReadYaml(config_file));
    for (const auto& [k, v] : file_settings) LEPTON_RETURN_IF_ERROR(Apply(c, config_file, k, v, false));
  }
  for (const auto& [k, v] : env_settings) {
    std::string name = "LEPTON_" + AsciiUpper(k);
    LEPTON_RETURN_IF_ERROR(Apply(c, "environment " + name, k, v, true));
  }
  for (const auto& [k, v] : flag_settings) {
    LEPTON_RETURN_IF_ERROR(Apply(c, "flag --" + absl::StrReplaceAll(k, {{"_", "-"}}), k, v, true));
  }
  return c;
}

}  // namespace lepton
