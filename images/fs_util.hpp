#pragma once

// Internal helpers of fabric::disk (not part of its public API): untrusted
// path checking, whole-file I/O that never throws, atomic replacement, tree
// walking and the canonical tree digest.
//
// Every function turns std::filesystem / stdio failures into a fabric::error
// whose message names the path and the operation. None throws (allocation
// failure aside).
//
// Thread-safety: free functions without shared state, except unique_suffix()
// (an atomic counter); safe from any thread.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace fabric::images::detail {

namespace fs = std::filesystem;

/// Names the layer uses for its own markers; user paths may not use them.
inline constexpr std::string_view whiteout_prefix = ".wh.";
inline constexpr std::string_view opaque_marker = ".wh..wh..opq";

/// Splits an untrusted relative path into components. "a//b/./c" gives
/// {a, b, c}; "" (and "." or "/"-free empties) gives {} (the root) only when
/// `allow_root`. Rejects: NUL bytes, absolute paths, ".." components,
/// components longer than 255 bytes, paths longer than 4096 bytes, and (when
/// `reserve_whiteouts`) components that start with ".wh.". The error says
/// which rule the path broke.
result<std::vector<std::string>> split_user_path(std::string_view path, bool allow_root,
                                                 bool reserve_whiteouts);

/// `root` / c1 / ... / cn, checking that no existing component below `root`
/// is a symbolic link (so nothing can lead outside `root`).
result<fs::path> resolve_under(const fs::path& root, const std::vector<std::string>& parts,
                               std::string_view user_path);

/// "a/b/c" for display.
std::string join(const std::vector<std::string>& parts);

/// Checks an instance or resource name: 1..128 bytes of [A-Za-z0-9._-], not
/// starting with '.'. `what` names it in the error ("instance name").
status check_name(std::string_view name, std::string_view what);

/// Checks a digest: 64 lowercase hex characters.
status check_digest(std::string_view digest);

/// Reads a whole regular file.
result<std::string> read_file(const fs::path& file);

/// Writes `data` to a new file `tmp` then renames it over `target` (so
/// `target` has either its old or its new content, never a mix). `tmp` must be
/// on the same file system as `target` and must not exist.
status write_file_atomic(const fs::path& tmp, const fs::path& target, std::string_view data);

/// A name unique within this process run: "<pid>-<counter>".
std::string unique_suffix();

/// Removes a tree, first giving its owner write permission on every
/// directory (image trees are read-only). Missing path: ok.
status remove_tree(const fs::path& path);

/// Renames `path` aside to `<parent>/.trash-<unique>` (atomic), then removes
/// it. A crash in between leaves only a ".trash-*" entry, which
/// clean_leftovers() removes.
status drop_tree(const fs::path& path);

/// Removes ".tmp-*" and ".trash-*" entries directly under `dir`.
status clean_dot_leftovers(const fs::path& dir);

/// Sum of the sizes of the regular files under `dir` (0 when missing).
result<std::uint64_t> tree_bytes(const fs::path& dir);

enum class entry_kind { none, file, directory, other };
const char* to_string(entry_kind k);

/// The kind of `p` without following symbolic links; `other` for anything
/// that is not a regular file or directory; `none` when missing.
entry_kind kind_of(const fs::path& p);

/// One entry of a tree, path relative to the root with '/' separators.
struct tree_entry {
  std::string path;
  entry_kind kind = entry_kind::none;
  bool executable = false;
  std::uint64_t size = 0;
};

/// Every file and directory under `root`, sorted byte-wise by path. Errors
/// on symbolic links and special files (an image holds only files and
/// directories), and on names starting with ".wh." (reserved).
result<std::vector<tree_entry>> walk_tree(const fs::path& root);

/// SHA-256 (lowercase hex) of the canonical serialisation of the tree under
/// `root`: for each entry of walk_tree(), in order,
///   'd' path '\0'                                for a directory
///   'f' or 'x' path '\0' size(8 bytes LE) bytes  for a file ('x': executable)
result<std::string> tree_digest(const fs::path& root);

/// A std::error_code message prefixed with the operation and path.
error fs_error(std::string_view what, const fs::path& p, const std::error_code& ec);

} // namespace fabric::images::detail
