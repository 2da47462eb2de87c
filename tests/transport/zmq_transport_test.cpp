// ZeroMQ transport over loopback: ROUTER bound to an ephemeral port, DEALERs
// connected to it. Waits are bounded polls (receive with a timeout).

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "transport/zmq_transport.hpp"

namespace fabric::transport {
namespace {

using namespace std::chrono_literals;

std::optional<inbound_frame> receive_within(transport& t, std::chrono::milliseconds total) {
  auto deadline = std::chrono::steady_clock::now() + total;
  while (std::chrono::steady_clock::now() < deadline)
    if (auto f = t.receive(50ms))
      return f;
  return std::nullopt;
}

struct zmq_transport_test : ::testing::Test {
  zmq::context_t ctx;
  std::unique_ptr<zmq_transport> router;

  void SetUp() override {
    auto r = zmq_transport::bind_router(ctx, "tcp://127.0.0.1:*");
    ASSERT_TRUE(r.ok()) << r.err().message;
    router = std::move(*r);
    ASSERT_EQ(router->bound_endpoint().rfind("tcp://127.0.0.1:", 0), 0u);
  }

  std::unique_ptr<zmq_transport> dealer() {
    auto d = zmq_transport::connect_dealer(ctx, router->bound_endpoint());
    EXPECT_TRUE(d.ok());
    return d ? std::move(*d) : nullptr;
  }
};

TEST_F(zmq_transport_test, dealer_to_router_and_back) {
  auto node = dealer();
  // `immediate` drops frames until the connection is up: retry the first one.
  std::optional<inbound_frame> got;
  for (int i = 0; i < 50 && !got; ++i) {
    node->send({}, "hello");
    node->receive(10ms);
    got = router->receive(50ms);
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "hello");
  EXPECT_FALSE(got->from.empty());

  router->send(got->from, std::string("welcome\0x", 9));
  router->receive(0ms);  // flushes the outbox
  auto back = receive_within(*node, 3s);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->bytes, std::string("welcome\0x", 9));
  EXPECT_TRUE(back->from.empty());
}

TEST_F(zmq_transport_test, router_tells_two_dealers_apart) {
  auto a = dealer();
  auto b = dealer();
  std::map<std::string, peer_id> ids;
  for (int i = 0; i < 100 && ids.size() < 2; ++i) {
    if (!ids.count("a"))
      a->send({}, "a");
    if (!ids.count("b"))
      b->send({}, "b");
    a->receive(0ms);
    b->receive(0ms);
    while (auto f = router->receive(20ms))
      ids[f->bytes] = f->from;
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids["a"], ids["b"]);
  router->send(ids["b"], "for-b");
  router->receive(0ms);
  auto got = receive_within(*b, 3s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "for-b");
  EXPECT_FALSE(a->receive(100ms));
}

TEST_F(zmq_transport_test, send_to_unknown_peer_is_counted_not_dropped_silently) {
  router->send("no-such-peer", "x");
  router->receive(10ms);
  EXPECT_EQ(router->stats().send_failures, 1u);
  EXPECT_EQ(router->stats().frames_sent, 0u);
}

TEST_F(zmq_transport_test, send_from_another_thread_goes_out_through_the_owner) {
  auto node = dealer();
  std::optional<inbound_frame> first;
  for (int i = 0; i < 50 && !first; ++i) {
    node->send({}, "ping");
    node->receive(10ms);
    first = router->receive(50ms);
  }
  ASSERT_TRUE(first);
  std::thread sender([&] { router->send(first->from, "from-thread"); });
  sender.join();
  router->receive(0ms);  // the owner thread flushes what the other thread queued
  auto got = receive_within(*node, 3s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes, "from-thread");
}

TEST(zmq_transport, bind_to_bad_endpoint_is_an_error) {
  zmq::context_t ctx;
  auto r = zmq_transport::bind_router(ctx, "tcp://not-an-address");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message.rfind("cannot listen on tcp://not-an-address: ", 0), 0u)
    << r.err().message;
}

} // namespace
} // namespace fabric::transport
