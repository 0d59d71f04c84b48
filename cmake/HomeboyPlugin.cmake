# homeboy_add_storage_plugin(<target> SOURCES <src>... [OUTPUT_DIRECTORY <dir>])
#
# Builds a homeboy storage plugin the way the host expects it: a MODULE library
# (lib<target>.so) with hidden visibility, so only the entry symbol marked
# HOMEBOY_PLUGIN_EXPORT is exported, linked against the header-only plugin API.
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
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
endfunction()
