#include "sm_api/server/package_catalog.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

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

result<package> resolve_package_url(const package_catalog& catalog, const std::string& url) {
  if (url.empty())
    return error{"empty PackageUrl"};
  auto from_file = [&](const std::string& path) -> result<package> {
    auto text = read_file(path);
    if (!text)
      return error{"PackageUrl '" + url + "': cannot read the package file " + path};
    auto p = parse_package_document(*text);
    if (!p)
      return error{"PackageUrl '" + url + "': " + p.err().message};
    return p;
  };
  if (url.rfind("file://", 0) == 0)
    return from_file(url.substr(7));
  if (url[0] == '/' || url.rfind("./", 0) == 0 || url.rfind("../", 0) == 0)
    return from_file(url);
  std::string name = url;
  auto scheme = url.find("://");
  if (scheme != std::string::npos) {
    auto rest = url.substr(scheme + 3);
    auto cut = rest.find_first_of("?#");
    if (cut != std::string::npos)
      rest = rest.substr(0, cut);
    while (!rest.empty() && rest.back() == '/')
      rest.pop_back();
    auto slash = rest.rfind('/');
    name = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
    for (auto ext : {".cspkg", ".json"})
      if (ends_with(name, ext)) {
        name.resize(name.size() - std::string(ext).size());
        break;
      }
  }
  if (auto p = catalog.find(name))
    return *p;
  return error{"PackageUrl '" + url + "': no package '" + name
               + "' (create it with fabricctl package create NAME --csdef FILE --image IMAGE)"};
}

} // namespace fabric::sm_server
