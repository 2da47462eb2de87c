// Issue 14: `fabricctl deploy` with a UTF-16 .cscfg (as Visual Studio saved
// them) aborted with an uncaught nlohmann::json type_error, exit 134: the raw
// bytes went into a JSON string. The real binary against a fake coordinator
// (cpp-httplib) that records the request body.

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "model/service_model_parser.hpp"

namespace {

using nlohmann::json;
const std::string data = FABRIC_TEST_DATA;

struct fake_coordinator {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mtx;
  std::string last_body;

  fake_coordinator() {
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> g(mtx);
        last_body = req.body;
      }
      res.status = 202;
      res.set_content(R"({"operation_id":"op-1"})", "application/json");
    };
    server.Post(R"(/fabric/v1/services/([^/]+)/deployments/([^/]+))", record);
    server.Post(R"(/fabric/v1/services/([^/]+)/deployments)", record);
    server.Post(R"(/fabric/v1/services/([^/]+)/deployments/([^/]+)/upgrade)", record);
    server.Post(R"(/fabric/v1/services/([^/]+)/deployments/([^/]+)/redeploy)", record);
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~fake_coordinator() {
    server.stop();
    thread.join();
  }
  std::string body() {
    std::lock_guard<std::mutex> g(mtx);
    return last_body;
  }
};

struct run_result {
  int exit_code = -1;
  bool signaled = false;
  std::string out;
};

run_result fabricctl(const std::string& args) {
  std::string cmd = std::string{FABRIC_BIN_DIR} + "/fabricctl " + args + " 2>&1";
  run_result r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // popen runs `sh -c`: a child killed by SIGABRT shows as 128+6 from the shell.
  r.signaled = WIFSIGNALED(status) || r.exit_code == 134;
  return r;
}


std::string utf16le_with_bom(const std::string& ascii) {
  std::string out = "\xFF\xFE";
  for (char c : ascii) {
    out += c;
    out += '\0';
  }
  return out;
}

} // namespace

TEST(FabricctlDeploy, a_utf16_cscfg_and_csdef_are_sent_as_utf8_text_that_parses_like_the_file) {
  fake_coordinator fake;
  std::string cscfg = data + "/edge/utf16le-bom.cscfg";
  std::string csdef = testing::TempDir() + std::to_string(getpid()) + "_utf16.csdef";
  std::ofstream(csdef, std::ios::binary) << utf16le_with_bom(
    R"(<?xml version="1.0" encoding="utf-16"?><ServiceDefinition name="s"><WebRole name="Web"/></ServiceDefinition>)");
  auto r = fabricctl("--coordinator http://127.0.0.1:" + std::to_string(fake.port)
                     + " deploy --service svc --slot production --image base --csdef " + csdef
                     + " --cscfg " + cscfg);
  EXPECT_FALSE(r.signaled) << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out;
  auto body = json::parse(fake.body());
  auto sent_cfg = body["cscfg"].get<std::string>();
  auto sent_def = body["csdef"].get<std::string>();
  // UTF-8 now, with a declaration that says so, and the same model as the file.
  EXPECT_EQ(sent_cfg.find('\0'), std::string::npos);
  EXPECT_EQ(sent_cfg.find("utf-16"), std::string::npos) << sent_cfg.substr(0, 80);
  auto from_file = fabric::model::load_service_configuration(cscfg);
  auto from_body = fabric::model::parse_service_configuration(sent_cfg, "sent.cscfg");
  ASSERT_TRUE(from_file.ok()) << from_file.err().to_string();
  ASSERT_TRUE(from_body.ok()) << from_body.err().to_string();
  ASSERT_EQ(from_body->roles.size(), from_file->roles.size());
  for (std::size_t i = 0; i < from_file->roles.size(); ++i) {
    EXPECT_EQ(from_body->roles[i].name, from_file->roles[i].name);
    EXPECT_EQ(from_body->roles[i].instance_count, from_file->roles[i].instance_count);
    EXPECT_EQ(from_body->roles[i].settings, from_file->roles[i].settings);
  }
  EXPECT_TRUE(fabric::model::parse_service_definition(sent_def, "sent.csdef").ok());
  std::remove(csdef.c_str());
}

TEST(FabricctlDeploy, a_binary_file_is_exit_two_with_a_message_naming_it) {
  fake_coordinator fake;
  std::string bin = testing::TempDir() + std::to_string(getpid()) + "_binary.cscfg";
  std::ofstream(bin, std::ios::binary) << std::string("\x89PNG\r\n\x1a\n\0\0\xff\xfe", 12);
  auto r = fabricctl("--coordinator http://127.0.0.1:" + std::to_string(fake.port)
                     + " deploy --service svc --slot production --image base --csdef " + bin
                     + " --cscfg " + bin);
  EXPECT_FALSE(r.signaled) << r.out;
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(bin), std::string::npos) << r.out;
  EXPECT_TRUE(fake.body().empty());
  std::remove(bin.c_str());
}

TEST(FabricctlDeploy, text_that_is_not_utf8_on_the_command_line_is_a_message_not_an_abort) {
  // A label in Latin-1: nlohmann::json refuses to dump it. Before, an
  // uncaught type_error (exit 134); now a message and exit 2.
  fake_coordinator fake;
  std::string cscfg = data + "/models/ten-web.cscfg";
  std::string csdef = data + "/models/ten-web.csdef";
  auto r = fabricctl("--coordinator http://127.0.0.1:" + std::to_string(fake.port)
                     + " deploy --service svc --slot production --image base --csdef " + csdef
                     + " --cscfg " + cscfg + " --label \"$(printf 'caf\\351')\"");
  EXPECT_FALSE(r.signaled) << r.out;
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("fabricctl:"), std::string::npos) << r.out;
}
