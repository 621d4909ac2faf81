# Shared by bin/test, bin/serve and .ci/run: `source scripts/common.sh`. Sets UV_PYTHON_DOWNLOADS.
# shellcheck shell=bash

# Python and uv: uv comes from PyPI through pip and never downloads a Python of its own.
export UV_PYTHON_DOWNLOADS=never

# Debian packages the test suite needs, as "package:file-that-proves-it-is-installed".
# The one place to add a system package; scripts/install-debian-packages reads it.
OMS_DEBIAN_PACKAGES=(
    "chromium:/usr/bin/chromium"  # browser tests (Playwright drives Debian's Chromium)
    "poppler-utils:/usr/bin/pdftoppm"  # label tests: render a label PDF to an image (and its text)
    "zbar-tools:/usr/bin/zbarimg"  # label tests: decode the barcode back from that image
)

log() {
    if [[ -t 2 ]]; then printf '\033[1m==> %s\033[0m\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi
}

# ensure_uv: make `uv` runnable, installing it with pip when missing.
ensure_uv() {
    if command -v uv >/dev/null 2>&1; then
        return 0
    fi
    local python
    python=$(command -v python3 || command -v python) || {
        echo "Neither uv nor python3 is installed: install Python 3.11 first." >&2
        return 1
    }
    log "Installing uv with pip"
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
    "$python" -m pip install --quiet uv \
        || "$python" -m pip install --quiet --user uv \
        || "$python" -m pip install --quiet --user --break-system-packages uv
    if ! command -v uv >/dev/null 2>&1; then
        # pip put it in a bin directory that is not on PATH (e.g. ~/.local/bin).
        local bin
        bin=$("$python" -c 'import os, uv; print(os.path.dirname(uv.find_uv_bin()))')
        export PATH="$bin:$PATH"
    fi
    uv --version >&2
}
