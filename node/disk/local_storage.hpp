#pragma once

// local_storage_store: one local storage resource of an instance (the
// <LocalStorage name=".." sizeInMB=".."> of its role), a plain directory
// `<data>/instances/<instance>/local/<resource>/` with a quota.
//
// Quota rule: the resource's total (the sum of the sizes of its regular
// files) may never exceed sizeInMB * 1 MiB (1,048,576 bytes). A write is
// checked before it happens: total - size of the file it replaces + new size
// must fit, otherwise it fails with "local storage '<r>' is full: ..." and the
// old content stays intact (writes go to a temp file, then rename).
//
// Local storage is non-persistent by contract, but what each operation keeps
// is precise (docs/domain.md §4): wipe() is what delete-and-deploy / rebuild
// do; a reimage keeps it.
//
// Paths are untrusted: relative, '/'-separated; "..", absolute paths, NUL
// bytes and paths through symbolic links are rejected with the reason.
//
// Thread-safety: one thread at a time per resource directory (the quota check
// and the write are not atomic together across threads or processes).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"
#include "node/disk/file_info.hpp"

namespace fabric::disk {

class local_storage_store {
public:
  /// Opens (creating if needed) resource `name` in `local_dir` (usually
  /// `<data>/instances/<instance>/local`) with a quota of `size_mb` MiB.
  /// Temp files live in `local_dir/.tmp-*` (outside every resource).
  static result<local_storage_store> open(std::filesystem::path local_dir, std::string name,
                                          std::uint64_t size_mb);

  /// Replaces (or creates) the file at `path`, creating parent directories.
  /// Fails with the quota message when the result would exceed the quota.
  status write(std::string_view path, std::string_view data);

  result<std::string> read(std::string_view path) const;

  /// Deletes the file or directory (recursively) at `path`.
  status remove(std::string_view path);

  /// Kind and size of `path` ("" is the root of the resource).
  result<file_info> stat(std::string_view path) const;

  /// Entries of directory `path`, sorted by name (all with in_layer = true).
  result<std::vector<file_info>> list(std::string_view path) const;

  /// Removes every file and directory of the resource.
  status wipe();

  /// Sum of the sizes of the resource's files (measured on disk each call,
  /// so it sees what was there before a restart).
  result<std::uint64_t> used_bytes() const;

  /// Changes the quota (a bigger sizeInMB after a configuration change).
  /// Existing content over a smaller quota is kept; later writes must fit.
  void set_size_mb(std::uint64_t size_mb) { size_mb_ = size_mb; }

  std::uint64_t size_mb() const { return size_mb_; }
  std::uint64_t quota_bytes() const { return size_mb_ * 1024 * 1024; }
  const std::string& name() const { return name_; }
  const std::filesystem::path& dir() const { return dir_; }

private:
  local_storage_store(std::filesystem::path local_dir, std::string name, std::uint64_t size_mb);

  result<std::filesystem::path> resolve(std::string_view path, bool allow_root) const;

  std::filesystem::path local_dir_;
  std::string name_;
  std::filesystem::path dir_;
  std::uint64_t size_mb_;
};

} // namespace fabric::disk
