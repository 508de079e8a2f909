# Tracer tests that need a traceable kernel: run inside lab guests (label "guest").
# trace_quiz is the guest-side driver; run_guest.sh boots a kernel with it and
# check_events.py asserts the events of the post's quizzes per kernel.
add_executable(trace_quiz ${CMAKE_CURRENT_LIST_DIR}/trace_quiz.cpp)
target_link_libraries(trace_quiz PRIVATE ts_trace ts_quiz ts_report)

set(TRACER_KERNELS "" CACHE STRING "vmlinuz paths to run the tracer guest tests on (;-separated)")
foreach(vmlinuz ${TRACER_KERNELS})
  get_filename_component(kname ${vmlinuz} NAME)
  foreach(mode fentry kprobe)
    add_test(NAME tracer_guest_${kname}_${mode}
             COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_guest.sh ${vmlinuz} $<TARGET_FILE:trace_quiz> ${mode}
                     ${CMAKE_SOURCE_DIR}/quizzes ${CMAKE_BINARY_DIR}/tracer-guest)
    set_tests_properties(tracer_guest_${kname}_${mode} PROPERTIES LABELS guest TIMEOUT 600)
  endforeach()
endforeach()
