import { createRng, normal } from '@smartem/common/rng';

/**
 * The simulator's draws on the shared seeded generator: the same seed gives the same visit, byte for byte. The seed
 * is mixed with 0x9e3779b9 first, which keeps the simulated visits what they were before the generator was shared.
 */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    this.next = createRng((seed >>> 0) ^ 0x9e3779b9);
  }

  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller). */
  gauss(): number {
    return normal(this.next);
  }

  /** A random version-4 GUID, lower case, as EPU writes `uniqueID` and `Guid`. */
  guid(): string {
    const hex = (n: number): string =>
      Math.floor(this.next() * 16 ** n)
        .toString(16)
        .padStart(n, '0');
    const variant = (8 + Math.floor(this.next() * 4)).toString(16);
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
  }

  /** An independent generator derived from this one (so adding draws in one place does not shift another). */
  fork(salt: number): Rng {
    return new Rng(Math.floor(this.next() * 4294967296) ^ Math.imul(salt, 0x85ebca6b));
  }
}
