#pragma once

// fabricctl's commands against a running coordinator (its JSON API, see
// coordinator/api_server.hpp):
//
//   nodes                                         the node table
//   service create NAME [--label L] | list | delete NAME
//   deploy --service S --slot production|staging --csdef F --cscfg F
//          --image NAME [--name N] [--label L] [--version V] [--no-start]
//          [--wait] [--timeout SECONDS]
//   status --service S --slot X                   instance grid: instance,
//                                                 role, UD, FD, node, state,
//                                                 version, endpoint
//   deployment delete --service S --slot X [--wait]
//   operation ID                                  one operation's status
//   image upload NAME DIR                         exports DIR (a directory
//                                                 tree; tarballs are not read)
//                                                 in the image transfer
//                                                 format (images/) and
//                                                 uploads it
//   image list
//
// Global: --coordinator URL (else $FABRIC_COORDINATOR, else
// http://127.0.0.1:7070), --output table|json.
// Exit status: 0 fine; 1 the API refused (the message on stderr) or an
// operation failed; 2 bad local input (unreadable file, bad flag); 4 the
// coordinator could not be reached; 5 --wait timed out.

#include <string>

#include <CLI/CLI.hpp>

namespace fabric::cli {

constexpr int exit_api_error = 1;
constexpr int exit_unreachable = 4;
constexpr int exit_timeout = 5;

/// Adds the commands above and the global options to `app`; each command
/// sets `exit_code` when it runs.
void add_cluster_commands(CLI::App& app, int& exit_code);

} // namespace fabric::cli
