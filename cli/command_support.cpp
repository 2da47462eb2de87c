#include "cli/command_support.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/cluster_commands.hpp"
#include "cli/offline_commands.hpp"
#include "model/xml_text.hpp"

namespace fabric::cli {

std::string global_option(CLI::App& app, const char* name, const std::string& fallback) {
  auto* o = app.get_option_no_throw(name);
  return o && o->count() ? o->as<std::string>() : fallback;
}

std::string json_text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key))
    return "";
  auto& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

int report_failure(const result<api_response>& r) {
  if (!r) {
    std::cerr << "fabricctl: " << r.err().to_string() << "\n";
    return exit_unreachable;
  }
  std::cerr << "fabricctl: " << error_text(*r) << "\n";
  return exit_api_error;
}

bool read_whole_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool read_model_file(const std::string& path, std::string& out) {
  std::string bytes;
  if (!read_whole_file(path, bytes)) {
    std::cerr << "fabricctl: cannot read " << path << "\n";
    return false;
  }
  auto text = model::decode_xml_text(bytes, path);
  if (!text) {
    std::cerr << "fabricctl: " << text.err().to_string() << "\n";
    return false;
  }
  out = model::declare_utf8(std::move(text->utf8));
  return true;
}

bool read_files_into(nlohmann::json& body,
                     const std::vector<std::pair<const char*, const std::string*>>& files) {
  for (auto [key, path] : files) {
    if (path->empty())
      continue;
    std::string content;
    if (!read_model_file(*path, content))  // UTF-8 text, also from UTF-16 files
      return false;
    body[key] = content;
  }
  return true;
}

void add_wait_flags(CLI::App* cmd, bool& wait, int& timeout_s, const std::string& timeout_name,
                    const std::string& wait_help) {
  cmd->add_flag("--wait", wait, wait_help);
  cmd->add_option(timeout_name, timeout_s,
                  "seconds --wait waits (default " + std::to_string(timeout_s) + ")");
}

int poll_operation(api_client& api, const std::string& id, int timeout_s,
                   const std::function<std::optional<int>()>& progress,
                   const std::function<void(const nlohmann::json& op)>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    if (progress)
      if (auto ended = progress())
        return *ended;
    auto r = api.get("/fabric/v1/operations/" + id);
    if (!r || !r->ok())
      return report_failure(r);
    auto status = json_text(r->body, "status");
    if (status != "InProgress") {
      done(r->body);
      if (status == "Failed") {
        std::cerr << "fabricctl: operation " << id << " failed: "
                  << json_text(r->body.value("error", nlohmann::json{}), "message") << "\n";
        return exit_api_error;
      }
      return exit_ok;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "fabricctl: operation " << id << " still InProgress after " << timeout_s
                << " s\n";
      return exit_timeout;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int wait_operation(api_client& api, const std::string& id, int timeout_s, bool json) {
  return poll_operation(api, id, timeout_s, nullptr, [&](const nlohmann::json& op) {
    if (json)
      std::cout << op.dump(2) << "\n";
    else
      std::cout << "operation " << id << ": " << json_text(op, "status") << "\n";
  });
}

} // namespace fabric::cli
