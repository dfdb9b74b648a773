#!/bin/sh
# Installs the Debian packages the local stack and the tests need, only when one is missing.
set -eu
# One package a line, with why. Add to this list rather than installing anything by hand.
PACKAGES="
poppler-utils  # pdftoppm, pdffonts: the label tests rasterize each PDF at a thermal printer's 203 dpi and list its fonts
libzbar0       # zbar, loaded by pyzbar: the label tests scan the Code128 and the QR code back
poppler-data   # CMaps poppler needs for a CJK PDF without embedded fonts (the labels now embed theirs)
fonts-wqy-microhei  # the source of chalicelib/fonts/wqy-microhei.ttc, the labels' embedded font (5 MB)
chromium       # the browser the Playwright tests drive at /usr/bin/chromium (never playwright install)
fonts-noto-cjk # so the browser tests' screenshots show Japanese, Chinese and Korean, not boxes
nodejs         # node and npm here: npm installs axe-core (pinned in the Makefile) for the accessibility check
"
# A line's "# why" is not a package name.
PACKAGES=$(printf '%s\n' "$PACKAGES" | sed 's/#.*//')
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "Installing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
