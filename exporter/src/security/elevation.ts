/**
 * Elevation: after a valid one-time code, the same actor on the same token acts without another
 * code until the window ends or the actor drops it. Kept in memory on purpose: a restart ends
 * every elevation, which only ever asks for one code more.
 */
import type { Actor } from './actor.js';

export interface ElevationView {
  expiresAt: string;
  secondsLeft: number;
}

export class Elevations {
  /** `${tokenId} ${actorKey}` → end (ms). */
  private readonly until_ = new Map<string, number>();

  constructor(
    private seconds: number,
    private readonly now: () => number,
  ) {}

  /**
   * A new window length (a reloaded configuration) for the elevations opened from now on. A
   * shorter one also shortens those running: whoever lowered it (to 0: a code per action) wants
   * it in force now, not in five minutes.
   */
  setSeconds(seconds: number): void {
    this.seconds = seconds;
    const latest = this.now() + seconds * 1000;
    for (const [id, end] of this.until_) if (end > latest) this.until_.set(id, latest);
    this.prune();
  }

  private static id(actor: Actor): string {
    return `${actor.tokenId} ${actor.key}`;
  }

  /** Opens (or extends) the actor's elevation; undefined when elevation is off (0 s). */
  open(actor: Actor): number | undefined {
    if (this.seconds <= 0) return undefined;
    this.prune();
    const end = this.now() + this.seconds * 1000;
    this.until_.set(Elevations.id(actor), end);
    return end;
  }

  /** The end of the actor's elevation on this token, or undefined when it is not elevated. */
  until(actor: Actor): number | undefined {
    const end = this.until_.get(Elevations.id(actor));
    if (end === undefined) return undefined;
    if (end <= this.now()) {
      this.until_.delete(Elevations.id(actor));
      return undefined;
    }
    return end;
  }

  view(actor: Actor): ElevationView | null {
    const end = this.until(actor);
    if (end === undefined) return null;
    return { expiresAt: new Date(end).toISOString(), secondsLeft: Math.ceil((end - this.now()) / 1000) };
  }

  drop(actor: Actor): boolean {
    return this.until_.delete(Elevations.id(actor));
  }

  /** Ends the elevations of an actor on every token (its second factor was reset). */
  dropKey(key: string): void {
    for (const id of [...this.until_.keys()])
      if (id.slice(id.indexOf(' ') + 1) === key) this.until_.delete(id);
  }

  private prune(): void {
    const at = this.now();
    for (const [id, end] of this.until_) if (end <= at) this.until_.delete(id);
  }
}
