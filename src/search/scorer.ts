/**
 * The energy head as the search sees it. Lower energy = closer to a proof. The adapter (embedding
 * server + ONNX head, one embedding recipe) lives elsewhere.
 */
export interface Scorer {
  /** E(state_i, goal) for each state; one call per expansion scores all its new children. */
  score(states_pp: readonly string[], goal_pp: string): Promise<Float64Array>;
}
