// chatd's --auth: the authenticate hook the settings ask for.
#pragma once

#include "settings.hpp"

#include <string>

namespace chatd {

/// With --auth jwt, reads the key files and installs the JWT hook in
/// o.cfg.hooks (and lets ws clients send the token in the first frame).
/// False with `error` on an unreadable file, a bad key, or jwt_* settings
/// without --auth jwt.
bool install_auth(options& o, std::string& error);

}  // namespace chatd
