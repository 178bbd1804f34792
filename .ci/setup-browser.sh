#!/usr/bin/env bash
# Installs headless Chromium, its WebDriver (chromedriver) and a CJK font for the console's browser
# tests (tests/it/browser.rs): without a Japanese font the screenshots show tofu boxes.
#
# Idempotent: installs only what is missing. Prints where chromium and chromedriver are.
#
# Usage (as root): bash .ci/setup-browser.sh
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-noto-cjk)

# shellcheck source=packages.sh
. "$(dirname "$0")/packages.sh"
ensure_packages setup-browser "${PACKAGES[@]}"

for tool in chromium chromedriver; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup-browser: $tool is not on PATH after installing" >&2
        exit 1
    fi
done
echo "setup-browser: ready ($(chromium --version 2>/dev/null | sed -n 1p); $(chromedriver --version 2>/dev/null | sed -n 1p))"
