# Tracer overhead (target: fentry mode <= 5 % of loop throughput, and below bindsnoop).
# Needs a traceable kernel: run inside a lab guest (see the comment at the top of the source).
add_executable(trace_bench ${CMAKE_CURRENT_LIST_DIR}/trace_bench.cpp)
target_link_libraries(trace_bench PRIVATE ts_trace)
