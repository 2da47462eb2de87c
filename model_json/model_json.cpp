#include "model_json/model_json.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace fabric::model_json {

namespace {

std::string join(const std::string& segment, const std::string& path) {
  if (path.empty())
    return segment;
  if (path.front() == '[')
    return segment + path;
  return segment + "." + path;
}

} // namespace

decode_error::decode_error(std::string path, std::string reason)
  : std::runtime_error(path.empty() ? reason : path + ": " + reason),
    path_(std::move(path)),
    reason_(std::move(reason)) {
}

decode_error decode_error::within(const std::string& segment) const {
  return decode_error{join(segment, path_), reason_};
}

} // namespace fabric::model_json

namespace fabric::model {

namespace {

using json = nlohmann::json;
using model_json::decode_error;

[[noreturn]] void fail(std::string reason) {
  throw decode_error{{}, std::move(reason)};
}

std::string got(const json& j) {
  return std::string("got ") + j.type_name();
}

// -- strict readers of primitive values ---------------------------------------

void read(const json& j, std::string& out) {
  if (!j.is_string())
    fail("expected a string, " + got(j));
  out = j.get_ref<const std::string&>();
}

void read(const json& j, bool& out) {
  if (!j.is_boolean())
    fail("expected true or false, " + got(j));
  out = j.get<bool>();
}

void read(const json& j, double& out) {
  if (!j.is_number())
    fail("expected a number, " + got(j));
  out = j.get<double>();
}

template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>* = nullptr>
void read(const json& j, I& out) {
  if (!j.is_number_integer())
    fail("expected an integer, " + got(j));
  using lim = std::numeric_limits<I>;
  if (j.is_number_unsigned()) {
    auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(lim::max()))
      fail("integer " + std::to_string(u) + " is out of range");
    out = static_cast<I>(u);
    return;
  }
  auto v = j.get<std::int64_t>();
  if (v < static_cast<std::int64_t>(lim::min()) || v > static_cast<std::int64_t>(lim::max()))
    fail("integer " + std::to_string(v) + " is out of range");
  out = static_cast<I>(v);
}

/// Structs and enums: their own from_json (found by ADL).
template <class T, std::enable_if_t<!std::is_arithmetic_v<T>>* = nullptr>
void read(const json& j, T& out) {
  from_json(j, out);
}

template <class T>
void read(const json& j, std::vector<T>& out);
template <class T>
void read(const json& j, std::optional<T>& out);
template <class V>
void read(const json& j, std::map<std::string, V>& out);

template <class T>
void read_at(const json& j, T& out, const std::string& segment) {
  try {
    read(j, out);
  } catch (const decode_error& e) {
    throw e.within(segment);
  } catch (const json::exception& e) {
    throw decode_error{segment, e.what()};
  }
}

template <class T>
void read(const json& j, std::vector<T>& out) {
  if (!j.is_array())
    fail("expected an array, " + got(j));
  std::vector<T> xs;
  xs.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    T x{};
    read_at(j[i], x, "[" + std::to_string(i) + "]");
    xs.push_back(std::move(x));
  }
  out = std::move(xs);
}

template <class T>
void read(const json& j, std::optional<T>& out) {
  if (j.is_null()) {
    out.reset();
    return;
  }
  T x{};
  read(j, x);
  out = std::move(x);
}

template <class V>
void read(const json& j, std::map<std::string, V>& out) {
  if (!j.is_object())
    fail("expected an object, " + got(j));
  std::map<std::string, V> m;
  for (auto it = j.begin(); it != j.end(); ++it) {
    V x{};
    read_at(it.value(), x, it.key());
    m.emplace(it.key(), std::move(x));
  }
  out = std::move(m);
}

/// An absent member keeps its default.
template <class T>
void field(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end())
    return;
  read_at(*it, out, key);
}

// -- writers ------------------------------------------------------------------

template <class T>
json encode(const T& v) {
  return json(v);
}

template <class T>
json encode(const std::optional<T>& v) {
  return v ? encode(*v) : json(nullptr);
}

template <class T>
json encode(const std::vector<T>& xs) {
  auto out = json::array();
  for (const auto& x : xs)
    out.push_back(encode(x));
  return out;
}

// -- enums --------------------------------------------------------------------

template <class E, size_t N>
std::string names_of(const std::array<E, N>& all) {
  std::string out;
  for (auto e : all) {
    if (!out.empty())
      out += ", ";
    out += to_string(e);
  }
  return out;
}

/// Parses `j` as one of `all` with `parse` (or, when null, by exact match of
/// to_string).
template <class E, size_t N, class Parse>
E read_enum(const json& j, const char* what, const std::array<E, N>& all, Parse parse) {
  if (!j.is_string())
    fail(std::string("expected a ") + what + " string, " + got(j));
  const auto& s = j.get_ref<const std::string&>();
  std::optional<E> v;
  if constexpr (std::is_same_v<Parse, std::nullptr_t>) {
    for (auto e : all)
      if (s == to_string(e))
        v = e;
  } else {
    v = parse(s);
  }
  if (!v)
    fail(std::string("unknown ") + what + " '" + s + "'; expected one of " + names_of(all));
  return *v;
}

constexpr std::array<role_kind, 3> all_role_kinds{role_kind::web, role_kind::worker,
                                                   role_kind::virtual_machine};
constexpr std::array<endpoint_kind, 3> all_endpoint_kinds{
  endpoint_kind::input, endpoint_kind::internal, endpoint_kind::instance_input};
constexpr std::array<slot, 2> all_slots{slot::production, slot::staging};
constexpr std::array<deployment_status, 8> all_deployment_statuses{
  deployment_status::running,  deployment_status::suspended,
  deployment_status::running_transitioning, deployment_status::suspended_transitioning,
  deployment_status::starting, deployment_status::suspending,
  deployment_status::deploying, deployment_status::deleting};
constexpr std::array<upgrade_mode, 3> all_upgrade_modes{
  upgrade_mode::automatic, upgrade_mode::manual, upgrade_mode::simultaneous};
constexpr std::array<upgrade_domain_state, 2> all_upgrade_domain_states{
  upgrade_domain_state::before, upgrade_domain_state::during};

std::array<instance_state, instance_state_count> make_all_instance_states() {
  std::array<instance_state, instance_state_count> out{};
  for (int i = 0; i < instance_state_count; ++i)
    out[static_cast<size_t>(i)] = static_cast<instance_state>(i);
  return out;
}
const auto all_instance_states = make_all_instance_states();

// -- members of each struct, in one place for both directions ----------------

#define FABRIC_MEMBERS(T)                                                                    \
  template <class S, class F>                                                                \
  std::enable_if_t<std::is_same_v<std::remove_const_t<S>, T>> members(S& v, F&& f)

FABRIC_MEMBERS(endpoint) {
  f("name", v.name);
  f("kind", v.kind);
  f("protocol", v.protocol);
  f("port", v.port);
  f("local_port", v.local_port);
  f("port_range_min", v.port_range_min);
  f("port_range_max", v.port_range_max);
}

FABRIC_MEMBERS(local_storage_resource) {
  f("name", v.name);
  f("size_mb", v.size_mb);
  f("clean_on_role_recycle", v.clean_on_role_recycle);
}

FABRIC_MEMBERS(role_definition) {
  f("name", v.name);
  f("kind", v.kind);
  f("vm_size", v.vm_size);
  f("endpoints", v.endpoints);
  f("local_storage", v.local_storage);
  f("settings", v.settings);
  f("certificates", v.certificates);
  f("imports", v.imports);
}

FABRIC_MEMBERS(service_definition) {
  f("name", v.name);
  f("upgrade_domain_count", v.upgrade_domain_count);
  f("roles", v.roles);
}

FABRIC_MEMBERS(certificate_ref) {
  f("name", v.name);
  f("thumbprint", v.thumbprint);
  f("thumbprint_algorithm", v.thumbprint_algorithm);
}

FABRIC_MEMBERS(role_configuration) {
  f("name", v.name);
  f("instance_count", v.instance_count);
  f("settings", v.settings);
  f("certificates", v.certificates);
  f("os_image", v.os_image);
}

FABRIC_MEMBERS(service_configuration) {
  f("service_name", v.service_name);
  f("os_family", v.os_family);
  f("os_version", v.os_version);
  f("roles", v.roles);
}

FABRIC_MEMBERS(instance) {
  f("name", v.name);
  f("role", v.role);
  f("index", v.index);
  f("upgrade_domain", v.upgrade_domain);
  f("fault_domain", v.fault_domain);
  f("node", v.node);
  f("state", v.state);
  f("version", v.version);
}

FABRIC_MEMBERS(upgrade_status) {
  f("mode", v.mode);
  f("current_upgrade_domain", v.current_upgrade_domain);
  f("current_state", v.current_state);
  f("walked", v.walked);
  f("order", v.order);
  f("role", v.role);
  f("from_version", v.from_version);
  f("target_version", v.target_version);
  f("target_package", v.target_package);
  f("force", v.force);
  f("surge", v.surge);
  f("rolling_back", v.rolling_back);
}

FABRIC_MEMBERS(deployment) {
  f("name", v.name);
  f("label", v.label);
  f("package", v.package);
  f("version", v.version);
  f("in_slot", v.in_slot);
  f("status", v.status);
  f("definition", v.definition);
  f("configuration", v.configuration);
  f("instances", v.instances);
  f("upgrade", v.upgrade);
  f("reboot_reimage_probability", v.reboot_reimage_probability);
  f("instance_reboot_reimage_probability", v.instance_reboot_reimage_probability);
}

FABRIC_MEMBERS(hosted_service) {
  f("name", v.name);
  f("label", v.label);
  f("description", v.description);
  f("location", v.location);
  f("production", v.production);
  f("staging", v.staging);
}

FABRIC_MEMBERS(fabric_model) {
  f("revision", v.revision);
  f("services", v.services);
}

FABRIC_MEMBERS(create_hosted_service) {
  f("name", v.name);
  f("label", v.label);
  f("description", v.description);
  f("location", v.location);
}

FABRIC_MEMBERS(delete_hosted_service) {
  f("name", v.name);
}

FABRIC_MEMBERS(create_deployment) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("value", v.value);
}

FABRIC_MEMBERS(delete_deployment) {
  f("service", v.service);
  f("in_slot", v.in_slot);
}

FABRIC_MEMBERS(swap_slots) {
  f("service", v.service);
}

FABRIC_MEMBERS(set_deployment_status) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("status", v.status);
}

FABRIC_MEMBERS(set_instance_state) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("instance", v.instance);
  f("state", v.state);
}

FABRIC_MEMBERS(place_instance) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("instance", v.instance);
  f("node", v.node);
  f("fault_domain", v.fault_domain);
}

FABRIC_MEMBERS(set_instance_version) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("instance", v.instance);
  f("version", v.version);
}

FABRIC_MEMBERS(set_configuration) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("configuration", v.configuration);
  f("fault_domains", v.fault_domains);
}

FABRIC_MEMBERS(begin_upgrade) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("upgrade", v.upgrade);
}

FABRIC_MEMBERS(update_upgrade) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("current_upgrade_domain", v.current_upgrade_domain);
  f("current_state", v.current_state);
  f("walked", v.walked);
  f("rolling_back", v.rolling_back);
}

FABRIC_MEMBERS(end_upgrade) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("completed", v.completed);
}

FABRIC_MEMBERS(set_reboot_reimage_probability) {
  f("service", v.service);
  f("in_slot", v.in_slot);
  f("instance", v.instance);
  f("probability", v.probability);
}

#undef FABRIC_MEMBERS

template <class T>
void encode_object(json& j, const T& v) {
  j = json::object();
  members(v, [&j](const char* key, const auto& m) { j[key] = encode(m); });
}

template <class T>
void decode_object(const json& j, T& v) {
  if (!j.is_object())
    fail("expected an object, " + got(j));
  T out{};
  members(out, [&j](const char* key, auto& m) { field(j, key, m); });
  v = std::move(out);
}

} // namespace

// -- enums --------------------------------------------------------------------

void to_json(json& j, role_kind v) {
  j = to_string(v);
}
void from_json(const json& j, role_kind& v) {
  v = read_enum(j, "role kind", all_role_kinds, nullptr);
}
void to_json(json& j, endpoint_kind v) {
  j = to_string(v);
}
void from_json(const json& j, endpoint_kind& v) {
  v = read_enum(j, "endpoint kind", all_endpoint_kinds, nullptr);
}
void to_json(json& j, instance_state v) {
  j = to_string(v);
}
void from_json(const json& j, instance_state& v) {
  v = read_enum(j, "instance state", all_instance_states,
                [](const std::string& s) { return parse_instance_state(s); });
}
void to_json(json& j, slot v) {
  j = to_string(v);
}
void from_json(const json& j, slot& v) {
  v = read_enum(j, "slot", all_slots, [](const std::string& s) { return parse_slot(s); });
}
void to_json(json& j, deployment_status v) {
  j = to_string(v);
}
void from_json(const json& j, deployment_status& v) {
  v = read_enum(j, "deployment status", all_deployment_statuses,
                [](const std::string& s) { return parse_deployment_status(s); });
}
void to_json(json& j, upgrade_mode v) {
  j = to_string(v);
}
void from_json(const json& j, upgrade_mode& v) {
  v = read_enum(j, "upgrade mode", all_upgrade_modes,
                [](const std::string& s) { return parse_upgrade_mode(s); });
}
void to_json(json& j, upgrade_domain_state v) {
  j = to_string(v);
}
void from_json(const json& j, upgrade_domain_state& v) {
  v = read_enum(j, "upgrade domain state", all_upgrade_domain_states, nullptr);
}

// -- structs ------------------------------------------------------------------

#define FABRIC_JSON(T)                                                                       \
  void to_json(json& j, const T& v) {                                                        \
    encode_object(j, v);                                                                     \
  }                                                                                          \
  void from_json(const json& j, T& v) {                                                      \
    decode_object(j, v);                                                                     \
  }

FABRIC_JSON(endpoint)
FABRIC_JSON(local_storage_resource)
FABRIC_JSON(role_definition)
FABRIC_JSON(service_definition)
FABRIC_JSON(certificate_ref)
FABRIC_JSON(role_configuration)
FABRIC_JSON(service_configuration)
FABRIC_JSON(instance)
FABRIC_JSON(upgrade_status)
FABRIC_JSON(deployment)
FABRIC_JSON(hosted_service)
FABRIC_JSON(create_hosted_service)
FABRIC_JSON(delete_hosted_service)
FABRIC_JSON(create_deployment)
FABRIC_JSON(delete_deployment)
FABRIC_JSON(swap_slots)
FABRIC_JSON(set_deployment_status)
FABRIC_JSON(set_instance_state)
FABRIC_JSON(place_instance)
FABRIC_JSON(set_instance_version)
FABRIC_JSON(set_configuration)
FABRIC_JSON(begin_upgrade)
FABRIC_JSON(update_upgrade)
FABRIC_JSON(end_upgrade)
FABRIC_JSON(set_reboot_reimage_probability)

#undef FABRIC_JSON

void to_json(json& j, const fabric_model& v) {
  encode_object(j, v);
}

/// Services are keyed by name: a service without a name takes its key; one
/// whose name differs from its key is an error.
void from_json(const json& j, fabric_model& v) {
  fabric_model out;
  decode_object(j, out);
  for (auto& [key, hs] : out.services) {
    if (hs.name.empty())
      hs.name = key;
    else if (hs.name != key)
      throw decode_error{"services." + key + ".name",
                         "'" + hs.name + "' does not match its key '" + key + "'"};
  }
  v = std::move(out);
}

} // namespace fabric::model

namespace fabric::model_json {

namespace {

using json = nlohmann::json;
using model::model_edit;

using edit_decoder = model_edit (*)(const json&);

struct edit_kind {
  std::string name;
  edit_decoder decode;
};

template <size_t I>
model_edit decode_alternative(const json& j) {
  std::variant_alternative_t<I, model_edit> out{};
  from_json(j, out);
  return model_edit{std::in_place_index<I>, std::move(out)};
}

template <size_t... I>
std::vector<edit_kind> make_edit_kinds(std::index_sequence<I...>) {
  return {edit_kind{model::edit_name(model_edit{std::in_place_index<I>}), &decode_alternative<I>}...};
}

/// Every edit kind, named by model::edit_name, in variant order.
const std::vector<edit_kind>& edit_kinds() {
  static const auto kinds =
    make_edit_kinds(std::make_index_sequence<std::variant_size_v<model_edit>>{});
  return kinds;
}

} // namespace

result<json> parse_json(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return error{std::string("invalid JSON: ") + e.what()};
  }
}

json model_to_json(const model::fabric_model& m) {
  return json(m);
}

result<model::fabric_model> model_from_json(const json& j) {
  return decode<model::fabric_model>(j);
}

json edit_to_json(const model_edit& edit) {
  json j = std::visit([](const auto& e) { return json(e); }, edit);
  j["kind"] = model::edit_name(edit);
  return j;
}

result<model_edit> edit_from_json(const json& j) {
  if (!j.is_object())
    return error{std::string("an edit must be a JSON object, got ") + j.type_name()};
  auto k = j.find("kind");
  if (k == j.end())
    return error{"an edit needs a \"kind\" field naming the edit"};
  if (!k->is_string())
    return error{std::string("an edit's \"kind\" must be a string, got ") + k->type_name()};
  const auto& kind = k->get_ref<const std::string&>();
  std::string known;
  for (const auto& ek : edit_kinds()) {
    if (ek.name == kind) {
      try {
        return ek.decode(j);
      } catch (const decode_error& e) {
        return error{e.within(kind).what()};
      } catch (const json::exception& e) {
        return error{kind + ": " + e.what()};
      }
    }
    known += known.empty() ? "" : ", ";
    known += ek.name;
  }
  return error{"unknown edit kind '" + kind + "'; known kinds: " + known};
}

result<model_edit> edit_from_text(std::string_view text) {
  auto j = parse_json(text);
  if (!j)
    return j.err();
  return edit_from_json(*j);
}

} // namespace fabric::model_json
