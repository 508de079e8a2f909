# Installing and packaging: `cmake --install` into a DESTDIR run with the source
# and build trees hidden, help/man/completion agreement, the .deb (fields, files, dpkg -i
# and removal), and the command-line conventions every command shares.
set(TS_INSTALL_DIR ${CMAKE_CURRENT_LIST_DIR})
add_test(NAME install.destdir
         COMMAND ${TS_INSTALL_DIR}/check_install.sh ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/install-destdir)
# host: root for the mount namespace that hides the trees; guest: `kernels boot 6.12`
set_tests_properties(install.destdir PROPERTIES LABELS "install;host;guest" FIXTURES_REQUIRED lab_kernels
                     TIMEOUT 600 RESOURCE_LOCK install_tree)
add_test(NAME install.deb
         COMMAND ${TS_INSTALL_DIR}/check_deb.sh ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR}/install-deb)
set_tests_properties(install.deb PROPERTIES LABELS "install;host" TIMEOUT 600 RESOURCE_LOCK install_tree)
add_test(NAME install.cli_conventions
         COMMAND ${TS_INSTALL_DIR}/check_cli.sh $<TARGET_FILE:tristate>)
set_tests_properties(install.cli_conventions PROPERTIES LABELS "install;host" TIMEOUT 120)
add_test(NAME install.flag_vocabulary
         COMMAND ${TS_INSTALL_DIR}/check_flag_vocabulary.py $<TARGET_FILE:tristate>)
set_tests_properties(install.flag_vocabulary PROPERTIES LABELS "install;unit" TIMEOUT 60)
# The completions on their own (rootless, no guest): installed to a DESTDIR, then bash's
# function and zsh's completion system (an interactive zsh on a pseudo-terminal) asked for
# commands, options and option values.
add_test(NAME install.completion
         COMMAND sh -c "rm -rf \"$2\" && DESTDIR=\"$2\" \"$1\" --install \"$3\" --prefix /usr >/dev/null && bash \"$4\" \"$2\""
                 sh ${CMAKE_COMMAND} ${CMAKE_CURRENT_BINARY_DIR}/install-completion ${CMAKE_BINARY_DIR}
                 ${TS_INSTALL_DIR}/check_completion.sh)
set_tests_properties(install.completion PROPERTIES LABELS "install" TIMEOUT 120 RESOURCE_LOCK install_tree)
