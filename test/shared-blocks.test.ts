/**
 * The blocks each thread takes from the pool's shared memory
 * (src/kernels/shared-blocks.ts): aligned, never overlapping, reused once
 * freed, and never shared between two threads' allocators.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSharedMemory, SHARED_INITIAL_PAGES, SharedBlocks, sharedBlocks } from '../src/kernels/shared-blocks.js';

/** Throws unless no two of the [start, start + size) ranges overlap. */
function expectDisjoint(blocks: { start: number; size: number }[]): void {
  const sorted = [...blocks].sort((a, b) => a.start - b.start);
  for (let q = 1; q < sorted.length; q++) expect(sorted[q - 1].start + sorted[q - 1].size).toBeLessThanOrEqual(sorted[q].start);
}

describe('blocks of a shared memory', () => {
  it('gives 16-aligned blocks above the modules’ constants, in a memory that is shared', () => {
    const memory = createSharedMemory();
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const blocks = new SharedBlocks(memory);
    const a = blocks.alloc(1);
    const b = blocks.alloc(24);
    expect(a % 16).toBe(0);
    expect(b % 16).toBe(0);
    expect(a).toBeGreaterThanOrEqual(SHARED_INITIAL_PAGES * 65536);
    expect(b - a).toBe(16);
  });

  it('reuses freed blocks, merging neighbours, and grows only when none fits', () => {
    const memory = createSharedMemory();
    const blocks = new SharedBlocks(memory);
    const a = blocks.alloc(1000);
    const b = blocks.alloc(1000);
    const c = blocks.alloc(1000);
    const grown = memory.buffer.byteLength;
    const free = blocks.freeBytes();
    blocks.free(a);
    blocks.free(b);
    // a and b merge: a block of 2000 bytes fits where they were.
    expect(blocks.alloc(2000)).toBe(a);
    blocks.free(a);
    blocks.free(c);
    expect(blocks.freeBytes()).toBe(free + 3 * 1008);
    expect(blocks.alloc(3024)).toBe(a);
    expect(memory.buffer.byteLength).toBe(grown);
    blocks.free(0);
    expect(() => blocks.free(a + 16)).toThrow(/no block at/);
  });

  it('keeps two threads’ blocks apart: each grows the memory for regions of its own', () => {
    const memory = createSharedMemory();
    const one = new SharedBlocks(memory);
    const two = new SharedBlocks(memory);
    const taken: { start: number; size: number }[] = [];
    for (let q = 0; q < 40; q++) {
      const size = 1 + ((q * 7919) % 600_000);
      const blocks = q % 3 === 0 ? two : one;
      taken.push({ start: blocks.alloc(size), size });
    }
    expectDisjoint(taken);
    for (const { start, size } of taken) expect(start + size).toBeLessThanOrEqual(memory.buffer.byteLength);
  });

  it('serves any sequence of allocations and frees without overlap, and takes every byte back', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3_000_000 }), fc.nat()), { maxLength: 60 }), (steps) => {
        const memory = createSharedMemory();
        const blocks = new SharedBlocks(memory);
        const live: { start: number; size: number }[] = [];
        for (const [allocate, size, pick] of steps) {
          if (allocate || live.length === 0) live.push({ start: blocks.alloc(size), size });
          else blocks.free(live.splice(pick % live.length, 1)[0].start);
          expectDisjoint(live);
        }
        for (const { start } of live) blocks.free(start);
        expect(blocks.freeBytes()).toBe(memory.buffer.byteLength - SHARED_INITIAL_PAGES * 65536);
      }),
      { numRuns: 40 },
    );
  });

  it('names the limit when the memory cannot grow enough', () => {
    const blocks = new SharedBlocks(createSharedMemory());
    expect(() => blocks.alloc(2 ** 32)).toThrow(/shared memory cannot grow to hold a block of 4294967296 bytes .*at most 4 GiB/);
  });

  it('near its limit, grows by just what a block needs', () => {
    // 100 pages at most: the first region (4 MiB) fits, a second whole region does not.
    const memory = new WebAssembly.Memory({ initial: SHARED_INITIAL_PAGES, maximum: 100, shared: true });
    const blocks = new SharedBlocks(memory);
    blocks.alloc(4 * 1024 * 1024 - 65536);
    expect(memory.buffer.byteLength).toBe((SHARED_INITIAL_PAGES + 64) * 65536);
    blocks.alloc(1024 * 1024);
    expect(memory.buffer.byteLength).toBe((SHARED_INITIAL_PAGES + 64 + 16) * 65536);
    expect(() => blocks.alloc(2 * 1024 * 1024)).toThrow(/cannot grow to hold a block of 2097152 bytes/);
  });

  it('has one allocator per memory on a thread', () => {
    const memory = createSharedMemory();
    expect(sharedBlocks(memory)).toBe(sharedBlocks(memory));
    expect(sharedBlocks(createSharedMemory())).not.toBe(sharedBlocks(memory));
  });
});
