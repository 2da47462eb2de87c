#pragma once

// The coordinator's images: an images::image_store under `<data-dir>/images`
// (content-addressed, see images/README.md) plus a name -> digest index
// kept in `<data-dir>/image-index.json`, rewritten atomically (temp file,
// fsync, rename) on every change:
//   {"version": 1, "images": {"<name>": {"digest": "<64 hex>", "size": <bytes>}}}
//
// Uploads arrive in the transfer format of images/README.md (what export_image
// writes: "FABIMG1\n<digest>\n" then records); the digest in the header is
// checked against the received tree before anything is installed or named.
// Re-uploading a name points it at the new digest (the old image stays).
//
// Thread-safety: every member function may be called from any thread (one
// mutex guards the index; the image store is safe for concurrent use).

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"
#include "images/image_store.hpp"

namespace fabric::coordinator {

struct image_entry {
  std::string name;
  std::string digest;
  uint64_t size = 0;  ///< bytes of the archive
};

class image_catalog {
public:
  /// REQUIRES: `data_dir` exists (or can be created).
  explicit image_catalog(std::filesystem::path data_dir);

  /// Reads the index (a missing file is an empty index) and cleans leftovers
  /// of an interrupted upload. An unreadable or malformed index is an error.
  status load();

  /// True for 1..128 characters of [A-Za-z0-9._-], not starting with '.'.
  static bool valid_name(const std::string& name);

  /// Stores an archive under `name`. Errors (nothing changes): a bad name,
  /// an archive without a valid header, a malformed archive, or a tree whose
  /// digest differs from the header's ("image transfer corrupted: ...").
  result<image_entry> add(const std::string& name, std::string_view archive);

  /// The digest of image `name_or_digest` (a name in the index, or a digest
  /// of a stored image); empty when neither.
  std::optional<std::string> resolve(const std::string& name_or_digest) const;

  /// Every named image, by name.
  std::vector<image_entry> list() const;

  bool contains(const std::string& digest) const;

  /// Streams stored image `digest` in chunks of at most `chunk_bytes`.
  status export_image(const std::string& digest, const images::image_store::chunk_sink& sink,
                      std::size_t chunk_bytes = 1 << 20) const;

private:
  status save_locked() const;

  std::filesystem::path dir_;
  images::image_store store_;
  mutable std::mutex mtx_;
  std::map<std::string, image_entry> index_;
};

} // namespace fabric::coordinator
