// Fuzzes the image transfer archive reader (images/image_store.hpp,
// image_receiver): the bytes a node receives from the coordinator, fed in
// chunks of fuzzer-chosen sizes into a store in a temp directory, then
// finish(). The seed is the export of a small real image (files, an
// executable, nested and empty directories).
//
// Properties: no crash, no UB, no leak; nothing is written outside the
// store's images directory; a finished receive installs an image whose
// content verifies against its digest; a failed one leaves no temp
// directory behind.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include <stdlib.h>

#include "fuzz/fuzz_support.hpp"
#include "images/image_store.hpp"

using namespace fabric;
namespace fs = std::filesystem;

namespace {

struct fixture {
  fs::path root;
  std::string digest;  ///< of the seed image
  std::string archive; ///< its export

  fixture() {
    std::string tmpl = (fs::temp_directory_path() / "fabric-fuzz-archive-XXXXXX").string();
    root = mkdtemp(tmpl.data());
    auto src = root / "src";
    fs::create_directories(src / "bin");
    fs::create_directories(src / "etc/empty");
    std::ofstream(src / "bin/app") << "#!/bin/sh\necho hi\n";
    fs::permissions(src / "bin/app", fs::perms::owner_exec, fs::perm_options::add);
    std::ofstream(src / "etc/config") << "a=b\n";
    std::ofstream(src / "README");
    images::image_store seed_store(root / "seed");
    digest = seed_store.import_directory(src).value();
    std::ostringstream out;
    (void) seed_store.export_image(digest, out);
    archive = out.str();
  }
  ~fixture() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

fixture& fx() {
  static fixture f;
  return f;
}

std::size_t entries(const fs::path& dir) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it)
    ++n;
  return n;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::seeds_if_asked([](const fs::path& dir) { fuzz::write_seed(dir, "image", fx().archive); });
  fx();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& f = fx();
  auto store_dir = f.root / "node";
  images::image_store store(store_dir);
  {
    auto rx = store.begin_receive(f.digest, 1 << 20);
    fuzz::fuzz_check(rx.ok(), "begin_receive failed");
    // Chunk sizes cycle through a few values (1..4096) taken from the input's
    // last byte, so chunk borders fall everywhere in the records.
    std::size_t step = size ? 1 + (data[size - 1] * 16u) % 4096 : 1;
    bool failed = false;
    for (std::size_t at = 0; at < size && !failed; at += step)
      failed = !rx->feed(std::string_view(reinterpret_cast<const char*>(data) + at,
                                          std::min(step, size - at)))
                  .ok();
    if (!failed) {
      auto done = rx->finish();
      if (done) {
        fuzz::fuzz_check(*done == f.digest, "finish() installed another digest");
        fuzz::fuzz_check(store.verify(*done).ok(), "an installed image does not verify");
        (void) store.remove(*done);
      }
    }
  }
  // The receiver is gone: no temp directory may be left, and nothing may
  // have been made beside the images directory.
  fuzz::fuzz_check(entries(store.images_dir()) == 0, "a temp or image directory was left behind");
  fuzz::fuzz_check(entries(store_dir) <= 1, "something was written outside images/");
  fuzz::fuzz_check(entries(f.root) == 3, "something was written outside the store");
  return 0;
}
