// Fuzzes the Service Management API's XML request parsers
// (sm_api/requests.hpp) and the base64 Configuration decoder. The first
// byte picks the parser, the rest is the request body.
//
// Properties: no crash, no UB, no leak; a decoded Configuration is a valid
// .cscfg (its UTF-8 text parses again).

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "model/service_model_parser.hpp"
#include "sm_api/base64.hpp"
#include "sm_api/requests.hpp"

using namespace fabric;
using namespace fabric::sm_api;

namespace {

const char* const ns = R"( xmlns="http://schemas.microsoft.com/windowsazure">)";
const char* const cscfg = R"(<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="svc" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="WebRole1"><Instances count="2" /><ConfigurationSettings><Setting name="a" value="b"/></ConfigurationSettings></Role>
</ServiceConfiguration>)";

std::string doc(const std::string& root, const std::string& inner) {
  return R"(<?xml version="1.0" encoding="utf-8" standalone="yes"?><)" + root + ns + inner + "</"
         + root + ">";
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::seeds_if_asked([](const std::filesystem::path& dir) {
    auto label = "<Label>" + base64_encode("my label") + "</Label>";
    auto config = "<Configuration>" + base64_encode(cscfg) + "</Configuration>";
    const std::string bodies[] = {
      doc("CreateHostedService", "<ServiceName>svc1</ServiceName>" + label
                                   + "<Description>d</Description><Location>West US</Location>"),
      doc("CreateDeployment", "<Name>dep</Name><PackageUrl>pkg</PackageUrl>" + label + config
                                + "<StartDeployment>true</StartDeployment>"
                                  "<TreatWarningsAsError>false</TreatWarningsAsError>"),
      doc("UpgradeDeployment", "<Mode>Auto</Mode><PackageUrl>pkg</PackageUrl>" + config + label
                                 + "<RoleToUpgrade>WebRole1</RoleToUpgrade><Force>true</Force>"),
      doc("WalkUpgradeDomain", "<UpgradeDomain>1</UpgradeDomain>"),
      doc("ChangeConfiguration", config + "<TreatWarningsAsError>false</TreatWarningsAsError>"
                                   "<Mode>Manual</Mode>"),
      doc("UpdateDeploymentStatus", "<Status>Running</Status>"),
      doc("Swap", "<Production>a</Production><SourceDeployment>b</SourceDeployment>"),
      doc("RollbackUpdateOrUpgrade", "<Mode>Auto</Mode><Force>false</Force>"),
      doc("RoleInstances", "<Name>WebRole1_IN_0</Name><Name>WebRole1_IN_1</Name>"),
      base64_encode(cscfg),
    };
    for (std::size_t i = 0; i < std::size(bodies); ++i)
      fuzz::write_seed(dir, "body-" + std::to_string(i), std::string(1, static_cast<char>(i)) + bodies[i]);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 10) {
    case 0: (void) parse_create_hosted_service(body); break;
    case 1: (void) parse_create_deployment(body); break;
    case 2: (void) parse_upgrade_deployment(body); break;
    case 3: (void) parse_walk_upgrade_domain(body); break;
    case 4: (void) parse_change_configuration(body); break;
    case 5: (void) parse_update_deployment_status(body); break;
    case 6: (void) parse_swap(body); break;
    case 7: (void) parse_rollback(body); break;
    case 8: (void) parse_delete_role_instances(body); break;
    case 9: {
      auto c = decode_configuration(body);
      if (c) {
        auto again = model::parse_service_configuration(c->text, "again.cscfg");
        fuzz::fuzz_check(again.ok(), "a decoded Configuration does not parse again");
      }
      break;
    }
  }
  return 0;
}
