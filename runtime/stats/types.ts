/** Direction of the alternative hypothesis, named from the point of view of the first sample `x`. */
export type Alternative = "two-sided" | "less" | "greater";

export const ALTERNATIVES: readonly Alternative[] = ["two-sided", "less", "greater"];
