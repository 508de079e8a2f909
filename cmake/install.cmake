# `cmake --install` (CMAKE_INSTALL_PREFIX, DESTDIR) and the .deb CPack builds from it.
# Layout, relative to the prefix:
#   bin/tristate
#   share/tristate/quizzes/*.quiz        found from the binary as ../share/tristate/quizzes
#   share/man/man1/tristate*.1.gz        written by the binary itself (`tristate man`)
#   share/bash-completion/completions/tristate, share/zsh/vendor-completions/_tristate
#   share/doc/tristate/                  README, docs, JSON schemas, copyright
include(GNUInstallDirs)
# `make install` and cpack install what is built instead of first building every test and
# benchmark (scripts/package.sh builds only the tristate target).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS tristate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/quizzes/ DESTINATION ${CMAKE_INSTALL_DATADIR}/tristate/quizzes
        FILES_MATCHING PATTERN "*.quiz")

# Man pages and completions come from the command definitions the binary carries, generated
# when installing so that they describe exactly the binary installed beside them.
set(TS_GEN ${CMAKE_BINARY_DIR}/generated-docs)
install(CODE "
  file(REMOVE_RECURSE \"${TS_GEN}\")
  file(MAKE_DIRECTORY \"${TS_GEN}/man1\")
  execute_process(COMMAND \"$<TARGET_FILE:tristate>\" man \"${TS_GEN}/man1\" RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR \"tristate man failed (\${rc})\")
  endif()
  foreach(shell bash zsh)
    execute_process(COMMAND \"$<TARGET_FILE:tristate>\" completion \${shell}
                    OUTPUT_FILE \"${TS_GEN}/completion.\${shell}\" RESULT_VARIABLE rc)
    if(rc)
      message(FATAL_ERROR \"tristate completion \${shell} failed (\${rc})\")
    endif()
  endforeach()
  file(GLOB pages \"${TS_GEN}/man1/*.1\")
  foreach(page \${pages})
    execute_process(COMMAND gzip -9nf \"\${page}\" RESULT_VARIABLE rc)  # -n: no timestamp, reproducible
    if(rc)
      message(FATAL_ERROR \"gzip \${page} failed\")
    endif()
  endforeach()
")
install(DIRECTORY ${TS_GEN}/man1 DESTINATION ${CMAKE_INSTALL_MANDIR})
install(FILES ${TS_GEN}/completion.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME tristate)
install(FILES ${TS_GEN}/completion.zsh DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions
        RENAME _tristate)

file(GLOB TS_DOCS ${CMAKE_SOURCE_DIR}/docs/*.md ${CMAKE_SOURCE_DIR}/docs/*.json)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${TS_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)

# --- .deb: `cpack -G DEB` in the build directory (scripts/package.sh) ---
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tristate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # RelWithDebInfo carries ~10x its size in DWARF
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "watch the Linux kernel's TCP bind-bucket tri-state")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "watch the Linux kernel's TCP bind-bucket tri-state
 tristate runs bind()/connect() quizzes in private network namespaces and shows,
 next to each syscall, the bind-bucket transitions (fastreuse/fastreuseport
 -1/0/+1) the kernel really made, traced with CO-RE eBPF (fentry/fexit or
 kprobes). It boots Debian kernels under qemu to run the same quizzes on other
 kernel versions and compares them.")
# Maintainer: TRISTATE_MAINTAINER ("Name <email>"; the environment at configure time wins over
# -DTRISTATE_MAINTAINER=) when given, else the author of the commit being packaged (git log -1), so a package never carries a
# placeholder address. Outside a git checkout and without it the build still configures, and
# cpack refuses the package (CPack DEB requires a maintainer).
set(TRISTATE_MAINTAINER "" CACHE STRING
    "Maintainer field of the .deb (\"Name <email>\"); default: the HEAD commit's author")
if(NOT "$ENV{TRISTATE_MAINTAINER}" STREQUAL "")
  set(_ts_maintainer "$ENV{TRISTATE_MAINTAINER}")
elseif(TRISTATE_MAINTAINER STREQUAL "")
  execute_process(COMMAND git -C ${CMAKE_SOURCE_DIR} log -1 "--format=%an <%ae>"
                  OUTPUT_VARIABLE _ts_git_author OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _ts_git_rc ERROR_QUIET)
  if(NOT _ts_git_rc EQUAL 0)
    set(_ts_git_author "")
  endif()
  set(_ts_maintainer "${_ts_git_author}")
else()
  set(_ts_maintainer "${TRISTATE_MAINTAINER}")
endif()
if(_ts_maintainer MATCHES "^[^<>]+ <[^<> ]+@[^<> ]+>$")
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${_ts_maintainer}")
else()
  message(WARNING "no .deb Maintainer ('${_ts_maintainer}' is not \"Name <email>\"): "
                  "set TRISTATE_MAINTAINER=\"Name <email>\" to build the package")
endif()
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # tristate_0.1.0_amd64.deb
# Depends: the shared libraries the binary really links, as dpkg-shlibdeps reads them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The lab (--kernel, matrix, kernels boot) needs qemu and a static busybox; zstd, xz-utils
# and lz4 let it decompress a kernel once so later boots are faster. All optional: quizzes on
# the host kernel need none of them.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qemu-system-x86, busybox-static, zstd, xz-utils, lz4")
include(CPack)
