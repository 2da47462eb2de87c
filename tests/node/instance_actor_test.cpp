// Instance actors and the instance manager on CAF's deterministic scheduler,
// over a real disk store: the lifecycle phase by phase, every command kind
// with what it leaves on the disks (the seed's disk table, docs/domain.md §4),
// image fetch, capacity and fencing.

#include "tests/node/instance_fixture.hpp"

namespace fabric::node::test {
namespace {

using k = protocol::command_kind;
using states_t = std::vector<std::string>;

TEST_F(instance_fixture, start_walks_through_the_phases_to_ready) {
  start_manager();
  command(k::start, spec());
  EXPECT_TRUE(last_result().ok) << last_result().error;
  EXPECT_EQ(states(), states_t{"CreatingVM"});
  advance(100ms);
  EXPECT_EQ(states(), states_t{"StartingVM"});
  advance(100ms);
  EXPECT_EQ(states(), states_t{"StartingRole"});
  advance(100ms);
  EXPECT_EQ(states(), states_t{"ReadyRole"});
  EXPECT_EQ(os_file("app/site.cfg"), "site v1");
  auto statuses = board->snapshot();
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].state, "ReadyRole");
  EXPECT_EQ(statuses[0].version, "v1");
}

TEST_F(instance_fixture, start_of_a_ready_instance_is_acknowledged_and_changes_nothing) {
  start_manager();
  ready();
  states();
  command(k::start, spec());
  EXPECT_TRUE(last_result().ok);
  advance(500ms);
  EXPECT_TRUE(states().empty());
}

TEST_F(instance_fixture, a_refused_command_says_why) {
  start_manager();
  ready();
  command(k::stop, spec());
  advance(200ms);
  command(k::reboot, spec());
  auto r = last_result();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "reboot is not allowed in state StoppedVM: the deployment is stopped; start it first");
}

TEST_F(instance_fixture, a_command_for_an_unknown_instance_is_refused) {
  start_manager();
  command(k::reimage, spec("Nobody_IN_0"));
  EXPECT_FALSE(last_result().ok);
  EXPECT_EQ(last_result().error,
            "reimage of instance 'Nobody_IN_0': the instance is not on this node");
}

TEST_F(instance_fixture, capacity_bounds_the_instances) {
  start_manager(1);
  ready("Web_IN_0");
  command(k::start, spec("Web_IN_1"));
  EXPECT_FALSE(last_result().ok);
  EXPECT_EQ(last_result().error, "node full: it hosts 1 instances (capacity 1)");
}

// -- the disk table, on the real disk store ------------------------------------

struct disk_case {
  std::string name;
  std::function<void(instance_fixture&)> run;
  states_t states;
  bool os_file_kept;     // a file the instance wrote to its OS disk
  bool local_store_kept; // LocalStore (cleanOnRoleRecycle=false)
  bool cache_kept;       // Cache (cleanOnRoleRecycle=true)
  std::string site_cfg;  // app/site.cfg afterwards (from the base image)
};

class disk_table : public instance_fixture,
                   public ::testing::WithParamInterface<disk_case> {};

TEST_P(disk_table, operation_leaves_the_disks_as_the_table_says) {
  const auto& c = GetParam();
  start_manager();
  ready();
  ASSERT_EQ(http("PUT", "/disk/os/app/data.txt", "os data").status, 200);
  ASSERT_EQ(http("PUT", "/disk/local/LocalStore/keep.txt", "local data").status, 200);
  ASSERT_EQ(http("PUT", "/disk/local/Cache/tmp.txt", "cache data").status, 200);
  states();
  c.run(*this);
  EXPECT_EQ(states(), c.states);
  EXPECT_EQ(os_file("app/data.txt").has_value(), c.os_file_kept);
  EXPECT_EQ(local_file("LocalStore", "keep.txt").has_value(), c.local_store_kept);
  EXPECT_EQ(local_file("Cache", "tmp.txt").has_value(), c.cache_kept);
  EXPECT_EQ(os_file("app/site.cfg"), c.site_cfg);
}

const states_t reboot_states{"RestartingRole", "StartingRole", "ReadyRole"};
const states_t recreate_states{"CreatingVM", "StartingVM", "StartingRole", "ReadyRole"};

INSTANTIATE_TEST_SUITE_P(
  commands, disk_table,
  ::testing::Values(
    disk_case{"reboot",
              [](instance_fixture& f) {
                f.command(k::reboot, f.spec());
                f.advance(300ms);
              },
              reboot_states, true, true, true, "site v1"},
    disk_case{"reboot_degenerated",
              [](instance_fixture& f) {
                f.command(k::reboot, f.spec(), true);
                f.advance(300ms);
              },
              reboot_states, false, true, true, "site v1"},
    disk_case{"reimage",
              [](instance_fixture& f) {
                f.command(k::reimage, f.spec());
                f.advance(400ms);
              },
              recreate_states, false, true, true, "site v1"},
    disk_case{"rebuild",
              [](instance_fixture& f) {
                f.command(k::rebuild, f.spec());
                f.advance(400ms);
              },
              recreate_states, false, false, false, "site v1"},
    disk_case{"upgrade",
              [](instance_fixture& f) {
                f.command(k::upgrade, f.spec("Web_IN_0", "v2"));
                f.advance(400ms);
              },
              recreate_states, false, true, false, "site v2"},
    disk_case{"guest_restart",
              [](instance_fixture& f) {
                EXPECT_EQ(f.http("POST", "/guest/restart").status, 202);
                f.advance(300ms);
              },
              reboot_states, true, true, true, "site v1"},
    disk_case{"guest_shutdown",
              [](instance_fixture& f) {
                EXPECT_EQ(f.http("POST", "/guest/shutdown").status, 202);
                f.advance(900ms);
                EXPECT_EQ(f.shared()->state, model::instance_state::aborted);
                f.advance(400ms);
              },
              {"Aborted", "StartingVM", "StartingRole", "ReadyRole"}, true, true, true,
              "site v1"},
    disk_case{"stop_start",
              [](instance_fixture& f) {
                f.command(k::stop, f.spec());
                f.advance(200ms);
                f.command(k::start, f.spec());
                f.advance(300ms);
              },
              {"StoppingRole", "StoppingVM", "StoppedVM", "StartingVM", "StartingRole",
               "ReadyRole"},
              true, true, true, "site v1"},
    disk_case{"migrate_in",
              [](instance_fixture& f) {
                f.command(k::migrate_in, f.spec());
                f.advance(400ms);
              },
              recreate_states, false, false, false, "site v1"}),
  [](const ::testing::TestParamInfo<disk_case>& i) { return i.param.name; });

TEST_F(instance_fixture, remove_destroys_the_disks_and_forgets_the_instance) {
  start_manager();
  ready();
  ASSERT_EQ(http("PUT", "/disk/local/LocalStore/keep.txt", "x").status, 200);
  states();
  command(k::remove, spec());
  EXPECT_TRUE(last_result().ok) << last_result().error;
  EXPECT_EQ(states(), states_t{""}); // "" = forgotten (nothing goes on the wire)
  EXPECT_FALSE(disk::instance_disks::open(data(), "Web_IN_0").ok());
  EXPECT_TRUE(board->snapshot().empty());
  EXPECT_FALSE(instance());
  EXPECT_TRUE(held_on_disk(data()).empty());
}

TEST_F(instance_fixture, a_start_right_after_a_remove_waits_for_it_and_starts_fresh) {
  start_manager();
  ready();
  ASSERT_EQ(http("PUT", "/disk/local/LocalStore/keep.txt", "x").status, 200);
  states();
  protocol::instance_command remove{next_id++, k::remove, spec(), false};
  protocol::instance_command start{next_id++, k::start, spec(), false};
  caf::anon_send(client, remove);
  caf::anon_send(client, start);
  ds.run();
  ASSERT_EQ(results->size(), 3u);
  EXPECT_TRUE((*results)[1].ok) << (*results)[1].error;
  EXPECT_TRUE((*results)[2].ok) << (*results)[2].error;
  EXPECT_EQ(states(), (states_t{"", "CreatingVM"}));
  EXPECT_FALSE(local_file("LocalStore", "keep.txt").has_value());
}

TEST_F(instance_fixture, each_command_is_checked_against_the_lifecycle_before_the_disks) {
  start_manager();
  command(k::start, spec());
  // CreatingVM: a reimage is refused and changes nothing.
  command(k::reimage, spec());
  EXPECT_FALSE(last_result().ok);
  EXPECT_EQ(last_result().error,
            "reimage is not allowed in state CreatingVM: the VM is not running yet");
}

// -- image fetch ---------------------------------------------------------------

struct fetch_fixture : instance_fixture {
  std::string digest;
  std::vector<std::string> chunks;

  void make_remote_image(const std::string& content) {
    // An image only the "coordinator" has: exported from another store.
    auto src = root() / "remote-src";
    disk::test::put(src / "app/site.cfg", content);
    images::image_store remote{root() / "remote"};
    digest = remote.import_directory(src).value();
    ASSERT_TRUE(remote
                  .export_image(digest,
                                [this](std::string_view c) {
                                  chunks.emplace_back(c);
                                  return ok_status();
                                },
                                64)
                  .ok());
    ASSERT_GT(chunks.size(), 2u);
  }

  /// Sends the chunks in order; `corrupt` flips a bit of the file's content.
  void send_chunks(bool corrupt = false) {
    std::string all;
    for (auto& c : chunks)
      all += c;
    auto flip = corrupt ? all.find("remote site") : std::string::npos;
    uint64_t offset = 0;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      protocol::image_chunk c;
      c.digest = digest;
      c.offset = offset;
      c.data.assign(chunks[i].begin(), chunks[i].end());
      if (flip != std::string::npos && flip >= offset && flip < offset + c.data.size())
        c.data[flip - offset] ^= 0x01;
      c.last = i + 1 == chunks.size();
      offset += c.data.size();
      caf::anon_send(manager, actors::peer_message{"", protocol::current_version, 0, c});
      ds.run();
    }
  }
};

TEST_F(fetch_fixture, a_missing_image_is_fetched_before_the_command_runs) {
  make_remote_image("remote site");
  start_manager();
  auto s = spec();
  s.image_digest = digest;
  command(k::start, s);
  ASSERT_EQ(image_requests->size(), 1u);
  EXPECT_EQ((*image_requests)[0].digest, digest);
  EXPECT_TRUE(results->empty()); // waits for the image
  // A second command for the same instance waits behind the first.
  command(k::stop, s);
  EXPECT_TRUE(results->empty());
  send_chunks();
  ASSERT_EQ(results->size(), 2u);
  EXPECT_TRUE((*results)[0].ok) << (*results)[0].error;
  EXPECT_TRUE((*results)[1].ok) << (*results)[1].error;
  EXPECT_TRUE(images::image_store(data()).contains(digest));
  EXPECT_EQ(os_file("app/site.cfg"), "remote site");
  EXPECT_EQ(states(), (states_t{"CreatingVM", "StoppingVM"}));
}

TEST_F(fetch_fixture, a_corrupted_transfer_fails_the_waiting_command) {
  make_remote_image("remote site");
  start_manager();
  auto s = spec();
  s.image_digest = digest;
  command(k::start, s);
  send_chunks(true);
  ASSERT_EQ(results->size(), 1u);
  EXPECT_FALSE((*results)[0].ok);
  EXPECT_NE((*results)[0].error.find("image transfer corrupted"), std::string::npos)
    << (*results)[0].error;
  EXPECT_FALSE(images::image_store(data()).contains(digest));
  // The next command asks again.
  command(k::start, s);
  EXPECT_EQ(image_requests->size(), 2u);
}

// -- fencing and held ----------------------------------------------------------

TEST_F(instance_fixture, fencing_stops_every_instance_and_start_brings_it_back_with_its_data) {
  start_manager();
  ready();
  ASSERT_EQ(http("PUT", "/disk/os/app/data.txt", "os data").status, 200);
  states();
  caf::anon_send(manager, fence_msg{true});
  ds.run();
  EXPECT_EQ(states(), (states_t{"StoppingRole", "StoppingVM", "StoppedVM"}));
  advance(1000ms);
  EXPECT_TRUE(states().empty()); // no phase of the walk fires later
  caf::anon_send(manager, fence_msg{false});
  command(k::start, spec());
  advance(300ms);
  EXPECT_EQ(states(), (states_t{"StartingVM", "StartingRole", "ReadyRole"}));
  EXPECT_EQ(os_file("app/data.txt"), "os data");
}

TEST_F(instance_fixture, held_on_disk_reports_what_a_restarted_node_finds) {
  start_manager();
  ready();
  ASSERT_EQ(http("PUT", "/disk/os/app/data.txt", "os data").status, 200);
  auto held = held_on_disk(data());
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].instance_name, "Web_IN_0");
  EXPECT_EQ(held[0].deployment_name, "dep-1");
  EXPECT_EQ(held[0].version, "v1");
  EXPECT_TRUE(held[0].has_os_layer);
  ASSERT_EQ(held[0].local_resources.size(), 2u);
  EXPECT_EQ(held[0].local_resources[0].name, "LocalStore");
}

TEST_F(instance_fixture, a_new_actor_adopts_disks_held_from_before_a_restart) {
  start_manager();
  ready();
  ASSERT_EQ(http("PUT", "/disk/local/LocalStore/keep.txt", "kept").status, 200);
  // A "restarted node": a new manager over the same data directory.
  caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
  ds.run();
  start_manager();
  states();
  command(k::start, spec());
  EXPECT_TRUE(last_result().ok) << last_result().error;
  advance(300ms);
  EXPECT_EQ(states(), (states_t{"StoppedVM", "StartingVM", "StartingRole", "ReadyRole"}));
  EXPECT_EQ(local_file("LocalStore", "keep.txt"), "kept");
}

} // namespace
} // namespace fabric::node::test
