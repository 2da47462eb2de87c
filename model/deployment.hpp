#pragma once

// The deployment model: hosted services, their two slots, deployments, role
// instances with their upgrade and fault domains, and the upgrade in flight.
// Plain values. The coordinator is the only writer and changes them only
// through apply() in edit.hpp, so that a journal can replay every change.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/instance_state.hpp"
#include "model/service_configuration.hpp"
#include "model/service_definition.hpp"

namespace fabric::model {

enum class slot { production, staging };

/// "production" / "staging" (lower case, as in the REST API's URLs).
const char* to_string(slot s);

/// Case-insensitive, as the platform accepted it ("Production", "staging").
std::optional<slot> parse_slot(std::string_view name);

/// The platform's deployment status values.
enum class deployment_status {
  running,
  suspended,
  running_transitioning,
  suspended_transitioning,
  starting,
  suspending,
  deploying,
  deleting,
};

/// "Running", "Suspended", "RunningTransitioning", ...
const char* to_string(deployment_status s);
std::optional<deployment_status> parse_deployment_status(std::string_view name);

struct instance {
  std::string name; ///< "<Role>_IN_<index>"
  std::string role;
  int index = 0; ///< n in the name; stable for the life of the instance
  int upgrade_domain = 0;
  int fault_domain = 0;
  std::string node; ///< the node that hosts it; empty while unplaced
  instance_state state = instance_state::creating_vm;
  std::string version; ///< the package/image version it runs
};

/// "<role>_IN_<index>", the platform's instance name.
std::string instance_name(const std::string& role, int index);

enum class upgrade_mode { automatic, manual, simultaneous };

/// "Auto", "Manual", "Simultaneous" (the platform's names).
const char* to_string(upgrade_mode m);
std::optional<upgrade_mode> parse_upgrade_mode(std::string_view name); // case-insensitive

/// Whether the current UD is waiting to start or is being upgraded.
enum class upgrade_domain_state { before, during };

/// "Before" / "During".
const char* to_string(upgrade_domain_state s);

/// The upgrade in flight, as Get Deployment reports it.
struct upgrade_status {
  upgrade_mode mode = upgrade_mode::automatic;
  int current_upgrade_domain = 0;
  upgrade_domain_state current_state = upgrade_domain_state::before;
  std::vector<int> walked;      ///< UDs completed, in walk order
  std::vector<int> order;       ///< the walk order (default 0..U-1)
  std::string role;             ///< single role to upgrade; empty = all roles
  std::string from_version;     ///< what the instances ran before
  std::string target_version;   ///< what they go to
  std::string target_package;
  bool force = false;
  bool surge = false;
  bool rolling_back = false;    ///< a rollback reversed the walk
};

struct deployment {
  std::string name;
  std::string label;
  std::string package; ///< package or image reference the roles boot
  std::string version; ///< the version label of that package
  slot in_slot = slot::staging;
  deployment_status status = deployment_status::running;
  service_definition definition;
  service_configuration configuration;
  std::vector<instance> instances; ///< ordered by role (definition order), then index
  std::optional<upgrade_status> upgrade;
  /// The field quirk: a reboot degenerates into a reimage with this probability.
  double reboot_reimage_probability = 0.0;
  /// Per-instance override of the quirk probability.
  std::map<std::string, double> instance_reboot_reimage_probability;

  const instance* find_instance(const std::string& name) const;
  instance* find_instance(const std::string& name);
  /// Instances of one role, in index order.
  std::vector<const instance*> role_instances(const std::string& role) const;
};

struct hosted_service {
  std::string name;
  std::string label;
  std::string description;
  std::string location;
  std::optional<deployment> production;
  std::optional<deployment> staging;

  std::optional<deployment>& in(slot s) { return s == slot::production ? production : staging; }
  const std::optional<deployment>& in(slot s) const {
    return s == slot::production ? production : staging;
  }
};

/// The whole model the coordinator owns.
struct fabric_model {
  std::map<std::string, hosted_service> services;
  long long revision = 0; ///< incremented by every applied edit
};

} // namespace fabric::model
