// model/limits.hpp: instance counts are bounded before anything is built
// (issue 14: a .cscfg or a scale to 1,000,000,000 instances).

#include <gtest/gtest.h>

#include "model/limits.hpp"
#include "model/service_model_parser.hpp"

namespace fabric::model {
namespace {

service_configuration two_roles(int web, int worker) {
  service_configuration cfg;
  cfg.roles.push_back({"Web", web, {}, {}, {}});
  cfg.roles.push_back({"Worker", worker, {}, {}, {}});
  return cfg;
}

TEST(limits_test, counts_within_the_limits_pass) {
  count_limits l{10, 15};
  EXPECT_TRUE(check_instance_counts(two_roles(10, 5), l));
  EXPECT_TRUE(check_instance_counts(two_roles(1, 1), l, 2));
}

TEST(limits_test, a_role_over_its_limit_is_named_with_count_and_limit) {
  count_limits l{10, 100};
  auto c = check_instance_counts(two_roles(3, 11), l);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.violation, count_violation::role_limit);
  EXPECT_NE(c.message.find("'Worker'"), std::string::npos) << c.message;
  EXPECT_NE(c.message.find("11"), std::string::npos) << c.message;
  EXPECT_NE(c.message.find("at most 10 per role"), std::string::npos) << c.message;
}

TEST(limits_test, the_sum_over_roles_is_bounded_per_deployment) {
  count_limits l{10, 15};
  auto c = check_instance_counts(two_roles(10, 6), l);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.violation, count_violation::deployment_limit);
  EXPECT_NE(c.message.find("16 instances"), std::string::npos) << c.message;
}

TEST(limits_test, more_than_the_cluster_can_host_is_refused_when_capacity_is_given) {
  count_limits l;
  auto c = check_instance_counts(two_roles(3, 3), l, 5);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.violation, count_violation::cluster_capacity);
  EXPECT_NE(c.message.find("at most 5"), std::string::npos) << c.message;
  EXPECT_TRUE(check_instance_counts(two_roles(3, 3), l, 6));
  EXPECT_TRUE(check_instance_counts(two_roles(3, 3), l));  // no capacity given
}

TEST(limits_test, a_billion_instances_in_a_cscfg_is_refused_before_anything_is_built) {
  // The reproduction of issue 14: the parser accepts the count (it is an int),
  // the limit check refuses it at once.
  auto cfg = parse_service_configuration(
    R"(<ServiceConfiguration serviceName="s"><Role name="Web"><Instances count="1000000000"/></Role></ServiceConfiguration>)",
    "big.cscfg");
  ASSERT_TRUE(cfg) << cfg.err().to_string();
  ASSERT_EQ(cfg->roles.at(0).instance_count, 1000000000);
  auto c = check_instance_counts(*cfg, count_limits{});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.violation, count_violation::role_limit);
}

TEST(limits_test, the_defaults_admit_the_benches_ten_thousand_instance_role) {
  EXPECT_TRUE(check_instance_counts(two_roles(10000, 0), count_limits{}));
  EXPECT_TRUE(check_instance_counts(two_roles(5000, 5000), count_limits{}));
}

TEST(limits_test, int_max_counts_in_every_role_do_not_overflow_the_sum) {
  count_limits l{2147483647, 2147483647};
  service_configuration cfg;
  for (int i = 0; i < 4; ++i)
    cfg.roles.push_back({"R" + std::to_string(i), 2147483647, {}, {}, {}});
  auto c = check_instance_counts(cfg, l);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.violation, count_violation::deployment_limit);
}

TEST(limits_test, text_fields_count_characters_not_bytes) {
  EXPECT_EQ(text_field_error("label", std::string(100, 'x'), max_label_chars), "");
  EXPECT_EQ(text_field_error("label", std::string(101, 'x'), max_label_chars),
            "label has 101 characters; at most 100 are allowed");
  std::string two_byte;
  for (int i = 0; i < 100; ++i)
    two_byte += "\xc3\xab";
  EXPECT_EQ(text_field_error("label", two_byte, max_label_chars), "");
  EXPECT_NE(text_field_error("label", two_byte + "x", max_label_chars), "");
}

} // namespace
} // namespace fabric::model
