// Progress of a run on stderr (never stdout, which may carry `--json -`): on a terminal a
// bar per experiment (cells done of all, trajectory-steps per second, ETA), elsewhere (CI
// logs, pipes) plain lines, at most one per experiment per second plus one when it is done.
import type * as CliProgress from "cli-progress";
import { createRequire } from "node:module";
import type { RunProgress } from "./execute.js";

export interface Progress {
  /** Shows the experiments before their first cell finishes. */
  start(experiments: readonly { readonly name: string; readonly cells: number }[]): void;
  update(event: RunProgress): void;
  /** Leaves the terminal as it was; call it also when the run fails. */
  stop(): void;
}

export interface ProgressOptions {
  readonly quiet?: boolean;
  /** The terminal to draw bars on; without one, plain lines go to `write`. */
  readonly terminal?: NodeJS.WriteStream;
  readonly write: (text: string) => void;
  /** Milliseconds (tests pass a fake clock). */
  readonly now?: () => number;
}

const SILENT: Progress = { start() {}, update() {}, stop() {} };

/** A progress display for one run, as the options choose. */
export function createProgress(options: ProgressOptions): Progress {
  if (options.quiet) return SILENT;
  const now = options.now ?? (() => performance.now());
  return options.terminal ? barProgress(options.terminal, now) : lineProgress(options.write, now);
}

/** Per-second rate with an SI prefix (`12.3M`), since raw rates run to ten digits. */
function rate(steps: number, milliseconds: number): string {
  const perSecond = milliseconds > 0 ? (1000 * steps) / milliseconds : 0;
  const [scale, prefix] = perSecond >= 1e9 ? [1e9, "G"] : perSecond >= 1e6 ? [1e6, "M"] : perSecond >= 1e3 ? [1e3, "k"] : [1, ""];
  return `${(perSecond / scale).toFixed(perSecond >= 100 * scale || scale === 1 ? 0 : 1)}${prefix}`;
}

function lineProgress(write: (text: string) => void, now: () => number): Progress {
  let started = now();
  const lastLine = new Map<string, number>();
  return {
    start() {
      started = now();
    },
    update(e) {
      const t = now();
      const done = e.cellsDone >= e.cells;
      if (!done && t - (lastLine.get(e.experiment) ?? started) < 1000) return;
      lastLine.set(e.experiment, t);
      const elapsed = t - started;
      const eta = !done && e.cellsDone > 0 ? `, about ${Math.ceil(((elapsed / e.cellsDone) * (e.cells - e.cellsDone)) / 1000)} s left` : "";
      write(`${e.experiment}: ${e.cellsDone}/${e.cells} cells, ${rate(e.steps, elapsed)} trajectory-steps/s, ${(elapsed / 1000).toFixed(1)} s${eta}\n`);
    },
    stop() {},
  };
}

function barProgress(stream: NodeJS.WriteStream, now: () => number): Progress {
  // Loaded at run time, not bundled: cli-progress requires Node's builtins the CommonJS way,
  // which an ES module bundle cannot do. It is a dependency, so it resolves from dist/.
  const cliProgress = createRequire(import.meta.url)("cli-progress") as typeof CliProgress;
  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: "{experiment} [{bar}] {value}/{total} cells | {rate} steps/s | ETA {eta_formatted}",
      barsize: 30,
      hideCursor: false,
      // Leaves line wrapping alone, so an interrupted run does not leave the terminal without it.
      linewrap: true,
      gracefulExit: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const byName = new Map<string, CliProgress.SingleBar>();
  let started = now();
  let lastDraw = -Infinity;
  const bar = (name: string, cells: number) => {
    let b = byName.get(name);
    if (!b) byName.set(name, (b = bars.create(cells, 0, { experiment: name, rate: "0" })));
    return b;
  };
  return {
    start(experiments) {
      started = now();
      for (const e of experiments) bar(e.name, e.cells);
    },
    update(e) {
      bar(e.experiment, e.cells).update(e.cellsDone, { rate: rate(e.steps, now() - started) });
      // A run in the main thread blocks the event loop, so the bars' own timer never fires.
      if (now() - lastDraw >= 100) {
        lastDraw = now();
        bars.update();
      }
    },
    stop() {
      bars.update();
      bars.stop();
    },
  };
}
