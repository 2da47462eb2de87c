#pragma once

// fabricctl's offline commands: they read service model files and answer
// from the pure model layer, with no coordinator.
//
//   plan      the instance grid (instance, role, UD, FD) and the walk table
//             with the capacity left per role, and if any one FD also fails
//   validate  parse and cross-check a .csdef / .cscfg pair
//   diff      which upgrade paths allow a change between two pairs, and why
//
// Exit status: 0 fine, 2 bad input (the message on stderr), 3 a walk step at
// risk (plan) or a change no path but delete-and-deploy allows (diff).

#include <CLI/CLI.hpp>

namespace fabric::cli {

constexpr int exit_ok = 0;
constexpr int exit_bad_input = 2;
constexpr int exit_at_risk = 3;

/// Adds the plan, validate and diff subcommands to `app`. Each sets
/// `exit_code` when it runs.
void add_offline_commands(CLI::App& app, int& exit_code);

} // namespace fabric::cli
