# FindNATS: the NATS C client (Debian's libnats-dev), as NATS::nats.
#
# Debian 12's own cnats-config.cmake names a static library the package does
# not ship, so find_package(cnats) fails there; this finds libnats.so and
# nats/nats.h directly (pkg-config first, for its hints).
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_NATS QUIET libnats)
endif()
find_path(NATS_INCLUDE_DIR nats/nats.h HINTS ${PC_NATS_INCLUDE_DIRS})
find_library(NATS_LIBRARY NAMES nats HINTS ${PC_NATS_LIBRARY_DIRS})
set(NATS_VERSION ${PC_NATS_VERSION})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(NATS
  REQUIRED_VARS NATS_LIBRARY NATS_INCLUDE_DIR
  VERSION_VAR NATS_VERSION)

if(NATS_FOUND AND NOT TARGET NATS::nats)
  add_library(NATS::nats SHARED IMPORTED)
  set_target_properties(NATS::nats PROPERTIES
    IMPORTED_LOCATION ${NATS_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${NATS_INCLUDE_DIR})
endif()
mark_as_advanced(NATS_INCLUDE_DIR NATS_LIBRARY)
