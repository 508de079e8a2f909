# Matrix speed (target: default <= 10 s, --history <= 40 s on 2 cores, kernels cached).
# Run: build/bench/matrix_bench build/tristate [RUNS] [--history]
add_executable(matrix_bench ${CMAKE_CURRENT_LIST_DIR}/matrix_bench.cpp)
target_link_libraries(matrix_bench PRIVATE ts_lab nlohmann_json::nlohmann_json)
