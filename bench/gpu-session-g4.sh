#!/usr/bin/env bash
# GPU session G, call 4 (the device tool's single H200): the whole SFT, merge and serve GPU test
# modules under the current defaults (autocast LoRA, compiled MLP + norms).
STEP_TAIL=4
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-g4
(cd python && step test_sft 200 python3 -m unittest discover -s tests -p test_sft.py -v)
(cd python && step test_merge_lora 40 python3 -m unittest discover -s tests -p test_merge_lora.py -v)
(cd python && step test_serve 60 python3 -m unittest discover -s tests -p test_serve.py -v)
