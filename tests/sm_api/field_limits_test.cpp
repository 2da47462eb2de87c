// Create Hosted Service bounds Description and Location (issue 14: a 60 MB
// Description was accepted and journaled on every change).

#include <gtest/gtest.h>

#include "sm_api/base64.hpp"
#include "sm_api/requests.hpp"

namespace fabric::sm_api {
namespace {

std::string body(const std::string& description, const std::string& location = "West US") {
  return R"(<CreateHostedService xmlns="http://schemas.microsoft.com/windowsazure"><ServiceName>s</ServiceName><Label>)"
         + base64_encode("l") + "</Label><Description>" + description + "</Description><Location>"
         + location + "</Location></CreateHostedService>";
}

TEST(sm_field_limits, description_and_location_are_bounded) {
  EXPECT_TRUE(parse_create_hosted_service(body(std::string(1024, 'd'))).ok());
  auto long_description = parse_create_hosted_service(body(std::string(1025, 'd')));
  ASSERT_FALSE(long_description.ok());
  EXPECT_EQ(long_description.err().message,
            "BadRequest: The value of Description has 1025 characters; at most 1024 are allowed.");
  auto huge = parse_create_hosted_service(body(std::string(60 << 20, 'd')));
  ASSERT_FALSE(huge.ok());
  auto long_location = parse_create_hosted_service(body("d", std::string(101, 'l')));
  ASSERT_FALSE(long_location.ok());
  EXPECT_EQ(long_location.err().message,
            "BadRequest: The value of Location has 101 characters; at most 100 are allowed.");
}

} // namespace
} // namespace fabric::sm_api
