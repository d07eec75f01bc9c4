/** Thrown for every input a statistics function rejects; the message names the function, the problem and the fix. */
export class StatsError extends Error {
  override readonly name = "StatsError";

  constructor(message: string) {
    super(message);
  }
}
