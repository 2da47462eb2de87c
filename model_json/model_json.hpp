#pragma once

// The JSON form of the model: the service definition and configuration, the
// deployment model (hosted services, deployments, instances, the upgrade in
// flight), the whole fabric_model, and the model edits. Used by the
// coordinator's journal (edits and snapshots) and its JSON API.
//
// Encoding rules (stable: journals written today must load tomorrow):
// - structs are JSON objects whose keys are the C++ member names;
// - enums are the platform's strings from the model's to_string() functions
//   ("ReadyRole", "Running", "Auto", "WebRole", "instance-input", "Before";
//   slots are "production" / "staging");
// - std::optional members are null (or absent) when empty;
// - maps with string keys are JSON objects (fabric_model::services is keyed by
//   service name);
// - an edit is the object of its struct's members plus "kind": edit_name().
//
// Decoding rules: a member that is absent keeps its C++ default (so an older
// document without a newer member still decodes); unknown keys are ignored; a
// member of the wrong JSON type, an integer out of range or an unknown enum
// string is an error that names the member's path, e.g.
//   "production.instances[2].state: unknown instance state 'Ready'".
//
// Two layers:
// - nlohmann's ADL hooks to_json / from_json (namespace fabric::model), so
//   `nlohmann::json j = d;` and `j.get<deployment>()` work. from_json THROWS
//   (fabric::model_json::decode_error or nlohmann::json::exception).
// - the fabric::model_json functions below, which never throw: they return a
//   result whose error carries the message above.
//
// Thread-safety: pure functions over their arguments.

#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/deployment.hpp"
#include "model/edit.hpp"
#include "model/instance_state.hpp"
#include "model/result.hpp"
#include "model/service_configuration.hpp"
#include "model/service_definition.hpp"

namespace fabric::model {

// -- service definition (.csdef) ---------------------------------------------
void to_json(nlohmann::json& j, role_kind v);
void from_json(const nlohmann::json& j, role_kind& v);
void to_json(nlohmann::json& j, endpoint_kind v);
void from_json(const nlohmann::json& j, endpoint_kind& v);
void to_json(nlohmann::json& j, const endpoint& v);
void from_json(const nlohmann::json& j, endpoint& v);
void to_json(nlohmann::json& j, const local_storage_resource& v);
void from_json(const nlohmann::json& j, local_storage_resource& v);
void to_json(nlohmann::json& j, const role_definition& v);
void from_json(const nlohmann::json& j, role_definition& v);
void to_json(nlohmann::json& j, const service_definition& v);
void from_json(const nlohmann::json& j, service_definition& v);

// -- service configuration (.cscfg) ------------------------------------------
void to_json(nlohmann::json& j, const certificate_ref& v);
void from_json(const nlohmann::json& j, certificate_ref& v);
void to_json(nlohmann::json& j, const role_configuration& v);
void from_json(const nlohmann::json& j, role_configuration& v);
void to_json(nlohmann::json& j, const service_configuration& v);
void from_json(const nlohmann::json& j, service_configuration& v);

// -- instance states and the deployment model --------------------------------
void to_json(nlohmann::json& j, instance_state v);
void from_json(const nlohmann::json& j, instance_state& v);
void to_json(nlohmann::json& j, slot v);
void from_json(const nlohmann::json& j, slot& v);
void to_json(nlohmann::json& j, deployment_status v);
void from_json(const nlohmann::json& j, deployment_status& v);
void to_json(nlohmann::json& j, upgrade_mode v);
void from_json(const nlohmann::json& j, upgrade_mode& v);
void to_json(nlohmann::json& j, upgrade_domain_state v);
void from_json(const nlohmann::json& j, upgrade_domain_state& v);
void to_json(nlohmann::json& j, const instance& v);
void from_json(const nlohmann::json& j, instance& v);
void to_json(nlohmann::json& j, const upgrade_status& v);
void from_json(const nlohmann::json& j, upgrade_status& v);
void to_json(nlohmann::json& j, const deployment& v);
void from_json(const nlohmann::json& j, deployment& v);
void to_json(nlohmann::json& j, const hosted_service& v);
void from_json(const nlohmann::json& j, hosted_service& v);
void to_json(nlohmann::json& j, const fabric_model& v);
void from_json(const nlohmann::json& j, fabric_model& v);

// -- edits (members only; the "kind" field is added by edit_to_json) --------
void to_json(nlohmann::json& j, const create_hosted_service& v);
void from_json(const nlohmann::json& j, create_hosted_service& v);
void to_json(nlohmann::json& j, const delete_hosted_service& v);
void from_json(const nlohmann::json& j, delete_hosted_service& v);
void to_json(nlohmann::json& j, const create_deployment& v);
void from_json(const nlohmann::json& j, create_deployment& v);
void to_json(nlohmann::json& j, const delete_deployment& v);
void from_json(const nlohmann::json& j, delete_deployment& v);
void to_json(nlohmann::json& j, const swap_slots& v);
void from_json(const nlohmann::json& j, swap_slots& v);
void to_json(nlohmann::json& j, const set_deployment_status& v);
void from_json(const nlohmann::json& j, set_deployment_status& v);
void to_json(nlohmann::json& j, const set_instance_state& v);
void from_json(const nlohmann::json& j, set_instance_state& v);
void to_json(nlohmann::json& j, const place_instance& v);
void from_json(const nlohmann::json& j, place_instance& v);
void to_json(nlohmann::json& j, const set_instance_version& v);
void from_json(const nlohmann::json& j, set_instance_version& v);
void to_json(nlohmann::json& j, const set_configuration& v);
void from_json(const nlohmann::json& j, set_configuration& v);
void to_json(nlohmann::json& j, const begin_upgrade& v);
void from_json(const nlohmann::json& j, begin_upgrade& v);
void to_json(nlohmann::json& j, const update_upgrade& v);
void from_json(const nlohmann::json& j, update_upgrade& v);
void to_json(nlohmann::json& j, const end_upgrade& v);
void from_json(const nlohmann::json& j, end_upgrade& v);
void to_json(nlohmann::json& j, const set_reboot_reimage_probability& v);
void from_json(const nlohmann::json& j, set_reboot_reimage_probability& v);

} // namespace fabric::model

namespace fabric::model_json {

/// What from_json throws on a bad value: what() is the member path, ": " and
/// the reason ("roles[0].kind: unknown role kind 'Web'; expected one of
/// WebRole, WorkerRole, VirtualMachineRole"); just the reason at the top level.
class decode_error : public std::runtime_error {
public:
  decode_error(std::string path, std::string reason);

  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }

  /// The same error one level up: `segment` is a member name ("roles") or an
  /// index ("[0]").
  decode_error within(const std::string& segment) const;

private:
  std::string path_;
  std::string reason_;
};

/// Decodes `j` into a T (any type with a from_json above). Never throws.
template <class T>
result<T> decode(const nlohmann::json& j) {
  try {
    T out{};
    from_json(j, out);
    return out;
  } catch (const decode_error& e) {
    return error{e.what()};
  } catch (const nlohmann::json::exception& e) {
    return error{e.what()};
  }
}

/// Parses JSON text. Never throws; a syntax error says where
/// ("invalid JSON: [json.exception.parse_error.101] parse error at line 1,
/// column 7: ...").
result<nlohmann::json> parse_json(std::string_view text);

/// Parses JSON text, then decodes it. Never throws.
template <class T>
result<T> decode_text(std::string_view text) {
  auto j = parse_json(text);
  if (!j)
    return j.err();
  return decode<T>(*j);
}

/// The whole model (a snapshot).
nlohmann::json model_to_json(const model::fabric_model& m);
result<model::fabric_model> model_from_json(const nlohmann::json& j);

/// An edit: its members plus "kind": model::edit_name(edit).
nlohmann::json edit_to_json(const model::model_edit& edit);

/// The edit named by "kind". Errors: not an object, "kind" missing or not a
/// string, an unknown kind ("unknown edit kind 'x'; known kinds: ..."), or a
/// bad member (the path is prefixed with the kind: "set_instance_state.state:
/// unknown instance state 'Up'"). Never throws.
result<model::model_edit> edit_from_json(const nlohmann::json& j);

/// Parses text, then edit_from_json. Never throws.
result<model::model_edit> edit_from_text(std::string_view text);

} // namespace fabric::model_json
