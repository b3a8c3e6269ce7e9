#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace lepton::testing {
namespace {

std::vector<char*> Argv(std::vector<std::string>& storage) {
  std::vector<char*> out;
  for (std::string& s : storage) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> Environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  // Keep the children hermetic: no configuration leaks in from the developer's environment.
  for (auto it = env.begin(); it != env.end();) {
    if (it->first.starts_with("LEPTON_") && it->first != "LEPTON_TEST_POSTGRES_URL" &&
        it->first != "LEPTON_REQUIRE_POSTGRES") {
      it = env.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::string ReadFd(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

CliResult RunLepton(const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env, const std::string& input) {
  std::vector<std::string> argv = {LEPTON_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envs = Environment(env);
  int in[2], out[2], err[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0 || ::pipe(err) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    auto a = Argv(argv);
    auto e = Argv(envs);
    ::execve(a[0], a.data(), e.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!input.empty()) (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  CliResult r;
  std::thread err_reader([&] { r.err = ReadFd(err[0]); });
  r.out = ReadFd(out[0]);
  err_reader.join();
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

ServerProcess::ServerProcess(const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {LEPTON_BINARY, "server", "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envs = Environment(env);
  char tmpl[] = "/tmp/lepton_server_stderr_XXXXXX";
  const int err_fd = ::mkstemp(tmpl);
  stderr_path_ = tmpl;
  int out[2];
  if (err_fd < 0 || ::pipe(out) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::dup2(err_fd, 2);
    ::close(out[0]);
    ::close(out[1]);
    ::close(err_fd);
    auto a = Argv(argv);
    auto e = Argv(envs);
    ::execve(a[0], a.data(), e.data());
    _exit(127);
  }
  ::close(out[1]);
  ::close(err_fd);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buf[1024];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    startup_output_.append(buf, static_cast<size_t>(n));
    const std::string marker = "listening on ";
    const auto at = startup_output_.find(marker);
    const auto eol = at == std::string::npos ? at : startup_output_.find('\n', at);
    if (eol != std::string::npos) {
      url_ = startup_output_.substr(at + marker.size(), eol - at - marker.size());
      port_ = std::atoi(url_.substr(url_.rfind(':') + 1).c_str());
      // Wait for the full banner (it ends with the sign-in line).
      if (startup_output_.find("sign in:") != std::string::npos &&
          startup_output_.back() == '\n') {
        break;
      }
    }
  }
  // Keep draining stdout in the background so the child never blocks on a full pipe.
  std::thread([fd = out[0]] {
    char sink[1024];
    while (::read(fd, sink, sizeof sink) > 0) {
    }
    ::close(fd);
  }).detach();
  if (url_.empty()) startup_output_ += "\n[stderr]\n" + Stderr();
}

int ServerProcess::Stop(int signal, int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

std::string ServerProcess::Stderr() const {
  std::ifstream f(stderr_path_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  ::unlink(stderr_path_.c_str());
}

}  // namespace lepton::testing
