#include "node/metrics_bridge.hpp"

#include "monitoring/wire_transport.hpp"
#include "images/fs_util.hpp"
#include "node/disk/instance_disks.hpp"

namespace fabric::node {

namespace fs = std::filesystem;

disk_usage scan_disk_usage(const fs::path& data_dir) {
  disk_usage out;
  auto listed = disk::list_instances(data_dir);
  if (!listed)
    return out;
  for (auto& spec : *listed) {
    auto dir = data_dir / "instances" / spec.instance;
    if (auto b = images::detail::tree_bytes(dir / "os" / "layer"))
      out.os_layer_bytes += *b;
    for (auto& r : spec.resources) {
      out.local_quota_bytes += r.size_mb * 1024 * 1024;
      if (auto b = images::detail::tree_bytes(dir / "local" / r.name))
        out.local_used_bytes += *b;
    }
    ++out.instances;
  }
  return out;
}

struct node_metrics_refresher::dropped_state {
  monitoring::dropped_frames frames;
};

node_metrics_refresher::node_metrics_refresher(monitoring::node_metrics& metrics,
                                               fs::path data_dir,
                                               std::function<actors::bridge_counters()> counters,
                                               std::chrono::milliseconds every)
  : metrics_(metrics), data_dir_(std::move(data_dir)), counters_(std::move(counters)),
    every_(every),
    dropped_(new dropped_state{monitoring::dropped_frames{
      [&metrics](const std::string& reason, std::uint64_t n) { metrics.frames_dropped(reason, n); }}}) {}

node_metrics_refresher::~node_metrics_refresher() { stop(); }

void node_metrics_refresher::refresh_once() {
  auto u = scan_disk_usage(data_dir_);
  metrics_.set_disk_usage(static_cast<std::int64_t>(u.os_layer_bytes),
                          static_cast<std::int64_t>(u.local_used_bytes),
                          static_cast<std::int64_t>(u.local_quota_bytes));
  if (counters_)
    dropped_->frames.update(counters_());
}

void node_metrics_refresher::start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock{mutex_};
    while (!stopping_) {
      lock.unlock();
      refresh_once();
      lock.lock();
      wake_.wait_for(lock, every_, [this] { return stopping_; });
    }
  });
}

void node_metrics_refresher::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

} // namespace fabric::node
