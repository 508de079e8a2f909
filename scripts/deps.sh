#!/usr/bin/env bash
# Installs what tristate needs on Debian 12 (as root):
#   scripts/deps.sh run    build it and run it, the lab included (scripts/run.sh)
#   scripts/deps.sh test   that plus what only the tests use (scripts/test.sh; the default)
# Idempotent: packages already present are not asked for again, so a cached machine starts
# at once and a fresh one gets everything.
set -euo pipefail

set_name=${1:-test}
run_packages=(
  # build
  build-essential cmake pkg-config clang llvm
  libbpf-dev bpftool libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev googletest  # the build configures the unit tests too
  # run: namespaces and the kernel lab (qemu + a busybox initramfs)
  iproute2 qemu-system-x86 busybox-static
  # lab: SHA-256 of cached kernels and images (lab/sha256.hpp), the PVH note of a boot image
  # (lab/boot_image.cpp); doctor: the process's capabilities (trace/capabilities.cpp)
  nettle-dev libelf-dev libcap-dev
  # lab: decompress zstd/xz kernels once so qemu boots their ELF (lab/boot_image.hpp), and
  # the lz4 ones (5.10, 6.1) once for the BTF files their guests get (lab/guest_btf.hpp)
  zstd xz-utils lz4
)
test_packages=(
  # schema validation, the post's Python doctests for the benchmark, HTML checks in a browser
  python3 python3-jsonschema chromium
  # the initramfs tristate writes, read back by an independent cpio (tests/unit/test_lab_cpio.cpp)
  cpio
  # the install test: checks the generated zsh completion parses (bash is always there)
  zsh
)
case $set_name in
  run) packages=("${run_packages[@]}") ;;
  test) packages=("${run_packages[@]}" "${test_packages[@]}") ;;
  *) echo "deps: unknown package set '$set_name' (run, test)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps: missing packages (${missing[*]}); run as root to install them" >&2
    exit 2
  fi
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
