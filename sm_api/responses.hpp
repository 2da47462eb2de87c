#pragma once

// Response bodies of the classic Service Management API, rendered from the
// deployment model plus the runtime data the model does not hold (addresses,
// ports, ids, times). Pure: no HTTP, no I/O, no clock, no randomness.
//
// Every body:
// - has the default namespace xmlns="http://schemas.microsoft.com/windowsazure"
//   on its root and no prefixed alias of it (Node's SDK looks elements up by it);
// - is compact (no indentation: minidom would read whitespace as text), with
//   no XML declaration, UTF-8;
// - uses the documented element casing (PrivateID, ID, IpAddress) and the
//   element order of the real service;
// - writes booleans as lowercase true/false, Label and Configuration base64.
//
// Deployment specifics: DeploymentSlot is "Production" / "Staging";
// <UpgradeStatus> appears only while model::deployment::upgrade is set;
// InstanceStatus is the platform's name of the model state; PowerState is
// derived from it (power_state_of).
//
// All functions are safe to call from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/deployment.hpp"
#include "model/result.hpp"
#include "model/service_configuration.hpp"
#include "model/service_model_writer.hpp"
#include "sm_api/sm_error.hpp"

namespace fabric::sm_api {

/// What the model does not know about one running instance.
struct instance_runtime {
  std::string ip_address; ///< the DIP / host; empty = <IpAddress> omitted
  /// Endpoint name -> the local port the instance listens on. An endpoint
  /// missing here reports the definition's localPort (or its port).
  std::map<std::string, int> ports;
  std::string state_details; ///< <InstanceStateDetails> text; may be empty
};

/// Instance name ("WebRole1_IN_0") -> its runtime data.
using instance_runtime_map = std::map<std::string, instance_runtime>;

/// Everything Get Deployment reports that is not in model::deployment.
struct deployment_view {
  std::string private_id; ///< 32 hex; empty = derive_private_id(service, deployment)
  /// <Url>; empty = http://<service>.cloudapp.net/ in production,
  /// http://<private id>.cloudapp.net/ in staging.
  std::string url;
  std::string vip; ///< the slot's VIP; empty = no <Vip> and no <VirtualIPs>
  /// The .cscfg text the client sent (configuration_payload::text). Empty =
  /// render_service_configuration(deployment.configuration).
  std::string configuration_text;
  std::string sdk_version; ///< <SdkVersion> text; may be empty
  bool locked = false;     ///< true while a mutating operation runs
  /// Empty = derived: an upgrade is in flight and is not itself a rollback.
  std::optional<bool> rollback_allowed;
  std::string created_time;       ///< "2011-05-03T12:00:00Z"; empty = omitted
  std::string last_modified_time; ///< same
  instance_runtime_map instances;
};

/// Everything a HostedService element reports that is not in the model.
struct hosted_service_view {
  std::string url;            ///< <Url> (the service's management URL); empty = omitted
  std::string affinity_group; ///< set instead of the model's location; empty = <Location>
  std::string status = "Created"; ///< Creating, Created, Deleting, Deleted, Changing, ResolvingDns
  std::string date_created;       ///< empty = omitted
  std::string date_last_modified; ///< empty = omitted
  deployment_view production;     ///< used with embed_detail
  deployment_view staging;
};

struct hosted_service_entry {
  const model::hosted_service* service = nullptr; ///< REQUIRES: not null
  hosted_service_view view;
};

enum class operation_status { in_progress, succeeded, failed };

/// "InProgress", "Succeeded", "Failed" (exact case; both SDKs compare it).
const char* to_string(operation_status s);

struct operation_view {
  std::string request_id; ///< 32 hex (or dashed); rendered as a dashed GUID
  operation_status status = operation_status::in_progress;
  int http_status_code = 0; ///< 0 = 200 when Succeeded, http_status_of(code) when Failed
  std::string error_code;    ///< Failed only; empty = InternalError
  std::string error_message; ///< Failed only; empty = "The operation failed."
};

/// An operation that failed with `err` (split with to_sm_error).
operation_view failed_operation(std::string request_id, const error& err);

/// <Deployment> for Get Deployment.
std::string render_deployment(const model::deployment& deployment,
                              const std::string& service_name, const deployment_view& view);

/// <HostedService> for Get Hosted Service Properties. With `embed_detail`
/// it carries <Deployments> with every deployment (production first).
std::string render_hosted_service(const model::hosted_service& service,
                                  const hosted_service_view& view, bool embed_detail);

/// <HostedServices> for List Hosted Services (properties only, no deployments).
std::string render_hosted_services(const std::vector<hosted_service_entry>& services);

/// <Operation> for Get Operation Status. HttpStatusCode is omitted while
/// InProgress; <Error> is emitted if and only if Failed.
std::string render_operation(const operation_view& operation);

/// <Error><Code/><Message/></Error>, the body of a failed synchronous call.
std::string render_error(std::string_view code, std::string_view message);
std::string render_error(const sm_error& err);

/// <AvailabilityResponse> for Check Hosted Service Name Availability.
std::string render_availability(bool available, std::string_view reason);

/// A .cscfg document for a configuration (when the client's text is not
/// kept). It lives in the model beside its parser
/// (model/service_model_writer.hpp); named here too for the facade's callers.
using model::render_service_configuration;

/// Starting / Started / Stopping / Stopped / Unknown for an instance state.
const char* power_state_of(model::instance_state state);

/// A stable 32-hex PrivateID for a deployment that has none stored
/// (FNV-1a of the names; not random, not secret).
std::string derive_private_id(std::string_view service_name, std::string_view deployment_name);

/// "YYYY-MM-DDThh:mm:ssZ" for seconds since 1970-01-01 UTC.
std::string format_time_utc(std::int64_t seconds_since_epoch);

} // namespace fabric::sm_api
