// Prints the text exposition of a registry filled with sample data of every
// family (coordinator and node in one registry), for `promtool check metrics`.

#include <iostream>

#include "monitoring/metrics.hpp"
#include "tests/monitoring/sample_model.hpp"

int main() {
  using namespace fabric::monitoring;
  metrics_sink sink;
  coordinator_metrics c{sink, "0.1.0"};
  node_metrics n{sink, "rack-0", 0, "0.1.0"};
  per_instance_metrics p{sink};
  fabric::test::fill_sample(c, n, p);
  std::cout << sink.text();
  return 0;
}
