#pragma once
// Test helpers that run the real `lepton` binary: a server child process (started on port 0,
// its URL read from its stdout) and one-shot CLI invocations with captured output.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace lepton::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `lepton args…` with extra environment `env` and `input` on stdin; waits (bounded, 60 s).
CliResult RunLepton(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {},
                    const std::string& input = "");

// A `lepton server` child process.
class ServerProcess {
 public:
  // Starts `lepton server --listen 127.0.0.1:0 args…` and waits until it prints its URL.
  // On failure `url()` is empty and `startup_output()` says why.
  explicit ServerProcess(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {});
  ~ServerProcess();  // SIGKILL if still running

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  const std::string& startup_output() const { return startup_output_; }
  // Sends `signal` and waits up to `timeout_ms` for the exit; returns the exit code, or -1 on
  // timeout (the process is then killed), or 128+N when killed by signal N.
  int Stop(int signal, int timeout_ms = 10000);
  // What the server wrote to stderr so far.
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  std::string url_;
  int port_ = 0;
  std::string startup_output_;
  std::string stderr_path_;
};

}  // namespace lepton::testing
