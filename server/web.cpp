#include "web.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace chatd {
namespace {

namespace fs = std::filesystem;

// Every regular file under `root` by its URL path, skipping dot files (an
// editor's swap files, .git). Read once at start: chatd's I/O threads never
// touch the disk.
bool read_tree(const fs::path& root, chat::static_files& out,
               std::string& error) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec), end;
  if (ec) {
    error = "web_root " + root.string() + ": " + ec.message();
    return false;
  }
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const fs::path rel = it->path().lexically_relative(root);
    if (rel.filename().string().starts_with('.')) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) {
      error = "web_root: cannot read " + it->path().string();
      return false;
    }
    std::ostringstream body;
    body << in.rdbuf();
    // Not "/" + ...: GCC 12 warns of a false overlap there (-Wrestrict,
    // GCC bug 105651) at -O3.
    std::string path(1, '/');
    path += rel.generic_string();
    out.add(std::move(path), std::move(body).str());
  }
  if (ec) {
    error = "web_root " + root.string() + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<const chat::static_files> load_web_client(const options& o,
                                                          std::string& error) {
  if (!o.web) return nullptr;
  auto files = std::make_shared<chat::static_files>();
  if (o.web_root.empty()) {
    for (const auto& f : embedded_web_client())
      files->add(std::string(f.path), std::string(f.body));
  } else if (!read_tree(o.web_root, *files, error)) {
    return nullptr;
  }
  if (!files->find("/")) {
    error = "web_root " + o.web_root + " has no index.html";
    return nullptr;
  }
  return files;
}

}  // namespace chatd
