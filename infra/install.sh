#!/usr/bin/env bash
# Installs what synthesizing and checking infra/ needs. Idempotent: a second run only checks stamps.
#   - aws-cdk-lib, constructs, the Chalice CDK extra and cfn-lint into the project's .venv (the CDK app
#     imports the Chalice app and its table schema, so it needs the app's own environment);
#   - checkov into infra/.venv-checkov (it pins many libraries of its own);
#   - the CDK CLI, version pinned by infra/package-lock.json, into infra/node_modules (npm ci);
#   - the Lambda dependencies into Chalice's package cache (.chalice/deployments), so that
#     `cdk synth` needs no network afterwards (until requirements.txt changes);
#   - the PDF font layer into infra/.pdf-font-layer: Debian's fonts-wqy-microhei (make install),
#     fontTools, pypdfium2 and segno (requirements-pdf-font.txt), as wheels for Lambda's x86_64 and this Python.
#   - the cryptography layer into infra/.cryptography-layer: cryptography and cffi
#     (requirements-cryptography.txt), likewise.
#   - the spreadsheet layer into infra/.spreadsheet-layer: openpyxl and et_xmlfile
#     (requirements-spreadsheet.txt), likewise.
#   - the AWS SDK into infra/.sdk-layer (requirements-sdk.txt): the stack puts it in the bytecode layer,
#     compiled with the package (infra/stacks/bytecode.py).
# Needs python3.11+ with the project's .venv already made (make install), node and npm.
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_DIR="$(dirname "$INFRA_DIR")"
VENV_PYTHON="${VENV_PYTHON:-$PROJECT_DIR/.venv/bin/python}"
CHECKOV_VENV="$INFRA_DIR/.venv-checkov"
STAMP_DIR="$INFRA_DIR/.install-stamps"

if [ ! -x "$VENV_PYTHON" ]; then
    echo "infra/install.sh: $VENV_PYTHON not found; create the project's venv first (make install)" >&2
    exit 1
fi
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "infra/install.sh: '$tool' is needed for the CDK CLI (Debian: apt-get install nodejs npm)" >&2
        exit 1
    fi
done
mkdir -p "$STAMP_DIR"

# up_to_date NAME FILE...: true when FILE... are unchanged since the last successful step NAME.
up_to_date() {
    local name="$1"; shift
    [ -f "$STAMP_DIR/$name" ] && [ "$(cat "$@" | sha256sum)" = "$(cat "$STAMP_DIR/$name")" ]
}
mark_done() {
    local name="$1"; shift
    cat "$@" | sha256sum >"$STAMP_DIR/$name"
}

if ! up_to_date cdk-python "$INFRA_DIR/requirements.txt" || ! "$VENV_PYTHON" -c "import aws_cdk, chalice.cdk" 2>/dev/null; then
    echo "infra: installing aws-cdk-lib, constructs, chalice[cdkv2], cfn-lint into .venv"
    "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check -r "$INFRA_DIR/requirements.txt"
    mark_done cdk-python "$INFRA_DIR/requirements.txt"
fi

if ! up_to_date checkov "$INFRA_DIR/requirements-checkov.txt" || [ ! -x "$CHECKOV_VENV/bin/checkov" ]; then
    echo "infra: installing checkov into infra/.venv-checkov"
    [ -x "$CHECKOV_VENV/bin/python" ] || "$VENV_PYTHON" -m venv "$CHECKOV_VENV"
    "$CHECKOV_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$INFRA_DIR/requirements-checkov.txt"
    mark_done checkov "$INFRA_DIR/requirements-checkov.txt"
fi

if ! up_to_date cdk-cli "$INFRA_DIR/package-lock.json" || [ ! -x "$INFRA_DIR/node_modules/.bin/cdk" ]; then
    echo "infra: installing the CDK CLI (npm ci)"
    npm ci --prefix "$INFRA_DIR" --no-audit --no-fund --loglevel=error
    mark_done cdk-cli "$INFRA_DIR/package-lock.json"
fi

if ! up_to_date lambda-deps "$PROJECT_DIR/requirements.txt"; then
    echo "infra: packaging the app once to cache its Lambda dependencies (.chalice/deployments)"
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    (cd "$PROJECT_DIR" && AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" \
        "$(dirname "$VENV_PYTHON")/chalice" package --stage dev "$scratch/package" >/dev/null)
    echo "infra: deployment package $(stat -c %s "$scratch/package/deployment.zip") bytes"
    mark_done lambda-deps "$PROJECT_DIR/requirements.txt"
fi

# layer_wheels LAYER REQUIREMENTS IMPLEMENTATION: installs REQUIREMENTS' pinned wheels into LAYER/python,
# where Lambda puts a layer's libraries on the path (/opt/python). Wheels for the Python the functions run
# (Chalice picks the runtime by it) on x86_64, Lambda's default and the stack's; manylinux2014 (glibc
# 2.17), which that runtime's Amazon Linux 2 can load. IMPLEMENTATION: "cp" for CPython's compiled
# wheels, "py" for only pure-Python or Python-version-free ones. No .pyc: the layer carries no caches.
layer_wheels() {
    local version
    version="$("$VENV_PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
        --only-binary=:all: --platform manylinux2014_x86_64 --platform any --implementation "$3" \
        --python-version "$version" --target "$1/python" -r "$2"
    rm -rf "$1/python/bin"
}

FONT_FILE=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
FONT_LAYER="$INFRA_DIR/.pdf-font-layer"
# This script is among the stamp's inputs: how the layer is built is part of what it holds.
if ! up_to_date pdf-font-layer "$PROJECT_DIR/requirements-pdf-font.txt" "$FONT_FILE" "${BASH_SOURCE[0]}" \
        || [ ! -d "$FONT_LAYER/python" ]; then
    if [ ! -f "$FONT_FILE" ]; then
        echo "infra/install.sh: $FONT_FILE not found (Debian: apt-get install fonts-wqy-microhei)" >&2
        exit 1
    fi
    echo "infra: building the PDF font layer (infra/.pdf-font-layer)"
    rm -rf "$FONT_LAYER"
    mkdir -p "$FONT_LAYER/fonts"
    # Lambda unpacks a layer under /opt: the font at /opt/fonts, fontTools on the path from /opt/python.
    cp "$FONT_FILE" "$FONT_LAYER/fonts/"
    cp /usr/share/doc/fonts-wqy-microhei/copyright "$FONT_LAYER/fonts/wqy-microhei.copyright"
    # pypdfium2's PDFium is built for x86_64; fontTools' pure-Python wheel (its compiled one is 12 MB
    # more, for speed-ups the subsetter does not use).
    layer_wheels "$FONT_LAYER" "$PROJECT_DIR/requirements-pdf-font.txt" py
    mark_done pdf-font-layer "$PROJECT_DIR/requirements-pdf-font.txt" "$FONT_FILE" "${BASH_SOURCE[0]}"
fi

# wheels_layer NAME IMPLEMENTATION: the layer infra/.NAME-layer, of requirements-NAME.txt's wheels (see
# layer_wheels), built again when that file or this script changed since it was last built.
wheels_layer() {
    local layer="$INFRA_DIR/.$1-layer" requirements="$PROJECT_DIR/requirements-$1.txt"
    if ! up_to_date "$1-layer" "$requirements" "${BASH_SOURCE[0]}" || [ ! -d "$layer/python" ]; then
        echo "infra: building the $1 layer (infra/.$1-layer)"
        rm -rf "$layer"
        layer_wheels "$layer" "$requirements" "$2"
        mark_done "$1-layer" "$requirements" "${BASH_SOURCE[0]}"
    fi
}

# cryptography's core and cffi's _cffi_backend are compiled for CPython (abi3 and cp3xx wheels).
wheels_layer cryptography cp
wheels_layer spreadsheet py
# The AWS SDK, which the stack puts in the bytecode layer.
wheels_layer sdk py
