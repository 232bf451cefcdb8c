/**
 * The numeric core: pure kernels shared by metrics/ and demo/ (no file reading, no jobs).
 * The matrix engine runs float32 products on onnxruntime-node (~130–167 GFLOP/s on 2 cores).
 */
export { Prng, hash32 } from "./prng.js";
export { NumpyRandomState } from "./numpy-random-state.js";
export { symmetricEigen, type SymmetricEigen } from "./symmetric-eigen.js";
export { jacobiEigenvalues, type JacobiOptions } from "./jacobi-eigenvalues.js";
export { topEigen, type TopEigen, type TopEigenOptions } from "./top-eigen.js";
export { minimizeLbfgs, type LbfgsEvaluation, type LbfgsOptions, type LbfgsResult, type LbfgsStop } from "./lbfgs.js";
export { matmul, matmulTransA, matmulTransB } from "./matmul-engine.js";
export { onnxModel, type OnnxNode, type OnnxValue } from "./onnx-model.js";
export { createRowMatrix, rowMatrixFromArray, matrixRow, rowSegments, type RowMatrix, type RowSegment } from "./row-matrix.js";
export { covarianceAbout, groupSums, type GroupSums } from "./row-moments.js";
export { arrayVectorSource, type VectorSource } from "./vector-source.js";
