export * from "./split-by-theorem.js";
export * from "./sft-format.js";
export * from "./data-stats.js";
