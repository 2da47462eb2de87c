#include "node/endpoints/http_ports.hpp"

#include <httplib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace fabric::node;

namespace {

http_handler echo(std::string name) {
  return [name](const http_request& r) {
    return http_response{200, name + " " + r.method + " " + r.path + "?" + r.query + " " + r.body,
                         "text/plain"};
  };
}

} // namespace

TEST(HttpPorts, EachPortServesItsOwnHandler) {
  http_ports ports;
  auto a = ports.open("127.0.0.1", 0, echo("a"));
  auto b = ports.open("127.0.0.1", 0, echo("b"));
  ASSERT_TRUE(a.ok()) << a.err().to_string();
  ASSERT_TRUE(b.ok()) << b.err().to_string();
  EXPECT_NE(*a, *b);
  EXPECT_EQ(ports.port_count(), 2u);
  httplib::Client ca("127.0.0.1", *a);
  httplib::Client cb("127.0.0.1", *b);
  auto ra = ca.Get("/disk/os/x%20y.txt?v=1");
  ASSERT_TRUE(ra);
  EXPECT_EQ(ra->status, 200);
  EXPECT_EQ(ra->body, "a GET /disk/os/x y.txt?v=1 ");
  auto rb = cb.Put("/p", "hello", "text/plain");
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->body, "b PUT /p? hello");
}

TEST(HttpPorts, HandlerStatusAndContentTypeReachTheClient) {
  http_ports ports;
  auto p = ports.open("127.0.0.1", 0, [](const http_request&) {
    return http_response{404, "{\"error\":\"no such file\"}", "application/json"};
  });
  ASSERT_TRUE(p.ok());
  httplib::Client c("127.0.0.1", *p);
  auto r = c.Get("/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
}

TEST(HttpPorts, ClosedPortRefusesConnections) {
  http_ports ports;
  auto p = ports.open("127.0.0.1", 0, echo("a"));
  ASSERT_TRUE(p.ok());
  ports.close(*p);
  EXPECT_EQ(ports.port_count(), 0u);
  httplib::Client c("127.0.0.1", *p);
  c.set_connection_timeout(1, 0);
  EXPECT_FALSE(c.Get("/"));
}

TEST(HttpPorts, PortInUseIsAClearError) {
  http_ports ports;
  auto p = ports.open("127.0.0.1", 0, echo("a"));
  ASSERT_TRUE(p.ok());
  auto again = ports.open("127.0.0.1", *p, echo("b"));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.err().message.find("cannot listen on 127.0.0.1:" + std::to_string(*p)),
            std::string::npos);
}

TEST(HttpPorts, ThrowingHandlerAnswers500AndPortKeepsServing) {
  http_ports ports;
  std::atomic<int> calls{0};
  auto p = ports.open("127.0.0.1", 0, [&](const http_request&) -> http_response {
    if (calls++ == 0)
      throw std::runtime_error("boom");
    return {200, "fine", "text/plain"};
  });
  ASSERT_TRUE(p.ok());
  httplib::Client c("127.0.0.1", *p);
  auto r1 = c.Get("/");
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->status, 500);
  auto r2 = c.Get("/");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->body, "fine");
}

TEST(HttpPorts, ManyPortsOnOneLoopThread) {
  http_ports ports;
  std::vector<int> open;
  for (int i = 0; i < 200; ++i) {
    auto p = ports.open("127.0.0.1", 0, echo(std::to_string(i)));
    ASSERT_TRUE(p.ok());
    open.push_back(*p);
  }
  EXPECT_EQ(ports.port_count(), 200u);
  for (int i : {0, 99, 199}) {
    httplib::Client c("127.0.0.1", open[i]);
    auto r = c.Get("/x");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, std::to_string(i) + " GET /x? ");
  }
}
