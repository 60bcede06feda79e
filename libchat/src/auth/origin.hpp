// detail::origin_allowed: the Origin allow-list of the WebSocket upgrade
// (cross-site WebSocket hijacking). Browsers always send Origin, serialized
// as lowercase scheme://host[:port]; other clients usually send none.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace chat::detail {

/// True when the list is empty, the request has no Origin header, or the
/// header equals one entry exactly (no prefix, suffix or case folding: a
/// look-alike host is a different origin).
inline bool origin_allowed(const std::vector<std::string>& allowed,
                           std::string_view origin, bool has_origin) {
  if (allowed.empty() || !has_origin) return true;
  return std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
}

}  // namespace chat::detail
