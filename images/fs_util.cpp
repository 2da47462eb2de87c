#include "images/fs_util.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>

#include <openssl/evp.h>
#include <unistd.h>

namespace fabric::images::detail {

namespace {

constexpr std::size_t max_component = 255;
constexpr std::size_t max_path = 4096;

struct file_closer {
  void operator()(std::FILE* f) const {
    if (f)
      std::fclose(f);
  }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

error errno_error(std::string_view what, const fs::path& p) {
  return fs_error(what, p, std::error_code(errno, std::generic_category()));
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

} // namespace

error fs_error(std::string_view what, const fs::path& p, const std::error_code& ec) {
  return error("cannot " + std::string(what) + " '" + p.string() + "': " + ec.message());
}

result<std::vector<std::string>> split_user_path(std::string_view path, bool allow_root,
                                                 bool reserve_whiteouts) {
  auto bad = [&](const std::string& why) {
    std::string shown(path);
    for (auto& c : shown)
      if (c == '\0')
        c = '?';
    return error("path '" + shown + "' is not allowed: " + why);
  };
  if (path.find('\0') != std::string_view::npos)
    return bad("it contains a NUL byte");
  if (path.size() > max_path)
    return bad("it is longer than " + std::to_string(max_path) + " bytes");
  if (!path.empty() && path.front() == '/')
    return bad("absolute paths are not allowed (paths are relative to the disk root)");
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos)
      next = path.size();
    auto part = path.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == ".")
      continue;
    if (part == "..")
      return bad("'..' components are not allowed (paths may not leave the disk root)");
    if (part.size() > max_component)
      return bad("a component is longer than " + std::to_string(max_component) + " bytes");
    if (reserve_whiteouts && starts_with(part, whiteout_prefix))
      return bad("names starting with '.wh.' are reserved for whiteout markers");
    parts.emplace_back(part);
  }
  if (parts.empty() && !allow_root)
    return bad("it names the disk root, not a file");
  return parts;
}

result<fs::path> resolve_under(const fs::path& root, const std::vector<std::string>& parts,
                               std::string_view user_path) {
  fs::path out = root;
  bool checking = true; // below a missing component nothing can be a link
  for (const auto& part : parts) {
    out /= part;
    if (!checking)
      continue;
    std::error_code ec;
    auto st = fs::symlink_status(out, ec);
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
      return fs_error("inspect", out, ec);
    if (!ec && fs::is_symlink(st))
      return error("path '" + std::string(user_path)
                   + "' is not allowed: it goes through a symbolic link, which could lead "
                     "outside the disk root");
    checking = !ec && fs::exists(st);
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty())
      out += '/';
    out += p;
  }
  return out;
}

status check_name(std::string_view name, std::string_view what) {
  auto bad = [&](const std::string& why) {
    return error(std::string(what) + " '" + std::string(name) + "' is not valid: " + why);
  };
  if (name.empty())
    return bad("it is empty");
  if (name.size() > 128)
    return bad("it is longer than 128 characters");
  if (name.front() == '.')
    return bad("it may not start with '.'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_' || c == '-' || c == '.';
    if (!ok)
      return bad("only letters, digits, '_', '-' and '.' are allowed");
  }
  return ok_status();
}

status check_digest(std::string_view digest) {
  bool ok = digest.size() == 64;
  for (char c : digest)
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok)
    return error("'" + std::string(digest.substr(0, 80))
                 + "' is not an image digest (64 lowercase hex characters of SHA-256)");
  return ok_status();
}

result<std::string> read_file(const fs::path& file) {
  if (kind_of(file) == entry_kind::directory)
    return error("cannot read '" + file.string() + "': it is a directory");
  file_ptr f(std::fopen(file.c_str(), "rb"));
  if (!f)
    return errno_error("open", file);
  std::string out;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0)
    out.append(buf, n);
  if (std::ferror(f.get()))
    return errno_error("read", file);
  return out;
}

status write_file_atomic(const fs::path& tmp, const fs::path& target, std::string_view data) {
  {
    file_ptr f(std::fopen(tmp.c_str(), "wbx"));
    if (!f)
      return errno_error("create", tmp);
    if (!data.empty() && std::fwrite(data.data(), 1, data.size(), f.get()) != data.size()) {
      auto err = errno_error("write", tmp);
      f.reset();
      std::error_code ignored;
      fs::remove(tmp, ignored);
      return err;
    }
    if (std::fclose(f.release()) != 0) {
      auto err = errno_error("write", tmp);
      std::error_code ignored;
      fs::remove(tmp, ignored);
      return err;
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return fs_error("replace", target, ec);
  }
  return ok_status();
}

std::string unique_suffix() {
  static std::atomic<unsigned long> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

status remove_tree(const fs::path& path) {
  std::error_code ec;
  auto st = fs::symlink_status(path, ec);
  if (ec || !fs::exists(st))
    return ok_status();
  if (fs::is_directory(st)) {
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec))
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
      ec.clear();
    }
  }
  fs::remove_all(path, ec);
  if (ec)
    return fs_error("remove", path, ec);
  return ok_status();
}

status drop_tree(const fs::path& path) {
  if (kind_of(path) == entry_kind::none)
    return ok_status();
  auto aside = path.parent_path() / (".trash-" + unique_suffix());
  std::error_code ec;
  fs::rename(path, aside, ec);
  if (ec)
    return fs_error("move aside", path, ec);
  return remove_tree(aside);
}

status clean_dot_leftovers(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return ok_status();
  std::vector<fs::path> doomed;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    auto name = it->path().filename().string();
    if (starts_with(name, ".tmp-") || starts_with(name, ".trash-"))
      doomed.push_back(it->path());
  }
  if (ec)
    return fs_error("list", dir, ec);
  for (const auto& p : doomed)
    if (auto st = remove_tree(p); !st)
      return st;
  return ok_status();
}

result<std::uint64_t> tree_bytes(const fs::path& dir) {
  std::error_code ec;
  std::uint64_t total = 0;
  if (!fs::is_directory(dir, ec))
    return total;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      auto n = it->file_size(ec);
      if (!ec)
        total += n;
    }
    if (ec)
      return fs_error("measure", it->path(), ec);
  }
  if (ec)
    return fs_error("measure", dir, ec);
  return total;
}

const char* to_string(entry_kind k) {
  switch (k) {
    case entry_kind::none:
      return "none";
    case entry_kind::file:
      return "file";
    case entry_kind::directory:
      return "directory";
    case entry_kind::other:
      return "other";
  }
  return "?";
}

entry_kind kind_of(const fs::path& p) {
  std::error_code ec;
  auto st = fs::symlink_status(p, ec);
  if (ec || !fs::exists(st))
    return entry_kind::none;
  if (fs::is_regular_file(st))
    return entry_kind::file;
  if (fs::is_directory(st))
    return entry_kind::directory;
  return entry_kind::other;
}

result<std::vector<tree_entry>> walk_tree(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return error("'" + root.string() + "' is not a directory");
  std::vector<tree_entry> out;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const auto& p = it->path();
    auto name = p.filename().string();
    if (starts_with(name, whiteout_prefix))
      return error("image file '" + p.string()
                   + "' is not allowed: names starting with '.wh.' are reserved for whiteouts");
    auto st = it->symlink_status(ec);
    if (ec)
      return fs_error("inspect", p, ec);
    tree_entry e;
    e.path = p.lexically_relative(root).generic_string();
    if (fs::is_directory(st)) {
      e.kind = entry_kind::directory;
    } else if (fs::is_regular_file(st)) {
      e.kind = entry_kind::file;
      e.executable = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
      e.size = it->file_size(ec);
      if (ec)
        return fs_error("measure", p, ec);
    } else {
      return error("image file '" + p.string()
                   + "' is not allowed: an image holds only regular files and directories "
                     "(no symbolic links, devices, sockets or pipes)");
    }
    out.push_back(std::move(e));
  }
  if (ec)
    return fs_error("list", root, ec);
  std::sort(out.begin(), out.end(),
            [](const tree_entry& a, const tree_entry& b) { return a.path < b.path; });
  return out;
}

result<std::string> tree_digest(const fs::path& root) {
  auto entries = walk_tree(root);
  if (!entries)
    return entries.err();
  std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return error("cannot initialise SHA-256 (OpenSSL)");
  auto feed = [&](const void* data, std::size_t n) {
    EVP_DigestUpdate(ctx.get(), data, n);
  };
  std::vector<char> buf(1 << 16);
  for (const auto& e : *entries) {
    char tag = e.kind == entry_kind::directory ? 'd' : (e.executable ? 'x' : 'f');
    feed(&tag, 1);
    feed(e.path.data(), e.path.size());
    feed("", 1);
    if (e.kind != entry_kind::file)
      continue;
    unsigned char size_le[8];
    for (int i = 0; i < 8; ++i)
      size_le[i] = static_cast<unsigned char>(e.size >> (8 * i));
    feed(size_le, 8);
    auto file = root / e.path;
    file_ptr f(std::fopen(file.c_str(), "rb"));
    if (!f)
      return errno_error("open", file);
    std::uint64_t seen = 0;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
      feed(buf.data(), n);
      seen += n;
    }
    if (std::ferror(f.get()))
      return errno_error("read", file);
    if (seen != e.size)
      return error("file '" + file.string() + "' changed size while its digest was computed");
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1)
    return error("cannot finish SHA-256 (OpenSSL)");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

} // namespace fabric::images::detail
