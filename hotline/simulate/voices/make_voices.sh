#!/usr/bin/env bash
# Make the simulated customer's voice: espeak-ng (Mandarin) -> sox -> 8 kHz, 16-bit, mono WAV.
# `hotline simulate call` speaks it to the agent, and hotline/simulate/scenarios/customer_call.pcap (made from it by
# `python -m hotline.simulate.sipp`) is what the README's SIPp call plays. The files are checked in; run this
# again after changing the text, then the pcap command, and commit all three.
# Needs the Debian packages espeak-ng and sox:  apt-get install -y espeak-ng sox
set -euo pipefail
cd "$(dirname "$0")"
TEXT="喂，你好。我刚才看到电视上的颈椎按摩仪，想订购一台，货到付款可以吗？"
espeak-ng -v cmn-latn-pinyin -s 150 -w /tmp/hotline-customer-raw.wav "$TEXT"
# A second of quiet after the words, so the sentence repeats with a pause when looped.
sox /tmp/hotline-customer-raw.wav -r 8000 -c 1 -b 16 customer.wav pad 0 1
rm -f /tmp/hotline-customer-raw.wav
echo "wrote $(pwd)/customer.wav: $(soxi -D customer.wav) s"
