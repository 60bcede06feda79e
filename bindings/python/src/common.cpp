// Frame conversion and the GIL-safe callable holder.
#include "common.hpp"

namespace pychat {

namespace {

double seconds(const google::protobuf::Timestamp& ts) {
  return static_cast<double>(ts.seconds()) + ts.nanos() / 1e9;
}

}  // namespace

py::str text(std::string_view s) {
  // Peers send arbitrary bytes in headers; never fail a hook over them.
  return py::reinterpret_steal<py::str>(PyUnicode_DecodeUTF8(
      s.data(), static_cast<Py_ssize_t>(s.size()), "replace"));
}

py::dict message_to_dict(const chat::v1::Message& m) {
  py::dict d;
  d["type"] = "message";
  d["message_id"] = m.message_id();
  d["from"] = m.from();
  d["to"] = m.to();
  if (m.body_case() == chat::v1::Message::kData) {
    d["data"] = py::bytes(m.data());
  } else {
    d["text"] = text(m.text());
  }
  d["sent_at"] = seconds(m.sent_at());
  d["from_connection"] = m.from_connection();
  d["copy"] = m.copy();
  d["id"] = m.id();
  return d;
}

py::dict frame_to_dict(const chat::v1::ServerFrame& f) {
  using sf = chat::v1::ServerFrame;
  py::dict d;
  switch (f.frame_case()) {
    case sf::kMessage:
      return message_to_dict(f.message());
    case sf::kSent:
      d["type"] = "sent";
      d["id"] = f.sent().id();
      d["message_id"] = f.sent().message_id();
      d["status"] = chat::v1::Sent::Status_Name(f.sent().status());
      break;
    case sf::kError:
      d["type"] = "error";
      d["id"] = f.error().id();
      d["code"] = static_cast<int>(f.error().code());
      d["name"] = chat::v1::Error::Code_Name(f.error().code());
      d["message"] = f.error().message();
      break;
    case sf::kWelcome:
      d["type"] = "welcome";
      d["connection_id"] = f.welcome().connection_id();
      d["user"] = f.welcome().user();
      break;
    case sf::kPong:
    case sf::kPing:
      d["type"] = f.has_pong() ? "pong" : "ping";
      d["id"] = f.has_pong() ? f.pong().id() : f.ping().id();
      break;
    case sf::kReceipt:
      d["type"] = "receipt";
      d["message_id"] = f.receipt().message_id();
      d["id"] = f.receipt().id();
      d["status"] = chat::v1::Receipt::Status_Name(f.receipt().status());
      d["by"] = f.receipt().by();
      d["at"] = seconds(f.receipt().at());
      break;
    case sf::kClose:
      d["type"] = "close";
      d["code"] = f.close().code();
      d["reason"] = f.close().reason();
      break;
    default:
      d["type"] = "unknown";
  }
  return d;
}

chat::v1::Send make_send(const std::string& to, const py::handle& body,
                         const std::string& id, bool to_connection) {
  chat::v1::Send s;
  s.set_id(id);
  if (to_connection) {
    s.set_to_connection(to);
  } else {
    s.set_to(to);
  }
  if (py::isinstance<py::bytes>(body)) {
    s.set_data(body.cast<std::string>());
  } else if (py::isinstance<py::str>(body)) {
    s.set_text(body.cast<std::string>());
  } else {
    throw py::type_error("the body must be str (text) or bytes (data)");
  }
  return s;
}

struct callable::holder {
  py::object fn;
  ~holder() {
    // Hooks are dropped by the server's last owner, which may be a C++
    // thread: take the GIL to release the Python reference.
    py::gil_scoped_acquire gil;
    fn = py::object();
  }
};

callable::callable(py::object fn) : fn_(std::make_shared<holder>()) {
  fn_->fn = std::move(fn);
}

py::object callable::operator()(const py::handle& arg) const {
  return fn_->fn(arg);
}

void log_hook_error(std::string_view hook, const py::object& detail) {
  try {
    py::module_::import("logging").attr("getLogger")("pychat").attr("error")(
        "%s hook raised; treated as a refusal\n%s", std::string(hook), detail);
  } catch (...) {
    // Logging itself failed (interpreter shutting down); nothing to tell.
  }
}

void log_hook_error(std::string_view hook, py::error_already_set& e) {
  py::object detail = py::str(e.what());
  try {
    detail = py::str("").attr("join")(
        py::module_::import("traceback")
            .attr("format_exception")(e.type(), e.value(), e.trace()));
  } catch (...) {
    // Keep the one-line summary.
  }
  log_hook_error(hook, detail);
}

void log_hook_error(std::string_view hook, const std::exception& e) {
  log_hook_error(hook, py::str(e.what()));
}

}  // namespace pychat
