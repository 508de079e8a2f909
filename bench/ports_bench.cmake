# `tristate ports` on a namespace of 50,000 sockets: whole-process median and max RSS,
# beside `ss -tan | wc -l` in the same run. By hand: build/bench/ports_bench build/tristate -n 7
add_executable(ports_bench ${CMAKE_CURRENT_LIST_DIR}/ports_bench.cpp)
add_test(NAME bench.ports COMMAND ports_bench $<TARGET_FILE:tristate> -n 3)
set_tests_properties(bench.ports PROPERTIES LABELS bench TIMEOUT 600)
