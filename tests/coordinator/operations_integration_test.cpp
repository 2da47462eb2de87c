// Deployment operations on real processes: VIP swap (the slots exchange their
// deployments, the instances see their new slot in their role environment,
// swapping again restores them), staging deploy plus swap for a change an
// in-place upgrade refuses, scale out and in, and bad input to every route of
// coordinator/plans.hpp (refused with the reason, nothing changed).

#include <gtest/gtest.h>

#include <set>

#include "tests/coordinator/operations_cluster.hpp"

namespace fabric {
namespace {

using namespace std::chrono_literals;
using testing::wait_until;

struct operations : testing::operations_cluster {
  std::string csdef_five, csdef_three, cscfg_two, cscfg_three;

  void SetUp() override {
    csdef_five = data_dir + "/models/ten-web.csdef";    // upgradeDomainCount 5
    csdef_three = data_dir + "/models/three-ud.csdef";  // upgradeDomainCount 3
    cscfg_two = write_file("two.cscfg", R"(<ServiceConfiguration serviceName="TenWeb">
  <Role name="Web"><Instances count="2" />
    <ConfigurationSettings><Setting name="Greeting" value="hello" /></ConfigurationSettings>
  </Role>
</ServiceConfiguration>)");
    cscfg_three = data_dir + "/models/three-ud.cscfg";
  }

  void deploy(const std::string& slot, const std::string& name, const std::string& csdef,
              const std::string& cscfg) {
    std::string out;
    ASSERT_EQ(ctl({"deploy", "--service", "svc", "--slot", slot, "--csdef", csdef, "--cscfg",
                   cscfg, "--image", "tiny", "--name", name, "--wait", "--timeout", "60"},
                  &out),
              0)
      << out;
  }

  /// GET /role-environment on an instance's own port ("host:port"); null when
  /// it does not answer 200.
  nlohmann::json role_environment(const std::string& endpoint) {
    auto colon = endpoint.rfind(':');
    if (colon == std::string::npos)
      return nullptr;
    httplib::Client c(endpoint.substr(0, colon), std::stoi(endpoint.substr(colon + 1)));
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(5, 0);
    auto r = c.Get("/role-environment");
    if (!r || r->status != 200)
      return nullptr;
    return nlohmann::json::parse(r->body);
  }

  /// The slot each instance of `slot`'s deployment sees in its role environment.
  std::set<std::string> seen_slots(const std::string& slot) {
    std::set<std::string> out;
    auto d = deployment(slot);
    for (auto& i : d["instances"]) {
      auto env = role_environment(i["endpoint"].get<std::string>());
      out.insert(env.is_null() ? "?" : env["slot"].get<std::string>());
    }
    return out;
  }

  /// What a slot serves, independent of the slot's name: the deployment (name,
  /// upgrade domain count) and, per instance, its node, its endpoint and the
  /// deployment and instance the process at that endpoint says it runs. Equal
  /// before and after a VIP swap on the other slot means the same processes
  /// (same ports, no restart) now answer for this slot.
  nlohmann::json served(const std::string& slot) {
    auto d = deployment(slot);
    nlohmann::json instances = nlohmann::json::object();
    for (auto& i : d["instances"]) {
      auto endpoint = i["endpoint"].get<std::string>();
      auto env = role_environment(endpoint);
      instances[i["name"].get<std::string>()] = {
        {"node", i["node"]},
        {"endpoint", endpoint},
        {"runs", env.is_null() ? nlohmann::json(nullptr)
                               : nlohmann::json{env["deployment"], env["instance_id"]}}};
    }
    return {{"deployment", d["name"]},
            {"upgrade_domain_count", d["upgrade_domain_count"]},
            {"instances", instances}};
  }
};

TEST_F(operations, vip_swap_exchanges_the_slots_and_swapping_again_restores_them) {
  start_cluster(2);
  // Blue in production; green, with another upgrade domain count (a change an
  // in-place upgrade refuses), in staging.
  deploy("production", "blue", csdef_five, cscfg_two);
  deploy("staging", "green", csdef_three, cscfg_three);
  ASSERT_TRUE(wait_until([&] { return all_ready("production", 2) && all_ready("staging", 3); },
                         20s));
  EXPECT_EQ(seen_slots("production"), (std::set<std::string>{"production"}));
  EXPECT_EQ(seen_slots("staging"), (std::set<std::string>{"staging"}));
  auto blue = served("production"), green = served("staging");
  ASSERT_EQ(blue["deployment"], "blue") << blue.dump(1);
  ASSERT_EQ(green["deployment"], "green") << green.dump(1);
  // Each port is served by its own instance (id "<deployment>.<instance>").
  for (auto* s : {&blue, &green})
    for (auto& [name, i] : (*s)["instances"].items()) {
      auto dep = (*s)["deployment"].get<std::string>();
      ASSERT_EQ(i["runs"], (nlohmann::json{dep, dep + "." + name})) << s->dump(1);
    }

  // The slots exchange what they serve: production is now exactly what staging
  // served (same deployment, same instances on the same nodes and ports, the
  // same processes answering there: no restart) and staging what production
  // served; only the slot each instance sees changes.
  std::string out;
  ASSERT_EQ(ctl({"swap", "--service", "svc", "--wait"}, &out), 0) << out;
  EXPECT_NE(out.find("production -> green, staging -> blue"), std::string::npos) << out;
  ASSERT_TRUE(wait_until([&] { return all_ready("production", 3) && all_ready("staging", 2); },
                         20s));
  EXPECT_EQ(served("production"), green) << served("production").dump(1);
  EXPECT_EQ(served("staging"), blue) << served("staging").dump(1);
  EXPECT_EQ(seen_slots("production"), (std::set<std::string>{"production"}));
  EXPECT_EQ(seen_slots("staging"), (std::set<std::string>{"staging"}));

  // Swapping again restores the original assignment, still with no restart.
  ASSERT_EQ(ctl({"swap", "--service", "svc", "--wait", "--output", "json"}, &out), 0) << out;
  ASSERT_TRUE(wait_until([&] { return all_ready("production", 2) && all_ready("staging", 3); },
                         20s));
  EXPECT_EQ(served("production"), blue) << served("production").dump(1);
  EXPECT_EQ(served("staging"), green) << served("staging").dump(1);
  EXPECT_EQ(seen_slots("production"), (std::set<std::string>{"production"}));
  EXPECT_EQ(seen_slots("staging"), (std::set<std::string>{"staging"}));
}

TEST_F(operations, swap_refused_when_the_endpoints_differ) {
  start_cluster(1);
  deploy("production", "blue", csdef_five, cscfg_two);
  std::string two_endpoints;
  {
    std::ifstream in(csdef_five);
    two_endpoints.assign(std::istreambuf_iterator<char>(in), {});
  }
  two_endpoints.insert(two_endpoints.find("</Endpoints>"),
                       "<InputEndpoint name=\"admin\" protocol=\"tcp\" port=\"8080\" />\n");
  deploy("staging", "green", write_file("two-endpoints.csdef", two_endpoints), cscfg_two);
  auto before = get("/fabric/v1/services/svc");
  std::string out;
  EXPECT_EQ(ctl({"swap", "--service", "svc"}, &out), 1) << out;
  EXPECT_NE(out.find("endpoints_changed"), std::string::npos) << out;
  EXPECT_EQ(get("/fabric/v1/services/svc"), before);
}

TEST_F(operations, scale_out_and_in_and_new_settings_reach_the_instances) {
  start_cluster(2);
  deploy("production", "blue", csdef_five, cscfg_two);
  std::string out;
  ASSERT_EQ(ctl({"scale", "--service", "svc", "--slot", "production", "--role", "Web",
                 "--count", "4", "--wait"},
                &out),
            0)
    << out;
  ASSERT_TRUE(wait_until([&] { return all_ready("production", 4); }, 20s))
    << deployment().dump(1);
  auto d = deployment();
  std::set<int> fds;
  for (auto& i : d["instances"]) {
    auto idx = std::stoi(i["name"].get<std::string>().substr(7));
    EXPECT_EQ(i["upgrade_domain"], idx % 5);
    fds.insert(i["fault_domain"].get<int>());
  }
  EXPECT_EQ(fds.size(), 2u);

  // A new setting value and two instances fewer.
  auto cfg = write_file("hola.cscfg", R"(<ServiceConfiguration serviceName="TenWeb">
  <Role name="Web"><Instances count="2" />
    <ConfigurationSettings><Setting name="Greeting" value="hola" /></ConfigurationSettings>
  </Role>
</ServiceConfiguration>)");
  ASSERT_EQ(ctl({"config", "set", "--service", "svc", "--slot", "production", "--cscfg", cfg,
                 "--wait"},
                &out),
            0)
    << out;
  EXPECT_NE(out.find("2 removed"), std::string::npos) << out;
  ASSERT_TRUE(wait_until([&] { return all_ready("production", 2); }, 20s));
  auto c = instance_client("Web_IN_0");
  auto env = c.Get("/role-environment");
  ASSERT_TRUE(env);
  EXPECT_EQ(nlohmann::json::parse(env->body)["settings"]["Greeting"], "hola");
  ASSERT_EQ(ctl({"config", "get", "--service", "svc", "--slot", "production"}, &out), 0);
  EXPECT_NE(out.find("value=\"hola\""), std::string::npos) << out;
  EXPECT_NE(out.find("count=\"2\""), std::string::npos) << out;
}

TEST_F(operations, bad_input_to_every_route_is_refused_and_changes_nothing) {
  start_cluster(1);
  deploy("production", "blue", csdef_five, cscfg_two);
  ASSERT_TRUE(wait_until([&] { return all_ready("production", 2); }, 20s));
  auto before = deployment();
  auto services_before = get("/fabric/v1/services");
  const std::string dep = "/fabric/v1/services/svc/deployments/production";
  struct bad {
    std::string method, path, body;
    int status;
    std::string message_part;
  };
  std::vector<bad> cases{
    {"POST", "/fabric/v1/services/nosuch/swap", "", 404, "hosted service 'nosuch' does not exist"},
    {"POST", dep + "/status", "{\"status\": ", 400, "not a JSON object"},
    {"POST", dep + "/status", R"({"status":"Sleeping"})", 400, "unknown status 'Sleeping'"},
    {"POST", "/fabric/v1/services/svc/deployments/prod/status", R"({"status":"Running"})", 400,
     "unknown slot 'prod'"},
    {"POST", "/fabric/v1/services/svc/deployments/staging/status", R"({"status":"Running"})",
     404, "no deployment in svc/staging"},
    {"POST", dep + "/roleinstances/Web_IN_7/reboot", "", 404, "no role instance 'Web_IN_7'"},
    {"POST", dep + "/roleinstances/Web_IN_7/reimage", "", 404, "no role instance 'Web_IN_7'"},
    {"POST", "/fabric/v1/services/nosuch/deployments/production/roleinstances/Web_IN_0/rebuild",
     "", 404, "'nosuch'"},
    {"PUT", dep + "/configuration", "<ServiceConfiguration><Role name=", 400,
     "ServiceConfiguration.cscfg"},
    {"PUT", dep + "/configuration",
     R"(<ServiceConfiguration><Role name="Web"><Instances count="-3"/><ConfigurationSettings><Setting name="Greeting" value="x"/></ConfigurationSettings></Role></ServiceConfiguration>)",
     400, "ServiceConfiguration.cscfg"},
    {"GET", "/fabric/v1/services/svc/deployments/prod/configuration", "", 400,
     "unknown slot 'prod'"},
    {"PUT", dep + "/reboot-quirk", "not json", 400, "not a JSON object"},
    {"PUT", dep + "/reboot-quirk", R"({"probability": -0.5})", 400, "between 0 and 1"},
    {"PUT", dep + "/reboot-quirk", R"({"probability": 0.5, "instance": "Web_IN_9"})", 404,
     "no role instance 'Web_IN_9'"},
    {"POST", dep + "/redeploy", "{\"image\": 3", 400, "not a JSON object"},
    {"POST", dep + "/redeploy", R"({"image": "nosuch"})", 400, "unknown image 'nosuch'"},
  };
  for (auto& c : cases) {
    auto [status, body] = call(c.method, c.path, c.body);
    EXPECT_EQ(status, c.status) << c.method << " " << c.path << " " << c.body << ": "
                                << body.dump();
    auto msg = body.is_object() && body.contains("error")
                 ? body["error"]["message"].get<std::string>()
                 : std::string();
    EXPECT_NE(msg.find(c.message_part), std::string::npos) << c.path << ": " << msg;
  }
  // fabricctl: the API's message on stderr, exit status 1 (2 for local input).
  std::string out;
  EXPECT_EQ(ctl({"reboot", "--service", "svc", "--slot", "production", "--instance", "Nope"},
                &out),
            1);
  EXPECT_NE(out.find("no role instance 'Nope'"), std::string::npos) << out;
  EXPECT_EQ(ctl({"scale", "--service", "svc", "--slot", "production", "--role", "Web",
                 "--count", "-1"},
                &out),
            1);
  EXPECT_NE(out.find("ServiceConfiguration.cscfg"), std::string::npos) << out;
  EXPECT_EQ(ctl({"scale", "--service", "svc", "--slot", "production", "--role", "Api",
                 "--count", "3"},
                &out),
            2);
  EXPECT_NE(out.find("no role 'Api'"), std::string::npos) << out;
  EXPECT_EQ(ctl({"quirk", "--service", "svc", "--slot", "staging", "--probability", "1"}, &out),
            1);
  EXPECT_NE(out.find("no deployment in svc/staging"), std::string::npos) << out;
  EXPECT_EQ(ctl({"swap", "--service", "nosuch"}, &out), 1);
  EXPECT_NE(out.find("does not exist"), std::string::npos) << out;
  EXPECT_EQ(ctl({"config", "set", "--service", "svc", "--slot", "production", "--cscfg",
                 dir + "/missing.cscfg"},
                &out),
            2);
  EXPECT_NE(out.find("cannot read"), std::string::npos) << out;

  EXPECT_EQ(deployment(), before);
  EXPECT_EQ(get("/fabric/v1/services"), services_before);
}

} // namespace
} // namespace fabric

namespace fabric {
namespace {

// A node process that restarts (kill -9, started again on the same data dir
// before it is declared down) keeps every instance it held, with its OS-disk
// layer and local storage: same node, same files.
TEST_F(operations, a_node_restart_keeps_its_instances_and_their_disks) {
  start_cluster(1);
  deploy("production", "blue", csdef_five, cscfg_two);
  ASSERT_TRUE(wait_until([&] { return all_ready("production", 2); }, 20s));
  std::vector<std::string> names;
  auto before = deployment();
  for (auto& i : before["instances"]) {
    std::string name = i["name"];
    names.push_back(name);
    auto c = instance_client(name);
    auto os = c.Put("/disk/os/keep/os.txt", "os " + name, "text/plain");
    auto local = c.Put("/disk/local/scratch/keep/local.txt", "local " + name, "text/plain");
    ASSERT_TRUE(os && os->status < 300 && local && local->status < 300) << name;
  }

  nodes["n0"].kill_and_wait();
  start_node("n0", 0);
  ASSERT_TRUE(wait_until([&] { return all_ready("production", 2); }, 20s))
    << deployment().dump(1);
  EXPECT_EQ(node_state("n0"), "up");
  auto after = deployment();
  for (std::size_t k = 0; k < names.size(); ++k) {
    EXPECT_EQ(after["instances"][k]["node"], "n0");
    auto c = instance_client(names[k]);
    auto os = c.Get("/disk/os/keep/os.txt");
    auto local = c.Get("/disk/local/scratch/keep/local.txt");
    ASSERT_TRUE(os && local) << names[k];
    EXPECT_EQ(os->status, 200) << names[k];
    EXPECT_EQ(os->body, "os " + names[k]);
    EXPECT_EQ(local->status, 200) << names[k];
    EXPECT_EQ(local->body, "local " + names[k]);
  }
}

} // namespace
} // namespace fabric
