#include "cli/package_commands.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/api_client.hpp"
#include "cli/command_support.hpp"
#include "cli/cluster_commands.hpp"
#include "cli/offline_commands.hpp"
#include "cli/table.hpp"
#include "model/service_model_parser.hpp"

namespace fabric::cli {

namespace {

std::string roles_of(const nlohmann::json& p) {
  std::string out;
  if (p.contains("roles") && p["roles"].is_array()) {
    const auto& roles = p["roles"];
    for (const auto& r : roles)
      out += (out.empty() ? "" : ",") + (r.is_string() ? r.get<std::string>() : r.dump());
  }
  return out;
}

} // namespace

void add_package_commands(CLI::App& app, int& exit_code) {
  auto* root = &app;
  auto client = [root] { return api_client(coordinator_url(global_option(*root, "--coordinator", ""))); };
  auto json_out = [root] { return global_option(*root, "--output", "table") == "json"; };

  auto* pkg = app.add_subcommand("package", "packages: a service definition plus a base image");
  pkg->require_subcommand(1);

  struct create_args {
    std::string name, csdef, image, output_file;
  };
  auto ca = std::make_shared<create_args>();
  auto* create = pkg->add_subcommand("create", "store package NAME on the coordinator");
  create->add_option("name", ca->name, "package name")->required();
  create->add_option("--csdef", ca->csdef, "service definition file")->required();
  create->add_option("--image", ca->image, "base image name (fabricctl image upload)")->required();
  create->add_option("--output-file", ca->output_file,
                     "also write the package document to this file (servable over "
                     "http(s) as a PackageUrl)");
  create->callback([client, json_out, ca, &exit_code] {
    std::string csdef;
    if (!read_model_file(ca->csdef, csdef)) {  // UTF-8 text, also from UTF-16 files
      exit_code = exit_bad_input;
      return;
    }
    // Checked here first: a bad file is a local mistake (exit 2), not an API error.
    if (auto def = model::parse_service_definition(csdef, ca->csdef); !def) {
      std::cerr << "fabricctl: " << def.err().to_string() << "\n";
      exit_code = exit_bad_input;
      return;
    }
    auto api = client();
    nlohmann::json body{{"csdef", csdef}, {"image", ca->image}};
    auto r = api.post("/fabric/v1/packages/" + ca->name, body.dump());
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (!ca->output_file.empty()) {
      nlohmann::json doc{{"format", "fabric-package/1"}, {"name", ca->name},
                         {"image", ca->image}, {"csdef", csdef}};
      std::ofstream out(ca->output_file, std::ios::binary | std::ios::trunc);
      out << doc.dump();
      if (!out) {
        std::cerr << "fabricctl: cannot write " << ca->output_file << "\n";
        exit_code = exit_bad_input;
        return;
      }
    }
    if (json_out())
      std::cout << r->body.dump(2) << "\n";
    else
      std::cout << "package " << ca->name << " created: image " << json_text(r->body, "image")
                << " (" << json_text(r->body, "image_digest") << "), roles " << roles_of(r->body)
                << "\n";
  });

  auto* list = pkg->add_subcommand("list", "list the packages");
  list->callback([client, json_out, &exit_code] {
    auto api = client();
    auto r = api.get("/fabric/v1/packages");
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (json_out()) {
      std::cout << r->body.dump(2) << "\n";
      return;
    }
    table t({"PACKAGE", "IMAGE", "ROLES", "UDS"});
    const auto& packages = r->body["packages"];
    for (const auto& p : packages)
      t.add({json_text(p, "name"), json_text(p, "image"), roles_of(p), json_text(p, "upgrade_domain_count")});
    t.print(std::cout);
  });

  auto show_name = std::make_shared<std::string>();
  auto* show = pkg->add_subcommand("show", "one package with its service definition");
  show->add_option("name", *show_name, "package name")->required();
  show->callback([client, json_out, show_name, &exit_code] {
    auto api = client();
    auto r = api.get("/fabric/v1/packages/" + *show_name);
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    if (json_out()) {
      std::cout << r->body.dump(2) << "\n";
      return;
    }
    std::cout << "package " << json_text(r->body, "name") << ": image " << json_text(r->body, "image")
              << ", roles " << roles_of(r->body) << "\n"
              << json_text(r->body, "csdef") << "\n";
  });

  auto del_name = std::make_shared<std::string>();
  auto* del = pkg->add_subcommand("delete", "delete a package");
  del->add_option("name", *del_name, "package name")->required();
  del->callback([client, del_name, &exit_code] {
    auto api = client();
    auto r = api.del("/fabric/v1/packages/" + *del_name);
    if (!r || !r->ok()) {
      exit_code = report_failure(r);
      return;
    }
    std::cout << "package " << *del_name << " deleted\n";
  });
}

} // namespace fabric::cli
