#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "model/placement.hpp"

using namespace fabric::model;

namespace {

role_definition role(const std::string& name) {
  role_definition r;
  r.name = name;
  return r;
}

role_configuration role_cfg(const std::string& name, int count) {
  role_configuration r;
  r.name = name;
  r.instance_count = count;
  return r;
}

instance unplaced(const std::string& role, int index) {
  instance x;
  x.role = role;
  x.index = index;
  x.name = instance_name(role, index);
  return x;
}

} // namespace

TEST(placement, upgrade_domain_is_index_mod_count) {
  EXPECT_EQ(upgrade_domain_of(0, 5), 0);
  EXPECT_EQ(upgrade_domain_of(4, 5), 4);
  EXPECT_EQ(upgrade_domain_of(5, 5), 0);
  EXPECT_EQ(upgrade_domain_of(7, 2), 1);
  EXPECT_EQ(upgrade_domain_of(3, 1), 0);
}

TEST(placement, build_instances_reproduces_the_domain_matrix_example) {
  // docs/domain.md §2: three instances, upgradeDomainCount = 3, two FDs.
  service_definition def;
  def.upgrade_domain_count = 3;
  def.roles = {role("Web")};
  service_configuration cfg;
  cfg.roles = {role_cfg("Web", 3)};
  auto res = build_instances(def, cfg, "v1", 2);
  ASSERT_TRUE(res.ok()) << res.err().message;
  ASSERT_EQ(res->size(), 3u);
  const int want_ud[] = {0, 1, 2};
  const int want_fd[] = {0, 1, 0};
  for (int i = 0; i < 3; ++i) {
    const auto& x = (*res)[static_cast<size_t>(i)];
    EXPECT_EQ(x.name, "Web_IN_" + std::to_string(i));
    EXPECT_EQ(x.role, "Web");
    EXPECT_EQ(x.index, i);
    EXPECT_EQ(x.upgrade_domain, want_ud[i]);
    EXPECT_EQ(x.fault_domain, want_fd[i]);
    EXPECT_EQ(x.state, instance_state::creating_vm);
    EXPECT_EQ(x.version, "v1");
    EXPECT_TRUE(x.node.empty());
  }
}

TEST(placement, build_instances_numbers_each_role_from_zero_in_definition_order) {
  service_definition def;
  def.roles = {role("Web"), role("Worker")};
  service_configuration cfg;
  cfg.roles = {role_cfg("Worker", 2), role_cfg("Web", 6)}; // order of the cscfg does not matter
  auto res = build_instances(def, cfg, "v1", 3);
  ASSERT_TRUE(res.ok());
  std::vector<std::string> names;
  for (const auto& x : *res)
    names.push_back(x.name + "/ud" + std::to_string(x.upgrade_domain) + "/fd"
                    + std::to_string(x.fault_domain));
  EXPECT_EQ(names, (std::vector<std::string>{"Web_IN_0/ud0/fd0", "Web_IN_1/ud1/fd1",
                                             "Web_IN_2/ud2/fd2", "Web_IN_3/ud3/fd0",
                                             "Web_IN_4/ud4/fd1", "Web_IN_5/ud0/fd2",
                                             "Worker_IN_0/ud0/fd0", "Worker_IN_1/ud1/fd1"}));
}

TEST(placement, build_instances_rejects_mismatched_models) {
  service_definition def;
  def.roles = {role("Web")};
  service_configuration cfg;
  cfg.roles = {role_cfg("Web", 1), role_cfg("Ghost", 1)};
  auto res = build_instances(def, cfg, "v1", 2);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.err().message,
            "role 'Ghost' is in the service configuration but not in the service definition");

  cfg.roles = {};
  res = build_instances(def, cfg, "v1", 2);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.err().message,
            "role 'Web' is in the service definition but not in the service configuration");

  cfg.roles = {role_cfg("Web", 0)};
  res = build_instances(def, cfg, "v1", 2);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.err().message, "role 'Web': instance count must be at least 1, got 0");

  cfg.roles = {role_cfg("Web", 1)};
  res = build_instances(def, cfg, "v1", 0);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.err().message, "fault domain count must be at least 1, got 0");

  def.upgrade_domain_count = 21;
  res = build_instances(def, cfg, "v1", 2);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.err().message, "upgradeDomainCount must be between 1 and 20, got 21");
}

TEST(placement, scale_out_appends_next_indexes_round_robin) {
  service_definition def;
  def.upgrade_domain_count = 2;
  def.roles = {role("Web"), role("Worker")};
  service_configuration cfg;
  cfg.roles = {role_cfg("Web", 3), role_cfg("Worker", 1)};
  auto base = build_instances(def, cfg, "v1", 2);
  ASSERT_TRUE(base.ok());
  auto out = scale_role(*base, "Web", 5, 2, 2, "v2");
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[3].name, "Web_IN_3");
  EXPECT_EQ(out[3].upgrade_domain, 1);
  EXPECT_EQ(out[3].fault_domain, 1);
  EXPECT_EQ(out[3].version, "v2");
  EXPECT_EQ(out[4].name, "Web_IN_4");
  EXPECT_EQ(out[4].upgrade_domain, 0);
  EXPECT_EQ(out[5].name, "Worker_IN_0"); // role order kept
}

TEST(placement, scale_in_removes_highest_indexes) {
  std::vector<instance> xs = {unplaced("Web", 0), unplaced("Web", 1), unplaced("Web", 2),
                              unplaced("Web", 3), unplaced("Worker", 0)};
  auto out = scale_role(xs, "Web", 2, 5, 2, "v1");
  std::vector<std::string> names;
  for (const auto& x : out)
    names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Web_IN_0", "Web_IN_1", "Worker_IN_0"}));
  // Scaling out after a scale-in reuses nothing above the highest live index.
  out = scale_role(out, "Web", 3, 5, 2, "v1");
  EXPECT_EQ(out[2].name, "Web_IN_2");
}

TEST(placement, live_placement_spreads_a_role_over_fault_domains) {
  std::vector<instance> xs = {unplaced("Web", 0), unplaced("Web", 1), unplaced("Web", 2),
                              unplaced("Web", 3)};
  std::vector<node_capacity> nodes = {
    {"rack0-a", 0, 10, 0}, {"rack0-b", 0, 10, 0}, {"rack1-a", 1, 10, 0}};
  auto res = place_instances(xs, nodes);
  ASSERT_TRUE(res.ok()) << res.err().message;
  std::vector<std::string> got;
  for (const auto& a : *res)
    got.push_back(a.instance + "@" + a.node + "/fd" + std::to_string(a.fault_domain));
  EXPECT_EQ(got, (std::vector<std::string>{"Web_IN_0@rack0-a/fd0", "Web_IN_1@rack1-a/fd1",
                                           "Web_IN_2@rack0-b/fd0", "Web_IN_3@rack1-a/fd1"}));
}

TEST(placement, existing_instances_keep_their_place_and_count_for_balance) {
  auto a = unplaced("Web", 0);
  a.node = "n0";
  a.fault_domain = 0;
  auto b = unplaced("Web", 1);
  b.node = "n0";
  b.fault_domain = 0;
  std::vector<instance> xs = {a, b, unplaced("Web", 2)};
  std::vector<node_capacity> nodes = {{"n0", 0, 10, 2}, {"n1", 1, 10, 5}};
  auto res = place_instances(xs, nodes);
  ASSERT_TRUE(res.ok());
  ASSERT_EQ(res->size(), 1u); // only the unplaced one
  EXPECT_EQ((*res)[0].instance, "Web_IN_2");
  EXPECT_EQ((*res)[0].node, "n1"); // FD balance beats the lighter node
}

TEST(placement, second_instance_takes_the_only_other_fd_with_room) {
  // FD 0's node is nearly full and FD 1's node takes one instance only: the
  // role still gets both FDs.
  std::vector<instance> xs = {unplaced("Web", 0), unplaced("Web", 1)};
  std::vector<node_capacity> nodes = {{"a", 0, 5, 4}, {"b", 1, 1, 0}};
  auto res = place_instances(xs, nodes);
  ASSERT_TRUE(res.ok());
  std::set<int> fds;
  for (const auto& p : *res)
    fds.insert(p.fault_domain);
  EXPECT_EQ(fds.size(), 2u);
}

TEST(placement, no_capacity_is_an_error_and_names_the_instance) {
  std::vector<instance> xs = {unplaced("Web", 0), unplaced("Web", 1), unplaced("Web", 2)};
  std::vector<node_capacity> nodes = {{"a", 0, 1, 0}, {"b", 1, 2, 1}};
  auto res = place_instances(xs, nodes);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.err().message,
            "no capacity: cannot place instance 'Web_IN_2': 2 live node(s) with 2 free slot(s) "
            "in total for 3 unplaced instance(s)");
  res = place_instances(xs, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.err().message,
            "no capacity: cannot place instance 'Web_IN_0': 0 live node(s) with 0 free slot(s) "
            "in total for 3 unplaced instance(s)");
}

// -- properties over seeded random inputs -------------------------------------

TEST(placement_property, random_clusters) {
  std::mt19937 rng(20110130);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int iter = 0; iter < 300; ++iter) {
    // A random service model.
    service_definition def;
    def.upgrade_domain_count = pick(1, 20);
    service_configuration cfg;
    int roles = pick(1, 4);
    int total = 0;
    for (int r = 0; r < roles; ++r) {
      std::string name = "R" + std::to_string(r);
      def.roles.push_back(role(name));
      int count = pick(1, 12);
      total += count;
      cfg.roles.push_back(role_cfg(name, count));
    }
    int fds = pick(1, 5);
    auto built = build_instances(def, cfg, "v1", fds);
    ASSERT_TRUE(built.ok()) << built.err().message;
    // UD = index mod U; static FD = index mod F.
    for (const auto& x : *built) {
      ASSERT_EQ(x.upgrade_domain, x.index % def.upgrade_domain_count);
      ASSERT_EQ(x.fault_domain, x.index % fds);
    }
    // A random live cluster: every FD gets 1..3 nodes. With `ample` every FD
    // alone could host every instance; otherwise capacities are random.
    bool ample = iter % 2 == 0;
    std::vector<node_capacity> nodes;
    for (int fd = 0; fd < fds; ++fd) {
      int per_fd = pick(1, 3);
      for (int k = 0; k < per_fd; ++k) {
        node_capacity n;
        n.name = "node-" + std::to_string(fd) + "-" + std::to_string(k);
        n.fault_domain = fd;
        n.capacity = ample ? total : pick(0, 6);
        n.load = ample ? 0 : pick(0, n.capacity);
        nodes.push_back(n);
      }
    }
    std::shuffle(nodes.begin(), nodes.end(), rng); // input order must not matter
    auto res = place_instances(*built, nodes);
    // Deterministic.
    auto again = place_instances(*built, nodes);
    ASSERT_EQ(res.ok(), again.ok());
    if (!res.ok()) {
      ASSERT_FALSE(ample);
      long long free_total = 0;
      for (const auto& n : nodes)
        free_total += n.capacity - n.load;
      ASSERT_LT(free_total, total) << "refused although there was room";
      continue;
    }
    ASSERT_EQ(res->size(), again->size());
    for (size_t i = 0; i < res->size(); ++i) {
      ASSERT_EQ((*res)[i].instance, (*again)[i].instance);
      ASSERT_EQ((*res)[i].node, (*again)[i].node);
    }
    ASSERT_EQ(res->size(), built->size());
    // Capacity respected; the FD reported is the node's.
    std::map<std::string, int> extra;
    for (const auto& a : *res)
      ++extra[a.node];
    for (const auto& n : nodes)
      ASSERT_LE(n.load + extra[n.name], n.capacity) << n.name;
    for (const auto& a : *res) {
      auto n = std::find_if(nodes.begin(), nodes.end(),
                            [&](const node_capacity& x) { return x.name == a.node; });
      ASSERT_NE(n, nodes.end());
      ASSERT_EQ(n->fault_domain, a.fault_domain);
    }
    if (!ample)
      continue;
    // Spread: >= 2 FDs for every role with >= 2 instances when >= 2 FDs exist,
    // and per role the FD counts differ by at most one.
    std::map<std::string, std::map<int, int>> per_role;
    std::map<std::string, int> counts;
    for (const auto& a : *res) {
      auto role_name = a.instance.substr(0, a.instance.find("_IN_"));
      ++per_role[role_name][a.fault_domain];
      ++counts[role_name];
    }
    for (const auto& [r, by_fd] : per_role) {
      if (counts[r] >= 2 && fds >= 2) {
        ASSERT_GE(by_fd.size(), 2u) << "role " << r << " iteration " << iter;
      }
      int lo = counts[r], hi = 0;
      for (int fd = 0; fd < fds; ++fd) {
        auto it = by_fd.find(fd);
        int c = it == by_fd.end() ? 0 : it->second;
        lo = std::min(lo, c);
        hi = std::max(hi, c);
      }
      ASSERT_LE(hi - lo, 1) << "role " << r << " iteration " << iter;
    }
  }
}

TEST(placement_property, two_fds_whenever_two_fds_have_room) {
  // Tight clusters: a single role, random capacities. Whenever two FDs have
  // room for one more instance each, a role of >= 2 instances spans both.
  std::mt19937 rng(42);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int iter = 0; iter < 300; ++iter) {
    int count = pick(2, 8);
    std::vector<instance> xs;
    for (int i = 0; i < count; ++i)
      xs.push_back(unplaced("Web", i));
    std::vector<node_capacity> nodes;
    int fds = pick(2, 4);
    std::map<int, int> free_by_fd;
    for (int fd = 0; fd < fds; ++fd)
      for (int k = 0; k < pick(1, 2); ++k) {
        node_capacity n{"n" + std::to_string(fd) + std::to_string(k), fd, pick(0, 4), 0};
        n.load = pick(0, n.capacity);
        free_by_fd[fd] += n.capacity - n.load;
        nodes.push_back(n);
      }
    int fds_with_room = 0, free_total = 0;
    for (const auto& [fd, f] : free_by_fd) {
      fds_with_room += f > 0 ? 1 : 0;
      free_total += f;
    }
    auto res = place_instances(xs, nodes);
    ASSERT_EQ(res.ok(), free_total >= count) << iter;
    if (!res.ok() || fds_with_room < 2)
      continue;
    std::set<int> used;
    for (const auto& a : *res)
      used.insert(a.fault_domain);
    ASSERT_GE(used.size(), 2u) << iter;
  }
}
