#include "model/change_validation.hpp"

#include <gtest/gtest.h>

#include <functional>

using namespace fabric::model;

namespace {

struct service_pair {
  service_definition def;
  service_configuration cfg;
};

// Web (HttpIn input/http, local storage Cache 1024 MB) and Worker (Rpc
// internal/tcp), 5 UDs; 2 and 3 instances.
service_pair base() {
  service_pair m;
  m.def.name = "svc";
  m.def.upgrade_domain_count = 5;
  role_definition web;
  web.name = "Web";
  web.kind = role_kind::web;
  web.endpoints.push_back(endpoint{"HttpIn", endpoint_kind::input, "http", 80, 80, 0, 0});
  web.local_storage.push_back(local_storage_resource{"Cache", 1024, true});
  role_definition worker;
  worker.name = "Worker";
  worker.kind = role_kind::worker;
  worker.endpoints.push_back(endpoint{"Rpc", endpoint_kind::internal, "tcp", 0, 9000, 0, 0});
  m.def.roles = {web, worker};
  m.cfg.service_name = "svc";
  m.cfg.roles = {role_configuration{"Web", 2, {}, {}, {}},
                 role_configuration{"Worker", 3, {}, {}, {}}};
  return m;
}

role_definition& role(service_pair& m, const std::string& name) {
  for (auto& r : m.def.roles)
    if (r.name == name)
      return r;
  throw std::logic_error("no role " + name);
}

struct change_case {
  std::string what;
  std::function<void(service_pair&)> edit;
  bool force;
  std::vector<std::string> codes; ///< the findings' codes, in order
  bool in_place;
  bool vip_swap;
  std::string first_message; ///< empty = not checked
};

std::vector<std::string> codes_of(const std::vector<change_finding>& fs) {
  std::vector<std::string> out;
  for (auto& f : fs)
    out.push_back(f.code);
  return out;
}

const std::string swap_rule = "; a VIP swap needs the same number and types of endpoints";

} // namespace

TEST(ChangeValidation, EachRuleAndTheirCombinations) {
  std::vector<change_case> cases = {
    {"nothing changes", [](service_pair&) {}, false, {}, true, true, ""},
    {"endpoint added", [](service_pair& m) {
       role(m, "Web").endpoints.push_back(
         endpoint{"HttpsIn", endpoint_kind::input, "https", 443, 443, 0, 0});
     }, false, {"endpoints_changed"}, true, false,
     "role 'Web' has 1 endpoint now and 2 in the new model (added: HttpsIn)" + swap_rule},
    {"endpoint removed", [](service_pair& m) { role(m, "Worker").endpoints.clear(); }, false,
     {"endpoints_changed"}, true, false,
     "role 'Worker' has 1 endpoint now and 0 in the new model (removed: Rpc)" + swap_rule},
    {"endpoint protocol changed", [](service_pair& m) { role(m, "Web").endpoints[0].protocol = "https"; },
     false, {"endpoints_changed"}, true, false,
     "endpoint 'HttpIn' of role 'Web' changes type from input/http to input/https" + swap_rule},
    {"endpoint kind changed", [](service_pair& m) {
       role(m, "Worker").endpoints[0].kind = endpoint_kind::input;
     }, false, {"endpoints_changed"}, true, false,
     "endpoint 'Rpc' of role 'Worker' changes type from internal/tcp to input/tcp" + swap_rule},
    {"endpoint renamed, same type", [](service_pair& m) { role(m, "Web").endpoints[0].name = "Http"; },
     false, {}, true, true, ""},
    {"endpoint renamed, other type", [](service_pair& m) {
       role(m, "Web").endpoints[0].name = "Tcp";
       role(m, "Web").endpoints[0].protocol = "tcp";
     }, false, {"endpoints_changed"}, true, false,
     "the endpoint types of role 'Web' change (endpoints renamed: HttpIn become Tcp)" + swap_rule},
    {"port changed only", [](service_pair& m) { role(m, "Web").endpoints[0].port = 8080; }, false, {},
     true, true, ""},
    {"role renamed", [](service_pair& m) {
       role(m, "Web").name = "Front";
       m.cfg.roles[0].name = "Front";
     }, false, {"role_renamed"}, false, true,
     "role 'Web' appears renamed to 'Front' (both WebRole); an in-place upgrade cannot rename "
     "roles"},
    {"role removed, with an endpoint", [](service_pair& m) {
       m.def.roles.pop_back();
       m.cfg.roles.pop_back();
     }, false, {"role_removed", "endpoints_changed"}, false, false,
     "role 'Worker' is removed; an in-place upgrade cannot remove roles"},
    {"role added, no endpoints", [](service_pair& m) {
       role_definition vm;
       vm.name = "Batch";
       vm.kind = role_kind::virtual_machine;
       m.def.roles.push_back(vm);
     }, false, {"role_added"}, false, true,
     "role 'Batch' is added; an in-place upgrade cannot add roles"},
    {"role added, with an endpoint", [](service_pair& m) {
       role_definition api;
       api.name = "Api";
       api.kind = role_kind::web;
       api.endpoints.push_back(endpoint{"In", endpoint_kind::input, "http", 81, 81, 0, 0});
       m.def.roles.push_back(api);
     }, false, {"role_added", "endpoints_changed"}, false, false, ""},
    {"upgrade domain count changed", [](service_pair& m) { m.def.upgrade_domain_count = 3; }, false,
     {"upgrade_domain_count_changed"}, false, true,
     "upgradeDomainCount changes from 5 to 3; an in-place upgrade cannot move instances to other "
     "upgrade domains"},
    {"local storage decreased", [](service_pair& m) { role(m, "Web").local_storage[0].size_mb = 512; },
     false, {"local_storage_decreased"}, false, true,
     "local storage 'Cache' of role 'Web' shrinks from 1024 MB to 512 MB; an in-place upgrade can "
     "only keep or grow local storage"},
    {"local storage increased", [](service_pair& m) { role(m, "Web").local_storage[0].size_mb = 4096; },
     false, {}, true, true, ""},
    {"vm size changed without force", [](service_pair& m) { role(m, "Web").vm_size = "Large"; }, false,
     {"vm_size_changed"}, false, true,
     "role 'Web' changes VM size from Small to Large, which loses the instances' local data: in "
     "place only with Force"},
    {"vm size changed with force", [](service_pair& m) { role(m, "Web").vm_size = "Large"; }, true,
     {"vm_size_changed"}, true, true, ""},
    {"instance count changed", [](service_pair& m) { m.cfg.roles[1].instance_count = 6; }, false,
     {"instance_count_changed"}, true, true, "role 'Worker' goes from 3 to 6 instances"},
    {"vm size with force, endpoint added, UD count changed", [](service_pair& m) {
       m.def.upgrade_domain_count = 10;
       role(m, "Web").vm_size = "Medium";
       role(m, "Web").endpoints.push_back(
         endpoint{"HttpsIn", endpoint_kind::input, "https", 443, 443, 0, 0});
     }, true, {"upgrade_domain_count_changed", "vm_size_changed", "endpoints_changed"}, false,
     false, ""},
    {"role renamed and storage decreased elsewhere", [](service_pair& m) {
       role(m, "Worker").name = "Backend";
       role(m, "Web").local_storage[0].size_mb = 10;
     }, false, {"role_renamed", "local_storage_decreased"}, false, true, ""},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto cur = base();
    auto next = base();
    c.edit(next);
    auto rep = validate_change(cur.def, cur.cfg, next.def, next.cfg, c.force);
    EXPECT_EQ(codes_of(rep.findings), c.codes);
    EXPECT_EQ(rep.verdict(update_path::in_place).allowed, c.in_place);
    EXPECT_EQ(rep.verdict(update_path::vip_swap).allowed, c.vip_swap);
    EXPECT_TRUE(rep.verdict(update_path::delete_and_deploy).allowed);
    EXPECT_TRUE(rep.verdict(update_path::delete_and_deploy).reasons.empty());
    if (!c.first_message.empty() && !rep.findings.empty()) {
      EXPECT_EQ(rep.findings[0].message, c.first_message);
    }
  }
}

TEST(ChangeValidation, ReasonsNameTheFindingsThatBlockEachPath) {
  auto cur = base();
  auto next = base();
  next.def.upgrade_domain_count = 2;
  role(next, "Web").endpoints[0].protocol = "https";
  auto rep = validate_change(cur.def, cur.cfg, next.def, next.cfg);
  auto& in_place = rep.verdict(update_path::in_place);
  auto& swap = rep.verdict(update_path::vip_swap);
  EXPECT_EQ(codes_of(in_place.reasons), (std::vector<std::string>{"upgrade_domain_count_changed"}));
  EXPECT_EQ(codes_of(swap.reasons), (std::vector<std::string>{"endpoints_changed"}));
  EXPECT_EQ(swap.reasons[0].role, "Web");
  EXPECT_EQ(in_place.reasons[0].role, "");
}

TEST(ChangeValidation, ForceIsReportedAsNeededForInPlace) {
  auto cur = base();
  auto next = base();
  role(next, "Worker").vm_size = "ExtraLarge";
  auto with = validate_change(cur.def, cur.cfg, next.def, next.cfg, true);
  EXPECT_TRUE(with.verdict(update_path::in_place).allowed);
  EXPECT_TRUE(with.verdict(update_path::in_place).needs_force);
  EXPECT_EQ(codes_of(with.verdict(update_path::in_place).reasons),
            (std::vector<std::string>{"vm_size_changed"}));
  auto without = validate_change(cur.def, cur.cfg, next.def, next.cfg, false);
  EXPECT_FALSE(without.verdict(update_path::in_place).allowed);
  EXPECT_FALSE(without.verdict(update_path::in_place).needs_force);
}

TEST(ChangeValidation, TextRenderingListsPathsAndReasons) {
  auto cur = base();
  auto next = base();
  next.def.upgrade_domain_count = 3;
  auto text = to_string(validate_change(cur.def, cur.cfg, next.def, next.cfg));
  EXPECT_EQ(text, "in place: not allowed\n"
                  "  - upgrade_domain_count_changed: upgradeDomainCount changes from 5 to 3; an "
                  "in-place upgrade cannot move instances to other upgrade domains\n"
                  "vip swap: allowed\n"
                  "delete and deploy: allowed\n");
  EXPECT_STREQ(to_string(update_path::delete_and_deploy), "delete_and_deploy");
  auto same = to_string(validate_change(cur.def, cur.cfg, cur.def, cur.cfg));
  EXPECT_EQ(same.rfind("no changes\n", 0), 0u) << same;
}
