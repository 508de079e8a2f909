# The JSON a real run writes validates against docs/report.schema.json (host tier: the quizzes
# run in network namespaces, so root). Guest-tier tests validate traced reports the same way.
add_test(NAME schema_host_report
  COMMAND ${CMAKE_COMMAND}
    -DTRISTATE=$<TARGET_FILE:tristate>
    -DSCHEMA=${CMAKE_SOURCE_DIR}/docs/report.schema.json
    -DVALIDATOR=${CMAKE_SOURCE_DIR}/scripts/validate-report.py
    -DOUT=${CMAKE_CURRENT_BINARY_DIR}/schema_host_report.json
    -P ${CMAKE_CURRENT_LIST_DIR}/schema_host_report.cmake)
set_tests_properties(schema_host_report PROPERTIES LABELS "host;schema")
# Every other JSON document the host writes (doctor, state, quiz --list, the matrix) against
# its schema in docs/; trace lines, kernels available and bisect are validated by the guest
# tiers that produce them (tests/live, tests/guest, tests/matrix).
add_test(NAME schema_json_outputs
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_json_outputs.sh $<TARGET_FILE:tristate>
          ${CMAKE_SOURCE_DIR} $<TARGET_FILE:compare_fixtures> ${CMAKE_CURRENT_BINARY_DIR}/json-outputs)
set_tests_properties(schema_json_outputs PROPERTIES LABELS "host;schema" TIMEOUT 120)
