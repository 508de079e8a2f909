# Tier 2: host integration tests. They run quizzes for real in private network namespaces,
# so they need root; without it every test fails with a message saying so (never skipped).
file(GLOB HOST_TEST_SRC CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
add_executable(host_tests ${HOST_TEST_SRC})
target_link_libraries(host_tests PRIVATE ts_quiz GTest::gtest_main)
target_compile_definitions(host_tests PRIVATE TRISTATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
gtest_discover_tests(host_tests DISCOVERY_MODE PRE_TEST TEST_PREFIX "host."
                     PROPERTIES LABELS host TIMEOUT 120)

# Every shipped quiz (and the Python-shaped fixtures) agrees step by step with its
# Python twin run by doctest's own machinery on the same kernel.
add_test(NAME host.twins_agree
  COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_twins.py --tristate $<TARGET_FILE:tristate>)
set_tests_properties(host.twins_agree PROPERTIES LABELS host TIMEOUT 300)

# Bucket state after every step on this kernel (BPF iterators; untraced here).
add_test(NAME host_state_snapshots COMMAND ${CMAKE_CURRENT_LIST_DIR}/check_state.sh $<TARGET_FILE:tristate>)
set_tests_properties(host_state_snapshots PROPERTIES LABELS host TIMEOUT 120)

# `tristate ports` on real sockets in a private namespace, counts checked against
# plain connect()s until EADDRNOTAVAIL; holders per pid; bad input exits 2.
add_test(NAME host_ports COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/check_ports.py
  $<TARGET_FILE:tristate> ${CMAKE_SOURCE_DIR}/docs/ports.schema.json)
set_tests_properties(host_ports PROPERTIES LABELS host TIMEOUT 120)

# `state --watch` sampling a port while sockets come and go in a private namespace: each line
# agrees with a one-shot `state --json` taken between the steps; SIGINT ends it; bad input exits 2.
add_test(NAME host_state_watch COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/check_state_watch.py
  $<TARGET_FILE:tristate> ${CMAKE_SOURCE_DIR}/docs)
set_tests_properties(host_state_watch PROPERTIES LABELS host TIMEOUT 120)

# `quiz -j 2` gives what `-j 1` gives (JSON minus times and salted ids), in order.
add_test(NAME host.jobs_same_as_serial COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_jobs.py $<TARGET_FILE:tristate>)
set_tests_properties(host.jobs_same_as_serial PROPERTIES LABELS host TIMEOUT 300)
