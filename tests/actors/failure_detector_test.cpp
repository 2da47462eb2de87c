#include <gtest/gtest.h>

#include "actors/failure_detector.hpp"

namespace fabric::actors {
namespace {

using namespace std::chrono_literals;

TEST(failure_detector, timeout_is_interval_times_missed) {
  EXPECT_EQ(detection_timeout({100ms, 3}), 300ms);
  EXPECT_EQ(detection_timeout({250ms, 1}), 250ms);
}

TEST(failure_detector, overdue_only_after_k_full_intervals) {
  failure_detector_config cfg{100ms, 3};
  steady_time t0{};
  EXPECT_FALSE(is_overdue(t0, t0, cfg));
  EXPECT_FALSE(is_overdue(t0, t0 + 299ms, cfg));
  EXPECT_FALSE(is_overdue(t0, t0 + 300ms, cfg));
  EXPECT_TRUE(is_overdue(t0, t0 + 301ms, cfg));
}

TEST(failure_detector, a_later_heartbeat_resets_the_deadline) {
  failure_detector_config cfg{100ms, 3};
  steady_time t0{};
  EXPECT_TRUE(is_overdue(t0, t0 + 400ms, cfg));
  EXPECT_FALSE(is_overdue(t0 + 200ms, t0 + 400ms, cfg));
}

} // namespace
} // namespace fabric::actors
