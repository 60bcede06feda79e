// The listeners' TLS context: TLS 1.2+ with the forward-secret AEAD suites
// of Mozilla's "intermediate" profile (TLS 1.3's own suites are all good).
#include "transport/transport.hpp"

#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>

namespace chat::detail {

std::shared_ptr<boost::asio::ssl::context> make_tls_context(
    const config& cfg, std::string& error) {
  namespace ssl = boost::asio::ssl;
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                   ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX* native = tls->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(native,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:"
                          "ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:"
                          "ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:"
                          "ECDHE-RSA-CHACHA20-POLY1305");
  boost::system::error_code ec;
  tls->use_certificate_chain_file(cfg.tls_cert, ec);
  if (ec) {
    error = "cannot use tls_cert " + cfg.tls_cert + ": " + ec.message();
    return nullptr;
  }
  tls->use_private_key_file(cfg.tls_key, ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(native) != 1) {
    error = "cannot use tls_key " + cfg.tls_key + ": " +
            (ec ? ec.message() : "it does not match the certificate");
    return nullptr;
  }
  return tls;
}

}  // namespace chat::detail
