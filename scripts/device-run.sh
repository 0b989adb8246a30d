#!/usr/bin/env bash
# Runs on a lent GPU machine (the `device` tool), in the repository root, with `.device` (from
# scripts/device-pack.sh) and `.gl` (libvulkan1's .deb, see the device README) carried:
#
#   bash scripts/device-run.sh            (writes check.txt, bench*.txt and bench*.jsonl to $OUT)
#
# One call does everything, in order of value: the self-check, then the benchmark, then the
# choices the engine makes by itself compared at 10^6 agents. Each step has its own time limit,
# so one hang costs that step, not the rest.
set -uo pipefail
out=${OUT:-/tmp/device-out}
mkdir -p "$out"
for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -e "$icd" ] && export VK_DRIVER_FILES=$icd
cd .device || exit 1
[ -x node ] || { xz -dk node.xz && chmod +x node; }
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
step() { # step NAME SECONDS COMMAND...
  local name=$1 limit=$2
  shift 2
  echo "== $name"
  timeout "$limit" "$@" 2>&1 | tee "$out/$name.txt"
  echo "== $name: exit ${PIPESTATUS[0]}"
}
step check 90 ./node app/device-check.js
if ! grep -q '^GPU: ' "$out/check.txt" || grep -qi swiftshader "$out/check.txt"; then
  echo "no hardware adapter: stopping before the benchmark. Vulkan drivers seen:"
  ls /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1
  exit 1
fi
step bench-gpu 200 ./node app/run.js --agents 2000,100000,1000000 --engines gpu,gpu-nostats,gpu-naive --seconds 1 --repeat 3 --json "$out/bench-gpu.jsonl"
step bench-cpu 60 ./node app/run.js --agents 2000,100000,1000000 --engines cpu --seconds 1 --json "$out/bench-cpu.jsonl"
for options in '{"finalize":"serial"}' '{"finalize":"parallel"}' '{"subgroups":false}'; do
  name=ab-$(echo "$options" | tr -dc 'a-z')
  step "$name" 60 ./node app/run.js --agents 1000000 --engines gpu,gpu-nostats --seconds 1 --gpu-options "$options" --json "$out/$name.jsonl"
done
