# homeboy_stage_module(<id> SOURCE_DIR <dir> FILES <file>...)
#
# Copies a module's files into the build tree's module folder (kept in step at build
# time) and installs them into the install tree's module folder, so the default
# provider is found from a build and from an install without any set-up.
function(homeboy_stage_module id)
  cmake_parse_arguments(ARG "" "SOURCE_DIR" "FILES" ${ARGN})
  set(staged_dir ${HOMEBOY_STAGED_MODULES_DIR}/${id})
  set(outputs)
  foreach(file IN LISTS ARG_FILES)
    add_custom_command(
      OUTPUT ${staged_dir}/${file}
      COMMAND ${CMAKE_COMMAND} -E copy_if_different ${ARG_SOURCE_DIR}/${file} ${staged_dir}/${file}
      DEPENDS ${ARG_SOURCE_DIR}/${file}
      COMMENT "Staging module ${id}/${file}"
      VERBATIM)
    list(APPEND outputs ${staged_dir}/${file})
    install(FILES ${ARG_SOURCE_DIR}/${file}
            DESTINATION ${HOMEBOY_INSTALL_MODULES_DIR}/${id}
            PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endforeach()
  add_custom_target(homeboy_module_${id} ALL DEPENDS ${outputs})
endfunction()
