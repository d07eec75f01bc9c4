// Population rules on hand-made snapshot series: which snapshots each rule picks, how ties and
// diverged (non-finite) snapshots are treated, and the members across trajectories.
import { describe, expect, it } from "vitest";
import { selectPopulation, selectPopulationMembers, selectPositions } from "../../../runtime/tasks/populations.js";
import type { Snapshot } from "../../../runtime/tasks/types.js";

/** A series from (loss, metric) pairs, one snapshot every 10 steps. */
function series(points: [loss: number, metric: number][]): Snapshot[] {
  return points.map(([loss, metric], i) => ({ step: 10 * (i + 1), gradientEvaluations: 10 * (i + 1), loss, metric }));
}

// Position:          0          1           2          3           4          5
const s = series([[0.5, 0.7], [0.2, 0.9], [0.2, 0.9], [NaN, NaN], [0.1, 0.8], [Infinity, 0.6]]);

describe("selectPositions", () => {
  it("lowest by loss: the smallest, ties to the earlier snapshot, non-finite last", () => {
    expect(selectPositions(s, { kind: "lowest", count: 1, by: "loss" })).toEqual([4]);
    expect(selectPositions(s, { kind: "lowest", count: 2, by: "loss" })).toEqual([1, 4]);
    expect(selectPositions(s, { kind: "lowest", count: 3, by: "loss" })).toEqual([1, 2, 4]);
    expect(selectPositions(s, { kind: "lowest", count: 4, by: "loss" })).toEqual([0, 1, 2, 4]);
    // Only four finite losses: the fifth pick is the earlier of the two diverged snapshots.
    expect(selectPositions(s, { kind: "lowest", count: 5, by: "loss" })).toEqual([0, 1, 2, 3, 4]);
    expect(selectPositions(s, { kind: "lowest", count: 6, by: "loss" })).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("highest by metric: the largest, ties to the earlier snapshot, non-finite only when nothing else is left", () => {
    expect(selectPositions(s, { kind: "highest", count: 1, by: "metric" })).toEqual([1]);
    expect(selectPositions(s, { kind: "highest", count: 3, by: "metric" })).toEqual([1, 2, 4]);
    expect(selectPositions(s, { kind: "highest", count: 5, by: "metric" })).toEqual([0, 1, 2, 4, 5]);
    expect(selectPositions(s, { kind: "highest", count: 6, by: "metric" })).toEqual([0, 1, 2, 3, 4, 5]);
    // By loss, +Infinity is not the highest: it is non-finite.
    expect(selectPositions(s, { kind: "highest", count: 1, by: "loss" })).toEqual([0]);
    expect(selectPositions(s, { kind: "lowest", count: 2, by: "metric" })).toEqual([0, 5]);
  });

  it("last and all; a count above the series length takes the whole series", () => {
    expect(selectPositions(s, { kind: "last", count: 2 })).toEqual([4, 5]);
    expect(selectPositions(s, { kind: "last", count: 0 })).toEqual([]);
    expect(selectPositions(s, { kind: "last", count: 60 })).toEqual([0, 1, 2, 3, 4, 5]);
    expect(selectPositions(s, { kind: "lowest", count: 60, by: "loss" })).toEqual([0, 1, 2, 3, 4, 5]);
    expect(selectPositions(s, { kind: "all" })).toEqual([0, 1, 2, 3, 4, 5]);
    expect(selectPositions([], { kind: "highest", count: 3, by: "metric" })).toEqual([]);
  });

  it("rejects a count that is not a non-negative integer", () => {
    expect(() => selectPositions(s, { kind: "last", count: -1 })).toThrow(RangeError);
    expect(() => selectPositions(s, { kind: "lowest", count: 1.5, by: "loss" })).toThrow(/count must be a non-negative integer/);
  });
});

describe("selectPopulation and selectPopulationMembers", () => {
  it("return the picked snapshots in series order", () => {
    expect(selectPopulation(s, { kind: "lowest", count: 2, by: "loss" })).toEqual([s[1], s[4]]);
    expect(selectPopulation(s, { kind: "lowest", count: 2, by: "loss" })[0]).toBe(s[1]);
  });

  it("apply the rule per trajectory and tag each member with its trajectory and position", () => {
    const other = series([[1, 0.1], [0.3, 0.2], [0.4, 0.3]]);
    const members = selectPopulationMembers([s, other, []], { kind: "lowest", count: 2, by: "loss" });
    expect(members.map(({ trajectory, position }) => [trajectory, position])).toEqual([
      [0, 1],
      [0, 4],
      [1, 1],
      [1, 2],
    ]);
    expect(members[2]!.snapshot).toBe(other[1]);
    expect(selectPopulationMembers([s, other], { kind: "highest", count: 1, by: "metric" }).map((m) => m.snapshot.metric)).toEqual([0.9, 0.3]);
  });
});
