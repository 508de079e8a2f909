# Whole-process `tristate quiz` times on this machine (host parts): one quiz against
# the post's Python doctest, and every shipped quiz with -j 1 against -j N, in the same run.
# By hand: build/bench/startup_bench build/tristate [-n ROUNDS] [--quiz NAME] [--jobs N]   (root)
add_executable(startup_bench ${CMAKE_CURRENT_LIST_DIR}/startup_bench.cpp)
target_compile_definitions(startup_bench PRIVATE TRISTATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_test(NAME bench.startup COMMAND startup_bench $<TARGET_FILE:tristate> -n 9)
set_tests_properties(bench.startup PROPERTIES LABELS bench TIMEOUT 600)
