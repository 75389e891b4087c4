#!/usr/bin/env Rscript
# Generate R mclust reference fixtures for mixem.
#
# What it writes (into test/fixtures/mclust/):
#
#   select-faithful.json, select-synthetic.json
#       Model selection by BIC: Mclust(X, G = 1:9, modelNames = c("VVV", "EEE",
#       "VVI", "VII")) and, for every (G, model), mclust's BIC, log-likelihood,
#       parameter count and fitted parameters (scikit-learn shapes).
#   synthetic-select.csv
#       The synthetic selection data (also embedded in select-synthetic.json).
#   ssc-iris.json, ssc-synthetic.json
#       Semi-supervised fits: MclustSSC(X, class = <labels with NA>, G = 3,
#       modelNames = m) for m in VVV and EEE, plus an unsupervised
#       Mclust(X, G = 3, modelNames = "VVV") for comparison.
#
# Model names: mixem full = VVV, tied = EEE, diag = VVI, spherical = VII.
# mclust's BIC = 2 log L - p log n (higher is better); mixem's bic() is
# -2 log L + p log n (lower is better), so mixemBic = -bic.
#
# How to run, from the repository root:
#
#     Rscript scripts/make-mclust-fixtures.R
#
# Needs R (made with 4.2) and mclust (made with 6.0.0); nothing else. The
# output is deterministic for fixed R / mclust versions (seeds are below and
# recorded in each file). Floats are written with the fewest significant
# digits (15..17) that read back to the identical double.

suppressPackageStartupMessages(library(mclust))

out_dir <- file.path("test", "fixtures", "mclust")
if (!file.exists(file.path("data", "faithful.csv"))) stop("run from the repository root")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

MODELS <- c(VVV = "full", EEE = "tied", VVI = "diag", VII = "spherical")
MCLUST_VERSION <- as.character(packageVersion("mclust"))
R_VERSION <- paste(R.version$major, R.version$minor, sep = ".")

# ---------------------------------------------------------------------------
# A small JSON writer with exact number formatting.
# Conventions: a length-1 atomic vector is a scalar; a named list is an
# object; an unnamed list or an atomic vector of length != 1 is an array;
# NULL and NA are null. Use arr() for arrays that may have length 1.
# ---------------------------------------------------------------------------
arr <- function(x) as.list(as.vector(x))
rows <- function(m) lapply(seq_len(nrow(m)), function(i) arr(m[i, ]))

fmt_num <- function(x) {
  if (is.na(x)) return("null")
  if (!is.finite(x)) stop("non-finite number in fixture")
  x <- as.double(x)
  for (p in 15:17) {
    s <- sprintf(paste0("%.", p, "g"), x)
    if (as.double(s) == x) return(s)
  }
  s
}
fmt_scalar <- function(x) {
  if (is.null(x)) return("null")
  if (is.factor(x)) x <- as.character(x)
  if (is.logical(x)) return(if (is.na(x)) "null" else if (x) "true" else "false")
  if (is.character(x)) {
    if (is.na(x)) return("null")
    x <- gsub("\\\\", "\\\\\\\\", x)
    x <- gsub("\"", "\\\\\"", x)
    x <- gsub("\n", "\\\\n", x)
    return(paste0("\"", x, "\""))
  }
  fmt_num(x)
}
is_leaf <- function(x) is.null(x) || (is.atomic(x) && length(x) == 1)
to_json <- function(x, indent = 0) {
  pad <- strrep("  ", indent + 1)
  end <- strrep("  ", indent)
  if (is_leaf(x)) return(fmt_scalar(x))
  if (is.atomic(x)) x <- as.list(x)
  if (!is.list(x)) stop("cannot write ", class(x))
  if (!is.null(names(x))) {
    if (length(x) == 0) return("{}")
    parts <- vapply(names(x), function(k) paste0(pad, fmt_scalar(k), ": ", to_json(x[[k]], indent + 1)), "")
    return(paste0("{\n", paste(parts, collapse = ",\n"), "\n", end, "}"))
  }
  if (length(x) == 0) return("[]")
  if (all(vapply(x, function(e) is_leaf(e) && !is.character(e), TRUE))) return(paste0("[", paste(vapply(x, fmt_scalar, ""), collapse = ", "), "]"))
  # Arrays of arrays (rows of a matrix) and of strings: one element per line.
  parts <- vapply(x, function(e) paste0(pad, to_json(e, indent + 1)), "")
  paste0("[\n", paste(parts, collapse = ",\n"), "\n", end, "]")
}
write_json <- function(x, file) {
  writeLines(to_json(x), file.path(out_dir, file))
  cat("wrote", file.path(out_dir, file), "\n")
}
write_csv <- function(X, file) {
  lines <- c(paste(colnames(X), collapse = ","), apply(X, 1, function(r) paste(vapply(r, fmt_num, ""), collapse = ",")))
  writeLines(lines, file.path(out_dir, file))
  cat("wrote", file.path(out_dir, file), "\n")
}

# ---------------------------------------------------------------------------
# Parameters in scikit-learn shapes.
# mclust always fills parameters$variance$sigma (D x D x G), whatever the
# model (also for G = 1, where mvn() fits XII / XXI / XXX).
# ---------------------------------------------------------------------------
sk_params <- function(parameters, model) {
  sigma <- parameters$variance$sigma
  G <- dim(sigma)[3]
  covariance <- switch(MODELS[[model]],
    full = lapply(seq_len(G), function(k) rows(matrix(sigma[, , k], dim(sigma)[1]))),
    tied = rows(matrix(sigma[, , 1], dim(sigma)[1])),
    diag = lapply(seq_len(G), function(k) arr(diag(matrix(sigma[, , k], dim(sigma)[1])))),
    spherical = arr(vapply(seq_len(G), function(k) sigma[1, 1, k], 0))
  )
  list(
    weights = arr(if (is.null(parameters$pro)) 1 else parameters$pro),
    means = rows(t(matrix(parameters$mean, nrow = dim(sigma)[1]))),
    covariances = covariance
  )
}

# Parameter count of a mixem covariance type (mixem's formula).
mixem_npar <- function(type, K, D) {
  cov <- switch(type, full = K * D * (D + 1) / 2, tied = D * (D + 1) / 2, diag = K * D, spherical = K)
  (K - 1) + K * D + cov
}

# Log-likelihood recomputed at given mclust parameters (as a check).
loglik_at <- function(X, model, parameters) {
  G <- length(parameters$pro)
  if (G == 1 || is.null(parameters$pro)) {
    sigma <- matrix(parameters$variance$sigma[, , 1], ncol(X))
    return(sum(mvtnorm_log(X, as.vector(parameters$mean), sigma)))
  }
  sum(dens(data = X, modelName = model, parameters = parameters, logarithm = TRUE))
}
mvtnorm_log <- function(X, mu, S) {
  R <- chol(S)
  Z <- backsolve(R, t(X) - mu, transpose = TRUE)
  -0.5 * colSums(Z^2) - sum(log(diag(R))) - 0.5 * ncol(X) * log(2 * pi)
}

# ---------------------------------------------------------------------------
# Fixture 1: model selection
# ---------------------------------------------------------------------------
select_fixture <- function(name, X, source, data_path, generator = NULL) {
  n <- nrow(X)
  d <- ncol(X)
  G_range <- 1:9
  best_fit <- Mclust(X, G = G_range, modelNames = names(MODELS), verbose = FALSE)
  table <- best_fit$BIC # G x model, NA where a fit failed
  init <- attr(table, "initialization")
  if (!is.null(init$subset)) stop("mclust subsampled the data for initialisation; n too large")
  hcPairs <- init$hcPairs
  if (is.null(hcPairs)) hcPairs <- hc(X, modelName = mclust.options("hcModelName"), use = mclust.options("hcUse"))
  entries <- list()
  npar_check <- list()
  for (model in names(MODELS)) {
    type <- MODELS[[model]]
    agree <- TRUE
    for (G in G_range) {
      npar <- nMclustParams(model, d = d, G = G)
      if (npar != mixem_npar(type, G, d)) agree <- FALSE
      bic <- table[as.character(G), model]
      entry <- list(modelName = model, covariance = type, G = G, npar = npar)
      if (is.na(bic)) {
        entry <- c(entry, list(bic = NULL, mixemBic = NULL, loglik = NULL, parameters = NULL,
          error = "mclust could not fit this model (BIC is NA)"))
      } else {
        # Refit exactly as mclustBIC() does for the table entry: the closed-form
        # mvn() for G = 1, otherwise one me() run from the hierarchical classes.
        if (G == 1) {
          single <- mvn(modelName = model, data = X)
        } else {
          z0 <- unmap(hclass(hcPairs, G), groups = 1:G)
          single <- me(data = X, modelName = model, z = z0, control = emControl())
          if (attr(single, "returnCode") != 0) stop("me() failed for ", model, " G=", G)
        }
        single_bic <- bic(modelName = model, loglik = single$loglik, n = n, d = d, G = G)
        if (abs(single_bic - bic) > 1e-9 * abs(bic)) stop("refit BIC differs for ", model, " G=", G)
        check <- loglik_at(X, model, single$parameters)
        if (abs(check - single$loglik) > 1e-9 * abs(single$loglik)) {
          stop("loglik at parameters differs for ", model, " G=", G, ": ", check, " vs ", single$loglik)
        }
        entry <- c(entry, list(
          bic = bic, mixemBic = -bic, loglik = single$loglik,
          iterations = if (G == 1) 0L else unname(attr(single, "info")["iterations"]),
          parameters = sk_params(single$parameters, model), error = NULL
        ))
      }
      entries[[length(entries) + 1]] <- entry
    }
    npar_check[[model]] <- list(
      covariance = type,
      formula = switch(type,
        full = "(K-1) + K*D + K*D*(D+1)/2", tied = "(K-1) + K*D + D*(D+1)/2",
        diag = "(K-1) + 2*K*D", spherical = "(K-1) + K*D + K"
      ),
      nMclustParamsAgrees = agree
    )
    if (!agree) stop("nMclustParams disagrees with the mixem formula for ", model)
  }
  top <- summary(table, k = 5)
  fixture <- list(
    name = name,
    source = source,
    dataPath = data_path,
    generator = generator,
    n = n,
    d = d,
    columns = arr(colnames(X)),
    mclustVersion = MCLUST_VERSION,
    rVersion = R_VERSION,
    call = "Mclust(X, G = 1:9, modelNames = c(\"VVV\", \"EEE\", \"VVI\", \"VII\"))",
    modelMap = as.list(MODELS),
    notes = arr(c(
      "bic is mclust's BIC = 2*loglik - npar*log(n) (higher is better); mixemBic = -bic = -2*loglik + npar*log(n) (lower is better, as mixem's bic()).",
      "loglik is mclust's total log-likelihood (sum over rows) at the recorded parameters; mixem's score() is loglik / n.",
      "npar is nMclustParams(model, d, G); it equals mixem's parameter count for every entry (see parameterCounts).",
      "Parameters come from refitting each (g, m) exactly as mclustBIC() does: mvn(m, X) for g = 1, otherwise me(X, m, z = unmap(hclass(hcPairs, g))) with the same hcPairs; the script checks the refit reproduces the BIC table entry and that loglik equals the log-likelihood recomputed at the recorded parameters (to 1e-9 relative).",
      "Caveat: the Mclust object's own $parameters are NOT these: summary.mclustBIC() runs one extra M-step after me() (when pro differs from colMeans(z) by more than sqrt(eps)) but keeps me()'s loglik and bic, so Mclust()$loglik is the log-likelihood one M-step before Mclust()$parameters (e.g. faithful VVV G=3: reported -1127.1988, at its parameters -1127.1930). The parameters recorded here are me()'s, consistent with loglik and bic.",
      "iterations is me()'s attr(info)['iterations'] (0 for the closed-form G = 1 fit).",
      "Parameters are in mixem / scikit-learn shapes: weights = pro [K]; means [K][D]; covariances full [K][D][D], tied [D][D], diag [K][D], spherical [K] (variances).",
      "mclust fits are prior-free (no regularisation): EM (me()) with emControl() defaults, tol = c(1e-5, sqrt(.Machine$double.eps)), itmax = .Machine$integer.max; EM stops when the relative change of the log-likelihood |l - l_old| / (1 + |l|) < 1e-5.",
      "Initialisation for G >= 2: model-based hierarchical agglomeration hc(X, modelName = \"VVV\", use = \"SVD\") (mclust.options hcModelName / hcUse), cut into G classes by hclass(); one EM run per (G, model), no restarts. G = 1 is the closed-form mvn() fit (XII / XXI / XXX).",
      "A null bic / parameters means mclust returned NA for that combination (fit failed, e.g. a singular covariance); error says so."
    )),
    parameterCounts = npar_check,
    best = list(
      modelName = best_fit$modelName, covariance = MODELS[[best_fit$modelName]], G = best_fit$G,
      bic = best_fit$bic, mixemBic = -best_fit$bic, loglik = best_fit$loglik
    ),
    top5 = lapply(seq_along(top), function(i) {
      parts <- strsplit(names(top)[i], ",")[[1]]
      list(modelName = parts[1], covariance = MODELS[[parts[1]]], G = as.integer(parts[2]), bic = unname(top[i]))
    }),
    data = rows(X),
    entries = entries
  )
  write_json(fixture, paste0("select-", name, ".json"))
  cat(name, ": best", best_fit$modelName, best_fit$G, "BIC", best_fit$bic, "\n")
  invisible(fixture)
}

draw_mixture <- function(n, weights, means, covs, seed) {
  set.seed(seed, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
  K <- length(weights)
  d <- length(means[[1]])
  label <- sample.int(K, n, replace = TRUE, prob = weights)
  X <- matrix(0, n, d)
  for (i in seq_len(n)) {
    k <- label[i]
    X[i, ] <- means[[k]] + as.vector(rnorm(d) %*% chol(covs[[k]]))
  }
  # Round to 6 decimals so the CSV is exact and compact.
  X <- round(X, 6)
  list(X = X, label = label - 1L)
}

faithful_X <- as.matrix(read.csv(file.path("data", "faithful.csv")))
select_fixture("faithful", faithful_X, "data/faithful.csv (R datasets::faithful)", "data/faithful.csv")

SYN_SELECT <- list(
  seed = 20240601L, n = 600L,
  weights = c(0.4, 0.35, 0.25),
  means = list(c(0, 0, 0), c(4, 1, -1), c(1, 4, 2)),
  covs = list(
    matrix(c(1.0, 0.6, 0.2, 0.6, 1.0, 0.3, 0.2, 0.3, 0.8), 3),
    matrix(c(1.5, -0.7, 0.0, -0.7, 0.8, 0.2, 0.0, 0.2, 0.5), 3),
    matrix(c(0.5, 0.0, 0.1, 0.0, 2.0, -0.6, 0.1, -0.6, 1.2), 3)
  )
)
syn <- draw_mixture(SYN_SELECT$n, SYN_SELECT$weights, SYN_SELECT$means, SYN_SELECT$covs, SYN_SELECT$seed)
colnames(syn$X) <- c("x1", "x2", "x3")
write_csv(syn$X, "synthetic-select.csv")
select_fixture("synthetic", syn$X,
  "drawn by draw_mixture() in scripts/make-mclust-fixtures.R, rounded to 6 decimals",
  "test/fixtures/mclust/synthetic-select.csv",
  generator = list(
    seed = SYN_SELECT$seed, rng = "R set.seed(seed, kind = Mersenne-Twister, normal.kind = Inversion, sample.kind = Rejection)",
    weights = arr(SYN_SELECT$weights), means = lapply(SYN_SELECT$means, arr),
    covariances = lapply(SYN_SELECT$covs, rows), labels = arr(syn$label)
  )
)

# ---------------------------------------------------------------------------
# Fixture 2: semi-supervised (MclustSSC)
# ---------------------------------------------------------------------------

# A line-for-line copy of mclust:::MclustSSC.fit (mclust 6.0.0) that also
# records the number of iterations and the log-likelihood of every iteration.
# The script checks that it returns exactly what MclustSSC returns.
ssc_trace <- function(data, class, G, modelName, control = emControl()) {
  data <- data.matrix(data)
  n <- nrow(data)
  class <- factor(class, exclude = NA)
  nclass <- nlevels(class)
  known.class <- which(!is.na(class))
  unknown.class <- which(is.na(class))
  z <- matrix(0, nrow = n, ncol = G)
  for (k in 1:nclass) z[class == levels(class)[k], k] <- 1
  z[unknown.class, ] <- 1 / G
  z0 <- z[known.class, , drop = FALSE]
  loglik0 <- -Inf
  criterion <- TRUE
  iter <- 0
  trace <- numeric(0)
  while (criterion) {
    iter <- iter + 1
    fit.m <- do.call("mstep", list(data = data, z = z, modelName = modelName, control = control))
    fit.e <- do.call("estep", c(list(data = data, control = control), fit.m))
    z <- fit.e$z
    z[known.class, ] <- z0
    ldens <- do.call("dens", c(list(data = data[-known.class, , drop = FALSE], logarithm = TRUE), fit.m))
    lcdens <- do.call("cdens", c(list(data = data[known.class, , drop = FALSE], logarithm = TRUE), fit.m))
    lcdens <- sweep(lcdens, MARGIN = 2, FUN = "+", STATS = log(fit.m$parameters$pro))
    loglik <- sum(ldens) + sum(lcdens * z0)
    trace <- c(trace, loglik)
    criterion <- (iter < control$itmax[1] & (loglik - loglik0) > control$tol[1])
    loglik0 <- loglik
  }
  list(iterations = iter, trace = trace, parameters = fit.m$parameters, loglik = loglik,
       zLastEStep = z, zUsedByLastMStep = fit.m$z)
}

best_permutation <- function(pred, truth, K) {
  perms <- list(c(1, 2, 3), c(1, 3, 2), c(2, 1, 3), c(2, 3, 1), c(3, 1, 2), c(3, 2, 1))
  stopifnot(K == 3)
  best <- NULL
  for (p in perms) {
    mapped <- p[pred + 1] - 1 # cluster c -> class p[c+1]-1
    acc <- mean(mapped == truth)
    if (is.null(best) || acc > best$accuracy) best <- list(map = p - 1, accuracy = acc)
  }
  best
}

ssc_fixture <- function(name, X, truth, labelled, source, data_path, generator = NULL, models = c("VVV", "EEE")) {
  n <- nrow(X)
  d <- ncol(X)
  G <- 3L
  hidden <- setdiff(seq_len(n), labelled)
  cl <- rep(NA_integer_, n)
  cl[labelled] <- truth[labelled]
  fits <- list()
  for (model in models) {
    fit <- MclustSSC(X, class = cl, G = G, modelNames = model, verbose = FALSE)
    tr <- ssc_trace(X, cl, G, model)
    if (!isTRUE(all.equal(tr$loglik, fit$loglik, tolerance = 0)) ||
        !isTRUE(all.equal(unname(tr$parameters$mean), unname(fit$parameters$mean), tolerance = 0))) {
      stop("ssc_trace does not reproduce MclustSSC for ", model)
    }
    classification <- as.integer(as.character(fit$classification))
    # Posterior argmax at the returned (final) parameters, for every row.
    z_final <- estep(data = X, modelName = model, parameters = fit$parameters)$z
    posterior <- max.col(z_final, ties.method = "first") - 1L
    stopifnot(all(classification == max.col(fit$z, ties.method = "first") - 1L))
    check <- loglik_at(X, model, fit$parameters)
    fits[[model]] <- list(
      modelName = model,
      covariance = MODELS[[model]],
      G = G,
      parameters = sk_params(fit$parameters, model),
      loglik = fit$loglik,
      df = fit$df,
      bic = fit$bic,
      mixemBic = -fit$bic,
      iterations = tr$iterations,
      loglikTrace = arr(tr$trace),
      unlabelledMixtureLoglikAllRows = check,
      classification = arr(classification),
      posteriorClassification = arr(posterior),
      classificationDiffersFromPosterior = arr(which(classification != posterior) - 1L),
      accuracyHidden = mean(classification[hidden] == truth[hidden]),
      accuracyHiddenPosterior = mean(posterior[hidden] == truth[hidden]),
      accuracyAll = mean(classification == truth)
    )
    cat(name, model, ": loglik", fit$loglik, "iter", tr$iterations, "hidden acc", fits[[model]]$accuracyHidden, "\n")
  }
  un <- Mclust(X, G = G, modelNames = "VVV", verbose = FALSE)
  un_class <- un$classification - 1L
  perm <- best_permutation(un_class[hidden], truth[hidden], G)
  mapped <- perm$map[un_class + 1]
  unsupervised <- list(
    call = "Mclust(X, G = 3, modelNames = \"VVV\")",
    modelName = "VVV", covariance = "full", G = G,
    loglik = un$loglik, bic = un$bic, mixemBic = -un$bic,
    parameters = sk_params(un$parameters, "VVV"),
    classification = arr(un_class),
    clusterToClass = arr(perm$map),
    accuracyHidden = perm$accuracy,
    accuracyAll = mean(mapped == truth)
  )
  cat(name, "unsupervised VVV hidden acc", perm$accuracy, "\n")
  fixture <- list(
    name = name,
    source = source,
    dataPath = data_path,
    generator = generator,
    n = n,
    d = d,
    G = G,
    mclustVersion = MCLUST_VERSION,
    rVersion = R_VERSION,
    call = "MclustSSC(X, class = classWithNA, G = 3, modelNames = m) for m in fits",
    notes = arr(SSC_NOTES),
    classes = arr(0:(G - 1)),
    truth = arr(truth),
    labelled = arr(labelled - 1L),
    labelledClass = arr(truth[labelled]),
    hidden = arr(hidden - 1L),
    data = rows(X),
    fits = fits,
    unsupervised = unsupervised
  )
  write_json(fixture, paste0("ssc-", name, ".json"))
}

SSC_NOTES <- c(
  "Row indices (labelled, hidden, classificationDiffersFromPosterior) and class / component indices are 0-based. Class c is component c: MclustSSC orders components by the factor levels of class, here \"0\", \"1\", \"2\".",
  "Source: mclust 6.0.0 MclustSSC() calls mclust:::MclustSSC.fit(data, class, G, modelName) once per model name and keeps the highest BIC; control = emControl(), prior = NULL (no regularisation).",
  "Initialisation: a responsibility matrix z (n x G) with z[i, c_i] = 1 (0 elsewhere) for every labelled row and z[i, ] = 1/G for every unlabelled row. The first step is an M-step on ALL rows with this z (not an M-step on the labelled rows only): unlabelled rows contribute weight 1/G to every component's weight, mean and covariance. No hierarchical clustering, no random start, no restarts.",
  "Iteration (repeat): (1) M-step on all n rows with z: pro_k = sum_i z_ik / n (n = all rows, labelled included), mean_k = sum_i z_ik x_i / sum_i z_ik, covariances by the model's weighted MLE (divide by the soft count, no regularisation). (2) E-step at the new parameters for all rows, then reset the labelled rows of z to their one-hot labels (so labelled rows never change; unlabelled rows get posteriors). (3) log-likelihood at the parameters of step (1), defined below. (4) stop if iter >= itmax[1] or (loglik - loglik_previous) <= tol[1]; loglik_previous starts at -Inf.",
  "Stopping rule: the ABSOLUTE change of the TOTAL log-likelihood (not per row, not relative): stop when loglik - loglik_prev <= emControl()$tol[1] = 1e-5 (a decrease also stops it). itmax[1] = .Machine$integer.max, i.e. effectively no iteration cap. iterations counts M-steps, including the last one.",
  "Log-likelihood (fit$loglik), at the returned parameters theta (from the last M-step): loglik = sum over UNLABELLED rows i of log( sum_k pro_k * phi(x_i; mean_k, Sigma_k) ) + sum over LABELLED rows i of log( pro_{c_i} * phi(x_i; mean_{c_i}, Sigma_{c_i}) ), i.e. the observed-data mixture log-likelihood of the unlabelled rows plus the complete-data log-likelihood of the labelled rows with their known class (weight included). loglikTrace holds this value after every M-step; the last entry equals loglik. unlabelledMixtureLoglikAllRows is, for comparison only, the plain mixture log-likelihood of all n rows at the same parameters (ignoring labels).",
  "df = (G - 1) + d * nclass + nVarParams(model, d, nclass) (with G = nclass = 3 this is the usual mixture parameter count); bic = 2 * loglik - df * log(n) with n = all rows; mixemBic = -bic.",
  "Returned parameters are those of the last M-step. classification is mclust's fit$classification = argmax of fit$z, where fit$z is the z that was INPUT to the last M-step: labelled rows keep their given class, unlabelled rows get the posterior at the parameters of the PREVIOUS iteration (one iteration stale). posteriorClassification is argmax of the posterior at the returned parameters for every row (labelled rows included, labels ignored), i.e. what a plain predict() of the fitted mixture gives; classificationDiffersFromPosterior lists the rows where the two differ.",
  "accuracyHidden = mean(classification == truth) over the hidden rows; accuracyHiddenPosterior the same for posteriorClassification; accuracyAll over all rows (labelled rows are correct by construction in classification).",
  "unsupervised: Mclust(X, G = 3, modelNames = \"VVV\") (hierarchical initialisation, no labels); its clusters are matched to classes by the permutation (of 3! = 6) maximising accuracy on the hidden rows: clusterToClass[cluster] = class; accuracyHidden is that best accuracy, accuracyAll uses the same mapping on all rows.",
  "Parameters are in mixem / scikit-learn shapes: weights = pro [G]; means [G][D]; covariances full [G][D][D], tied [D][D]."
)

# Iris: rows 1-50 setosa (0), 51-100 versicolor (1), 101-150 virginica (2);
# data/iris.csv equals R's datasets::iris[, 1:4] exactly (checked here).
iris_X <- as.matrix(read.csv(file.path("data", "iris.csv")))
stopifnot(isTRUE(all.equal(unname(iris_X), unname(as.matrix(datasets::iris[, 1:4])), tolerance = 0)))
iris_truth <- as.integer(datasets::iris$Species) - 1L
IRIS_SEED <- 20240602L
set.seed(IRIS_SEED, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
# 20% labelled: 10 rows drawn at random from each species.
iris_labelled <- sort(unlist(lapply(0:2, function(k) sample(which(iris_truth == k), 10))))
ssc_fixture("iris", iris_X, iris_truth, iris_labelled,
  "data/iris.csv (= R datasets::iris[, 1:4]); truth = as.integer(iris$Species) - 1",
  "data/iris.csv",
  generator = list(
    seed = IRIS_SEED,
    labelling = "set.seed(seed); for class k in 0..2: sample(which(truth == k), 10); 30 of 150 rows (20%) labelled, stratified"
  )
)

SYN_SSC <- list(
  seed = 20240603L, n = 450L,
  weights = c(0.3, 0.4, 0.3),
  means = list(c(0, 0), c(2.2, 0.8), c(0.6, 2.4)),
  covs = list(
    matrix(c(1.0, 0.5, 0.5, 1.0), 2),
    matrix(c(1.2, -0.6, -0.6, 0.9), 2),
    matrix(c(0.6, 0.2, 0.2, 1.4), 2)
  )
)
ssyn <- draw_mixture(SYN_SSC$n, SYN_SSC$weights, SYN_SSC$means, SYN_SSC$covs, SYN_SSC$seed)
colnames(ssyn$X) <- c("x1", "x2")
# 10% labelled, a simple random sample (drawn after the data, same stream).
ssc_labelled <- sort(sample.int(SYN_SSC$n, SYN_SSC$n / 10))
stopifnot(all(table(factor(ssyn$label[ssc_labelled], levels = 0:2)) >= 2))
ssc_fixture("synthetic", ssyn$X, ssyn$label, ssc_labelled,
  "drawn by draw_mixture() in scripts/make-mclust-fixtures.R, rounded to 6 decimals; truth = generating component",
  NULL,
  generator = list(
    seed = SYN_SSC$seed, rng = "R set.seed(seed, kind = Mersenne-Twister, normal.kind = Inversion, sample.kind = Rejection)",
    weights = arr(SYN_SSC$weights), means = lapply(SYN_SSC$means, arr),
    covariances = lapply(SYN_SSC$covs, rows),
    labelling = "after the data draws, same stream: sort(sample.int(n, n / 10)); 45 of 450 rows (10%) labelled, simple random sample"
  )
)
