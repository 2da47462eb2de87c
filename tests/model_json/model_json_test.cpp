#include <gtest/gtest.h>

#include <set>
#include <string>
#include <variant>

#include "model/service_model_parser.hpp"
#include "model_json/model_json.hpp"
#include "tests/model_json/sample_model.hpp"

using namespace fabric::model;
using fabric::model_json::decode;
using fabric::model_json::decode_text;
using fabric::model_json::edit_from_json;
using fabric::model_json::edit_from_text;
using fabric::model_json::edit_to_json;
using json = nlohmann::json;

namespace {

/// Encodes, goes through JSON text, decodes, encodes again: both encodings
/// must be equal (the model types have no operator==; their JSON form covers
/// every member).
template <class T>
T round_trip(const T& value) {
  json first = value;
  auto back = decode_text<T>(first.dump());
  EXPECT_TRUE(back.ok()) << (back.ok() ? "" : back.err().to_string());
  if (!back.ok())
    return T{};
  json second = *back;
  EXPECT_EQ(first, second);
  return *back;
}

std::string decode_error_of(const json& j, const char* what) {
  if (std::string(what) == "deployment") {
    auto r = decode<deployment>(j);
    return r.ok() ? "<decoded>" : r.err().message;
  }
  if (std::string(what) == "service_definition") {
    auto r = decode<service_definition>(j);
    return r.ok() ? "<decoded>" : r.err().message;
  }
  auto r = decode<fabric_model>(j);
  return r.ok() ? "<decoded>" : r.err().message;
}

} // namespace

TEST(model_json, service_definition_round_trips_every_member) {
  auto back = round_trip(fabric::test::sample_definition());
  ASSERT_EQ(back.roles.size(), 3u);
  EXPECT_EQ(back.upgrade_domain_count, 3);
  EXPECT_EQ(back.roles[0].endpoints[2].kind, endpoint_kind::instance_input);
  EXPECT_EQ(back.roles[0].endpoints[2].port_range_max, 10010);
  EXPECT_EQ(back.roles[0].local_storage[0].size_mb, 1024);
  EXPECT_FALSE(back.roles[0].local_storage[0].clean_on_role_recycle);
  EXPECT_EQ(back.roles[2].kind, role_kind::virtual_machine);
  EXPECT_EQ(back.roles[0].imports, std::vector<std::string>{"RemoteAccess"});
}

TEST(model_json, service_configuration_round_trips_every_member) {
  auto back = round_trip(fabric::test::sample_configuration());
  ASSERT_EQ(back.roles.size(), 3u);
  EXPECT_EQ(back.os_family, "6");
  EXPECT_EQ(back.roles[0].settings.at("Greeting"), "hello \"world\" \xc3\xa9");
  EXPECT_EQ(back.roles[0].certificates[0].thumbprint_algorithm, "sha1");
  EXPECT_EQ(back.roles[2].os_image, "images/box-v1.vhd");
}

TEST(model_json, parsed_service_models_round_trip) {
  std::string dir = FABRIC_TEST_DATA "/models/";
  auto def = load_service_definition(dir + "three-ud.csdef");
  auto cfg = load_service_configuration(dir + "three-ud.cscfg");
  ASSERT_TRUE(def.ok()) << def.err().to_string();
  ASSERT_TRUE(cfg.ok()) << cfg.err().to_string();
  EXPECT_EQ(round_trip(*def).upgrade_domain_count, 3);
  EXPECT_EQ(round_trip(*cfg).roles.at(0).instance_count, 3);
}

TEST(model_json, deployment_round_trips_with_upgrade_and_probabilities) {
  auto d = fabric::test::sample_deployment();
  auto back = round_trip(d);
  ASSERT_EQ(back.instances.size(), d.instances.size());
  EXPECT_EQ(back.instances[1].state, instance_state::role_state_unknown);
  EXPECT_EQ(back.instances[1].node, "node-b");
  EXPECT_EQ(back.in_slot, slot::production);
  EXPECT_EQ(back.status, deployment_status::running_transitioning);
  ASSERT_TRUE(back.upgrade.has_value());
  EXPECT_EQ(back.upgrade->mode, upgrade_mode::manual);
  EXPECT_EQ(back.upgrade->current_state, upgrade_domain_state::during);
  EXPECT_EQ(back.upgrade->walked, (std::vector<int>{0, 1}));
  EXPECT_TRUE(back.upgrade->rolling_back);
  // doubles survive the text form exactly
  EXPECT_EQ(back.reboot_reimage_probability, 0.1);
  EXPECT_EQ(back.instance_reboot_reimage_probability.at("Web_IN_1"), 1.0 / 3.0);
}

TEST(model_json, every_instance_state_round_trips_as_its_platform_name) {
  for (int i = 0; i < instance_state_count; ++i) {
    auto s = static_cast<instance_state>(i);
    json j = s;
    EXPECT_EQ(j, to_string(s));
    auto back = decode<instance_state>(j);
    ASSERT_TRUE(back.ok()) << to_string(s);
    EXPECT_EQ(*back, s);
  }
}

TEST(model_json, enums_are_the_platform_strings) {
  auto d = fabric::test::sample_deployment();
  json j = d;
  EXPECT_EQ(j["in_slot"], "production");
  EXPECT_EQ(j["status"], "RunningTransitioning");
  EXPECT_EQ(j["instances"][0]["state"], "ReadyRole");
  EXPECT_EQ(j["upgrade"]["mode"], "Manual");
  EXPECT_EQ(j["upgrade"]["current_state"], "During");
  EXPECT_EQ(j["definition"]["roles"][0]["kind"], "WebRole");
  EXPECT_EQ(j["definition"]["roles"][0]["endpoints"][2]["kind"], "instance-input");
  json no_upgrade = fabric::test::sample_deployment("d", false);
  EXPECT_TRUE(no_upgrade["upgrade"].is_null());
}

TEST(model_json, slot_and_upgrade_mode_accept_the_platform_case_variants) {
  auto s = decode<slot>(json("Production"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, slot::production);
  auto m = decode<upgrade_mode>(json("auto"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, upgrade_mode::automatic);
}

TEST(model_json, whole_model_round_trips_keyed_by_service_name) {
  fabric_model m;
  m.revision = 42;
  hosted_service hs;
  hs.name = "shop";
  hs.label = "Shop";
  hs.description = "d";
  hs.location = "local";
  hs.production = fabric::test::sample_deployment("d1");
  hs.staging = fabric::test::sample_deployment("d2", false);
  hs.staging->in_slot = slot::staging;
  m.services["shop"] = hs;
  m.services["empty"] = hosted_service{"empty", "", "", "", std::nullopt, std::nullopt};
  json j = fabric::model_json::model_to_json(m);
  EXPECT_EQ(j["services"]["shop"]["production"]["name"], "d1");
  EXPECT_TRUE(j["services"]["empty"]["staging"].is_null());
  auto back = fabric::model_json::model_from_json(json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.err().message;
  EXPECT_EQ(back->revision, 42);
  EXPECT_EQ(fabric::model_json::model_to_json(*back), j);
}

TEST(model_json, absent_members_keep_their_defaults_and_unknown_keys_are_ignored) {
  auto r = decode<role_definition>(json{{"name", "Web"}, {"added_later", 1}});
  ASSERT_TRUE(r.ok()) << r.err().message;
  EXPECT_EQ(r->name, "Web");
  EXPECT_EQ(r->vm_size, "Small");
  EXPECT_EQ(r->kind, role_kind::worker);
  auto m = decode<fabric_model>(json{{"services", {{"svc", json::object()}}}});
  ASSERT_TRUE(m.ok()) << m.err().message;
  EXPECT_EQ(m->services.at("svc").name, "svc");
}

TEST(model_json, unknown_enum_string_names_the_path_and_the_allowed_values) {
  json j = fabric::test::sample_deployment();
  j["instances"][2]["state"] = "Ready";
  EXPECT_EQ(decode_error_of(j, "deployment"),
            "instances[2].state: unknown instance state 'Ready'; expected one of CreatingVM, "
            "StartingVM, StartingRole, ReadyRole, BusyRole, StoppingRole, StoppingVM, StoppedVM, "
            "RestartingRole, CyclingRole, FailedStartingRole, FailedStartingVM, "
            "UnresponsiveRole, RoleStateUnknown, Aborted");
  json d = fabric::test::sample_definition();
  d["roles"][1]["kind"] = "Worker";
  EXPECT_EQ(decode_error_of(d, "service_definition"),
            "roles[1].kind: unknown role kind 'Worker'; expected one of WebRole, WorkerRole, "
            "VirtualMachineRole");
}

TEST(model_json, wrong_types_are_errors_with_the_path) {
  json d = fabric::test::sample_definition();
  d["upgrade_domain_count"] = "five";
  EXPECT_EQ(decode_error_of(d, "service_definition"),
            "upgrade_domain_count: expected an integer, got string");
  d = fabric::test::sample_definition();
  d["roles"][0]["endpoints"][1]["port"] = 10000000000LL;
  EXPECT_EQ(decode_error_of(d, "service_definition"),
            "roles[0].endpoints[1].port: integer 10000000000 is out of range");
  d = fabric::test::sample_definition();
  d["roles"][0]["local_storage"] = json::object();
  EXPECT_EQ(decode_error_of(d, "service_definition"),
            "roles[0].local_storage: expected an array, got object");
  d = fabric::test::sample_definition();
  d["roles"][0]["endpoints"][0]["port"] = 80.5;
  EXPECT_EQ(decode_error_of(d, "service_definition"),
            "roles[0].endpoints[0].port: expected an integer, got number");
  json dep = fabric::test::sample_deployment();
  dep["upgrade"]["force"] = "yes";
  EXPECT_EQ(decode_error_of(dep, "deployment"), "upgrade.force: expected true or false, got string");
  dep = fabric::test::sample_deployment();
  dep["instance_reboot_reimage_probability"]["Web_IN_0"] = "high";
  EXPECT_EQ(decode_error_of(dep, "deployment"),
            "instance_reboot_reimage_probability.Web_IN_0: expected a number, got string");
  EXPECT_EQ(decode_error_of(json::array(), "deployment"), "expected an object, got array");
}

TEST(model_json, service_name_must_match_its_key) {
  json m = {{"services", {{"shop", {{"name", "other"}}}}}};
  EXPECT_EQ(decode_error_of(m, "fabric_model"),
            "services.shop.name: 'other' does not match its key 'shop'");
}

TEST(model_json, invalid_json_text_is_an_error_not_an_exception) {
  auto r = decode_text<deployment>("{\"name\": ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message.rfind("invalid JSON: ", 0), 0u) << r.err().message;
  EXPECT_NE(r.err().message.find("parse error at line 1, column 10"), std::string::npos)
    << r.err().message;
}

// -- edits --------------------------------------------------------------------

TEST(model_json, every_edit_kind_round_trips) {
  std::set<std::string> kinds;
  for (const auto& e : fabric::test::sample_edits()) {
    json j = edit_to_json(e);
    EXPECT_EQ(j["kind"], edit_name(e));
    kinds.insert(edit_name(e));
    auto back = edit_from_text(j.dump());
    ASSERT_TRUE(back.ok()) << edit_name(e) << ": " << back.err().message;
    EXPECT_EQ(back->index(), e.index());
    EXPECT_EQ(edit_to_json(*back), j) << edit_name(e);
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<model_edit>) << "sample_edits misses a kind";
}

TEST(model_json, decoded_edits_apply_like_the_originals) {
  fabric_model a;
  fabric_model b;
  for (const auto& e : fabric::test::sample_edits()) {
    auto st = fabric::model::apply(a, e);
    ASSERT_TRUE(st.ok()) << edit_name(e) << ": " << st.err().message;
    auto back = edit_from_json(json::parse(edit_to_json(e).dump()));
    ASSERT_TRUE(back.ok()) << back.err().message;
    ASSERT_TRUE(fabric::model::apply(b, *back).ok()) << edit_name(e);
  }
  EXPECT_EQ(fabric::model_json::model_to_json(a), fabric::model_json::model_to_json(b));
  EXPECT_EQ(b.revision, static_cast<long long>(fabric::test::sample_edits().size()));
}

TEST(model_json, update_upgrade_keeps_an_empty_rolling_back_empty) {
  update_upgrade u{"shop", slot::staging, 1, upgrade_domain_state::before, {0}, std::nullopt};
  json j = edit_to_json(u);
  EXPECT_TRUE(j["rolling_back"].is_null());
  auto back = edit_from_json(j);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(std::get<update_upgrade>(*back).rolling_back.has_value());
}

TEST(model_json, bad_edits_are_clear_errors) {
  auto msg = [](const json& j) {
    auto r = edit_from_json(j);
    return r.ok() ? std::string("<decoded>") : r.err().message;
  };
  EXPECT_EQ(msg(json::array()), "an edit must be a JSON object, got array");
  EXPECT_EQ(msg(json{{"service", "shop"}}), "an edit needs a \"kind\" field naming the edit");
  EXPECT_EQ(msg(json{{"kind", 3}}), "an edit's \"kind\" must be a string, got number");
  EXPECT_EQ(msg(json{{"kind", "rename_service"}}),
            "unknown edit kind 'rename_service'; known kinds: create_hosted_service, "
            "delete_hosted_service, create_deployment, delete_deployment, swap_slots, "
            "set_deployment_status, set_instance_state, place_instance, set_instance_version, "
            "set_configuration, begin_upgrade, update_upgrade, end_upgrade, "
            "set_reboot_reimage_probability");
  EXPECT_EQ(msg(json{{"kind", "set_instance_state"}, {"state", "Up"}}).substr(0, 61),
            "set_instance_state.state: unknown instance state 'Up'; expect");
  EXPECT_EQ(msg(json{{"kind", "create_deployment"}, {"value", {{"instances", {{{"index", "x"}}}}}}}),
            "create_deployment.value.instances[0].index: expected an integer, got string");
  auto text = edit_from_text("{\"kind\": \"swap_slots\",}");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.err().message.rfind("invalid JSON: ", 0), 0u) << text.err().message;
}
