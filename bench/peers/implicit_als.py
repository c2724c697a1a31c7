"""The peer of `npm run bench:train`: times `implicit`'s CPU iALS (conjugate gradient) on the very matrix the
TypeScript trainer was timed on, written by the benchmark as raw little-endian arrays:

  <dir>/meta.json    {"rows", "cols", "factors", "iterations", "regularization", "threads", "seed"}
  <dir>/indptr.bin   int32, rows + 1
  <dir>/indices.bin  int32, nnz (item per entry)
  <dir>/conf.bin     float32, nnz — the confidences c = 1 + alpha * t(value) the TS trainer uses; `implicit`
                     takes its matrix values as c, so alpha stays 1 here.

Prints one JSON line: seconds per iteration, the fit's wall time, and the process's peak RSS.
Usage: python bench/peers/implicit_als.py <dir>
"""

import json
import os
import resource
import sys
import time

# implicit parallelises over rows itself; a multi-threaded BLAS underneath would oversubscribe the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from implicit.cpu.als import AlternatingLeastSquares  # noqa: E402


def main(folder: str) -> None:
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)
    indptr = np.fromfile(os.path.join(folder, "indptr.bin"), dtype="<i4")
    indices = np.fromfile(os.path.join(folder, "indices.bin"), dtype="<i4")
    conf = np.fromfile(os.path.join(folder, "conf.bin"), dtype="<f4")
    user_items = sp.csr_matrix((conf, indices, indptr), shape=(meta["rows"], meta["cols"]))
    model = AlternatingLeastSquares(
        factors=meta["factors"],
        regularization=meta["regularization"],
        alpha=1.0,
        iterations=meta["iterations"],
        use_cg=True,
        calculate_training_loss=False,
        num_threads=meta["threads"],
        random_state=meta["seed"],
    )
    per_iteration = []
    started = time.perf_counter()
    model.fit(user_items, show_progress=False, callback=lambda _it, secs, _loss: per_iteration.append(secs))
    fit_seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "perIteration": per_iteration,
                "fitSeconds": fit_seconds,
                "peakRssMiB": peak_kib / 1024,
                "implicit": __import__("implicit").__version__,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
