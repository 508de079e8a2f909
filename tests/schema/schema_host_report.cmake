# Runs every built-in quiz with --json, then validates the document. A quiz that differs on
# this kernel exits 1 and is fine here; 2 (could not run) is not.
execute_process(COMMAND ${TRISTATE} quiz --quiet --json ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 AND NOT rc EQUAL 1)
  message(FATAL_ERROR "tristate quiz exited ${rc}")
endif()
execute_process(COMMAND /usr/bin/python3 ${VALIDATOR} ${SCHEMA} ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${OUT} does not validate against ${SCHEMA}")
endif()
