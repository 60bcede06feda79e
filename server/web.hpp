// The web chat client (server/web) that chatd serves at /: built into the
// binary, or read from a directory for development.
#pragma once

#include <chat/static_files.hpp>

#include "settings.hpp"

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace chatd {

/// One file of server/web, as cmake/embed_files.cmake built it in.
struct embedded_file {
  std::string_view path;  ///< "/index.html"
  std::string_view body;
};

/// server/web as it was when chatd was built (web_files.cpp, generated).
std::span<const embedded_file> embedded_web_client();

/// The files to serve: null when `o.web` is off; else the files of
/// `o.web_root` when set, or the built-in ones. Null with `error` set when
/// the directory cannot be read or has no index.html.
std::shared_ptr<const chat::static_files> load_web_client(const options& o,
                                                          std::string& error);

}  // namespace chatd
