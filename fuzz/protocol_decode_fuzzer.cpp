// Fuzzes the node <-> coordinator frame decoder (protocol/codec.hpp): the
// envelope, the version check and the payload of every message type. The
// seeds are one encoded frame per message type, default and filled.
//
// Properties: no crash, no UB, no leak, no allocation beyond the frame's
// own size (unpack limits); a frame that decodes re-encodes to a frame that
// decodes to the same type and correlation id.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "protocol/codec.hpp"

using namespace fabric;
using namespace fabric::protocol;

namespace {

template <class T>
void seed(const std::filesystem::path& dir, const T& msg, const std::string& tag) {
  fuzz::write_seed(dir, std::string(message_name(T::type_id)) + "-" + tag, encode(msg, 42));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::seeds_if_asked([](const std::filesystem::path& dir) {
    // Every message type, default-constructed.
    for (std::size_t i = 0; i < std::variant_size_v<any_message>; ++i) {
      any_message m;
      switch (i) {
        case 0: m = node_register{}; break;
        case 1: m = register_ack{}; break;
        case 2: m = heartbeat{}; break;
        case 3: m = heartbeat_ack{}; break;
        case 4: m = register_required{}; break;
        case 5: m = instance_command{}; break;
        case 6: m = instance_command_result{}; break;
        case 7: m = instance_report{}; break;
        case 8: m = image_request{}; break;
        case 9: m = image_chunk{}; break;
      }
      std::visit([&](auto& v) { seed(dir, v, "default"); }, m);
    }
    // A few filled ones: nested vectors, strings, maps.
    node_register reg;
    reg.node_name = "node-1";
    reg.capacity = 100;
    reg.held_instances.push_back(held_instance{});
    reg.held_instances.back().instance_name = "dep/Web_IN_0";
    reg.held_instances.back().local_resources.push_back(local_resource{});
    seed(dir, reg, "filled");
    instance_command cmd;
    cmd.command_id = 7;
    cmd.kind = command_kind::upgrade;
    cmd.instance.name = "Web_IN_0";
    cmd.instance.endpoints.push_back(endpoint_spec{});
    cmd.instance.settings["a"] = "b";
    cmd.instance.phase_durations_ms["create_vm"] = 50;
    seed(dir, cmd, "filled");
    heartbeat hb;
    hb.instances.push_back(instance_status{});
    seed(dir, hb, "filled");
    image_chunk chunk;
    chunk.data.assign(100, 'x');
    seed(dir, chunk, "filled");
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  decode_limits limits;
  limits.max_frame_bytes = 1 << 20;
  decode_failure why = decode_failure::none;
  auto env = decode_envelope(frame, limits, &why);
  auto d = decode(frame, limits, &why);
  if (d) {
    fuzz::fuzz_check(env.ok(), "a frame decodes but its envelope does not");
    std::string again;
    std::visit([&](auto& m) { again = encode(m, d->correlation_id, d->version); }, d->message);
    auto d2 = decode(again, limits);
    fuzz::fuzz_check(d2.ok(), "a decoded frame does not decode after re-encoding");
    fuzz::fuzz_check(type_id_of(d2->message) == type_id_of(d->message)
                       && d2->correlation_id == d->correlation_id,
                     "re-encoding changes the type or the correlation id");
  }
  return 0;
}
