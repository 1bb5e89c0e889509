#!/usr/bin/env python3
"""Check that a held-out evaluation CSV shares no sentence with its training/tuning CSV.

usage: scripts/check-split.py TRAIN.csv TEST.csv [COLUMN [LABEL_COLUMN]]

Texts are compared after lower-casing, dropping apostrophes and turning every other
non-alphanumeric character into a space. A test row is reported when, for a training row
(of the same label, when a label column is given):
  - the two are equal;
  - both have three words or more and one word inserted, deleted or replaced turns one
    into the other;
  - one is a run of words inside the other, at least two words long, with at most two
    words added around it ("power cut" inside "power cut again");
  - both have three words or more and half or more of their character 4-grams are shared
    (Jaccard >= 0.5: "what's my account number" ~ "What is my account number?").
It also reports texts that occur twice in the test file. Exits 1 when anything is found.
Standard library only; used by `make eval` before it measures anything.
"""
import csv
import re
import sys


def words(text):
    return re.sub(r"[^a-z0-9]+", " ", re.sub(r"['\u2019]", "", text.lower())).split()


def one_edit(a, b):
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def inside(a, b):
    return any(b[i:i + len(a)] == a for i in range(len(b) - len(a) + 1))


def grams(w):
    t = " " + " ".join(w) + " "
    return {t[i:i + 4] for i in range(len(t) - 3)}


def near(a, b):
    if a == b:
        return "same"
    if min(len(a), len(b)) >= 3 and one_edit(a, b):
        return "one word apart"
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 2 and len(long_) - len(short) <= 2 and inside(short, long_):
        return "contained"
    if min(len(a), len(b)) >= 3:
        ga, gb = grams(a), grams(b)
        if len(ga & gb) >= 0.5 * len(ga | gb):
            return "similar wording"
    return None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    col = sys.argv[3] if len(sys.argv) > 3 else "text"
    lab = sys.argv[4] if len(sys.argv) > 4 else None
    with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
        train = [(words(r[col]), r.get(lab) if lab else None, r[col]) for r in csv.DictReader(f)]
    with open(sys.argv[2], newline="", encoding="utf-8-sig") as f:
        test = list(csv.DictReader(f))
    found = 0
    seen = {}
    for r in test:
        w = words(r[col])
        key = " ".join(w)
        if key in seen:
            print(f"{sys.argv[2]}: twice in the test file: {r[col]!r}")
            found += 1
        seen[key] = True
        for tw, tl, ttext in train:
            if lab and tl != r[lab]:
                continue
            why = near(w, tw)
            if why:
                print(f"{sys.argv[2]}: {why}: {r[col]!r} ~ {ttext!r}")
                found += 1
    print(f"{sys.argv[2]}: {len(test)} rows, {found} overlapping with {sys.argv[1]}")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
