#include "model/upgrade_planner.hpp"

#include <algorithm>
#include <set>

#include "model/text.hpp"

namespace fabric::model {

namespace {


error make_error(std::string message) {
  error e;
  e.message = std::move(message);
  return e;
}

// Local names, so that this file does not depend on deployment.cpp.
const char* state_name(upgrade_domain_state s) {
  return s == upgrade_domain_state::before ? "Before" : "During";
}

const char* mode_name(upgrade_mode m) {
  switch (m) {
    case upgrade_mode::automatic:
      return "Auto";
    case upgrade_mode::manual:
      return "Manual";
    case upgrade_mode::simultaneous:
      return "Simultaneous";
  }
  return "?";
}

std::string join(const std::vector<int>& xs) {
  std::string out;
  for (size_t i = 0; i < xs.size(); ++i)
    out += (i ? ", " : "") + std::to_string(xs[i]);
  return out;
}

bool contains(const std::vector<int>& xs, int x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

bool upgraded_role(const upgrade_status& st, const instance& in) {
  return st.role.empty() || in.role == st.role;
}

int ud_count_of(const deployment& d) {
  if (d.definition.upgrade_domain_count > 0)
    return d.definition.upgrade_domain_count;
  int u = 1;
  for (auto& in : d.instances)
    u = std::max(u, in.upgrade_domain + 1);
  return u;
}

std::string minutes_text(std::chrono::milliseconds t) {
  auto ms = t.count();
  if (ms % 60000 == 0)
    return std::to_string(ms / 60000) + " min";
  return std::to_string(ms) + " ms";
}

// What the planner knows of one instance: the snapshot, else the model.
instance_health health_of(const instance& in, const health_snapshot& h, time_point now) {
  auto i = h.instances.find(in.name);
  if (i != h.instances.end())
    return i->second;
  if (h.lookup)
    if (auto v = h.lookup(in))
      return std::move(*v);
  instance_health v;
  v.state = in.state;
  v.version = in.version;
  v.since = now;
  return v;
}

// Applies the status-changing actions to a status record.
void apply_status(upgrade_status& st, const action& a) {
  if (auto x = std::get_if<advance_to_domain>(&a)) {
    st.current_upgrade_domain = x->upgrade_domain;
    st.current_state = x->state;
  } else if (auto x = std::get_if<domain_walked>(&a)) {
    if (!contains(st.walked, x->upgrade_domain))
      st.walked.push_back(x->upgrade_domain);
  }
}

enum class outcome { done, waiting, stopped };

// One planning pass over a copy of the status; emits into out_.
class planner {
public:
  planner(const deployment& d, const health_snapshot& h, const upgrade_policy& p, time_point now)
    : d_(d), h_(h), p_(p), now_(now), st_(*d.upgrade) {
    // nop
  }

  std::vector<action> run() {
    if (st_.order.empty())
      return finish();
    if (st_.mode == upgrade_mode::simultaneous) {
      if (st_.current_state == upgrade_domain_state::before)
        emit(advance_to_domain{st_.current_upgrade_domain, upgrade_domain_state::during});
      std::vector<const instance*> members;
      for (auto& in : d_.instances)
        if (upgraded_role(st_, in) && contains(st_.order, in.upgrade_domain))
          members.push_back(&in);
      if (step(members) == outcome::done)
        return finish();
      return std::move(out_);
    }
    // Each pass either stops (waiting, manual, paused) or walks one UD.
    for (size_t guard = 0; guard <= st_.order.size() + 1; ++guard) {
      int k = st_.current_upgrade_domain;
      if (!contains(st_.walked, k)) {
        if (st_.current_state == upgrade_domain_state::before) {
          if (st_.mode == upgrade_mode::manual) {
            out_.push_back(await_walk{k});
            return std::move(out_);
          }
          emit(advance_to_domain{k, upgrade_domain_state::during});
        }
        std::vector<const instance*> members;
        for (auto& in : d_.instances)
          if (upgraded_role(st_, in) && in.upgrade_domain == k)
            members.push_back(&in);
        if (step(members) != outcome::done)
          return std::move(out_);
        emit(domain_walked{k});
      }
      auto next = std::find_if(st_.order.begin(), st_.order.end(),
                               [&](int u) { return !contains(st_.walked, u); });
      if (next == st_.order.end())
        return finish();
      emit(advance_to_domain{*next, st_.mode == upgrade_mode::manual
                                      ? upgrade_domain_state::before
                                      : upgrade_domain_state::during});
    }
    return std::move(out_);
  }

private:
  void emit(action a) {
    apply_status(st_, a);
    out_.push_back(std::move(a));
  }

  std::vector<action> finish() {
    for (auto& s : h_.surges)
      out_.push_back(stop_surge_instance{s.first});
    out_.push_back(complete_upgrade{});
    return std::move(out_);
  }

  bool timed_out(time_point start) const { return now_ - start >= p_.instance_timeout; }

  // True when no other instance of the role that stays up shares its FD.
  bool needs_surge(const instance& x, const std::set<std::string>& in_step) const {
    for (auto& o : d_.instances) {
      if (o.name == x.name || o.role != x.role || o.fault_domain != x.fault_domain
          || in_step.count(o.name))
        continue;
      if (is_serving(health_of(o, h_, now_).state))
        return false;
    }
    return true;
  }

  // Drives the instances of one step towards the target version.
  outcome step(const std::vector<const instance*>& members) {
    const auto& target = st_.target_version;
    std::vector<const instance*> pending;
    std::set<std::string> in_step;
    std::vector<std::string> late; // what timed out, for the reason
    bool waiting = false;
    for (auto* m : members) {
      auto v = health_of(*m, h_, now_);
      if (v.version == target && is_serving(v.state)) {
        if (h_.surges.count(m->name))
          out_.push_back(stop_surge_instance{m->name});
        continue;
      }
      in_step.insert(m->name);
      bool moving = v.upgrade_started && (v.upgrading_to.empty() || v.upgrading_to == target);
      if (v.version == target || moving) {
        if (timed_out(v.upgrade_started.value_or(v.since)))
          late.push_back(m->name);
        else
          waiting = true;
      } else {
        pending.push_back(m);
      }
    }
    // Pending instances whose surge replacement is not serving yet.
    std::vector<const instance*> ready_to_go;
    for (auto* m : pending) {
      if (!st_.surge) {
        ready_to_go.push_back(m);
        continue;
      }
      auto s = h_.surges.find(m->name);
      if (s == h_.surges.end()) {
        if (needs_surge(*m, in_step)) {
          out_.push_back(start_surge_instance{m->name});
          waiting = true;
        } else {
          ready_to_go.push_back(m);
        }
      } else if (is_serving(s->second.state)) {
        ready_to_go.push_back(m);
      } else if (timed_out(s->second.since)) {
        if (p_.on_timeout == timeout_action::proceed)
          ready_to_go.push_back(m); // upgrade without the replacement
        else
          late.push_back("the surge replacement for " + m->name);
      } else {
        waiting = true;
      }
    }
    if (!late.empty() && p_.on_timeout != timeout_action::proceed) {
      std::string reason;
      for (size_t i = 0; i < late.size(); ++i)
        reason += (i ? ", " : "") + late[i];
      reason += " did not reach ReadyRole on version " + target + " within "
                + minutes_text(p_.instance_timeout);
      if (p_.on_timeout == timeout_action::roll_back && !st_.rolling_back)
        out_.push_back(begin_rollback{reason});
      else
        out_.push_back(pause_upgrade{reason});
      return outcome::stopped;
    }
    for (auto* m : ready_to_go) {
      if (st_.rolling_back)
        out_.push_back(rollback_instance{m->name, target});
      else
        out_.push_back(upgrade_instance{m->name, target});
      waiting = true;
    }
    return waiting ? outcome::waiting : outcome::done;
  }

  const deployment& d_;
  const health_snapshot& h_;
  const upgrade_policy& p_;
  time_point now_;
  upgrade_status st_;
  std::vector<action> out_;
};

} // namespace

std::string to_string(const action& a) {
  return std::visit(
    overloaded{
      [](const upgrade_instance& x) {
        return "upgrade_instance(" + x.name + " -> " + x.to_version + ")";
      },
      [](const rollback_instance& x) {
        return "rollback_instance(" + x.name + " -> " + x.to_version + ")";
      },
      [](const advance_to_domain& x) {
        return "advance_to_domain(" + std::to_string(x.upgrade_domain) + ", "
               + state_name(x.state) + ")";
      },
      [](const domain_walked& x) {
        return "domain_walked(" + std::to_string(x.upgrade_domain) + ")";
      },
      [](const await_walk& x) { return "await_walk(" + std::to_string(x.upgrade_domain) + ")"; },
      [](const start_surge_instance& x) {
        return "start_surge_instance(" + x.for_instance + ")";
      },
      [](const stop_surge_instance& x) { return "stop_surge_instance(" + x.for_instance + ")"; },
      [](const pause_upgrade& x) { return "pause_upgrade(" + x.reason + ")"; },
      [](const begin_rollback& x) { return "begin_rollback(" + x.reason + ")"; },
      [](const complete_upgrade&) { return std::string{"complete_upgrade"}; },
    },
    a);
}

result<upgrade_status> begin_upgrade(const deployment& d, const upgrade_request& r) {
  if (d.upgrade)
    return make_error("an upgrade to version " + d.upgrade->target_version
                      + " is already in progress; let it finish or roll it back first");
  if (r.target_version.empty())
    return make_error("the target version is empty");
  if (!r.role.empty()) {
    bool known = false;
    std::string names;
    for (auto& rd : d.definition.roles) {
      known = known || rd.name == r.role;
      names += (names.empty() ? "" : ", ") + rd.name;
    }
    for (auto& in : d.instances)
      known = known || in.role == r.role;
    if (!known)
      return make_error("role '" + r.role + "' is not in the deployment (roles: " + names + ")");
  }
  int u = ud_count_of(d);
  std::vector<int> all;
  for (int i = 0; i < u; ++i)
    all.push_back(i);
  std::vector<int> order = r.order.empty() ? all : r.order;
  std::set<int> seen;
  for (int x : order) {
    if (x < 0 || x >= u)
      return make_error("walk order entry " + std::to_string(x)
                        + " is not an upgrade domain: the deployment has " + std::to_string(u)
                        + (u == 1 ? " UD (0)" : " UDs (0.." + std::to_string(u - 1) + ")"));
    if (!seen.insert(x).second)
      return make_error("UD " + std::to_string(x) + " appears twice in the walk order");
  }
  if (order.size() != all.size()) {
    std::set<int> used_set;
    for (auto& in : d.instances)
      if (r.role.empty() || in.role == r.role)
        used_set.insert(in.upgrade_domain);
    std::vector<int> used(used_set.begin(), used_set.end());
    auto expected = "give every UD 0.." + std::to_string(u - 1)
                    + ", or exactly the UDs that hold instances (" + join(used) + ")";
    for (auto& in : d.instances)
      if ((r.role.empty() || in.role == r.role) && !seen.count(in.upgrade_domain))
        return make_error("the walk order misses UD " + std::to_string(in.upgrade_domain)
                          + ", which holds " + in.name + ": " + expected);
    for (int x : order)
      if (!used_set.count(x))
        return make_error("the walk order lists UD " + std::to_string(x)
                          + " but not every UD: " + expected);
  }
  upgrade_status st;
  st.mode = r.mode;
  st.order = order;
  st.current_upgrade_domain = order.front();
  st.current_state = upgrade_domain_state::before;
  st.role = r.role;
  st.from_version = d.version;
  st.target_version = r.target_version;
  st.target_package = r.target_package;
  st.force = r.force;
  st.surge = r.surge;
  return st;
}

std::vector<action> plan_next(const deployment& d, const health_snapshot& h,
                              const upgrade_policy& p, time_point now) {
  if (!d.upgrade)
    return {};
  return planner{d, h, p, now}.run();
}

status check_walk(const deployment& d, int ud) {
  if (!d.upgrade)
    return make_error("no upgrade is in progress");
  auto& st = *d.upgrade;
  auto k = std::to_string(ud);
  if (st.mode != upgrade_mode::manual)
    return make_error(std::string{"upgrade domains are walked by hand only in Manual mode; this "
                                  "upgrade is "}
                      + mode_name(st.mode));
  if (!contains(st.order, ud))
    return make_error("UD " + k + " does not exist in this walk (order: " + join(st.order) + ")");
  if (contains(st.walked, ud))
    return make_error("UD " + k + " was already walked");
  auto cur = std::to_string(st.current_upgrade_domain);
  if (st.current_state == upgrade_domain_state::during) {
    if (ud == st.current_upgrade_domain)
      return make_error("UD " + k + " is already being walked");
    return make_error("UD " + cur + " is still being walked; walk UD " + k
                      + " after it is done");
  }
  if (ud != st.current_upgrade_domain)
    return make_error("UD " + k + " is out of order: the next UD to walk is " + cur);
  return ok_status();
}

result<upgrade_status> walk_upgrade_domain(const deployment& d, int ud) {
  auto ok = check_walk(d, ud);
  if (!ok)
    return ok.err();
  auto st = *d.upgrade;
  st.current_upgrade_domain = ud;
  st.current_state = upgrade_domain_state::during;
  return st;
}

result<upgrade_status> make_rollback(const deployment& d, upgrade_mode mode) {
  if (!d.upgrade)
    return make_error("no upgrade is in progress to roll back");
  auto& st = *d.upgrade;
  if (st.rolling_back)
    return make_error("a rollback is already in progress");
  std::set<int> touched(st.walked.begin(), st.walked.end());
  if (st.current_state == upgrade_domain_state::during) {
    if (st.mode == upgrade_mode::simultaneous)
      touched.insert(st.order.begin(), st.order.end());
    touched.insert(st.current_upgrade_domain);
  }
  for (auto& in : d.instances)
    if (upgraded_role(st, in) && in.version != st.from_version)
      touched.insert(in.upgrade_domain);
  upgrade_status rb;
  rb.mode = mode;
  for (auto i = st.order.rbegin(); i != st.order.rend(); ++i)
    if (touched.count(*i))
      rb.order.push_back(*i);
  rb.current_upgrade_domain = rb.order.empty() ? 0 : rb.order.front();
  rb.current_state = upgrade_domain_state::before;
  rb.role = st.role;
  rb.from_version = st.target_version;
  rb.target_version = st.from_version;
  rb.target_package = d.package;
  rb.force = st.force;
  rb.surge = st.surge;
  rb.rolling_back = true;
  return rb;
}

} // namespace fabric::model
