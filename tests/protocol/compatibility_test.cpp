// Minor-version compatibility: a "v1.0" struct and a "v1.1" struct of the same
// message (the 1.1 one has an extra field) must read each other's encoding.

#include <gtest/gtest.h>

#include "protocol/codec.hpp"

namespace fabric::protocol {
namespace {

// What a 1.0 peer knows of a message.
struct status_v1_0 {
  static constexpr uint16_t type_id = 3;
  std::string node_name;
  uint64_t seq = 0;
  MSGPACK_DEFINE_MAP(node_name, seq)
};

// The same message at 1.1: two fields added.
struct status_v1_1 {
  static constexpr uint16_t type_id = 3;
  std::string node_name;
  uint64_t seq = 0;
  std::string zone = "default-zone";
  std::vector<std::string> tags;
  MSGPACK_DEFINE_MAP(node_name, seq, zone, tags)
};

TEST(protocol_compatibility, new_reader_gets_defaults_for_fields_an_old_writer_lacks) {
  auto bytes = encode_payload(status_v1_0{"node-a", 12});
  auto out = decode_payload<status_v1_1>(bytes);
  ASSERT_TRUE(out.ok()) << out.err().message;
  EXPECT_EQ(out->node_name, "node-a");
  EXPECT_EQ(out->seq, 12u);
  EXPECT_EQ(out->zone, "default-zone");
  EXPECT_TRUE(out->tags.empty());
}

TEST(protocol_compatibility, old_reader_ignores_fields_a_new_writer_adds) {
  auto bytes = encode_payload(status_v1_1{"node-b", 13, "zone-9", {"x", "y"}});
  auto out = decode_payload<status_v1_0>(bytes);
  ASSERT_TRUE(out.ok()) << out.err().message;
  EXPECT_EQ(out->node_name, "node-b");
  EXPECT_EQ(out->seq, 13u);
}

// node_register as 1.0 defined it (no agent_version).
struct node_register_v1_0 {
  static constexpr uint16_t type_id = 1;
  std::string node_name;
  uint32_t fault_domain = 0;
  std::string advertise_host;
  uint32_t capacity = 0;
  std::vector<held_instance> held_instances;
  MSGPACK_DEFINE_MAP(node_name, fault_domain, advertise_host, capacity, held_instances)
};

TEST(protocol_compatibility, a_1_0_node_register_frame_decodes_in_this_build) {
  auto frame = encode(node_register_v1_0{"old-node", 1, "127.0.0.1", 4, {}}, 9,
                      protocol_version{1, 0});
  auto out = decode(frame);
  ASSERT_TRUE(out.ok()) << out.err().message;
  EXPECT_EQ(out->version, (protocol_version{1, 0}));
  auto& reg = std::get<node_register>(out->message);
  EXPECT_EQ(reg.node_name, "old-node");
  EXPECT_EQ(reg.fault_domain, 1u);
  EXPECT_EQ(reg.capacity, 4u);
  EXPECT_EQ(reg.agent_version, "");
}

TEST(protocol_compatibility, this_builds_node_register_decodes_in_a_1_0_reader) {
  node_register reg;
  reg.node_name = "new-node";
  reg.fault_domain = 2;
  reg.agent_version = "9.9";
  auto env = decode_envelope(encode(reg));
  ASSERT_TRUE(env.ok());
  auto old = decode_payload<node_register_v1_0>(env->payload);
  ASSERT_TRUE(old.ok()) << old.err().message;
  EXPECT_EQ(old->node_name, "new-node");
  EXPECT_EQ(old->fault_domain, 2u);
}

} // namespace
} // namespace fabric::protocol
