"""Every job's defaults equal the TypeScript recipes (src/config/recipes.ts → burnqed/recipes.json).

A job run by a stage gets every value from its config; the defaults matter when a job is run by
hand (``python -m burnqed.train_ebm --config ...``), and they must then mean the plan's recipe.
"""
import dataclasses
import json
import os
import unittest

from burnqed.ebm_head import EnergyHeadConfig
from burnqed.embed import DEFAULT_RECIPE, EmbedJobConfig
from burnqed.embedding_spectrum import EmbeddingSpectrumConfig
from burnqed.train_ebm import TrainEbmConfig
from burnqed.tsne import TsneConfig

RECIPES = os.path.join(os.path.dirname(__file__), "..", "burnqed", "recipes.json")


def plan() -> dict:
    with open(RECIPES, encoding="utf-8") as f:
        return json.load(f)["plan"]


def defaults(cls: type) -> dict:
    return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}


def jsonable(v):
    return list(v) if isinstance(v, tuple) else v


def mismatches(cls: type, expected: dict, keys=None) -> list:
    d = defaults(cls)
    out = []
    for k in keys if keys is not None else expected:
        if k not in d:
            out.append(f"{cls.__name__} has no default for recipe key '{k}'")
        elif jsonable(d[k]) != expected[k]:
            out.append(f"{cls.__name__}.{k} = {d[k]!r}, the TS recipe says {expected[k]!r}")
    return out


class RecipeDefaultsTest(unittest.TestCase):
    def assert_defaults(self, cls: type, expected: dict, keys=None) -> None:
        self.assertEqual(mismatches(cls, expected, keys), [])

    def test_train_ebm_defaults_are_the_plan_recipe(self) -> None:
        g = plan()["ebm_train"]
        self.assert_defaults(TrainEbmConfig, g["recipe"])
        self.assert_defaults(TrainEbmConfig, g["controls"], ["threads", "device", "preload_max_gb"])

    def test_energy_head_defaults_are_the_plan_architecture(self) -> None:
        r = plan()["ebm_train"]["recipe"]
        self.assert_defaults(EnergyHeadConfig, {"hidden_dims": r["hidden_dims"], "dropout": r["dropout"]})

    def test_embed_recipe_and_batching(self) -> None:
        g = plan()["embed"]
        self.assertEqual(dataclasses.asdict(DEFAULT_RECIPE), g["recipe"])
        self.assert_defaults(EmbedJobConfig, g["controls"], ["max_tokens_per_batch", "max_batch_size", "chunk_rows"])

    def test_spectrum_and_tsne(self) -> None:
        p = plan()
        self.assert_defaults(EmbeddingSpectrumConfig, p["spectrum"]["recipe"])
        r = p["plots"]["recipe"]
        self.assert_defaults(TsneConfig, {"perplexity": r["tsne_perplexity"], "max_iter": r["tsne_max_iter"], "seed": r["seed"]})

    def test_a_differing_default_is_caught(self) -> None:
        @dataclasses.dataclass(frozen=True)
        class Drifted:
            lr: float = 1e-3

        self.assertEqual(mismatches(Drifted, {"lr": 3e-5}), ["Drifted.lr = 0.001, the TS recipe says 3e-05"])
        self.assertEqual(mismatches(Drifted, {"wd": 0.01}), ["Drifted has no default for recipe key 'wd'"])


if __name__ == "__main__":
    unittest.main()
