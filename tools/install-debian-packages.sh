#!/usr/bin/env bash
# Installs the Debian packages Kodiak's build and tests need, only those that are missing.
# Idempotent: a second run installs nothing and does not touch the network.
#
#   jekyll, jekyll-theme-minima   build the blog in site/ (no network at build time)
#   chromium, chromium-driver     the browser tests (headless, offline)
#   dataset-fashion-mnist         the Fashion-MNIST test set the core tests classify
#   libturbojpeg0                 libjpeg-turbo's TurboJPEG library, which classifier-core calls
#                                 to decode JPEGs on Java 22+ (a run-time need, not only tests')
#   nodejs, npm                   fetch onnxruntime-web for the widget at build time (npm ci),
#                                 and run Lighthouse for the blog's audit (Node 18.16 or later);
#                                 skipped when node and npm are already on the PATH
#   libwebp7, libwebpdemux2       libwebp, which classifier-core calls to decode WebPs on Java 22+
#                                 (PIL's own decoder; a run-time need, not only tests')
#   python3-torch, -torchvision, -skimage, libjpeg-turbo-progs, imagemagick, webp
#                                 only for tools/*.py (training, fixtures, benchmark models;
#                                 jpegtran and cjpeg write the JPEG fixtures PIL cannot,
#                                 ImageMagick's convert the PNG, BMP and GIF ones, cwebp and
#                                 img2webp the WebP ones); installed with --with-python-tools
set -euo pipefail

packages=(jekyll jekyll-theme-minima chromium chromium-driver dataset-fashion-mnist libturbojpeg0
  libwebp7 libwebpdemux2)
if [[ "${1:-}" == "--with-python-tools" ]]; then
  packages+=(python3-torch python3-torchvision python3-skimage libjpeg-turbo-progs imagemagick webp)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# by command, not package: a Node.js from elsewhere (NodeSource, nvm) also does
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if (( ${#missing[@]} == 0 )); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
echo "Installing Debian packages: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
