// fabricctl's offline commands, run as the real binary.
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using nlohmann::json;

namespace {

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

const std::string data = FABRIC_TEST_DATA;
const std::string samples = data + "/service-models/";

std::string sample(const std::string& prefix, const std::string& suffix) {
  return samples + prefix + suffix;
}

run_result fabricctl(const std::string& args) {
  // ctest runs the cases as parallel processes: one stderr file per process and call.
  static int calls = 0;
  std::string err_file = testing::TempDir() + "fabricctl_stderr_" + std::to_string(getpid()) + "_"
                         + std::to_string(calls++) + ".txt";
  std::string cmd = std::string{FABRIC_BIN_DIR} + "/fabricctl " + args + " 2>" + err_file;
  run_result r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in{err_file};
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  std::remove(err_file.c_str());
  return r;
}

std::string pair_args(const std::string& csdef, const std::string& cscfg) {
  return "--csdef '" + csdef + "' --cscfg '" + cscfg + "'";
}

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + std::to_string(getpid()) + "_" + name;
  std::ofstream{path} << text;
  return path;
}

} // namespace

TEST(FabricctlPlan, DomainMatrixExampleFlagsTheStepOfUpgradeDomainOne) {
  auto r = fabricctl("plan " + pair_args(data + "/models/three-ud.csdef", data + "/models/three-ud.cscfg")
                     + " --fault-domains 2 --output json");
  ASSERT_EQ(r.exit_code, 3) << r.err;
  auto j = json::parse(r.out);
  ASSERT_EQ(j["instances"].size(), 3u);
  EXPECT_EQ(j["instances"][0], (json{{"name", "Web_IN_0"}, {"role", "Web"}, {"upgrade_domain", 0}, {"fault_domain", 0}}));
  EXPECT_EQ(j["instances"][1], (json{{"name", "Web_IN_1"}, {"role", "Web"}, {"upgrade_domain", 1}, {"fault_domain", 1}}));
  EXPECT_EQ(j["instances"][2], (json{{"name", "Web_IN_2"}, {"role", "Web"}, {"upgrade_domain", 2}, {"fault_domain", 0}}));
  ASSERT_EQ(j["steps"].size(), 3u);
  EXPECT_EQ(j["steps"][0]["at_risk"], false);
  EXPECT_EQ(j["steps"][1]["upgrade_domain"], 1);
  EXPECT_EQ(j["steps"][1]["down"], json::array({"Web_IN_1"}));
  EXPECT_EQ(j["steps"][1]["capacity"]["Web"], 2);
  EXPECT_EQ(j["steps"][1]["capacity_if_fault_domain_lost"]["Web"], 0);
  EXPECT_EQ(j["steps"][1]["at_risk"], true);
  EXPECT_EQ(j["steps"][2]["at_risk"], false);
  EXPECT_EQ(j["steps"][2]["capacity_if_fault_domain_lost"]["Web"], 1);
}

TEST(FabricctlPlan, CustomOrderIsWalkedInThatOrder) {
  auto r = fabricctl("plan " + pair_args(data + "/models/three-ud.csdef", data + "/models/three-ud.cscfg")
                     + " --order 2,0,1 -o json");
  ASSERT_EQ(r.exit_code, 3) << r.err;
  auto j = json::parse(r.out);
  ASSERT_EQ(j["steps"].size(), 3u);
  EXPECT_EQ(j["steps"][0]["upgrade_domain"], 2);
  EXPECT_EQ(j["steps"][1]["upgrade_domain"], 0);
  EXPECT_EQ(j["steps"][2]["upgrade_domain"], 1);
  EXPECT_EQ(j["steps"][2]["at_risk"], true);
}

TEST(FabricctlPlan, ThreeFaultDomainsMakeTheWalkSafe) {
  // Instance k lives in UD k and FD k: with UD k down, losing any other FD
  // still leaves one instance.
  auto r = fabricctl("plan " + pair_args(data + "/models/three-ud.csdef", data + "/models/three-ud.cscfg")
                     + " --fault-domains 3 -o json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = json::parse(r.out);
  for (auto& s : j["steps"]) {
    EXPECT_EQ(s["capacity_if_fault_domain_lost"]["Web"], 1);
    EXPECT_EQ(s["at_risk"], false);
  }
}

TEST(FabricctlPlan, MinimumCapacityRaisesTheBar) {
  auto ok = fabricctl("plan " + pair_args(data + "/models/ten-web.csdef", data + "/models/ten-web.cscfg")
                      + " --fault-domains 3 -o json");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  auto j = json::parse(ok.out);
  ASSERT_EQ(j["steps"].size(), 5u);
  for (auto& s : j["steps"]) {
    EXPECT_EQ(s["capacity"]["Web"], 8);
    EXPECT_EQ(s["down"].size(), 2u);
  }
  auto strict = fabricctl("plan " + pair_args(data + "/models/ten-web.csdef", data + "/models/ten-web.cscfg")
                          + " --fault-domains 3 --min-capacity 6 -o json");
  EXPECT_EQ(strict.exit_code, 3);
}

TEST(FabricctlPlan, EveryRealSamplePlans) {
  struct sample_case {
    std::string prefix;
    std::string cscfg;
    std::size_t instances;
    std::size_t steps;
  };
  std::vector<sample_case> cases{
    {"Azure-Samples__cloud-services-dotnet-internal-load-balancer__CSharp__ilbsample__", "ServiceConfiguration.Cloud.cscfg", 3, 5},
    {"Azure-Samples__cloud-services-dotnet-multiple-websites-in-one-webrole__CSharp__MultiWebsitesOneWebRole__MultiWebsitesOneWebRole__", "ServiceConfiguration.Cloud.cscfg", 1, 5},
    {"MRCollective__AzureWebFarm__AzureWebFarm.Example.Cloud__", "ServiceConfiguration.Cloud.cscfg", 2, 5},
    {"cdrnet__lokad-cloud__Source__Lokad.Cloud__", "ServiceConfiguration.cscfg", 2, 1},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.prefix);
    auto r = fabricctl("plan " + pair_args(sample(c.prefix, "ServiceDefinition.csdef"), sample(c.prefix, c.cscfg))
                       + " -o json");
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.err;
    auto j = json::parse(r.out);
    EXPECT_EQ(j["instances"].size(), c.instances);
    EXPECT_EQ(j["steps"].size(), c.steps);
    for (auto& i : j["instances"]) {
      auto name = i["name"].get<std::string>();
      auto n = std::stoi(name.substr(name.rfind("_IN_") + 4));
      EXPECT_EQ(i["upgrade_domain"].get<int>(), n % static_cast<int>(c.steps));
      EXPECT_EQ(i["fault_domain"].get<int>(), n % 2);
    }
  }
}

TEST(FabricctlPlan, TableOutputShowsGridAndWalk) {
  auto r = fabricctl("plan " + pair_args(data + "/models/three-ud.csdef", data + "/models/three-ud.cscfg"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.out.find("Web_IN_2"), std::string::npos);
  EXPECT_NE(r.out.find("AT RISK Web(FD 0)"), std::string::npos) << r.out;
}

TEST(FabricctlPlan, MalformedXmlIsExitTwoWithFileAndLine) {
  auto bad = write_temp("bad.csdef", "<?xml version=\"1.0\"?>\n<ServiceDefinition name=\"x\">\n  <WebRole name=\"a\">\n</ServiceDefinition>\n");
  auto r = fabricctl("plan " + pair_args(bad, data + "/models/three-ud.cscfg"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find(bad + ":"), std::string::npos) << r.err;
}

TEST(FabricctlPlan, RoleMismatchIsExitTwoNamingTheRole) {
  auto cfg = write_temp("other.cscfg", "<ServiceConfiguration serviceName=\"ThreeUd\"><Role name=\"Api\"><Instances count=\"2\"/></Role></ServiceConfiguration>");
  auto r = fabricctl("plan " + pair_args(data + "/models/three-ud.csdef", cfg));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Web"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Api"), std::string::npos) << r.err;
}

TEST(FabricctlPlan, MissingFileAndBadOrderAreExitTwo) {
  auto missing = fabricctl("plan --csdef /nonexistent.csdef --cscfg /nonexistent.cscfg");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent.csdef"), std::string::npos) << missing.err;
  auto order = fabricctl("plan " + pair_args(data + "/models/three-ud.csdef", data + "/models/three-ud.cscfg")
                         + " --order 0,7");
  EXPECT_EQ(order.exit_code, 2);
  EXPECT_NE(order.err.find("7"), std::string::npos) << order.err;
  auto role = fabricctl("plan " + pair_args(data + "/models/three-ud.csdef", data + "/models/three-ud.cscfg")
                        + " --role Nope");
  EXPECT_EQ(role.exit_code, 2);
  EXPECT_NE(role.err.find("Nope"), std::string::npos) << role.err;
}

TEST(FabricctlValidate, ValidPairReportsRoles) {
  auto r = fabricctl("validate " + pair_args(data + "/models/ten-web.csdef", data + "/models/ten-web.cscfg") + " -o json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["roles"][0]["instances"], 10);
  EXPECT_EQ(j["upgrade_domain_count"], 5);
}

TEST(FabricctlValidate, MissingSettingValueIsReported) {
  auto cfg = write_temp("nosetting.cscfg", "<ServiceConfiguration serviceName=\"TenWeb\"><Role name=\"Web\"><Instances count=\"2\"/></Role></ServiceConfiguration>");
  auto r = fabricctl("validate " + pair_args(data + "/models/ten-web.csdef", cfg) + " -o json");
  EXPECT_EQ(r.exit_code, 2);
  auto j = json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  ASSERT_GE(j["errors"].size(), 1u);
  EXPECT_NE(j["errors"][0]["message"].get<std::string>().find("Greeting"), std::string::npos);
}

namespace {

std::string ten_web_variant(const std::string& name, const std::string& from, const std::string& to) {
  std::ifstream in{data + "/models/ten-web.csdef"};
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  return write_temp(name, text);
}

std::string diff_args(const std::string& new_csdef) {
  return "diff " + pair_args(data + "/models/ten-web.csdef", data + "/models/ten-web.cscfg")
         + " --new-csdef '" + new_csdef + "' --new-cscfg '" + data + "/models/ten-web.cscfg' -o json";
}

} // namespace

TEST(FabricctlDiff, UpgradeDomainCountChangeNeedsSwapOrRedeploy) {
  auto r = fabricctl(diff_args(ten_web_variant("udc.csdef", "upgradeDomainCount=\"5\"", "upgradeDomainCount=\"4\"")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["paths"]["in_place"]["allowed"], false);
  EXPECT_EQ(j["paths"]["in_place"]["reasons"][0]["code"], "upgrade_domain_count_changed");
  EXPECT_EQ(j["paths"]["vip_swap"]["allowed"], true);
  EXPECT_EQ(j["paths"]["delete_and_deploy"]["allowed"], true);
}

TEST(FabricctlDiff, EndpointChangeRulesOutVipSwap) {
  auto r = fabricctl(diff_args(ten_web_variant(
    "ep.csdef", "<InputEndpoint name=\"http\" protocol=\"http\" port=\"80\" />",
    "<InputEndpoint name=\"http\" protocol=\"http\" port=\"80\" /><InputEndpoint name=\"https\" protocol=\"https\" port=\"443\" />")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["paths"]["in_place"]["allowed"], true);
  EXPECT_EQ(j["paths"]["vip_swap"]["allowed"], false);
  EXPECT_EQ(j["paths"]["vip_swap"]["reasons"][0]["code"], "endpoints_changed");
}

TEST(FabricctlDiff, VmSizeChangeIsInPlaceOnlyWithForce) {
  auto changed = ten_web_variant("vm.csdef", "vmsize=\"Small\"", "vmsize=\"Large\"");
  auto plain = json::parse(fabricctl(diff_args(changed)).out);
  EXPECT_EQ(plain["paths"]["in_place"]["allowed"], false);
  auto forced = json::parse(fabricctl(diff_args(changed) + " --force").out);
  EXPECT_EQ(forced["paths"]["in_place"]["allowed"], true);
  EXPECT_EQ(forced["paths"]["in_place"]["needs_force"], true);
}

TEST(FabricctlDiff, OnlyRedeployLeftIsExitThree) {
  // A new endpoint (no VIP swap) and a new UD count (not in place).
  auto both = ten_web_variant("both.csdef", "upgradeDomainCount=\"5\"", "upgradeDomainCount=\"3\"");
  std::ifstream in{both};
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  auto at = text.find("</Endpoints>");
  text.insert(at, "<InputEndpoint name=\"admin\" protocol=\"tcp\" port=\"8080\" />");
  auto path = write_temp("both2.csdef", text);
  auto r = fabricctl(diff_args(path));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["paths"]["delete_and_deploy"]["allowed"], true);
}

TEST(FabricctlDiff, UnchangedModelAllowsEveryPath) {
  auto r = fabricctl(diff_args(data + "/models/ten-web.csdef"));
  ASSERT_EQ(r.exit_code, 0);
  auto j = json::parse(r.out);
  EXPECT_EQ(j["unchanged"], true);
  EXPECT_EQ(j["paths"]["in_place"]["allowed"], true);
  EXPECT_EQ(j["paths"]["vip_swap"]["allowed"], true);
}
