"""How long the exhaustive Simon design search takes (target: under 2 s per design at nmax = 100).

Run on purpose: `.venv/bin/python benchmarks/bench_simon.py`. Prints one line per (p0, p1, alpha, beta).
"""

from __future__ import annotations

import time

from oncobasket.core.simon import design, operating_characteristics

CASES = [
    (0.05, 0.25, 0.10, 0.10, 100),
    (0.10, 0.30, 0.05, 0.20, 100),
    (0.10, 0.30, 0.10, 0.10, 100),
    (0.20, 0.40, 0.05, 0.10, 100),
    (0.30, 0.50, 0.05, 0.10, 100),
    (0.20, 0.35, 0.05, 0.05, 100),
    (0.40, 0.55, 0.05, 0.10, 100),
    (0.20, 0.35, 0.05, 0.05, 150),
    (0.20, 0.35, 0.05, 0.05, 200),
]


def main() -> None:
    print(f"{'p0':>5} {'p1':>5} {'alpha':>6} {'beta':>5} {'nmax':>5}  {'optimal':>14} {'minimax':>14} {'seconds':>8}")
    slowest = 0.0
    for p0, p1, alpha, beta, nmax in CASES:
        start = time.perf_counter()
        found = design(p0, p1, alpha, beta, nmax)
        elapsed = time.perf_counter() - start
        if nmax == 100:
            slowest = max(slowest, elapsed)
        print(
            f"{p0:>5} {p1:>5} {alpha:>6} {beta:>5} {nmax:>5}  {found.optimal.rule:>14} {found.minimax.rule:>14} "
            f"{elapsed:>8.3f}"
        )
    print(f"slowest design at nmax = 100: {slowest:.3f} s (target < 2 s)")

    repeats = 2000
    start = time.perf_counter()
    for index in range(repeats):
        operating_characteristics(0, 8, 4, 24, (index % 99 + 1) / 100)
    elapsed = time.perf_counter() - start
    print(f"operating_characteristics(0/8, 4/24): {repeats / elapsed:,.0f} evaluations per second")


if __name__ == "__main__":
    main()
