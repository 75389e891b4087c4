#!/usr/bin/python3
"""scikit-learn peer of the mixem benchmark: one fit, one JSON line on stdout.

    /usr/bin/python3 bench/peers/sklearn_peer.py DATA HEADER START full|diag fixed|defaults ITERATIONS

fixed:    GaussianMixture(K, covariance_type, tol=0, max_iter=T, reg_covar=1e-6,
          weights_init, means_init, precisions_init) from the shared start.
          init_params="random_from_data" only keeps the (discarded) automatic
          start cheap: scikit-learn estimates one from `resp` even when all three
          *_init are given, then overwrites it with them.
defaults: GaussianMixture(K, covariance_type, random_state=0): k-means start,
          tol 1e-3, max_iter 100, reg_covar 1e-6.

The timed region is `fit` only (iterationSeconds: iterations 2..T, from a
per-iteration hook); the final mean log-likelihood is `score(X)`
(mean log p(x) at the final parameters), computed afterwards.
"""
import gc
import json
import os
import resource
import sys
import time
import warnings


def memory_mib():
    rss = peak = None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return rss, peak


def main(argv):
    data_path, header_path, start_path, covariance, mode, iterations = argv[:6]
    iterations = int(iterations)
    import numpy as np
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    blas = []
    try:
        from threadpoolctl import threadpool_info

        blas = [
            {key: pool.get(key) for key in ("internal_api", "version", "architecture", "num_threads", "threading_layer")}
            for pool in threadpool_info()
        ]
    except Exception:  # threadpoolctl is optional
        pass
    baseline, _ = memory_mib()

    with open(header_path) as f:
        header = json.load(f)
    with open(start_path) as f:
        start = json.load(f)
    n, d, k = header["n"], header["d"], header["k"]
    X = np.fromfile(data_path, dtype="<f8")
    if X.size != n * d:
        raise SystemExit(f"{data_path}: {X.size} values, expected {n}x{d}")
    X = X.reshape(n, d)

    if mode == "fixed":
        weights = np.asarray(start["weights"], dtype=float)
        means = np.asarray(start["means"], dtype=float)
        if covariance == "full":
            precision = np.linalg.inv(np.asarray(start["covariance"], dtype=float))
            precision = (precision + precision.T) / 2
            precisions = np.repeat(precision[np.newaxis], k, axis=0)
        else:
            precisions = np.repeat((1.0 / np.asarray(start["variances"], dtype=float))[np.newaxis], k, axis=0)
        model = GaussianMixture(
            n_components=k,
            covariance_type=covariance,
            tol=0.0,
            max_iter=iterations,
            reg_covar=1e-6,
            init_params="random_from_data",
            weights_init=weights,
            means_init=means,
            precisions_init=precisions,
            random_state=0,
        )
    else:
        model = GaussianMixture(n_components=k, covariance_type=covariance, random_state=0)

    # scikit-learn calls this hook at the end of every iteration (E-step then
    # M-step), whatever `verbose` is: its time stamps give the steady-state
    # cost of one iteration (iterations 2..T), free of setup.
    stamps = []
    model._print_verbose_msg_iter_end = lambda n_iter, change: stamps.append(time.perf_counter())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gc.collect()  # as the mixem runner: the timed region starts after a full collection
        t0 = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - t0
    if len(stamps) >= 2:
        iteration_seconds = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    else:
        iteration_seconds = seconds / max(1, len(stamps))
    log_likelihood = float(model.score(X))
    _, peak = memory_mib()

    record = {
        "tool": "sklearn",
        "case": header["id"],
        "covariance": covariance,
        "mode": mode,
        "seconds": seconds,
        "iterationSeconds": iteration_seconds,
        "iterations": int(model.n_iter_),
        "exactIterations": True,
        "converged": bool(model.converged_),
        "logLikelihood": log_likelihood,
        "baselineRssMiB": baseline,
        "peakRssMiB": peak,
        "info": {
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
            "blas": blas,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        },
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main(sys.argv[1:])
