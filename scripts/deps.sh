#!/usr/bin/env bash
# Installs what tristate needs to build, test and boot lab guests on Debian 12 (as root).
# Idempotent: packages already present are not asked for again, so a cached machine starts
# at once and a fresh one gets everything.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang llvm
  libbpf-dev bpftool libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev googletest
  # run: namespaces and the kernel lab (qemu + a busybox initramfs)
  iproute2 qemu-system-x86 busybox-static cpio
  # lab: SHA-256 of cached kernels and images (lab/sha256.hpp)
  libssl-dev
  # lab: decompress zstd/xz kernels once so qemu boots their ELF (lab/boot_image.hpp)
  zstd xz-utils
  # tests: schema validation, the post's Python doctests for the benchmark, HTML checks
  python3 python3-jsonschema chromium
)

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
