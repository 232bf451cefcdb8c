/**
 * siblingGroups: children of one parent state. The key is (run_id if the table has one,
 * theorem_name, parent_state_id) — never parent_state_id alone, since state ids restart at 0 in
 * every theorem's tree (the plan's `groupby("parent_state_id")` would merge unrelated trees).
 */
import type { MetricsTable } from "./metrics-table.js";

/** Groups of table rows (table order inside a group, groups by first appearance), roots left out. */
export function siblingGroups(table: MetricsTable, include: (row: number) => boolean = () => true): number[][] {
  const groups = new Map<string, number[]>();
  for (let r = 0; r < table.n_rows; r++) {
    const parent = table.parent_state_id[r];
    if (parent === null || parent === undefined || !include(r)) continue;
    const key = `${table.run_id ? table.run_id[r] : ""}\u0000${table.theorem_name[r]}\u0000${parent}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()];
}
