#!/usr/bin/env bash
# Runs on a lent GPU machine (the `device` tool), in the repository root, with `.device` (from
# scripts/device-pack.sh) and `.gl` carried:
#
#   [CPU=0] bash scripts/device-run.sh [GPU-OPTIONS-JSON ...]   (writes log.txt and bench.jsonl to $OUT)
#
# `.gl` holds the Debian packages the device README names (libvulkan1 libegl1 libglvnd0
# libopengl0 libgl1 libglx0 libgles2; `apt-get download` them here). libvulkan1 alone is not
# enough: NVIDIA's Vulkan driver is libGLX_nvidia, which needs libglvnd ("Found no drivers!").
#
# One call does everything, in order of value: the self-check; the benchmark; GPU time per
# pass; with .device/base (device-pack.sh --base REV), the other commit's kit against this one;
# the CPU engine; then A/B of the given --gpu-options at 2,000 and 10^6 agents. Each step has
# its own time limit, so one hang costs that step, not the rest. Where no hardware adapter is
# found it stops after the self-check and lists the Vulkan drivers it saw.
set -uo pipefail
out=${OUT:-/tmp/device-out}
work=$(mktemp -d)
mkdir -p "$out"
# Only where the loaders are missing (the device machines): elsewhere they belong to the system.
if ! ldconfig -p | grep -q 'libvulkan.so.1' || ! ldconfig -p | grep -q 'libGLX.so.0'; then
  for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -e "$icd" ] && export VK_DRIVER_FILES=$icd
cd .device || exit 1
[ -x node ] || { xz -dk node.xz && chmod +x node; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
step() { # step NAME SECONDS COMMAND...
  local name=$1 limit=$2
  shift 2
  echo "== $name"
  timeout "$limit" "$@" 2>&1 | tee "$work/$name.txt" | tee -a "$out/log.txt"
  echo "== $name: exit ${PIPESTATUS[0]}" | tee -a "$out/log.txt"
  # One JSON file back, each row tagged with the step that wrote it (the tool returns few files).
  [ -e "$work/$name.jsonl" ] && awk -v n="$name" '{ print "{\"run\":\"" n "\"," substr($0, 2) }' "$work/$name.jsonl" >> "$out/bench.jsonl"
  return 0
}
step check 90 ./node app/device-check.js
if ! grep -q '^GPU: ' "$work/check.txt" || grep -qi swiftshader "$work/check.txt"; then
  echo "no hardware adapter: stopping before the benchmark. Vulkan drivers seen:"
  ls /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1
  exit 1
fi
step bench-gpu 200 ./node app/run.js --agents 2000,100000,1000000 --engines gpu,gpu-nostats,gpu-naive --seconds 1 --repeat 3 --json "$work/bench-gpu.jsonl"
# Where the time goes: GPU time per pass (timestamp queries), statistics every 10 and 100 steps.
step timing 120 ./node app/run.js --agents 100000,1000000 --engines gpu,gpu-nostats --every 10,100 --seconds 1 --timing --json "$work/timing.jsonl"
# Another commit's kit beside this one (device-pack.sh --base REV): the two, interleaved.
if [ -d base ]; then
  for round in 1 2; do
    for kit in base app; do
      step "kit-$kit-$round" 90 ./node "$kit/run.js" --agents 100000,1000000 --engines gpu,gpu-nostats --seconds 1 --json "$work/kit-$kit-$round.jsonl"
    done
  done
fi
[ "${CPU:-1}" = 1 ] && step bench-cpu 60 ./node app/run.js --agents 2000,100000 --engines cpu --seconds 1 --json "$work/bench-cpu.jsonl"
# Then the engine's own choices compared at both ends of the range: each argument is a
# --gpu-options JSON (default: the two finalize passes).
[ $# -gt 0 ] || set -- '{"finalize":"serial"}' '{"finalize":"parallel"}'
for options in "$@"; do
  name=ab-$(echo "$options" | tr -dc 'a-zA-Z0-9')
  step "$name" 60 ./node app/run.js --agents 2000,1000000 --engines gpu,gpu-nostats --seconds 1 --gpu-options "$options" --json "$work/$name.jsonl"
done
