"""burnqed.serve: request parsing and response shapes (exact), the batching queue, the sampling loop
on a scripted model (EOS, stop strings, max_tokens, logprobs), the HTTP server with concurrent
requests batched, and the job protocol (ready line, SIGTERM → done, exit 0). Where transformers is
installed (the GPU machine): a tiny random Llama served for real, its completions checked against
transformers' own greedy generation and its embeddings against EmbeddingExtractor."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
from concurrent.futures import Future
from typing import Any, Optional

import numpy as np
import torch

from burnqed.embed import EmbedRecipe
from burnqed.serve import ServeConfig, SequenceSpec, generate_sequences, left_pad, start_server
from burnqed.serve_batcher import QueueClosed, RequestBatcher, WorkItem, batch_cost, select_batch
from burnqed.serve_protocol import (
    ApiError,
    CompletionRequest,
    GeneratedSequence,
    ServeLimits,
    completion_response,
    finalize_choice,
    parse_completion_request,
    parse_embedding_request,
    token_strings,
    wire_logprob,
)
from serve_fakes import EOS, PAD, CharTokenizer, ScriptedStepper, char_id, fake_engine, scripted_logprob

try:
    import tokenizers  # noqa: F401
    import transformers  # noqa: F401

    HAVE_TRANSFORMERS = True
except ImportError:
    HAVE_TRANSFORMERS = False

HERE = os.path.dirname(os.path.abspath(__file__))
# exactly what src/policy/completions-client.ts sends (DEFAULT_COMPLETIONS)
TS_BODY = {"model": "iter0", "prompt": "[GOAL]⊢ a[PROOFSTEP]", "n": 16, "temperature": 1.3, "max_tokens": 128, "stop": ["[GOAL]", "[PROOFSTEP]"], "logprobs": 1}


def tok_decode(ids: Any) -> str:
    return CharTokenizer().decode(ids)


class ParseTest(unittest.TestCase):
    def test_the_typescript_clients_body(self) -> None:
        req = parse_completion_request(TS_BODY, "iter0")
        self.assertEqual(req, CompletionRequest(model="iter0", prompts=("[GOAL]⊢ a[PROOFSTEP]",), n=16, temperature=1.3, max_tokens=128, stop=("[GOAL]", "[PROOFSTEP]"), logprobs=1))
        self.assertEqual(req.n_sequences, 16)

    def test_openai_defaults_and_prompt_lists(self) -> None:
        req = parse_completion_request({"model": "m", "prompt": ["x", "y"], "stop": "z", "user": "me", "stream": False, "top_p": 1, "best_of": 1}, "m")
        self.assertEqual((req.prompts, req.n, req.temperature, req.max_tokens, req.stop, req.logprobs), (("x", "y"), 1, 1.0, 16, ("z",), None))
        self.assertEqual(req.n_sequences, 2)

    def test_errors_name_the_field(self) -> None:
        cases = [
            ({**TS_BODY, "model": "other"}, 404, "model", "not served here; this server serves 'iter0'"),
            ({**TS_BODY, "n": 0}, 400, "n", r"'n' must be an integer in \[1, 128\]"),
            ({**TS_BODY, "n": True}, 400, "n", "'n' must be an integer"),
            ({**TS_BODY, "temperature": -1}, 400, "temperature", "temperature"),
            ({**TS_BODY, "max_tokens": 5000}, 400, "max_tokens", r"\[1, 1024\]"),
            ({**TS_BODY, "stop": ["ok", ""]}, 400, "stop", "non-empty string"),
            ({**TS_BODY, "logprobs": 21}, 400, "logprobs", r"\[0, 20\]"),
            ({**TS_BODY, "prompt": ""}, 400, "prompt", "non-empty string"),
            ({**TS_BODY, "prompt": [1, 2]}, 400, "prompt", "token-id prompts are not supported"),
            ({**TS_BODY, "stream": True}, 400, "stream", "not supported"),
            ({**TS_BODY, "top_p": 0.9}, 400, "top_p", "not supported"),
            ({**TS_BODY, "temprature": 1}, 400, "temprature", r"unsupported field\(s\) \['temprature'\]"),
        ]
        for body, status, param, message in cases:
            with self.assertRaisesRegex(ApiError, message) as ctx:
                parse_completion_request(body, "iter0")
            self.assertEqual((ctx.exception.status, ctx.exception.param), (status, param), body)
        err = ApiError(404, "nope", "model")
        self.assertEqual(err.body(), {"error": {"message": "nope", "type": "NotFoundError", "param": "model", "code": 404}})
        with self.assertRaisesRegex(ApiError, "JSON object"):
            parse_completion_request([1], "iter0")

    def test_embedding_requests(self) -> None:
        self.assertEqual(parse_embedding_request({"model": "m", "input": "⊢ a"}, "m").inputs, ("⊢ a",))
        self.assertEqual(parse_embedding_request({"model": "m", "input": ["a", "b"], "encoding_format": "float"}, "m").inputs, ("a", "b"))
        for body, message in (({"model": "m", "input": ["a", " "]}, "input 1 is empty"), ({"model": "m", "input": []}, "non-empty list"),
                              ({"model": "m", "input": "a", "encoding_format": "base64"}, "not supported"), ({"model": "x", "input": "a"}, "not served")):
            with self.assertRaisesRegex(ApiError, message):
                parse_embedding_request(body, "m")
        with self.assertRaisesRegex(ApiError, "at most 2"):
            parse_embedding_request({"model": "m", "input": ["a", "b", "c"]}, "m", ServeLimits(max_embedding_inputs=2))


class ResponseTest(unittest.TestCase):
    def test_token_strings_join_to_the_text_across_a_split_character(self) -> None:
        pieces = {1: b"a", 2: b"\xe2", 3: b"\x8a\xa2", 4: b" b"}  # '⊢' is e2 8a a2: split across two tokens

        def decode(ids: Any) -> str:
            return b"".join(pieces[i] for i in ids).decode("utf-8", errors="replace")

        self.assertEqual(token_strings(decode, [1, 2, 3, 4]), ["a", "", "⊢", " b"])
        self.assertEqual(token_strings(decode, [1, 2]), ["a", "\ufffd"])  # cut mid-character at the end: shown as the decoder shows it
        self.assertEqual(token_strings(decode, []), [])

    def test_stop_string_cut_and_eos(self) -> None:
        ids = [char_id(c) for c in "ab[GOAL]c"]
        seq = GeneratedSequence(tuple(ids), tuple(-0.1 * (i + 1) for i in range(len(ids))), None, "length")
        done = finalize_choice(seq, tok_decode, ("[GOAL]", "[PROOFSTEP]"), with_top=False)
        self.assertEqual((done.text, done.tokens, done.token_logprobs, done.finish_reason), ("ab", ("a", "b"), (-0.1, -0.2), "stop"))
        self.assertEqual(done.text_offset, (0, 1))
        self.assertEqual(done.n_tokens, len(ids))  # usage counts what was generated
        eos_end = finalize_choice(GeneratedSequence((char_id("a"),), (-0.5,), ((( char_id("a"), -0.5), (char_id("b"), -1.5)),), "stop"), tok_decode, (), with_top=True)
        self.assertEqual((eos_end.text, eos_end.finish_reason, eos_end.n_tokens, eos_end.top_logprobs), ("a", "stop", 2, ({"a": -0.5, "b": -1.5},)))
        at_start = finalize_choice(GeneratedSequence(tuple(char_id(c) for c in "[GOAL]"), (-1.0,) * 6, None, "length"), tok_decode, ("[GOAL]",), with_top=False)
        self.assertEqual((at_start.text, at_start.tokens, at_start.finish_reason), ("", (), "stop"))

    def test_completion_response_shape(self) -> None:
        req = CompletionRequest(model="m", prompts=("p1", "p2"), n=2, max_tokens=4, logprobs=1)
        seqs = [GeneratedSequence((char_id("a"),), (-0.25,), (((char_id("a"), -0.25),),), "stop") for _ in range(4)]
        body = completion_response(req, [5, 7], seqs, tok_decode, created=123, response_id="cmpl-x")
        self.assertEqual(body["usage"], {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20})
        self.assertEqual([c["index"] for c in body["choices"]], [0, 1, 2, 3])
        self.assertEqual(body["choices"][0], {"index": 0, "text": "a", "finish_reason": "stop",
                                              "logprobs": {"tokens": ["a"], "token_logprobs": [-0.25], "top_logprobs": [{"a": -0.25}], "text_offset": [0]}})
        self.assertEqual((body["id"], body["object"], body["created"], body["model"]), ("cmpl-x", "text_completion", 123, "m"))
        plain = completion_response(CompletionRequest(model="m", prompts=("p",)), [3], seqs[:1], tok_decode, created=1)
        self.assertIsNone(plain["choices"][0]["logprobs"])
        with self.assertRaises(ValueError):
            completion_response(req, [5], seqs, tok_decode, created=1)

    def test_wire_logprobs(self) -> None:
        self.assertEqual((wire_logprob(-0.5), wire_logprob(float("-inf")), wire_logprob(float("nan"))), (-0.5, -9999.0, None))


def comp(n: int, prompt: int, new: int) -> WorkItem:
    return WorkItem("completion", None, n_sequences=n, prompt_tokens=prompt, max_new_tokens=new)


class BatcherTest(unittest.TestCase):
    def test_cost_and_selection(self) -> None:
        a, b, c, e = comp(16, 300, 128), comp(16, 500, 64), comp(4, 100, 128), WorkItem("embedding", None)
        self.assertEqual(batch_cost([a, b]), 32 * (500 + 128))
        self.assertEqual(batch_cost([e]), 0)
        self.assertEqual(select_batch([a, b, c], 10**9, 256), [0, 1, 2])
        self.assertEqual(select_batch([a, b, c], 32 * 628, 256), [0, 1])  # c would make it 36 x 628
        self.assertEqual(select_batch([a, comp(64, 2000, 128), c, e], 32 * 628, 256), [0, 3])  # the big one blocks c (first come, first served); embeddings always go
        self.assertEqual(select_batch([comp(512, 10, 10)], 1, 1), [0])  # the first is taken even alone over budget
        self.assertEqual(select_batch([a, b, c], 10**9, 32), [0, 1])  # sequence cap

    def test_window_collects_concurrent_submissions(self) -> None:
        batcher = RequestBatcher(window_s=0.3, max_batch_tokens=10**9, max_batch_sequences=256)
        got: list[list[WorkItem]] = []
        taker = threading.Thread(target=lambda: got.append(batcher.next_batch() or []))
        taker.start()
        items = [comp(1, 10, 10) for _ in range(3)]
        for item in items:
            batcher.submit(item)
            time.sleep(0.02)
        taker.join(timeout=5)
        self.assertEqual(got, [items])

    def test_a_full_budget_does_not_wait_for_the_window(self) -> None:
        batcher = RequestBatcher(window_s=30.0, max_batch_tokens=100, max_batch_sequences=256)
        first, second = comp(1, 50, 40), comp(1, 50, 40)
        batcher.submit(first)
        batcher.submit(second)
        t0 = time.monotonic()
        self.assertEqual(batcher.next_batch(), [first])  # second does not fit: no point waiting 30 s
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(batcher.pending(), 1)

    def test_idle_close_and_refusal(self) -> None:
        batcher = RequestBatcher(window_s=0.0, max_batch_tokens=100, max_batch_sequences=8)
        self.assertEqual(batcher.next_batch(idle_timeout_s=0.05), [])
        left = comp(1, 1, 1)
        batcher.submit(left)
        self.assertEqual(batcher.close(), [left])
        self.assertIsNone(batcher.next_batch(idle_timeout_s=0.05))
        with self.assertRaises(QueueClosed):
            batcher.submit(comp(1, 1, 1))
        with self.assertRaises(ValueError):
            RequestBatcher(0, 1, 1).submit(WorkItem("chat", None))


def spec(prompt: str, temperature: float = 0.0, max_tokens: int = 8, top: int = 0, stops: tuple[str, ...] = ()) -> SequenceSpec:
    ids = CharTokenizer()([prompt])["input_ids"][0][:-1]  # BOS + characters, as ServeApp tokenises (trailing EOS removed)
    return SequenceSpec(tuple(ids), temperature, max_tokens, top, stops)


class SamplingLoopTest(unittest.TestCase):
    def run_specs(self, specs: list[SequenceSpec], seed: int = 0) -> list[GeneratedSequence]:
        return generate_sequences(ScriptedStepper(), specs, frozenset({EOS}), PAD, torch.Generator().manual_seed(seed), tok_decode)

    def test_left_padding(self) -> None:
        ids, mask, pos = left_pad([[1, 5, 6], [1, 7]], PAD, "cpu")
        self.assertEqual(ids.tolist(), [[1, 5, 6], [PAD, 1, 7]])
        self.assertEqual(mask.tolist(), [[1, 1, 1], [0, 1, 1]])
        self.assertEqual(pos.tolist(), [[0, 1, 2], [0, 0, 1]])

    def test_greedy_eos_length_and_stop_in_one_batch(self) -> None:
        out = self.run_specs([spec("xa"), spec("e", max_tokens=5), spec("e", stops=("gh",), max_tokens=20), spec("ab", max_tokens=1)])
        top = scripted_logprob(True)
        self.assertEqual((out[0].token_ids, out[0].top_logprobs, out[0].finish_reason), (tuple(char_id(c) for c in "bcd"), None, "stop"))  # then EOS
        self.assertEqual((tok_decode(out[1].token_ids), out[1].finish_reason), ("fghef", "length"))
        self.assertEqual((tok_decode(out[2].token_ids), out[2].finish_reason), ("fgh", "stop"))  # the stop string ends generation; finalize cuts it
        self.assertEqual((tok_decode(out[3].token_ids), out[3].finish_reason), ("c", "length"))
        self.assertEqual(len(out[0].token_logprobs), 3)
        for got in out[0].token_logprobs:
            self.assertAlmostEqual(got, top, places=6)  # float32 log-softmax

    def test_top_logprobs_include_the_sampled_token(self) -> None:
        (seq,) = self.run_specs([spec("a", top=2, max_tokens=2)])
        first = seq.top_logprobs[0]
        self.assertEqual(first[0][0], char_id("b"))
        self.assertAlmostEqual(first[0][1], scripted_logprob(True), places=5)
        self.assertAlmostEqual(first[1][1], scripted_logprob(False), places=5)
        self.assertEqual(len(first), 2)

    def test_sampling_is_seeded_and_logprobs_are_the_models(self) -> None:
        specs = [spec("a", temperature=100.0, max_tokens=3) for _ in range(6)]  # nearly uniform sampling
        a, b = self.run_specs(specs, seed=1), self.run_specs(specs, seed=1)
        self.assertEqual(a, b)
        self.assertNotEqual(self.run_specs(specs, seed=2), a)
        lps = {round(lp, 5) for s in a for lp in s.token_logprobs}
        self.assertTrue(lps <= {round(scripted_logprob(True), 5), round(scripted_logprob(False), 5)}, lps)  # temperature 1 log-probs, whatever the sampling temperature
        self.assertIn(round(scripted_logprob(False), 5), lps)  # at T = 100 off-script tokens are drawn


def post(url: str, body: Any, raw: Optional[bytes] = None) -> tuple[int, Any]:
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class HttpTest(unittest.TestCase):
    def setUp(self) -> None:
        self.cfg = ServeConfig(model_dir="/runs/x/iter_0/model/merged", served_model_name="iter0", port=0, batch_window_ms=300, max_model_len=64, embed_recipe=EmbedRecipe(template="{state}"))
        self.stepper = ScriptedStepper()
        engine, tok = fake_engine(self.cfg, self.stepper)
        self.server = start_server(engine, tok, self.cfg)
        self.url = self.server.url

    def tearDown(self) -> None:
        self.server.stop()

    def test_health_models_and_errors(self) -> None:
        self.assertEqual(get(self.url + "/health"), (200, {"status": "ok", "model": "iter0", "queued": 0, "embed_recipe": dataclasses.asdict(EmbedRecipe(template="{state}"))}))
        status, models = get(self.url + "/v1/models")
        self.assertEqual((status, [m["id"] for m in models["data"]], models["data"][0]["max_model_len"]), (200, ["iter0"], 64))
        self.assertEqual(post(self.url + "/v1/completions", {**TS_BODY, "model": "iter9"})[0], 404)
        status, err = post(self.url + "/v1/completions", {**TS_BODY, "prompt": "a" * 60, "max_tokens": 8})
        self.assertEqual((status, err["error"]["param"]), (400, "prompt"))
        self.assertIn("exceeds max_model_len 64", err["error"]["message"])
        self.assertEqual(post(self.url + "/v1/completions", None, raw=b"{not json")[0], 400)
        self.assertEqual(get(self.url + "/v2/nothing")[0], 404)

    def test_completion_with_logprobs(self) -> None:
        status, body = post(self.url + "/v1/completions", {**TS_BODY, "prompt": "[GOAL]xa[PROOFSTEP]", "n": 3, "temperature": 0, "max_tokens": 6})
        self.assertEqual(status, 200)
        self.assertEqual(len(body["choices"]), 3)
        for c in body["choices"]:
            self.assertEqual((c["text"], c["finish_reason"], c["logprobs"]["tokens"]), ("abcd", "stop", ["a", "b", "c", "d"]))  # after ']' the script starts at a
            self.assertEqual(len(c["logprobs"]["token_logprobs"]), 4)
            self.assertEqual([list(t) for t in c["logprobs"]["top_logprobs"]], [["a"], ["b"], ["c"], ["d"]])
        self.assertEqual(body["usage"]["prompt_tokens"], 1 + len("[GOAL]xa[PROOFSTEP]"))  # BOS + characters, the appended EOS removed
        self.assertEqual(body["usage"]["completion_tokens"], 3 * 5)  # 4 tokens + EOS each

    def test_concurrent_requests_are_generated_together(self) -> None:
        barrier = threading.Barrier(3)
        results: list[Any] = [None] * 3

        def call(i: int) -> None:
            barrier.wait()
            results[i] = post(self.url + "/v1/completions", {**TS_BODY, "prompt": "e" * (i + 1), "n": 2, "temperature": 0, "max_tokens": 3})

        threads = [threading.Thread(target=call, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual([r[0] for r in results], [200, 200, 200])
        self.assertEqual(self.stepper.prefill_batches, [6])  # one batch: 3 requests x n=2
        for status, body in results:
            self.assertEqual([c["text"] for c in body["choices"]], ["fgh", "fgh"])

    def test_embeddings_are_the_extractors(self) -> None:
        from burnqed.embed import EmbeddingExtractor

        states = ["⊢ a b", "⊢ [a]", "h"]
        status, body = post(self.url + "/v1/embeddings", {"model": "iter0", "input": states})
        self.assertEqual(status, 200)
        self.assertEqual([d["index"] for d in body["data"]], [0, 1, 2])
        engine_extractor: EmbeddingExtractor = self.server.app.engine.extractor
        want = engine_extractor.encode(states).numpy().astype(np.float16).astype(np.float32)  # the embed job's stored values
        np.testing.assert_array_equal(np.array([d["embedding"] for d in body["data"]], dtype=np.float32), want)
        self.assertEqual(body["usage"]["prompt_tokens"], sum(1 + len(s) for s in states))
        self.assertEqual(post(self.url + "/v1/embeddings", {"model": "iter0", "input": [""]})[0], 400)


class JobProtocolTest(unittest.TestCase):
    def test_ready_line_then_sigterm_ends_with_done(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            cfg_path = os.path.join(root, "cfg.json")
            ready = os.path.join(root, "ready.json")
            with open(cfg_path, "w") as f:
                json.dump({"model_dir": "fake", "port": 0, "ready_file": ready, "embed_recipe": {"template": "{state}"}}, f)
            proc = subprocess.Popen([sys.executable, os.path.join(HERE, "serve_fake_job.py"), "--config", cfg_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                events = []
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    line = proc.stdout.readline()
                    if not line:
                        break
                    events.append(json.loads(line))
                    if events[-1]["event"] == "progress" and events[-1]["step"] == 1:
                        break
                self.assertEqual((events[0]["event"], events[0]["unit"], events[0]["step"]), ("progress", "ready", 0))
                self.assertEqual(events[-1]["unit"], "ready")
                self.assertRegex(events[-1]["message"], r"^ready: serving 'fake' at http://127\.0\.0\.1:\d+$")
                self.assertIn({"event": "artifact", "path": ready, "kind": "json"}, [{k: v for k, v in e.items() if k != "t"} for e in events])
                with open(ready) as f:
                    info = json.load(f)
                self.assertEqual(get(info["url"] + "/health")[0], 200)
                self.assertEqual(post(info["url"] + "/v1/completions", {"model": "fake", "prompt": "a", "temperature": 0, "max_tokens": 2})[1]["choices"][0]["text"], "bc")
                proc.send_signal(signal.SIGTERM)
                out, err = proc.communicate(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
            self.assertEqual(proc.returncode, 0, err[-2000:])
            done = [json.loads(l) for l in out.splitlines() if l.strip()][-1]
            self.assertEqual(done["event"], "done")
            self.assertEqual((done["summary"]["kind"], done["summary"]["completion_requests"]), ("serve", 2))  # the warm-up and ours


# ---------------------------------------------------------------------------------------------
# a tiny random Llama, served for real (transformers: the GPU machine)


@unittest.skipUnless(HAVE_TRANSFORMERS, "transformers/tokenizers not installed here: the tiny-Llama server test runs on the GPU machine")
class TinyLlamaServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        from llm_fixtures import bpe_tokenizer, lean_pairs, tiny_llama

        from burnqed.serve import build_engine
        from burnqed.sft_special_tokens import add_special_tokens

        cls.tmp = tempfile.TemporaryDirectory()
        pairs = lean_pairs(64)
        tok = bpe_tokenizer([t for p in pairs for t in p] * 3)
        model = tiny_llama(len(tok), seed=3)
        add_special_tokens(model, tok, "trainable_token_rows")  # the markers as the merged model has them
        cls.model_dir = os.path.join(cls.tmp.name, "merged")
        model.save_pretrained(cls.model_dir)
        tok.save_pretrained(cls.model_dir)
        cls.states = [s for s, _ in pairs[:6]]
        cls.device = "cuda" if torch.cuda.is_available() else "cpu"
        cls.cfg = ServeConfig(model_dir=cls.model_dir, served_model_name="tiny", port=0, device=cls.device, dtype="float32", batch_window_ms=50)
        engine, tokenizer = build_engine(cls.cfg)
        cls.server = start_server(engine, tokenizer, cls.cfg)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()
        cls.tmp.cleanup()

    def test_greedy_completions_equal_transformers_generate(self) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(self.model_dir)
        ref = AutoModelForCausalLM.from_pretrained(self.model_dir).to(self.device).eval()
        prompts = [f"[GOAL]{s}[PROOFSTEP]" for s in self.states[:3]]
        status, body = post(self.server.url + "/v1/completions", {"model": "tiny", "prompt": prompts, "n": 2, "temperature": 0, "max_tokens": 12, "logprobs": 2})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["choices"]), 6)
        for i, prompt in enumerate(prompts):
            ids = torch.tensor([tok(prompt)["input_ids"]], device=self.device)
            with torch.no_grad():
                out = ref.generate(ids, max_new_tokens=12, do_sample=False, output_scores=True, return_dict_in_generate=True, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
            gen = out.sequences[0, ids.shape[1]:].tolist()
            if tok.eos_token_id in gen:
                gen = gen[: gen.index(tok.eos_token_id)]
            want_text = tok.decode(gen, skip_special_tokens=False, clean_up_tokenization_spaces=False)
            want_lps = [float(torch.log_softmax(s[0].float(), dim=-1)[t]) for s, t in zip(out.scores, gen)]
            for c in body["choices"][2 * i : 2 * i + 2]:  # left-padded in a batch of 6, the same as alone
                self.assertEqual(c["text"], want_text)
                np.testing.assert_allclose(c["logprobs"]["token_logprobs"], want_lps, atol=1e-4)
                self.assertEqual(len(c["logprobs"]["tokens"]), len(gen))
                self.assertTrue(all(len(t) >= 1 for t in c["logprobs"]["top_logprobs"]))

    def test_sampled_completions_have_the_clients_shape(self) -> None:
        status, body = post(self.server.url + "/v1/completions", {**TS_BODY, "model": "tiny", "prompt": f"[GOAL]{self.states[0]}[PROOFSTEP]", "max_tokens": 16})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["choices"]), 16)
        for c in body["choices"]:
            lp = c["logprobs"]
            self.assertEqual(len(lp["tokens"]), len(lp["token_logprobs"]))
            self.assertTrue(all(isinstance(x, float) and math.isfinite(x) and x <= 0 for x in lp["token_logprobs"]))
            self.assertIn(c["finish_reason"], ("stop", "length"))
            self.assertNotIn("[GOAL]", c["text"])
            self.assertNotIn("[PROOFSTEP]", c["text"])

    def test_embeddings_equal_the_embedding_extractor(self) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from burnqed.embed import DEFAULT_RECIPE, EmbeddingExtractor

        status, body = post(self.server.url + "/v1/embeddings", {"model": "tiny", "input": self.states})
        self.assertEqual(status, 200, body)
        ref_model = AutoModelForCausalLM.from_pretrained(self.model_dir).to(self.device).eval()
        want = EmbeddingExtractor(ref_model, AutoTokenizer.from_pretrained(self.model_dir), DEFAULT_RECIPE).encode(self.states).cpu().numpy()
        got = np.array([d["embedding"] for d in body["data"]], dtype=np.float32)
        np.testing.assert_allclose(got, want.astype(np.float16).astype(np.float32), rtol=2e-3, atol=2e-3)  # float16 storage, batch shapes differ


if __name__ == "__main__":
    unittest.main()
