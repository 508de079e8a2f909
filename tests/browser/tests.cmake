# Compare through the real binary: its exit-status contract (LABELS cli) and its HTML page
# rendered by headless Chromium (LABELS browser; needs Debian's `chromium`).
add_executable(compare_fixtures ${CMAKE_CURRENT_LIST_DIR}/compare_fixtures_main.cpp)
target_link_libraries(compare_fixtures PRIVATE ts_report)

add_test(NAME compare_cli_exit_codes
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/check_compare_cli.sh $<TARGET_FILE:tristate>
                 $<TARGET_FILE:compare_fixtures> ${CMAKE_BINARY_DIR}/test-artifacts/compare-cli)
set_tests_properties(compare_cli_exit_codes PROPERTIES LABELS cli TIMEOUT 60)

add_test(NAME compare_html_chromium
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/check_html_chromium.sh $<TARGET_FILE:tristate>
                 $<TARGET_FILE:compare_fixtures> ${CMAKE_BINARY_DIR}/test-artifacts/browser)
set_tests_properties(compare_html_chromium PROPERTIES LABELS browser TIMEOUT 300)
