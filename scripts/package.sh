#!/usr/bin/env bash
# Builds the Debian package: scripts/package.sh [--static]
#   default   build/tristate_VERSION_amd64.deb, linked against Debian 12's shared libraries
#             (Depends computed by dpkg-shlibdeps)
#   --static  build-static/…deb whose binary carries libbpf, libelf, zlib, nettle, libcap, spdlog, fmt and
#             libstdc++ (only glibc shared): copy usr/bin/tristate to any x86_64 Linux
# Install with: apt install ./build/tristate_*_amd64.deb
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
static=OFF build=${BUILD_DIR:-$here/build}
if [[ ${1:-} == --static ]]; then static=ON; build=${BUILD_DIR:-$here/build-static}; fi
"$here/scripts/deps.sh" run
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRISTATE_STATIC=$static >/dev/null
cmake --build "$build" -j"$(nproc)" --target tristate
(cd "$build" && cpack -G DEB >/dev/null)
ls "$build"/tristate_*_amd64.deb
