#include "cli/operation_commands.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/api_client.hpp"
#include "cli/command_support.hpp"
#include "cli/cluster_commands.hpp"
#include "cli/offline_commands.hpp"
#include "model/service_model_parser.hpp"
#include "sm_api/responses.hpp"

namespace fabric::cli {

namespace {

struct op_args {
  std::string service, slot, instance, file, role, image, version, csdef;
  int count = 0;
  double probability = 0;
  bool wait = false;
  int timeout = 120;
};

/// Sends a mutating request; prints `what` (table output) and waits when asked.
int run_op(CLI::App& app, const op_args& a, const result<api_response>& r, api_client& api,
           const std::string& what) {
  if (!r || !r->ok())
    return report_failure(r);
  bool json = global_option(app, "--output", "table") == "json";
  auto id = json_text(r->body, "operation_id");
  if (json && !a.wait)
    std::cout << r->body.dump(2) << "\n";
  else if (!json)
    std::cout << what << " (operation " << id << ")\n";
  return a.wait ? wait_operation(api, id, a.timeout, json) : exit_ok;
}

std::string deployment_path(const op_args& a) {
  return "/fabric/v1/services/" + a.service + "/deployments/" + a.slot;
}

void service_slot(CLI::App* cmd, op_args& a, bool with_slot = true) {
  cmd->add_option("--service", a.service, "hosted service")->required();
  if (with_slot)
    cmd->add_option("--slot", a.slot, "production or staging")->required();
}

void wait_flags(CLI::App* cmd, op_args& a) {
  cmd->add_flag("--wait", a.wait, "wait until the operation is no longer InProgress");
  cmd->add_option("--timeout", a.timeout, "seconds --wait waits (default 120)");
}

} // namespace

void add_operation_commands(CLI::App& app, int& exit_code) {
  auto client = [&app] { return api_client(coordinator_url(global_option(app, "--coordinator", ""))); };

  // swap
  auto sw = std::make_shared<op_args>();
  auto* swap = app.add_subcommand("swap", "VIP swap: exchange the production and staging slots");
  service_slot(swap, *sw, false);
  wait_flags(swap, *sw);
  swap->callback([&app, client, sw, &exit_code] {
    auto api = client();
    auto r = api.post("/fabric/v1/services/" + sw->service + "/swap", "{}");
    std::string what;
    if (r && r->ok())
      what = "swap of " + sw->service + ": production -> "
             + json_text(r->body, "production") + ", staging -> " + json_text(r->body, "staging");
    exit_code = run_op(app, *sw, r, api, what);
  });

  // stop / start
  for (auto [name, status] : {std::pair{"stop", "Suspended"}, std::pair{"start", "Running"}}) {
    auto a = std::make_shared<op_args>();
    auto* cmd = app.add_subcommand(
      name, std::string(name) + " every instance of a deployment (data kept)");
    service_slot(cmd, *a);
    wait_flags(cmd, *a);
    cmd->callback([&app, client, a, name = std::string(name), status = std::string(status),
                   &exit_code] {
      auto api = client();
      auto r = api.post(deployment_path(*a) + "/status",
                        nlohmann::json{{"status", status}}.dump());
      exit_code = run_op(app, *a, r, api, name + " of " + a->service + "/" + a->slot + " accepted");
    });
  }

  // reboot / reimage / rebuild
  for (auto name : {"reboot", "reimage", "rebuild"}) {
    auto a = std::make_shared<op_args>();
    auto* cmd = app.add_subcommand(name, std::string(name) + " one role instance");
    service_slot(cmd, *a);
    cmd->add_option("--instance", a->instance, "role instance, e.g. Web_IN_0")->required();
    wait_flags(cmd, *a);
    cmd->callback([&app, client, a, name = std::string(name), &exit_code] {
      auto api = client();
      auto r = api.post(deployment_path(*a) + "/roleinstances/" + a->instance + "/" + name, "{}");
      std::string what = name + " of " + a->instance + " accepted";
      if (r && r->ok() && r->body.value("reboot_degenerates", false))
        what += ": it degenerates into a reimage (reboot quirk, probability "
                + json_text(r->body, "reboot_reimage_probability") + ")";
      exit_code = run_op(app, *a, r, api, what);
    });
  }

  // config get|set
  auto* config = app.add_subcommand("config", "a deployment's configuration (.cscfg)");
  config->require_subcommand(1);
  auto cg = std::make_shared<op_args>();
  auto* get = config->add_subcommand("get", "print the current .cscfg");
  service_slot(get, *cg);
  get->callback([&app, client, cg, &exit_code] {
    auto api = client();
    auto r = api.get(deployment_path(*cg) + "/configuration");
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (global_option(app, "--output", "table") == "json")
      std::cout << r->body.dump(2) << "\n";
    else
      std::cout << json_text(r->body, "configuration");
  });
  auto cs = std::make_shared<op_args>();
  auto* set = config->add_subcommand("set", "post a new .cscfg (Change Deployment Configuration)");
  service_slot(set, *cs);
  set->add_option("--cscfg", cs->file, "service configuration file")->required();
  wait_flags(set, *cs);
  set->callback([&app, client, cs, &exit_code] {
    std::string body;
    if (!read_whole_file(cs->file, body)) {
      std::cerr << "fabricctl: cannot read " << cs->file << "\n";
      exit_code = exit_bad_input;
      return;
    }
    auto api = client();
    auto r = api.put(deployment_path(*cs) + "/configuration", body, "application/xml");
    std::string what;
    if (r && r->ok())
      what = "configuration of " + cs->service + "/" + cs->slot + " accepted: "
             + json_text(r->body, "instances_added") + " instance(s) added, "
             + json_text(r->body, "instances_removed") + " removed, "
             + json_text(r->body, "instances_updated") + " updated";
    exit_code = run_op(app, *cs, r, api, what);
  });

  // scale
  auto sc = std::make_shared<op_args>();
  auto* scale = app.add_subcommand("scale", "change one role's instance count");
  service_slot(scale, *sc);
  scale->add_option("--role", sc->role, "role name")->required();
  scale->add_option("--count", sc->count, "new instance count")->required();
  wait_flags(scale, *sc);
  scale->callback([&app, client, sc, &exit_code] {
    auto api = client();
    auto cur = api.get(deployment_path(*sc) + "/configuration");
    if (!cur || !cur->ok()) {
      exit_code = report_failure(cur);
      return;
    }
    auto cfg = model::parse_service_configuration(json_text(cur->body, "configuration"),
                                                  "ServiceConfiguration.cscfg");
    if (!cfg) {
      std::cerr << "fabricctl: the coordinator's configuration does not parse: "
                << cfg.err().to_string() << "\n";
      exit_code = exit_api_error;
      return;
    }
    auto* role = cfg->find_role(sc->role);
    if (!role) {
      std::string roles;
      for (auto& r : cfg->roles)
        roles += (roles.empty() ? "" : ", ") + r.name;
      std::cerr << "fabricctl: no role '" << sc->role << "' in " << sc->service << "/"
                << sc->slot << " (roles: " << roles << ")\n";
      exit_code = exit_bad_input;
      return;
    }
    role->instance_count = sc->count;  // the coordinator checks the count
    auto r = api.put(deployment_path(*sc) + "/configuration",
                     sm_api::render_service_configuration(*cfg), "application/xml");
    std::string what = "scale of " + sc->role + " to " + std::to_string(sc->count) + " accepted";
    exit_code = run_op(app, *sc, r, api, what);
  });

  // quirk
  auto qa = std::make_shared<op_args>();
  auto* quirk = app.add_subcommand(
    "quirk", "probability that a reboot degenerates into a reimage (the field quirk)");
  service_slot(quirk, *qa);
  quirk->add_option("--probability", qa->probability, "0..1")->required();
  quirk->add_option("--instance", qa->instance, "one instance (default: the whole deployment)");
  wait_flags(quirk, *qa);
  quirk->callback([&app, client, qa, &exit_code] {
    nlohmann::json body{{"probability", qa->probability}};
    if (!qa->instance.empty())
      body["instance"] = qa->instance;
    auto api = client();
    auto r = api.put(deployment_path(*qa) + "/reboot-quirk", body.dump());
    exit_code = run_op(app, *qa, r, api,
                       "reboot-quirk probability of "
                         + (qa->instance.empty() ? qa->service + "/" + qa->slot : qa->instance)
                         + " set to " + nlohmann::json(qa->probability).dump());
  });

  // redeploy
  auto rd = std::make_shared<op_args>();
  auto* redeploy = app.add_subcommand(
    "redeploy", "delete and deploy again as one call (republish: OS disks reset, local "
                "storage wiped)");
  service_slot(redeploy, *rd);
  redeploy->add_option("--csdef", rd->csdef, "new service definition (default: the current)");
  redeploy->add_option("--cscfg", rd->file, "new service configuration (default: the current)");
  redeploy->add_option("--image", rd->image, "new image (default: the current)");
  redeploy->add_option("--version", rd->version, "new version label");
  wait_flags(redeploy, *rd);
  redeploy->callback([&app, client, rd, &exit_code] {
    nlohmann::json body = nlohmann::json::object();
    for (auto [key, path] : {std::pair{"csdef", &rd->csdef}, std::pair{"cscfg", &rd->file}}) {
      if (path->empty())
        continue;
      std::string content;
      if (!read_model_file(*path, content)) {  // UTF-8 text, also from UTF-16 files
        exit_code = exit_bad_input;
        return;
      }
      body[key] = content;
    }
    if (!rd->image.empty())
      body["image"] = rd->image;
    if (!rd->version.empty())
      body["version"] = rd->version;
    auto api = client();
    auto r = api.post(deployment_path(*rd) + "/redeploy", body.dump());
    exit_code = run_op(app, *rd, r, api,
                       "redeploy of " + rd->service + "/" + rd->slot + " accepted");
  });
}

} // namespace fabric::cli
