// pychat._core.Server: chat::server with Python hooks.
//
// A hook is wrapped into chat::hooks only when a callable is given, so a
// server without hooks never takes the GIL. Every blocking call releases the
// GIL, because the I/O threads may need it to run a hook.
#include <chat/connection.hpp>
#include <chat/server.hpp>

#include "common.hpp"

#include <pybind11/stl.h>

#include <chrono>
#include <optional>

namespace pychat {
namespace {

using std::chrono::milliseconds;

milliseconds to_ms(double seconds) {
  return milliseconds(static_cast<long long>(seconds * 1000.0));
}

// The server's destructor joins the I/O threads, which may wait for the GIL
// to run a hook: stop with the GIL released before anything is destroyed.
struct py_server {
  explicit py_server(chat::config cfg) : server(std::move(cfg)) {}
  ~py_server() {
    py::gil_scoped_release nogil;
    server.stop();
  }
  chat::server server;
};

void set_authenticate(chat::hooks& h, py::object fn) {
  h.authenticate = [fn = callable(std::move(fn))](const chat::handshake& hs) {
    py::gil_scoped_acquire gil;
    try {
      py::list headers;
      for (const auto& [name, value] : hs.headers)
        headers.append(py::make_tuple(text(name), text(value)));
      py::dict d;
      d["transport"] = text(hs.transport);
      d["remote_address"] = text(hs.remote_address);
      d["target"] = text(hs.target);
      d["user"] = text(hs.user);
      d["token"] = text(hs.token);
      d["headers"] = headers;
      const py::object r = fn(d);
      if (r.is_none()) return chat::auth_result::refuse(403, "refused");
      if (py::isinstance<py::str>(r))
        return chat::auth_result::accept(r.cast<std::string>());
      const auto t = r.cast<py::tuple>();
      if (t.size() == 2 && py::isinstance<py::str>(t[0])) {
        // (user, expires_at): seconds since the epoch, like time.time().
        return chat::auth_result::accept(
            t[0].cast<std::string>(),
            chat::auth_result::at_epoch_seconds(t[1].cast<double>()));
      }
      const auto [status, reason] = r.cast<std::pair<unsigned, std::string>>();
      return chat::auth_result::refuse(status, reason);
    } catch (py::error_already_set& e) {
      log_hook_error("on_connect", e);
    } catch (const std::exception& e) {
      log_hook_error("on_connect", e);
    }
    return chat::auth_result::refuse(403, "authentication failed");
  };
}

void set_on_message(chat::hooks& h, py::object fn) {
  h.on_message = [fn = callable(std::move(fn))](const chat::v1::Message& m) {
    py::gil_scoped_acquire gil;
    try {
      return py::bool_(fn(message_to_dict(m))).cast<bool>();
    } catch (py::error_already_set& e) {
      log_hook_error("on_message", e);
    } catch (const std::exception& e) {
      log_hook_error("on_message", e);
    }
    return false;
  };
}

void set_on_disconnect(chat::hooks& h, py::object fn) {
  h.on_disconnect = [fn = callable(std::move(fn))](const chat::connection& c) {
    py::gil_scoped_acquire gil;
    try {
      py::dict d;
      d["connection_id"] = c.id();
      d["user"] = c.user();
      fn(d);
    } catch (py::error_already_set& e) {
      log_hook_error("on_disconnect", e);
    } catch (const std::exception& e) {
      log_hook_error("on_disconnect", e);
    }
  };
}

// Library logs go to logging.getLogger("pychat"); only levels at or above
// `min_level` are formatted, so the default (info) costs nothing per message.
void set_log(chat::hooks& h, const std::string& min_level) {
  static const std::pair<const char*, chat::log_level> levels[] = {
      {"trace", chat::log_level::trace}, {"debug", chat::log_level::debug},
      {"info", chat::log_level::info},   {"warn", chat::log_level::warn},
      {"error", chat::log_level::error}, {"off", chat::log_level::off}};
  bool known = false;
  for (const auto& [name, level] : levels) {
    if (min_level == name) {
      h.min_level = level;
      known = true;
    }
  }
  if (!known)
    throw py::value_error("log_level: trace, debug, info, warn, error or off");
  if (h.min_level == chat::log_level::off) return;
  h.log = [](chat::log_level l, std::string_view msg) {
    static constexpr int py_levels[] = {5, 10, 20, 30, 40, 50};
    py::gil_scoped_acquire gil;
    try {
      py::module_::import("logging").attr("getLogger")("pychat").attr("log")(
          py_levels[static_cast<int>(l)], text(msg));
    } catch (py::error_already_set&) {
      // The interpreter is going away; there is nowhere left to log to.
    }
  };
}

std::unique_ptr<py_server> make_server(
    std::string listen, std::string tcp_listen, unsigned threads,
    std::size_t max_message_bytes, double handshake_timeout,
    double idle_timeout, double drain_timeout, std::string node_id,
    std::string store, py::object on_connect, py::object on_message,
    py::object on_disconnect, const std::string& log_level) {
  chat::config cfg;
  cfg.listen = std::move(listen);
  cfg.tcp_listen = std::move(tcp_listen);
  cfg.threads = threads;
  cfg.max_message_bytes = max_message_bytes;
  cfg.handshake_timeout = to_ms(handshake_timeout);
  cfg.idle_timeout = to_ms(idle_timeout);
  cfg.drain_timeout = to_ms(drain_timeout);
  cfg.node_id = std::move(node_id);
  cfg.store = std::move(store);
  if (!on_connect.is_none()) set_authenticate(cfg.hooks, std::move(on_connect));
  if (!on_message.is_none()) set_on_message(cfg.hooks, std::move(on_message));
  if (!on_disconnect.is_none())
    set_on_disconnect(cfg.hooks, std::move(on_disconnect));
  set_log(cfg.hooks, log_level);
  return std::make_unique<py_server>(std::move(cfg));
}

}  // namespace

void register_server(py::module_& m) {
  py::class_<py_server>(m, "Server")
      .def(py::init(&make_server), py::arg("listen"), py::arg("tcp_listen"),
           py::arg("threads"), py::arg("max_message_bytes"),
           py::arg("handshake_timeout"), py::arg("idle_timeout"),
           py::arg("drain_timeout"), py::arg("node_id"), py::arg("store"),
           py::arg("on_connect"), py::arg("on_message"),
           py::arg("on_disconnect"), py::arg("log_level"))
      .def("start",
           [](py_server& s) {
             std::error_code ec;
             {
               py::gil_scoped_release nogil;
               ec = s.server.start();
             }
             if (ec) {
               PyErr_SetString(PyExc_OSError, ec.message().c_str());
               throw py::error_already_set();
             }
           })
      .def(
          "stop", [](py_server& s) { s.server.stop(); },
          py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("port",
                             [](const py_server& s) { return s.server.port(); })
      .def_property_readonly(
          "tcp_port", [](const py_server& s) { return s.server.tcp_port(); })
      .def("send",
           [](py_server& s, const std::string& from, const std::string& to,
              const py::object& body, const std::string& id,
              bool to_connection) {
             auto send = make_send(to, body, id, to_connection);
             chat::v1::ServerFrame answer;
             {
               py::gil_scoped_release nogil;
               answer = s.server.send(from, std::move(send));
             }
             return frame_to_dict(answer);
           })
      .def(
          "disconnect",
          [](py_server& s, const std::string& who) {
            return s.server.disconnect(who);
          },
          py::call_guard<py::gil_scoped_release>())
      .def("connections",
           [](const py_server& s, const std::string& user) {
             return s.server.connections(user);
           })
      .def("stats",
           [](const py_server& s) {
             const auto st = s.server.stats();
             py::dict d;
             d["connections"] = st.connections;
             d["messages_routed"] = st.messages_routed;
             d["threads"] = st.threads;
             return d;
           })
      .def(
          "attach",
          [](py_server& s, std::string user) {
            py::gil_scoped_release nogil;
            return s.server.attach(std::move(user));
          },
          py::keep_alive<0, 1>());  // an endpoint refers into its server
}

}  // namespace pychat
