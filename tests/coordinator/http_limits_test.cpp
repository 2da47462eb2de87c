// coordinator/http_limits.hpp over raw HTTP on loopback (issue 14): an
// oversized body is a 413 before it is read, a chunked one 411, an upload
// has its own larger limit, and connections that stop sending their headers
// neither hold the server's threads from others nor stay open.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coordinator/http_limits.hpp"

namespace fabric::coordinator {
namespace {

using namespace std::chrono_literals;

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& s) {
  std::size_t at = 0;
  while (at < s.size()) {
    auto n = ::send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
    if (n <= 0)
      return;
    at += static_cast<std::size_t>(n);
  }
}

/// Everything the server sends until it closes or `within` passes.
std::string read_reply(int fd, std::chrono::milliseconds within, bool* closed = nullptr) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + within;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      if (closed)
        *closed = true;
      return out;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

struct http_limits_test : ::testing::Test {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::size_t uploaded = 0;

  void start(const http_limits& l) {
    apply_http_limits(server, l);
    server.Get("/fabric/v1/nodes", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{}", "application/json");
    });
    server.Post("/fabric/v1/services", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    server.Post("/fabric/v1/images/([^/]+)", [this](const httplib::Request& req, httplib::Response& res) {
      uploaded = req.body.size();
      res.status = 201;
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void TearDown() override {
    server.stop();
    if (thread.joinable())
      thread.join();
  }
  std::string request(const std::string& raw, std::chrono::milliseconds within = 5s) {
    int fd = connect_to(port);
    EXPECT_GE(fd, 0);
    send_all(fd, raw);
    auto r = read_reply(fd, within);
    ::close(fd);
    return r;
  }
};

TEST_F(http_limits_test, a_body_over_the_limit_is_a_413_before_it_is_sent) {
  http_limits l;
  l.max_body_bytes = 1000;
  start(l);
  // Announces 1 GiB and sends none of it: answered at once, nothing buffered.
  auto r = request("POST /fabric/v1/services HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: 1073741824\r\n\r\n{\"name\":");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  EXPECT_NE(r.find("PayloadTooLarge"), std::string::npos) << r;
  EXPECT_NE(r.find("at most 1000"), std::string::npos) << r;
  auto ok = request("POST /fabric/v1/services HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                    "Connection: close\r\n\r\n" + std::string(1000, ' '));
  EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok;
}

TEST_F(http_limits_test, a_chunked_body_outside_uploads_is_a_411) {
  start({});
  auto r = request("POST /fabric/v1/services HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 411", 0), 0u) << r;
}

TEST_F(http_limits_test, uploads_have_their_own_limit) {
  http_limits l;
  l.max_body_bytes = 100;
  l.max_upload_bytes = 10000;
  start(l);
  auto ok = request("POST /fabric/v1/images/base HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                    "Connection: close\r\n\r\n" + std::string(5000, 'x'));
  EXPECT_EQ(ok.rfind("HTTP/1.1 201", 0), 0u) << ok;
  EXPECT_EQ(uploaded, 5000u);
  auto big = request("POST /fabric/v1/images/base HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n");
  EXPECT_EQ(big.rfind("HTTP/1.1 413", 0), 0u) << big;
}

TEST_F(http_limits_test, stalled_headers_neither_starve_others_nor_stay_open) {
  http_limits l;
  l.read_timeout = 3s;
  l.threads = 32;
  start(l);
  // 20 clients that start a request and stop mid-headers (more than the 8
  // threads cpp-httplib has by default).
  std::vector<int> stalled;
  for (int i = 0; i < 20; ++i) {
    int fd = connect_to(port);
    ASSERT_GE(fd, 0);
    send_all(fd, "GET /fabric/v1/nodes HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    stalled.push_back(fd);
  }
  std::this_thread::sleep_for(100ms);  // let the server take them all
  auto t0 = std::chrono::steady_clock::now();
  auto r = request("GET /fabric/v1/nodes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  // With 8 threads it would wait for two rounds of 3 s timeouts.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "a normal request waited";
  // Each stalled connection is closed after the read timeout (generous on a
  // loaded machine).
  for (int fd : stalled) {
    bool closed = false;
    read_reply(fd, 15s, &closed);
    EXPECT_TRUE(closed);
    ::close(fd);
  }
}

} // namespace
} // namespace fabric::coordinator
