#include "model/upgrade_step.hpp"

#include <algorithm>

namespace fabric::model {

namespace {

bool contains(const std::vector<int>& xs, int x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

bool advances_later(const std::vector<action>& actions, size_t i) {
  for (size_t k = i + 1; k < actions.size(); ++k)
    if (std::holds_alternative<advance_to_domain>(actions[k]))
      return true;
  return false;
}

} // namespace

upgrade_step edits_for(const std::string& service, slot in_slot, const deployment& d,
                       const std::vector<action>& actions, bool domain_wait) {
  upgrade_step out;
  if (!d.upgrade)
    return out;
  upgrade_status st = *d.upgrade;  // the status as the pass's status actions leave it
  std::vector<model_edit> versions;

  // Ends the step with `tail` after the version edits (the status edit is
  // moot: the tail ends the upgrade).
  auto finish_with = [&](std::vector<model_edit> tail) {
    out.edits = std::move(versions);
    for (auto& e : tail)
      out.edits.push_back(std::move(e));
    return std::move(out);
  };

  for (size_t i = 0; i < actions.size(); ++i) {
    auto& a = actions[i];
    if (auto* x = std::get_if<advance_to_domain>(&a)) {
      st.current_upgrade_domain = x->upgrade_domain;
      st.current_state = x->state;
    } else if (auto* x = std::get_if<domain_walked>(&a)) {
      if (!contains(st.walked, x->upgrade_domain))
        st.walked.push_back(x->upgrade_domain);
      if (domain_wait && st.mode == upgrade_mode::automatic && advances_later(actions, i)) {
        out.wait = true;
        break;
      }
    } else if (std::holds_alternative<upgrade_instance>(a)
               || std::holds_alternative<rollback_instance>(a)) {
      auto* up = std::get_if<upgrade_instance>(&a);
      auto* rb = std::get_if<rollback_instance>(&a);
      const auto& name = up ? up->name : rb->name;
      const auto& to = up ? up->to_version : rb->to_version;
      auto* in = d.find_instance(name);
      if (!in)
        continue;
      if (in->version != to)
        versions.push_back(set_instance_version{service, in_slot, name, to});
      if (!in->node.empty())
        out.moves.push_back({name, in->node, to, rb != nullptr});
    } else if (auto* x = std::get_if<pause_upgrade>(&a)) {
      out.paused = x->reason;
    } else if (auto* x = std::get_if<begin_rollback>(&a)) {
      // The rollback of the deployment as this pass leaves it (make_rollback
      // reads the walk and every instance's version). Rare: a copy is fine.
      deployment now = d;
      now.upgrade = st;
      for (auto& e : versions) {
        auto& v = std::get<set_instance_version>(e);
        now.find_instance(v.instance)->version = v.version;
      }
      auto made = make_rollback(now, st.mode);
      if (!made) {
        out.paused = made.err().message;
        break;
      }
      struct begin_upgrade begin;
      begin.service = service;
      begin.in_slot = in_slot;
      begin.upgrade = std::move(made.value());
      out.rolled_back = x->reason;
      return finish_with({end_upgrade{service, in_slot, false}, std::move(begin)});
    } else if (std::holds_alternative<complete_upgrade>(a)) {
      out.completed = true;
      return finish_with({end_upgrade{service, in_slot, true}});
    }
    // await_walk: an operator walks; surge actions: refused at request time.
  }
  auto& was = *d.upgrade;
  if (st.current_upgrade_domain != was.current_upgrade_domain
      || st.current_state != was.current_state || st.walked != was.walked)
    out.edits.push_back(update_upgrade{service, in_slot, st.current_upgrade_domain,
                                       st.current_state, st.walked, std::nullopt});
  for (auto& e : versions)
    out.edits.push_back(std::move(e));
  return out;
}

void apply_to_status(deployment& d, const action& a) {
  if (!d.upgrade || std::holds_alternative<upgrade_instance>(a)
      || std::holds_alternative<rollback_instance>(a))
    return;
  fabric_model m;
  auto& svc = m.services["s"];
  svc.name = "s";
  svc.production = std::move(d);
  auto step = edits_for("s", slot::production, *svc.production, {a}, false);
  for (auto& e : step.edits)
    if (!model::apply(m, e))
      break;
  d = std::move(*svc.production);
}

} // namespace fabric::model
