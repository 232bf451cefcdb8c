export * from "./run-config.js";
export * from "./run-paths.js";
