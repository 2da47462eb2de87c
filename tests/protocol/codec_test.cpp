// Round trip of every message type through a full frame, and the refusal of
// bad frames (each with its classified reason and message).

#include <gtest/gtest.h>

#include "protocol/codec.hpp"

namespace fabric::protocol {
namespace {

template <class T>
T round_trip(const T& in, uint64_t correlation = 42) {
  auto frame = encode(in, correlation);
  decode_failure why = decode_failure::none;
  auto out = decode(frame, {}, &why);
  EXPECT_TRUE(out.ok()) << (out ? "" : out.err().message);
  EXPECT_EQ(why, decode_failure::none);
  if (!out)
    return T{};
  EXPECT_EQ(out->correlation_id, correlation);
  EXPECT_EQ(out->version, current_version);
  EXPECT_EQ(type_id_of(out->message), T::type_id);
  auto* msg = std::get_if<T>(&out->message);
  EXPECT_NE(msg, nullptr);
  return msg ? *msg : T{};
}

local_resource scratch() { return {"scratch", 1024, true}; }

TEST(protocol_codec, node_register_round_trips) {
  node_register in;
  in.node_name = "node-a";
  in.fault_domain = 2;
  in.advertise_host = "10.0.0.7";
  in.capacity = 8;
  in.held_instances = {{"Web_IN_0", "dep-1", "v3", true, {scratch()}}};
  in.agent_version = "0.1.0";
  auto out = round_trip(in);
  EXPECT_EQ(out.node_name, "node-a");
  EXPECT_EQ(out.fault_domain, 2u);
  EXPECT_EQ(out.advertise_host, "10.0.0.7");
  EXPECT_EQ(out.capacity, 8u);
  ASSERT_EQ(out.held_instances.size(), 1u);
  EXPECT_EQ(out.held_instances[0].instance_name, "Web_IN_0");
  EXPECT_EQ(out.held_instances[0].deployment_name, "dep-1");
  EXPECT_EQ(out.held_instances[0].version, "v3");
  EXPECT_TRUE(out.held_instances[0].has_os_layer);
  ASSERT_EQ(out.held_instances[0].local_resources.size(), 1u);
  EXPECT_EQ(out.held_instances[0].local_resources[0].size_mb, 1024u);
  EXPECT_TRUE(out.held_instances[0].local_resources[0].clean_on_role_recycle);
  EXPECT_EQ(out.agent_version, "0.1.0");
}

TEST(protocol_codec, register_ack_round_trips) {
  auto out = round_trip(register_ack{false, "name taken", 17, 250});
  EXPECT_FALSE(out.accepted);
  EXPECT_EQ(out.reason, "name taken");
  EXPECT_EQ(out.node_epoch, 17u);
  EXPECT_EQ(out.heartbeat_interval_ms, 250u);
}

TEST(protocol_codec, heartbeat_round_trips) {
  heartbeat in{"node-b", 5, 99, 1234567890123ull,
               {{"Web_IN_1", "ReadyRole", "v2", "127.0.0.1:8080"}}};
  auto out = round_trip(in);
  EXPECT_EQ(out.node_name, "node-b");
  EXPECT_EQ(out.epoch, 5u);
  EXPECT_EQ(out.seq, 99u);
  EXPECT_EQ(out.sent_at_us, 1234567890123ull);
  ASSERT_EQ(out.instances.size(), 1u);
  EXPECT_EQ(out.instances[0].state, "ReadyRole");
  EXPECT_EQ(out.instances[0].endpoint, "127.0.0.1:8080");
}

TEST(protocol_codec, heartbeat_ack_round_trips) {
  auto out = round_trip(heartbeat_ack{7, 555});
  EXPECT_EQ(out.seq, 7u);
  EXPECT_EQ(out.sent_at_us, 555u);
}

TEST(protocol_codec, register_required_round_trips) {
  auto out = round_trip(register_required{"node-c", 3, "declared down"});
  EXPECT_EQ(out.node_name, "node-c");
  EXPECT_EQ(out.epoch, 3u);
  EXPECT_EQ(out.reason, "declared down");
}

TEST(protocol_codec, instance_command_round_trips) {
  instance_command in;
  in.command_id = 1001;
  in.kind = command_kind::migrate_in;
  in.reboot_degenerates = true;
  auto& s = in.instance;
  s.name = "Web_IN_2";
  s.role = "Web";
  s.service = "svc";
  s.deployment = "dep";
  s.slot = "staging";
  s.version = "v4";
  s.image_digest = "sha256:abc";
  s.upgrade_domain = 1;
  s.fault_domain = 2;
  s.local_storage = {scratch()};
  s.endpoints = {{"http-in", "http", 8080}};
  s.settings = {{"Greeting", "hello"}};
  s.phase_durations_ms = {{"create_vm", 300}};
  auto out = round_trip(in);
  EXPECT_EQ(out.command_id, 1001u);
  EXPECT_EQ(out.kind, command_kind::migrate_in);
  EXPECT_TRUE(out.reboot_degenerates);
  EXPECT_EQ(out.instance.name, "Web_IN_2");
  EXPECT_EQ(out.instance.slot, "staging");
  EXPECT_EQ(out.instance.image_digest, "sha256:abc");
  EXPECT_EQ(out.instance.upgrade_domain, 1u);
  EXPECT_EQ(out.instance.fault_domain, 2u);
  ASSERT_EQ(out.instance.endpoints.size(), 1u);
  EXPECT_EQ(out.instance.endpoints[0].port, 8080);
  EXPECT_EQ(out.instance.settings.at("Greeting"), "hello");
  EXPECT_EQ(out.instance.phase_durations_ms.at("create_vm"), 300u);
  ASSERT_EQ(out.instance.local_storage.size(), 1u);
  EXPECT_EQ(out.instance.local_storage[0].name, "scratch");
}

TEST(protocol_codec, instance_command_result_round_trips) {
  auto out = round_trip(instance_command_result{1001, false, "not implemented"});
  EXPECT_EQ(out.command_id, 1001u);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "not implemented");
}

TEST(protocol_codec, instance_report_round_trips) {
  auto out = round_trip(instance_report{"Web_IN_0", "BusyRole", "v1", "h:1"});
  EXPECT_EQ(out.instance_name, "Web_IN_0");
  EXPECT_EQ(out.state, "BusyRole");
  EXPECT_EQ(out.version, "v1");
  EXPECT_EQ(out.endpoint, "h:1");
}

TEST(protocol_codec, image_request_round_trips) {
  EXPECT_EQ(round_trip(image_request{"sha256:def"}).digest, "sha256:def");
}

TEST(protocol_codec, image_chunk_round_trips_binary_data) {
  image_chunk in{"sha256:def", 4096, {'\0', '\xff', 'a', '\0'}, true};
  auto out = round_trip(in);
  EXPECT_EQ(out.digest, "sha256:def");
  EXPECT_EQ(out.offset, 4096u);
  EXPECT_EQ(out.data, in.data);
  EXPECT_TRUE(out.last);
}

TEST(protocol_codec, type_ids_are_stable) {
  // Never change these: they are on the wire.
  EXPECT_EQ(node_register::type_id, 1);
  EXPECT_EQ(register_ack::type_id, 2);
  EXPECT_EQ(heartbeat::type_id, 3);
  EXPECT_EQ(heartbeat_ack::type_id, 4);
  EXPECT_EQ(register_required::type_id, 5);
  EXPECT_EQ(instance_command::type_id, 6);
  EXPECT_EQ(instance_command_result::type_id, 7);
  EXPECT_EQ(instance_report::type_id, 8);
  EXPECT_EQ(image_request::type_id, 9);
  EXPECT_EQ(image_chunk::type_id, 10);
  EXPECT_STREQ(message_name(3), "heartbeat");
  EXPECT_STREQ(message_name(999), "unknown");
}

TEST(protocol_codec, garbage_is_malformed) {
  decode_failure why = decode_failure::none;
  auto out = decode("\xc1garbage", {}, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::malformed);
  EXPECT_NE(out.err().message.find("malformed envelope"), std::string::npos)
    << out.err().message;
}

TEST(protocol_codec, empty_frame_is_malformed) {
  decode_failure why = decode_failure::none;
  auto out = decode("", {}, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::malformed);
}

TEST(protocol_codec, non_array_envelope_is_malformed) {
  decode_failure why = decode_failure::none;
  auto out = decode(encode_payload(heartbeat_ack{1, 2}), {}, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::malformed);
  EXPECT_EQ(out.err().message,
            "malformed envelope: expected an array of at least 5 elements");
}

TEST(protocol_codec, huge_declared_array_is_refused_without_allocating) {
  // 0xdd = array32 claiming 4 billion elements, with none following.
  decode_failure why = decode_failure::none;
  auto out = decode(std::string("\xdd\xff\xff\xff\xff", 5), {}, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::malformed);
}

TEST(protocol_codec, trailing_bytes_are_malformed) {
  decode_failure why = decode_failure::none;
  auto out = decode(encode(heartbeat_ack{1, 2}) + "x", {}, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::malformed);
  EXPECT_NE(out.err().message.find("trailing bytes"), std::string::npos) << out.err().message;
}

TEST(protocol_codec, payload_of_wrong_shape_is_malformed) {
  // A heartbeat whose payload is an integer instead of a map.
  envelope env{current_version, heartbeat::type_id, 1, encode_payload(7)};
  decode_failure why = decode_failure::none;
  auto out = decode(encode_envelope(env), {}, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::malformed);
  EXPECT_EQ(out.err().message.rfind("heartbeat: malformed payload", 0), 0u) << out.err().message;
}

TEST(protocol_codec, field_of_wrong_type_is_malformed) {
  // {"seq": "seven"}: a string where heartbeat_ack expects an integer.
  std::map<std::string, std::string> bad{{"seq", "seven"}};
  envelope env{current_version, heartbeat_ack::type_id, 1, encode_payload(bad)};
  decode_failure why = decode_failure::none;
  auto out = decode(encode_envelope(env), {}, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::malformed);
}

TEST(protocol_codec, oversized_frame_is_refused) {
  image_chunk big{"d", 0, std::vector<char>(2000, 'x'), false};
  decode_limits limits;
  limits.max_frame_bytes = 1000;
  decode_failure why = decode_failure::none;
  auto out = decode(encode(big), limits, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::oversized);
  EXPECT_NE(out.err().message.find("exceeds the limit of 1000 bytes"), std::string::npos)
    << out.err().message;
}

TEST(protocol_codec, unknown_type_is_refused) {
  envelope env{current_version, 777, 1, encode_payload(heartbeat_ack{})};
  decode_failure why = decode_failure::none;
  auto out = decode(encode_envelope(env), {}, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::unknown_type);
  EXPECT_EQ(out.err().message, "unknown message type 777");
}

TEST(protocol_codec, other_major_version_is_refused) {
  auto frame = encode(heartbeat_ack{1, 2}, 0, protocol_version{2, 0});
  decode_failure why = decode_failure::none;
  auto out = decode(frame, {}, &why);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(why, decode_failure::unsupported_version);
  EXPECT_EQ(out.err().message, "unsupported protocol version 2.0 (this build speaks 1.3)");
}

TEST(protocol_codec, envelope_with_extra_elements_is_accepted) {
  // A later minor version may append envelope elements.
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  auto payload = encode_payload(heartbeat_ack{3, 4});
  pk.pack_array(6);
  pk.pack(1);
  pk.pack(9);
  pk.pack(heartbeat_ack::type_id);
  pk.pack(5);
  pk.pack_bin(payload.size());
  pk.pack_bin_body(payload.data(), payload.size());
  pk.pack(std::string("future"));
  auto out = decode(std::string_view(buf.data(), buf.size()));
  ASSERT_TRUE(out.ok()) << out.err().message;
  EXPECT_EQ(out->version, (protocol_version{1, 9}));
  EXPECT_EQ(std::get<heartbeat_ack>(out->message).seq, 3u);
}

} // namespace
} // namespace fabric::protocol
