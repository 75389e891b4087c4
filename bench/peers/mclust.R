#!/usr/bin/env Rscript
# mclust peer of the mixem benchmark: one fit, one JSON line on stdout.
#
#   Rscript bench/peers/mclust.R DATA HEADER START full|diag fixed|defaults ITERATIONS
#
# full is mclust's model "VVV", diag is "VVI".
# fixed:    em(modelName, X, parameters = shared start,
#           control = emControl(tol = c(0, 0), itmax = c(T, T))): an E-step at the
#           start, then T M+E iterations. em() is estep() then me(); they are
#           called directly, me() as 1 then T - 1 iterations, so that the second
#           call gives the steady-state time of one iteration. mclust stops early only when the relative
#           change of the log-likelihood is exactly 0, so T iterations are done
#           (the count is read back from the fit's "info" attribute). mclust adds no
#           regularization (no prior).
# defaults: set.seed(0); Mclust(X, G = K, modelNames = model): hierarchical
#           agglomeration on a random subset of mclust.options("subset") rows,
#           then EM with emControl() defaults (tol 1e-5 relative).
#
# The timed region is em() / Mclust() only; the final mean log-likelihood is
# mean(dens(..., logarithm = TRUE)) at the final parameters, computed afterwards.
suppressPackageStartupMessages(library(mclust))

memory_mib <- function() {
  status <- readLines("/proc/self/status")
  field <- function(name) {
    line <- grep(paste0("^", name, ":"), status, value = TRUE)
    if (length(line) == 0) return(NA_real_)
    as.numeric(strsplit(trimws(sub(paste0(name, ":"), "", line)), " +")[[1]][1]) / 1024
  }
  list(rss = field("VmRSS"), peak = field("VmHWM"))
}

args <- commandArgs(trailingOnly = TRUE)
data_path <- args[1]; header_path <- args[2]; start_path <- args[3]
covariance <- args[4]; mode <- args[5]; iterations <- as.integer(args[6])
model_name <- if (covariance == "full") "VVV" else "VVI"
baseline <- memory_mib()$rss

header <- jsonlite::fromJSON(header_path)
n <- header$n; d <- header$d; k <- header$k
con <- file(data_path, "rb")
values <- readBin(con, what = "double", n = n * d, size = 8, endian = "little")
close(con)
if (length(values) != n * d) stop(sprintf("%s: %d values, expected %dx%d", data_path, length(values), n, d))
X <- matrix(values, nrow = n, ncol = d, byrow = TRUE)
rm(values)

iterations_done <- NA
converged <- NA
if (mode == "fixed") {
  start <- jsonlite::fromJSON(start_path, simplifyMatrix = TRUE)
  means <- t(matrix(as.numeric(start$means), nrow = k, ncol = d))  # K x D in the file -> d x K
  if (covariance == "full") {
    sigma1 <- matrix(unlist(start$covariance), d, d)
    sigma <- array(sigma1, c(d, d, k))
    cholsigma <- array(chol(sigma1), c(d, d, k))
    variance <- list(modelName = "VVV", d = d, G = k, sigma = sigma, cholsigma = cholsigma)
  } else {
    v <- unlist(start$variances)
    scale <- exp(mean(log(v)))
    variance <- list(modelName = "VVI", d = d, G = k,
                     sigma = array(diag(v, d), c(d, d, k)),
                     scale = rep(scale, k), shape = matrix(v / scale, d, k))
  }
  parameters <- list(pro = unlist(start$weights), mean = means, variance = variance)
  # em() is estep() then me(); it is called as such, with me() split into 1
  # and T - 1 iterations, so the last call times the steady-state iterations.
  # mclust reports a run that hit itmax with a negative iteration count.
  count <- function(f) { info <- attr(f, "info"); if (is.null(info)) NA else abs(unname(info[["iterations"]])) }
  # The calls are written out (no helper closure): R's byte compiler would
  # otherwise compile the helper inside the timed region.
  invisible(gc())  # as the mixem runner: the timed region starts after a full collection
  t0 <- as.numeric(Sys.time())
  e0 <- estep(modelName = model_name, data = X, parameters = parameters, warn = FALSE)
  if (iterations >= 2) {
    fit1 <- me(modelName = model_name, data = X, z = e0$z, control = emControl(tol = c(0, 0), itmax = c(1L, 1L)), warn = FALSE)
    t1 <- as.numeric(Sys.time())
    fit <- me(modelName = model_name, data = X, z = fit1$z,
              control = emControl(tol = c(0, 0), itmax = rep(iterations - 1L, 2)), warn = FALSE)
    t2 <- as.numeric(Sys.time())
    iteration_seconds <- (t2 - t1) / (iterations - 1)
    iterations_done <- count(fit1) + count(fit)
  } else {
    fit <- me(modelName = model_name, data = X, z = e0$z, control = emControl(tol = c(0, 0), itmax = rep(iterations, 2)), warn = FALSE)
    t2 <- as.numeric(Sys.time())
    iteration_seconds <- (t2 - t0) / max(1, iterations)
    iterations_done <- count(fit)
  }
  seconds <- t2 - t0
  converged <- FALSE
  final <- fit$parameters
} else {
  set.seed(0)
  invisible(gc())  # as the mixem runner: the timed region starts after a full collection
  t0 <- as.numeric(Sys.time())
  fit <- Mclust(X, G = k, modelNames = model_name, verbose = FALSE)
  seconds <- as.numeric(Sys.time()) - t0
  iteration_seconds <- NULL
  final <- fit$parameters
}
if (is.null(fit)) stop("Mclust() returned NULL: no model could be fitted (its BIC is NA)")
if (any(is.na(final$mean))) stop("mclust: the fit failed (singular or NA parameters)")
log_likelihood <- mean(dens(data = X, modelName = model_name, parameters = final, logarithm = TRUE))
mem <- memory_mib()

record <- list(
  tool = "mclust", case = header$id, covariance = covariance, mode = mode,
  seconds = seconds, iterationSeconds = iteration_seconds,
  iterations = if (is.na(iterations_done)) NULL else iterations_done,
  exactIterations = mode == "fixed" && identical(as.integer(iterations_done), iterations),
  converged = if (is.na(converged)) NULL else converged,
  logLikelihood = log_likelihood,
  baselineRssMiB = baseline, peakRssMiB = mem$peak,
  info = list(mclust = as.character(packageVersion("mclust")), R = paste(R.version$major, R.version$minor, sep = "."),
              model = model_name, threads = 1,
              note = if (mode == "fixed") "an E-step at the start, then T M+E iterations; no regularization"
                     else sprintf("Mclust defaults: hc on a %d-row subset, EM tol 1e-5 (relative)", mclust.options("subset")))
)
cat(jsonlite::toJSON(record, auto_unbox = TRUE, digits = NA, null = "null"), "\n", sep = "")
