#include "cli/offline_commands.hpp"

#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/table.hpp"
#include "model/change_validation.hpp"
#include "model/placement.hpp"
#include "model/service_model_parser.hpp"
#include "model/walk_risk.hpp"

namespace fabric::cli {

namespace {

using nlohmann::json;

struct model_files {
  std::string csdef;
  std::string cscfg;
};

struct loaded_pair {
  model::service_definition definition;
  model::service_configuration configuration;
};

// Loads and cross-checks a pair; prints every problem to stderr on failure.
std::optional<loaded_pair> load_pair(const model_files& files) {
  auto def = model::load_service_definition(files.csdef);
  if (!def) {
    std::cerr << "fabricctl: " << def.err().to_string() << "\n";
    return std::nullopt;
  }
  auto cfg = model::load_service_configuration(files.cscfg);
  if (!cfg) {
    std::cerr << "fabricctl: " << cfg.err().to_string() << "\n";
    return std::nullopt;
  }
  auto problems = model::check_pair(*def, *cfg, files.csdef, files.cscfg);
  if (!problems.empty()) {
    for (auto& p : problems)
      std::cerr << "fabricctl: " << p.to_string() << "\n";
    return std::nullopt;
  }
  return loaded_pair{std::move(*def), std::move(*cfg)};
}

void add_pair_options(CLI::App& cmd, model_files& files, const std::string& prefix = "") {
  cmd.add_option("--" + prefix + "csdef", files.csdef, "service definition (.csdef)")
    ->required()
    ->check(CLI::ExistingFile);
  cmd.add_option("--" + prefix + "cscfg", files.cscfg, "service configuration (.cscfg)")
    ->required()
    ->check(CLI::ExistingFile);
}

void add_output_option(CLI::App& cmd, std::string& output) {
  cmd.add_option("--output,-o", output, "output format")
    ->check(CLI::IsMember({"table", "json"}))
    ->default_val("table");
}

json error_json(const error& e) {
  return json{{"file", e.file}, {"line", e.line}, {"message", e.message}};
}

// -- plan ----------------------------------------------------------------------

struct plan_options {
  model_files files;
  int fault_domains = 2;
  std::vector<int> order;
  std::string role;
  int min_capacity = 1;
  bool surge = false;
  std::string output = "table";
};

int run_plan(const plan_options& opt) {
  auto pair = load_pair(opt.files);
  if (!pair)
    return exit_bad_input;
  auto instances = model::build_instances(pair->definition, pair->configuration, "1",
                                          opt.fault_domains);
  if (!instances) {
    std::cerr << "fabricctl: " << instances.err().to_string() << "\n";
    return exit_bad_input;
  }
  std::vector<model::walk_instance> walk;
  for (auto& i : *instances)
    walk.push_back({i.name, i.role, i.upgrade_domain, i.fault_domain});
  model::walk_risk_options wopt;
  wopt.order = opt.order;
  wopt.upgrade_domain_count = pair->definition.upgrade_domain_count;
  wopt.role = opt.role;
  wopt.min_capacity = opt.min_capacity;
  wopt.surge = opt.surge;
  auto report = model::analyze_walk(walk, wopt);
  if (!report) {
    std::cerr << "fabricctl: " << report.err().to_string() << "\n";
    return exit_bad_input;
  }
  if (opt.output == "json") {
    json out{{"instances", json::array()}, {"steps", json::array()}};
    for (auto& i : *instances)
      out["instances"].push_back({{"name", i.name},
                                  {"role", i.role},
                                  {"upgrade_domain", i.upgrade_domain},
                                  {"fault_domain", i.fault_domain}});
    for (auto& s : report->steps) {
      json step{{"upgrade_domain", s.upgrade_domain},
                {"down", s.down},
                {"capacity", s.capacity},
                {"capacity_if_fault_domain_lost", s.capacity_if_fd_fails},
                {"at_risk", s.at_risk}};
      if (opt.surge)
        step["surged"] = s.surged;
      out["steps"].push_back(std::move(step));
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "Service " << pair->definition.name << ": "
              << pair->definition.upgrade_domain_count << " upgrade domains, "
              << opt.fault_domains << " fault domains\n\n";
    table grid{{"INSTANCE", "ROLE", "UD", "FD"}};
    for (auto& i : *instances)
      grid.add({i.name, i.role, std::to_string(i.upgrade_domain), std::to_string(i.fault_domain)});
    grid.print(std::cout);
    std::cout << "\n";
    table steps{{"STEP", "UD", "DOWN", "CAPACITY", "IF ONE FD FAILS", "RISK"}};
    int n = 0;
    for (auto& s : report->steps) {
      auto per_role = [](const std::map<std::string, int>& m) {
        std::string out;
        for (auto& [role, count] : m)
          out += (out.empty() ? "" : " ") + role + "=" + std::to_string(count);
        return out;
      };
      std::string down;
      for (auto& d : s.down)
        down += (down.empty() ? "" : ",") + d;
      std::string risk = s.at_risk ? "AT RISK" : "ok";
      if (s.at_risk) {
        for (auto& r : s.roles_at_risk)
          risk += " " + r + "(FD " + std::to_string(s.worst_fault_domain.at(r)) + ")";
      }
      steps.add({std::to_string(++n), std::to_string(s.upgrade_domain), down.empty() ? "-" : down,
                 per_role(s.capacity), per_role(s.capacity_if_fd_fails), risk});
    }
    steps.print(std::cout);
    if (report->at_risk)
      std::cout << "\nThe walk is at risk: a single fault domain failure during a marked step "
                   "leaves a role under "
                << opt.min_capacity << " instance(s).\n";
  }
  return report->at_risk ? exit_at_risk : exit_ok;
}

// -- validate ------------------------------------------------------------------

int run_validate(const model_files& files, const std::string& output) {
  std::vector<error> problems;
  auto def = model::load_service_definition(files.csdef);
  auto cfg = model::load_service_configuration(files.cscfg);
  if (!def)
    problems.push_back(def.err());
  if (!cfg)
    problems.push_back(cfg.err());
  if (def && cfg)
    problems = model::check_pair(*def, *cfg, files.csdef, files.cscfg);
  if (output == "json") {
    json out{{"valid", problems.empty()}, {"errors", json::array()}};
    for (auto& p : problems)
      out["errors"].push_back(error_json(p));
    if (problems.empty()) {
      out["service"] = def->name;
      out["upgrade_domain_count"] = def->upgrade_domain_count;
      out["roles"] = json::array();
      for (auto& r : def->roles)
        out["roles"].push_back({{"name", r.name},
                                {"kind", model::to_string(r.kind)},
                                {"vm_size", r.vm_size},
                                {"instances", cfg->find_role(r.name)->instance_count}});
    }
    std::cout << out.dump(2) << "\n";
  } else if (problems.empty()) {
    std::cout << files.csdef << " and " << files.cscfg << " are valid: service "
              << def->name << ", " << def->upgrade_domain_count << " upgrade domains\n";
    table roles{{"ROLE", "KIND", "VM SIZE", "INSTANCES", "ENDPOINTS", "LOCAL STORAGE"}};
    for (auto& r : def->roles) {
      std::string storage;
      for (auto& l : r.local_storage)
        storage += (storage.empty() ? "" : ", ") + l.name + " " + std::to_string(l.size_mb) + "MB";
      roles.add({r.name, model::to_string(r.kind), r.vm_size,
                 std::to_string(cfg->find_role(r.name)->instance_count),
                 std::to_string(r.endpoints.size()), storage.empty() ? "-" : storage});
    }
    roles.print(std::cout);
  }
  for (auto& p : problems)
    std::cerr << "fabricctl: " << p.to_string() << "\n";
  return problems.empty() ? exit_ok : exit_bad_input;
}

// -- diff ----------------------------------------------------------------------

struct diff_options {
  model_files current;
  model_files next;
  bool force = false;
  std::string output = "table";
};

int run_diff(const diff_options& opt) {
  auto cur = load_pair(opt.current);
  if (!cur)
    return exit_bad_input;
  auto next = load_pair(opt.next);
  if (!next)
    return exit_bad_input;
  auto report = model::validate_change(cur->definition, cur->configuration, next->definition,
                                       next->configuration, opt.force);
  bool only_redeploy = !report.verdict(model::update_path::in_place).allowed
                       && !report.verdict(model::update_path::vip_swap).allowed;
  if (opt.output == "json") {
    json out{{"unchanged", report.unchanged()}, {"findings", json::array()}, {"paths", json::object()}};
    for (auto& f : report.findings)
      out["findings"].push_back({{"code", f.code}, {"role", f.role}, {"message", f.message}});
    for (auto& v : report.paths) {
      json reasons = json::array();
      for (auto& r : v.reasons)
        reasons.push_back({{"code", r.code}, {"role", r.role}, {"message", r.message}});
      out["paths"][model::to_string(v.path)] = {
        {"allowed", v.allowed}, {"needs_force", v.needs_force}, {"reasons", reasons}};
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << model::to_string(report);
  }
  return only_redeploy ? exit_at_risk : exit_ok;
}

} // namespace

void add_offline_commands(CLI::App& app, int& exit_code) {
  auto plan = std::make_shared<plan_options>();
  auto* plan_cmd = app.add_subcommand(
    "plan", "Show the instance grid and the walk table of a service model, with the capacity "
            "left if one fault domain fails during each step");
  add_pair_options(*plan_cmd, plan->files);
  plan_cmd->add_option("--fault-domains", plan->fault_domains, "fault domains (default 2)")
    ->check(CLI::Range(1, 64));
  plan_cmd->add_option("--order", plan->order, "walk order, e.g. 0,2,1 (default 0,1,...)")
    ->delimiter(',');
  plan_cmd->add_option("--role", plan->role, "walk only this role");
  plan_cmd->add_option("--min-capacity", plan->min_capacity,
                       "a step is at risk when a role could drop under this (default 1)")
    ->check(CLI::NonNegativeNumber);
  plan_cmd->add_flag("--surge", plan->surge,
                     "start a replacement before stopping an instance alone in its fault domain");
  add_output_option(*plan_cmd, plan->output);
  plan_cmd->callback([plan, &exit_code] { exit_code = run_plan(*plan); });

  auto validate_files = std::make_shared<model_files>();
  auto validate_output = std::make_shared<std::string>("table");
  auto* validate_cmd = app.add_subcommand("validate", "Parse and cross-check a .csdef/.cscfg pair");
  add_pair_options(*validate_cmd, *validate_files);
  add_output_option(*validate_cmd, *validate_output);
  validate_cmd->callback([=, &exit_code] {
    exit_code = run_validate(*validate_files, *validate_output);
  });

  auto diff = std::make_shared<diff_options>();
  auto* diff_cmd = app.add_subcommand(
    "diff", "Say which upgrade paths (in place, VIP swap, delete and deploy) allow a change "
            "from the current model to a new one, and why not");
  add_pair_options(*diff_cmd, diff->current);
  add_pair_options(*diff_cmd, diff->next, "new-");
  diff_cmd->add_flag("--force", diff->force,
                     "allow changes that lose local data in place (the platform's Force)");
  add_output_option(*diff_cmd, diff->output);
  diff_cmd->callback([diff, &exit_code] { exit_code = run_diff(*diff); });
}

} // namespace fabric::cli
