#include "model/limits.hpp"

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

} // namespace fabric::model
