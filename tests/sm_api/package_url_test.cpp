// sm_server::resolve_package_url (issue 14): only registered package names
// and http(s) URLs, downloads bounded in size and time; local paths refused
// alike whether or not something is there (before: /dev/zero grew memory
// without bound, a FIFO blocked the API thread, the message told whether a
// file existed).

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <httplib.h>
#include <sys/stat.h>

#include "sm_api/server/package_catalog.hpp"
#include "tests/integration/process_harness.hpp"

namespace fabric::sm_server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* const csdef = R"(<ServiceDefinition name="s"><WebRole name="Web"/></ServiceDefinition>)";

struct package_url_test : ::testing::Test {
  std::string dir = fabric::testing::temp_dir("fabric-pkgurl");
  package_catalog catalog{(fs::path(dir) / "packages").string()};
  httplib::Server server;
  std::thread thread;
  int port = 0;

  void SetUp() override {
    ASSERT_TRUE(catalog.load().ok());
    ASSERT_TRUE(catalog.put({"web", "base", csdef}).ok());
    server.Get("/docs/remote.json", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(package_document({"remote", "base", csdef}), "application/json");
    });
    server.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(5 * 1024 * 1024, ' '), "application/json");
    });
    server.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/json", [](std::size_t, httplib::DataSink& sink) {
        std::this_thread::sleep_for(100ms);  // a trickle: one byte per 100 ms
        return sink.write(" ", 1);
      });
    });
    server.Get("/missing", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void TearDown() override {
    server.stop();
    thread.join();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

TEST_F(package_url_test, a_registered_name_and_a_blob_url_naming_it_resolve) {
  auto a = resolve_package_url(catalog, "web");
  ASSERT_TRUE(a.ok()) << a.err().message;
  EXPECT_EQ(a->image, "base");
  auto b = resolve_package_url(catalog, "https://acct.blob.core.windows.net/pkgs/web.cspkg?sv=1");
  ASSERT_TRUE(b.ok()) << b.err().message;
  EXPECT_EQ(b->name, "web");
  auto c = resolve_package_url(catalog, "nosuch");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.err().message.find("no package 'nosuch'"), std::string::npos);
}

TEST_F(package_url_test, local_paths_are_refused_alike_whether_or_not_a_file_is_there) {
  auto doc = fs::path(dir) / "pkg.json";
  std::ofstream(doc) << package_document({"local", "base", csdef});
  auto fifo = fs::path(dir) / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Each would have been read before: the document (accepted), /dev/zero
  // (memory without bound), the FIFO (blocks forever), the missing file (a
  // different message). The whole set must answer at once.
  auto all = std::async(std::launch::async, [&] {
    std::vector<std::string> messages;
    for (std::string u : {doc.string(), "file://" + doc.string(), std::string("/dev/zero"),
                          std::string("file:///dev/zero"), fifo.string(), std::string("/nonexistent/pkg.json"),
                          std::string("./pkg.json"), std::string("../pkg.json"),
                          std::string("ftp://host/web.cspkg")}) {
      auto r = resolve_package_url(catalog, u);
      EXPECT_FALSE(r.ok()) << u;
      if (!r.ok())
        messages.push_back(r.err().message.substr(r.err().message.find("' is not accepted")));
    }
    return messages;
  });
  ASSERT_EQ(all.wait_for(10s), std::future_status::ready) << "a local path was read";
  auto messages = all.get();
  ASSERT_EQ(messages.size(), 9u);
  for (auto& m : messages)
    EXPECT_EQ(m, messages.front());  // nothing tells the paths apart
  EXPECT_NE(messages.front().find("registered package"), std::string::npos) << messages.front();
}

TEST_F(package_url_test, an_http_url_is_downloaded_as_a_package_document) {
  auto r = resolve_package_url(catalog, url("/docs/remote.json"));
  ASSERT_TRUE(r.ok()) << r.err().message;
  EXPECT_EQ(r->name, "remote");
  auto missing = resolve_package_url(catalog, url("/missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.err().message.find("answered 404"), std::string::npos) << missing.err().message;
}

TEST_F(package_url_test, downloads_are_bounded_in_size_and_time) {
  auto big = resolve_package_url(catalog, url("/big"));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.err().message.find("larger than 4194304 bytes"), std::string::npos)
    << big.err().message;
  package_fetch_limits quick;
  quick.timeout = 500ms;
  auto t0 = std::chrono::steady_clock::now();
  auto slow = resolve_package_url(catalog, url("/slow"), quick);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(slow.ok());
  EXPECT_NE(slow.err().message.find("longer than 500 ms"), std::string::npos) << slow.err().message;
  EXPECT_LT(took, 5s);
}

} // namespace
} // namespace fabric::sm_server
