# Hostile input, replayed through the real binary as root: output paths that are devices,
# FIFOs, symlinks or planted temporaries; writes to /dev/full; unbounded and malformed reports;
# nonsense durations. Each case asserts the exit status, the message, and that nothing on the
# host changed (issue "Never harm the host").
add_test(NAME hostile.host
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_hostile.sh $<TARGET_FILE:tristate>
                 ${CMAKE_BINARY_DIR}/test-artifacts/hostile ${CMAKE_SOURCE_DIR})
set_tests_properties(hostile.host PROPERTIES LABELS hostile TIMEOUT 300)

add_test(NAME hostile.guest.trace-output
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_trace_output_guest.sh $<TARGET_FILE:tristate>)
set_tests_properties(hostile.guest.trace-output PROPERTIES LABELS "hostile;guest"
                     FIXTURES_REQUIRED lab_kernels TIMEOUT 400)

# An unprivileged user on a kernel that can be traced (6.12 guest): doctor, trace and quiz
# name the missing CAP_BPF+CAP_PERFMON first, not the kernel.
add_test(NAME hostile.guest.unprivileged
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_unprivileged_guest.sh $<TARGET_FILE:tristate>)
set_tests_properties(hostile.guest.unprivileged PROPERTIES LABELS "hostile;guest"
                     FIXTURES_REQUIRED lab_kernels TIMEOUT 400)
