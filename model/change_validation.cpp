#include "model/change_validation.hpp"

#include <algorithm>
#include <map>

namespace fabric::model {

namespace {

const role_definition* role_in(const service_definition& d, const std::string& name) {
  for (auto& r : d.roles)
    if (r.name == name)
      return &r;
  return nullptr;
}

const role_configuration* role_in(const service_configuration& c, const std::string& name) {
  for (auto& r : c.roles)
    if (r.name == name)
      return &r;
  return nullptr;
}


std::string type_of(const endpoint& e) {
  return std::string{to_string(e.kind)} + "/" + e.protocol;
}

const endpoint* endpoint_in(const role_definition& r, const std::string& name) {
  for (auto& e : r.endpoints)
    if (e.name == name)
      return &e;
  return nullptr;
}

std::string names_missing_from(const role_definition& a, const role_definition& b) {
  std::string out;
  for (auto& e : a.endpoints)
    if (!endpoint_in(b, e.name))
      out += (out.empty() ? "" : ", ") + e.name;
  return out;
}

std::string endpoint_count(size_t n) {
  return std::to_string(n) + (n == 1 ? " endpoint" : " endpoints");
}

const char* swap_rule = "a VIP swap needs the same number and types of endpoints";

struct finder {
  std::vector<change_finding> out;

  void add(std::string code, std::string role, std::string message, bool blocks_in_place,
           bool needs_force, bool blocks_swap) {
    out.push_back(change_finding{std::move(code), std::move(role), std::move(message),
                                 blocks_in_place, needs_force, blocks_swap});
  }

  void role_endpoints(const role_definition& r, bool added) {
    if (r.endpoints.empty())
      return;
    add("endpoints_changed", r.name,
        "role '" + r.name + "' is " + (added ? "added" : "removed") + " with "
          + endpoint_count(r.endpoints.size()) + ", which changes the deployment's endpoints; "
          + swap_rule,
        false, false, true);
  }

  void endpoints(const role_definition& cur, const role_definition& next) {
    if (cur.endpoints.size() != next.endpoints.size()) {
      std::string msg = "role '" + cur.name + "' has " + endpoint_count(cur.endpoints.size())
                        + " now and " + std::to_string(next.endpoints.size())
                        + " in the new model";
      auto added = names_missing_from(next, cur);
      auto removed = names_missing_from(cur, next);
      if (!added.empty() || !removed.empty()) {
        msg += " (";
        if (!added.empty())
          msg += "added: " + added;
        if (!removed.empty())
          msg += std::string{added.empty() ? "" : "; "} + "removed: " + removed;
        msg += ")";
      }
      add("endpoints_changed", cur.name, msg + "; " + swap_rule, false, false, true);
      return;
    }
    bool named = false;
    for (auto& e : next.endpoints)
      if (auto old = endpoint_in(cur, e.name); old && type_of(*old) != type_of(e)) {
        named = true;
        add("endpoints_changed", cur.name,
            "endpoint '" + e.name + "' of role '" + cur.name + "' changes type from "
              + type_of(*old) + " to " + type_of(e) + "; " + swap_rule,
            false, false, true);
      }
    if (named)
      return;
    // Same count, renamed endpoints: compare the types as multisets.
    std::vector<std::string> a, b;
    for (auto& e : cur.endpoints)
      a.push_back(type_of(e));
    for (auto& e : next.endpoints)
      b.push_back(type_of(e));
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b)
      add("endpoints_changed", cur.name,
          "the endpoint types of role '" + cur.name + "' change (endpoints renamed: "
            + names_missing_from(cur, next) + " become " + names_missing_from(next, cur)
            + "); " + swap_rule,
          false, false, true);
  }

  void storage(const role_definition& cur, const role_definition& next) {
    for (auto& s : next.local_storage)
      for (auto& old : cur.local_storage)
        if (old.name == s.name && s.size_mb < old.size_mb)
          add("local_storage_decreased", cur.name,
              "local storage '" + s.name + "' of role '" + cur.name + "' shrinks from "
                + std::to_string(old.size_mb) + " MB to " + std::to_string(s.size_mb)
                + " MB; an in-place upgrade can only keep or grow local storage",
              true, false, false);
  }
};

} // namespace

const char* to_string(update_path p) {
  switch (p) {
    case update_path::in_place:
      return "in_place";
    case update_path::vip_swap:
      return "vip_swap";
    case update_path::delete_and_deploy:
      return "delete_and_deploy";
  }
  return "?";
}

const path_verdict& change_report::verdict(update_path p) const {
  for (auto& v : paths)
    if (v.path == p)
      return v;
  return paths.front();
}

change_report validate_change(const service_definition& cur_def,
                              const service_configuration& cur_cfg,
                              const service_definition& new_def,
                              const service_configuration& new_cfg, bool force) {
  finder f;
  if (cur_def.upgrade_domain_count != new_def.upgrade_domain_count)
    f.add("upgrade_domain_count_changed", "",
          "upgradeDomainCount changes from " + std::to_string(cur_def.upgrade_domain_count)
            + " to " + std::to_string(new_def.upgrade_domain_count)
            + "; an in-place upgrade cannot move instances to other upgrade domains",
          true, false, false);
  // Roles removed and added, paired per kind into renames when they match up.
  std::map<role_kind, std::vector<const role_definition*>> removed, added;
  for (auto& r : cur_def.roles)
    if (!role_in(new_def, r.name))
      removed[r.kind].push_back(&r);
  for (auto& r : new_def.roles)
    if (!role_in(cur_def, r.name))
      added[r.kind].push_back(&r);
  const char* no_in_place = "; an in-place upgrade cannot ";
  std::vector<const role_definition*> gone_roles, new_roles;
  for (auto& [kind, gone] : removed) {
    auto& fresh = added[kind];
    if (gone.size() == fresh.size()) {
      for (size_t i = 0; i < gone.size(); ++i) {
        f.add("role_renamed", gone[i]->name,
              "role '" + gone[i]->name + "' appears renamed to '" + fresh[i]->name + "' (both "
                + to_string(kind) + ")" + no_in_place + "rename roles",
              true, false, false);
        f.endpoints(*gone[i], *fresh[i]); // a rename keeps the endpoints, or not
      }
      fresh.clear();
    } else {
      for (auto* r : gone) {
        f.add("role_removed", r->name,
              "role '" + r->name + "' is removed" + no_in_place + "remove roles", true, false,
              false);
        gone_roles.push_back(r);
      }
    }
  }
  for (auto& [kind, fresh] : added)
    for (auto* r : fresh) {
      f.add("role_added", r->name, "role '" + r->name + "' is added" + no_in_place + "add roles",
            true, false, false);
      new_roles.push_back(r);
    }
  for (auto* r : gone_roles)
    f.role_endpoints(*r, false);
  for (auto* r : new_roles)
    f.role_endpoints(*r, true);
  // Roles in both models, in the new model's order.
  for (auto& next : new_def.roles) {
    auto* cur = role_in(cur_def, next.name);
    if (!cur)
      continue;
    if (cur->vm_size != next.vm_size)
      f.add("vm_size_changed", next.name,
            "role '" + next.name + "' changes VM size from " + cur->vm_size + " to "
              + next.vm_size + ", which loses the instances' local data: in place only with Force",
            false, true, false);
    f.endpoints(*cur, next);
    f.storage(*cur, next);
    auto* cc = role_in(cur_cfg, next.name);
    auto* nc = role_in(new_cfg, next.name);
    if (cc && nc && cc->instance_count != nc->instance_count)
      f.add("instance_count_changed", next.name,
            "role '" + next.name + "' goes from " + std::to_string(cc->instance_count) + " to "
              + std::to_string(nc->instance_count) + " instances",
            false, false, false);
  }
  change_report report;
  report.findings = std::move(f.out);
  path_verdict in_place{update_path::in_place, true, false, {}};
  path_verdict swap{update_path::vip_swap, true, false, {}};
  path_verdict redeploy{update_path::delete_and_deploy, true, false, {}};
  for (auto& x : report.findings) {
    if (x.blocks_in_place || (x.in_place_needs_force && !force)) {
      in_place.allowed = false;
      in_place.reasons.push_back(x);
    } else if (x.in_place_needs_force) {
      in_place.needs_force = true;
      in_place.reasons.push_back(x);
    }
    if (x.blocks_vip_swap) {
      swap.allowed = false;
      swap.reasons.push_back(x);
    }
  }
  report.paths = {in_place, swap, redeploy};
  return report;
}

std::string to_string(const change_report& report) {
  std::string out;
  if (report.unchanged())
    out += "no changes\n";
  for (auto& v : report.paths) {
    std::string name = to_string(v.path);
    std::replace(name.begin(), name.end(), '_', ' ');
    out += name + ": "
           + (v.allowed ? (v.needs_force ? "allowed with Force" : "allowed") : "not allowed")
           + "\n";
    for (auto& r : v.reasons)
      out += "  - " + r.code + ": " + r.message + "\n";
  }
  return out;
}

} // namespace fabric::model
