// fabricctl: the operator's command-line tool.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/cluster_commands.hpp"
#include "cli/offline_commands.hpp"
#include "cli/upgrade_commands.hpp"
#include "cli/operation_commands.hpp"
#include "cli/package_commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"fabricctl: operate a fabric cluster and plan rolling upgrades"};
  app.require_subcommand(1);
  int exit_code = fabric::cli::exit_ok;
  fabric::cli::add_offline_commands(app, exit_code);
  fabric::cli::add_cluster_commands(app, exit_code);
  fabric::cli::add_upgrade_commands(app, exit_code);
  fabric::cli::add_operation_commands(app, exit_code);
  fabric::cli::add_package_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return fabric::cli::exit_bad_input;
  } catch (const std::exception& e) {
    // No path ends in std::terminate (issue 14): whatever a command did not
    // foresee is a message and an exit status (e.g. text that is not UTF-8
    // given where JSON needs a string).
    std::cerr << "fabricctl: " << e.what() << "\n";
    return fabric::cli::exit_bad_input;
  }
  return exit_code;
}
