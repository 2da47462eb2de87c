// Fuzzes the JSON layer (model_json/model_json.hpp): journal records
// (edits) and model snapshots as the coordinator reads them back, then
// applies each decoded edit to a small model (model/edit.hpp), as a journal
// replay does.
//
// Properties: no crash, no UB, no leak, no runaway allocation; an edit that
// decodes re-encodes to the same JSON (the round trip is exact); applying it
// either succeeds or is refused with a message.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.hpp"
#include "model/edit.hpp"
#include "model_json/model_json.hpp"

using namespace fabric;

namespace {

model::fabric_model base_model() {
  model::fabric_model m;
  (void) model::apply(m, model::create_hosted_service{"svc", "label", "", "West US"});
  model::deployment d;
  d.name = "dep";
  d.package = std::string(64, 'a');
  d.version = "v1";
  d.status = model::deployment_status::running;
  model::role_definition role;
  role.name = "Web";
  role.local_storage.push_back({"scratch", 64, false});
  d.definition.name = "svc";
  d.definition.roles.push_back(role);
  model::role_configuration rc;
  rc.name = "Web";
  rc.instance_count = 2;
  d.configuration.roles.push_back(rc);
  for (int i = 0; i < 2; ++i) {
    model::instance inst;
    inst.name = model::instance_name("Web", i);
    inst.role = "Web";
    inst.index = i;
    inst.upgrade_domain = i;
    inst.node = "n" + std::to_string(i);
    inst.version = "v1";
    d.instances.push_back(inst);
  }
  (void) model::apply(m, model::create_deployment{"svc", model::slot::production, d});
  return m;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::seeds_if_asked([](const std::filesystem::path& dir) {
    auto m = base_model();
    fuzz::write_seed(dir, "model", model_json::model_to_json(m).dump());
    auto& d = *m.services.at("svc").production;
    const model::model_edit edits[] = {
      model::create_hosted_service{"svc2", "l", "d", "West US"},
      model::delete_hosted_service{"svc2"},
      model::create_deployment{"svc", model::slot::staging, d},
      model::delete_deployment{"svc", model::slot::staging},
      model::swap_slots{"svc"},
      model::set_deployment_status{"svc", model::slot::production, model::deployment_status::suspended},
      model::set_instance_state{"svc", model::slot::production, "Web_IN_0", model::instance_state::ready_role},
      model::place_instance{"svc", model::slot::production, "Web_IN_1", "n9", 1},
      model::set_instance_version{"svc", model::slot::production, "Web_IN_0", "v2"},
      model::set_configuration{"svc", model::slot::production, d.configuration, 2},
      model::end_upgrade{"svc", model::slot::production},
      model::set_reboot_reimage_probability{"svc", model::slot::production, "", 0.5},
    };
    for (auto& e : edits)
      fuzz::write_seed(dir, std::string("edit-") + model::edit_name(e),
                       model_json::edit_to_json(e).dump());
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const model::fabric_model base = base_model();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = model_json::parse_json(text);
  if (!j)
    return 0;
  (void) model_json::model_from_json(*j);
  auto edit = model_json::edit_from_json(*j);
  if (!edit)
    return 0;
  auto once = model_json::edit_to_json(*edit);
  auto again = model_json::edit_from_json(once);
  fuzz::fuzz_check(again.ok(), "an encoded edit does not decode");
  fuzz::fuzz_check(model_json::edit_to_json(*again) == once, "the edit round trip is not exact");
  auto m = base;
  (void) model::apply(m, *edit);
  return 0;
}
