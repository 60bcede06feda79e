// chat/static_files.hpp: a table of files that the WebSocket port serves over
// plain HTTP, such as a web client. The server serves what it is given and
// knows nothing about where the files came from (chatd embeds its web client
// at build time).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace chat {

/// The Content-Type for a file name, by its extension (html, css, js, mjs,
/// json, svg, png, ico, txt, webmanifest); "application/octet-stream" for
/// any other.
std::string_view mime_type(std::string_view path);

/// A read-only set of files, by URL path.
///
/// Thread safety: fill it on one thread before handing it to a server
/// (`config::files`); after that the server only calls const members, from
/// any I/O thread at once.
class static_files {
 public:
  struct file {
    std::string content_type;
    std::string body;
    std::string etag;  ///< A strong validator, quoted: "\"5f2c…\"".
  };

  /// Adds, or replaces, the file at `path`, which starts with '/' ("/app.js").
  /// `content_type` defaults to `mime_type(path)`.
  void add(std::string path, std::string body, std::string content_type = {});

  /// The file at `path`, or null. A path ending in '/' names the
  /// "index.html" in it, so "/" serves "/index.html".
  const file* find(std::string_view path) const;

  std::size_t size() const noexcept { return files_.size(); }

  /// Sent as Content-Security-Policy with every file. The default allows
  /// scripts, styles and images from this origin only, nothing inline, and
  /// WebSocket connections to any host (a client may be pointed at another
  /// server).
  std::string content_security_policy =
      "default-src 'none'; script-src 'self'; style-src 'self'; "
      "img-src 'self' data:; connect-src 'self' ws: wss:; "
      "manifest-src 'self'; base-uri 'none'; form-action 'none'; "
      "frame-ancestors 'none'";

 private:
  std::map<std::string, file, std::less<>> files_;
};

}  // namespace chat
