import { StatsError } from "./errors.js";

export interface SampleRules {
  /** Completes "<fn>: <label> is empty; ..." and says what the caller must supply. */
  emptyHint: string;
  minLength?: number;
  /** Rank-based statistics only compare values, so ±Infinity (e.g. a diverged run) is meaningful there. */
  allowInfinite?: boolean;
}

/** Returns `values` as a number array after rejecting non-arrays, too-short arrays, NaN and (unless allowed) ±Infinity. */
export function requireSample(fn: string, label: string, values: unknown, rules: SampleRules): readonly number[] {
  if (!Array.isArray(values)) {
    throw new StatsError(`${fn}: ${label} must be an array of numbers, got ${describeValue(values)}`);
  }
  const minLength = rules.minLength ?? 1;
  if (values.length === 0) {
    throw new StatsError(`${fn}: ${label} is empty; ${rules.emptyHint}`);
  }
  if (values.length < minLength) {
    throw new StatsError(
      `${fn}: ${label} has ${values.length} value(s) but at least ${minLength} are needed; ${rules.emptyHint}`,
    );
  }
  values.forEach((value: unknown, index: number) => {
    if (typeof value !== "number") {
      throw new StatsError(`${fn}: ${label}[${index}] is ${describeValue(value)}; every entry must be a number`);
    }
    if (Number.isNaN(value)) {
      throw new StatsError(
        `${fn}: ${label}[${index}] is NaN; remove or impute missing values before calling ${fn}`,
      );
    }
    if (!rules.allowInfinite && !Number.isFinite(value)) {
      throw new StatsError(
        `${fn}: ${label}[${index}] is ${value}; ${fn} needs finite values (means and variances of infinite data are undefined)`,
      );
    }
  });
  return values as number[];
}

/** Returns `value` if it is one of `allowed`, else throws a StatsError listing the allowed values. */
export function requireOneOf<T extends string>(fn: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) {
    return value as T;
  }
  const choices = allowed.map((choice) => JSON.stringify(choice)).join(", ");
  throw new StatsError(`${fn}: ${option} is ${describeValue(value)}; use one of ${choices}`);
}

/** Returns `value` if it is a boolean, else throws a StatsError. */
export function requireBoolean(fn: string, option: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new StatsError(`${fn}: ${option} is ${describeValue(value)}; use true or false`);
  }
  return value;
}

/** Short description of an offending value for error messages (strings quoted, arrays by length). */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}
