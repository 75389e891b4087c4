#!/usr/bin/env node
/**
 * Builds the WebAssembly E-step kernels from assembly/estep.ts (float64) and
 * assembly/estep32.ts (float32, opt-in) with the AssemblyScript compiler's
 * JavaScript API (no downloads, no network) and writes
 * src/kernels/wasm-binary.generated.ts, which holds the modules as base64
 * strings so that the library needs no file system in browsers.
 *
 * Two builds of each source:
 * - WASM_SIMD_BASE64, WASM32_SIMD_BASE64: `-O3 --enable simd` (every engine
 *   with WebAssembly SIMD: Node ≥ 16.4, Chrome 91, Firefox 89, Safari 16.4);
 * - WASM_RELAXED_BASE64, WASM32_RELAXED_BASE64: `--enable simd --enable
 *   relaxed-simd`, whose multiply-adds use `f64x2.relaxed_madd` /
 *   `f32x4.relaxed_madd` (fused where the hardware has FMA). Engines without
 *   relaxed SIMD (Node 20 without --experimental-wasm-relaxed-simd) reject
 *   them at validation, and src/kernels/wasm.ts then takes the SIMD build.
 *
 * The float64 builds also hold the per-chunk k-means functions
 * (assembly/seed-chunks.ts, assembly/lloyd-chunks.ts), checked to be free of
 * relaxed instructions, so that k-means gives the same bits in either build.
 *
 * Both use AssemblyScript's minimal runtime (the TLSF allocator behind
 * `alloc`/`free`; no garbage is ever made) and no assertions.
 *
 * Before compiling, the exp table in the source (EXP_TABLE, 2^(j/64)) is
 * checked against values recomputed with exact integer arithmetic.
 *
 * Usage: node scripts/build-wasm.mjs [--check] [--wat DIR]
 *   --check    writes nothing; exits with status 1 if the generated file is
 *              missing or differs from what this build makes (for CI).
 *   --wat DIR  also writes the text format of each build into DIR (for reading).
 */
import asc from 'assemblyscript/asc';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = 'assembly/estep.ts';
const source32 = 'assembly/estep32.ts';
const target = 'src/kernels/wasm-binary.generated.ts';

/** The shared builds' least memory, in 64 KiB pages (src/kernels/shared-blocks.ts SHARED_INITIAL_PAGES). */
const SHARED_INITIAL_PAGES = 4;
const common = ['-O3', '--runtime', 'minimal', '--noAssert', '--noColors'];
const SIMD = ['--enable', 'simd'];
const RELAXED = ['--enable', 'simd', '--enable', 'relaxed-simd'];
/** One memory for every thread of the worker pool: imported, shared, up to 4 GiB; blocks from the host (assembly/blocks.ts). */
const SHARED = ['--enable', 'threads', '--importMemory', '--sharedMemory', '--initialMemory', String(SHARED_INITIAL_PAGES), '--maximumMemory', '65536'];
const builds = [
  { name: 'WASM_SIMD_BASE64', label: 'float64 SIMD', source, wat: 'estep-simd', flags: SIMD },
  { name: 'WASM_RELAXED_BASE64', label: 'float64 relaxed SIMD', source, wat: 'estep-relaxed', flags: RELAXED },
  { name: 'WASM32_SIMD_BASE64', label: 'float32 SIMD', source: source32, wat: 'estep32-simd', flags: SIMD },
  { name: 'WASM32_RELAXED_BASE64', label: 'float32 relaxed SIMD', source: source32, wat: 'estep32-relaxed', flags: RELAXED },
  { name: 'WASM_SHARED_SIMD_BASE64', label: 'float64 SIMD, shared memory', source, wat: 'estep-shared-simd', flags: [...SIMD, ...SHARED] },
  { name: 'WASM_SHARED_RELAXED_BASE64', label: 'float64 relaxed SIMD, shared memory', source, wat: 'estep-shared-relaxed', flags: [...RELAXED, ...SHARED] },
  { name: 'WASM32_SHARED_SIMD_BASE64', label: 'float32 SIMD, shared memory', source: source32, wat: 'estep32-shared-simd', flags: [...SIMD, ...SHARED] },
  { name: 'WASM32_SHARED_RELAXED_BASE64', label: 'float32 relaxed SIMD, shared memory', source: source32, wat: 'estep32-shared-relaxed', flags: [...RELAXED, ...SHARED] },
];

const check = process.argv.includes('--check');
const watIndex = process.argv.indexOf('--wat');
const watDir = watIndex >= 0 ? resolve(process.argv[watIndex + 1] ?? 'out') : null;

/** Compiles one build of `file` in memory; returns the binary and the text format. */
async function compile(file, flags) {
  const outputs = new Map();
  const { error, stderr } = await asc.main([file, ...common, ...flags, '--outFile', 'estep.wasm', '--textFile', 'estep.wat'], {
    writeFile(name, contents) {
      outputs.set(name, contents);
    },
    stdout: { write() {} },
  });
  if (error) {
    throw new Error(`asc failed: ${error.message}\n${stderr.toString()}`);
  }
  const binary = outputs.get('estep.wasm');
  if (!(binary instanceof Uint8Array)) throw new Error('asc produced no binary');
  return { binary, text: String(outputs.get('estep.wat') ?? '') };
}

/**
 * The double nearest to 2^(j/64), as its bit pattern: m·2^-52 with m the
 * integer nearest to 2^52·2^(j/64), found by bisection with exact powers.
 */
function exp2Bits(j) {
  const target = 1n << BigInt(j + 52 * 64); // compare m^64 with 2^(j + 52·64)
  let lo = 1n << 52n;
  let hi = (1n << 53n) - 1n;
  while (lo < hi) {
    const mid = (lo + hi + 1n) >> 1n;
    if (mid ** 64n <= target) lo = mid;
    else hi = mid - 1n;
  }
  const m = (2n * lo + 1n) ** 64n < target << 64n ? lo + 1n : lo; // round to nearest
  return (1023n << 52n) | (m - (1n << 52n));
}

/** Fails unless the source's EXP_TABLE holds exactly the correctly rounded 2^(j/64), j = 0…63. */
async function checkExpTable() {
  const text = await readFile(join(root, source), 'utf8');
  const match = /EXP_TABLE: usize = memory\.data<u64>\(\[([^\]]*)\]\)/.exec(text);
  if (!match) throw new Error(`no EXP_TABLE in ${source}`);
  const values = match[1].match(/0x[0-9a-f]+/gi) ?? [];
  if (values.length !== 64) throw new Error(`EXP_TABLE has ${values.length} entries, not 64`);
  values.forEach((value, j) => {
    if (BigInt(value) !== exp2Bits(j)) throw new Error(`EXP_TABLE[${j}] is ${value}, not 0x${exp2Bits(j).toString(16)}`);
  });
}

/**
 * The k-means functions compiled into the E-step module
 * (assembly/seed-chunks.ts, assembly/lloyd-chunks.ts and the distances they
 * use) must give the TypeScript's doubles in every build: fails if any is
 * missing or if a relaxed (possibly fused) instruction appears in their
 * bodies, as it could in the relaxed build.
 */
function checkExactKmeans(text, label) {
  const bodies = text.split(/\n(?= \(func )/).filter((f) => /^ \(func \$assembly\/(lloyd-chunks|seed-chunks|distances)\//.test(f));
  if (bodies.length === 0) throw new Error(`the ${label} build has no k-means functions`);
  for (const body of bodies) {
    if (/relaxed/.test(body)) throw new Error(`the ${label} build's k-means code uses relaxed SIMD: ${body.slice(0, 80)}`);
  }
  const names = ['lloydConfigure', 'lloydCentres', 'lloydAssign', 'lloydDistances', 'lloydInertia', 'lloydRelease'];
  names.push('seedConfigure', 'seedPoints', 'seedStart', 'seedUpdate', 'seedRescore', 'seedTrials', 'seedPick', 'seedLastPositive', 'seedRelease');
  for (const name of names) {
    if (!text.includes(`(export "${name}"`)) throw new Error(`the ${label} build does not export ${name}`);
  }
}

process.chdir(root);
await checkExpTable();
const lines = [
  `// Generated by scripts/build-wasm.mjs from ${source} and ${source32}; do not edit.`,
  '// Regenerate with `node scripts/build-wasm.mjs` after changing the AssemblyScript sources.',
  '',
];
for (const build of builds) {
  const { binary, text } = await compile(build.source, build.flags);
  if (!build.flags.includes('relaxed-simd') && !WebAssembly.validate(binary)) {
    throw new Error(`the ${build.label} build does not validate in this Node; it needs WebAssembly SIMD`);
  }
  if (build.source === source) checkExactKmeans(text, build.label);
  const flags = [...common.slice(0, -1), ...build.flags].join(' ');
  const what = build.source === source ? 'The E-step module' : 'The float32 E-step module';
  lines.push(`/** ${what}, \`asc ${build.source} ${flags}\` (${binary.length} bytes). */`);
  lines.push(`export const ${build.name} =\n  '${Buffer.from(binary).toString('base64')}';`);
  lines.push('');
  if (watDir !== null && !check) {
    await mkdir(watDir, { recursive: true });
    await writeFile(join(watDir, `${build.wat}.wat`), text);
  }
  console.log(`${build.label}: ${binary.length} bytes`);
}
const generated = lines.join('\n');
if (check) {
  const current = await readFile(join(root, target), 'utf8').catch(() => null);
  if (current !== generated) {
    console.error(`${target} is out of date; run node scripts/build-wasm.mjs`);
    process.exit(1);
  }
  console.log(`${target} is up to date`);
} else {
  await writeFile(join(root, target), generated);
  console.log(`wrote ${target}`);
}
