// chat/chat.hpp: the whole public API of libchat.
#pragma once

#include <chat/client.hpp>
#include <chat/codec.hpp>
#include <chat/config.hpp>
#include <chat/connection.hpp>
#include <chat/endpoint.hpp>
#include <chat/envelope.hpp>
#include <chat/error.hpp>
#include <chat/framing.hpp>
#include <chat/hooks.hpp>
#include <chat/jwt.hpp>
#include <chat/registry.hpp>
#include <chat/router.hpp>
#include <chat/server.hpp>
#include <chat/static_files.hpp>
