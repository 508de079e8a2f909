# The command-line conventions every command shares (issue 17).
set(TS_INSTALL_DIR ${CMAKE_CURRENT_LIST_DIR})
add_test(NAME install.cli_conventions
         COMMAND ${TS_INSTALL_DIR}/check_cli.sh $<TARGET_FILE:tristate>)
set_tests_properties(install.cli_conventions PROPERTIES LABELS "install;host" TIMEOUT 120)
