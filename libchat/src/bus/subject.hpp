// NATS subject tokens for user names and node ids, and the subjects the
// cluster uses (docs/cluster.md).
//
// A token may not hold '.', '*', '>' or white space; user names may hold
// '.'. escape_token() percent-encodes those bytes (and '%' itself), so every
// name maps to one token and back.
#pragma once

#include <string>
#include <string_view>

namespace chat::detail::bus {

/// `name` as one subject token: '%', '.', '*', '>', and bytes outside
/// '!'..'~' become %XX (upper-case hex).
std::string escape_token(std::string_view name);
/// The inverse of escape_token(); empty for a malformed token.
std::string unescape_token(std::string_view token);

/// The JetStream stream that is every user's shared inbox.
inline constexpr std::string_view stream_name = "CHAT";
inline constexpr std::string_view inbox_prefix = "chat.inbox.";
inline constexpr std::string_view live_prefix = "chat.live.";
inline constexpr std::string_view node_prefix = "chat.node.";

/// chat.inbox.<user>: the user's messages and receipts (JetStream).
std::string inbox_subject(std::string_view user);
/// chat.live.<user>: presence probes and sender copies, to the nodes where
/// the user is connected.
std::string live_subject(std::string_view user);
/// chat.node.<node>: toConnection messages for connections of that node.
std::string node_subject(std::string_view node);

/// The user a chat.inbox.* or chat.live.* subject names; empty if none.
std::string user_of(std::string_view subject);

}  // namespace chat::detail::bus
