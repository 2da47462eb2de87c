#pragma once

// The legacy Service Management REST API served by the coordinator: the HTTP
// routing between the real SDKs (Python azure-servicemanagement-legacy,
// Node azure-asm-compute) and the controller. It parses request bodies and
// renders responses with fabric::sm_xml (sm_api/*.hpp), builds the
// controller's typed requests (coordinator/requests.hpp) straight from its
// parsed XML structs and runs them with controller::start_operation (as an
// api_call on the controller actor); a refusal (request_error) maps to the
// SM XML error. No JSON in between, no business logic of its own beyond
// translating names.
//
// Served on the coordinator's API listener (--api-listen) beside
// /fabric/v1/..., under
//   /<subscription-id>/services/hostedservices[/...]
//   /<subscription-id>/operations/<request-id>
// (sm_api/server/README.md has the route table). Rules applied to every
// request under those paths, in this order:
//   1. every response carries `x-ms-request-id` (32 lowercase hex, from a
//      seeded generator), and GET /<sub>/operations/<id> answers for every
//      id handed out (synchronous calls and errors included: Succeeded with
//      their status, or Failed with their error);
//   2. another subscription id: 403 AuthenticationFailed;
//   3. a missing x-ms-version, or one that is not a date >= 2009-10-01:
//      400 MissingOrIncorrectVersionHeader;
//   4. a trailing '/' (and empty segments) in the path are ignored; slot
//      names match in any case.
// Status codes: 201 Create Hosted Service, 200 Delete Hosted Service and
// every GET, 202 every asynchronous deployment operation except Rollback by
// deployment name (200, as the Node SDK requires).
//
// Asynchronous operations: the request id maps to the controller operation
// it started and reports its status (InProgress / Succeeded / Failed, with
// the error). Exception, as on the platform: an Upgrade Deployment in Manual
// mode is Succeeded once accepted (the client then walks each upgrade domain,
// each walk its own operation).
//
// What the model does not keep is kept here, in memory: per deployment the
// .cscfg text the client sent (handed back while it still matches the
// model's configuration), the label of the latest upgrade, created and
// modified times; per hosted service its affinity group and times.
//
// Thread-safety: handle() may be called from any thread (httplib's workers);
// one mutex guards the tables above; the controller is reached only through
// its actor.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <httplib.h>

#include "sm_api/server/package_catalog.hpp"

namespace fabric::coordinator {
class controller;
class image_catalog;
} // namespace fabric::coordinator

namespace fabric::sm_server {

/// fabric-coordinator --subscription-id default.
inline constexpr const char* default_subscription_id = "00000000-0000-0000-0000-000000000000";

struct sm_config {
  std::string subscription_id = default_subscription_id;
  uint64_t seed = 0; ///< of the request id generator
  /// Request ids remembered for Get Operation Status (oldest forgotten first).
  std::size_t max_remembered_operations = 100000;
};

/// One HTTP request, as far as the facade looks at it.
struct sm_request {
  std::string method;
  std::string path; ///< without the query
  std::multimap<std::string, std::string> params;
  std::optional<std::string> x_ms_version;
  std::string host; ///< the Host header (for <Url>)
  std::string body;
};

struct sm_response {
  int status = 200;
  std::string body; ///< XML, or empty
  std::string request_id;
};

class sm_facade {
public:
  /// REQUIRES: `packages` (and `images`, may be null) outlive the facade.
  sm_facade(caf::actor_system& sys, caf::actor controller, package_catalog& packages,
            const coordinator::image_catalog* images, sm_config cfg);
  ~sm_facade();

  /// Adds the SM routes (every method under /<sub>/services and
  /// /<sub>/operations for any <sub>) and the package routes:
  ///   POST   /fabric/v1/packages/<name>  {"csdef", "image"}  201
  ///   GET    /fabric/v1/packages[/<name>]
  ///   DELETE /fabric/v1/packages/<name>
  /// REQUIRES: before the server starts.
  void add_routes(httplib::Server& server);

  sm_response handle(const sm_request& req);

  const sm_config& config() const { return cfg_; }

  struct impl;

private:
  std::unique_ptr<impl> impl_;
  sm_config cfg_;
};

} // namespace fabric::sm_server
