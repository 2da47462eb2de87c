#include "cli/upgrade_commands.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/api_client.hpp"
#include "cli/command_support.hpp"
#include "cli/cluster_commands.hpp"
#include "cli/offline_commands.hpp"

namespace fabric::cli {

namespace {

struct common_args {
  std::string service, slot;
  bool wait = false;
  int wait_timeout = 600;
};

enum class wait_for { operation, manual_pause };

/// Polls the operation and the deployment, printing each UD's changes.
int follow(api_client& api, const common_args& a, const std::string& op_id, wait_for until,
           bool json) {
  auto dep_path = "/fabric/v1/services/" + a.service + "/deployments/" + a.slot;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.wait_timeout);
  std::map<int, std::string> shown;  // ud -> last line
  std::string target;
  auto line = [&](int ud, const std::string& phase, int ready, int total) {
    std::ostringstream s;
    if (json)
      s << nlohmann::json{{"event", "domain"},
                          {"upgrade_domain", ud},
                          {"phase", phase},
                          {"ready_on_target", ready},
                          {"instances", total},
                          {"target_version", target}}
             .dump();
    else
      s << "UD " << ud << ": " << phase << " (" << ready << "/" << total
        << " ReadyRole on " << target << ")";
    if (shown[ud] != s.str()) {
      shown[ud] = s.str();
      std::cout << s.str() << std::endl;
    }
  };
  for (;;) {
    auto d = api.get(dep_path);
    if (!d || !d->ok())
      return report_failure(d);
    auto& up = d->body["upgrade"];
    if (up.is_object()) {
      target = json_text(up, "target_version");
      for (auto& dom : up["domains"])
        line(dom["upgrade_domain"].get<int>(), json_text(dom, "phase"),
             dom["ready_on_target"].get<int>(), dom["instances"].get<int>());
      if (up.value("paused", false)) {
        std::string msg = "upgrade paused: " + json_text(up, "reason");
        if (shown[-1] != msg) {
          shown[-1] = msg;
          std::cout << (json ? nlohmann::json{{"event", "paused"}, {"reason", json_text(up, "reason")}}
                                 .dump()
                             : msg)
                    << std::endl;
        }
      }
      if (until == wait_for::manual_pause && json_text(up, "mode") == "Manual"
          && json_text(up, "current_state") == "Before") {
        auto ud = json_text(up, "current_upgrade_domain");
        if (json)
          std::cout << nlohmann::json{{"event", "awaiting_walk"}, {"upgrade_domain", std::stoi(ud)}}
                         .dump()
                    << std::endl;
        else
          std::cout << "UD " << ud << " awaits its walk: fabricctl walk --service " << a.service
                    << " --slot " << a.slot << " --upgrade-domain " << ud << std::endl;
        return exit_ok;
      }
    }
    auto op = api.get("/fabric/v1/operations/" + op_id);
    if (!op || !op->ok())
      return report_failure(op);
    auto status = json_text(op->body, "status");
    if (status != "InProgress") {
      // Final state: every UD from the instances themselves.
      auto fin = api.get(dep_path);
      if (fin && fin->ok()) {
        auto& body = fin->body;
        if (!body["upgrade"].is_object()) {
          if (target.empty())
            target = json_text(body, "version");
          std::map<int, std::pair<int, int>> per;
          for (auto& i : body["instances"]) {
            auto& e = per[i["upgrade_domain"].get<int>()];
            ++e.second;
            e.first += json_text(i, "state") == "ReadyRole" && json_text(i, "version") == target;
          }
          for (auto& [ud, e] : per)
            if (shown.count(ud))
              line(ud, status == "Succeeded" ? "walked" : "ended", e.first, e.second);
        }
        if (json)
          std::cout << nlohmann::json{{"event", "done"},
                                      {"operation", op->body},
                                      {"version", body.value("version", "")},
                                      {"ready_instances", body.value("ready_instances", 0)},
                                      {"instances", body["instances"].size()},
                                      {"upgrade", body["upgrade"]}}
                         .dump()
                    << std::endl;
        else
          std::cout << "operation " << op_id << ": " << status << "; " << a.service << "/"
                    << a.slot << " version " << json_text(body, "version") << ", "
                    << body.value("ready_instances", 0) << "/" << body["instances"].size()
                    << " ReadyRole" << std::endl;
      }
      if (status == "Failed") {
        std::cerr << "fabricctl: operation " << op_id << " failed: "
                  << (op->body.contains("error") ? json_text(op->body["error"], "message") : "")
                  << "\n";
        return exit_api_error;
      }
      return exit_ok;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "fabricctl: operation " << op_id << " still InProgress after "
                << a.wait_timeout << " s\n";
      return exit_timeout;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void add_common(CLI::App* cmd, common_args& a) {
  cmd->add_option("--service", a.service, "hosted service")->required();
  cmd->add_option("--slot", a.slot, "production or staging")->required();
  cmd->add_flag("--wait", a.wait, "show live progress per upgrade domain until it ends");
  cmd->add_option("--wait-timeout", a.wait_timeout, "seconds --wait waits (default 600)");
}

/// POSTs `body`, then prints the 202 answer or follows the operation.
int post_and_follow(CLI::App& app, const common_args& a, const std::string& kind,
                    const nlohmann::json& body, wait_for until) {
  api_client api(coordinator_url(global_option(app, "--coordinator", "")));
  bool json = global_option(app, "--output", "table") == "json";
  auto r = api.post("/fabric/v1/services/" + a.service + "/deployments/" + a.slot + "/" + kind,
                    body.dump());
  if (!r || !r->ok())
    return report_failure(r);
  auto id = json_text(r->body, "operation_id");
  if (json)
    std::cout << r->body.dump() << std::endl;
  else
    std::cout << kind << " " << id << " accepted" << std::endl;
  if (!a.wait)
    return exit_ok;
  return follow(api, a, id, until, json);
}

} // namespace

void add_upgrade_commands(CLI::App& app, int& exit_code) {
  // upgrade
  struct upgrade_args : common_args {
    std::string image, version, csdef, cscfg, mode, role, order, on_timeout;
    bool force = false, surge = false;
    double timeout_s = 0;
    int64_t domain_wait_ms = -1;
  };
  auto ua = std::make_shared<upgrade_args>();
  auto* up = app.add_subcommand("upgrade", "in-place rolling upgrade to a new image and/or "
                                           "configuration");
  add_common(up, *ua);
  up->add_option("--image", ua->image, "image name (or digest) uploaded before");
  up->add_option("--version", ua->version, "target version label (default: the image name)");
  up->add_option("--csdef", ua->csdef, "new service definition file");
  up->add_option("--cscfg", ua->cscfg, "new service configuration file");
  up->add_option("--mode", ua->mode, "auto (default), manual or simultaneous")
    ->check(CLI::IsMember({"auto", "manual", "simultaneous"}, CLI::ignore_case));
  up->add_option("--role", ua->role, "upgrade this role only (default: every role)");
  up->add_option("--order", ua->order, "walk order of the upgrade domains, e.g. 0,2,1");
  up->add_flag("--force", ua->force, "allow changes that lose local data (VM size)");
  up->add_flag("--surge", ua->surge, "start replacements before stopping lone instances");
  up->add_option("--timeout-s", ua->timeout_s, "per-instance timeout, seconds");
  up->add_option("--on-timeout", ua->on_timeout, "pause, roll_back or proceed")
    ->check(CLI::IsMember({"pause", "roll_back", "proceed"}));
  up->add_option("--domain-wait-ms", ua->domain_wait_ms, "Auto mode: wait between two UDs");
  up->callback([&app, ua, &exit_code] {
    nlohmann::json body = nlohmann::json::object();
    if (!ua->image.empty())
      body["image"] = ua->image;
    if (!ua->version.empty())
      body["version"] = ua->version;
    for (auto [key, path] : {std::pair<const char*, std::string*>{"csdef", &ua->csdef},
                             {"cscfg", &ua->cscfg}}) {
      if (path->empty())
        continue;
      std::string content;
      if (!read_model_file(*path, content)) {  // UTF-8 text, also from UTF-16 files
        exit_code = exit_bad_input;
        return;
      }
      body[key] = content;
    }
    if (!ua->mode.empty())
      body["mode"] = ua->mode;
    if (!ua->role.empty())
      body["role"] = ua->role;
    if (!ua->order.empty()) {
      auto arr = nlohmann::json::array();
      std::stringstream ss(ua->order);
      std::string item;
      while (std::getline(ss, item, ',')) {
        try {
          size_t used = 0;
          int v = std::stoi(item, &used);
          if (used != item.size())
            throw std::invalid_argument(item);
          arr.push_back(v);
        } catch (const std::exception&) {
          std::cerr << "fabricctl: --order: '" << item
                    << "' is not an upgrade domain number (e.g. --order 0,2,1)\n";
          exit_code = exit_bad_input;
          return;
        }
      }
      body["order"] = arr;
    }
    if (ua->force)
      body["force"] = true;
    if (ua->surge)
      body["surge"] = true;
    if (ua->timeout_s > 0)
      body["timeout_s"] = ua->timeout_s;
    if (!ua->on_timeout.empty())
      body["on_timeout"] = ua->on_timeout;
    if (ua->domain_wait_ms >= 0)
      body["domain_wait_ms"] = ua->domain_wait_ms;
    auto until = ua->mode == "manual" || ua->mode == "Manual" ? wait_for::manual_pause
                                                              : wait_for::operation;
    exit_code = post_and_follow(app, *ua, "upgrade", body, until);
  });

  // walk
  struct walk_args : common_args {
    int ud = -1;
  };
  auto wa = std::make_shared<walk_args>();
  auto* walk = app.add_subcommand("walk", "Manual upgrade: walk one upgrade domain");
  add_common(walk, *wa);
  walk->add_option("--upgrade-domain", wa->ud, "the UD to walk")->required();
  walk->callback([&app, wa, &exit_code] {
    exit_code = post_and_follow(app, *wa, "walk", {{"upgrade_domain", wa->ud}},
                                wait_for::operation);
  });

  // rollback
  struct rollback_args : common_args {
    std::string mode;
  };
  auto ra = std::make_shared<rollback_args>();
  auto* rb = app.add_subcommand("rollback", "roll the upgrade in progress back");
  add_common(rb, *ra);
  rb->add_option("--mode", ra->mode, "auto, manual or simultaneous (default: the upgrade's)")
    ->check(CLI::IsMember({"auto", "manual", "simultaneous"}, CLI::ignore_case));
  rb->callback([&app, ra, &exit_code] {
    nlohmann::json body = nlohmann::json::object();
    if (!ra->mode.empty())
      body["mode"] = ra->mode;
    // Without --mode the rollback walks in the upgrade's mode, which may be
    // Manual: --wait then stops where an operator must walk, as for upgrade.
    exit_code = post_and_follow(app, *ra, "rollback", body, wait_for::manual_pause);
  });
}

} // namespace fabric::cli
