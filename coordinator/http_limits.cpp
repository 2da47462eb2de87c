#include "coordinator/http_limits.hpp"

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

namespace fabric::coordinator {

namespace {

bool is_upload(const httplib::Request& req) {
  return req.method == "POST" && req.path.rfind("/fabric/v1/images/", 0) == 0;
}

void refuse(httplib::Response& res, int status, const std::string& code, const std::string& msg) {
  res.status = status;
  res.set_header("Connection", "close");
  res.set_content(nlohmann::json{{"error", {{"code", code}, {"message", msg}}}}.dump(2) + "\n",
                  "application/json");
}

} // namespace

void apply_http_limits(httplib::Server& server, const http_limits& limits) {
  server.set_payload_max_length(std::max(limits.max_body_bytes, limits.max_upload_bytes));
  server.set_read_timeout(limits.read_timeout);
  server.set_write_timeout(limits.read_timeout);
  server.set_keep_alive_timeout(static_cast<time_t>(limits.keep_alive_timeout.count()));
  auto threads = limits.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  auto max_body = limits.max_body_bytes;
  auto max_upload = limits.max_upload_bytes;
  // Runs after the headers, before the body is read (cpp-httplib 0.11): the
  // announced length is refused here, since the library's own payload limit
  // reads (and discards) the whole body before it answers 413.
  server.set_pre_routing_handler([max_body, max_upload](const httplib::Request& req,
                                                        httplib::Response& res) {
    bool upload = is_upload(req);
    auto max = upload ? max_upload : max_body;
    auto length = req.get_header_value("Content-Length");
    if (!length.empty()) {
      unsigned long long n = 0;
      try {
        n = std::stoull(length);
      } catch (...) {
        refuse(res, 400, "BadRequest", "Content-Length '" + length + "' is not a number");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (n > max) {
        refuse(res, 413, "PayloadTooLarge",
               "the request body has " + std::to_string(n) + " bytes; at most "
                 + std::to_string(max) + " are accepted"
                 + (upload ? " for an image upload" : " (image uploads excepted)"));
        return httplib::Server::HandlerResponse::Handled;
      }
    } else if (!upload && req.has_header("Transfer-Encoding")) {
      // A chunked upload is bounded by the library's payload limit as it is read.
      refuse(res, 411, "LengthRequired",
             "send the request body with a Content-Length (at most " + std::to_string(max_body)
               + " bytes), not chunked");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

} // namespace fabric::coordinator
