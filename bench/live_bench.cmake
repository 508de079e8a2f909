# `tristate trace` under a connect() flood: rate, losses, tracer CPU per event,
# against no tracer and bindsnoop. Run it in a lab guest (see the top of the source).
add_executable(live_bench ${CMAKE_CURRENT_LIST_DIR}/live_bench.cpp)
