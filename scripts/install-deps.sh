#!/bin/sh
# Installs every Debian package the build, the tests and the benches need, when one is missing.
# Safe to run again: it does nothing when all are present.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev libh2o-evloop-dev libjansson-dev \
libsqlite3-dev sqlite3 libsodium-dev libinih-dev libcmocka-dev libssl-dev zlib1g-dev \
liblinear-dev libstemmer-dev libyaml-dev libcmark-dev libcurl4-openssl-dev tzdata libicu-dev \
python3 python3-yaml python3-jsonschema wrk nginx-light curl cppcheck clang-format"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q $missing
