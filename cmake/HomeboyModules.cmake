# homeboy_stage_module(<id> SOURCE_DIR <dir> FILES <file>... [DESTINATION <folder>])
#
# Copies a module's files into the build tree's share/homeboy/<folder>/<id> (kept in step at
# build time) and installs them into the install tree's, so homeboy finds them from a build
# and from an install by the same rule (<exe>/../share/homeboy/...). <folder> is `modules`
# (the search path: the default provider), `available-modules` (shipped, installed by
# `homeboy module install <id>`) or a folder of `kit` (the authoring kit, laid out as the source
# tree: kit/plugins/example-c, kit/plugin-api/rust, ...); `modules` by default.
function(homeboy_stage_module id)
  cmake_parse_arguments(ARG "" "SOURCE_DIR;DESTINATION" "FILES" ${ARGN})
  if(NOT ARG_DESTINATION)
    set(ARG_DESTINATION modules)
  endif()
  set(staged_dir ${PROJECT_BINARY_DIR}/${CMAKE_INSTALL_DATADIR}/homeboy/${ARG_DESTINATION}/${id})
  set(outputs)
  foreach(file IN LISTS ARG_FILES)
    get_filename_component(subdir ${file} DIRECTORY)
    add_custom_command(
      OUTPUT ${staged_dir}/${file}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${staged_dir}/${subdir}
      COMMAND ${CMAKE_COMMAND} -E copy_if_different ${ARG_SOURCE_DIR}/${file} ${staged_dir}/${file}
      DEPENDS ${ARG_SOURCE_DIR}/${file}
      COMMENT "Staging ${ARG_DESTINATION}/${id}/${file}"
      VERBATIM)
    list(APPEND outputs ${staged_dir}/${file})
    install(FILES ${ARG_SOURCE_DIR}/${file}
            DESTINATION ${CMAKE_INSTALL_DATADIR}/homeboy/${ARG_DESTINATION}/${id}/${subdir}
            PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endforeach()
  add_custom_target(homeboy_module_${id} ALL DEPENDS ${outputs})
endfunction()
