#pragma once

// Packages of the Service Management facade. On the platform a package
// (.cspkg) carried the service definition and the role code; here a package
// is a service definition plus the name of the base image its roles boot
// (an image uploaded with `fabricctl image upload`). Created with
// `fabricctl package create NAME --csdef FILE --image IMAGE`, which POSTs
// /fabric/v1/packages/NAME; the coordinator keeps each one as a package
// document in <data-dir>/packages/NAME.json:
//
//   {"format": "fabric-package/1", "name": NAME, "image": IMAGE,
//    "csdef": "<ServiceDefinition ...>...</ServiceDefinition>"}
//
// A PackageUrl in Create Deployment / Upgrade Deployment is resolved by
// resolve_package_url: a package name of the catalog, or an http(s) URL whose
// last path segment, without a .cspkg or .json extension, names a catalog
// package (so a blob URL such as
// https://acct.blob.core.windows.net/pkgs/web.cspkg finds package "web"),
// else an http(s) URL that is downloaded, bounded in size and time, and must
// hold a package document. Nothing else: local paths and file:// are refused
// with one message whatever is there (issue 14: /dev/zero grew memory without
// bound, a FIFO blocked API threads, and the answers told whether a file
// existed).
//
// Thread-safety: every member function may be called from any thread (one
// mutex guards the index).

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "model/result.hpp"

namespace fabric::sm_server {

inline constexpr const char* package_format = "fabric-package/1";

struct package {
  std::string name;
  std::string image; ///< image name (or digest) as `fabricctl image upload` named it
  std::string csdef; ///< the .csdef text
};

/// True for 1..100 characters of A-Z a-z 0-9 . _ - (not starting with '.').
bool valid_package_name(const std::string& name);

/// The package document (see above), compact JSON.
std::string package_document(const package& p);

/// Parses a package document; checks the format tag, the name, a non-empty
/// image and that the csdef parses (model::parse_service_definition).
result<package> parse_package_document(const std::string& text);

class package_catalog {
public:
  /// `dir` is created on load() when missing.
  explicit package_catalog(std::string dir);

  /// Reads every <dir>/*.json; a file that does not parse is an error.
  status load();

  /// Validates and stores `p` (replacing a package of the same name); the
  /// file is written first (atomic rename), then the index.
  status put(const package& p);
  std::optional<package> find(const std::string& name) const;
  std::vector<package> list() const;  ///< name order
  /// False when there was no such package.
  bool remove(const std::string& name);

  const std::string& dir() const { return dir_; }

private:
  std::string dir_;
  mutable std::mutex mtx_;
  std::map<std::string, package> packages_;
};

/// Bounds on downloading an http(s) PackageUrl.
struct package_fetch_limits {
  std::size_t max_bytes = 4 * 1024 * 1024;    ///< a package document is a csdef and a name
  std::chrono::milliseconds timeout{10000};  ///< connect, each read, and the whole download
};

/// Resolves a PackageUrl as described above. Errors name what was tried.
result<package> resolve_package_url(const package_catalog& catalog, const std::string& url,
                                    const package_fetch_limits& limits = {});

} // namespace fabric::sm_server
