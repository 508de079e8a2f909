# The matrix over the four real lab kernels (label guest): the cells where kernels really
# differ, measured (docs/design.md), and agreement everywhere else.
add_test(NAME guest.matrix.four-kernels
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/check_matrix.py $<TARGET_FILE:tristate>
                 ${CMAKE_CURRENT_BINARY_DIR}/matrix.json)
set_tests_properties(guest.matrix.four-kernels PROPERTIES LABELS guest TIMEOUT 900
                     FIXTURES_REQUIRED lab_kernels)
