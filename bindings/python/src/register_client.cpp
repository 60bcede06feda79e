// pychat._core.Client: chat::client with its own I/O thread. Calls that wait
// (connect, receive, close) release the GIL.
#include <chat/client.hpp>

#include "common.hpp"

#include <chrono>
#include <vector>

namespace pychat {
namespace {

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

std::unique_ptr<chat::client> make_client(std::string url, std::string user,
                                          std::string token, bool protobuf,
                                          double connect_timeout,
                                          bool auto_ack) {
  chat::client_options o;
  o.url = std::move(url);
  o.user = std::move(user);
  o.token = std::move(token);
  o.format = protobuf ? chat::wire_format::protobuf : chat::wire_format::json;
  o.connect_timeout = to_ms(connect_timeout);
  o.auto_ack = auto_ack;
  return std::make_unique<chat::client>(std::move(o));
}

}  // namespace

void register_client(py::module_& m) {
  py::class_<chat::client>(m, "Client")
      .def(py::init(&make_client), py::arg("url"), py::arg("user"),
           py::arg("token"), py::arg("protobuf"), py::arg("connect_timeout"),
           py::arg("auto_ack"))
      // Returns "" or the error, plus how the server closed (HTTP status on
      // a refused WebSocket upgrade).
      .def("connect",
           [](chat::client& c) {
             std::error_code ec;
             chat::close_info info;
             {
               py::gil_scoped_release nogil;
               ec = c.connect();
               info = c.closed_by();
             }
             return py::make_tuple(ec ? ec.message() : std::string(), info.code,
                                   text(info.reason));
           })
      .def_property_readonly("connection_id", &chat::client::connection_id)
      .def_property_readonly("user", &chat::client::user)
      .def("send",
           [](chat::client& c, const std::string& to, const py::object& body,
              const std::string& id, bool to_connection) {
             chat::v1::ClientFrame f;
             *f.mutable_send() = make_send(to, body, id, to_connection);
             c.send(f);  // only queues the write on the I/O thread
           })
      .def("ack", &chat::client::ack, py::arg("message_id"),
           py::arg("cumulative") = false)
      .def("read", &chat::client::read, py::arg("message_id"))
      .def("ping",
           [](chat::client& c, const std::string& id) {
             chat::v1::ClientFrame f;
             f.mutable_ping()->set_id(id);
             c.send(f);
           })
      .def("receive",
           [](chat::client& c, double timeout) -> py::object {
             std::optional<chat::v1::ServerFrame> f;
             {
               py::gil_scoped_release nogil;
               f = c.receive(to_ms(timeout));
             }
             if (!f) return py::none();
             return frame_to_dict(*f);
           })
      // Everything already queued (up to `max`) in one call, so a busy
      // reader takes the GIL once per batch instead of once per frame.
      .def("receive_many",
           [](chat::client& c, double timeout, std::size_t max) {
             std::vector<chat::v1::ServerFrame> frames;
             {
               py::gil_scoped_release nogil;
               auto f = c.receive(to_ms(timeout));
               while (f) {
                 frames.push_back(std::move(*f));
                 if (frames.size() >= max || c.pending() == 0) break;
                 f = c.receive(std::chrono::milliseconds(0));
               }
             }
             py::list out;
             for (const auto& f : frames) out.append(frame_to_dict(f));
             return out;
           })
      .def_property_readonly("pending", &chat::client::pending)
      .def_property_readonly("closed", &chat::client::closed)
      .def("closed_by",
           [](const chat::client& c) {
             const auto info = c.closed_by();
             return py::make_tuple(info.code, text(info.reason));
           })
      .def("close", &chat::client::close,
           py::call_guard<py::gil_scoped_release>());
}

}  // namespace pychat
