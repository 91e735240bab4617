import type { Clock, Stamp } from '../../edge/clock/types.js'

/** A trusted clock the test sets by hand. */
export class ManualClock implements Clock {
  constructor(public wall = Date.UTC(2026, 10, 21, 8, 0, 0)) {}

  now(): number {
    return this.wall
  }

  advance(ms: number): void {
    this.wall += ms
  }

  stamp(): Stamp {
    return { wall: this.wall, mono: this.wall, boot: 'test-boot', t: this.wall, clock: 'synced' }
  }

  offsetMs(): number | null {
    return 0
  }
}
