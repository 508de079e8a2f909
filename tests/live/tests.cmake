# `tristate trace` in lab guests (label "guest"): -- CMD and its children, every
# filter and combinations, SIGINT/SIGTERM, ring-buffer loss. live_load is the workload.
add_executable(live_load ${CMAKE_CURRENT_LIST_DIR}/live_load.cpp)

set(LIVE_KERNELS "6.12;5.10" CACHE STRING "kernel series to run the live-trace guest tests on")
foreach(k ${LIVE_KERNELS})
  add_test(NAME live_guest_${k}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_guest.sh ${k} $<TARGET_FILE:tristate> $<TARGET_FILE:live_load>
                   ${CMAKE_BINARY_DIR}/live-guest)
  set_tests_properties(live_guest_${k} PROPERTIES LABELS guest TIMEOUT 900)
endforeach()

# On a kernel that cannot be traced (our hosts) `tristate trace` must fail in one line, exit 2.
add_test(NAME live_host_untraceable
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/check_host.sh $<TARGET_FILE:tristate>)
set_tests_properties(live_host_untraceable PROPERTIES LABELS host)
