#!/bin/sh
# Installs the Debian packages lunet needs, when missing.
# usage: tools/deps.sh build|test|bench|install
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -e
build="lua5.4 liblua5.4-dev libopenblas-dev libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core
libsdl2-image-dev libreadline-dev zlib1g-dev pkg-config"
# Open MPI, for lunet.dist: installed with the build packages as root; a
# user who cannot install it gets a build whose lunet.dist is one process.
mpi="libopenmpi-dev openmpi-bin"
# test: everything a test needs, so that nothing is skipped on a fresh machine
# (the Fashion-MNIST specs train on the real data set).
test="lua-busted xvfb xauth tmux x11-apps imagemagick xdotool dataset-fashion-mnist"
bench="python3-torch"
# install: what tests/install/install.sh packages with
install="luarocks dpkg-dev debhelper git"
case "$1" in
  build) want="$build $mpi" ;;
  test) want="$build $mpi $test" ;;
  bench) want="$build $mpi $test $bench" ;;
  install) want="$build $mpi $install" ;;
  *) echo "usage: $0 build|test|bench|install" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
elif [ -z "$(echo " $missing " | sed "s/ libopenmpi-dev / /; s/ openmpi-bin / /" | tr -d ' ')" ]; then
  echo "note: without$missing lunet.dist is one process; to use MPI run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
else
  echo "lunet needs these Debian packages; run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
