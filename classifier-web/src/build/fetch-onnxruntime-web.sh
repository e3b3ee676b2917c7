#!/bin/sh
# Puts onnxruntime-web's WebAssembly-only build next to the widget: its API module, its loader and
# the binary, into DEST (Maven passes the widget's folder/ort). The modules are renamed from .mjs
# to .js, the one extension every static host serves as JavaScript (some, such as the JDK's
# jwebserver, serve .mjs as application/octet-stream, which browsers refuse to import).
#
# onnxruntime-web comes from `npm ci`, which takes exactly the versions in package-lock.json and
# checks each download against its integrity hash. npm runs only when node_modules is missing or
# the lock changed since the last install (a stamp holds the lock's sha256), so a normal build
# neither needs the network nor runs npm. Nothing is installed globally; no package script runs.
set -eu
dest="$1"
cd "$(dirname "$0")/../.."
stamp=node_modules/.kodiak-lock-sha256
dist=node_modules/onnxruntime-web/dist
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] \
    || [ ! -f "$dist/ort-wasm-simd-threaded.wasm" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "classifier-web: npm is not installed; it fetches onnxruntime-web for the widget at" \
      "build time. Install Node.js and npm (tools/install-debian-packages.sh does), then build" \
      "again." >&2
    exit 1
  fi
  echo "classifier-web: npm ci (onnxruntime-web, pinned by package-lock.json)" >&2
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
mkdir -p "$dest"
rm -f "$dest"/*.mjs  # names of builds before the rename
cp "$dist/ort.wasm.min.mjs" "$dest/ort.wasm.min.js"
cp "$dist/ort-wasm-simd-threaded.mjs" "$dest/ort-wasm-simd-threaded.js"
cp "$dist/ort-wasm-simd-threaded.wasm" "$dest/ort-wasm-simd-threaded.wasm"
# The widget shows the binary's size before its first byte arrives (a static host compresses it,
# so no Content-Length says it): OrtRuntime.WASM_BYTES must be this binary's size.
shipped=$(wc -c < "$dest/ort-wasm-simd-threaded.wasm" | tr -d ' ')
declared=$(sed -n 's/.*WASM_BYTES = \([0-9_]*\);.*/\1/p' src/main/java/dev/kodiak/web/OrtRuntime.java \
  | tr -d _)
if [ "$shipped" != "$declared" ]; then
  echo "classifier-web: ort-wasm-simd-threaded.wasm is $shipped bytes but OrtRuntime.WASM_BYTES" \
    "says $declared; set WASM_BYTES to $shipped (onnxruntime-web changed with package-lock.json)" >&2
  exit 1
fi
