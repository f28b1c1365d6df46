"""Which float kernels give different bits on different CPUs: one digest per operation.

    .venv/bin/python benchmarks/kernel_portability.py [--caps avx2|compatible] [--emulate CPU]
        [--save FILE | --compare FILE]

Runs the operations a training run is made of (matrix products of the models' shapes, the
activations, softmax, the LSTM, TF-style Adam's square root, a Nature-CNN convolution, numpy's
exp and log) on fixed inputs, on one thread, and prints the SHA-256 of each result. Run it on
two machines (or here and under emulation) and compare: an operation whose digest differs is a
kernel that chooses its code by the CPU.

- ``--caps`` sets the math libraries' instruction-set caps before torch is imported:
  ``avx2`` = MKL_CBWR=AVX2, ONEDNN_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2 and numpy's
  AVX-512 dispatch off; ``compatible`` = the same with MKL_CBWR=COMPATIBLE (SSE2 code).
- ``--emulate CPU`` runs the probe under ``qemu-x86_64 -cpu CPU`` (Debian's qemu-user; e.g.
  Haswell for an Intel AVX2 CPU, EPYC-Rome for an AMD one): the libraries then see that CPU's
  vendor and features, so one machine can check what another kind would compute. About a
  minute, most of it importing torch under emulation.

Findings (2026-12-06; docs/numerics.md) are why the pipeline trains in native numerics.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

CAPS = {
    "avx2": {
        "MKL_CBWR": "AVX2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "ATEN_CPU_CAPABILITY": "avx2",
        # numpy 2.x names its AVX-512 dispatch targets so (numpy.show_config(): SIMD Extensions).
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    },
}
CAPS["compatible"] = {**CAPS["avx2"], "MKL_CBWR": "COMPATIBLE"}

# (rows, inner, columns) of the models' products: a rollout step (8 workers), a minibatch
# (64-256 rows), warehouse (73 inputs, 640 hidden, 9 actions) and traffic (584 inputs).
GEMM_SHAPES = [(8, 73, 640), (64, 73, 640), (256, 640, 256), (8, 256, 9), (64, 584, 640)]


def probe() -> dict[str, str]:
    """Digest of each operation's result (torch and numpy imported here, after the caps)."""
    import numpy as np
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)  # the modules' initial weights
    generator = torch.Generator().manual_seed(0)

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator)

    def digest(value: torch.Tensor | np.ndarray) -> str:
        array = value.detach().contiguous().numpy() if torch.is_tensor(value) else value
        return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]

    found: dict[str, str] = {}
    for m, k, n in GEMM_SHAPES:
        a, w, bias = randn(m, k), randn(n, k), randn(n)
        found[f"linear {m}x{k}x{n}"] = digest(torch.nn.functional.linear(a, w, bias))
        found[f"weight grad {m}x{k}x{n}"] = digest(randn(m, n).t() @ a)
    x = randn(256, 512)
    elementwise = {
        "exp": torch.exp,
        "log": lambda t: torch.log(t.abs() + 1),
        "sqrt (Adam)": lambda t: t.abs().sqrt(),
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "log_softmax": lambda t: torch.log_softmax(t, -1),
        "sum": lambda t: t.sum(0),
    }
    for name, op in elementwise.items():
        found[name] = digest(op(x))
    lstm = torch.nn.LSTM(73, 256)
    out, _ = lstm(randn(8, 16, 73))
    out.sum().backward()
    found["LSTM forward"], found["LSTM weight grad"] = digest(out), digest(lstm.weight_ih_l0.grad)
    found["LSTMCell"] = digest(torch.nn.LSTMCell(73, 64)(randn(16, 73))[0])
    conv = torch.nn.Conv2d(4, 32, 8, 4)
    image = conv(randn(8, 4, 84, 84))
    image.square().sum().backward()
    found["conv forward"], found["conv weight grad"] = digest(image), digest(conv.weight.grad)
    values = np.random.default_rng(0).standard_normal(4096)
    found["numpy exp"], found["numpy log"] = digest(np.exp(values)), digest(np.log1p(values**2))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caps", choices=sorted(CAPS), help="instruction-set caps to apply")
    parser.add_argument("--emulate", metavar="CPU", help="run under qemu-x86_64 -cpu CPU")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--save", type=Path, help="write the digests to this JSON file")
    group.add_argument("--compare", type=Path, help="compare with digests saved earlier")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(probe()))
        return 0

    env = {**os.environ, **CAPS.get(args.caps, {})}
    command = [sys.executable, __file__, "--json"]
    if args.emulate:
        qemu = shutil.which("qemu-x86_64")
        if qemu is None:
            sys.exit("--emulate needs qemu-user: apt-get install qemu-user")
        command = [qemu, "-cpu", args.emulate, *command]
    child = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if child.returncode != 0:
        sys.exit(f"the probe failed:\n{child.stderr[-2000:]}")
    found = json.loads(child.stdout.strip().splitlines()[-1])
    expected = json.loads(args.compare.read_text()) if args.compare else {}
    differ = [name for name in found if name in expected and expected[name] != found[name]]
    for name, value in found.items():
        verdict = "" if name not in expected else ("same" if name not in differ else "DIFFERS")
        print(f"{name:<26} {value}  {verdict}")
    if args.save:
        args.save.write_text(json.dumps(found, indent=1) + "\n")
    if args.compare:
        print(
            f"{len(differ)} of {len(found)} operations differ"
            + (f": {', '.join(differ)}" if differ else "")
        )
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
