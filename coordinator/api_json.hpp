#pragma once

// The JSON edge of /fabric/v1: request bodies -> the typed requests of
// requests.hpp, typed replies and errors -> JSON, error_code -> HTTP status.
// The controller knows nothing of JSON or HTTP; api_server.cpp (and tests,
// the simulator, benchmarks) call the json_api functions below, which parse,
// call the controller and render.
//
// Errors: {"error": {"code", "message"}} with the status of http_status().
// A body that is not a JSON object: 400 "the request body is not a JSON
// object"; a member of the wrong type: 400 naming the member.
//
// Thread-safety: the json_api functions touch the controller: call them on
// its actor (api_call); the parsers and renderers are pure.

#include <string>

#include <nlohmann/json.hpp>

#include "coordinator/requests.hpp"

namespace fabric::coordinator {

class controller;

/// What the API answers: an HTTP status and a JSON body.
struct api_result {
  int status = 200;
  nlohmann::json body;
};

/// {"error": {"code": code, "message": message}} with `status`.
api_result api_error(int status, const std::string& code, const std::string& message);

/// 400, 404, 409, 500, 503 by code.
int http_status(error_code c);

/// The error with its HTTP status.
api_result error_result(const request_error& e);

/// An operation request as it arrives: the URL's service and slot, the body.
struct json_request {
  std::string service;
  std::string slot;
  std::string body;
};

// -- parsers ----------------------------------------------------------------------------

outcome<create_service_request> parse_create_service(const std::string& body);

/// The typed request of operation `kind` (the kinds of operation_kinds();
/// reboot/reimage/rebuild_instance take {"instance"}; change_configuration
/// takes the .cscfg text as body). 400 UnknownOperation for another kind.
outcome<operation_request> parse_operation(const std::string& kind, const json_request& r);

// -- renderers --------------------------------------------------------------------------

nlohmann::json to_json(const service_view& v);
nlohmann::json to_json(const deployment_view& v);
/// The "upgrade" member of a deployment: {"mode", "current_upgrade_domain",
/// "current_state", "walked", "order", "role", "from_version",
/// "target_version", "rolling_back", "paused", "reason", "operation",
/// "domains": [{"upgrade_domain", "phase", "instances", "ready_on_target"}]}.
nlohmann::json to_json(const upgrade_view& v);
/// {"service", "slot", "deployment", "configuration": the .cscfg text,
/// "roles": [{name, instance_count, settings}], "reboot_reimage_probability",
/// "instance_reboot_reimage_probability": {instance: p}}.
nlohmann::json to_json(const configuration_view& v);
/// {"id", "kind", "service", "slot", "status", "pending_commands",
/// "error"?: {"code": "OperationFailed", "message"}}.
nlohmann::json to_json(const operation_view& v);
/// {"operation_id", "status", and the accepted_info members that are set}.
nlohmann::json to_json(const operation_accepted& a);

// -- the routes' work: parse, call the controller, render ------------------------------

namespace json_api {

api_result create_service(controller& c, const std::string& body);  ///< 201
api_result list_services(const controller& c);                      ///< {"services": [...]}
api_result get_service(const controller& c, const std::string& name);
api_result delete_service(controller& c, const std::string& name);  ///< {"deleted": name}
api_result get_deployment(const controller& c, const std::string& service,
                          const std::string& slot);
api_result get_configuration(const controller& c, const std::string& service,
                             const std::string& slot);
api_result get_operation(const controller& c, const std::string& id);
api_result list_operations(const controller& c);  ///< {"operations": [...]}
/// 202 {"operation_id", "status", ...}, or the refusal (nothing changed).
api_result start_operation(controller& c, const std::string& kind, const json_request& r);

} // namespace json_api

} // namespace fabric::coordinator
