#pragma once

// The service model the benchmarks deploy: one web role "Web" with one HTTP
// input endpoint, `count` instances, `uds` upgrade domains.

#include <string>

namespace fabric::bench {

inline std::string web_role_csdef(const std::string& service, int uds) {
  return R"(<?xml version="1.0" encoding="utf-8"?>
<ServiceDefinition name=")" + service + R"(" upgradeDomainCount=")" + std::to_string(uds) + R"("
    xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition">
  <WebRole name="Web" vmsize="Small">
    <Endpoints><InputEndpoint name="http" protocol="http" port="80" /></Endpoints>
  </WebRole>
</ServiceDefinition>)";
}

inline std::string web_role_cscfg(const std::string& service, int count) {
  return R"(<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName=")" + service + R"("
    xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="Web"><Instances count=")" + std::to_string(count) + R"(" /></Role>
</ServiceConfiguration>)";
}

} // namespace fabric::bench
