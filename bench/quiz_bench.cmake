# Quiz suite speed (target: the whole suite well under a second), against the same quizzes run
# as Python doctests under `unshare --net` (the post's way), measured in the same run.
# By hand: build/bench/quiz_bench [-n ROUNDS] [--quizzes DIR]   (root, or user namespaces)
add_executable(quiz_bench ${CMAKE_CURRENT_LIST_DIR}/quiz_bench.cpp)
target_link_libraries(quiz_bench PRIVATE ts_quiz)
target_compile_definitions(quiz_bench PRIVATE TRISTATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_test(NAME bench.quiz_suite COMMAND quiz_bench -n 3)
set_tests_properties(bench.quiz_suite PROPERTIES LABELS bench TIMEOUT 600)
