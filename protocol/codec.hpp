#pragma once

// Frames: the versioned envelope around every message, and the encode/decode
// API. Decoding never throws: malformed, oversized, unknown-type and
// wrong-major-version frames come back as an error value, with the reason
// classified (decode_failure) so that callers can count them.
//
// Wire format of a frame (one ZeroMQ message part):
//   msgpack array [major:uint, minor:uint, type_id:uint, correlation_id:uint,
//                  payload:bin]
// where payload is the msgpack encoding of the message struct (a map).
// Elements after the fifth are ignored (room for a later minor version).
//
// Thread-safety: all functions are pure and reentrant.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "model/result.hpp"
#include "protocol/messages.hpp"
#include "protocol/version.hpp"

namespace fabric::protocol {

/// Every message type this build knows, in type_id order.
using any_message =
  std::variant<node_register, register_ack, heartbeat, heartbeat_ack,
               register_required, instance_command, instance_command_result,
               instance_report, image_request, image_chunk>;

/// The outer layer of a frame.
struct envelope {
  protocol_version version = current_version;
  uint16_t type_id = 0;
  uint64_t correlation_id = 0;
  std::string payload;  ///< msgpack bytes of the message
};

/// A fully decoded frame.
struct decoded_frame {
  protocol_version version;
  uint64_t correlation_id = 0;
  any_message message;
};

/// Why a frame was refused.
enum class decode_failure {
  none,
  oversized,            ///< larger than decode_limits::max_frame_bytes
  malformed,            ///< not a valid envelope, or payload does not fit the type
  unsupported_version,  ///< different major version
  unknown_type,         ///< a type id this build does not know
};

const char* to_string(decode_failure f);

struct decode_limits {
  std::size_t max_frame_bytes = 16 * 1024 * 1024;
};

/// Encodes an envelope into frame bytes.
std::string encode_envelope(const envelope& env);

/// Decodes the envelope only (the payload stays bytes). On error `*why` (when
/// given) says which kind of failure it was.
result<envelope> decode_envelope(std::string_view frame, const decode_limits& limits = {},
                                 decode_failure* why = nullptr);

/// Encodes just a message struct (a msgpack map).
template <class T>
std::string encode_payload(const T& msg) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, msg);
  return std::string(buf.data(), buf.size());
}

namespace detail {
/// Unpacks one msgpack object covering all of `bytes`, with allocation limits
/// derived from the input size. Throws msgpack exceptions.
msgpack::object_handle unpack_exact(std::string_view bytes);
} // namespace detail

/// Decodes a message struct from payload bytes.
template <class T>
result<T> decode_payload(std::string_view payload) {
  try {
    auto handle = detail::unpack_exact(payload);
    T out;
    handle.get().convert(out);
    return out;
  } catch (const std::exception& e) {
    return error{std::string("malformed payload: ") + e.what()};
  }
}

/// Encodes a message in an envelope with this build's version.
template <class T>
std::string encode(const T& msg, uint64_t correlation_id = 0,
                   protocol_version version = current_version) {
  return encode_envelope(envelope{version, T::type_id, correlation_id, encode_payload(msg)});
}

/// Decodes a whole frame: envelope, version check, type dispatch, payload.
result<decoded_frame> decode(std::string_view frame, const decode_limits& limits = {},
                             decode_failure* why = nullptr);

/// The type id of the message held by `m`.
uint16_t type_id_of(const any_message& m);

/// The message type's name, e.g. "heartbeat"; "unknown" for other ids.
const char* message_name(uint16_t type_id);

} // namespace fabric::protocol
