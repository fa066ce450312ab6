#!/usr/bin/env bash
# Installs Mesa's lavapipe (a CPU Vulkan driver) and the Vulkan loader on a
# Debian/Ubuntu machine that lacks them, so gpugan has an adapter even without
# a GPU. Does nothing where they are already installed or on other systems.
set -euo pipefail

if [ "$(uname -s)" != Linux ]; then
    echo "install-lavapipe: not Linux; Metal (macOS) or DX12/Vulkan (Windows) come with the OS."
    exit 0
fi
if dpkg -s mesa-vulkan-drivers libvulkan1 >/dev/null 2>&1; then
    echo "install-lavapipe: mesa-vulkan-drivers and libvulkan1 already installed."
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-lavapipe: no apt-get; install your distribution's Mesa Vulkan drivers and Vulkan loader." >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y mesa-vulkan-drivers libvulkan1
