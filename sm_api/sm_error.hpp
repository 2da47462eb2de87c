#pragma once

// The Service Management API's error vocabulary: the `<Code>` strings of the
// "Service Management Status and Error Codes" page, their HTTP status, and a
// lossless way to carry (code, message) inside a fabric::error.
//
// Convention of this component: every error it returns is a fabric::error
// whose message is "<Code>: <Message>", e.g.
//   "BadRequest: The value 'yes' of StartDeployment is not a boolean; use true or false."
// to_sm_error() splits it again, so that the HTTP layer can answer with the
// right status, `<Code>` and `<Message>`. Messages are written for the client
// (they end up in the <Error> body).
//
// Pure functions, safe from any thread.

#include <string>
#include <string_view>

#include "model/result.hpp"

namespace fabric::sm_api {

namespace codes {
inline constexpr const char* bad_request = "BadRequest";                       // 400
inline constexpr const char* invalid_xml_request = "InvalidXmlRequest";        // 400
inline constexpr const char* missing_or_incorrect_version_header
  = "MissingOrIncorrectVersionHeader";                                         // 400
inline constexpr const char* missing_or_invalid_required_query_parameter
  = "MissingOrInvalidRequiredQueryParameter";                                  // 400
inline constexpr const char* invalid_http_verb = "InvalidHttpVerb";            // 400
inline constexpr const char* authentication_failed = "AuthenticationFailed";   // 403
inline constexpr const char* subscription_disabled = "SubscriptionDisabled";   // 403
inline constexpr const char* resource_not_found = "ResourceNotFound";          // 404
inline constexpr const char* conflict_error = "ConflictError";                 // 409
inline constexpr const char* internal_error = "InternalError";                 // 500
inline constexpr const char* operation_timed_out = "OperationTimedOut";        // 500
inline constexpr const char* server_busy = "ServerBusy";                       // 503
inline constexpr const char* temporary_redirect = "TemporaryRedirect";         // 307
} // namespace codes

/// An error as the HTTP layer sends it.
struct sm_error {
  int http_status = 500;
  std::string code;    ///< e.g. "BadRequest"
  std::string message; ///< the <Message> text
};

/// The HTTP status of a known code (table above); 500 for an unknown one.
int http_status_of(std::string_view code);

/// True when `code` is one of the codes above.
bool is_known_code(std::string_view code);

/// A fabric::error carrying `code` and `message` ("<code>: <message>").
/// REQUIRES: code is not empty and contains no ':'.
error make_error(std::string_view code, std::string_view message);

/// Splits an error made by make_error. An error whose message does not start
/// with a known code followed by ": " (e.g. one from another component)
/// becomes InternalError (500) with its whole to_string() as the message.
sm_error to_sm_error(const error& err);

} // namespace fabric::sm_api
