// Fuzzes the .csdef/.cscfg parser (model/service_model_parser.hpp) on raw
// bytes in any encoding, and the same bytes widened to UTF-16LE and UTF-16BE
// with a byte order mark (as Visual Studio saved them).
// An input holding "\n%%\n" is also read as a pair: the definition before
// it, the configuration after it (the seeds hold the test data's pairs).
//
// Properties: no crash, no UB, no leak; a parse that succeeds on ASCII
// input succeeds identically after widening to UTF-16 (the decoder is
// transparent); a configuration that passes the count limits can be built
// (build_instances) without exhausting memory.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "model/limits.hpp"
#include "model/placement.hpp"
#include "model/service_model_parser.hpp"
#include "model/xml_text.hpp"

using namespace fabric;

namespace {

std::string widen(std::string_view bytes, bool big_endian) {
  std::string out = big_endian ? "\xFE\xFF" : "\xFF\xFE";
  for (unsigned char c : bytes) {
    char lo = static_cast<char>(c), hi = 0;
    out += big_endian ? std::string{hi, lo} : std::string{lo, hi};
  }
  return out;
}

bool ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80)
      return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::seeds_if_asked([](const std::filesystem::path& dir) {
    fuzz::copy_test_data(dir, "models");
    fuzz::copy_test_data(dir, "edge");
    fuzz::copy_test_data(dir, "service-models");
    for (auto name : {"ten-web", "three-ud"}) {
      auto base = std::filesystem::path(FABRIC_TEST_DATA) / "models" / name;
      std::ifstream d(base.string() + ".csdef", std::ios::binary), c(base.string() + ".cscfg", std::ios::binary);
      std::string both((std::istreambuf_iterator<char>(d)), {});
      both += "\n%%\n";
      both.append((std::istreambuf_iterator<char>(c)), {});
      fuzz::write_seed(dir, std::string("pair-") + name, both);
    }
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto def_whole = model::parse_service_definition(bytes, "f.csdef");
  auto cfg_whole = model::parse_service_configuration(bytes, "f.cscfg");
  auto def = def_whole;
  auto cfg = cfg_whole;
  if (auto cut = bytes.find("\n%%\n"); cut != std::string_view::npos) {
    def = model::parse_service_definition(bytes.substr(0, cut), "f.csdef");
    cfg = model::parse_service_configuration(bytes.substr(cut + 4), "f.cscfg");
  }
  (void) model::decode_xml_text(bytes, "f");

  if (ascii(bytes)) {
    for (bool be : {false, true}) {
      auto wide = widen(bytes, be);
      auto def16 = model::parse_service_definition(wide, "f.csdef");
      auto cfg16 = model::parse_service_configuration(wide, "f.cscfg");
      fuzz::fuzz_check(def16.ok() == def_whole.ok(), "csdef: UTF-16 parse differs from UTF-8 parse");
      fuzz::fuzz_check(cfg16.ok() == cfg_whole.ok(), "cscfg: UTF-16 parse differs from UTF-8 parse");
      if (cfg_whole && cfg16)
        fuzz::fuzz_check(cfg16->roles.size() == cfg_whole->roles.size()
                           && cfg16->service_name == cfg_whole->service_name,
                         "cscfg: UTF-16 parse gives another configuration");
    }
  }

  if (cfg) {
    // Small limits: the fuzzer must not spend its time building instances.
    model::count_limits limits{500, 1000};
    auto counts = model::check_instance_counts(*cfg, limits, 800);
    if (def && counts && model::validate_pair(*def, *cfg)) {
      auto built = model::build_instances(*def, *cfg, "v1", 3);
      if (built) {
        std::size_t want = 0;
        for (auto& r : cfg->roles)
          want += static_cast<std::size_t>(r.instance_count);
        fuzz::fuzz_check(built->size() == want, "build_instances: count differs from the cscfg");
      }
    }
  }
  return 0;
}
