#pragma once

// fabricctl's in-place upgrade commands (coordinator JSON API, see
// coordinator/requests.hpp, coordinator/upgrade_plans.cpp):
//
//   upgrade --service S --slot X --image NAME [--version V] [--csdef F]
//           [--cscfg F] [--mode auto|manual|simultaneous] [--role R]
//           [--order 0,2,1] [--force] [--surge] [--timeout-s T]
//           [--on-timeout pause|roll_back|proceed] [--domain-wait-ms W]
//           [--wait] [--wait-timeout SECONDS]
//   walk --service S --slot X --upgrade-domain K [--wait] [--wait-timeout S]
//   rollback --service S --slot X [--mode M] [--wait] [--wait-timeout S]
//
// --wait shows live progress, one line per upgrade domain each time it
// changes (Before -> During -> walked, with the count of its instances
// ReadyRole on the target version), then the final state. In Manual mode
// `upgrade --wait` returns once the first UD awaits its walk, `walk --wait`
// once that UD is walked. --output json prints one JSON object per line.
// Exit status as in cluster_commands.hpp (1 refused or failed, 4
// unreachable, 5 timed out).

#include <CLI/CLI.hpp>

namespace fabric::cli {

/// Adds upgrade, walk and rollback. REQUIRES: add_cluster_commands(app, ...)
/// ran first (it owns --coordinator and --output).
void add_upgrade_commands(CLI::App& app, int& exit_code);

} // namespace fabric::cli
