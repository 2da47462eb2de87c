// actors/essential.hpp: an essential actor that dies for any reason but the
// process's shutdown calls the death handler (in the processes: exit 70), so
// no process lives on as a zombie whose API answers 503 forever (issue 14).
// On CAF's deterministic scheduler.

#include <gtest/gtest.h>

#include <new>
#include <string>
#include <vector>

#include "actors/essential.hpp"
#include "tests/actors/test_system.hpp"

namespace fabric::actors {
namespace {

struct deaths {
  std::vector<std::string> names;
  std::vector<caf::error> reasons;
};

caf::behavior thrower(caf::event_based_actor*) {
  return {[](int n) -> int {
    if (n < 0)
      throw std::bad_alloc();  // what the controller actor died of
    return n;
  }};
}

TEST(essential_actors, an_actor_that_throws_calls_the_death_handler_with_its_name) {
  testing::deterministic_system s;
  auto log = std::make_shared<deaths>();
  auto ctl = s.sys->spawn(thrower);
  auto other = s.sys->spawn(thrower);
  auto watcher = watch_essential(*s.sys, {{"controller", ctl}, {"membership", other}},
                                 [log](const std::string& n, const caf::error& e) {
                                   log->names.push_back(n);
                                   log->reasons.push_back(e);
                                 });
  s.run();
  caf::anon_send(ctl, 1);
  s.run();
  EXPECT_TRUE(log->names.empty());
  caf::anon_send(ctl, -1);
  s.run();
  ASSERT_EQ(log->names.size(), 1u);
  EXPECT_EQ(log->names[0], "controller");
  EXPECT_NE(log->reasons[0], caf::exit_reason::user_shutdown);
  EXPECT_TRUE(log->reasons[0]);  // an error, not "normal"
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  s.run();
}

TEST(essential_actors, an_actor_that_quits_normally_is_a_death_too) {
  testing::deterministic_system s;
  auto log = std::make_shared<deaths>();
  auto quitter = s.sys->spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {[self](int) { self->quit(); }};
  });
  auto watcher = watch_essential(*s.sys, {{"agent", quitter}},
                                 [log](const std::string& n, const caf::error&) { log->names.push_back(n); });
  s.run();
  caf::anon_send(quitter, 0);
  s.run();
  ASSERT_EQ(log->names, std::vector<std::string>{"agent"});
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  s.run();
}

TEST(essential_actors, shutdown_is_not_a_death_and_the_watcher_then_quits) {
  testing::deterministic_system s;
  auto log = std::make_shared<deaths>();
  auto a = s.sys->spawn(thrower);
  auto b = s.sys->spawn(thrower);
  auto watcher = watch_essential(*s.sys, {{"a", a}, {"b", b}, {"none", caf::actor{}}},
                                 [log](const std::string& n, const caf::error&) { log->names.push_back(n); });
  s.run();
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
  s.run();
  EXPECT_TRUE(log->names.empty());
  // The watcher quit by itself once every watched actor was gone.
  EXPECT_TRUE(caf::actor_cast<caf::abstract_actor*>(watcher)->getf(
    caf::abstract_actor::is_terminated_flag));
}

} // namespace
} // namespace fabric::actors
