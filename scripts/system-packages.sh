#!/bin/sh
# System packages the tests need that pip cannot give: Debian's Chromium (the browser tests drive it through
# Playwright; no browser is ever downloaded) and a font. Installs them with apt-get only when `chromium` is
# missing: as root directly, otherwise through sudo when it works without a password prompt. When neither is
# possible it says how to install them and exits 0: the browser tests then skip (or fail under CI) with the
# same hint.
set -u
PACKAGES="chromium fonts-dejavu-core"

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi

hint() {
    echo "system-packages: $1" >&2
    echo "system-packages: install them with: sudo apt-get update && sudo apt-get install -y $PACKAGES" >&2
    echo "system-packages: (without them the browser tests in tests/test_browser.py skip, or fail under CI)" >&2
    exit 0
}

command -v apt-get >/dev/null 2>&1 || hint "chromium is missing and apt-get is not available on this system"

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    hint "chromium is missing, and installing it needs root (not root, and no password-less sudo)"
fi

echo "system-packages: installing $PACKAGES with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q || hint "apt-get update failed"
$SUDO apt-get install -y -q --no-install-recommends $PACKAGES || hint "apt-get install failed"
exit 0
