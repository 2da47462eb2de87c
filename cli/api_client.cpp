#include "cli/api_client.hpp"

#include <cstdlib>

#include <httplib.h>

namespace fabric::cli {

namespace {

result<api_response> convert(const httplib::Result& res, const std::string& base) {
  if (!res)
    return error{"cannot reach the coordinator at " + base + ": "
                 + httplib::to_string(res.error())};
  api_response out;
  out.status = res->status;
  out.body = nlohmann::json::parse(res->body, nullptr, false);
  if (out.body.is_discarded())
    out.body = nlohmann::json{{"raw", res->body}};
  return out;
}

httplib::Client make(const std::string& base) {
  httplib::Client c(base);
  c.set_connection_timeout(3, 0);
  c.set_read_timeout(60, 0);
  c.set_write_timeout(60, 0);
  return c;
}

} // namespace

std::string coordinator_url(const std::string& flag) {
  if (!flag.empty())
    return flag;
  if (const char* env = std::getenv("FABRIC_COORDINATOR"); env && *env)
    return env;
  return "http://127.0.0.1:7070";
}

std::string error_text(const api_response& r) {
  if (r.body.is_object() && r.body.contains("error") && r.body["error"].is_object()) {
    auto& e = r.body["error"];
    return e.value("code", std::string("Error")) + ": " + e.value("message", std::string());
  }
  return "HTTP " + std::to_string(r.status) + ": " + r.body.dump();
}

api_client::api_client(std::string base_url) : base_(std::move(base_url)) {
  while (!base_.empty() && base_.back() == '/')
    base_.pop_back();
}

result<api_response> api_client::get(const std::string& path) {
  auto c = make(base_);
  if (!c.is_valid())
    return error{"bad coordinator URL '" + base_ + "'"};
  return convert(c.Get(path.c_str()), base_);
}

result<api_response> api_client::post(const std::string& path, const std::string& body,
                                      const std::string& content_type) {
  auto c = make(base_);
  if (!c.is_valid())
    return error{"bad coordinator URL '" + base_ + "'"};
  return convert(c.Post(path.c_str(), body, content_type.c_str()), base_);
}

result<api_response> api_client::put(const std::string& path, const std::string& body,
                                     const std::string& content_type) {
  auto c = make(base_);
  if (!c.is_valid())
    return error{"bad coordinator URL '" + base_ + "'"};
  return convert(c.Put(path.c_str(), body, content_type.c_str()), base_);
}

result<api_response> api_client::del(const std::string& path) {
  auto c = make(base_);
  if (!c.is_valid())
    return error{"bad coordinator URL '" + base_ + "'"};
  return convert(c.Delete(path.c_str()), base_);
}

} // namespace fabric::cli
