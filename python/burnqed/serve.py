"""An OpenAI-compatible server for the policy and the encoder from ONE loaded model (design.md §5:
the fallback when no vLLM / SGLang runs; plan Tasks 1.3 / 2.1 / 2.6 reach the model through it).

Run: ``python -m burnqed.serve --config cfg.json`` (see :class:`ServeConfig`). Standard library
HTTP (ThreadingHTTPServer), no new dependencies. Endpoints (shapes: burnqed.serve_protocol):

- ``POST /v1/completions``: tactic samples with per-token logprobs; concurrent requests are
  collected for ``batch_window_ms`` and generated together (serve_batcher), ``n`` samples per prompt;
- ``POST /v1/embeddings``: the project's embedding recipe (burnqed.embed's EmbeddingExtractor,
  ``[GOAL]{state}[PROOFSTEP]``, last content token, rounded to the recipe's storage dtype), so a
  vector equals the embed job's for the same state up to bfloat16 batch-shape noise;
- ``GET /v1/models``, ``GET /health`` (200 once the model is loaded and warmed up, with the
  embedding recipe ``/v1/embeddings`` applies; 503 if the model thread died).

As a job: ``progress`` {unit "ready", step 0} while loading, then ``progress`` {unit "ready",
step 1, total 1, message "ready: serving '<model>' at http://host:port"} once it answers (and,
with ``ready_file``, that file: {url, host, port, pid, model} plus an ``artifact`` event for it);
the runner waits for that line. SIGTERM (or SIGINT) stops it cleanly: no new requests, the running
batch is cancelled (its requests get 503), the threads end, ``done`` carries the request counts
and the process exits 0.

One model thread does all GPU work; HTTP threads only parse, tokenise (under one lock: fast
tokenizers are not safe to share across threads) and wait. Generation: prompts left-padded to the
batch's longest, one prefill, then one token per step for every sequence with the KV cache until
each has hit EOS, a stop string or its max_tokens. A prompt is tokenised as the SFT prompt was (BOS
added, no trailing EOS). The ``n`` samples of a prompt are prefilled as ``n`` rows (simple; the
prefill is a small share of a tactic generation).
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import http.server
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence

import numpy as np
import torch

from burnqed.atomic_io import write_json_atomic
from burnqed.embed import DEFAULT_RECIPE, EmbedRecipe, length_grouped_batches, tokenize_texts
from burnqed.events import EventWriter, run_job
from burnqed.serve_batcher import QueueClosed, RequestBatcher, WorkItem
from burnqed.serve_protocol import (
    ApiError,
    CompletionRequest,
    GeneratedSequence,
    ServeLimits,
    completion_response,
    embedding_response,
    find_stop,
    models_response,
    parse_completion_request,
    parse_embedding_request,
)
from burnqed.strict_config import config_from_dict

MAX_BODY_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ServeConfig:
    model_dir: str  # the merged model (burnqed.merge_lora's out_dir)
    tokenizer_dir: Optional[str] = None  # default: model_dir
    served_model_name: Optional[str] = None  # default: model_dir as given (vLLM's default)
    host: str = "127.0.0.1"
    port: int = 8000  # 0: any free port (the ready event and ready_file say which)
    device: str = "auto"
    dtype: str = "bfloat16"
    attn_implementation: Optional[str] = "sdpa"
    max_model_len: int = 4096  # prompt + max_tokens (DeepSeek-Prover-V1.5: 4096 positions)
    batch_window_ms: float = 5.0  # how long the first request of a batch waits for company
    max_batch_tokens: int = 131072  # KV-cache positions of a generation batch (7B bf16: 0.5 MB each, 64 GB)
    max_batch_sequences: int = 256
    max_n: int = 128
    max_tokens_limit: int = 1024
    seed: int = 0  # of the sampling generator
    embed_recipe: EmbedRecipe = DEFAULT_RECIPE
    embed_max_tokens_per_batch: int = 16384  # burnqed.embed's defaults
    embed_max_batch_size: int = 1024
    request_timeout_s: float = 600.0
    ready_file: Optional[str] = None
    log_requests: bool = False

    @staticmethod
    def from_dict(raw: Mapping[str, Any]) -> "ServeConfig":
        return config_from_dict(ServeConfig, raw, where="serve config")

    def validate(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"serve config: 'port' must be in [0, 65535], got {self.port}")
        for key in ("max_model_len", "max_batch_tokens", "max_batch_sequences", "max_n", "max_tokens_limit", "embed_max_tokens_per_batch", "embed_max_batch_size"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"serve config: '{key}' must be a positive integer, got {v!r}")
        if self.batch_window_ms < 0 or not self.request_timeout_s > 0:
            raise ValueError(f"serve config: batch_window_ms must be >= 0 and request_timeout_s > 0, got {self.batch_window_ms}, {self.request_timeout_s}")
        if self.dtype not in ("bfloat16", "float16", "float32"):
            raise ValueError(f"serve config: 'dtype' must be bfloat16, float16 or float32, got {self.dtype!r}")

    @property
    def model_name(self) -> str:
        return self.served_model_name or self.model_dir

    def limits(self) -> ServeLimits:
        return ServeLimits(max_n=self.max_n, max_tokens_limit=self.max_tokens_limit)


# ---------------------------------------------------------------------------------------------
# generation


class Stepper(Protocol):
    """One causal LM with a KV cache, seen by the sampling loop: last-position logits (B, V) float32."""

    def prefill(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor) -> tuple[torch.Tensor, Any]: ...

    def step(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]: ...


class HFStepper:
    """A Hugging Face causal LM: 2-D attention mask (left padding), explicit positions, DynamicCache."""

    def __init__(self, model: Any) -> None:
        import inspect

        self.model = model
        self.device = next(model.parameters()).device
        # prefill computes the LM head on the last position only (a 160 x 300 x 102400 logit tensor is 10 GB)
        self.keep_kwargs = {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}

    @torch.inference_mode()
    def prefill(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor) -> tuple[torch.Tensor, Any]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, use_cache=True, **self.keep_kwargs)
        return out.logits[:, -1].float(), out.past_key_values

    @torch.inference_mode()
    def step(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, past_key_values=state, use_cache=True)
        return out.logits[:, -1].float(), out.past_key_values


@dataclass(frozen=True)
class SequenceSpec:
    prompt_ids: tuple[int, ...]
    temperature: float
    max_tokens: int
    top_logprobs: int  # alternatives to record per position (0: none)
    stops: tuple[str, ...]


class GenerationCancelled(Exception):
    """The server is stopping: the running batch is abandoned."""


def left_pad(prompts: Sequence[Sequence[int]], pad_id: int, device: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask, position_ids) (B, T): prompts right-aligned, positions 0.. from each prompt's first token."""
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for b, p in enumerate(prompts):
        ids[b, width - len(p) :] = torch.tensor(list(p), dtype=torch.long)
        mask[b, width - len(p) :] = 1
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    return ids.to(device), mask.to(device), positions.to(device)


def generate_sequences(
    stepper: Stepper,
    specs: Sequence[SequenceSpec],
    eos_ids: frozenset[int],
    pad_id: int,
    generator: torch.Generator,
    decode: Callable[[Sequence[int]], str],
    should_stop: Callable[[], bool] = lambda: False,
) -> list[GeneratedSequence]:
    """Sample every sequence of the batch to its end; returns them in ``specs`` order.

    Temperature 0 is greedy. The recorded log-probabilities are the model's (temperature 1).
    One loop on purpose: the per-step order (sample, record, finish checks, feed) is the contract."""
    device = getattr(stepper, "device", torch.device("cpu"))
    ids, mask, positions = left_pad([s.prompt_ids for s in specs], pad_id, device)
    b = len(specs)
    temps = torch.tensor([s.temperature for s in specs], dtype=torch.float32, device=device)
    greedy = temps == 0
    safe_temps = torch.where(greedy, torch.ones_like(temps), temps)[:, None]
    k_max = max(s.top_logprobs for s in specs)
    out_ids: list[list[int]] = [[] for _ in range(b)]
    out_lps: list[list[float]] = [[] for _ in range(b)]
    out_top: list[list[tuple[tuple[int, float], ...]]] = [[] for _ in range(b)]
    finish: list[Optional[str]] = [None] * b
    logits, state = stepper.prefill(ids, mask, positions)
    last_pos = positions[:, -1].clone()
    for _ in range(max(s.max_tokens for s in specs)):
        if should_stop():
            raise GenerationCancelled("the server is stopping")
        logp = torch.log_softmax(logits, dim=-1)  # (B, V), the model's own distribution
        sampled = torch.multinomial(torch.softmax(logits / safe_temps, dim=-1), 1, generator=generator).squeeze(1)
        tokens = torch.where(greedy, logits.argmax(dim=-1), sampled)  # (B,)
        token_lp = logp.gather(1, tokens[:, None]).squeeze(1).tolist()
        top = logp.topk(k_max, dim=-1) if k_max > 0 else None
        top_ids, top_lps = (top.indices.tolist(), top.values.tolist()) if top is not None else (None, None)
        token_list = tokens.tolist()
        for i in range(b):
            if finish[i] is not None:
                continue
            tok = int(token_list[i])
            if tok in eos_ids:
                finish[i] = "stop"
                continue
            out_ids[i].append(tok)
            out_lps[i].append(float(token_lp[i]))
            k = specs[i].top_logprobs
            if k > 0 and top_ids is not None and top_lps is not None:
                alts = list(zip(top_ids[i][:k], top_lps[i][:k]))
                if tok not in top_ids[i][:k]:
                    alts.append((tok, float(token_lp[i])))  # the sampled token is always listed (OpenAI)
                out_top[i].append(tuple((int(t), float(lp)) for t, lp in alts))
            if specs[i].stops and find_stop(decode(out_ids[i]), specs[i].stops) is not None:
                finish[i] = "stop"
            elif len(out_ids[i]) >= specs[i].max_tokens:
                finish[i] = "length"
        if all(f is not None for f in finish):
            break
        mask = torch.cat([mask, torch.ones((b, 1), dtype=mask.dtype, device=device)], dim=1)
        last_pos = last_pos + 1
        logits, state = stepper.step(tokens[:, None], mask, last_pos[:, None], state)  # finished rows run along, ignored
    return [
        GeneratedSequence(
            token_ids=tuple(out_ids[i]),
            token_logprobs=tuple(out_lps[i]),
            top_logprobs=tuple(out_top[i]) if specs[i].top_logprobs > 0 else None,
            finish_reason=finish[i] or "length",
        )
        for i in range(b)
    ]


# ---------------------------------------------------------------------------------------------
# the model thread


@dataclass(frozen=True)
class CompletionJob:
    request: CompletionRequest
    prompt_ids: tuple[tuple[int, ...], ...]  # per prompt


@dataclass(frozen=True)
class EmbeddingJob:
    model: str
    token_ids: tuple[tuple[int, ...], ...]  # recipe tokens per input


@dataclass
class ServeStats:
    completion_requests: int = 0
    sequences: int = 0
    generated_tokens: int = 0
    embedding_requests: int = 0
    embedded_inputs: int = 0
    batches: int = 0
    largest_batch_sequences: int = 0
    errors: int = 0


class Engine:
    """Owns the model: takes batches from the batcher and answers their futures."""

    def __init__(self, stepper: Stepper, extractor: Any, decode: Callable[[Sequence[int]], str], token_lock: threading.Lock, eos_ids: frozenset[int], pad_id: int, cfg: ServeConfig) -> None:
        self.stepper = stepper
        self.extractor = extractor
        self._decode = decode
        self.token_lock = token_lock
        self.eos_ids = eos_ids
        self.pad_id = pad_id
        self.cfg = cfg
        self.batcher = RequestBatcher(cfg.batch_window_ms / 1000.0, cfg.max_batch_tokens, cfg.max_batch_sequences)
        self.generator = torch.Generator(device=getattr(stepper, "device", torch.device("cpu"))).manual_seed(cfg.seed)
        self.stats = ServeStats()
        self.stats_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.crashed: Optional[BaseException] = None

    def decode(self, ids: Sequence[int]) -> str:
        with self.token_lock:
            return self._decode(ids)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="burnqed-serve-model", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.crashed is None

    def stop(self, timeout_s: float = 10.0) -> None:
        """Refuse new work, fail what is queued, cancel the running batch, join the thread."""
        self._stopping.set()
        for item in self.batcher.close():
            item.future.set_exception(ApiError(503, "the server is shutting down"))
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def submit(self, item: WorkItem) -> Any:
        try:
            return self.batcher.submit(item)
        except QueueClosed as e:
            raise ApiError(503, str(e)) from e

    def _run(self) -> None:
        try:
            while True:
                batch = self.batcher.next_batch(idle_timeout_s=1.0)
                if batch is None:
                    return
                embeds = [i for i in batch if i.kind == "embedding"]
                comps = [i for i in batch if i.kind == "completion"]
                if embeds:
                    self._guard(embeds, self._embed)
                if comps:
                    self._guard(comps, self._complete)
        except BaseException as e:  # noqa: BLE001 - health turns 503 and the log says why
            self.crashed = e
            print(f"burnqed.serve: model thread died: {e!r}", file=sys.stderr)
            raise

    def _guard(self, items: list[WorkItem], work: Callable[[list[WorkItem]], None]) -> None:
        try:
            work(items)
        except GenerationCancelled:
            for item in items:
                if not item.future.done():
                    item.future.set_exception(ApiError(503, "the server is shutting down"))
        except Exception as e:  # noqa: BLE001 - a failed batch fails its requests, the server goes on
            with self.stats_lock:
                self.stats.errors += len(items)
            print(f"burnqed.serve: batch of {len(items)} request(s) failed: {e!r}", file=sys.stderr)
            for item in items:
                if not item.future.done():
                    item.future.set_exception(e if isinstance(e, ApiError) else ApiError(500, f"generation failed: {type(e).__name__}: {str(e)[:500]}"))

    def _complete(self, items: list[WorkItem]) -> None:
        specs: list[SequenceSpec] = []
        for item in items:
            job: CompletionJob = item.payload
            req = job.request
            for ids in job.prompt_ids:
                specs.extend([SequenceSpec(ids, req.temperature, req.max_tokens, req.logprobs or 0, req.stop)] * req.n)
        seqs = generate_sequences(self.stepper, specs, self.eos_ids, self.pad_id, self.generator, self.decode, self._stopping.is_set)
        created, at = int(time.time()), 0
        for item in items:
            job = item.payload
            mine = seqs[at : at + job.request.n_sequences]
            at += job.request.n_sequences
            body = completion_response(job.request, [len(p) for p in job.prompt_ids], mine, self.decode, created)
            item.future.set_result(body)
            with self.stats_lock:
                self.stats.completion_requests += 1
                self.stats.sequences += len(mine)
                self.stats.generated_tokens += body["usage"]["completion_tokens"]
        with self.stats_lock:
            self.stats.batches += 1
            self.stats.largest_batch_sequences = max(self.stats.largest_batch_sequences, len(specs))

    def _embed(self, items: list[WorkItem]) -> None:
        ids = [x for item in items for x in item.payload.token_ids]
        lengths = np.array([len(x) for x in ids], dtype=np.int64)
        vectors: Optional[np.ndarray] = None
        for idx, vec in self.extractor.embed_all(ids, length_grouped_batches(lengths, self.cfg.embed_max_tokens_per_batch, self.cfg.embed_max_batch_size)):
            if vectors is None:
                vectors = np.zeros((len(ids), vec.shape[1]), dtype=np.float32)
            vectors[idx] = vec
        assert vectors is not None
        vectors = vectors.astype(self.cfg.embed_recipe.storage_dtype).astype(np.float32)  # what the embed job stores
        at = 0
        for item in items:
            job: EmbeddingJob = item.payload
            n = len(job.token_ids)
            item.future.set_result(embedding_response(job.model, vectors[at : at + n].tolist(), sum(len(x) for x in job.token_ids)))
            at += n
            with self.stats_lock:
                self.stats.embedding_requests += 1
                self.stats.embedded_inputs += n


# ---------------------------------------------------------------------------------------------
# requests (HTTP-independent: the handler is a thin shell around this)


class ServeApp:
    def __init__(self, engine: Engine, tokenizer: Any, cfg: ServeConfig) -> None:
        self.engine = engine
        self.tokenizer = tokenizer
        self.cfg = cfg
        self.created = int(time.time())
        eos = getattr(tokenizer, "eos_token_id", None)
        self.strip_ids = {int(eos)} if eos is not None else set()

    def prompt_ids(self, prompts: Sequence[str]) -> tuple[tuple[int, ...], ...]:
        """As the SFT prompt was tokenised: BOS added, a trailing EOS the tokenizer appends removed."""
        with self.engine.token_lock:
            encoded = self.tokenizer(list(prompts), add_special_tokens=True)["input_ids"]
        out = []
        for ids in encoded:
            ids = list(ids)
            while len(ids) > 1 and ids[-1] in self.strip_ids:
                ids.pop()
            out.append(tuple(int(i) for i in ids))
        return tuple(out)

    def _wait(self, item: WorkItem) -> dict[str, Any]:
        future = self.engine.submit(item)
        try:
            return future.result(timeout=self.cfg.request_timeout_s)
        except concurrent.futures.TimeoutError as e:
            raise ApiError(503, f"no answer within request_timeout_s={self.cfg.request_timeout_s}") from e

    def complete(self, body: Any) -> dict[str, Any]:
        req = parse_completion_request(body, self.cfg.model_name, self.cfg.limits())
        ids = self.prompt_ids(req.prompts)
        longest = max(len(x) for x in ids)
        if longest + req.max_tokens > self.cfg.max_model_len:
            raise ApiError(400, f"the prompt has {longest} tokens; with max_tokens {req.max_tokens} that exceeds max_model_len {self.cfg.max_model_len}", "prompt")
        item = WorkItem("completion", CompletionJob(req, ids), n_sequences=req.n_sequences, prompt_tokens=longest, max_new_tokens=req.max_tokens)
        return self._wait(item)

    def embed(self, body: Any) -> dict[str, Any]:
        req = parse_embedding_request(body, self.cfg.model_name)
        with self.engine.token_lock:
            ids = tokenize_texts(self.tokenizer, list(req.inputs), self.cfg.embed_recipe)
        return self._wait(WorkItem("embedding", EmbeddingJob(req.model, tuple(tuple(x) for x in ids))))

    def models(self) -> dict[str, Any]:
        return models_response(self.cfg.model_name, self.created, self.cfg.max_model_len)

    def health(self) -> tuple[int, dict[str, Any]]:
        if not self.engine.alive():
            return 503, {"status": "error", "message": f"the model thread is not running ({self.engine.crashed!r})"}
        # the embedding recipe /v1/embeddings applies: the search's scorer checks it against the run's
        return 200, {"status": "ok", "model": self.cfg.model_name, "queued": self.engine.batcher.pending(), "embed_recipe": dataclasses.asdict(self.cfg.embed_recipe)}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the TypeScript client reuses connections
    server: "ServeHTTPServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.app.cfg.log_requests:
            super().log_message(format, *args)

    def _send(self, status: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body, allow_nan=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise ApiError(400, "a JSON body with a Content-Length header is required")
        if int(length) > MAX_BODY_BYTES:
            raise ApiError(413, f"body of {length} bytes; at most {MAX_BODY_BYTES}")
        raw = self.rfile.read(int(length))
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ApiError(400, f"the body is not JSON ({e}): {raw[:200]!r}") from e

    def _route(self, method: str) -> None:
        app = self.server.app
        path = self.path.split("?", 1)[0]
        try:
            if method == "GET" and path == "/health":
                self._send(*app.health())
            elif method == "GET" and path == "/v1/models":
                self._send(200, app.models())
            elif method == "POST" and path == "/v1/completions":
                self._send(200, app.complete(self._body()))
            elif method == "POST" and path == "/v1/embeddings":
                self._send(200, app.embed(self._body()))
            else:
                raise ApiError(404, f"no route {method} {path} (this server has GET /health, GET /v1/models, POST /v1/completions, POST /v1/embeddings)")
        except ApiError as e:
            self._send(e.status, e.body())
        except Exception as e:  # noqa: BLE001 - the client gets a 500 naming the error; the server stays up
            print(f"burnqed.serve: {method} {path} failed: {e!r}", file=sys.stderr)
            self._send(500, ApiError(500, f"{type(e).__name__}: {str(e)[:500]}").body())

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")


class ServeHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: ServeApp) -> None:
        self.app = app
        super().__init__(address, Handler)


@dataclass
class RunningServer:
    """An engine and its HTTP server, started (tests run it in-process)."""

    app: ServeApp
    http: ServeHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.http.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.http.shutdown()  # stop accepting (serve_forever returns)
        self.app.engine.stop()
        self.http.server_close()
        self.thread.join(timeout=10)


def start_server(engine: Engine, tokenizer: Any, cfg: ServeConfig) -> RunningServer:
    app = ServeApp(engine, tokenizer, cfg)
    engine.start()
    server = ServeHTTPServer((cfg.host, cfg.port), app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="burnqed-serve-http", daemon=True)
    thread.start()
    return RunningServer(app, server, thread)


# ---------------------------------------------------------------------------------------------
# the job


def build_engine(cfg: ServeConfig) -> tuple[Engine, Any]:
    """Load the model once; the policy (generation) and the encoder (embeddings) share it."""
    from burnqed.embed import EmbeddingExtractor
    from burnqed.hf_loading import eos_token_ids, load_causal_lm, load_tokenizer, pad_token_id
    from burnqed.train_ebm import pick_device

    device = pick_device(cfg.device)
    tokenizer = load_tokenizer(cfg.tokenizer_dir or cfg.model_dir)
    if cfg.dtype != cfg.embed_recipe.compute_dtype:
        print(f"burnqed.serve: dtype {cfg.dtype} differs from the embedding recipe's compute dtype {cfg.embed_recipe.compute_dtype}: embeddings will not match the embed job's", file=sys.stderr)
    model = load_causal_lm(cfg.model_dir, cfg.dtype, cfg.attn_implementation, device).eval()
    extractor = EmbeddingExtractor(model, tokenizer, cfg.embed_recipe)  # sets padding_side right; generation pads by itself

    def decode(ids: Sequence[int]) -> str:
        return tokenizer.decode(list(ids), skip_special_tokens=False, clean_up_tokenization_spaces=False)

    engine = Engine(HFStepper(model), extractor, decode, threading.Lock(), eos_token_ids(model, tokenizer), pad_token_id(tokenizer), cfg)
    return engine, tokenizer


def warm_up(app: ServeApp) -> None:
    """One tiny generation and one embedding before readiness: CUDA kernels loaded, the model checked."""
    app.complete({"model": app.cfg.model_name, "prompt": "[GOAL]⊢ True[PROOFSTEP]", "max_tokens": 2, "temperature": 0, "logprobs": 1})
    app.embed({"model": app.cfg.model_name, "input": ["⊢ True"]})


def main(config: dict[str, Any], events: EventWriter) -> dict[str, Any]:
    t0 = time.monotonic()
    cfg = ServeConfig.from_dict(config)
    events.progress(0, 1, unit="ready", message=f"loading {cfg.model_dir} ({cfg.dtype})")
    engine, tokenizer = build_engine(cfg)
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda signum, frame: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    running = start_server(engine, tokenizer, cfg)
    try:
        warm_up(running.app)
        host, port = running.http.server_address[:2]
        url = f"http://{host}:{port}"
        if cfg.ready_file:
            write_json_atomic(cfg.ready_file, {"url": url, "host": host, "port": port, "pid": os.getpid(), "model": cfg.model_name})
            events.artifact(cfg.ready_file, "json")
        events.progress(1, 1, unit="ready", message=f"ready: serving '{cfg.model_name}' at {url}")
        print(f"burnqed.serve: serving '{cfg.model_name}' at {url}", file=sys.stderr)
        while not stop.wait(timeout=1.0):
            if not engine.alive():
                raise RuntimeError(f"the model thread died: {engine.crashed!r}")
    finally:
        running.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return {"kind": "serve", "model": cfg.model_name, "uptime_s": time.monotonic() - t0, **dataclasses.asdict(engine.stats)}


if __name__ == "__main__":
    run_job(main)
