// Armadillo peer of the mixem benchmark: one fit, one JSON line on stdout.
//
//   g++ -O3 -march=native -fopenmp -o bench/peers/armadillo bench/peers/armadillo.cpp -larmadillo
//   bench/peers/armadillo DATA HEADER START full|diag fixed|defaults ITERATIONS
//
// fixed:    set_params(means, fcovs|dcovs, hefts) from the shared start, then
//           learn(X, K, eucl_dist, keep_existing, 0 k-means iterations, T EM
//           iterations, var_floor 1e-6, false). The distance mode only matters
//           for k-means, which is skipped. Armadillo's EM stops early only when
//           the mean log-likelihood changes by at most machine epsilon, so T
//           iterations are done unless EM has converged to rounding.
// defaults: arma_rng::set_seed(0); learn(X, K, maha_dist, random_subset, 10, 100,
//           1e-10, false), the settings of Armadillo's documented example with
//           em_iter raised from 5 to 100 (Armadillo has no tolerance: it runs
//           em_iter iterations unless the change is at most machine epsilon).
//
// Data are read as raw little-endian float64, n×d row-major, which is exactly
// the d×n column-major matrix Armadillo wants (one observation per column).
// The timed region is learn() only; the final mean log-likelihood is
// avg_log_p(X), computed afterwards. In fixed mode learn() is called twice,
// for 1 then T − 1 iterations (keep_existing continues from the current
// parameters, so this is the same T iterations); the second call's time over
// T − 1 is the steady-state cost of one iteration (iterationSeconds).
#include <armadillo>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) { std::cerr << "cannot read " << path << "\n"; std::exit(2); }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every number inside the JSON value that follows "key": (arrays are flattened).
static std::vector<double> numbers(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\"";
  size_t at = json.find(needle);
  if (at == std::string::npos) { std::cerr << "missing key " << key << "\n"; std::exit(2); }
  at = json.find(':', at + needle.size()) + 1;
  std::vector<double> out;
  int depth = 0;
  const char* p = json.c_str() + at;
  for (;;) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
    if (*p == '[') { ++depth; ++p; continue; }
    if (*p == ']') { --depth; ++p; if (depth <= 0) break; continue; }
    if (*p == ',') { if (depth == 0) break; ++p; continue; }
    if (*p == '\0' || *p == '}') break;
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p) { std::cerr << "bad number near key " << key << "\n"; std::exit(2); }
    out.push_back(v);
    p = end;
    if (depth == 0) break;
  }
  return out;
}

static std::string string_field(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\"";
  size_t at = json.find(needle);
  at = json.find('"', json.find(':', at + needle.size()) + 1) + 1;
  return json.substr(at, json.find('"', at) - at);
}

static std::string format(const char* spec, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}

static void memory_mib(double& rss, double& peak) {
  rss = peak = -1;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atof(line.c_str() + 6) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) peak = std::atof(line.c_str() + 6) / 1024;
  }
}

using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Returns false if a learn() call failed; sets the total and the steady-state per-iteration seconds.
template <typename Model>
static bool learn(Model& model, const arma::mat& X, arma::uword k, bool fixed, arma::uword iterations, double& seconds,
                  double& iteration_seconds) {
  const auto t0 = Clock::now();
  if (!fixed) {
    arma::arma_rng::set_seed(0);
    const bool ok = model.learn(X, k, arma::maha_dist, arma::random_subset, 10, 100, 1e-10, false);
    seconds = since(t0);
    iteration_seconds = -1;
    return ok;
  }
  if (iterations < 2) {
    const bool ok = model.learn(X, k, arma::eucl_dist, arma::keep_existing, 0, iterations, 1e-6, false);
    seconds = iteration_seconds = since(t0);
    return ok;
  }
  if (!model.learn(X, k, arma::eucl_dist, arma::keep_existing, 0, 1, 1e-6, false)) return false;
  const auto t1 = Clock::now();
  const bool ok = model.learn(X, k, arma::eucl_dist, arma::keep_existing, 0, iterations - 1, 1e-6, false);
  iteration_seconds = since(t1) / double(iterations - 1);
  seconds = since(t0);
  return ok;
}

int main(int argc, char** argv) {
  if (argc < 7) {
    std::cerr << "usage: armadillo DATA HEADER START full|diag fixed|defaults ITERATIONS\n";
    return 2;
  }
  const std::string data_path = argv[1], covariance = argv[4], mode = argv[5];
  const arma::uword iterations = std::strtoul(argv[6], nullptr, 10);
  const bool fixed = mode == "fixed";
  double baseline, peak;
  memory_mib(baseline, peak);

  const std::string header = slurp(argv[2]);
  const arma::uword n = (arma::uword)numbers(header, "n")[0];
  const arma::uword d = (arma::uword)numbers(header, "d")[0];
  const arma::uword k = (arma::uword)numbers(header, "k")[0];
  const std::string id = string_field(header, "id");

  arma::mat X(d, n);
  {
    std::FILE* f = std::fopen(data_path.c_str(), "rb");
    if (!f || std::fread(X.memptr(), sizeof(double), n * d, f) != n * d) {
      std::cerr << "cannot read " << n << "x" << d << " doubles from " << data_path << "\n";
      return 2;
    }
    std::fclose(f);
  }

  arma::gmm_full full;
  arma::gmm_diag diag;
  if (fixed) {
    const std::string start = slurp(argv[3]);
    const arma::rowvec hefts = arma::rowvec(numbers(start, "weights"));
    // means are K rows of D in the file: as a d×k column-major matrix, directly.
    const arma::mat means = arma::reshape(arma::vec(numbers(start, "means")), d, k);
    if (covariance == "full") {
      const arma::mat cov = arma::reshape(arma::vec(numbers(start, "covariance")), d, d);
      arma::cube fcovs(d, d, k);
      for (arma::uword m = 0; m < k; m++) fcovs.slice(m) = cov;
      full.set_params(means, fcovs, hefts);
    } else {
      const arma::vec var = arma::vec(numbers(start, "variances"));
      diag.set_params(means, arma::repmat(var, 1, k), hefts);
    }
  }

  double seconds = 0, iteration_seconds = 0;
  const bool ok = covariance == "full" ? learn(full, X, k, fixed, iterations, seconds, iteration_seconds)
                                       : learn(diag, X, k, fixed, iterations, seconds, iteration_seconds);
  if (!ok) { std::cerr << "armadillo: learn() failed\n"; return 1; }
  const double ll = covariance == "full" ? full.avg_log_p(X) : diag.avg_log_p(X);
  double rss_now;
  memory_mib(rss_now, peak);

  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  std::printf(
      "{\"tool\":\"armadillo\",\"case\":\"%s\",\"covariance\":\"%s\",\"mode\":\"%s\",\"seconds\":%.9g,\"iterationSeconds\":%s,"
      "\"iterations\":%s,\"exactIterations\":false,\"converged\":null,\"logLikelihood\":%.17g,"
      "\"baselineRssMiB\":%.6g,\"peakRssMiB\":%.6g,\"info\":{\"armadillo\":\"%s\",\"threads\":%d,"
      "\"OMP_WAIT_POLICY\":%s%s%s,\"note\":\"%s\"}}\n",
      id.c_str(), covariance.c_str(), mode.c_str(), seconds,
      iteration_seconds < 0 ? "null" : format("%.9g", iteration_seconds).c_str(), fixed ? std::to_string(iterations).c_str() : "null", ll,
      baseline, peak, arma::arma_version::as_string().c_str(), threads, wait_policy ? "\"" : "",
      wait_policy ? wait_policy : "null", wait_policy ? "\"" : "",
      fixed ? "at most T iterations: Armadillo stops early if the mean log-likelihood changes by <= machine epsilon; each iteration is one fused E+M pass"
            : "iterations not reported by Armadillo; at most 10 k-means + 100 EM iterations");
  return 0;
}
