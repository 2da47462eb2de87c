#pragma once

// In-place rolling upgrades as message flows: the operations "upgrade",
// "walk" and "rollback" of the controller's operation table. The engine that
// drives every upgrade in flight from the controller's tick is in
// upgrade_engine.hpp (plan_next -> edits_for -> one commit -> commands).
//
// Operations (JSON bodies; see coordinator/README.md):
//   upgrade  {"image", "version"?, "csdef"?, "cscfg"?, "mode"? (auto|manual|
//             simultaneous), "role"?, "order"? [ud...], "force"?, "surge"?,
//             "timeout_s"?, "on_timeout"? (pause|roll_back|proceed),
//             "domain_wait_ms"?}; succeeds when the walk completes, fails
//             when it is rolled back or superseded. A new upgrade is allowed
//             over a paused (stuck) one (that one is ended first).
//   walk     {"upgrade_domain": k} (Manual mode; the planner's check_walk
//             decides; 400 for a UD not in the walk, 409 otherwise);
//             succeeds when UD k is walked.
//   rollback {"mode"?}: the upgrade in flight turns into its rollback
//             (model::make_rollback); succeeds when the rollback completes.
//
// Thread-safety: none (runs on the controller actor).

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "coordinator/upgrade_engine.hpp"
#include "model/edit.hpp"  // before upgrade_planner.hpp: its begin_upgrade() hides the edit
#include "model/upgrade_planner.hpp"

namespace fabric::coordinator {

class controller;
struct controller_config;

/// Registers "upgrade", "walk" and "rollback" in the controller's table.
void register_upgrade_operations(controller& c);

/// The "upgrade" member of GET deployment: null when no upgrade is in flight,
/// else {"mode", "current_upgrade_domain", "current_state" (Before/During),
/// "walked", "order", "role", "from_version", "target_version",
/// "rolling_back", "paused", "reason", "domains": [{"upgrade_domain",
/// "phase" (pending|Before|During|walked), "instances", "ready_on_target"}]}.
nlohmann::json upgrade_status_json(const controller& c, const model::deployment& d);

} // namespace fabric::coordinator
