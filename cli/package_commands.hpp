#pragma once

// fabricctl package create|list|show|delete: packages of the Service
// Management facade (sm_api/server/package_catalog.hpp). A package is a
// service definition plus the name of an uploaded base image; a Create
// Deployment / Upgrade Deployment PackageUrl names one.
//
//   fabricctl package create NAME --csdef FILE --image IMAGE [--output-file FILE]
//       POST /fabric/v1/packages/NAME; --output-file also writes the package
//       document to FILE (a PackageUrl may be that local path)
//   fabricctl package list | show NAME | delete NAME
//
// Global --coordinator and --output table|json as for the other commands.
// Exit status: 0 fine, 1 the API refused, 2 bad local input, 4 coordinator
// unreachable.

#include <CLI/CLI.hpp>

namespace fabric::cli {

/// Adds the commands above (after add_cluster_commands, which adds the
/// global options).
void add_package_commands(CLI::App& app, int& exit_code);

} // namespace fabric::cli
