# compare of two 1,000-quiz documents (target: ≤ 1 s). Run: build/bench/compare_bench
add_executable(compare_bench ${CMAKE_CURRENT_LIST_DIR}/compare_bench.cpp)
target_link_libraries(compare_bench PRIVATE ts_render ts_compare ts_report)
