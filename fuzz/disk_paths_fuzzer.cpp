// Fuzzes the untrusted paths an instance's program hands to its disks
// (node/disk/os_disk.hpp, local_storage.hpp): a sequence of operations with
// fuzzer-chosen paths and data on one instance's OS disk (a layer over a
// small base image) and on a 1 MB local storage resource.
//
// Input: records [op][path length][path][data length][data]...
//
// Properties: no crash, no UB, no leak; nothing outside the instance's
// directory changes (a sentinel directory beside the data directory stays
// empty, the shared base image still verifies); the local storage never
// holds more than its quota, nor the OS disk's layer more than its own.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include <stdlib.h>

#include "fuzz/fuzz_support.hpp"
#include "node/disk/instance_disks.hpp"

using namespace fabric;
namespace fs = std::filesystem;

namespace {

struct fixture {
  fs::path root;
  std::string digest;
  std::optional<disk::instance_disks> disks;

  fixture() {
    std::string tmpl = (fs::temp_directory_path() / "fabric-fuzz-disk-XXXXXX").string();
    root = mkdtemp(tmpl.data());
    fs::create_directories(root / "outside");
    auto src = root / "src";
    fs::create_directories(src / "Windows/System32");
    std::ofstream(src / "Windows/System32/config") << "base\n";
    std::ofstream(src / "boot.ini") << "[boot]\n";
    auto data = root / "data";
    images::image_store images(data);
    digest = images.import_directory(src).value();
    disk::instance_disk_spec spec{"Web_IN_0", digest, {{"scratch", 1}}};
    spec.os_quota_mb = 1;
    disks.emplace(std::move(disk::instance_disks::open_or_create(data, spec).value()));
  }
  ~fixture() {
    disks.reset();
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

fixture& fx() {
  static fixture f;
  return f;
}

struct reader {
  const uint8_t* p;
  std::size_t n;
  std::string take() {
    if (n == 0)
      return {};
    std::size_t len = std::min<std::size_t>(*p, n - 1);
    std::string out(reinterpret_cast<const char*>(p + 1), len);
    p += 1 + len;
    n -= 1 + len;
    return out;
  }
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::seeds_if_asked([](const fs::path& dir) {
    auto rec = [](uint8_t op, const std::string& path, const std::string& data) {
      return std::string(1, static_cast<char>(op)) + static_cast<char>(path.size()) + path
             + static_cast<char>(data.size()) + data;
    };
    fuzz::write_seed(dir, "write-read", rec(0, "a/b/c.txt", "hello") + rec(1, "a/b/c.txt", ""));
    fuzz::write_seed(dir, "remove-base", rec(2, "Windows/System32/config", "") + rec(1, "Windows/System32/config", ""));
    fuzz::write_seed(dir, "mkdir-list", rec(3, "Windows/Temp", "") + rec(5, "Windows", "") + rec(4, "boot.ini", ""));
    fuzz::write_seed(dir, "local", rec(8, "logs/x.log", "line\n") + rec(9, "logs/x.log", "") + rec(11, "", ""));
    fuzz::write_seed(dir, "escape", rec(0, "../../outside/x", "x") + rec(8, "/etc/passwd", "x"));
  });
  fx();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& f = fx();
  auto& d = *f.disks;
  auto& os = d.os();
  auto* local = d.local("scratch").value();
  reader in{data, size};
  for (int ops = 0; in.n > 0 && ops < 16; ++ops) {
    uint8_t op = *in.p;
    ++in.p;
    --in.n;
    auto path = in.take();
    auto bytes = in.take();
    switch (op % 12) {
      case 0: (void) os.write(path, bytes); break;
      case 1: (void) os.read(path); break;
      case 2: (void) os.remove(path); break;
      case 3: (void) os.make_directory(path); break;
      case 4: (void) os.stat(path); break;
      case 5: (void) os.list(path); break;
      case 6: (void) os.exists(path); break;
      case 7: (void) os.layer_bytes(); break;
      case 8: (void) local->write(path, bytes); break;
      case 9: (void) local->read(path); break;
      case 10: (void) local->remove(path); break;
      case 11: (void) local->list(path); break;
    }
  }
  auto used = local->used_bytes();
  fuzz::fuzz_check(!used || *used <= local->quota_bytes(), "local storage over its quota");
  auto layer = os.layer_bytes();
  fuzz::fuzz_check(!layer || *layer <= os.quota_mb() * 1024 * 1024, "OS disk layer over its quota");
  fuzz::fuzz_check(fs::is_empty(f.root / "outside"), "a write escaped the instance's directory");
  images::image_store images(f.root / "data");
  fuzz::fuzz_check(images.verify(f.digest).ok(), "the shared base image changed");
  fuzz::fuzz_check(os.reset().ok() && local->wipe().ok(), "reset/wipe failed");
  return 0;
}
