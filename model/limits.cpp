#include "model/limits.hpp"

#include <cctype>
#include <utility>

namespace fabric::model {

namespace {

count_check fail(count_violation v, std::string message) {
  return {v, std::move(message)};
}

} // namespace

count_check check_instance_counts(const service_configuration& cfg, const count_limits& limits,
                                  std::optional<std::int64_t> capacity) {
  std::int64_t total = 0;
  for (auto& r : cfg.roles) {
    std::int64_t n = r.instance_count;
    if (n > limits.max_role_instances)
      return fail(count_violation::role_limit,
                  "role '" + r.name + "' asks for " + std::to_string(n)
                    + " instances; at most " + std::to_string(limits.max_role_instances)
                    + " per role are allowed (fabric-coordinator --max-role-instances)");
    if (n > 0)
      total += n;  // no overflow: each n <= max_role_instances (an int)
  }
  if (total > limits.max_deployment_instances)
    return fail(count_violation::deployment_limit,
                "the deployment asks for " + std::to_string(total) + " instances; at most "
                  + std::to_string(limits.max_deployment_instances)
                  + " per deployment are allowed (fabric-coordinator --max-deployment-instances)");
  if (capacity && total > *capacity)
    return fail(count_violation::cluster_capacity,
                "the deployment asks for " + std::to_string(total)
                  + " instances but the live nodes can host at most " + std::to_string(*capacity)
                  + " instances in all");
  return {};
}

std::string text_field_error(const std::string& field, std::string_view value,
                             std::size_t max_chars) {
  if (value.size() <= max_chars)
    return {};  // never more characters than bytes
  std::size_t chars = 0;
  for (unsigned char c : value)
    if ((c & 0xC0) != 0x80)
      ++chars;
  if (chars <= max_chars)
    return {};
  return field + " has " + std::to_string(chars) + " characters; at most "
         + std::to_string(max_chars) + " are allowed";
}

std::uint64_t os_disk_quota_mb(const std::string& vm_size) {
  static const std::pair<const char*, std::uint64_t> sizes[] = {
    {"extrasmall", 20}, {"small", 225}, {"medium", 490}, {"large", 1000}, {"extralarge", 2040},
    {"a5", 490},        {"a6", 1000},   {"a7", 2040},    {"a8", 1817},    {"a9", 1817},
    {"a10", 1817},      {"a11", 1817}};
  std::string lower;
  for (char c : vm_size)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& [name, mb] : sizes)
    if (lower == name)
      return mb;
  return 225;
}

} // namespace fabric::model
