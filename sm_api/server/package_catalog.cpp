#include "sm_api/server/package_catalog.hpp"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "model/service_model_parser.hpp"

namespace fabric::sm_server {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

bool valid_package_name(const std::string& name) {
  if (name.empty() || name.size() > 100 || name[0] == '.')
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

std::string package_document(const package& p) {
  return nlohmann::json{{"format", package_format}, {"name", p.name}, {"image", p.image},
                        {"csdef", p.csdef}}
    .dump();
}

result<package> parse_package_document(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return error{"not a package document (a JSON object with format \"" + std::string(package_format)
                 + "\", name, image and csdef)"};
  for (auto k : {"format", "name", "image", "csdef"})
    if (!j.contains(k) || !j[k].is_string())
      return error{std::string("package document: missing string member '") + k + "'"};
  if (j["format"] != package_format)
    return error{"package document: format '" + j["format"].get<std::string>() + "', expected '"
                 + package_format + "'"};
  package p{j["name"].get<std::string>(), j["image"].get<std::string>(),
            j["csdef"].get<std::string>()};
  if (!valid_package_name(p.name))
    return error{"bad package name '" + p.name + "': 1..100 characters of A-Z a-z 0-9 . _ -"};
  if (p.image.empty())
    return error{"package '" + p.name + "': empty image"};
  auto def = model::parse_service_definition(p.csdef, "ServiceDefinition.csdef");
  if (!def)
    return error{"package '" + p.name + "': " + def.err().to_string()};
  return p;
}

package_catalog::package_catalog(std::string dir) : dir_(std::move(dir)) {}

status package_catalog::load() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    return error{"packages: cannot create " + dir_ + ": " + ec.message()};
  std::map<std::string, package> found;
  for (auto& e : fs::directory_iterator(dir_, ec)) {
    if (!e.is_regular_file() || e.path().extension() != ".json")
      continue;
    auto text = read_file(e.path());
    if (!text)
      return error{"packages: cannot read " + e.path().string()};
    auto p = parse_package_document(*text);
    if (!p)
      return error{p.err().message, e.path().string()};
    found[p->name] = *p;
  }
  if (ec)
    return error{"packages: cannot list " + dir_ + ": " + ec.message()};
  std::lock_guard<std::mutex> lock(mtx_);
  packages_ = std::move(found);
  return ok_status();
}

status package_catalog::put(const package& p) {
  auto checked = parse_package_document(package_document(p));
  if (!checked)
    return checked.err();
  std::lock_guard<std::mutex> lock(mtx_);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  auto path = fs::path(dir_) / (p.name + ".json");
  auto tmp = fs::path(dir_) / (p.name + ".json.tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << package_document(p);
    out.flush();
    if (!out)
      return error{"packages: cannot write " + tmp.string()};
  }
  fs::rename(tmp, path, ec);
  if (ec)
    return error{"packages: cannot rename " + tmp.string() + ": " + ec.message()};
  packages_[p.name] = p;
  return ok_status();
}

std::optional<package> package_catalog::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mtx_);
  auto i = packages_.find(name);
  if (i == packages_.end())
    return std::nullopt;
  return i->second;
}

std::vector<package> package_catalog::list() const {
  std::lock_guard<std::mutex> lock(mtx_);
  std::vector<package> out;
  for (auto& [name, p] : packages_)
    out.push_back(p);
  return out;
}

bool package_catalog::remove(const std::string& name) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (!packages_.erase(name))
    return false;
  std::error_code ec;
  fs::remove(fs::path(dir_) / (name + ".json"), ec);
  return true;
}

namespace {

/// GETs `url` (http or https) with the limits; the body or an error that
/// says what went wrong (status, timeout, too large).
result<std::string> fetch(const std::string& url, const package_fetch_limits& limits) {
  auto scheme_end = url.find("://");
  auto path_at = url.find('/', scheme_end + 3);
  std::string origin = url.substr(0, path_at);
  std::string path = path_at == std::string::npos ? "/" : url.substr(path_at);
  if (auto frag = path.find('#'); frag != std::string::npos)
    path.resize(frag);
  httplib::Client cli(origin);
  if (!cli.is_valid())
    return error{"PackageUrl '" + url + "': not a valid http(s) URL"};
  cli.set_connection_timeout(limits.timeout);
  cli.set_read_timeout(limits.timeout);
  cli.set_write_timeout(limits.timeout);
  cli.set_follow_location(false);
  std::string body;
  bool too_large = false;
  auto deadline = std::chrono::steady_clock::now() + limits.timeout;
  bool too_slow = false;
  auto res = cli.Get(path, [&](const char* data, std::size_t n) {
    if (body.size() + n > limits.max_bytes) {
      too_large = true;
      return false;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      too_slow = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_large)
    return error{"PackageUrl '" + url + "': the package is larger than "
                 + std::to_string(limits.max_bytes) + " bytes"};
  if (too_slow)
    return error{"PackageUrl '" + url + "': the download took longer than "
                 + std::to_string(limits.timeout.count()) + " ms"};
  if (!res)
    return error{"PackageUrl '" + url + "': cannot download it (" + httplib::to_string(res.error())
                 + ")"};
  if (res->status != 200)
    return error{"PackageUrl '" + url + "': the server answered " + std::to_string(res->status)};
  return body;
}

} // namespace

result<package> resolve_package_url(const package_catalog& catalog, const std::string& url,
                                    const package_fetch_limits& limits) {
  if (url.empty())
    return error{"empty PackageUrl"};
  auto lower = url.substr(0, 8);
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool http = lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0;
  if (!http) {
    // A registered package's name; nothing else. Local paths, file:// and
    // other schemes are refused with one message whatever is at that path,
    // so that the answer reveals nothing about the coordinator's files.
    if (valid_package_name(url)) {
      if (auto p = catalog.find(url))
        return *p;
      return error{"PackageUrl '" + url + "': no package '" + url
                   + "' (create it with fabricctl package create NAME --csdef FILE --image IMAGE)"};
    }
    return error{"PackageUrl '" + url
                 + "' is not accepted: give the name of a registered package (fabricctl package "
                   "create) or an http(s) URL"};
  }
  // http(s): the last path segment, without .cspkg / .json, names a
  // registered package (a blob URL such as .../pkgs/web.cspkg finds "web");
  // otherwise the URL is downloaded (bounded in size and time) and must be a
  // package document.
  auto rest = url.substr(url.find("://") + 3);
  auto cut = rest.find_first_of("?#");
  if (cut != std::string::npos)
    rest = rest.substr(0, cut);
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  auto slash = rest.rfind('/');
  std::string name = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
  for (auto ext : {".cspkg", ".json"})
    if (ends_with(name, ext)) {
      name.resize(name.size() - std::string(ext).size());
      break;
    }
  if (!name.empty())
    if (auto p = catalog.find(name))
      return *p;
  auto body = fetch(url, limits);
  if (!body)
    return error{body.err().message + "; no registered package '" + name + "' either"};
  auto p = parse_package_document(*body);
  if (!p)
    return error{"PackageUrl '" + url + "': " + p.err().message};
  return p;
}

} // namespace fabric::sm_server
