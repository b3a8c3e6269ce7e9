#!/usr/bin/env python3
"""Writes a db-benchmark-style group-by CSV: id1..id3 strings, id4..id6 integers, v1, v2 integers,
v3 double. Deterministic (fixed seed). Usage: gen_csv.py ROWS OUT.csv"""
import random
import sys

rows = int(sys.argv[1])
out = sys.argv[2]
rng = random.Random(42)
k = 100  # groups per id column, as db-benchmark's K
n_big = max(rows // k, 1)
with open(out, "w", buffering=1 << 22) as f:
    f.write("id1,id2,id3,id4,id5,id6,v1,v2,v3\n")
    chunk = []
    r = rng.randint
    for i in range(rows):
        chunk.append("id%03d,id%03d,id%010d,%d,%d,%d,%d,%d,%.6f\n" % (
            r(1, k), r(1, k), r(1, n_big), r(1, k), r(1, k), r(1, n_big),
            r(1, 5), r(1, 15), rng.random() * 100))
        if len(chunk) == 100000:
            f.write("".join(chunk))
            chunk.clear()
    f.write("".join(chunk))
