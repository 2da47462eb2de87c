#pragma once

// Request ids of the Service Management API. Every response carries an
// `x-ms-request-id` header: 32 lowercase hex digits, no dashes (as real Azure
// sent it). The same id appears in the Operation body's <ID> as a dashed GUID
// (8-4-4-4-12). Clients poll `GET /<sub>/operations/<x-ms-request-id>`.
//
// Generating ids needs randomness and is not done here: callers pass the
// 32 hex digits in (e.g. from a seeded generator).
//
// Pure functions, safe from any thread.

#include <optional>
#include <string>
#include <string_view>

namespace fabric::sm_api {

/// True for exactly 32 hex digits (either case).
bool is_request_id(std::string_view id);

/// "0123456789abcdef0123456789abcdef" -> "01234567-89ab-cdef-0123-456789abcdef"
/// (lower case). An already dashed GUID is returned lower-cased. Empty for
/// anything else.
std::optional<std::string> request_id_to_guid(std::string_view id);

/// The inverse, for the operations URL: accepts the 32 hex digits or the
/// dashed form (either case, optionally in braces) and returns 32 lowercase
/// hex digits. Empty for anything else.
std::optional<std::string> normalise_request_id(std::string_view id);

} // namespace fabric::sm_api
