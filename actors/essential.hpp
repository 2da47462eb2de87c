#pragma once

// Essential actors: an actor a process cannot do without (the controller,
// membership, the node agent, ...) that terminates for any reason but the
// process's own shutdown takes the process down with it (issue 14: under a
// memory limit the controller actor died with bad_alloc while the process
// lived on and every API call answered 503 forever, a zombie no supervisor
// would restart).
//
// watch_essential spawns a watcher that monitors each given actor. A down
// with reason exit_reason::user_shutdown (what main sends at shutdown) is
// ignored; any other reason (an exception in a handler, a quit with an
// error, an actor that just returned) calls on_death(name, reason), whose
// default logs a critical message and ends the process with exit code
// `essential_exit_code` at once (std::_Exit: no destructor may wait on the
// dead actor). The journal is committed per edit, so an abrupt exit loses
// nothing that was acknowledged.
//
// Send the watcher an exit (user_shutdown) along with the others at shutdown.

#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace fabric::actors {

/// The exit status of a process whose essential actor died (EX_SOFTWARE).
constexpr int essential_exit_code = 70;

using essential_death_handler = std::function<void(const std::string& name, const caf::error& reason)>;

/// Logs and ends the process with essential_exit_code.
inline void exit_on_essential_death(const std::string& name, const caf::error& reason) {
  spdlog::critical("essential actor '{}' terminated: {}; exiting with status {} (a supervisor "
                   "restarts the process)",
                   name, caf::to_string(reason), essential_exit_code);
  spdlog::default_logger()->flush();
  std::_Exit(essential_exit_code);
}

/// Spawns the watcher of `essential` (name, actor); null actors are skipped.
inline caf::actor watch_essential(caf::actor_system& sys,
                                  std::vector<std::pair<std::string, caf::actor>> essential,
                                  essential_death_handler on_death = exit_on_essential_death) {
  return sys.spawn([essential = std::move(essential),
                    on_death = std::move(on_death)](caf::event_based_actor* self) -> caf::behavior {
    auto names = std::make_shared<std::map<caf::actor_addr, std::string>>();
    for (auto& [name, a] : essential)
      if (a) {
        (*names)[a.address()] = name;
        self->monitor(a);
      }
    self->set_down_handler([self, names, on_death](caf::down_msg& m) {
      auto it = names->find(m.source);
      if (it == names->end())
        return;
      auto name = it->second;
      names->erase(it);
      if (m.reason != caf::exit_reason::user_shutdown)
        on_death(name, m.reason);
      if (names->empty())
        self->quit();
    });
    return {[](const std::string&) {}};  // takes no requests; only downs
  });
}

} // namespace fabric::actors
