#!/usr/bin/env python3
"""Mutation smoke test for the readers (developers; not run by CI).

Makes damaged copies of the demo month (sheet XML edited at random inside .xlsx/.ods, random
bytes changed in .xls/.csv), runs `yuebao validate` on all of them at once, and fails if the
tool itself fails (exit code 2 or a signal) instead of rejecting the damaged files one by one.

    python3 scripts/fuzz-inputs.py [--count N] [--seed S] [--bin target/debug/yuebao]
"""
import argparse, json, pathlib, random, subprocess, sys, tempfile, zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def mutate_text(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        a = rng.randrange(len(b))
        e = min(len(b), a + rng.randint(1, 60))
        op = rng.random()
        if op < 0.3:
            del b[a:e]
        elif op < 0.6:
            b[a:a] = b[a:e]
        else:
            b[a:e] = bytes(rng.choice(b"0123456789<>\"/=-.eE") for _ in range(e - a))
    return bytes(b)


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100, help="mutants per sample file")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bin", default=str(ROOT / "target/debug/yuebao"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    samples = sorted(p for p in (ROOT / "sample-data").iterdir() if p.suffix in {".xlsx", ".xls", ".csv"})
    samples.append(ROOT / "tests/fixtures/371321-沂南县-2026-10.ods")
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp)
        for src in samples:
            for i in range(args.count):
                dst = out / f"{src.stem}-{i:04}{src.suffix}"
                if src.suffix in {".xlsx", ".ods"}:
                    with zipfile.ZipFile(src) as z:
                        parts = {n: z.read(n) for n in z.namelist()}
                    xml = [n for n in parts if n.endswith(".xml")]
                    target = rng.choice(xml)
                    parts[target] = mutate_text(parts[target], rng)
                    with zipfile.ZipFile(dst, "w") as z:
                        for n, d in parts.items():
                            z.writestr(n, d)
                else:
                    dst.write_bytes(mutate_bytes(src.read_bytes(), rng))
        run = subprocess.run([args.bin, "validate", str(out), "--format", "json"], capture_output=True, text=True)
        if run.returncode not in (0, 1):
            print(f"tool failed with exit code {run.returncode}\n{run.stderr[-2000:]}")
            return 1
        summary = json.loads(run.stdout)["summary"]
        panics = run.stderr.count("内部错误")
        print(f"{summary['files']} damaged files: {summary['rejected']} rejected, {summary['accepted']} accepted, "
              f"{panics} reader panics caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
