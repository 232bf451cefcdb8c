import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from burnqed.tsne import TsneConfig, tsne_2d  # noqa: E402


def two_clusters(n: int = 60, k: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    points = rng.standard_normal((n, k)) + 8.0 * labels[:, None]  # (n, k), clusters 8 apart
    return points.astype(np.float32), labels


class TsneTest(unittest.TestCase):
    def test_config_rejects_unknown_and_missing_keys(self) -> None:
        with self.assertRaisesRegex(ValueError, r"unknown key\(s\) \['perplexty'\]"):
            TsneConfig.from_dict({"points": "a.npy", "out": "b.npy", "perplexty": 5})
        with self.assertRaisesRegex(ValueError, r"missing key\(s\) \['out'\]"):
            TsneConfig.from_dict({"points": "a.npy"})
        with self.assertRaisesRegex(ValueError, "max_iter"):
            TsneConfig.from_dict({"points": "a.npy", "out": "b.npy", "max_iter": 10})

    def test_separated_clusters_stay_apart_and_the_seed_fixes_the_result(self) -> None:
        points, labels = two_clusters()
        a = tsne_2d(points, seed=3, max_iter=250)
        b = tsne_2d(points, seed=3, max_iter=250)
        self.assertEqual(a.shape, (60, 2))
        self.assertEqual(a.dtype, np.float32)
        np.testing.assert_array_equal(a, b)
        c0, c1 = a[labels == 0].mean(axis=0), a[labels == 1].mean(axis=0)
        spread = max(np.linalg.norm(a[labels == i] - a[labels == i].mean(axis=0), axis=1).mean() for i in (0, 1))
        self.assertGreater(np.linalg.norm(c0 - c1), 2 * spread)

    def test_job_writes_the_embedding_and_events(self) -> None:
        points, _ = two_clusters(n=40)
        with tempfile.TemporaryDirectory() as d:
            np.save(os.path.join(d, "p.npy"), points)
            cfg = {"points": os.path.join(d, "p.npy"), "out": os.path.join(d, "t.npy"), "seed": 1, "max_iter": 250}
            with open(os.path.join(d, "c.json"), "w") as f:
                json.dump(cfg, f)
            env = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..")}
            r = subprocess.run([sys.executable, "-m", "burnqed.tsne", "--config", os.path.join(d, "c.json")], capture_output=True, text=True, env=env, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            out = np.load(os.path.join(d, "t.npy"))
            self.assertEqual(out.shape, (40, 2))
            events = [json.loads(line)["event"] for line in r.stdout.splitlines() if line.strip()]
            self.assertIn("artifact", events)
            self.assertEqual(events[-1], "done")


if __name__ == "__main__":
    unittest.main()
