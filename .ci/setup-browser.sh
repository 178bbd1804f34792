#!/usr/bin/env bash
# Installs headless Chromium, its WebDriver (chromedriver) and a CJK font for the console's browser
# tests (tests/it/browser.rs): without a Japanese font the screenshots show tofu boxes.
#
# Idempotent: installs only what is missing. Prints where chromium and chromedriver are.
#
# Usage (as root): bash .ci/setup-browser.sh
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-noto-cjk)

missing=()
for p in "${PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup-browser: installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "setup-browser: packages present"
fi

for tool in chromium chromedriver; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup-browser: $tool is not on PATH after installing" >&2
        exit 1
    fi
done
echo "setup-browser: ready ($(chromium --version 2>/dev/null | sed -n 1p); $(chromedriver --version 2>/dev/null | sed -n 1p))"
