// pychat._core.Endpoint: an in-process connection (server.attach), for bots.
#include <chat/endpoint.hpp>

#include "common.hpp"

#include <chrono>

namespace pychat {

void register_endpoint(py::module_& m) {
  py::class_<chat::endpoint, std::shared_ptr<chat::endpoint>>(m, "Endpoint")
      .def_property_readonly("id", &chat::endpoint::id)
      .def_property_readonly("user", &chat::endpoint::user)
      .def("send",
           [](chat::endpoint& e, const std::string& to, const py::object& body,
              const std::string& id, bool to_connection) {
             auto send = make_send(to, body, id, to_connection);
             chat::v1::ServerFrame answer;
             {
               // Routing may run the on_message hook, which takes the GIL.
               py::gil_scoped_release nogil;
               answer = e.send(std::move(send));
             }
             return frame_to_dict(answer);
           })
      .def("receive",
           [](chat::endpoint& e, double timeout) -> py::object {
             std::optional<chat::v1::ServerFrame> f;
             {
               py::gil_scoped_release nogil;
               f = e.receive(std::chrono::milliseconds(
                   static_cast<long long>(timeout * 1000.0)));
             }
             if (!f) return py::none();
             return frame_to_dict(*f);
           })
      .def_property_readonly("closed", &chat::endpoint::closed)
      // Unregistering runs the on_disconnect hook on this thread.
      .def(
          "close", [](chat::endpoint& e) { e.close(); },
          py::call_guard<py::gil_scoped_release>());
}

}  // namespace pychat
