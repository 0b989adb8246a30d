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
set -euo pipefail
cd "$(dirname "$0")/.."
out=.device
rm -rf "$out"
mkdir -p "$out/node_modules/webgpu/dist"
npx vite build --ssr bench/run.ts --outDir "$out/app" --emptyOutDir --logLevel warn
npx vite build --ssr bench/device-check.ts --outDir "$out/app" --emptyOutDir false --logLevel warn
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$out/node_modules/webgpu/dist/"
echo '{ "type": "module" }' > "$out/package.json"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"
du -sh "$out"
