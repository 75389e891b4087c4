"""Generate scikit-learn GaussianMixture reference fixtures for mixem.

What it does
------------
Reads the reference datasets ``data/faithful.csv`` (R's ``faithful``) and
``data/iris.csv`` (sklearn's bundled ``load_iris()``, 4 numeric features),
draws synthetic datasets from known mixtures (one per covariance type), fits
``sklearn.mixture.GaussianMixture`` from an explicit, deterministic start and
writes one JSON fixture per case into ``test/fixtures/sklearn/``
(file name ``<dataset>-<covariance>-k<K>.json``).

For every case:

* start weights are uniform (1/K);
* start means are K distinct data rows at indices drawn by
  ``np.random.default_rng(seed).choice(n, K, replace=False)`` (re-drawn with
  the same generator until the chosen rows have distinct values);
* start covariances are the whole-data covariance ``np.cov(X.T, bias=True)``
  (divide by n) in the sklearn shape of the covariance type: full -> K copies
  of the DxD matrix, tied -> the DxD matrix, diag -> K copies of its diagonal,
  spherical -> K copies of the mean of its diagonal;
* the fit is ``GaussianMixture(n_components=K, covariance_type=T, tol=0,
  max_iter=25, n_init=1, reg_covar=1e-6, weights_init=..., means_init=...,
  precisions_init=<inverse of the start covariances>, init_params='kmeans',
  random_state=0)``. With tol=0 sklearn never declares convergence, so exactly
  25 EM iterations (E-step + M-step) run, ``n_iter_ == 25`` and
  ``converged_ is False``; the ConvergenceWarning is suppressed.

Synthetic data (``synthetic-<T>``, n=400, d=3, K=3): drawn with
``np.random.default_rng(seed)`` from a known mixture whose covariance
structure is of type T; the start indices are then drawn from the *same*
generator, continuing after the data draws.

Floats are written with full float64 precision (Python ``repr``, which
round-trips exactly). Note: ``result.lowerBound`` is sklearn's
``lower_bound_``, i.e. the mean log-likelihood computed in the E-step of the
last iteration (parameters after 24 M-steps), while ``result.score`` is the
mean log-likelihood at the final parameters.

How to run
----------
From the repository root::

    /usr/bin/python3 scripts/make-fixtures.py

Requires numpy and scikit-learn (Debian: ``apt-get install python3-sklearn``).
The output is deterministic for fixed numpy / scikit-learn versions.
"""

import json
import os
import platform
import sys
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "data")
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "sklearn")
SCRIPT = "scripts/make-fixtures.py"

ITERATIONS = 25
REG_COVAR = 1e-6
COV_TYPES = ("full", "tied", "diag", "spherical")


# --------------------------------------------------------------------------
# data


DEFAULT_TOL = 1e-3


def read_csv(name):
    path = os.path.join(DATA_DIR, name)
    with open(path) as f:
        header = f.readline().strip().split(",")
        rows = [[float(v) for v in line.strip().split(",")] for line in f if line.strip()]
    return header, np.array(rows, dtype=np.float64)


def random_rotation(rng, d):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))  # Haar-distributed orthogonal matrix


def synthetic(cov_type, rng, n=400, d=3, k=3):
    """Draw n points from a known K-component mixture of covariance type T."""
    weights = np.array([0.45, 0.35, 0.20])
    # moderately overlapping means: roughly 2.5-3.5 sd apart
    means = np.array([[0.0, 0.0, 0.0], [3.0, 1.0, -1.0], [0.5, 3.0, 1.5]])
    if cov_type == "full":
        covs = []
        for _ in range(k):
            rot = random_rotation(rng, d)
            ev = rng.uniform(0.3, 2.0, size=d)
            covs.append(rot @ np.diag(ev) @ rot.T)
        covs = np.array(covs)
    elif cov_type == "tied":
        rot = random_rotation(rng, d)
        ev = rng.uniform(0.3, 2.0, size=d)
        shared = rot @ np.diag(ev) @ rot.T
        covs = np.array([shared] * k)
    elif cov_type == "diag":
        covs = np.array([np.diag(rng.uniform(0.3, 2.0, size=d)) for _ in range(k)])
    elif cov_type == "spherical":
        covs = np.array([np.eye(d) * rng.uniform(0.4, 1.5) for _ in range(k)])
    else:
        raise ValueError(cov_type)
    labels = rng.choice(k, size=n, p=weights)
    x = np.empty((n, d))
    for j in range(k):
        idx = np.flatnonzero(labels == j)
        x[idx] = rng.multivariate_normal(means[j], covs[j], size=idx.size)
    return x


# --------------------------------------------------------------------------
# start


def start_params(x, k, cov_type, rng):
    n, d = x.shape
    while True:
        idx = rng.choice(n, size=k, replace=False)
        if len({tuple(x[i]) for i in idx}) == k:
            break
    weights = np.full(k, 1.0 / k)
    means = x[idx].copy()
    cov = np.atleast_2d(np.cov(x.T, bias=True))
    if cov_type == "full":
        covs = np.array([cov] * k)
        precs = np.array([np.linalg.inv(cov)] * k)
    elif cov_type == "tied":
        covs = cov
        precs = np.linalg.inv(cov)
    elif cov_type == "diag":
        covs = np.array([np.diag(cov)] * k)
        precs = 1.0 / covs
    elif cov_type == "spherical":
        covs = np.full(k, np.mean(np.diag(cov)))
        precs = 1.0 / covs
    else:
        raise ValueError(cov_type)
    return idx, weights, means, covs, precs


# --------------------------------------------------------------------------
# JSON output (compact numeric rows, full float64 precision)


def to_json(obj, indent=0):
    pad = "  " * indent
    if isinstance(obj, dict):
        items = [
            f'{pad}  {json.dumps(key)}: {to_json(val, indent + 1)}' for key, val in obj.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (list, dict)) for v in obj):
            return "[" + ", ".join(to_json(v) for v in obj) + "]"
        items = [f"{pad}  {to_json(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(obj, float) and not np.isfinite(obj):
        raise ValueError("non-finite float in fixture")
    # json.dumps(float) uses float.__repr__: shortest string that round-trips
    return json.dumps(obj, allow_nan=False)


def py(a):
    """numpy -> plain Python (floats stay float64-exact, ints stay int)."""
    return np.asarray(a).tolist()


# --------------------------------------------------------------------------


def run_case(name, dataset, x, cov_type, k, seed, rng):
    idx, weights, means, covs, precs = start_params(x, k, cov_type, rng)

    def fitted(tol, max_iter):
        gm = GaussianMixture(
            n_components=k,
            covariance_type=cov_type,
            tol=tol,
            max_iter=max_iter,
            n_init=1,
            reg_covar=REG_COVAR,
            weights_init=weights,
            means_init=means,
            precisions_init=precs,
            init_params="kmeans",
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return gm.fit(x)

    gm = fitted(0, ITERATIONS)
    # The same start with scikit-learn's default stopping rule (tol=1e-3, at
    # most 100 iterations): where it stops, and what it returns there.
    stopped = fitted(DEFAULT_TOL, 100)
    fixture = {
        "name": name,
        "generator": {
            "script": SCRIPT,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "sklearn": sklearn.__version__,
            "seed": seed,
        },
        "dataset": dataset,
        "covariance": cov_type,
        "components": k,
        "regularization": REG_COVAR,
        "iterations": ITERATIONS,
        "data": py(x),
        "start": {"weights": py(weights), "means": py(means), "covariances": py(covs)},
        "result": {
            "weights": py(gm.weights_),
            "means": py(gm.means_),
            "covariances": py(gm.covariances_),
            "scoreSamples": py(gm.score_samples(x)),
            "predict": [int(v) for v in gm.predict(x)],
            "predictProba": py(gm.predict_proba(x)),
            "score": float(gm.score(x)),
            "bic": float(gm.bic(x)),
            "aic": float(gm.aic(x)),
            "lowerBound": float(gm.lower_bound_),
            "nIter": int(gm.n_iter_),
            "converged": bool(gm.converged_),
        },
        "defaultTolerance": {
            "tolerance": DEFAULT_TOL,
            "weights": py(stopped.weights_),
            "means": py(stopped.means_),
            "covariances": py(stopped.covariances_),
            "lowerBound": float(stopped.lower_bound_),
            "nIter": int(stopped.n_iter_),
            "converged": bool(stopped.converged_),
        },
    }
    path = os.path.join(OUT_DIR, name + ".json")
    with open(path, "w") as f:
        f.write(to_json(fixture) + "\n")
    print(
        f"{name:28s} n={x.shape[0]:3d} d={x.shape[1]} start rows={py(idx)} "
        f"nIter={gm.n_iter_} score={gm.score(x):.6f} weights={np.round(gm.weights_, 4).tolist()}"
    )


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    _, faithful = read_csv("faithful.csv")
    _, iris = read_csv("iris.csv")

    cases = []  # (name, dataset, data, covariance type, K, seed)
    for i, t in enumerate(COV_TYPES):
        cases.append((f"faithful-{t}-k2", "faithful", faithful, t, 2, 100 + i))
    cases.append(("faithful-full-k1", "faithful", faithful, "full", 1, 110))
    cases.append(("faithful-waiting-full-k2", "faithful", faithful[:, [1]], "full", 2, 111))
    for i, t in enumerate(COV_TYPES):
        cases.append((f"iris-{t}-k3", "iris", iris, t, 3, 200 + i))

    for name, dataset, x, t, k, seed in cases:
        run_case(name, dataset, x, t, k, seed, np.random.default_rng(seed))

    for i, t in enumerate(COV_TYPES):
        seed = 300 + i
        rng = np.random.default_rng(seed)
        x = synthetic(t, rng)
        run_case(f"synthetic-{t}-k3", f"synthetic-{t}", x, t, 3, seed, rng)

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, sklearn {sklearn.__version__}")


if __name__ == "__main__":
    main()
