#!/usr/bin/env bash
# Prepares the one-call GPU check for a session whose task is lent a device
# machine (the `device` tool: one H200, no Rust, no network, 15 minutes).
#
# Here: builds the release binary and the test suite, strips both into
# .device/ with scripts/device-check.sh, and fetches the Vulkan loader
# packages into .gl/ (both folders git-excluded, so carry them). Then call
# the tool's `run` with carry [".gl", ".device"] and the command this
# script prints last. There: the suite's kernel, gradient and training tests
# on the GPU, then the benchmarks with each matmul family; the figures come
# back under $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

exclude=.git/info/exclude
mkdir -p .git/info
for dir in /.gl/ /.device/; do
    grep -qxF "$dir" "$exclude" 2>/dev/null || echo "$dir" >>"$exclude"
done

if ! ls .gl/*.deb >/dev/null 2>&1; then
    mkdir -p .gl /tmp/amd64/partial
    apt_opts=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
    apt-get "${apt_opts[@]}" update -qq
    (cd .gl && apt-get "${apt_opts[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

cargo build --release --bin gpugan
# The suite's executable: cargo names it on stderr as "(target/release/deps/suite-<hash>)".
suite=$(cargo test --release --test suite --no-run 2>&1 | grep -o 'target/release/deps/suite-[0-9a-f]*' | tail -1)
[ -x "$suite" ] || { echo "device-bundle: no suite executable found" >&2; exit 1; }

rm -rf .device
mkdir -p .device
strip -o .device/gpugan target/release/gpugan
strip -o .device/suite "$suite"
cp scripts/device-check.sh .device/
du -sh .device .gl

cat <<'EOF'
device run: carry [".gl", ".device"], timeout_s 540, command:
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; bash .device/device-check.sh
EOF
