# homeboy_add_storage_plugin(<target> SOURCES <src>... [OUTPUT_DIRECTORY <dir>])
#
# Builds a homeboy storage plugin the way the host expects it: a MODULE library
# (lib<target>.so) that exports exactly one symbol, the entry point, linked against the
# header-only plugin API. Hidden visibility hides the plugin's own functions; a linker
# version script also hides what the C++ runtime instantiates in the plugin (weak
# template symbols that would otherwise be exported and could bind to another plugin's).
function(homeboy_add_storage_plugin target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE homeboy::plugin_api)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # Resolve every symbol at link time: a missing one fails the build, not the load.
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
    set(map ${CMAKE_CURRENT_BINARY_DIR}/homeboy_storage_plugin.map)
    if(NOT EXISTS ${map})
      file(WRITE ${map} "{\n  global: homeboy_storage_plugin_entry;\n  local: *;\n};\n")
    endif()
    target_link_options(${target} PRIVATE "LINKER:--version-script=${map}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${map})
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
endfunction()
