#!/usr/bin/env bash
# The test command (`npm test`): installs what the tests need on the way, then runs them all.
# Browser and GPU tests need Debian's Chromium (SwiftShader, a Vulkan driver on the CPU) and the
# Vulkan loader; see shared/webgpu-headless.md in the project notes and the README.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || missing+=(libvulkan1)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "npm test: installing ${missing[*]} (Debian packages) for the browser and GPU tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "npm test: missing ${missing[*]}; install them first:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# Dawn in Node finds SwiftShader only through its ICD file; the tests always use it, so that
# results do not depend on which GPU a machine happens to have.
export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json

npx tsc --noEmit
mkdir -p test-results
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
