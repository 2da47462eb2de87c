#pragma once

// http_ports: one event loop (one thread) that serves HTTP on many ports.
//
// A node hosts thousands of instances and each instance serves HTTP on its own
// port; a thread (or a server object with its own thread pool) per instance
// would not scale. Here every port is an evhttp listener on one libevent
// event_base, driven by one thread.
//
//   open(host, 0, handler) ──► loop thread binds, answers with the port
//   request on that port   ──► handler(request) on the loop thread ──► response
//
// Thread-safety: open(), close() and port_count() may be called from any
// thread; they hand their work to the loop thread and wait for it. Handlers
// run on the loop thread, one at a time: they must be quick (file I/O on a
// local disk is fine) and must not call open() or close() themselves.

#include <functional>
#include <memory>
#include <string>

#include "model/result.hpp"

namespace fabric::node {

struct http_request {
  std::string method; ///< "GET", "PUT", "DELETE", "POST", ...
  std::string path;   ///< decoded path, without the query
  std::string query;  ///< raw query string, without '?'
  std::string body;
};

struct http_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

using http_handler = std::function<http_response(const http_request&)>;

class http_ports {
public:
  /// Starts the loop thread. `max_body_bytes` bounds request bodies (413 past it).
  explicit http_ports(std::size_t max_body_bytes = 64 << 20);

  /// Stops the loop thread and closes every port.
  ~http_ports();

  http_ports(const http_ports&) = delete;
  http_ports& operator=(const http_ports&) = delete;

  /// Binds `host:port` (0 picks a free port) and serves `handler` there.
  /// Returns the port actually bound, or an error saying why it could not bind.
  result<int> open(const std::string& host, int port, http_handler handler);

  /// Stops serving `port`. Unknown ports are ignored.
  void close(int port);

  /// How many ports are open.
  std::size_t port_count() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace fabric::node
