#include "protocol/codec.hpp"

#include <limits>
#include <utility>

namespace fabric::protocol {

const char* to_string(command_kind k) {
  switch (k) {
    case command_kind::start: return "start";
    case command_kind::stop: return "stop";
    case command_kind::reboot: return "reboot";
    case command_kind::reimage: return "reimage";
    case command_kind::rebuild: return "rebuild";
    case command_kind::upgrade: return "upgrade";
    case command_kind::remove: return "delete";
    case command_kind::migrate_in: return "migrate_in";
    case command_kind::update_spec: return "update_spec";
  }
  return "unknown";
}

const char* to_string(decode_failure f) {
  switch (f) {
    case decode_failure::none: return "none";
    case decode_failure::oversized: return "oversized";
    case decode_failure::malformed: return "malformed";
    case decode_failure::unsupported_version: return "unsupported_version";
    case decode_failure::unknown_type: return "unknown_type";
  }
  return "unknown";
}

namespace detail {

msgpack::object_handle unpack_exact(std::string_view bytes) {
  // No container or string can have more elements/bytes than the input has
  // bytes: this stops a 5-byte frame from asking for a 4-GiB array.
  auto n = bytes.size();
  msgpack::unpack_limit limit(n, n, n, n, n, 32);
  std::size_t offset = 0;
  auto handle = msgpack::unpack(bytes.data(), n, offset, nullptr, nullptr, limit);
  if (offset != n)
    throw msgpack::unpack_error("trailing bytes after the message");
  return handle;
}

} // namespace detail

std::string encode_envelope(const envelope& env) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(5);
  pk.pack(env.version.major);
  pk.pack(env.version.minor);
  pk.pack(env.type_id);
  pk.pack(env.correlation_id);
  pk.pack_bin(static_cast<uint32_t>(env.payload.size()));
  pk.pack_bin_body(env.payload.data(), static_cast<uint32_t>(env.payload.size()));
  return std::string(buf.data(), buf.size());
}

namespace {

result<envelope> fail(decode_failure kind, std::string message, decode_failure* why) {
  if (why)
    *why = kind;
  return error{std::move(message)};
}

template <class T>
bool as_uint(const msgpack::object& o, T& out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER
      || o.via.u64 > std::numeric_limits<T>::max())
    return false;
  out = static_cast<T>(o.via.u64);
  return true;
}

template <std::size_t... I>
result<any_message> decode_by_type(uint16_t type, std::string_view payload,
                                   std::index_sequence<I...>) {
  result<any_message> out{error{"unknown message type " + std::to_string(type)}};
  auto try_one = [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (T::type_id != type)
      return false;
    auto r = decode_payload<T>(payload);
    if (r)
      out = any_message{std::move(*r)};
    else
      out = r.err();
    return true;
  };
  (try_one(std::common_type<std::variant_alternative_t<I, any_message>>{}) || ...);
  return out;
}

template <std::size_t... I>
const char* name_by_type(uint16_t type, std::index_sequence<I...>) {
  static constexpr const char* names[] = {
    "node_register",   "register_ack",           "heartbeat",
    "heartbeat_ack",   "register_required",      "instance_command",
    "instance_command_result", "instance_report", "image_request",
    "image_chunk"};
  static_assert(sizeof(names) / sizeof(names[0]) == sizeof...(I));
  const char* out = "unknown";
  (void)((std::variant_alternative_t<I, any_message>::type_id == type ? (out = names[I], true)
                                                                        : false)
         || ...);
  return out;
}

constexpr auto all_types = std::make_index_sequence<std::variant_size_v<any_message>>{};

} // namespace

result<envelope> decode_envelope(std::string_view frame, const decode_limits& limits,
                                 decode_failure* why) {
  if (why)
    *why = decode_failure::none;
  if (frame.size() > limits.max_frame_bytes)
    return fail(decode_failure::oversized,
                "frame of " + std::to_string(frame.size()) + " bytes exceeds the limit of "
                  + std::to_string(limits.max_frame_bytes) + " bytes",
                why);
  try {
    auto handle = detail::unpack_exact(frame);
    const auto& obj = handle.get();
    if (obj.type != msgpack::type::ARRAY || obj.via.array.size < 5)
      return fail(decode_failure::malformed,
                  "malformed envelope: expected an array of at least 5 elements", why);
    const auto* e = obj.via.array.ptr;
    envelope env;
    if (!as_uint(e[0], env.version.major) || !as_uint(e[1], env.version.minor))
      return fail(decode_failure::malformed, "malformed envelope: bad version", why);
    if (!as_uint(e[2], env.type_id))
      return fail(decode_failure::malformed, "malformed envelope: bad type id", why);
    if (!as_uint(e[3], env.correlation_id))
      return fail(decode_failure::malformed, "malformed envelope: bad correlation id", why);
    if (e[4].type == msgpack::type::BIN)
      env.payload.assign(e[4].via.bin.ptr, e[4].via.bin.size);
    else if (e[4].type == msgpack::type::STR)
      env.payload.assign(e[4].via.str.ptr, e[4].via.str.size);
    else
      return fail(decode_failure::malformed, "malformed envelope: payload is not bytes", why);
    return env;
  } catch (const std::exception& ex) {
    return fail(decode_failure::malformed, std::string("malformed envelope: ") + ex.what(),
                why);
  }
}

result<decoded_frame> decode(std::string_view frame, const decode_limits& limits,
                             decode_failure* why) {
  auto env = decode_envelope(frame, limits, why);
  if (!env)
    return env.err();
  auto set_why = [why](decode_failure f) {
    if (why)
      *why = f;
  };
  if (!is_compatible(env->version)) {
    set_why(decode_failure::unsupported_version);
    return error{"unsupported protocol version " + env->version.to_string() + " (this build speaks "
                 + current_version.to_string() + ")"};
  }
  if (std::string_view(message_name(env->type_id)) == "unknown") {
    set_why(decode_failure::unknown_type);
    return error{"unknown message type " + std::to_string(env->type_id)};
  }
  auto msg = decode_by_type(env->type_id, env->payload, all_types);
  if (!msg) {
    set_why(decode_failure::malformed);
    return error{std::string(message_name(env->type_id)) + ": " + msg.err().message};
  }
  return decoded_frame{env->version, env->correlation_id, std::move(*msg)};
}

uint16_t type_id_of(const any_message& m) {
  return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::type_id; }, m);
}

const char* message_name(uint16_t type_id) {
  return name_by_type(type_id, all_types);
}

} // namespace fabric::protocol
