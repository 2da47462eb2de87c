#pragma once

// file_info: what stat() and list() of a disk (os_disk, local_storage_store)
// say about one entry. Plain data; thread-safe as any value.

#include <cstdint>
#include <string>

namespace fabric::disk {

enum class file_kind { file, directory };

/// "file" / "directory".
const char* to_string(file_kind k);

struct file_info {
  std::string name;       ///< last path component ("" for the root)
  file_kind kind = file_kind::file;
  std::uint64_t size = 0; ///< bytes, files only
  bool in_layer = false;  ///< os_disk: written by this instance (false: from the base);
                          ///< local storage: always true
};

} // namespace fabric::disk
