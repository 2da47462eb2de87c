#pragma once

// The deployment operations beside deploy and delete (docs/domain.md §3, §4),
// as entries of the controller's operation table. Each one validates first
// (a 4xx answer changes nothing: no edit, no command), then commits its edits
// (durable before the API answers), queues the commands and sets the
// operation's success predicate. At most one operation per (service, slot)
// runs at a time (the table answers 409 otherwise; swap also checks the other
// slot).
//
//   kind               request body                       what happens
//   swap               (ignored)                          swap_slots edit; every
//                                                         instance of both slots gets
//                                                         update_spec (its new slot);
//                                                         refused (409) when the change
//                                                         between the two deployments
//                                                         forbids a VIP swap
//                                                         (model/change_validation:
//                                                         endpoints changed) or an
//                                                         upgrade is in flight
//   set_status         {"status":"Running"|"Suspended"}   set_deployment_status; start
//                                                         / stop to every instance;
//                                                         done when all are ReadyRole
//                                                         / StoppedVM (data kept)
//   reboot_instance    {"instance": "Web_IN_0"}           reboot; degenerates into a
//                                                         reimage when a draw of the
//                                                         seeded RNG < the probability
//                                                         (instance's, else the
//                                                         deployment's); answer carries
//                                                         "reboot_degenerates"
//   reimage_instance   {"instance": ...}                  reimage (OS reset, local kept)
//   rebuild_instance   {"instance": ...}                  rebuild (OS reset, local wiped)
//   set_reboot_quirk   {"probability": p, "instance"?}    set_reboot_reimage_probability
//   change_configuration  the .cscfg text                 validated against the csdef;
//                                                         set_configuration (scale out:
//                                                         new instances, UD round-robin,
//                                                         placed on live nodes, `start`;
//                                                         scale in: highest indexes get
//                                                         `remove`); changed settings
//                                                         reach the running instances by
//                                                         update_spec
//   redeploy           {} or {"csdef"?, "cscfg"?,         delete then deploy as one call
//                       "image"?, "version"?}             (republish): same name, every
//                                                         instance `remove`d then started
//                                                         fresh (OS reset, local wiped)
//
// Instance operations need a Running deployment whose instance is placed on
// a live node. Per-instance operations wait for that instance to be observed
// ReadyRole again (its observed state is forgotten when the command is
// queued, so an old ReadyRole never counts).
//
// Thread-safety: like the controller (one actor).

#include <string>

#include "coordinator/controller.hpp"

namespace fabric::coordinator {

/// Registers the operations above in `c`'s table.
void register_deployment_operations(controller& c);

/// GET .../deployments/<slot>/configuration: {"service", "slot", "deployment",
/// "configuration": the .cscfg text (rendered from the model), "roles":
/// [{name, instance_count, settings}], "reboot_reimage_probability": p,
/// "instance_reboot_reimage_probability": {instance: p}}; 404/400 like GET
/// deployment.
api_result get_configuration(const controller& c, const std::string& service,
                             const std::string& slot);

} // namespace fabric::coordinator
