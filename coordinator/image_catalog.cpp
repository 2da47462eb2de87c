#include "coordinator/image_catalog.hpp"

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace fabric::coordinator {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view magic = "FABIMG1\n";

bool is_hex_digest(std::string_view d) {
  if (d.size() != 64)
    return false;
  for (char c : d)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

status write_atomic(const fs::path& target, const std::string& data) {
  auto tmp = target;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return error{"cannot write " + tmp.string()};
  size_t off = 0;
  while (off < data.size()) {
    auto n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      ::close(fd);
      return error{"cannot write " + tmp.string()};
    }
    off += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (std::rename(tmp.c_str(), target.c_str()) != 0)
    return error{"cannot rename " + tmp.string() + " to " + target.string()};
  return ok_status();
}

} // namespace

image_catalog::image_catalog(fs::path data_dir) : dir_(std::move(data_dir)), store_(dir_) {}

bool image_catalog::valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.')
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

status image_catalog::load() {
  std::lock_guard<std::mutex> guard{mtx_};
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (fs::exists(store_.images_dir()))
    if (auto st = store_.clean_leftovers(); !st)
      return st;
  auto file = dir_ / "image-index.json";
  index_.clear();
  if (!fs::exists(file))
    return ok_status();
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("images") || !j["images"].is_object())
    return error{"malformed image index", file.string()};
  for (auto& [name, e] : j["images"].items()) {
    if (!e.is_object() || !e.contains("digest") || !e["digest"].is_string())
      return error{"malformed image index entry '" + name + "'", file.string()};
    image_entry entry{name, e["digest"].get<std::string>(), e.value("size", uint64_t{0})};
    index_[name] = entry;
  }
  return ok_status();
}

status image_catalog::save_locked() const {
  nlohmann::json images = nlohmann::json::object();
  for (auto& [name, e] : index_)
    images[name] = {{"digest", e.digest}, {"size", e.size}};
  nlohmann::json doc{{"version", 1}, {"images", images}};
  return write_atomic(dir_ / "image-index.json", doc.dump(2) + "\n");
}

result<image_entry> image_catalog::add(const std::string& name, std::string_view archive) {
  if (!valid_name(name))
    return error{"bad image name '" + name
                 + "': 1..128 characters of A-Z a-z 0-9 . _ -, not starting with '.'"};
  if (archive.size() < magic.size() + 65 || archive.substr(0, magic.size()) != magic
      || archive[magic.size() + 64] != '\n'
      || !is_hex_digest(archive.substr(magic.size(), 64)))
    return error{"not an image archive: expected fabric's image transfer format "
                 "(\"FABIMG1\", a 64 hex digest, records)"};
  std::string digest{archive.substr(magic.size(), 64)};
  // Always received and verified, even when the digest is stored already: a
  // corrupt upload is refused, never silently named.
  auto rx = store_.begin_receive(digest);
  if (!rx)
    return rx.err();
  if (auto st = rx->feed(archive); !st)
    return st.err();
  auto done = rx->finish();
  if (!done)
    return done.err();
  std::lock_guard<std::mutex> guard{mtx_};
  image_entry entry{name, digest, archive.size()};
  auto old = index_.find(name);
  std::optional<image_entry> previous;
  if (old != index_.end())
    previous = old->second;
  index_[name] = entry;
  if (auto st = save_locked(); !st) {
    if (previous)
      index_[name] = *previous;
    else
      index_.erase(name);
    return st.err();
  }
  return entry;
}

std::optional<std::string> image_catalog::resolve(const std::string& name_or_digest) const {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = index_.find(name_or_digest);
    if (i != index_.end())
      return i->second.digest;
  }
  if (is_hex_digest(name_or_digest) && store_.contains(name_or_digest))
    return name_or_digest;
  return std::nullopt;
}

std::vector<image_entry> image_catalog::list() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<image_entry> out;
  for (auto& [name, e] : index_)
    out.push_back(e);
  return out;
}

bool image_catalog::contains(const std::string& digest) const { return store_.contains(digest); }

status image_catalog::export_image(const std::string& digest,
                                   const images::image_store::chunk_sink& sink,
                                   std::size_t chunk_bytes) const {
  return store_.export_image(digest, sink, chunk_bytes);
}

} // namespace fabric::coordinator
