#pragma once

// fabricctl's client of the coordinator's JSON API (/fabric/v1). The base URL
// comes from --coordinator, else $FABRIC_COORDINATOR, else
// http://127.0.0.1:7070.
//
// Every call returns the HTTP status and the parsed JSON body, or a
// transport error ("cannot reach the coordinator at URL: ..."). An API error
// body {"error": {"code", "message"}} is turned into "CODE: message" by
// error_text().
//
// Thread-safety: one thread per client.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/result.hpp"

namespace fabric::cli {

struct api_response {
  int status = 0;
  nlohmann::json body;
  bool ok() const { return status >= 200 && status < 300; }
};

/// The URL from `flag` (when not empty), $FABRIC_COORDINATOR, or the default.
std::string coordinator_url(const std::string& flag);

/// "CODE: message" from an API error body, else the status and raw body.
std::string error_text(const api_response& r);

class api_client {
public:
  explicit api_client(std::string base_url);

  result<api_response> get(const std::string& path);
  result<api_response> post(const std::string& path, const std::string& body,
                            const std::string& content_type = "application/json");
  result<api_response> del(const std::string& path);
  result<api_response> put(const std::string& path, const std::string& body,
                           const std::string& content_type = "application/json");

  const std::string& base_url() const { return base_; }

private:
  std::string base_;
};

} // namespace fabric::cli
