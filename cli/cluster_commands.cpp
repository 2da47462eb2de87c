#include "cli/cluster_commands.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "cli/api_client.hpp"
#include "cli/command_support.hpp"
#include "cli/offline_commands.hpp"
#include "cli/table.hpp"
#include "images/image_store.hpp"

namespace fabric::cli {

namespace {

namespace fs = std::filesystem;

struct globals {
  std::string coordinator;
  std::string output = "table";
};

/// Prints the 202 answer of an operation, then waits for it when asked.
int accepted(api_client& api, const api_response& r, bool wait, int timeout_s,
             const globals& g) {
  auto id = json_text(r.body, "operation_id");
  if (!wait) {
    if (g.output == "json")
      std::cout << r.body.dump(2) << "\n";
    else
      std::cout << "operation " << id << " accepted\n";
    return exit_ok;
  }
  return wait_operation(api, id, timeout_s, g.output == "json");
}

void print_status(const nlohmann::json& d) {
  std::cout << d.value("service", "") << "/" << d.value("slot", "") << ": deployment "
            << d.value("name", "") << " (" << d.value("status", "") << "), version "
            << d.value("version", "") << ", " << d.value("ready_instances", 0) << "/"
            << d["instances"].size() << " ReadyRole\n";
  table t({"INSTANCE", "ROLE", "UD", "FD", "NODE", "STATE", "VERSION", "ENDPOINT"});
  for (auto& i : d["instances"])
    t.add({json_text(i, "name"), json_text(i, "role"), json_text(i, "upgrade_domain"), json_text(i, "fault_domain"),
           json_text(i, "node"), json_text(i, "state"), json_text(i, "version"), json_text(i, "endpoint")});
  t.print(std::cout);
}

} // namespace

void add_cluster_commands(CLI::App& app, int& exit_code) {
  auto g = std::make_shared<globals>();
  app.add_option("--coordinator", g->coordinator,
                 "coordinator API URL (default $FABRIC_COORDINATOR or http://127.0.0.1:7070)");
  app.add_option("--output", g->output, "table or json")
    ->check(CLI::IsMember({"table", "json"}));
  app.fallthrough();
  auto client = [g] { return api_client(coordinator_url(g->coordinator)); };

  // nodes
  auto* nodes = app.add_subcommand("nodes", "list the nodes the coordinator knows");
  nodes->callback([g, client, &exit_code] {
    auto api = client();
    auto r = api.get("/fabric/v1/nodes");
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (g->output == "json") {
      std::cout << r->body.dump(2) << "\n";
      return;
    }
    table t({"NODE", "FD", "STATE", "EPOCH", "ADDRESS", "CAPACITY", "INSTANCES"});
    for (auto& n : r->body["nodes"])
      t.add({json_text(n, "name"), json_text(n, "fault_domain"), json_text(n, "state"), json_text(n, "epoch"),
             json_text(n, "address"), json_text(n, "capacity"), json_text(n, "instance_count")});
    t.print(std::cout);
  });

  // service create|list|delete
  auto* service = app.add_subcommand("service", "hosted services");
  service->require_subcommand(1);
  auto create_name = std::make_shared<std::string>();
  auto create_label = std::make_shared<std::string>();
  auto* create = service->add_subcommand("create", "create a hosted service");
  create->add_option("name", *create_name, "service name")->required();
  create->add_option("--label", *create_label, "label");
  create->callback([g, client, create_name, create_label, &exit_code] {
    auto api = client();
    nlohmann::json body{{"name", *create_name}, {"label", *create_label}};
    auto r = api.post("/fabric/v1/services", body.dump());
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (g->output == "json")
      std::cout << r->body.dump(2) << "\n";
    else
      std::cout << "hosted service " << *create_name << " created\n";
  });
  auto* list = service->add_subcommand("list", "list hosted services");
  list->callback([g, client, &exit_code] {
    auto api = client();
    auto r = api.get("/fabric/v1/services");
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (g->output == "json") {
      std::cout << r->body.dump(2) << "\n";
      return;
    }
    table t({"SERVICE", "LABEL", "PRODUCTION", "STAGING"});
    for (auto& s : r->body["services"]) {
      auto slot = [&](const char* k) {
        auto& d = s["deployments"];
        if (!d.contains(k))
          return std::string("-");
        return json_text(d[k], "name") + " (" + json_text(d[k], "status") + ")";
      };
      t.add({json_text(s, "name"), json_text(s, "label"), slot("production"), slot("staging")});
    }
    t.print(std::cout);
  });
  auto delete_name = std::make_shared<std::string>();
  auto* sdelete = service->add_subcommand("delete", "delete a hosted service (no deployments)");
  sdelete->add_option("name", *delete_name, "service name")->required();
  sdelete->callback([g, client, delete_name, &exit_code] {
    auto api = client();
    auto r = api.del("/fabric/v1/services/" + *delete_name);
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (g->output == "json")
      std::cout << r->body.dump(2) << "\n";
    else
      std::cout << "hosted service " << *delete_name << " deleted\n";
  });

  // deploy
  struct deploy_args {
    std::string service, slot, csdef, cscfg, image, name, label, version;
    bool no_start = false, wait = false;
    int timeout = 120;
  };
  auto da = std::make_shared<deploy_args>();
  auto* deploy = app.add_subcommand("deploy", "create a deployment from a .csdef/.cscfg pair");
  deploy->add_option("--service", da->service, "hosted service")->required();
  deploy->add_option("--slot", da->slot, "production or staging")->required();
  deploy->add_option("--csdef", da->csdef, "service definition file")->required();
  deploy->add_option("--cscfg", da->cscfg, "service configuration file")->required();
  deploy->add_option("--image", da->image, "image name (or digest) uploaded before")->required();
  deploy->add_option("--name", da->name, "deployment name (default SERVICE-SLOT)");
  deploy->add_option("--label", da->label, "deployment label");
  deploy->add_option("--version", da->version, "version label (default: the image name)");
  deploy->add_flag("--no-start", da->no_start, "create it suspended");
  deploy->add_flag("--wait", da->wait, "wait until every instance is ReadyRole");
  deploy->add_option("--timeout", da->timeout, "seconds --wait waits (default 120)");
  deploy->callback([g, client, da, &exit_code] {
    std::string csdef, cscfg;
    // As UTF-8 text: a UTF-16 file's raw bytes cannot go into a JSON string.
    if (!read_model_file(da->csdef, csdef) || !read_model_file(da->cscfg, cscfg)) {
      exit_code = exit_bad_input;
      return;
    }
    nlohmann::json body{{"csdef", csdef}, {"cscfg", cscfg}, {"image", da->image},
                        {"start", !da->no_start}};
    if (!da->name.empty())
      body["name"] = da->name;
    if (!da->label.empty())
      body["label"] = da->label;
    if (!da->version.empty())
      body["version"] = da->version;
    auto api = client();
    auto r = api.post("/fabric/v1/services/" + da->service + "/deployments/" + da->slot,
                      body.dump());
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    exit_code = accepted(api, *r, da->wait, da->timeout, *g);
  });

  // status
  auto st_service = std::make_shared<std::string>();
  auto st_slot = std::make_shared<std::string>();
  auto* status = app.add_subcommand("status", "a deployment's instances (portal-like grid)");
  status->add_option("--service", *st_service, "hosted service")->required();
  status->add_option("--slot", *st_slot, "production or staging")->required();
  status->callback([g, client, st_service, st_slot, &exit_code] {
    auto api = client();
    auto r = api.get("/fabric/v1/services/" + *st_service + "/deployments/" + *st_slot);
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (g->output == "json")
      std::cout << r->body.dump(2) << "\n";
    else
      print_status(r->body);
  });

  // deployment delete
  auto* deployment = app.add_subcommand("deployment", "deployments");
  deployment->require_subcommand(1);
  struct del_args {
    std::string service, slot;
    bool wait = false;
    int timeout = 120;
  };
  auto dl = std::make_shared<del_args>();
  auto* ddelete = deployment->add_subcommand("delete", "delete the deployment in a slot");
  ddelete->add_option("--service", dl->service, "hosted service")->required();
  ddelete->add_option("--slot", dl->slot, "production or staging")->required();
  ddelete->add_flag("--wait", dl->wait, "wait until every node removed its instances");
  ddelete->add_option("--timeout", dl->timeout, "seconds --wait waits (default 120)");
  ddelete->callback([g, client, dl, &exit_code] {
    auto api = client();
    auto r = api.del("/fabric/v1/services/" + dl->service + "/deployments/" + dl->slot);
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    exit_code = accepted(api, *r, dl->wait, dl->timeout, *g);
  });

  // operation ID
  auto op_id = std::make_shared<std::string>();
  auto* operation = app.add_subcommand("operation", "the status of an asynchronous operation");
  operation->add_option("id", *op_id, "operation id")->required();
  operation->callback([g, client, op_id, &exit_code] {
    auto api = client();
    auto r = api.get("/fabric/v1/operations/" + *op_id);
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (g->output == "json") {
      std::cout << r->body.dump(2) << "\n";
      return;
    }
    std::cout << *op_id << " " << json_text(r->body, "kind") << " " << json_text(r->body, "service") << "/"
              << json_text(r->body, "slot") << ": " << json_text(r->body, "status");
    if (r->body.contains("error"))
      std::cout << ": " << json_text(r->body["error"], "message");
    std::cout << "\n";
  });

  // image upload|list
  auto* image = app.add_subcommand("image", "base images");
  image->require_subcommand(1);
  auto up_name = std::make_shared<std::string>();
  auto up_dir = std::make_shared<std::string>();
  auto* upload = image->add_subcommand("upload", "upload a directory tree as image NAME");
  upload->add_option("name", *up_name, "image name")->required();
  upload->add_option("dir", *up_dir, "directory (a tarball is not supported)")->required();
  upload->callback([g, client, up_name, up_dir, &exit_code] {
    std::error_code ec;
    if (!fs::is_directory(*up_dir, ec)) {
      std::cerr << "fabricctl: " << *up_dir << " is not a directory\n";
      exit_code = exit_bad_input;
      return;
    }
    // Import into a scratch store, then export in the transfer format.
    auto scratch = fs::temp_directory_path() / ("fabricctl-image-" + std::to_string(::getpid()));
    images::image_store store{scratch};
    auto cleanup = [&] {
      // Image trees are read-only: give write permission back before removing.
      for (auto& e : fs::recursive_directory_iterator(scratch, ec))
        if (e.is_directory(ec))
          fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
      fs::permissions(scratch, fs::perms::owner_all, fs::perm_options::add, ec);
      fs::remove_all(scratch, ec);
    };
    auto digest = store.import_directory(*up_dir);
    if (!digest) {
      std::cerr << "fabricctl: " << digest.err().to_string() << "\n";
      cleanup();
      exit_code = exit_bad_input;
      return;
    }
    std::ostringstream archive;
    auto st = store.export_image(*digest, archive);
    cleanup();
    if (!st) {
      std::cerr << "fabricctl: " << st.err().to_string() << "\n";
      exit_code = exit_bad_input;
      return;
    }
    auto api = client();
    auto r = api.post("/fabric/v1/images/" + *up_name, archive.str(), "application/octet-stream");
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (g->output == "json")
      std::cout << r->body.dump(2) << "\n";
    else
      std::cout << "image " << *up_name << " uploaded: " << json_text(r->body, "digest") << "\n";
  });
  auto* ilist = image->add_subcommand("list", "list uploaded images");
  ilist->callback([g, client, &exit_code] {
    auto api = client();
    auto r = api.get("/fabric/v1/images");
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (g->output == "json") {
      std::cout << r->body.dump(2) << "\n";
      return;
    }
    table t({"IMAGE", "DIGEST", "SIZE"});
    for (auto& i : r->body["images"])
      t.add({json_text(i, "name"), json_text(i, "digest"), json_text(i, "size")});
    t.print(std::cout);
  });
}

} // namespace fabric::cli
