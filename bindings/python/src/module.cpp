// pychat._core: the compiled half of pychat. Each area registers itself.
#include "common.hpp"

namespace pychat {
void register_server(py::module_& m);
void register_endpoint(py::module_& m);
void register_client(py::module_& m);
}  // namespace pychat

PYBIND11_MODULE(_core, m) {
  m.doc() = "Private compiled core of pychat; use the pychat package.";
  pychat::register_endpoint(m);
  pychat::register_server(m);
  pychat::register_client(m);
}
