# Tracer tests that need a traceable kernel: they run inside lab guests (label "guest").
# trace_quiz is the guest-side driver; run_guest.sh boots a kernel with it (via
# `tristate kernels boot`) and check_events.py asserts the events of the post's quizzes.
add_executable(trace_quiz ${CMAKE_CURRENT_LIST_DIR}/trace_quiz.cpp)
target_link_libraries(trace_quiz PRIVATE ts_trace ts_quiz ts_report)

set(TRACER_KERNELS "5.10;6.1;6.12;latest" CACHE STRING
    "Lab kernel specs (series, package or vmlinuz path) the tracer guest tests boot")
set(_out ${CMAKE_BINARY_DIR}/tracer-guest)
foreach(spec ${TRACER_KERNELS})
  get_filename_component(kname ${spec} NAME)
  foreach(mode fentry kprobe)
    add_test(NAME tracer_guest_${kname}_${mode}
             COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_guest.sh ${spec} $<TARGET_FILE:trace_quiz> ${mode}
                     ${CMAKE_SOURCE_DIR}/quizzes ${_out})
    set_tests_properties(tracer_guest_${kname}_${mode} PROPERTIES LABELS guest TIMEOUT 600
                         ENVIRONMENT TRISTATE=$<TARGET_FILE:tristate>
                         FIXTURES_SETUP tracer_${kname}_${mode})
  endforeach()
  # the forced kprobe fallback must see exactly what fentry sees
  add_test(NAME tracer_guest_${kname}_same_events
           COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_events.py ${_out}/${kname}-fentry.out
                   ${_out}/${kname}-kprobe.out)
  set_tests_properties(tracer_guest_${kname}_same_events PROPERTIES LABELS guest
                       FIXTURES_REQUIRED "tracer_${kname}_fentry;tracer_${kname}_kprobe")
endforeach()
# Events dropped on purpose must show as a model/snapshot mismatch (one kernel is
# enough: the cross-check is userspace; 6.12 has bhash2 and calls its functions).
add_test(NAME tracer_guest_state_catches_dropped_events
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_guest.sh 6.12 $<TARGET_FILE:trace_quiz> dropped
                 ${CMAKE_SOURCE_DIR}/quizzes ${_out})
set_tests_properties(tracer_guest_state_catches_dropped_events PROPERTIES LABELS guest TIMEOUT 600
                     ENVIRONMENT TRISTATE=$<TARGET_FILE:tristate>)
