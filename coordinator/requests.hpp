#pragma once

// The controller's typed interface: one struct per request, one error type,
// and the typed replies. No JSON, no HTTP: the edges translate.
//   - coordinator/api_json.hpp: /fabric/v1 (JSON bodies -> these structs,
//     replies and errors -> JSON, error_code -> HTTP status);
//   - sm_api/server/sm_facade.cpp: the legacy SM API (its parsed XML structs
//     -> these structs, request_error -> the SM XML error).
// Adding an operation = one request struct here (and in operation_request),
// one plan function (coordinator/plans.hpp), one JSON parser at the edge.
//
// Slots travel as the text the client gave ("production", "staging"): the
// plans validate them (404 for an unknown service comes before 400 for a bad
// slot, as the API always answered).
//
// Thread-safety: plain values.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "model/deployment.hpp"
#include "model/edit.hpp"  // before upgrade_planner.hpp: its begin_upgrade() hides the edit
#include "model/upgrade_planner.hpp"
#include "protocol/messages.hpp"

namespace fabric::coordinator {

// -- errors ---------------------------------------------------------------------

/// What the API answers in {"error": {"code"}}; the HTTP status is the edge's
/// business (api_json.hpp http_status).
enum class error_code {
  bad_request,                  ///< "BadRequest" (400)
  not_found,                    ///< "ResourceNotFound" (404)
  conflict,                     ///< "ConflictError" (409)
  insufficient_capacity,        ///< "InsufficientCapacity" (409)
  not_supported,                ///< "NotSupported" (400)
  change_not_allowed_in_place,  ///< "ChangeNotAllowedInPlace" (400)
  unknown_operation,            ///< "UnknownOperation" (400)
  internal,                     ///< "InternalError" (500)
  unavailable,                  ///< "ServiceUnavailable" (503)
  limit_exceeded,               ///< "LimitExceeded" (400): a count over model::count_limits
};

/// "BadRequest", "ResourceNotFound", ...
const char* to_string(error_code c);

/// Why a request was refused (nothing changed) or could not be carried out.
struct request_error {
  error_code code = error_code::internal;
  std::string message;
};

inline bool operator==(const request_error& a, const request_error& b) {
  return a.code == b.code && a.message == b.message;
}

/// Either a T or a request_error.
template <class T>
class outcome {
public:
  outcome(T value) : data_(std::move(value)) {}
  outcome(request_error err) : data_(std::move(err)) {}

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }
  /// REQUIRES: ok().
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  /// REQUIRES: !ok().
  const request_error& err() const { return std::get<1>(data_); }

private:
  std::variant<T, request_error> data_;
};

inline request_error bad_request(std::string m) { return {error_code::bad_request, std::move(m)}; }
inline request_error not_found(std::string m) { return {error_code::not_found, std::move(m)}; }
inline request_error conflict(std::string m) { return {error_code::conflict, std::move(m)}; }

// -- hosted services (synchronous) ----------------------------------------------------

struct create_service_request {
  std::string name;
  std::string label, description, location;
};

// -- operations (asynchronous: 202 with an operation id) ------------------------------

/// A deployment slot of a service, as addressed by a request.
struct slot_target {
  std::string service;
  std::string slot;  ///< as given ("production" / "staging"); validated by the plan
};

/// Deploy: a new deployment in an empty slot.
struct deploy_request {
  slot_target target;
  std::string csdef, cscfg;  ///< the XML texts
  std::string image;         ///< image name or digest
  std::string name;          ///< empty: "<service>-<slot>"
  std::string label;
  std::string version;       ///< empty: the image name
  bool start = true;
  std::map<std::string, uint32_t> phase_ms;  ///< overrides of the defaults (each <= 600000)
};

struct delete_deployment_request {
  slot_target target;
};

/// VIP swap of the service's two slots.
struct swap_request {
  std::string service;
};

/// "Running" or "Suspended".
struct set_status_request {
  slot_target target;
  std::string status;
};

/// reboot / reimage / rebuild of one role instance.
struct instance_request {
  slot_target target;
  std::string instance;  ///< model name, "Web_IN_0"
  protocol::command_kind kind = protocol::command_kind::reboot;
};

/// The reboot quirk: probability that a reboot degenerates into a reimage
/// (the deployment's, or one instance's).
struct reboot_quirk_request {
  slot_target target;
  double probability = 0;
  std::string instance;  ///< empty: the deployment's probability
};

/// A new .cscfg (scale, settings).
struct change_configuration_request {
  slot_target target;
  std::string cscfg;
};

/// Delete and deploy as one operation (republish), same deployment name.
struct redeploy_request {
  slot_target target;
  std::optional<std::string> csdef, cscfg, image, version;
};

/// In-place upgrade. Strings as given (the plan validates them, so every
/// edge gets the same messages).
struct upgrade_deployment_request {
  slot_target target;
  std::string image;  ///< empty: keep the package (configuration-only upgrade)
  std::string version;
  std::optional<std::string> csdef, cscfg;
  std::optional<std::string> mode;        ///< auto | manual | simultaneous
  std::string role;
  std::vector<int> order;
  bool force = false;
  bool surge = false;
  std::optional<double> timeout_s;        ///< (0, 604800]
  std::optional<std::string> on_timeout;  ///< pause | roll_back | proceed
  std::optional<uint64_t> domain_wait_ms; ///< <= 86400000
};

/// Manual mode: walk upgrade domain k.
struct walk_request {
  slot_target target;
  int upgrade_domain = 0;
};

/// The upgrade in flight turns into its rollback.
struct rollback_request {
  slot_target target;
  std::optional<std::string> mode;  ///< auto | manual | simultaneous; empty: the upgrade's
};

using operation_request
  = std::variant<deploy_request, delete_deployment_request, swap_request, set_status_request,
                 instance_request, reboot_quirk_request, change_configuration_request,
                 redeploy_request, upgrade_deployment_request, walk_request, rollback_request>;

/// The operation kind of a request ("deploy", "delete_deployment", "swap",
/// "set_status", "reboot_instance" / "reimage_instance" / "rebuild_instance",
/// "set_reboot_quirk", "change_configuration", "redeploy", "upgrade", "walk",
/// "rollback").
std::string kind_of(const operation_request& r);

/// Every kind kind_of can answer, sorted.
std::vector<std::string> operation_kinds();

// -- replies --------------------------------------------------------------------------

enum class op_status { in_progress, succeeded, failed };

/// "InProgress", "Succeeded", "Failed".
const char* to_string(op_status s);

/// What an accepted operation answers beside its id and status (the members
/// the API shows; each is shown only when set).
struct accepted_info {
  std::optional<std::string> deployment;
  std::optional<std::string> version;
  std::optional<std::string> instance;
  std::optional<double> reboot_reimage_probability;
  std::optional<bool> reboot_degenerates;
  std::optional<double> probability;
  std::optional<int> instances_added, instances_removed, instances_updated;
  std::optional<int> upgrade_domain;
  std::optional<std::string> from_version, target_version, mode;
  std::optional<std::vector<int>> order;
  /// swap: the deployment names now in production / staging (empty optional:
  /// the slot is empty, shown as null).
  bool swapped = false;
  std::optional<std::string> production, staging;
};

struct operation_accepted {
  std::string operation_id;
  op_status status = op_status::in_progress;
  accepted_info info;
};

struct operation_view {
  std::string id, kind, service;
  model::slot in_slot = model::slot::production;
  op_status status = op_status::in_progress;
  std::size_t pending_commands = 0;
  std::string error;  ///< when failed
};

struct service_view {
  struct slot_summary {
    model::slot in_slot;
    std::string name;
    model::deployment_status status;
    std::string version;
    std::size_t instances = 0;
  };
  std::string name, label, description, location;
  std::vector<slot_summary> deployments;
};

struct instance_view {
  std::string name, role;
  int upgrade_domain = 0, fault_domain = 0;
  std::string node;
  model::instance_state state = model::instance_state::role_state_unknown;
  std::string version, endpoint;
};

struct upgrade_view {
  struct domain {
    int upgrade_domain = 0;
    std::string phase;  ///< pending | Before | During | walked
    int instances = 0, ready_on_target = 0;
  };
  model::upgrade_status status;
  std::string paused_reason;  ///< empty: not paused
  std::string operation;      ///< the operation driving it (may be empty)
  std::vector<domain> domains;
};

struct deployment_view {
  std::string service;
  model::slot in_slot = model::slot::production;
  std::string name, label;
  model::deployment_status status = model::deployment_status::running;
  std::string version, image_digest;
  int upgrade_domain_count = 0;
  std::vector<std::pair<std::string, int>> roles;  ///< name, instance count
  int ready_instances = 0;
  std::vector<instance_view> instances;
  std::optional<upgrade_view> upgrade;
};

/// GET .../configuration: the edge renders `configuration` as .cscfg text.
struct configuration_view {
  std::string service;
  model::slot in_slot = model::slot::production;
  std::string deployment;
  model::service_configuration configuration;
  double reboot_reimage_probability = 0;
  std::map<std::string, double> instance_reboot_reimage_probability;
};

} // namespace fabric::coordinator
