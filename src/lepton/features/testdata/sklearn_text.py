#!/usr/bin/env python3
"""Reference output of scikit-learn's text vectorizers for features_test.

Usage: sklearn_text.py CSV COLUMN OUT SPEC [OUT SPEC ...]
SPEC is "tfidf" or "hash", then optionally ",key=value" options (ngram_max, min_df, max_df,
sublinear_tf, n_bits). Reads COLUMN of CSV (empty cells as ""), fits TfidfVectorizer (or
HashingVectorizer) for each SPEC (one python start for all: importing sklearn is the slow part)
and writes each OUT:
  line 1: the number of columns; for tfidf, line 2: the vocabulary (space-joined, terms with
  spaces written with \x01); then one line per stored entry: "row col value" (repr of float64).
"""
import csv
import sys

from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer


def main(argv):
    path, column = argv[1:3]
    with open(path, encoding="utf-8", newline="") as fh:
        docs = [row[column] for row in csv.DictReader(fh)]
    for out, spec in zip(argv[3::2], argv[4::2]):
        kind, *rest = spec.split(",")
        write(docs, kind, dict(a.split("=", 1) for a in rest), out)


def write(docs, kind, opts, out):
    ngram = (1, int(opts.get("ngram_max", "1")))
    if kind == "tfidf":
        def df(v):
            return float(v) if "." in v else int(v)
        vec = TfidfVectorizer(ngram_range=ngram, min_df=df(opts.get("min_df", "1")),
                              max_df=df(opts.get("max_df", "1.0")),
                              sublinear_tf=opts.get("sublinear_tf", "0") == "1")
        x = vec.fit_transform(docs).tocsr()
        vocab = vec.get_feature_names_out()
    else:
        x = HashingVectorizer(n_features=2 ** int(opts.get("n_bits", "10")),
                              ngram_range=ngram).transform(docs).tocsr()
        vocab = None
    x.sort_indices()
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(f"{x.shape[1]}\n")
        if vocab is not None:
            fh.write(" ".join(t.replace(" ", "\x01") for t in vocab) + "\n")
        for r in range(x.shape[0]):
            for k in range(x.indptr[r], x.indptr[r + 1]):
                if x.data[k] != 0:
                    fh.write(f"{r} {x.indices[k]} {x.data[k]!r}\n")


if __name__ == "__main__":
    main(sys.argv)
