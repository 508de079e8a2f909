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
