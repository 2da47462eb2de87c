#pragma once

// fabricctl's deployment operations against a running coordinator
// (coordinator/plans.hpp; routes in coordinator/api_server.cpp):
//
//   swap --service S                                   VIP swap of the two slots
//   stop|start --service S --slot X                    deployment status
//                                                      Suspended / Running (data kept)
//   reboot|reimage|rebuild --service S --slot X --instance I
//                                                      one role instance; a reboot
//                                                      prints when it degenerated
//                                                      into a reimage (reboot quirk)
//   config get --service S --slot X                    the .cscfg text (json: roles,
//                                                      settings, quirk probabilities)
//   config set --service S --slot X --cscfg F          Change Deployment Configuration
//   scale --service S --slot X --role R --count N      the current .cscfg with one
//                                                      role's instance count changed
//   quirk --service S --slot X --probability P [--instance I]
//                                                      reboot-degenerates-into-reimage
//                                                      probability (0..1)
//   redeploy --service S --slot X [--csdef F] [--cscfg F] [--image N] [--version V]
//                                                      delete and deploy as one call
//                                                      (republish: disks fresh)
//
// Every mutating command takes --wait [--timeout SECONDS] (poll the operation
// until it is no longer InProgress). Global --coordinator and --output
// table|json as for the other commands. Exit status as in cluster_commands.hpp:
// 0 fine, 1 the API refused or the operation failed (message on stderr), 2 bad
// local input, 4 coordinator unreachable, 5 --wait timed out.

#include <CLI/CLI.hpp>

namespace fabric::cli {

/// Adds the commands above to `app` (after add_cluster_commands, which adds
/// the global options). Each command sets `exit_code` when it runs.
void add_operation_commands(CLI::App& app, int& exit_code);

} // namespace fabric::cli
