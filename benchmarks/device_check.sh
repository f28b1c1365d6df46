#!/usr/bin/env bash
# The GPU checks of issues 10 and 11, as one prepared run on the accelerator machine (the
# `device` tool of sessions that are lent one). That machine has Python 3.12 with a CUDA torch,
# numpy, pandas, matplotlib, PyYAML and OpenCV, but not gymnasium, ale-py, jsonschema or psutil: they
# travel as wheels in .whl/ (about 4 MB). SUMO's wheels (240 MB) are over the 64 MiB a call
# carries, so traffic is not measured there.
#
#   here, once per session:  benchmarks/device_check.sh --fetch-wheels
#   then device.run with carry [".whl"], timeout_s 540 and the command
#                            bash benchmarks/device_check.sh
#
# What it runs there, each step's output in $OUT (about 6 minutes):
#   tests.txt      the CUDA tests (image models against the CPU; a GPU run stopped, resumed and
#                  finished for warehouse FNN1/IAM and flickering Breakout FNN4/IAM)
#   train_*.txt    bench_training.py --device cuda: warehouse (every model), Breakout (FNN4, IAM)
#   models.txt     bench_image_models.py --device cuda (per-call cost of the image policies)
#   share.txt      N = 1, 2, 4 warehouse FNN1 runs at once on the one GPU: transitions/s of each
set -u
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--fetch-wheels" ]]; then
    grep -qxs '/.whl/' .git/info/exclude || echo '/.whl/' >> .git/info/exclude
    exec python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
        gymnasium==1.4.0 farama-notifications==0.0.6 ale-py==0.12.1 jsonschema==4.26.0 \
        jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1 \
        psutil==7.2.2
fi

OUT="${OUT:-/tmp/device-check}"
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="$PWD/src:$PWD/benchmarks:/tmp/site" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" 2>&1
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" >> "$OUT/gpu.txt"

timeout 120 python3 -m pytest -q -p no:cacheprovider tests/unit/test_image_models.py \
    tests/unit/test_device.py -k "cuda or gpu" > "$OUT/tests.txt" 2>&1
timeout 150 python3 benchmarks/bench_training.py --device cuda --steps 2048 \
    > "$OUT/train_warehouse.txt" 2>&1
timeout 150 python3 benchmarks/bench_training.py --device cuda --experiment breakout_flicker \
    --models FNN4 IAM --steps 1024 > "$OUT/train_breakout.txt" 2>&1
timeout 60 python3 benchmarks/bench_image_models.py --device cuda --seconds 2 \
    > "$OUT/models.txt" 2>&1
for n in 1 2 4; do
    echo "== $n runs at once" >> "$OUT/share.txt"
    for _ in $(seq "$n"); do
        timeout 120 python3 benchmarks/bench_training.py --device cuda --models FNN1 \
            --steps 2048 >> "$OUT/share.txt" 2>&1 &
    done
    wait
done
tail -n +1 "$OUT"/*.txt
