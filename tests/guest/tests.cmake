# Tier 3: the kernel lab. Real Debian kernels (fetched by the `guest.lab.fetch` fixture into
# the user's cache) booted under qemu; see tests/guest/lab_cases.sh. LABELS guest.
set(LAB_CASES ${CMAKE_CURRENT_LIST_DIR}/lab_cases.sh)

add_test(NAME guest.lab.fetch COMMAND ${LAB_CASES} $<TARGET_FILE:tristate> fetch)
set_tests_properties(guest.lab.fetch PROPERTIES LABELS guest FIXTURES_SETUP lab_kernels TIMEOUT 900)

foreach(series 5.10 6.1 6.12 latest)
  add_test(NAME guest.lab.boot.${series} COMMAND ${LAB_CASES} $<TARGET_FILE:tristate> boot ${series})
  set_tests_properties(guest.lab.boot.${series} PROPERTIES LABELS guest FIXTURES_REQUIRED lab_kernels
                       TIMEOUT 400)
endforeach()

add_test(NAME guest.lab.verifier-stats.latest COMMAND ${LAB_CASES} $<TARGET_FILE:tristate> verifier-stats latest)
set_tests_properties(guest.lab.verifier-stats.latest PROPERTIES LABELS guest FIXTURES_REQUIRED lab_kernels TIMEOUT 400)

foreach(case panic boot-panic kvm-failure hang missing-package corrupt offline no-qemu bad-spec
        available kill-leftovers prune)
  add_test(NAME guest.lab.${case} COMMAND ${LAB_CASES} $<TARGET_FILE:tristate> ${case})
  set_tests_properties(guest.lab.${case} PROPERTIES LABELS guest FIXTURES_REQUIRED lab_kernels TIMEOUT 600)
endforeach()

# The post's quizzes in each series, every step asserted (post_deviations.txt records where a
# kernel differs from the post).
add_executable(post_quiz_outcomes ${CMAKE_CURRENT_LIST_DIR}/post_quiz_outcomes.cpp)
target_link_libraries(post_quiz_outcomes PRIVATE ts_lab ts_report GTest::gtest)
foreach(series 5.10 6.1 6.12 latest)
  add_test(NAME guest.post-quizzes.${series}
           COMMAND post_quiz_outcomes $<TARGET_FILE:tristate> ${CMAKE_SOURCE_DIR}/quizzes ${series})
  set_tests_properties(guest.post-quizzes.${series} PROPERTIES LABELS guest
                       FIXTURES_REQUIRED lab_kernels TIMEOUT 600)
endforeach()

# guest.NAME.SERIES for each lab series: SCRIPT TRISTATE SERIES, after the kernels are fetched.
function(guest_series_test name script timeout)
  foreach(series 5.10 6.1 6.12 latest)
    add_test(NAME guest.${name}.${series} COMMAND ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${script} $<TARGET_FILE:tristate> ${series})
    set_tests_properties(guest.${name}.${series} PROPERTIES LABELS guest FIXTURES_REQUIRED lab_kernels TIMEOUT ${timeout})
  endforeach()
endfunction()

# Repeatable guests: three runs of every quiz per kernel compare as identical.
guest_series_test(determinism determinism.sh 900)
# The host-made BTF files of each kernel are the guest's own (tests/guest/guest_btf.sh).
guest_series_test(btf-files guest_btf.sh 600)
# `tristate ports` loads and counts in each series, with the task_file program of its kernel.
guest_series_test(ports ports_kernels.sh 600)

# Kernel history: a real bisect over three trixie-backports builds (downloads them
# into the real cache once, ~150 MB).
add_test(NAME guest.lab.bisect COMMAND ${LAB_CASES} $<TARGET_FILE:tristate> bisect)
set_tests_properties(guest.lab.bisect PROPERTIES LABELS guest FIXTURES_REQUIRED lab_kernels TIMEOUT 900)
add_test(NAME guest.lab.bisect-state COMMAND ${LAB_CASES} $<TARGET_FILE:tristate> bisect-state)
set_tests_properties(guest.lab.bisect-state PROPERTIES LABELS guest FIXTURES_REQUIRED lab_kernels TIMEOUT 900)

# The doctest-form quizzes and the Python-shaped fixtures, every step as written
# (their expectations are what Python's doctest gave on the host, tests/host/check_twins.py),
# traced in each series. 5.10 has no IP_LOCAL_PORT_RANGE (ENOPROTOOPT): pack-port-range is
# left out there, and its note says what 5.10 does instead.
set(DOCTEST_QUIZZES doctest-names accept-shutdown nonblocking-connect disconnect
    disconnect-then-bind python-errors
    ${CMAKE_SOURCE_DIR}/tests/host/twin_fixtures/names-and-lifetimes.quiz
    ${CMAKE_SOURCE_DIR}/tests/host/twin_fixtures/quiz_two_clients.py)
foreach(series 5.10 6.1 6.12 latest)
  set(quizzes ${DOCTEST_QUIZZES})
  if(NOT series STREQUAL "5.10")
    list(APPEND quizzes pack-port-range)
  endif()
  add_test(NAME guest.doctest-quizzes.${series}
           COMMAND $<TARGET_FILE:tristate> quiz ${quizzes} --kernel ${series} -q
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(guest.doctest-quizzes.${series} PROPERTIES LABELS guest
                       FIXTURES_REQUIRED lab_kernels TIMEOUT 600)
endforeach()
# matrix --history: eleven guests, one per minor (downloads the newest build of each once).
add_test(NAME guest.lab.history COMMAND ${LAB_CASES} $<TARGET_FILE:tristate> history)
set_tests_properties(guest.lab.history PROPERTIES LABELS guest FIXTURES_REQUIRED lab_kernels TIMEOUT 1200)
