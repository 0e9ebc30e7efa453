// A seeded pseudo-random generator (mulberry32): the soak prints its seed, so a
// run whose random moments found a fault can be replayed moment for moment.

/** Numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for a run that was not given one. */
export const newSeed = () => Math.floor(Math.random() * 2 ** 31);
