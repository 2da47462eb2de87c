#pragma once

// Limits on what one HTTP request may cost the coordinator (issue 14: a
// 1 GiB JSON body was accepted and 2.1 GB resident; 12 connections that
// never finished their headers held the 8 API threads for 15 s).
//
//   body over max_body_bytes (every route but image uploads)
//                       -> 413 PayloadTooLarge, before the body is read
//                          (from Content-Length; a chunked body there -> 411)
//   image upload over max_upload_bytes (POST /fabric/v1/images/NAME)
//                       -> 413 from its Content-Length, or (chunked) from
//                          cpp-httplib's payload limit as it reads
//   a connection silent for read_timeout (in its headers or body)
//                       -> closed by the server
//   threads: the connections served at once; an idle keep-alive connection
//   gives its thread back after keep_alive_timeout.
//
// Not bounded (cpp-httplib 0.11 has no hook for it): a client that trickles
// its headers a byte at a time, each within read_timeout, keeps one thread
// until it is done; `threads` bounds how many such clients it takes to delay
// others.
//
// Field lengths (names, labels, descriptions) are checked where each body is
// parsed: model/limits.hpp (text_field_error).

#include <chrono>
#include <cstddef>

#include <httplib.h>

namespace fabric::coordinator {

struct http_limits {
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::size_t max_upload_bytes = 256 * 1024 * 1024;
  std::chrono::seconds read_timeout{5};
  std::chrono::seconds keep_alive_timeout{5};
  std::size_t threads = 64;
};

/// Installs the limits on `server` (a pre-routing handler, the payload
/// limit, timeouts and the thread pool). REQUIRES: before the server starts;
/// no other pre-routing handler is installed.
void apply_http_limits(httplib::Server& server, const http_limits& limits);

} // namespace fabric::coordinator
