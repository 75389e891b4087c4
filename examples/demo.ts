/**
 * The demo behind `npm start`: fit a two-component Gaussian mixture to Old
 * Faithful (272 eruptions: duration in minutes, waiting time to the next one
 * in minutes) and print the fitted model.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fit } from '../src/index.js';

const path = fileURLToPath(new URL('../data/faithful.csv', import.meta.url));
const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
const columns = header.split(',');
const rows = lines.map((line) => line.split(',').map(Number));

const model = fit(rows, { components: 2, covariance: 'full', restarts: 5, seed: 1, tolerance: 1e-8 });

const f = (x: number, digits = 4) => x.toFixed(digits).padStart(10);
console.log(`Old Faithful: ${rows.length} eruptions, columns ${columns.join(', ')}`);
console.log(`Gaussian mixture, K = ${model.components}, covariance ${model.covariance}`);
console.log(`converged ${model.converged} after ${model.iterations} iterations`);
console.log(`mean log-likelihood ${model.logLikelihood!.toFixed(6)}   BIC ${model.bic(rows).toFixed(3)}   AIC ${model.aic(rows).toFixed(3)}`);
const covariances = model.covariances as number[][][];
model.weights.forEach((weight, k) => {
  const [[a, b], [, c]] = covariances[k];
  const sd = [Math.sqrt(a), Math.sqrt(c)];
  console.log(`\ncomponent ${k}: weight ${weight.toFixed(4)}`);
  console.log(`  mean        ${columns.map((name, j) => `${name} ${f(model.means[k][j])}`).join('  ')}`);
  console.log(`  std. dev.   ${columns.map((name, j) => `${name} ${f(sd[j])}`).join('  ')}`);
  console.log(`  correlation ${(b / (sd[0] * sd[1])).toFixed(4)}`);
});
