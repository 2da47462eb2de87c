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

// register_ack and heartbeat as 1.2 defined them (1.3 added
// register_ack.missed_heartbeats and heartbeat.full_list).
struct register_ack_v1_2 {
  static constexpr uint16_t type_id = 2;
  bool accepted = false;
  std::string reason;
  uint64_t node_epoch = 0;
  uint32_t heartbeat_interval_ms = 0;
  MSGPACK_DEFINE_MAP(accepted, reason, node_epoch, heartbeat_interval_ms)
};

struct heartbeat_v1_2 {
  static constexpr uint16_t type_id = 3;
  std::string node_name;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  uint64_t sent_at_us = 0;
  std::vector<instance_status> instances;
  MSGPACK_DEFINE_MAP(node_name, epoch, seq, sent_at_us, instances)
};

TEST(protocol_compatibility, a_1_2_register_ack_leaves_missed_heartbeats_at_0) {
  auto out = decode(encode(register_ack_v1_2{true, "", 7, 250}, 1, protocol_version{1, 2}));
  ASSERT_TRUE(out.ok()) << out.err().message;
  auto& ack = std::get<register_ack>(out->message);
  EXPECT_EQ(ack.node_epoch, 7u);
  EXPECT_EQ(ack.heartbeat_interval_ms, 250u);
  EXPECT_EQ(ack.missed_heartbeats, 0u);  // the node keeps its own (node/session.hpp)
}

TEST(protocol_compatibility, the_1_3_fields_are_ignored_by_a_1_2_reader) {
  register_ack ack{true, "", 8, 100};
  ack.missed_heartbeats = 10;
  auto env = decode_envelope(encode(ack));
  ASSERT_TRUE(env.ok());
  auto old_ack = decode_payload<register_ack_v1_2>(env->payload);
  ASSERT_TRUE(old_ack.ok()) << old_ack.err().message;
  EXPECT_EQ(old_ack->node_epoch, 8u);
  heartbeat hb{"n", 8, 3, 99, {{"tw.Web_IN_0", "ReadyRole", "v1", ""}}};
  hb.full_list = true;
  auto henv = decode_envelope(encode(hb));
  ASSERT_TRUE(henv.ok());
  auto old_hb = decode_payload<heartbeat_v1_2>(henv->payload);
  ASSERT_TRUE(old_hb.ok()) << old_hb.err().message;
  EXPECT_EQ(old_hb->instances.size(), 1u);
  // And a 1.2 heartbeat here: not flagged full (membership.hpp takes a
  // non-empty list as full).
  auto back = decode(encode(heartbeat_v1_2{"n", 8, 4, 100, {}}, 2, protocol_version{1, 2}));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(std::get<heartbeat>(back->message).full_list);
}

} // namespace
} // namespace fabric::protocol
