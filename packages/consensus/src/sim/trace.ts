/** A bounded log of what happened, printed with a failure (all of it in verbose replays). */
export class Trace {
  private lines: string[] = [];

  constructor(
    private readonly max: number,
    private readonly sink?: (line: string) => void,
  ) {}

  log(now: number, who: string, what: string): void {
    const line = `${String(now).padStart(7)}ms ${who.padEnd(4)} ${what}`;
    if (this.sink) this.sink(line);
    this.lines.push(line);
    if (this.lines.length > this.max * 2) this.lines = this.lines.slice(-this.max);
  }

  tail(): string[] {
    return this.lines.slice(-this.max);
  }
}
