#pragma once

// instance_disks: every disk of one instance on this node, and what survives
// a restart of the node process.
//
//   <data>/instances/<instance>/
//     disks.meta          which base, which local resources (text, below)
//     os/layer/           the OS disk's differencing layer (os_disk.hpp)
//     local/<resource>/   one directory per local storage resource
//                         (local_storage.hpp)
//
// disks.meta (rewritten atomically on every change):
//   fabric-instance-disks 1
//   instance WebRole_IN_0
//   base <64 hex digest>
//   resource <name> <sizeInMB>        (one line per resource, spec order)
//
// A node restarted over the same data directory calls list_instances() to
// report what it holds when it registers, and open() to get each instance's
// disks back with every layer, whiteout and local file as it was.
//
// apply(disk_action) carries out what the model's disk rule decided for an
// operation (docs/domain.md §4): keep / reset / rebase the OS layer, keep /
// wipe each local resource. destroy() removes everything of the instance
// (delete-and-deploy, migration away from this node).
//
// Thread-safety: one thread at a time per instance (an instance_disks and its
// os() / local() handles); different instances may be used from different
// threads. list_instances() reads metadata only and may run concurrently with
// anything but a destroy of the instances it lists.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "model/result.hpp"
#include "images/image_store.hpp"
#include "node/disk/local_storage.hpp"
#include "node/disk/os_disk.hpp"

namespace fabric::disk {

struct local_resource_spec {
  std::string name;
  std::uint64_t size_mb = 0;

  bool operator==(const local_resource_spec& o) const {
    return name == o.name && size_mb == o.size_mb;
  }
  bool operator!=(const local_resource_spec& o) const { return !(*this == o); }
};

/// What an instance's disks are made of; also what list_instances() reports.
struct instance_disk_spec {
  std::string instance;    ///< [A-Za-z0-9._-], not starting with '.'
  std::string base_digest; ///< an image in the node's image_store
  std::vector<local_resource_spec> resources;
  /// The OS disk layer's quota in MB (os_disk::set_quota_mb); 0: none.
  /// Persisted as an "os_quota_mb N" line of disks.meta when not 0.
  std::uint64_t os_quota_mb = 0;
};

enum class os_action { keep, reset, rebase };
enum class local_action { keep, wipe };

/// "keep" / "reset" / "rebase"; "keep" / "wipe".
const char* to_string(os_action a);
const char* to_string(local_action a);

/// What to do to an instance's disks (the lead maps model::disk_fate to it).
struct disk_action {
  os_action os = os_action::keep;
  std::string rebase_digest; ///< REQUIRES: set when os == rebase
  /// Per resource; resources not named here get `local_default`.
  std::vector<std::pair<std::string, local_action>> local;
  local_action local_default = local_action::keep;
};

class instance_disks {
public:
  /// Opens the instance's disks if `data_dir` holds them, creates them
  /// otherwise. An existing instance is reconciled with the spec's resources
  /// (new ones created, sizes updated, dropped ones deleted); its base must
  /// equal spec.base_digest (else an error: rebase or destroy first).
  static result<instance_disks> open_or_create(const std::filesystem::path& data_dir,
                                               const instance_disk_spec& spec);

  /// Opens an existing instance from its disks.meta.
  static result<instance_disks> open(const std::filesystem::path& data_dir,
                                     const std::string& instance);

  /// REQUIRES: not destroyed.
  os_disk& os() { return os_; }
  const os_disk& os() const { return os_; }

  /// The local storage resource `name`, or an error naming the ones there are.
  result<local_storage_store*> local(const std::string& name);

  /// All local storage resources, in spec order.
  std::vector<local_storage_store>& locals() { return locals_; }

  /// Carries out `action`. Everything is checked first (resource names,
  /// rebase image present), so a bad action changes nothing.
  status apply(const disk_action& action);

  /// Removes the instance's directory with everything in it. Afterwards only
  /// spec() may be used; apply() and destroy() return errors.
  status destroy();

  /// The instance as persisted (the base follows rebases).
  const instance_disk_spec& spec() const { return spec_; }

private:
  instance_disks(std::filesystem::path dir, instance_disk_spec spec, os_disk os,
                 std::vector<local_storage_store> locals);

  status save() const;

  std::filesystem::path dir_;
  instance_disk_spec spec_;
  os_disk os_;
  std::vector<local_storage_store> locals_;
  bool destroyed_ = false;
};

/// Every instance held under `data_dir`, sorted by name, read from the
/// disks.meta files. Directories without one (a creation cut short by a
/// crash) are skipped; a malformed one is an error naming file and line.
result<std::vector<instance_disk_spec>> list_instances(const std::filesystem::path& data_dir);

/// Removes an instance's directory (as instance_disks::destroy()). Unknown: ok.
status destroy_instance(const std::filesystem::path& data_dir, const std::string& instance);

/// Removes temp and trash directories left by a crash under `data_dir`
/// (images and instances). Call once at node start.
status clean_leftovers(const std::filesystem::path& data_dir);

} // namespace fabric::disk
