// ZeroMQ transport over loopback: ROUTER bound to an ephemeral port, DEALERs
// connected to it. Waits are bounded polls (receive with a timeout).

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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

// -- ZMQ_MAXMSGSIZE (issue 14) --------------------------------------------------------

namespace {

/// A raw TCP peer that speaks just enough ZMTP 3.0 (NULL mechanism, a DEALER)
/// to announce one long frame: what a hostile or broken node can send.
int raw_zmtp_dealer(const std::string& endpoint) {
  auto colon = endpoint.rfind(':');
  int port = std::stoi(endpoint.substr(colon + 1));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  std::string greeting(64, '\0');
  greeting[0] = '\xff';
  greeting[9] = '\x7f';
  greeting[10] = 3;  // version 3.0
  greeting.replace(12, 4, "NULL");
  std::string ready = std::string("\x05READY", 6) + "\x0bSocket-Type" + std::string("\0\0\0\x06", 4)
                      + "DEALER";
  std::string cmd = std::string("\x04", 1) + static_cast<char>(ready.size()) + ready;
  // A long message frame (flags 0x02) of 1 GiB, and its first kilobyte.
  std::string frame("\x02\0\0\0\0\x40\0\0\0", 9);
  frame += std::string(1024, 'x');
  std::string all = greeting + cmd + frame;
  (void) ::send(fd, all.data(), all.size(), MSG_NOSIGNAL);
  return fd;
}

/// True when the peer closed `fd` within `within` (reads until EOF or reset).
bool closed_by_peer(int fd, std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return true;  // EOF or ECONNRESET
  }
  return false;
}

} // namespace

TEST(zmq_transport_limits, a_peer_announcing_a_frame_over_the_limit_is_dropped_before_it_is_read) {
  zmq::context_t ctx;
  auto r = zmq_transport::bind_router(ctx, "tcp://127.0.0.1:*", 4096);
  ASSERT_TRUE(r.ok()) << r.err().message;
  auto& router = **r;
  auto node = zmq_transport::connect_dealer(ctx, router.bound_endpoint(), 4096);
  ASSERT_TRUE(node.ok());

  // The router's owner thread receives; the well-behaved node sends a
  // "heartbeat" every 10 ms throughout.
  std::atomic<bool> stop{false};
  std::atomic<int> heartbeats{0};
  std::atomic<bool> big_seen{false};
  std::thread owner([&] {
    while (!stop)
      if (auto f = router.receive(10ms)) {
        if (f->bytes == "hb")
          ++heartbeats;
        else if (f->bytes.size() > 4096)
          big_seen = true;
      }
  });
  std::thread beater([&] {
    while (!stop) {
      (*node)->send({}, "hb");
      (*node)->receive(10ms);
    }
  });
  auto wait_beats = [&](int n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (heartbeats < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    return heartbeats >= n;
  };
  EXPECT_TRUE(wait_beats(3));

  int fd = raw_zmtp_dealer(router.bound_endpoint());
  ASSERT_GE(fd, 0);
  // Without ZMQ_MAXMSGSIZE the router waits for the rest of the 1 GiB frame
  // (and would allocate it); with it, the connection is closed at the header.
  EXPECT_TRUE(closed_by_peer(fd, 5s));
  ::close(fd);
  int before = heartbeats;
  EXPECT_TRUE(wait_beats(before + 5)) << "the other node's frames stopped";

  // A real DEALER sending an oversized frame: never delivered.
  zmq::socket_t big(ctx, zmq::socket_type::dealer);
  big.set(zmq::sockopt::linger, 0);
  big.connect(router.bound_endpoint());
  big.send(zmq::buffer(std::string(100000, 'y')), zmq::send_flags::none);
  before = heartbeats;
  EXPECT_TRUE(wait_beats(before + 5));
  EXPECT_FALSE(big_seen);

  stop = true;
  beater.join();
  owner.join();
}

TEST(zmq_transport_limits, frames_up_to_the_limit_still_pass) {
  zmq::context_t ctx;
  auto r = zmq_transport::bind_router(ctx, "tcp://127.0.0.1:*", 4096);
  ASSERT_TRUE(r.ok());
  auto node = zmq_transport::connect_dealer(ctx, (*r)->bound_endpoint(), 4096);
  ASSERT_TRUE(node.ok());
  std::string at_limit(4096, 'z');
  std::optional<inbound_frame> got;
  for (int i = 0; i < 50 && !got; ++i) {
    (*node)->send({}, at_limit);
    (*node)->receive(10ms);
    got = (*r)->receive(50ms);
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->bytes.size(), 4096u);
}

} // namespace fabric::transport
