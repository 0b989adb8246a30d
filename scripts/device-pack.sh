#!/usr/bin/env bash
# Packs what a GPU machine without Node or npm needs to run the benchmark and the GPU self-check
# (the `device` tool's machines: carry the folder, 64 MiB at most). Output: .device/ (ignored).
#
#   bash scripts/device-pack.sh
#   then, there:  bash scripts/device-run.sh (carrying .device and .gl), or by hand:
#                 cd .device && xz -dk node.xz && chmod +x node &&
#                 ./node app/device-check.js && ./node app/run.js --agents 100000,1000000 --repeat 3
#
# The scripts are bundled by Vite (WGSL inlined); `webgpu` stays a package beside them, cut to its
# linux-x64 binary; Node is this machine's, compressed. Where the machine has no Vulkan loader,
# see the device README for carrying libvulkan1.
#
# To compare two commits on one machine in one call, add the other commit's scripts beside:
#   bash scripts/device-pack.sh --base REV   (its bundles in .device/base/; there: ./node base/run.js ...)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=.device
rm -rf "$out"
mkdir -p "$out/node_modules/webgpu/dist"
bundle() { # bundle SOURCE_ROOT OUT_DIR
  (cd "$1" && npx vite build --ssr bench/run.ts --outDir "$2" --emptyOutDir --logLevel warn &&
    npx vite build --ssr bench/device-check.ts --outDir "$2" --emptyOutDir false --logLevel warn)
}
bundle "$root" "$root/$out/app"
if [ "${1:-}" = --base ]; then
  tree=$(mktemp -d)/base
  git worktree add --detach "$tree" "$2" >/dev/null
  ln -s "$root/node_modules" "$tree/node_modules"
  bundle "$tree" "$root/$out/base"
  git worktree remove --force "$tree"
fi
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$out/node_modules/webgpu/dist/"
echo '{ "type": "module" }' > "$out/package.json"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"
du -sh "$out"
