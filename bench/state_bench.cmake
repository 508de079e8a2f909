# Bucket state snapshots: microseconds per snapshot, and the untraced quiz suite with
# a snapshot after every step against the same suite without, rotated in one run.
# By hand: build/bench/state_bench [-n ROUNDS] [--snapshots N]   (root: BPF iterators)
add_executable(state_bench ${CMAKE_CURRENT_LIST_DIR}/state_bench.cpp)
target_link_libraries(state_bench PRIVATE ts_trace ts_quiz)
target_compile_definitions(state_bench PRIVATE TRISTATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_test(NAME bench.state COMMAND state_bench -n 3)
set_tests_properties(bench.state PROPERTIES LABELS bench TIMEOUT 600)
