#include "sm_api/sm_error.hpp"

#include <array>
#include <utility>

namespace fabric::sm_api {

namespace {

constexpr std::array<std::pair<std::string_view, int>, 13> code_table{{
  {codes::bad_request, 400},
  {codes::invalid_xml_request, 400},
  {codes::missing_or_incorrect_version_header, 400},
  {codes::missing_or_invalid_required_query_parameter, 400},
  {codes::invalid_http_verb, 400},
  {codes::authentication_failed, 403},
  {codes::subscription_disabled, 403},
  {codes::resource_not_found, 404},
  {codes::conflict_error, 409},
  {codes::internal_error, 500},
  {codes::operation_timed_out, 500},
  {codes::server_busy, 503},
  {codes::temporary_redirect, 307},
}};

} // namespace

int http_status_of(std::string_view code) {
  for (const auto& [name, status] : code_table)
    if (name == code)
      return status;
  return 500;
}

bool is_known_code(std::string_view code) {
  for (const auto& entry : code_table)
    if (entry.first == code)
      return true;
  return false;
}

error make_error(std::string_view code, std::string_view message) {
  std::string text{code};
  text += ": ";
  text += message;
  return error{std::move(text)};
}

sm_error to_sm_error(const error& err) {
  const std::string& text = err.message;
  auto colon = text.find(": ");
  if (err.file.empty() && colon != std::string::npos) {
    std::string_view code{text.data(), colon};
    if (is_known_code(code))
      return sm_error{http_status_of(code), std::string{code}, text.substr(colon + 2)};
  }
  return sm_error{500, codes::internal_error, err.to_string()};
}

} // namespace fabric::sm_api
