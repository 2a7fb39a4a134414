#!/usr/bin/env bash
# Installs Debian's Chromium for the headless browser tests (no download of a browser build of
# its own: the package registry is the only network here). Safe to run again.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
command -v chromium
