"""Time 30 worksheet + answer-key pairs of the 2-2-2 exercise: TeX runs one at a time, then in parallel.

Run:  python benchmarks/bench_worksheets.py [--pairs 30] [--workers 2] [--seed 1]

Both builds compile the same 60 documents with derive.io.texrun.compile_many, in one run of this
script, so the ratio compares like with like; it also checks the two builds gave identical bytes.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from derive.io.texrun import compile_many
    from derive.classroom.variants import generate_variants
    from derive.classroom.worksheet import key_body, latex_document, variant_stem, worksheet_body

    start = time.perf_counter()
    variants = generate_variants("2-2-2-exercise", args.pairs, args.seed)
    drawn = time.perf_counter()
    documents = []
    for v in variants.variants:
        stem = variant_stem(v.index, args.pairs)
        documents.append((latex_document([worksheet_body(v, variants.questions, variants.decimals)]),
                          f"{stem}-worksheet.pdf"))
        documents.append((latex_document([key_body(v, variants.questions, variants.decimals)]),
                          f"{stem}-key.pdf"))
    rendered = time.perf_counter()
    print(f"{variants.report()}")
    print(f"draw + answers: {drawn - start:.2f} s; render {len(documents)} LaTeX documents: {rendered - drawn:.2f} s")
    print(f"cores: {os.cpu_count()}")

    timings, outputs = {}, {}
    for workers in (1, args.workers):
        with tempfile.TemporaryDirectory(prefix="bench-worksheets-") as folder:
            jobs = [(tex, pathlib.Path(folder) / name) for tex, name in documents]
            t0 = time.perf_counter()
            paths = compile_many(jobs, workers=workers, progress=False)
            timings[workers] = time.perf_counter() - t0
            outputs[workers] = [p.read_bytes() for p in paths]
        print(f"workers={workers}: {timings[workers]:.1f} s for {len(documents)} PDFs "
              f"({timings[workers] / len(documents):.2f} s per PDF)")
    same = outputs[1] == outputs[args.workers]
    print(f"speed-up (workers=1 / workers={args.workers}): {timings[1] / timings[args.workers]:.2f}x; "
          f"identical PDFs: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
