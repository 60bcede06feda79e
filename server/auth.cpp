#include "auth.hpp"

#include <fstream>
#include <iterator>

namespace chatd {
namespace {

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

}  // namespace

bool install_auth(options& o, std::string& error) {
  if (o.auth != "jwt") {
    if (!o.jwt_hs256_secret_file.empty() || !o.jwt_public_key_file.empty()) {
      error = "jwt_hs256_secret_file and jwt_public_key need --auth jwt";
      return false;
    }
    return true;
  }
  if (!o.jwt_hs256_secret_file.empty()) {
    std::string& secret = o.jwt.hs256_secret;
    if (!read_file(o.jwt_hs256_secret_file, secret, error)) return false;
    // Files written by `echo` end in a newline that is not part of the key.
    if (secret.ends_with('\n')) secret.pop_back();
    if (secret.ends_with('\r')) secret.pop_back();
  }
  if (!o.jwt_public_key_file.empty() &&
      !read_file(o.jwt_public_key_file, o.jwt.public_key_pem, error)) {
    return false;
  }
  o.cfg.hooks.authenticate = chat::make_jwt_authenticator(o.jwt, error);
  if (!o.cfg.hooks.authenticate) return false;
  o.cfg.auth_in_first_frame = true;
  return true;
}

}  // namespace chatd
