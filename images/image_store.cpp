#include "images/image_store.hpp"

#include <algorithm>
#include <cstdio>
#include <istream>
#include <ostream>
#include <set>

#include "images/fs_util.hpp"

namespace fabric::images {

namespace fs = std::filesystem;
using namespace detail;

namespace {

// Transfer format (README.md): header = magic + 64 hex digest + '\n';
// records = type(1) path_len(u32 LE) mode(u32 LE) size(u64 LE) path data.
constexpr std::string_view magic = "FABIMG1\n";
constexpr std::size_t header_size = 8 + 64 + 1;
constexpr std::size_t record_size = 1 + 4 + 4 + 8;
constexpr std::uint32_t max_record_path = 4096;

struct file_closer {
  void operator()(std::FILE* f) const {
    if (f)
      std::fclose(f);
  }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

/// Little-endian, `bytes` wide; bytes past the eighth are zero (a shift by
/// 64 or more is undefined: fuzz_image_archive found the end record's).
void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out += static_cast<char>(i < 8 ? (v >> (8 * i)) & 0xff : 0);
}

std::uint64_t get_le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

fs::perms file_mode(bool executable) {
  using fs::perms;
  auto p = perms::owner_read | perms::owner_write | perms::group_read | perms::others_read;
  if (executable)
    p |= perms::owner_exec | perms::group_exec | perms::others_exec;
  return p;
}

status make_read_only(const fs::path& root) {
  std::error_code ec;
  constexpr auto write_bits = fs::perms::owner_write | fs::perms::group_write
                              | fs::perms::others_write;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    fs::permissions(it->path(), write_bits, fs::perm_options::remove, ec);
    if (ec)
      return fs_error("make read-only", it->path(), ec);
  }
  if (ec)
    return fs_error("list", root, ec);
  fs::permissions(root, write_bits, fs::perm_options::remove, ec);
  if (ec)
    return fs_error("make read-only", root, ec);
  return ok_status();
}

result<fs::path> make_temp_dir(const fs::path& images) {
  std::error_code ec;
  fs::create_directories(images, ec);
  if (ec)
    return fs_error("create", images, ec);
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto tmp = images / (".tmp-" + unique_suffix());
    if (fs::create_directory(tmp, ec))
      return tmp;
    if (ec)
      return fs_error("create", tmp, ec);
  }
  return error("cannot create a temp directory under '" + images.string() + "'");
}

// Makes `tmp` (a complete tree whose digest is `digest`) read-only and renames
// it to images/<digest>. Losing a race against an identical import is fine.
status install(const fs::path& images, const fs::path& tmp, const std::string& digest) {
  auto target = images / digest;
  if (kind_of(target) == entry_kind::directory)
    return remove_tree(tmp);
  if (auto st = make_read_only(tmp); !st) {
    remove_tree(tmp);
    return st;
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    remove_tree(tmp);
    if (kind_of(target) == entry_kind::directory)
      return ok_status(); // someone else installed it meanwhile
    return fs_error("install image into", target, ec);
  }
  return ok_status();
}

// Hands bytes to a sink in pieces of at most `size`.
class chunker {
public:
  chunker(const image_store::chunk_sink& sink, std::size_t size)
    : sink_(sink), size_(std::max<std::size_t>(size, 1)) {
  }

  status append(const char* data, std::size_t n) {
    while (n > 0) {
      auto take = std::min(n, size_ - buf_.size());
      buf_.append(data, take);
      data += take;
      n -= take;
      if (buf_.size() == size_)
        if (auto st = flush(); !st)
          return st;
    }
    return ok_status();
  }

  status append(const std::string& s) { return append(s.data(), s.size()); }

  status flush() {
    if (buf_.empty())
      return ok_status();
    auto st = sink_(buf_);
    buf_.clear();
    return st;
  }

private:
  const image_store::chunk_sink& sink_;
  std::size_t size_;
  std::string buf_;
};

} // namespace

// -- image_receiver ------------------------------------------------------------

struct image_receiver::impl {
  enum class phase { header, record, path, data, done, failed };

  fs::path images;
  fs::path tmp;
  std::string expected;
  phase at = phase::header;
  std::string pending; // header, record header or path bytes collected so far
  char type = 0;
  std::uint32_t path_len = 0;
  std::uint32_t mode = 0;
  std::uint64_t size = 0;
  std::uint64_t remaining = 0;
  std::string path;
  file_ptr out;
  fs::path out_path;
  std::set<std::string> seen;
  std::uint64_t received = 0;
  std::uint64_t max_bytes = 0; ///< 0: no limit
  error failure;
  bool installed = false;

  ~impl() {
    out.reset();
    if (!installed && at != phase::failed)
      remove_tree(tmp);
  }

  status fail(error err) {
    out.reset();
    if (at != phase::failed)
      remove_tree(tmp);
    at = phase::failed;
    failure = std::move(err);
    return failure;
  }

  status fail(const std::string& why) {
    return fail(error("image transfer rejected: " + why + " (after "
                      + std::to_string(received) + " bytes)"));
  }

  // Moves bytes from `in` into `pending` until it holds `need` bytes.
  bool collect(std::string_view& in, std::size_t need) {
    auto take = std::min(need - pending.size(), in.size());
    pending.append(in.data(), take);
    in.remove_prefix(take);
    return pending.size() == need;
  }

  status on_header() {
    if (std::string_view(pending).substr(0, magic.size()) != magic)
      return fail(std::string("not an image archive (bad magic)"));
    auto digest = pending.substr(magic.size(), 64);
    if (pending.back() != '\n')
      return fail(std::string("malformed header"));
    if (digest != expected)
      return fail("the archive carries image " + digest + ", expected " + expected);
    at = phase::record;
    return ok_status();
  }

  status on_record() {
    type = pending[0];
    path_len = static_cast<std::uint32_t>(get_le(pending.data() + 1, 4));
    mode = static_cast<std::uint32_t>(get_le(pending.data() + 5, 4));
    size = get_le(pending.data() + 9, 8);
    if (type == 'E') {
      if (path_len != 0 || size != 0)
        return fail(std::string("malformed end record"));
      at = phase::done;
      return ok_status();
    }
    if (type != 'd' && type != 'f')
      return fail("unknown record type " + std::to_string(static_cast<unsigned char>(type)));
    if (path_len == 0 || path_len > max_record_path)
      return fail("record path length " + std::to_string(path_len) + " out of range");
    if (type == 'd' && size != 0)
      return fail(std::string("a directory record carries data"));
    at = phase::path;
    return ok_status();
  }

  status on_path() {
    path = pending;
    auto parts = split_user_path(path, false, true);
    if (!parts)
      return fail(parts.err().message);
    if (join(*parts) != path)
      return fail("path '" + path + "' is not in canonical form");
    if (!seen.insert(path).second)
      return fail("path '" + path + "' appears twice");
    auto target = tmp / path;
    std::error_code ec;
    if (type == 'd') {
      fs::create_directories(target, ec);
      if (ec)
        return fail(fs_error("create", target, ec));
      at = phase::record;
      return ok_status();
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      return fail(fs_error("create", target.parent_path(), ec));
    out.reset(std::fopen(target.c_str(), "wbx"));
    if (!out)
      return fail(fs_error("create", target, std::error_code(errno, std::generic_category())));
    out_path = target;
    remaining = size;
    at = phase::data;
    return remaining == 0 ? end_file() : ok_status();
  }

  status end_file() {
    if (std::fclose(out.release()) != 0)
      return fail(fs_error("write", out_path, std::error_code(errno, std::generic_category())));
    std::error_code ec;
    fs::permissions(out_path, file_mode((mode & 0111) != 0), ec);
    if (ec)
      return fail(fs_error("set mode of", out_path, ec));
    at = phase::record;
    return ok_status();
  }

  status feed(std::string_view in) {
    if (at == phase::failed)
      return failure;
    if (installed)
      return error("image transfer already finished");
    received += in.size();
    if (max_bytes > 0 && received > max_bytes)
      return fail("the archive is larger than the limit of " + std::to_string(max_bytes)
                  + " bytes");
    while (!in.empty()) {
      switch (at) {
        case phase::header:
          if (!collect(in, header_size))
            break;
          if (auto st = on_header(); !st)
            return st;
          pending.clear();
          break;
        case phase::record:
          if (!collect(in, record_size))
            break;
          if (auto st = on_record(); !st)
            return st;
          pending.clear();
          break;
        case phase::path:
          if (!collect(in, path_len))
            break;
          if (auto st = on_path(); !st)
            return st;
          pending.clear();
          break;
        case phase::data: {
          auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, in.size()));
          if (std::fwrite(in.data(), 1, take, out.get()) != take)
            return fail(
              fs_error("write", out_path, std::error_code(errno, std::generic_category())));
          in.remove_prefix(take);
          remaining -= take;
          if (remaining == 0)
            if (auto st = end_file(); !st)
              return st;
          break;
        }
        case phase::done:
          return fail(std::string("trailing bytes after the end record"));
        case phase::failed:
          return failure;
      }
    }
    return ok_status();
  }
};

image_receiver::image_receiver(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}
image_receiver::image_receiver(image_receiver&&) noexcept = default;
image_receiver& image_receiver::operator=(image_receiver&&) noexcept = default;
image_receiver::~image_receiver() = default;

status image_receiver::feed(std::string_view bytes) {
  return impl_->feed(bytes);
}

std::uint64_t image_receiver::bytes_received() const {
  return impl_->received;
}

result<std::string> image_receiver::finish() {
  auto& d = *impl_;
  if (d.at == impl::phase::failed)
    return d.failure;
  if (d.installed)
    return d.expected;
  if (d.at != impl::phase::done)
    return d.fail(error("image transfer incomplete: the archive ended before its end record ("
                        + std::to_string(d.received) + " bytes received)"))
      .err();
  auto digest = tree_digest(d.tmp);
  if (!digest)
    return d.fail(digest.err()).err();
  if (*digest != d.expected)
    return d.fail(error("image transfer corrupted: the received tree hashes to " + *digest
                        + ", expected " + d.expected + "; nothing was installed"))
      .err();
  if (auto st = install(d.images, d.tmp, d.expected); !st) {
    d.at = impl::phase::failed; // install() already removed the temp directory
    d.failure = st.err();
    return st.err();
  }
  d.installed = true;
  return d.expected;
}

// -- image_store ---------------------------------------------------------------

image_store::image_store(fs::path data_dir) : images_(std::move(data_dir) / "images") {
}

result<std::string> image_store::compute_digest(const fs::path& source) {
  return tree_digest(source);
}

result<std::string> image_store::import_directory(const fs::path& source) {
  auto entries = walk_tree(source);
  if (!entries)
    return entries.err();
  auto tmp = make_temp_dir(images_);
  if (!tmp)
    return tmp.err();
  auto fail = [&](error e) -> result<std::string> {
    remove_tree(*tmp);
    return e;
  };
  for (const auto& e : *entries) {
    auto to = *tmp / e.path;
    std::error_code ec;
    if (e.kind == entry_kind::directory) {
      fs::create_directories(to, ec);
      if (ec)
        return fail(fs_error("create", to, ec));
      continue;
    }
    fs::copy_file(source / e.path, to, ec);
    if (!ec)
      fs::permissions(to, file_mode(e.executable), ec);
    if (ec)
      return fail(fs_error("copy", source / e.path, ec));
  }
  auto digest = tree_digest(*tmp); // of the copy: the source may change meanwhile
  if (!digest)
    return fail(digest.err());
  if (auto st = install(images_, *tmp, *digest); !st)
    return st.err();
  return digest;
}

bool image_store::contains(const std::string& digest) const {
  return check_digest(digest).ok() && kind_of(images_ / digest) == entry_kind::directory;
}

result<fs::path> image_store::path_of(const std::string& digest) const {
  if (auto st = check_digest(digest); !st)
    return st.err();
  if (!contains(digest))
    return error("image " + digest + " is not in the store '" + images_.string() + "'");
  return images_ / digest;
}

result<std::vector<std::string>> image_store::list() const {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(images_, ec))
    return out;
  for (auto it = fs::directory_iterator(images_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (check_digest(name).ok() && kind_of(it->path()) == entry_kind::directory)
      out.push_back(name);
  }
  if (ec)
    return fs_error("list", images_, ec);
  std::sort(out.begin(), out.end());
  return out;
}

status image_store::verify(const std::string& digest) const {
  auto root = path_of(digest);
  if (!root)
    return root.err();
  auto actual = tree_digest(*root);
  if (!actual)
    return actual.err();
  if (*actual != digest)
    return error("image " + digest + " is damaged: its content now hashes to " + *actual);
  return ok_status();
}

status image_store::remove(const std::string& digest) {
  if (auto st = check_digest(digest); !st)
    return st;
  return drop_tree(images_ / digest);
}

status image_store::export_image(const std::string& digest, const chunk_sink& sink,
                                 std::size_t chunk_bytes) const {
  auto root = path_of(digest);
  if (!root)
    return root.err();
  auto entries = walk_tree(*root);
  if (!entries)
    return entries.err();
  chunker out(sink, chunk_bytes);
  std::string head(magic);
  head += digest;
  head += '\n';
  if (auto st = out.append(head); !st)
    return st;
  std::vector<char> buf(1 << 16);
  for (const auto& e : *entries) {
    bool dir = e.kind == entry_kind::directory;
    std::string rec;
    rec += dir ? 'd' : 'f';
    put_le(rec, e.path.size(), 4);
    put_le(rec, dir || e.executable ? 0755 : 0644, 4);
    put_le(rec, e.size, 8);
    rec += e.path;
    if (auto st = out.append(rec); !st)
      return st;
    if (dir)
      continue;
    auto file = *root / e.path;
    file_ptr f(std::fopen(file.c_str(), "rb"));
    if (!f)
      return fs_error("open", file, std::error_code(errno, std::generic_category()));
    std::uint64_t sent = 0;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
      if (auto st = out.append(buf.data(), n); !st)
        return st;
      sent += n;
    }
    if (sent != e.size)
      return error("image file '" + file.string() + "' changed size during export");
  }
  std::string end;
  end += 'E';
  put_le(end, 0, 16);
  if (auto st = out.append(end); !st)
    return st;
  return out.flush();
}

status image_store::export_image(const std::string& digest, std::ostream& os) const {
  return export_image(digest, [&os](std::string_view chunk) -> status {
    os.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    if (!os)
      return error("cannot write the image archive to the output stream");
    return ok_status();
  });
}

result<image_receiver> image_store::begin_receive(const std::string& expected_digest,
                                                  std::uint64_t max_bytes) {
  if (auto st = check_digest(expected_digest); !st)
    return st.err();
  auto tmp = make_temp_dir(images_);
  if (!tmp)
    return tmp.err();
  auto p = std::make_unique<image_receiver::impl>();
  p->images = images_;
  p->tmp = *tmp;
  p->expected = expected_digest;
  p->max_bytes = max_bytes;
  return image_receiver(std::move(p));
}

result<std::string> image_store::import_archive(std::istream& in,
                                                const std::string& expected_digest) {
  auto rx = begin_receive(expected_digest);
  if (!rx)
    return rx.err();
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0)
      break;
    if (auto st = rx->feed(std::string_view(buf.data(), n)); !st)
      return st.err();
  }
  if (in.bad())
    return error("cannot read the image archive from the input stream");
  return rx->finish();
}

status image_store::clean_leftovers() {
  return clean_dot_leftovers(images_);
}

} // namespace fabric::images
