#include "node/disk/instance_disks.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "images/fs_util.hpp"

namespace fabric::disk {

namespace fs = std::filesystem;
using namespace images::detail;

namespace {

constexpr const char* meta_name = "disks.meta";
constexpr const char* meta_magic = "fabric-instance-disks 1";

fs::path instances_dir(const fs::path& data_dir) {
  return data_dir / "instances";
}

status check_spec(const instance_disk_spec& spec) {
  if (auto st = check_name(spec.instance, "instance name"); !st)
    return st;
  if (auto st = check_digest(spec.base_digest); !st)
    return st;
  std::set<std::string> names;
  for (const auto& r : spec.resources) {
    if (auto st = check_name(r.name, "local storage name"); !st)
      return st;
    if (!names.insert(r.name).second)
      return error("instance '" + spec.instance + "' declares local storage '" + r.name
                   + "' twice");
    if (r.size_mb == 0)
      return error("local storage '" + r.name + "' of instance '" + spec.instance
                   + "' has sizeInMB=0; it must be at least 1");
  }
  return ok_status();
}

std::string render_meta(const instance_disk_spec& spec) {
  std::string out = std::string(meta_magic) + "\n";
  out += "instance " + spec.instance + "\n";
  out += "base " + spec.base_digest + "\n";
  for (const auto& r : spec.resources)
    out += "resource " + r.name + " " + std::to_string(r.size_mb) + "\n";
  if (spec.os_quota_mb > 0)
    out += "os_quota_mb " + std::to_string(spec.os_quota_mb) + "\n";
  return out;
}

result<instance_disk_spec> read_meta(const fs::path& file) {
  auto text = read_file(file);
  if (!text)
    return text.err();
  std::istringstream in(*text);
  std::string line;
  int n = 0;
  instance_disk_spec spec;
  bool has_instance = false;
  bool has_base = false;
  auto bad = [&](const std::string& why) { return error(why, file.string(), n); };
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      if (line != meta_magic)
        return bad("not an instance disks file (first line must be '" + std::string(meta_magic)
                   + "')");
      continue;
    }
    if (line.empty())
      continue;
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "instance") {
      words >> spec.instance;
      has_instance = true;
    } else if (key == "base") {
      words >> spec.base_digest;
      has_base = true;
    } else if (key == "resource") {
      local_resource_spec r;
      if (!(words >> r.name >> r.size_mb))
        return bad("a resource line needs a name and a size in MB");
      spec.resources.push_back(std::move(r));
    } else if (key == "os_quota_mb") {
      if (!(words >> spec.os_quota_mb))
        return bad("an os_quota_mb line needs a size in MB");
    } else {
      return bad("unknown key '" + key + "' (expected instance, base, resource or os_quota_mb)");
    }
  }
  if (n == 0)
    return bad("the file is empty");
  if (!has_instance || !has_base)
    return bad("the file lacks its 'instance' or 'base' line");
  if (auto st = check_spec(spec); !st)
    return bad(st.err().message);
  return spec;
}

std::string names_of(const std::vector<local_storage_store>& locals) {
  std::string out;
  for (const auto& l : locals)
    out += (out.empty() ? "" : ", ") + l.name();
  return out.empty() ? "none" : out;
}

} // namespace

const char* to_string(os_action a) {
  switch (a) {
    case os_action::keep:
      return "keep";
    case os_action::reset:
      return "reset";
    case os_action::rebase:
      return "rebase";
  }
  return "?";
}

const char* to_string(local_action a) {
  return a == local_action::keep ? "keep" : "wipe";
}

instance_disks::instance_disks(fs::path dir, instance_disk_spec spec, os_disk os,
                               std::vector<local_storage_store> locals)
  : dir_(std::move(dir))
  , spec_(std::move(spec))
  , os_(std::move(os))
  , locals_(std::move(locals)) {
}

status instance_disks::save() const {
  return write_file_atomic(dir_ / (".tmp-" + unique_suffix()), dir_ / meta_name,
                           render_meta(spec_));
}

result<instance_disks> instance_disks::open_or_create(const fs::path& data_dir,
                                                      const instance_disk_spec& spec) {
  if (auto st = check_spec(spec); !st)
    return st.err();
  auto dir = instances_dir(data_dir) / spec.instance;
  std::vector<std::string> dropped;
  bool changed = true;
  if (kind_of(dir / meta_name) == entry_kind::file) {
    auto held = read_meta(dir / meta_name);
    if (!held)
      return held.err();
    if (held->base_digest != spec.base_digest)
      return error("instance '" + spec.instance + "' already holds base image "
                   + held->base_digest + " but the spec asks for " + spec.base_digest
                   + "; rebase it (upgrade) or destroy it first");
    for (const auto& r : held->resources) {
      auto same = [&](const local_resource_spec& s) { return s.name == r.name; };
      if (std::none_of(spec.resources.begin(), spec.resources.end(), same))
        dropped.push_back(r.name);
    }
    changed = held->resources != spec.resources || held->os_quota_mb != spec.os_quota_mb;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return fs_error("create", dir, ec);
  if (auto st = clean_dot_leftovers(dir); !st)
    return st.err();
  auto os = os_disk::open(images::image_store(data_dir), dir / "os", spec.base_digest);
  if (!os)
    return os.err();
  os->set_quota_mb(spec.os_quota_mb);
  std::vector<local_storage_store> locals;
  for (const auto& r : spec.resources) {
    auto l = local_storage_store::open(dir / "local", r.name, r.size_mb);
    if (!l)
      return l.err();
    locals.push_back(std::move(*l));
  }
  for (const auto& name : dropped)
    if (auto st = drop_tree(dir / "local" / name); !st)
      return st.err();
  instance_disks out(dir, spec, std::move(*os), std::move(locals));
  if (changed)
    if (auto st = out.save(); !st)
      return st.err();
  return out;
}

result<instance_disks> instance_disks::open(const fs::path& data_dir,
                                            const std::string& instance) {
  if (auto st = check_name(instance, "instance name"); !st)
    return st.err();
  auto meta = instances_dir(data_dir) / instance / meta_name;
  if (kind_of(meta) != entry_kind::file)
    return error("instance '" + instance + "' has no disks on this node (no '" + meta.string()
                 + "')");
  auto spec = read_meta(meta);
  if (!spec)
    return spec.err();
  if (spec->instance != instance)
    return error("'" + meta.string() + "' belongs to instance '" + spec->instance
                 + "', not '" + instance + "'");
  return open_or_create(data_dir, *spec);
}

result<local_storage_store*> instance_disks::local(const std::string& name) {
  for (auto& l : locals_)
    if (l.name() == name)
      return &l;
  return error("instance '" + spec_.instance + "' has no local storage '" + name
               + "' (it has: " + names_of(locals_) + ")");
}

status instance_disks::apply(const disk_action& action) {
  if (destroyed_)
    return error("the disks of instance '" + spec_.instance + "' were destroyed");
  // Check everything before changing anything.
  if (action.os == os_action::rebase) {
    if (auto st = check_digest(action.rebase_digest); !st)
      return error("cannot rebase instance '" + spec_.instance + "': " + st.err().message);
    if (!images::image_store(dir_.parent_path().parent_path()).contains(action.rebase_digest))
      return error("cannot rebase instance '" + spec_.instance + "': image "
                   + action.rebase_digest + " is not on this node");
  }
  for (const auto& [name, what] : action.local) {
    (void) what;
    if (!local(name))
      return error("disk action names local storage '" + name + "', which instance '"
                   + spec_.instance + "' does not have (it has: " + names_of(locals_) + ")");
  }
  switch (action.os) {
    case os_action::keep:
      break;
    case os_action::reset:
      if (auto st = os_.reset(); !st)
        return st;
      break;
    case os_action::rebase:
      if (auto st = os_.rebase(action.rebase_digest); !st)
        return st;
      spec_.base_digest = action.rebase_digest;
      if (auto st = save(); !st)
        return st;
      break;
  }
  for (auto& l : locals_) {
    auto what = action.local_default;
    for (const auto& [name, a] : action.local)
      if (name == l.name())
        what = a;
    if (what == local_action::wipe)
      if (auto st = l.wipe(); !st)
        return st;
  }
  return ok_status();
}

status instance_disks::destroy() {
  if (destroyed_)
    return error("the disks of instance '" + spec_.instance + "' were destroyed already");
  if (auto st = drop_tree(dir_); !st)
    return st;
  destroyed_ = true;
  return ok_status();
}

result<std::vector<instance_disk_spec>> list_instances(const fs::path& data_dir) {
  std::vector<instance_disk_spec> out;
  auto dir = instances_dir(data_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return out;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.empty() || name.front() == '.' || kind_of(it->path()) != entry_kind::directory)
      continue;
    auto meta = it->path() / meta_name;
    if (kind_of(meta) != entry_kind::file)
      continue;
    auto spec = read_meta(meta);
    if (!spec)
      return spec.err();
    out.push_back(std::move(*spec));
  }
  if (ec)
    return fs_error("list", dir, ec);
  std::sort(out.begin(), out.end(), [](const instance_disk_spec& a, const instance_disk_spec& b) {
    return a.instance < b.instance;
  });
  return out;
}

status destroy_instance(const fs::path& data_dir, const std::string& instance) {
  if (auto st = check_name(instance, "instance name"); !st)
    return st;
  return drop_tree(instances_dir(data_dir) / instance);
}

status clean_leftovers(const fs::path& data_dir) {
  if (auto st = images::image_store(data_dir).clean_leftovers(); !st)
    return st;
  return clean_dot_leftovers(instances_dir(data_dir));
}

} // namespace fabric::disk
