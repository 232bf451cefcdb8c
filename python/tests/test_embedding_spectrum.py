"""embedding_spectrum: exact agreement with np.cov + eigvalsh, chunking invariance, non-finite rows."""
from __future__ import annotations

import json
import os
import tempfile
import unittest

import numpy as np

from burnqed.embedding_spectrum import EmbeddingSpectrumConfig, main, spectrum_metrics, streaming_covariance
from burnqed.events import EventWriter


def reference(x: np.ndarray) -> np.ndarray:
    return np.linalg.eigvalsh(np.cov(x.T))[::-1]


class SpectrumTest(unittest.TestCase):
    def setUp(self) -> None:
        rng = np.random.default_rng(0)
        # anisotropic, with a large mean: exercises the shifted accumulation
        self.x = (rng.standard_normal((257, 12)) * np.linspace(3, 0.1, 12) + 50.0).astype(np.float64)

    def test_covariance_matches_np_cov(self) -> None:
        cov, n_used, n_bad = streaming_covariance(self.x, 64)
        np.testing.assert_allclose(cov, np.cov(self.x.T), rtol=0, atol=1e-10)
        self.assertEqual((n_used, n_bad), (257, 0))

    def test_chunking_invariance(self) -> None:
        results = [streaming_covariance(self.x, c)[0] for c in (1, 7, 64, 256, 257, 10_000)]
        for cov in results[1:]:
            np.testing.assert_allclose(cov, results[0], rtol=0, atol=1e-10)

    def test_non_finite_rows_are_skipped(self) -> None:
        bad = self.x.copy()
        bad[3, 2] = np.nan
        bad[100, 0] = np.inf
        bad[200, 11] = -np.inf
        cov, n_used, n_bad = streaming_covariance(bad, 50)
        good = np.delete(self.x, [3, 100, 200], axis=0)
        np.testing.assert_allclose(cov, np.cov(good.T), rtol=0, atol=1e-10)
        self.assertEqual((n_used, n_bad), (254, 3))

    def test_metrics_exact_small_spectrum(self) -> None:
        values, not_computed = spectrum_metrics(np.array([4.0, 2.0, 2.0, -1e-15]))
        self.assertEqual(values["top1_variance_ratio"], 0.5)
        self.assertEqual(values["top10_variance_ratio"], 1.0)
        self.assertEqual(values["effective_dimension"], 64.0 / 24.0)
        self.assertEqual(not_computed, {})

    def test_config_rejects_unknown_key(self) -> None:
        with self.assertRaisesRegex(ValueError, r"unknown key\(s\) \['chunk_size'\]"):
            EmbeddingSpectrumConfig.from_dict({"vectors": "a", "out_eigenvalues": "b", "out_metrics": "c", "chunk_size": 3})


class JobTest(unittest.TestCase):
    def run_main(self, x: np.ndarray, chunk_rows: int) -> tuple[dict, np.ndarray, list[dict]]:
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryFile() as ev:
            np.save(os.path.join(d, "v.npy"), x)
            cfg = {"vectors": os.path.join(d, "v.npy"), "out_eigenvalues": os.path.join(d, "eig.npy"),
                   "out_metrics": os.path.join(d, "m.json"), "chunk_rows": chunk_rows}
            main(cfg, EventWriter(ev.fileno()))
            with open(cfg["out_metrics"]) as f:
                metrics = json.load(f)
            eig = np.load(cfg["out_eigenvalues"])
            ev.seek(0)
            events = [json.loads(line) for line in ev.read().decode().splitlines()]
            self.assertEqual(sorted(os.listdir(d)), ["eig.npy", "m.json", "v.npy"])  # no partial files left
        return metrics, eig, events

    def test_float16_end_to_end(self) -> None:
        rng = np.random.default_rng(1)
        x = rng.standard_normal((100, 16)).astype(np.float16)
        x[5, 5] = np.nan
        metrics, eig, events = self.run_main(x, 30)
        used = np.delete(x.astype(np.float64), 5, axis=0)
        ref = reference(used)
        np.testing.assert_allclose(eig, ref, rtol=0, atol=1e-10)
        self.assertEqual(eig.dtype, np.float64)
        v = metrics["values"]
        self.assertEqual(metrics["kind"], "embedding_spectrum")
        self.assertEqual((v["n_rows_used"], v["dim"]), (99, 16))
        self.assertEqual(metrics["details"]["n_rows_nonfinite"], 1)
        self.assertAlmostEqual(v["top1_variance_ratio"], ref[0] / ref.sum(), places=12)
        self.assertAlmostEqual(v["top10_variance_ratio"], ref[:10].sum() / ref.sum(), places=12)
        self.assertAlmostEqual(v["effective_dimension"], ref.sum() ** 2 / (ref ** 2).sum(), places=10)
        kinds = [e["event"] for e in events]
        self.assertEqual(kinds.count("progress"), 4)
        self.assertEqual(kinds.count("warning"), 1)
        self.assertEqual(kinds.count("metric"), 3)
        self.assertEqual([e["kind"] for e in events if e["event"] == "artifact"], ["npy", "json"])

    def test_fewer_than_two_rows_names_the_file(self) -> None:
        x = np.array([[1.0, 2.0], [np.nan, 0.0]], dtype=np.float32)
        with self.assertRaisesRegex(ValueError, r"v\.npy: need at least 2 rows"):
            self.run_main(x, 8)


if __name__ == "__main__":
    unittest.main()


class RowSelectionTest(unittest.TestCase):
    def test_rows_file_selects_exactly_those_rows(self) -> None:
        import tempfile, os
        from burnqed.embedding_spectrum import load_rows, streaming_covariance
        rng = np.random.default_rng(3)
        x = rng.normal(size=(50, 4))
        x[[3, 7, 11]] = 0.0  # rows a caller excludes (e.g. terminal nodes)
        keep = np.array([i for i in range(50) if i not in (3, 7, 11)], dtype=np.int64)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "rows.npy")
            np.save(p, keep[::-1])
            rows = load_rows(p, 50)
            cov, n_used, _ = streaming_covariance(x, 8, None, rows)
            self.assertEqual(n_used, 47)
            np.testing.assert_allclose(cov, np.cov(x[keep].T), rtol=1e-10, atol=1e-12)
            np.save(p, np.array([0, 50]))
            with self.assertRaisesRegex(ValueError, "row index 50 out of range"):
                load_rows(p, 50)
