// What the register_*() files share: frames to Python dicts, Python bodies
// to sends, and Python callables that are safe to hold from C++ threads.
#pragma once

#include <chat/v1/chat.pb.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <string_view>

namespace pychat {

namespace py = pybind11;

/// A str from UTF-8 bytes, with invalid sequences replaced. Needs the GIL.
py::str text(std::string_view s);

/// A routed message as a dict (the "message" frame). Needs the GIL.
py::dict message_to_dict(const chat::v1::Message& m);

/// A server frame as a dict: {"type": "message", ...fields}. Needs the GIL.
py::dict frame_to_dict(const chat::v1::ServerFrame& f);

/// A send of `body` (str: text, bytes: data) to a user, or to a connection
/// id when `to_connection` is true. Needs the GIL.
chat::v1::Send make_send(const std::string& to, const py::handle& body,
                         const std::string& id, bool to_connection);

/// A Python callable that C++ threads may copy and drop without the GIL:
/// the last owner takes the GIL to release the Python object.
class callable {
 public:
  explicit callable(py::object fn);
  /// Calls with the GIL held by the caller.
  py::object operator()(const py::handle& arg) const;

 private:
  struct holder;
  std::shared_ptr<holder> fn_;
};

/// Logs a hook's exception (with its traceback) to logging.getLogger("pychat").
/// Needs the GIL; never throws.
void log_hook_error(std::string_view hook, py::error_already_set& e);
void log_hook_error(std::string_view hook, const std::exception& e);
void log_hook_error(std::string_view hook, const py::object& detail);

}  // namespace pychat
