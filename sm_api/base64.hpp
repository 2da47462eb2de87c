#pragma once

// Base64 (RFC 4648, standard alphabet '+' '/', '=' padding), as the Service
// Management API uses it for every Label and Configuration, in requests and
// in responses.
//
// Pure functions, safe from any thread.

#include <optional>
#include <string>
#include <string_view>

namespace fabric::sm_api {

/// Standard base64 with padding, no line breaks.
std::string base64_encode(std::string_view bytes);

/// Decodes standard base64. Whitespace anywhere (line breaks of wrapped
/// encoders) is skipped. Padding is required (both SDKs pad), so that plain
/// text sent by mistake is refused more often than not. Empty when the input
/// has any other character, '=' in the middle, or a digit count (with
/// padding) that is not a multiple of 4.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace fabric::sm_api
