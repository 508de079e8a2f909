# Kernel lab speed (target: suite in one guest <= 6 s median; four kernels -j 2 <= 1.3 x the two
# slowest alone). Needs cached kernels. Run: build/bench/lab_bench build/tristate quizzes [RUNS]
add_executable(lab_bench ${CMAKE_CURRENT_LIST_DIR}/lab_bench.cpp)
target_link_libraries(lab_bench PRIVATE ts_lab ts_trace ts_report)
