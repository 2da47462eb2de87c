#pragma once

// os_disk: an instance's OS disk ("C drive"), a copy-on-write differencing
// layer over a read-only base image (images/image_store.hpp).
//
//   merged view  =  layer (os/layer/, this instance's writes)
//                   over base (images/<digest>/, shared, read-only)
//
//   read(p)    layer has p ──► layer's file;  else whiteout for p or an
//              ancestor ──► "no such file";  else base's file
//   write(p)   whole file into the layer (temp file + rename); a whiteout of
//              p is removed afterwards; missing parent directories are made
//   remove(p)  drops p from the layer; if the base has p, a whiteout
//              ".wh.<name>" is left beside it so the base entry stays hidden
//   reset()    drops the layer (reimage); rebase(d) drops it and switches base
//
// Whiteout convention (as overlayfs): an empty file ".wh.<name>" in a layer
// directory hides <name> of the base; an empty file ".wh..wh..opq" in a
// layer directory hides the whole base directory beneath it (made when a
// deleted directory is created again). User paths may not use names starting
// with ".wh.". Writes are whole-file, so no copy-up is ever needed.
//
// An os_disk is a handle: it keeps no state on disk except its layer. The
// base digest is persisted by instance_disks (instance_disks.hpp).
//
// Paths are untrusted (they come from the instance's program): relative,
// '/'-separated; "..", absolute paths, NUL bytes, ".wh." names and paths
// through symbolic links are rejected with an error saying why.
//
// Thread-safety: one thread at a time per os_disk (and per layer directory);
// different instances' disks may be used from different threads. The base is
// only read, so any number of disks may share it.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"
#include "node/disk/file_info.hpp"
#include "images/image_store.hpp"

namespace fabric::disk {

class os_disk {
public:
  /// Opens (creating if needed) the layer in `os_dir` (usually
  /// `<data>/instances/<instance>/os`) over image `base_digest` of `images`.
  /// Errors when the image is not in the store.
  static result<os_disk> open(const images::image_store& images, std::filesystem::path os_dir,
                              std::string base_digest);

  /// The whole file at `path` of the merged view.
  result<std::string> read(std::string_view path) const;

  /// Replaces (or creates) the file at `path` with `data`, creating missing
  /// parent directories. Errors when `path` or a parent is a directory /
  /// file of the wrong kind.
  status write(std::string_view path, std::string_view data);

  /// Creates the directory `path` (and missing parents). Existing directory: ok.
  status make_directory(std::string_view path);

  /// Deletes the file or directory (recursively) at `path`. Errors when
  /// nothing is there.
  status remove(std::string_view path);

  /// Kind and size of `path` ("" or "." is the root).
  result<file_info> stat(std::string_view path) const;

  /// The entries of directory `path` ("" is the root), sorted by name.
  result<std::vector<file_info>> list(std::string_view path) const;

  /// True when `path` exists in the merged view (false for rejected paths).
  bool exists(std::string_view path) const;

  /// Drops the layer: the disk shows the base again (reimage).
  status reset();

  /// Drops the layer and switches to image `new_digest` (upgrade). On error
  /// (image not stored) nothing changes.
  status rebase(const std::string& new_digest);

  /// Bytes of the files in the layer.
  result<std::uint64_t> layer_bytes() const;

  /// The quota of the layer (this instance's writes; the shared base is not
  /// counted): a write() that would bring the layer's file bytes over it is
  /// refused and changes nothing, as local storage quotas are (issue 14: an
  /// instance could fill the host's disk). 0: no quota. instance_disks sets
  /// it from the spec (the role's VM size, model/limits.hpp).
  void set_quota_mb(std::uint64_t mb) { quota_mb_ = mb; }
  std::uint64_t quota_mb() const { return quota_mb_; }

  const std::string& base_digest() const { return base_digest_; }
  const std::filesystem::path& layer_dir() const { return layer_; }

private:
  os_disk(images::image_store images, std::filesystem::path os_dir, std::string base_digest,
          std::filesystem::path base_root);

  struct lookup;
  result<lookup> find(const std::vector<std::string>& parts, std::string_view user) const;
  status make_layer_dirs(const std::vector<std::string>& parts, std::size_t count,
                         std::string_view user);

  images::image_store images_;
  std::filesystem::path os_dir_;
  std::filesystem::path layer_;
  std::string base_digest_;
  std::filesystem::path base_;
  std::uint64_t quota_mb_ = 0;
};

} // namespace fabric::disk
