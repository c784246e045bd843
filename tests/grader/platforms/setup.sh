#!/usr/bin/env bash
# setup.sh - Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu 22.04 by default). It installs what the kit needs and builds its test tools.
# Any failure stops the image build with that step's exit status.
set -u
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || exit
# bubblewrap, util-linux and iproute2 are the grader's sandbox: where the container allows
# namespaces it sandboxes each test; where it does not, it runs the student's programs
# under a uid of their own (the scoreboard says which).
apt-get install -y -qq --no-install-recommends build-essential clang valgrind shunit2 \
  pkg-config libjansson-dev python3 bubblewrap util-linux iproute2 || exit
make -s -C /autograder/source/kit tools
