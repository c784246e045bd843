#!/usr/bin/env bash
# setup.sh - Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu 22.04 by default). It installs what the kit needs and builds its test tools.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends build-essential clang valgrind shunit2 \
  pkg-config libjansson-dev util-linux
make -s -C /autograder/source/kit tools
