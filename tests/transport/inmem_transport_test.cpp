// The in-memory network: delivery, fault hooks, and determinism per seed.

#include <gtest/gtest.h>

#include <algorithm>

#include "transport/inmem_transport.hpp"

namespace fabric::transport {
namespace {

struct inmem_test : ::testing::Test {
  std::shared_ptr<inmem_network> net
    = std::make_shared<inmem_network>(std::mt19937_64(7));
  std::unique_ptr<inmem_endpoint> coord = net->attach("coord");
  std::unique_ptr<inmem_endpoint> node = net->attach("node-a", "coord");

  std::vector<std::string> drain(inmem_endpoint& e) {
    std::vector<std::string> out;
    while (auto f = e.try_receive())
      out.push_back(f->bytes);
    return out;
  }
};

TEST_F(inmem_test, frames_wait_until_delivered_and_carry_the_sender) {
  node->send({}, "hello");
  EXPECT_FALSE(coord->try_receive());
  EXPECT_EQ(net->in_flight(), 1u);
  EXPECT_EQ(net->deliver_all(), 1u);
  auto f = coord->try_receive();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->from, "node-a");
  EXPECT_EQ(f->bytes, "hello");
}

TEST_F(inmem_test, fifo_without_faults) {
  for (int i = 0; i < 5; ++i)
    node->send({}, std::to_string(i));
  net->deliver_all();
  EXPECT_EQ(drain(*coord), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

TEST_F(inmem_test, drop_all) {
  net->set_faults({1.0, 0.0, 0.0});
  node->send({}, "x");
  net->deliver_all();
  EXPECT_FALSE(coord->try_receive());
  EXPECT_EQ(net->stats().dropped, 1u);
}

TEST_F(inmem_test, duplicate_all) {
  net->set_faults({0.0, 1.0, 0.0});
  node->send({}, "x");
  net->deliver_all();
  EXPECT_EQ(drain(*coord), (std::vector<std::string>{"x", "x"}));
  EXPECT_EQ(net->stats().duplicated, 1u);
}

TEST_F(inmem_test, reorder_changes_the_order_but_loses_nothing) {
  net->set_faults({0.0, 0.0, 1.0});
  for (int i = 0; i < 6; ++i)
    node->send({}, std::to_string(i));
  net->deliver_all();
  auto got = drain(*coord);
  EXPECT_NE(got, (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
  EXPECT_GT(net->stats().reordered, 0u);
}

TEST_F(inmem_test, partition_cuts_both_ways_until_healed) {
  net->partition({"coord"}, {"node-a"});
  node->send({}, "up");
  coord->send("node-a", "down");
  net->deliver_all();
  EXPECT_FALSE(coord->try_receive());
  EXPECT_FALSE(node->try_receive());
  EXPECT_EQ(net->stats().partitioned, 2u);
  net->heal();
  node->send({}, "again");
  net->deliver_all();
  EXPECT_EQ(drain(*coord), (std::vector<std::string>{"again"}));
}

TEST_F(inmem_test, send_to_unknown_peer_fails) {
  coord->send("nobody", "x");
  EXPECT_EQ(coord->stats().send_failures, 1u);
  EXPECT_EQ(net->in_flight(), 0u);
}

TEST_F(inmem_test, auto_deliver_makes_frames_arrive_at_once) {
  net->auto_deliver(true);
  node->send({}, "now");
  EXPECT_EQ(drain(*coord), (std::vector<std::string>{"now"}));
}

std::vector<std::string> run_with_seed(uint64_t seed) {
  auto net = std::make_shared<inmem_network>(std::mt19937_64(seed));
  auto a = net->attach("a");
  auto b = net->attach("b", "a");
  net->set_faults({0.2, 0.2, 0.5});
  for (int i = 0; i < 40; ++i)
    b->send({}, std::to_string(i));
  net->deliver_all();
  std::vector<std::string> out;
  while (auto f = a->try_receive())
    out.push_back(f->bytes);
  return out;
}

TEST(inmem_network, same_seed_same_run_other_seed_other_run) {
  EXPECT_EQ(run_with_seed(1), run_with_seed(1));
  EXPECT_NE(run_with_seed(1), run_with_seed(2));
}

} // namespace
} // namespace fabric::transport
