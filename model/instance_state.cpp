#include "model/instance_state.hpp"

#include <array>

namespace fabric::model {

namespace {

constexpr std::array<const char*, instance_state_count> state_names = {
  "CreatingVM",     "StartingVM",         "StartingRole",     "ReadyRole",
  "BusyRole",       "StoppingRole",       "StoppingVM",       "StoppedVM",
  "RestartingRole", "CyclingRole",        "FailedStartingRole", "FailedStartingVM",
  "UnresponsiveRole", "RoleStateUnknown", "Aborted",
};

} // namespace

const char* to_string(instance_state s) {
  auto i = static_cast<int>(s);
  if (i < 0 || i >= instance_state_count)
    return "RoleStateUnknown";
  return state_names[static_cast<size_t>(i)];
}

std::optional<instance_state> parse_instance_state(std::string_view name) {
  for (int i = 0; i < instance_state_count; ++i)
    if (name == state_names[static_cast<size_t>(i)])
      return static_cast<instance_state>(i);
  return std::nullopt;
}

} // namespace fabric::model
