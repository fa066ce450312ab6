#!/usr/bin/env bash
# Runs on the device machine from the repository root, with the binaries
# that scripts/device-bundle.sh put into .device/ (see there). Every step's
# output goes to $OUT/device-check.log (and the end of it to the tool's
# reply); a failing step is reported and the next one still runs.
set -uo pipefail
out=${OUT:-/tmp/device-check}
mkdir -p "$out"
log=$out/device-check.log
bin=.device

# The NVIDIA machines keep their Vulkan driver manifest outside the loader's
# search path.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd

step() {
    echo "== $* ($(date +%T))" | tee -a "$log"
    timeout 240 "$@" 2>&1 | grep -v XDG_RUNTIME_DIR | tee -a "$log"
    local rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || echo "== exit $rc: $*" | tee -a "$log"
}

step "$bin/gpugan" info
# The kernel tests on the GPU (the default device takes it over lavapipe);
# cli:: runs the binary by its build path, which is not here.
step "$bin/suite" --test-threads 8 --skip cli::
for family in registers workgroup; do
    step "$bin/gpugan" --matmul "$family" bench --workload m --iters 10
done
step "$bin/gpugan" bench --iters 10
step "$bin/gpugan" --matmul registers bench --workload w3 --iters 10
