// chat::static_files: the table of files the WebSocket port serves.
#include <chat/static_files.hpp>

#include <array>
#include <cstdint>
#include <utility>

namespace chat {
namespace {

// FNV-1a: a validator only has to change when the bytes do; nothing here
// needs a cryptographic hash.
std::string etag_of(std::string_view body) {
  std::uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string tag(18, '"');
  for (int i = 16; i >= 1; --i, h >>= 4) tag[i] = digits[h & 0xf];
  return tag;
}

}  // namespace

std::string_view mime_type(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10>
      types{{{".html", "text/html; charset=utf-8"},
             {".css", "text/css; charset=utf-8"},
             {".js", "text/javascript; charset=utf-8"},
             {".mjs", "text/javascript; charset=utf-8"},
             {".json", "application/json"},
             {".webmanifest", "application/manifest+json"},
             {".svg", "image/svg+xml"},
             {".png", "image/png"},
             {".ico", "image/vnd.microsoft.icon"},
             {".txt", "text/plain; charset=utf-8"}}};
  const auto dot = path.rfind('.');
  if (dot != std::string_view::npos && path.find('/', dot) == path.npos) {
    const std::string_view ext = path.substr(dot);
    for (const auto& [e, type] : types)
      if (e == ext) return type;
  }
  return "application/octet-stream";
}

void static_files::add(std::string path, std::string body,
                       std::string content_type) {
  if (content_type.empty()) content_type = mime_type(path);
  std::string etag = etag_of(body);
  files_.insert_or_assign(
      std::move(path),
      file{std::move(content_type), std::move(body), std::move(etag)});
}

const static_files::file* static_files::find(std::string_view path) const {
  const auto it = path.ends_with('/')
                      ? files_.find(std::string(path) + "index.html")
                      : files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace chat
