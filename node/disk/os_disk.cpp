#include "node/disk/os_disk.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "images/fs_util.hpp"

namespace fabric::disk {

namespace fs = std::filesystem;
using namespace images::detail;

const char* to_string(file_kind k) {
  return k == file_kind::file ? "file" : "directory";
}

// Where a path of the merged view lives. `upper` is its kind in the layer,
// `lower` its kind in the base when the base entry is visible (not hidden by
// a whiteout, an opaque directory or an upper entry of another kind).
struct os_disk::lookup {
  entry_kind upper = entry_kind::none;
  entry_kind lower = entry_kind::none;
  fs::path up;
  fs::path low;
  bool lower_listed = false; ///< directory: the base's children show through
  std::string blocked_by;    ///< a parent that is a file ("" when none)

  entry_kind merged() const { return upper != entry_kind::none ? upper : lower; }
};

namespace {

std::string q(std::string_view user) {
  return "'" + std::string(user) + "'";
}

bool has(const fs::path& p) {
  return kind_of(p) != entry_kind::none;
}

} // namespace

os_disk::os_disk(images::image_store images, fs::path os_dir, std::string base_digest,
                 fs::path base_root)
  : images_(std::move(images))
  , os_dir_(std::move(os_dir))
  , layer_(os_dir_ / "layer")
  , base_digest_(std::move(base_digest))
  , base_(std::move(base_root)) {
}

result<os_disk> os_disk::open(const images::image_store& images, fs::path os_dir,
                              std::string base_digest) {
  auto base = images.path_of(base_digest);
  if (!base)
    return base.err();
  std::error_code ec;
  fs::create_directories(os_dir / "layer", ec);
  if (ec)
    return fs_error("create", os_dir / "layer", ec);
  if (auto st = clean_dot_leftovers(os_dir); !st)
    return st.err();
  return os_disk(images, std::move(os_dir), std::move(base_digest), std::move(*base));
}

result<os_disk::lookup> os_disk::find(const std::vector<std::string>& parts,
                                      std::string_view user) const {
  lookup l;
  l.up = layer_;
  l.low = base_;
  l.upper = entry_kind::directory;
  l.lower = entry_kind::directory;
  std::string prefix;
  for (const auto& c : parts) {
    if (l.merged() != entry_kind::directory) {
      l.blocked_by = prefix;
      l.upper = l.lower = entry_kind::none;
      return l;
    }
    if (l.upper == entry_kind::directory && l.lower != entry_kind::none
        && (has(l.up / std::string(opaque_marker))
            || has(l.up / (std::string(whiteout_prefix) + c))))
      l.lower = entry_kind::none;
    l.up /= c;
    l.low /= c;
    prefix += prefix.empty() ? c : "/" + c;
    l.upper = l.upper == entry_kind::directory ? kind_of(l.up) : entry_kind::none;
    l.lower = l.lower == entry_kind::directory ? kind_of(l.low) : entry_kind::none;
    if (l.upper == entry_kind::other || l.lower == entry_kind::other)
      return error("path " + q(user)
                   + " is not allowed: it goes through a symbolic link or special file");
    // An upper entry hides a base entry, except that two directories merge.
    if (l.upper != entry_kind::none
        && !(l.upper == entry_kind::directory && l.lower == entry_kind::directory))
      l.lower = entry_kind::none;
  }
  l.lower_listed = l.lower == entry_kind::directory
                   && !(l.upper == entry_kind::directory && has(l.up / std::string(opaque_marker)));
  return l;
}

status os_disk::make_layer_dirs(const std::vector<std::string>& parts, std::size_t count,
                                std::string_view user) {
  std::vector<std::string> prefix;
  for (std::size_t i = 0; i < count; ++i) {
    prefix.push_back(parts[i]);
    auto l = find(prefix, user);
    if (!l)
      return l.err();
    if (!l->blocked_by.empty() || l->merged() == entry_kind::file)
      return error("cannot write " + q(user) + ": "
                   + q(l->blocked_by.empty() ? join(prefix) : l->blocked_by)
                   + " is a file, not a directory");
    if (l->upper == entry_kind::directory)
      continue;
    auto whiteout = l->up.parent_path() / (std::string(whiteout_prefix) + parts[i]);
    bool was_deleted = has(whiteout);
    std::error_code ec;
    fs::create_directory(l->up, ec);
    if (ec)
      return fs_error("create", l->up, ec);
    if (was_deleted) {
      // The base directory that was deleted must stay hidden under the new one.
      auto opaque = l->up / std::string(opaque_marker);
      if (auto st = write_file_atomic(os_dir_ / (".tmp-" + unique_suffix()), opaque, ""); !st)
        return st;
      fs::remove(whiteout, ec);
      if (ec)
        return fs_error("remove", whiteout, ec);
    }
  }
  return ok_status();
}

result<std::string> os_disk::read(std::string_view path) const {
  auto parts = split_user_path(path, false, true);
  if (!parts)
    return parts.err();
  auto l = find(*parts, path);
  if (!l)
    return l.err();
  switch (l->merged()) {
    case entry_kind::none:
      return error("no such file or directory: " + q(path));
    case entry_kind::directory:
      return error("cannot read " + q(path) + ": it is a directory");
    default:
      return read_file(l->upper == entry_kind::file ? l->up : l->low);
  }
}

status os_disk::write(std::string_view path, std::string_view data) {
  auto parts = split_user_path(path, false, true);
  if (!parts)
    return parts.err();
  auto l = find(*parts, path);
  if (!l)
    return l.err();
  if (l->merged() == entry_kind::directory)
    return error("cannot write " + q(path) + ": it is a directory");
  auto target = layer_ / join(*parts);
  if (quota_mb_ > 0) {
    auto used = tree_bytes(layer_);
    if (!used)
      return used.err();
    std::error_code sec;
    std::uint64_t replaced
      = fs::is_regular_file(fs::symlink_status(target, sec)) ? fs::file_size(target, sec) : 0;
    if (sec)
      replaced = 0;
    auto total = *used - std::min(replaced, *used) + data.size();
    auto quota = quota_mb_ * 1024 * 1024;
    if (total > quota)
      return error("the OS disk is full: writing " + q(path) + " (" + std::to_string(data.size())
                   + " bytes) would bring its layer to " + std::to_string(total)
                   + " bytes, over its quota of " + std::to_string(quota) + " bytes ("
                   + std::to_string(quota_mb_) + " MB for the role's VM size); nothing was changed");
  }
  if (auto st = make_layer_dirs(*parts, parts->size() - 1, path); !st)
    return st;
  auto tmp = os_dir_ / (".tmp-" + unique_suffix());
  if (auto st = write_file_atomic(tmp, target, data); !st)
    return st;
  auto whiteout = target.parent_path() / (std::string(whiteout_prefix) + parts->back());
  std::error_code ec;
  fs::remove(whiteout, ec);
  if (ec)
    return fs_error("remove", whiteout, ec);
  return ok_status();
}

status os_disk::make_directory(std::string_view path) {
  auto parts = split_user_path(path, true, true);
  if (!parts)
    return parts.err();
  auto l = find(*parts, path);
  if (!l)
    return l.err();
  if (l->merged() == entry_kind::directory)
    return ok_status();
  if (l->merged() == entry_kind::file)
    return error("cannot create directory " + q(path) + ": a file is there");
  return make_layer_dirs(*parts, parts->size(), path);
}

status os_disk::remove(std::string_view path) {
  auto parts = split_user_path(path, false, true);
  if (!parts)
    return parts.err();
  auto l = find(*parts, path);
  if (!l)
    return l.err();
  if (l->merged() == entry_kind::none)
    return error("cannot remove " + q(path) + ": no such file or directory");
  // The base may have the name even when the layer's entry hides it (find()
  // then reports lower = none): it must stay hidden once the layer's is gone.
  // A whiteout over a base entry that an ancestor already hides is harmless.
  if (l->lower != entry_kind::none
      || (l->upper != entry_kind::none && kind_of(l->low) != entry_kind::none)) {
    if (auto st = make_layer_dirs(*parts, parts->size() - 1, path); !st)
      return st;
    auto whiteout = l->up.parent_path() / (std::string(whiteout_prefix) + parts->back());
    if (!has(whiteout))
      if (auto st = write_file_atomic(os_dir_ / (".tmp-" + unique_suffix()), whiteout, "");
          !st)
        return st;
  }
  if (l->upper != entry_kind::none)
    return remove_tree(l->up);
  return ok_status();
}

result<file_info> os_disk::stat(std::string_view path) const {
  auto parts = split_user_path(path, true, true);
  if (!parts)
    return parts.err();
  auto l = find(*parts, path);
  if (!l)
    return l.err();
  if (l->merged() == entry_kind::none)
    return error("no such file or directory: " + q(path));
  file_info info;
  info.name = parts->empty() ? "" : parts->back();
  info.in_layer = l->upper != entry_kind::none;
  info.kind = l->merged() == entry_kind::directory ? file_kind::directory : file_kind::file;
  if (info.kind == file_kind::file) {
    std::error_code ec;
    auto p = info.in_layer ? l->up : l->low;
    info.size = fs::file_size(p, ec);
    if (ec)
      return fs_error("measure", p, ec);
  }
  return info;
}

result<std::vector<file_info>> os_disk::list(std::string_view path) const {
  auto parts = split_user_path(path, true, true);
  if (!parts)
    return parts.err();
  auto l = find(*parts, path);
  if (!l)
    return l.err();
  if (l->merged() == entry_kind::none)
    return error("no such file or directory: " + q(path));
  if (l->merged() != entry_kind::directory)
    return error("cannot list " + q(path) + ": it is a file");
  std::map<std::string, file_info> out;
  std::set<std::string> hidden;
  auto scan = [&](const fs::path& dir, bool in_layer) -> status {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      auto name = it->path().filename().string();
      if (in_layer && name.rfind(whiteout_prefix, 0) == 0) {
        hidden.insert(name.substr(whiteout_prefix.size()));
        continue;
      }
      if (out.count(name) || hidden.count(name))
        continue;
      auto k = kind_of(it->path());
      if (k != entry_kind::file && k != entry_kind::directory)
        continue;
      file_info info;
      info.name = name;
      info.in_layer = in_layer;
      info.kind = k == entry_kind::directory ? file_kind::directory : file_kind::file;
      if (k == entry_kind::file)
        info.size = it->file_size(ec);
      if (ec)
        return fs_error("measure", it->path(), ec);
      out.emplace(name, std::move(info));
    }
    if (ec)
      return fs_error("list", dir, ec);
    return ok_status();
  };
  if (l->upper == entry_kind::directory)
    if (auto st = scan(l->up, true); !st)
      return st.err();
  if (l->lower_listed)
    if (auto st = scan(l->low, false); !st)
      return st.err();
  std::vector<file_info> v;
  v.reserve(out.size());
  for (auto& [name, info] : out)
    v.push_back(std::move(info));
  return v;
}

bool os_disk::exists(std::string_view path) const {
  auto parts = split_user_path(path, true, true);
  if (!parts)
    return false;
  auto l = find(*parts, path);
  return l && l->merged() != entry_kind::none;
}

status os_disk::reset() {
  if (auto st = drop_tree(layer_); !st)
    return st;
  std::error_code ec;
  fs::create_directories(layer_, ec);
  if (ec)
    return fs_error("create", layer_, ec);
  return ok_status();
}

status os_disk::rebase(const std::string& new_digest) {
  auto base = images_.path_of(new_digest);
  if (!base)
    return base.err();
  if (auto st = reset(); !st)
    return st;
  base_digest_ = new_digest;
  base_ = std::move(*base);
  return ok_status();
}

result<std::uint64_t> os_disk::layer_bytes() const {
  return tree_bytes(layer_);
}

} // namespace fabric::disk
