#include "node/disk/local_storage.hpp"

#include <algorithm>

#include "images/fs_util.hpp"

namespace fabric::disk {

namespace fs = std::filesystem;
using namespace images::detail;

namespace {

std::string q(std::string_view user) {
  return "'" + std::string(user) + "'";
}

} // namespace

local_storage_store::local_storage_store(fs::path local_dir, std::string name,
                                         std::uint64_t size_mb)
  : local_dir_(std::move(local_dir))
  , name_(std::move(name))
  , dir_(local_dir_ / name_)
  , size_mb_(size_mb) {
}

result<local_storage_store> local_storage_store::open(fs::path local_dir, std::string name,
                                                     std::uint64_t size_mb) {
  if (auto st = check_name(name, "local storage name"); !st)
    return st.err();
  std::error_code ec;
  fs::create_directories(local_dir / name, ec);
  if (ec)
    return fs_error("create", local_dir / name, ec);
  if (auto st = clean_dot_leftovers(local_dir); !st)
    return st.err();
  return local_storage_store(std::move(local_dir), std::move(name), size_mb);
}

result<fs::path> local_storage_store::resolve(std::string_view path, bool allow_root) const {
  auto parts = split_user_path(path, allow_root, false);
  if (!parts)
    return parts.err();
  auto p = resolve_under(dir_, *parts, path);
  if (!p)
    return p.err();
  // Every existing parent must be a directory.
  fs::path at = dir_;
  for (std::size_t i = 0; i + 1 < parts->size(); ++i) {
    at /= (*parts)[i];
    auto k = kind_of(at);
    if (k == entry_kind::none)
      break;
    if (k != entry_kind::directory)
      return error("path " + q(path) + " goes through '" + join({parts->begin(),
                   parts->begin() + static_cast<std::ptrdiff_t>(i) + 1})
                   + "', which is a file, not a directory");
  }
  return p;
}

status local_storage_store::write(std::string_view path, std::string_view data) {
  auto p = resolve(path, false);
  if (!p)
    return p.err();
  auto k = kind_of(*p);
  if (k == entry_kind::directory)
    return error("cannot write " + q(path) + ": it is a directory");
  auto used = tree_bytes(dir_);
  if (!used)
    return used.err();
  std::uint64_t replaced = 0;
  std::error_code ec;
  if (k == entry_kind::file) {
    replaced = fs::file_size(*p, ec);
    if (ec)
      return fs_error("measure", *p, ec);
  }
  auto total = *used - replaced + data.size();
  if (total > quota_bytes())
    return error("local storage '" + name_ + "' is full: writing " + q(path) + " ("
                 + std::to_string(data.size()) + " bytes) would bring it to "
                 + std::to_string(total) + " bytes, over its quota of "
                 + std::to_string(quota_bytes()) + " bytes (sizeInMB=" + std::to_string(size_mb_)
                 + "); nothing was changed");
  fs::create_directories(p->parent_path(), ec);
  if (ec)
    return fs_error("create", p->parent_path(), ec);
  return write_file_atomic(local_dir_ / (".tmp-" + unique_suffix()), *p, data);
}

result<std::string> local_storage_store::read(std::string_view path) const {
  auto p = resolve(path, false);
  if (!p)
    return p.err();
  auto k = kind_of(*p);
  if (k == entry_kind::none)
    return error("no such file or directory: " + q(path));
  if (k == entry_kind::directory)
    return error("cannot read " + q(path) + ": it is a directory");
  return read_file(*p);
}

status local_storage_store::remove(std::string_view path) {
  auto p = resolve(path, false);
  if (!p)
    return p.err();
  if (kind_of(*p) == entry_kind::none)
    return error("cannot remove " + q(path) + ": no such file or directory");
  return remove_tree(*p);
}

result<file_info> local_storage_store::stat(std::string_view path) const {
  auto p = resolve(path, true);
  if (!p)
    return p.err();
  auto k = kind_of(*p);
  if (k != entry_kind::file && k != entry_kind::directory)
    return error("no such file or directory: " + q(path));
  file_info info;
  info.name = *p == dir_ ? "" : p->filename().string();
  info.in_layer = true;
  info.kind = k == entry_kind::directory ? file_kind::directory : file_kind::file;
  if (k == entry_kind::file) {
    std::error_code ec;
    info.size = fs::file_size(*p, ec);
    if (ec)
      return fs_error("measure", *p, ec);
  }
  return info;
}

result<std::vector<file_info>> local_storage_store::list(std::string_view path) const {
  auto p = resolve(path, true);
  if (!p)
    return p.err();
  auto k = kind_of(*p);
  if (k == entry_kind::none)
    return error("no such file or directory: " + q(path));
  if (k != entry_kind::directory)
    return error("cannot list " + q(path) + ": it is a file");
  std::vector<file_info> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(*p, ec); !ec && it != fs::end(it); it.increment(ec)) {
    auto ek = kind_of(it->path());
    if (ek != entry_kind::file && ek != entry_kind::directory)
      continue;
    file_info info;
    info.name = it->path().filename().string();
    info.in_layer = true;
    info.kind = ek == entry_kind::directory ? file_kind::directory : file_kind::file;
    if (ek == entry_kind::file)
      info.size = it->file_size(ec);
    if (ec)
      return fs_error("measure", it->path(), ec);
    out.push_back(std::move(info));
  }
  if (ec)
    return fs_error("list", *p, ec);
  std::sort(out.begin(), out.end(),
            [](const file_info& a, const file_info& b) { return a.name < b.name; });
  return out;
}

status local_storage_store::wipe() {
  if (auto st = drop_tree(dir_); !st)
    return st;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    return fs_error("create", dir_, ec);
  return ok_status();
}

result<std::uint64_t> local_storage_store::used_bytes() const {
  return tree_bytes(dir_);
}

} // namespace fabric::disk
