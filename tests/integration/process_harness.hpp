#pragma once

// Reusable helpers for integration tests on real processes over loopback:
// free ports, child processes (spawn, signal, wait, kill), bounded polling,
// HTTP GET with readiness waits, temporary directories.
//
// Header-only; link PkgConfig::HTTPLIB (and nlohmann_json for get_json).
// Children get PR_SET_PDEATHSIG(SIGKILL), so a crashed test leaves no
// orphans; ~child_process kills (SIGKILL) and reaps a child still running.

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace fabric::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it,
/// close). Another process may take it in between; good enough for tests.
inline int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0)
    ::close(fd);
  return port;
}

/// A fresh directory under $TMPDIR (or /tmp), e.g. "/tmp/fabric-it-XXXXXX".
inline std::string temp_dir(const std::string& prefix = "fabric-it") {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  return ::mkdtemp(buf.data()) ? std::string(buf.data()) : std::string();
}

/// Polls `pred` every `every` until it is true or `timeout` passes.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5),
                       std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(every);
  }
}

/// One child process. Move-only.
class child_process {
public:
  child_process() = default;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  child_process(child_process&& other) noexcept { *this = std::move(other); }
  child_process& operator=(child_process&& other) noexcept {
    std::swap(pid_, other.pid_);
    std::swap(status_, other.status_);
    return *this;
  }
  ~child_process() { kill_and_wait(); }

  /// Starts `exe` with `args`; stdout and stderr go to `log_path` (appended)
  /// when not empty. pid() is -1 when fork failed.
  static child_process spawn(const std::string& exe, const std::vector<std::string>& args,
                             const std::string& log_path = {}) {
    child_process c;
    pid_t parent = ::getpid();
    c.pid_ = ::fork();
    if (c.pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent)
        ::_exit(127);
      if (!log_path.empty()) {
        int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
          ::dup2(fd, 1);
          ::dup2(fd, 2);
          ::close(fd);
        }
      }
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(exe.c_str()));
      for (auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(exe.c_str(), argv.data());
      ::_exit(127);
    }
    return c;
  }

  pid_t pid() const { return pid_; }

  /// True while the process has not exited (reaps it when it has).
  bool running() {
    if (pid_ <= 0 || status_)
      return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = st;
      return false;
    }
    return true;
  }

  void signal(int sig) {
    if (running())
      ::kill(pid_, sig);
  }

  /// Waits up to `timeout` for the process to exit; returns its raw wait
  /// status (use WIFEXITED/WEXITSTATUS), or empty when it is still running.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    wait_until([this] { return !running(); }, timeout, std::chrono::milliseconds(10));
    return status_;
  }

  /// SIGKILL (after SIGCONT, in case it was stopped) and reap.
  void kill_and_wait() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      ::kill(pid_, SIGCONT);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      status_ = st;
    }
  }

private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

/// GET http://host:port/path; the body on status 200, empty otherwise.
inline std::optional<std::string> http_get(const std::string& host, int port,
                                           const std::string& path) {
  httplib::Client cli(host, port);
  cli.set_connection_timeout(1, 0);
  cli.set_read_timeout(3, 0);
  auto res = cli.Get(path.c_str());
  if (!res || res->status != 200)
    return std::nullopt;
  return res->body;
}

/// GET and parse JSON; empty on any failure.
inline std::optional<nlohmann::json> get_json(const std::string& host, int port,
                                              const std::string& path) {
  auto body = http_get(host, port, path);
  if (!body)
    return std::nullopt;
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded())
    return std::nullopt;
  return j;
}

/// Waits until GET path answers 200 (bounded).
inline bool wait_http_ready(const std::string& host, int port, const std::string& path,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return wait_until([&] { return http_get(host, port, path).has_value(); }, timeout);
}

} // namespace fabric::testing
