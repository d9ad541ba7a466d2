#!/usr/bin/env python3
"""Runs DpBert's BERT benchmark and the PyTorch anchor (../shared/bench/torch_bert.py) side by side.

For every shape both sides run `--rounds` times, alternating, in this one sitting; the best median of
each side is kept (PyTorch with 1 and 2 threads, OpenBLAS free to pick its AVX-512 kernels, as the
anchor's header recommends) and the ratio ours / PyTorch is printed.

  python3 tests/DpBert.Benchmarks/side_by_side.py            # from the repository root
Needs: dotnet, Debian's python3-torch and libopenblas0-pthread.
"""
import argparse, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TORCH = os.path.join(os.path.dirname(ROOT), "shared", "bench", "torch_bert.py")
BENCH_DLL = os.path.join(ROOT, "tests", "DpBert.Benchmarks", "bin", "Release", "net10.0", "DpBert.Benchmarks.dll")

def anchor_env():
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env

def torch_ms(shape, batch, seq, threads, train):
    cmd = ["/usr/bin/python3", TORCH, "--shape", shape, "--batch", str(batch), "--seq", str(seq), "--threads", str(threads)]
    if train:
        cmd.append("--train")
    out = subprocess.run(cmd, env=anchor_env(), check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["median_ms"]

def ours_ms(shape, batch, seq, backend, train=False):
    if train:
        cmd = ["dotnet", BENCH_DLL, "train", "--shape", shape, "--batch", str(batch), "--seq", str(seq)]
        env = anchor_env()
        env["DPBERT_BLAS"] = backend
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        line = [l for l in out.splitlines() if l.startswith("JSON ")][-1]
        return json.loads(line[5:])["median_ms"]
    cmd = ["dotnet", BENCH_DLL, "bert", "--shape", shape, "--batch", str(batch), "--seq", str(seq), "--backend", backend]
    out = subprocess.run(cmd, env=anchor_env(), check=True, capture_output=True, text=True).stdout
    line = [l for l in out.splitlines() if l.startswith("JSON ")][-1]
    return json.loads(line[5:])["median_ms"]

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--shapes", default="base:1:128,base:8:128,mini:1:128,mini:32:64:train",
                   help="shape:batch:seq[:train], comma-separated")
    args = p.parse_args()
    subprocess.run(["dotnet", "build", "-c", "Release", os.path.join(ROOT, "tests", "DpBert.Benchmarks")], check=True, capture_output=True)
    print(f"{'shape':<16} {'ours managed':>13} {'ours openblas':>14} {'pytorch best':>13} {'ratio':>7}")
    for spec in args.shapes.split(","):
        parts = spec.split(":")
        shape, batch, seq = parts[0], int(parts[1]), int(parts[2])
        train = len(parts) > 3 and parts[3] == "train"
        managed, openblas, torch = [], [], []
        for _ in range(args.rounds):
            managed.append(ours_ms(shape, batch, seq, "managed", train))
            openblas.append(ours_ms(shape, batch, seq, "openblas", train))
            torch.append(min(torch_ms(shape, batch, seq, 1, train), torch_ms(shape, batch, seq, 2, train)))
        ours = min(min(managed), min(openblas))
        label = f"{shape}:{batch}x{seq}" + (" train" if train else "")
        print(f"{label:<16} {min(managed):>10.1f} ms {min(openblas):>11.1f} ms {min(torch):>10.1f} ms {ours / min(torch):>7.2f}", flush=True)
        print("JSON " + json.dumps({"shape": shape, "batch": batch, "seq": seq, "mode": "train" if train else "infer", "ours_managed_ms": min(managed),
                                    "ours_openblas_ms": min(openblas), "pytorch_ms": min(torch),
                                    "ratio": ours / min(torch), "rounds": args.rounds}), flush=True)

if __name__ == "__main__":
    sys.exit(main())
