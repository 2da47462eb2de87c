#pragma once

// image_store: the node's content-addressed, read-only base images.
//
// An image is a directory tree (regular files and directories only) stored
// under `<data>/images/<digest>/`, where the digest is the SHA-256 of the
// tree's canonical serialisation (sorted relative paths, kinds, the
// executable bit, sizes and contents; see README.md). Because the name is the
// content, importing the same tree twice stores it once, and many instances
// share one base (each with its own differencing layer, see os_disk.hpp).
//
//   import_directory(src) ──copy──► images/.tmp-<n>/ ──digest, chmod a-w──►
//                           rename ──► images/<digest>/          (atomic, idempotent)
//
//   coordinator                                      node
//   export_image(d, sink) ──chunks over the wire──►  begin_receive(d) → feed(chunk)...
//                                                    finish(): digest re-computed,
//                                                    must equal d, then renamed in
//
// Files and directories of a stored image are made read-only (a-w). Running as
// root ignores permission bits; the store itself never writes into an image.
//
// Thread-safety: an image_store is a value (a path); copies may be used from
// any threads concurrently. Imports and receives of the same or different
// images may race safely: each works in its own temp directory and the final
// rename is atomic (the loser discards its copy). remove() of an image that
// an instance is using is the caller's mistake to avoid.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace fabric::images {

/// Receives the bytes of an exported image, in chunks of any size, straight
/// into a temp directory of the store; finish() checks the digest and
/// installs the image. Destroying an unfinished receiver removes its temp
/// directory. Movable, not copyable; one thread at a time.
class image_receiver {
public:
  image_receiver(image_receiver&&) noexcept;
  image_receiver& operator=(image_receiver&&) noexcept;
  ~image_receiver();

  /// Consumes the next bytes of the archive. After an error (malformed
  /// archive, unsafe path, I/O failure) the temp directory is gone and every
  /// later call returns that same error.
  status feed(std::string_view bytes);

  /// REQUIRES: the whole archive was fed. Recomputes the digest of the
  /// received tree; it must equal the digest the receive was begun with
  /// ("image transfer corrupted: ..." otherwise, and nothing is installed).
  /// Returns the digest. Idempotent with an image already in the store.
  result<std::string> finish();

  /// Bytes fed so far.
  std::uint64_t bytes_received() const;

private:
  friend class image_store;
  struct impl;
  explicit image_receiver(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

class image_store {
public:
  /// Receives successive pieces of an exported archive; a non-ok status stops
  /// the export and is returned by it.
  using chunk_sink = std::function<status(std::string_view chunk)>;

  /// The store of the node whose data directory is `data_dir` (images live
  /// in `data_dir/images`, created on first import).
  explicit image_store(std::filesystem::path data_dir);

  /// Copies the tree under `source` into the store and returns its digest.
  /// Idempotent: an image already present is left alone. Errors on symbolic
  /// links, special files and names starting with ".wh." (reserved).
  result<std::string> import_directory(const std::filesystem::path& source);

  /// The digest `source` would get, without importing it.
  static result<std::string> compute_digest(const std::filesystem::path& source);

  /// True when the image `digest` is stored (false for a malformed digest).
  bool contains(const std::string& digest) const;

  /// The read-only root directory of image `digest`; an error naming the
  /// digest when it is malformed or not stored.
  result<std::filesystem::path> path_of(const std::string& digest) const;

  /// The digests of every stored image, sorted.
  result<std::vector<std::string>> list() const;

  /// Recomputes the digest of a stored image; an error when its content no
  /// longer matches its name.
  status verify(const std::string& digest) const;

  /// Removes a stored image. Unknown digest: ok.
  status remove(const std::string& digest);

  /// Streams image `digest` in the transfer format (README.md): a header
  /// carrying the digest, one record per directory and file in canonical
  /// order, an end record. `chunk_bytes` bounds each piece given to `sink`.
  status export_image(const std::string& digest, const chunk_sink& sink,
                      std::size_t chunk_bytes = 1 << 20) const;

  /// The same, written to a stream.
  status export_image(const std::string& digest, std::ostream& out) const;

  /// Starts receiving image `expected_digest` (see image_receiver). With
  /// `max_bytes` > 0, an archive longer than that is rejected as it arrives
  /// (a hostile or broken sender cannot fill the disk).
  result<image_receiver> begin_receive(const std::string& expected_digest,
                                       std::uint64_t max_bytes = 0);

  /// Receives a whole archive from a stream: begin_receive, feed, finish.
  result<std::string> import_archive(std::istream& in, const std::string& expected_digest);

  /// Removes temp directories left by a crash (".tmp-*", ".trash-*").
  /// Call once when the node starts, before anything else uses the store.
  status clean_leftovers();

  const std::filesystem::path& images_dir() const { return images_; }

private:
  std::filesystem::path images_;
};

} // namespace fabric::images
