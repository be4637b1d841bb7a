#!/usr/bin/env bash
# The Debian packages OncoBasket needs beside its Python packages, installed only when missing.
#   libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0: WeasyPrint renders the reports' PDF with them.
#   fonts-dejavu-core: the reports' font.
# Used by `make demo`, `make test` and .ci/run. Without root or apt-get it only says what is missing: the
# reports' PDF then cannot be written, and the tests that render one fail with WeasyPrint's error.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core "$@")
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "warning: Debian packages missing (install them as root): ${missing[*]}" >&2
fi
