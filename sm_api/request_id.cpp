#include "sm_api/request_id.hpp"

#include <cctype>

namespace fabric::sm_api {

namespace {

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

bool is_request_id(std::string_view id) {
  if (id.size() != 32)
    return false;
  for (char c : id)
    if (!is_hex(c))
      return false;
  return true;
}

std::optional<std::string> normalise_request_id(std::string_view id) {
  if (id.size() == 38 && id.front() == '{' && id.back() == '}')
    id = id.substr(1, 36);
  if (is_request_id(id))
    return lower(id);
  if (id.size() != 36)
    return std::nullopt;
  std::string hex;
  for (std::size_t i = 0; i < id.size(); ++i) {
    bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_here) {
      if (id[i] != '-')
        return std::nullopt;
    } else if (!is_hex(id[i])) {
      return std::nullopt;
    } else {
      hex += id[i];
    }
  }
  return lower(hex);
}

std::optional<std::string> request_id_to_guid(std::string_view id) {
  if (id.size() == 38)
    return std::nullopt; // braces are accepted on input only
  auto hex = normalise_request_id(id);
  if (!hex)
    return std::nullopt;
  const auto& h = *hex;
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4)
         + "-" + h.substr(20, 12);
}

} // namespace fabric::sm_api
