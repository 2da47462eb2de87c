// The operations as pure plans (coordinator/plans.hpp): given a model, a
// request and the inputs, the plan's edits, commands and completion
// condition; a refused request is an error and no plan. Then the controller
// side: an applied plan is exactly one durable write (counted through a
// counting model port), and a failed write changes nothing.

#include <gtest/gtest.h>

#include <map>

#include "coordinator/plans.hpp"
#include "tests/coordinator/test_model.hpp"

namespace fabric::coordinator {
namespace {

using protocol::command_kind;
using testing::one_deployment;
using testing::read_file;

const std::string digest_v2(64, 'b');

/// Three live nodes (FD 0, 1, 2; 10 slots each), image "v2" known.
plan_inputs three_nodes() {
  plan_inputs in;
  for (int n = 0; n < 3; ++n)
    in.live.push_back({"n" + std::to_string(n), n, 10, 0});
  in.resolve_image = [](const std::string& name) -> std::optional<std::string> {
    if (name == "v2")
      return digest_v2;
    return std::nullopt;
  };
  in.default_phases = {{"create_vm", 50}, {"start_vm", 50}, {"start_role", 50}};
  return in;
}

/// svc/production = "dep", Web_IN_0..2 on n0..n2 (UD 0..2), version v1; its
/// configuration valid against its definition (no settings).
model::fabric_model three_instances() {
  auto m = one_deployment({"n0", "n1", "n2"}, {0, 1, 2});
  m.services.at("svc").production->configuration.roles.at(0).settings.clear();
  return m;
}

template <class T>
const T* edit_as(const op_plan& p, std::size_t i) {
  return i < p.edits.size() ? std::get_if<T>(&p.edits[i]) : nullptr;
}

std::string ten_web(const char* ext) {
  return read_file(std::string(FABRIC_TEST_DATA) + "/models/ten-web." + ext);
}

TEST(plans, deploy_is_one_create_deployment_edit_starts_and_waits_for_ready) {
  model::fabric_model m;
  ASSERT_TRUE(model::apply(m, model::create_hosted_service{"svc", "", "", ""}).ok());
  deploy_request r;
  r.target = {"svc", "staging"};
  r.csdef = ten_web("csdef");
  r.cscfg = ten_web("cscfg");
  r.image = "v2";
  r.phase_ms = {{"start_role", 7}};
  auto p = plan_deploy(m, r, three_nodes());
  ASSERT_TRUE(p) << p.err().message;
  ASSERT_EQ(p->edits.size(), 1u);
  auto* create = edit_as<model::create_deployment>(*p, 0);
  ASSERT_TRUE(create);
  EXPECT_EQ(create->value.name, "svc-staging");
  EXPECT_EQ(create->value.package, digest_v2);
  EXPECT_EQ(create->value.version, "v2");
  ASSERT_EQ(create->value.instances.size(), 10u);
  ASSERT_EQ(p->commands.size(), 10u);
  for (auto& c : p->commands) {
    EXPECT_EQ(c.kind, command_kind::start);
    EXPECT_FALSE(c.node.empty());
  }
  EXPECT_EQ(p->forget.size(), 10u);
  EXPECT_EQ(p->done.what, completion::kind::deployment_ready);
  EXPECT_EQ(p->done.in_slot, model::slot::staging);
  ASSERT_TRUE(p->phases);
  EXPECT_EQ(p->phases->second.at("start_role"), 7u);
  EXPECT_EQ(p->phases->second.at("create_vm"), 50u);
  EXPECT_EQ(*p->reply.deployment, "svc-staging");
  // Nothing was changed by planning.
  EXPECT_FALSE(m.services.at("svc").staging);
}

TEST(plans, refused_requests_are_errors_with_their_codes) {
  auto m = three_instances();
  auto in = three_nodes();
  deploy_request r;
  r.target = {"nosuch", "production"};
  auto p = plan_deploy(m, r, in);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().code, error_code::not_found);
  r.target = {"svc", "sideways"};
  p = plan_deploy(m, r, in);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().code, error_code::bad_request);
  r.target = {"svc", "production"};
  p = plan_deploy(m, r, in);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err(), (request_error{error_code::conflict,
                                    "slot svc/production already holds deployment 'dep'"}));
  // An unknown image.
  r.target = {"svc", "staging"};
  r.csdef = ten_web("csdef");
  r.cscfg = ten_web("cscfg");
  r.image = "v9";
  p = plan_deploy(m, r, in);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().code, error_code::bad_request);
  // No room: InsufficientCapacity.
  r.image = "v2";
  auto small = in;
  for (auto& n : small.live)
    n.capacity = 1;
  p = plan_deploy(m, r, small);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().code, error_code::insufficient_capacity);
}

TEST(plans, redeploy_shares_the_deploy_builder_delete_and_create_in_one_plan) {
  auto m = three_instances();
  redeploy_request r;
  r.target = {"svc", "production"};
  r.image = "v2";
  auto p = plan_redeploy(m, r, three_nodes());
  ASSERT_TRUE(p) << p.err().message;
  ASSERT_EQ(p->edits.size(), 2u);
  EXPECT_TRUE(edit_as<model::delete_deployment>(*p, 0));
  auto* create = edit_as<model::create_deployment>(*p, 1);
  ASSERT_TRUE(create);
  EXPECT_EQ(create->value.name, "dep");
  EXPECT_EQ(create->value.package, digest_v2);
  EXPECT_EQ(create->value.version, "v2");
  // Every old instance removed, then every new one started.
  ASSERT_EQ(p->commands.size(), 6u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p->commands[i].kind, command_kind::remove);
    EXPECT_FALSE(p->commands[i].ref);
  }
  for (std::size_t i = 3; i < 6; ++i)
    EXPECT_EQ(p->commands[i].kind, command_kind::start);
  EXPECT_EQ(p->done.what, completion::kind::deployment_ready);
  EXPECT_EQ(*p->reply.version, "v2");
  // The plan's edits apply to the model as one batch.
  auto copy = m;
  for (auto& e : p->edits)
    ASSERT_TRUE(model::apply(copy, e).ok());
  EXPECT_EQ(copy.services.at("svc").production->package, digest_v2);
}

TEST(plans, operations_in_progress_conflict_except_for_the_upgrade_family) {
  auto m = three_instances();
  auto in = three_nodes();
  in.running.push_back({"op-1", "set_status", "svc", model::slot::production});
  auto p = plan_operation(m, operation_request{redeploy_request{{"svc", "production"}, {}, {}, {}, {}}},
                          in);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err(),
            (request_error{error_code::conflict,
                           "operation op-1 (set_status) is in progress on svc/production"}));
  // The other slot is free (but swap checks both).
  auto swap = plan_operation(m, operation_request{swap_request{"svc"}}, in);
  ASSERT_FALSE(swap);
  EXPECT_EQ(swap.err().code, error_code::conflict);
  // A walk decides itself: refused here because set_status is not an upgrade.
  auto walk = plan_operation(m, operation_request{walk_request{{"svc", "production"}, 0}}, in);
  ASSERT_FALSE(walk);
  EXPECT_EQ(walk.err().code, error_code::conflict);
}

TEST(plans, a_reboot_degenerates_when_the_draw_is_below_the_probability) {
  auto m = three_instances();
  ASSERT_TRUE(model::apply(m, model::set_reboot_reimage_probability{
                                "svc", model::slot::production, "", 0.5})
                .ok());
  auto in = three_nodes();
  instance_request r{{"svc", "production"}, "Web_IN_1", command_kind::reboot};
  in.reboot_draw = 0.25;
  auto p = plan_instance(m, r, in);
  ASSERT_TRUE(p) << p.err().message;
  ASSERT_EQ(p->commands.size(), 1u);
  EXPECT_TRUE(p->commands[0].reboot_degenerates);
  EXPECT_EQ(p->commands[0].node, "n1");
  EXPECT_TRUE(p->edits.empty());
  EXPECT_TRUE(p->commands_required);
  EXPECT_EQ(p->done.what, completion::kind::instance_ready);
  EXPECT_EQ(p->done.wire, "dep.Web_IN_1");
  in.reboot_draw = 0.75;
  p = plan_instance(m, r, in);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->commands[0].reboot_degenerates);
  EXPECT_FALSE(*p->reply.reboot_degenerates);
  // Its node down: refused.
  in.live.erase(in.live.begin() + 1);
  p = plan_instance(m, r, in);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().code, error_code::conflict);
}

/// three_instances with an upgrade to v2 in flight (Manual mode).
model::fabric_model upgrading(model::upgrade_mode mode = model::upgrade_mode::manual) {
  auto m = three_instances();
  model::upgrade_request r;
  r.mode = mode;
  r.target_version = "v2";
  r.target_package = digest_v2;
  auto st = model::begin_upgrade(*m.services.at("svc").production, r);
  EXPECT_TRUE(st.ok());
  struct model::begin_upgrade e;
  e.service = "svc";
  e.in_slot = model::slot::production;
  e.upgrade = *st;
  EXPECT_TRUE(model::apply(m, e).ok());
  return m;
}

TEST(plans, an_upgrade_over_a_stuck_one_ends_it_and_begins_in_one_plan) {
  auto m = upgrading();
  auto in = three_nodes();
  upgrade_deployment_request r;
  r.target = {"svc", "production"};
  r.version = "v3";
  // Not stuck: refused.
  auto p = plan_upgrade(m, r, in);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().code, error_code::conflict);
  // Stuck (paused): the old one ends, its operation is superseded.
  in.upgrade_paused_reason = [](const std::string& d) {
    return d == "dep" ? std::string("instance Web_IN_0 timed out") : std::string();
  };
  in.upgrade_operation_of = [](const std::string&) { return std::string("op-7"); };
  p = plan_upgrade(m, r, in);
  ASSERT_TRUE(p) << p.err().message;
  ASSERT_EQ(p->edits.size(), 2u);
  auto* end = edit_as<model::end_upgrade>(*p, 0);
  ASSERT_TRUE(end);
  EXPECT_FALSE(end->completed);
  auto* begin = edit_as<struct model::begin_upgrade>(*p, 1);
  ASSERT_TRUE(begin);
  EXPECT_EQ(begin->upgrade.target_version, "v3");
  ASSERT_EQ(p->supersedes.size(), 1u);
  EXPECT_EQ(p->supersedes[0].op_id, "op-7");
  EXPECT_EQ(p->supersedes[0].reason_before, "superseded by upgrade ");
  ASSERT_TRUE(p->upgrade);
  EXPECT_TRUE(p->upgrade->policy);
  EXPECT_EQ(p->done.what, completion::kind::upgrade_ended);
  EXPECT_TRUE(p->commands.empty());
  // Surge: NotSupported.
  r.surge = true;
  p = plan_upgrade(m, r, in);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().code, error_code::not_supported);
}

TEST(plans, rollback_is_end_and_begin_in_one_plan_and_walk_one_update) {
  auto m = upgrading();
  auto in = three_nodes();
  in.upgrade_operation_of = [](const std::string&) { return std::string("op-3"); };
  auto walk = plan_walk(m, walk_request{{"svc", "production"}, 0}, in);
  ASSERT_TRUE(walk) << walk.err().message;
  ASSERT_EQ(walk->edits.size(), 1u);
  EXPECT_TRUE(edit_as<model::update_upgrade>(*walk, 0));
  EXPECT_EQ(walk->done.what, completion::kind::domain_walked);
  EXPECT_EQ(walk->done.upgrade_domain, 0);
  auto bad_ud = plan_walk(m, walk_request{{"svc", "production"}, 9}, in);
  ASSERT_FALSE(bad_ud);
  EXPECT_EQ(bad_ud.err().code, error_code::bad_request);

  auto rb = plan_rollback(m, rollback_request{{"svc", "production"}, std::nullopt}, in);
  ASSERT_TRUE(rb) << rb.err().message;
  ASSERT_EQ(rb->edits.size(), 2u);
  EXPECT_TRUE(edit_as<model::end_upgrade>(*rb, 0));
  auto* begin = edit_as<struct model::begin_upgrade>(*rb, 1);
  ASSERT_TRUE(begin);
  EXPECT_TRUE(begin->upgrade.rolling_back);
  EXPECT_EQ(begin->upgrade.target_version, "v1");
  ASSERT_EQ(rb->supersedes.size(), 1u);
  EXPECT_EQ(rb->supersedes[0].op_id, "op-3");
  ASSERT_TRUE(rb->upgrade);
  EXPECT_FALSE(rb->upgrade->policy);  // the walk is taken over, not restarted
  // Without an upgrade: nothing to roll back.
  auto none = plan_rollback(three_instances(), rollback_request{{"svc", "production"}, {}}, in);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.err().code, error_code::conflict);
}

// -- the controller applies a plan as one durable write ------------------------------

struct one_commit_test : testing::controller_fixture {
  void SetUp() override {
    start({}, {"v1", "v2"});
    for (int n = 0; n < 3; ++n)
      up("n" + std::to_string(n), n);
    ASSERT_EQ(create_service().status, 201);
    nlohmann::json body{
      {"csdef", ten_web("csdef")}, {"cscfg", ten_web("cscfg")}, {"image", "v1"}, {"name", "tw"}};
    auto res = start_op("deploy", body.dump());
    ASSERT_EQ(res.status, 202) << res.body.dump();
    run(ctl->take_outbound());
    ASSERT_EQ(op_status(res), "Succeeded");
  }

  void run(const std::vector<outbound_command>& cmds) {
    for (auto& c : cmds) {
      ctl->on_command_result(c.peer, {c.command.command_id, true, ""});
      if (c.command.kind != command_kind::remove)
        ctl->on_report(c.peer, {c.command.instance.name, "ReadyRole", c.command.instance.version,
                                "127.0.0.1:1"});
    }
  }

  /// Starts `kind` and checks that it was exactly one commit_all.
  api_result one_write(const std::string& kind, const nlohmann::json& body) {
    auto commits = store.commits;
    auto batches = store.batches;
    auto res = start_op(kind, body.dump());
    EXPECT_EQ(res.status, 202) << kind << ": " << res.body.dump();
    EXPECT_EQ(store.commits, commits) << kind;
    EXPECT_EQ(store.batches, batches + 1) << kind;
    return res;
  }
};

TEST_F(one_commit_test, redeploy_upgrade_start_and_rollback_are_one_commit_each) {
  auto res = one_write("redeploy", {{"image", "v2"}});
  run(ctl->take_outbound());
  EXPECT_EQ(op_status(res), "Succeeded");
  EXPECT_EQ(deployment()["version"], "v2");

  // An upgrade with a new configuration: set_configuration + begin_upgrade.
  auto cfg = ten_web("cscfg");
  auto at = cfg.find("value=\"");
  ASSERT_NE(at, std::string::npos);
  cfg.insert(at + 7, "new ");
  one_write("upgrade", {{"version", "v3"}, {"cscfg", cfg}, {"mode", "manual"}});
  EXPECT_EQ(deployment()["upgrade"]["target_version"], "v3");

  one_write("rollback", nlohmann::json::object());
  EXPECT_TRUE(deployment()["upgrade"]["rolling_back"].get<bool>());
}

/// A port whose commit_all fails: the operation is refused and nothing
/// (operation, command, observed state) is left behind.
struct failing_port : testing::counting_model_port {
  status commit_all(const std::vector<model::model_edit>&) override {
    ++batches;
    return error{"disk full"};
  }
};

TEST(controller_apply, a_failed_commit_changes_nothing_and_sends_nothing) {
  failing_port store;
  controller ctl{store, nullptr};
  ctl.on_node_up({"n0", 0, 10, "peer-n0", 1, true}, {});
  ASSERT_EQ(json_api::create_service(ctl, R"({"name":"svc"})").status, 201);
  auto accepted = ctl.apply([&] {
    op_plan p;
    p.kind = "delete_deployment";
    p.service = "svc";
    p.edits.push_back(model::delete_hosted_service{"svc"});
    p.commands.push_back({"n0", command_kind::remove, "dep.Web_IN_0", std::nullopt, "dep"});
    return p;
  }());
  ASSERT_FALSE(accepted);
  EXPECT_EQ(accepted.err(), (request_error{error_code::internal, "disk full"}));
  EXPECT_TRUE(ctl.take_outbound().empty());
  EXPECT_TRUE(ctl.list_operations().empty());
  EXPECT_EQ(store.batches, 1);
  EXPECT_TRUE(store.model().services.count("svc"));
}

} // namespace
} // namespace fabric::coordinator

namespace fabric::coordinator {
namespace {

// The JSON edge parses first, but answers as the API always did: the target
// (busy slot, service, slot, deployment) before the members of the body.
struct json_order_test : testing::controller_fixture {
  void SetUp() override {
    start();
    up("n0", 0);
    ASSERT_EQ(create_service().status, 201);
  }
};

TEST_F(json_order_test, a_bad_body_to_a_missing_target_is_answered_with_the_target_error) {
  auto res = json_api::start_operation(*ctl, "deploy", {"nosuch", "production", "{}"});
  EXPECT_EQ(res.status, 404) << res.body.dump();
  res = json_api::start_operation(*ctl, "deploy", {"svc", "prod", "{}"});
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.body["error"]["message"], "unknown slot 'prod': expected production or staging");
  // Not a JSON object: deploy says so before the target.
  res = json_api::start_operation(*ctl, "deploy", {"nosuch", "production", "{\"csdef\": "});
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.body["error"]["message"], "the request body is not a JSON object");
  // set_status looks at the deployment first, whatever the body.
  res = json_api::start_operation(*ctl, "set_status", {"svc", "production", "garbage"});
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.body["error"]["message"], "no deployment in svc/production");
  res = json_api::start_operation(*ctl, "walk", {"svc", "production", "{}"});
  EXPECT_EQ(res.status, 404);
  // A member error once the target is fine.
  res = json_api::start_operation(*ctl, "deploy", {"svc", "production", "{}"});
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.body["error"]["message"], "missing string member 'csdef'");
}

} // namespace
} // namespace fabric::coordinator
