/**
 * The synthetic Lean and policy of the demo: a world of theorems with one proof each and a tactic
 * semantics over goal texts (SyntheticProofWorld), spoken through the repl protocol by a process
 * (synthetic-lean-repl.ts) and through the OpenAI API by an HTTP server (synthetic-policy-server.ts),
 * so the project's real REPL pool, policy client and best-first search can search it for real.
 */
export { parseGoalState, inferFamily, GoalStateParseError } from "./parse-goal-state.js";
export { generateSyntheticProblems, syntheticProblemsFromDemo, syntheticStatement, syntheticProofText, SYNTHETIC_HEADER, type SyntheticProblem, type SyntheticProblemOptions } from "./synthetic-problems.js";
export { SyntheticProofWorld, normalizeWorldSpec, DEFAULT_P_TACTIC_ERROR, type SyntheticWorldSpec, type WorldStep, type Replay, type ReplayStep, type ProofPosition } from "./synthetic-proof-world.js";
export { classifyTactic, tacticSyntaxError, type TacticClass } from "./tactic-class.js";
export { readSyntheticWorldFile, writeSyntheticWorldFile, WORLD_FILE_FORMAT } from "./synthetic-world-file.js";
export { SyntheticReplSession } from "./synthetic-repl-session.js";
export { syntheticReplCommand, SYNTHETIC_REPL_SCRIPT } from "./synthetic-repl-command.js";
export { normalizePolicyParams, DEFAULT_POLICY_PARAMS, type SyntheticPolicyParams } from "./synthetic-policy-params.js";
export { syntheticCompletions, decoyTactics, promptState, CompletionsRequestError, type SyntheticCompletionsRequest } from "./synthetic-completions.js";
export { syntheticEmbedding, plantedDirection, proofProximity, embeddedState, DEFAULT_EMBEDDING_DIM, type SyntheticEncoder } from "./synthetic-embeddings.js";
export { startSyntheticPolicyServer, normalizeSyntheticServerConfig, type SyntheticPolicyServer, type SyntheticServerConfig, type SyntheticServerStats } from "./synthetic-policy-server.js";
export { spawnSyntheticPolicyServer, SYNTHETIC_SERVER_SCRIPT, type SyntheticServerProcess } from "./synthetic-policy-server-process.js";
export { WorldProofEnv } from "./world-proof-env.js";
export { toyTokens } from "./toy-tokens.js";
