"""The OpenAI-compatible wire format of burnqed.serve, pure: requests in, response bodies out.

The shapes are the ones vLLM and SGLang serve and src/policy reads (completions-response.ts,
embeddings-client.ts, check-server.ts):

- ``POST /v1/completions`` ``{model, prompt, n, temperature, max_tokens, stop, logprobs}`` →
  ``{id, object: "text_completion", created, model, choices: [{index, text, finish_reason,
  logprobs: {tokens, token_logprobs, top_logprobs, text_offset}}], usage}``. With several prompts
  (a list) the choices of prompt i are ``i*n .. i*n + n - 1`` (OpenAI's order).
- ``POST /v1/embeddings`` ``{model, input}`` → ``{object: "list", data: [{object: "embedding",
  index, embedding}], model, usage}``; the inputs are proof states, embedded with the project's
  recipe (burnqed.embed: ``[GOAL]{state}[PROOFSTEP]``, last content token).
- ``GET /v1/models`` → ``{object: "list", data: [{id, object: "model", created, owned_by, max_model_len}]}``.
- errors → ``{error: {message, type, param, code}}`` with the HTTP status.

Choices, as vLLM makes them: ``finish_reason`` "stop" (an EOS token or a stop string) or "length"
(max_tokens). The EOS token is neither in the text nor in the logprobs; a stop string and what
follows it are cut from the text, and the tokens are those needed to cover the text that is left
(the token that completed the stop string is dropped unless it also carries text before it).
``token_logprobs`` are log-probabilities under the model's own distribution (temperature 1,
vLLM's default "raw" logprobs), whatever temperature sampled the token; ``top_logprobs`` holds the
``logprobs`` most likely tokens of each position plus the sampled one.
"""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

Decode = Callable[[Sequence[int]], str]

# fields a client may send that this server does not implement: accepted only at these values
INERT_COMPLETION_FIELDS: Mapping[str, tuple[Any, ...]] = {
    "stream": (False, None),
    "echo": (False, None),
    "top_p": (1, 1.0, None),
    "presence_penalty": (0, 0.0, None),
    "frequency_penalty": (0, 0.0, None),
    "suffix": (None,),
    "logit_bias": (None,),
    "seed": (None,),
    "best_of": (None,),  # or equal to n, checked below
    "user": (),  # any value: it only names the caller
}
COMPLETION_FIELDS = ("model", "prompt", "n", "temperature", "max_tokens", "stop", "logprobs")
EMBEDDING_FIELDS = ("model", "input", "encoding_format", "user")
MAX_LOGPROBS = 20  # vLLM's default cap
LOGPROB_FLOOR = -9999.0  # vLLM's stand-in for -inf


class ApiError(Exception):
    """An error answered to the client: HTTP status, message, and the offending request field."""

    def __init__(self, status: int, message: str, param: Optional[str] = None, kind: Optional[str] = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.kind = kind or {400: "BadRequestError", 404: "NotFoundError", 413: "RequestTooLarge", 503: "ServiceUnavailable"}.get(status, "InternalServerError")

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.status}}


@dataclass(frozen=True)
class ServeLimits:
    max_n: int = 128
    max_tokens_limit: int = 1024  # largest max_tokens a request may ask for
    max_prompts: int = 64  # prompts per request
    max_embedding_inputs: int = 4096


@dataclass(frozen=True)
class CompletionRequest:
    model: str
    prompts: tuple[str, ...]
    n: int = 1
    temperature: float = 1.0
    max_tokens: int = 16  # OpenAI's and vLLM's default
    stop: tuple[str, ...] = ()
    logprobs: Optional[int] = None  # None: no logprobs; k >= 0: the sampled token's and the k best

    @property
    def n_sequences(self) -> int:
        return len(self.prompts) * self.n


@dataclass(frozen=True)
class EmbeddingRequest:
    model: str
    inputs: tuple[str, ...]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_model(requested: Any, served: str) -> str:
    if not isinstance(requested, str) or not requested:
        raise ApiError(400, f"'model' must be the served model name ('{served}'), got {requested!r:.100}", "model")
    if requested != served:
        raise ApiError(404, f"model '{requested[:200]}' is not served here; this server serves '{served}'", "model")
    return requested


def _check_fields(body: Mapping[str, Any], known: Sequence[str], inert: Mapping[str, tuple[Any, ...]]) -> None:
    unknown = sorted(set(body) - set(known) - set(inert))
    if unknown:
        raise ApiError(400, f"unsupported field(s) {unknown}; this server implements {list(known)}", unknown[0])
    for name, allowed in inert.items():
        if name in body and allowed and body[name] not in allowed and not (name == "best_of" and body[name] == body.get("n", 1)):
            raise ApiError(400, f"'{name}' = {body[name]!r:.100} is not supported (only {list(allowed)})", name)


def parse_completion_request(body: Any, served_model: str, limits: ServeLimits = ServeLimits()) -> CompletionRequest:
    """A checked request; ApiError(400/404) naming the field otherwise."""
    if not isinstance(body, Mapping):
        raise ApiError(400, f"the body must be a JSON object, got {type(body).__name__}")
    _check_fields(body, COMPLETION_FIELDS, INERT_COMPLETION_FIELDS)
    model = check_model(body.get("model"), served_model)
    prompt = body.get("prompt")
    prompts = (prompt,) if isinstance(prompt, str) else tuple(prompt) if isinstance(prompt, list) else None
    if not prompts or not all(isinstance(p, str) and p for p in prompts):
        raise ApiError(400, f"'prompt' must be a non-empty string or a list of them (token-id prompts are not supported), got {prompt!r:.200}", "prompt")
    if len(prompts) > limits.max_prompts:
        raise ApiError(400, f"{len(prompts)} prompts in one request; at most {limits.max_prompts}", "prompt")
    n = body.get("n", 1) if body.get("n") is not None else 1
    if not _is_int(n) or not 1 <= n <= limits.max_n:
        raise ApiError(400, f"'n' must be an integer in [1, {limits.max_n}], got {n!r:.100}", "n")
    temperature = body.get("temperature", 1.0) if body.get("temperature") is not None else 1.0
    if not _is_number(temperature) or not 0 <= temperature <= 100:
        raise ApiError(400, f"'temperature' must be a number >= 0, got {temperature!r:.100}", "temperature")
    max_tokens = body.get("max_tokens", 16) if body.get("max_tokens") is not None else 16
    if not _is_int(max_tokens) or not 1 <= max_tokens <= limits.max_tokens_limit:
        raise ApiError(400, f"'max_tokens' must be an integer in [1, {limits.max_tokens_limit}], got {max_tokens!r:.100}", "max_tokens")
    stop = body.get("stop")
    stops = () if stop is None else (stop,) if isinstance(stop, str) else tuple(stop) if isinstance(stop, list) else None
    if stops is None or not all(isinstance(s, str) and s for s in stops):
        raise ApiError(400, f"'stop' must be a non-empty string, a list of them, or null, got {stop!r:.200}", "stop")
    logprobs = body.get("logprobs")
    if logprobs is not None and (not _is_int(logprobs) or not 0 <= logprobs <= MAX_LOGPROBS):
        raise ApiError(400, f"'logprobs' must be an integer in [0, {MAX_LOGPROBS}] or null, got {logprobs!r:.100}", "logprobs")
    return CompletionRequest(model=model, prompts=prompts, n=n, temperature=float(temperature), max_tokens=max_tokens, stop=stops, logprobs=logprobs)


def parse_embedding_request(body: Any, served_model: str, limits: ServeLimits = ServeLimits()) -> EmbeddingRequest:
    if not isinstance(body, Mapping):
        raise ApiError(400, f"the body must be a JSON object, got {type(body).__name__}")
    _check_fields(body, EMBEDDING_FIELDS, {"encoding_format": ("float", None)})
    model = check_model(body.get("model"), served_model)
    raw = body.get("input")
    inputs = (raw,) if isinstance(raw, str) else tuple(raw) if isinstance(raw, list) else None
    if not inputs or not all(isinstance(s, str) for s in inputs):
        raise ApiError(400, f"'input' must be a string or a non-empty list of strings (token-id inputs are not supported), got {raw!r:.200}", "input")
    empty = [i for i, s in enumerate(inputs) if not s.strip()]
    if empty:
        raise ApiError(400, f"input {empty[0]} is empty: an empty state has no embedding (the embed job flags it instead)", "input")
    if len(inputs) > limits.max_embedding_inputs:
        raise ApiError(400, f"{len(inputs)} inputs in one request; at most {limits.max_embedding_inputs}", "input")
    return EmbeddingRequest(model=model, inputs=inputs)


# ---------------------------------------------------------------------------------------------
# generated sequences → choices


@dataclass(frozen=True)
class GeneratedSequence:
    """What the engine produced for one sample: the generated ids (EOS excluded) and, per id, its
    log-probability and the top alternatives (id, log-probability), best first."""

    token_ids: tuple[int, ...]
    token_logprobs: tuple[float, ...]
    top_logprobs: Optional[tuple[tuple[tuple[int, float], ...], ...]]
    finish_reason: str  # "stop" | "length" (a stop string is found by finalize_choice)


def token_strings(decode: Decode, ids: Sequence[int]) -> list[str]:
    """The text each token adds: ''.join(result) == decode(ids) whenever decoding a prefix gives a
    prefix of the text (true of byte-level BPE and SentencePiece away from character boundaries).

    A token ending inside a multi-byte character (its prefix decodes with a trailing U+FFFD) adds
    nothing yet; the token that completes the character adds it."""
    out: list[str] = []
    done = ""
    for k in range(1, len(ids) + 1):
        text = decode(ids[:k])
        if text.endswith("\ufffd") and k < len(ids):
            out.append("")
            continue
        shared = common_prefix_length(done, text)  # == len(done) for a prefix-stable decoder
        out.append(text[shared:])
        done = text
    return out


def common_prefix_length(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def find_stop(text: str, stops: Sequence[str]) -> Optional[int]:
    """Where the earliest stop string starts in ``text`` (None: none occurs)."""
    hits = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(hits) if hits else None


@dataclass(frozen=True)
class FinishedChoice:
    text: str
    tokens: tuple[str, ...]
    token_logprobs: tuple[float, ...]
    top_logprobs: Optional[tuple[dict[str, float], ...]]
    text_offset: tuple[int, ...]
    finish_reason: str
    n_tokens: int  # generated tokens counted in usage (the EOS and the dropped stop tokens included)


def finalize_choice(seq: GeneratedSequence, decode: Decode, stops: Sequence[str], with_top: bool) -> FinishedChoice:
    """Text, per-token strings and logprobs of one sample, cut at the earliest stop string."""
    strings = token_strings(decode, seq.token_ids)
    text = decode(seq.token_ids)
    finish = seq.finish_reason
    cut = find_stop(text, stops)
    keep = len(strings)
    if cut is not None:
        text, finish = text[:cut], "stop"
        covered, keep = 0, 0
        while covered < cut and keep < len(strings):  # the fewest tokens whose text covers text[:cut]
            covered += len(strings[keep])
            keep += 1
    offsets, at = [], 0
    for s in strings[:keep]:
        offsets.append(at)
        at += len(s)
    top = None
    if with_top and seq.top_logprobs is not None:
        top = tuple({decode([i]): lp for i, lp in alts} for alts in seq.top_logprobs[:keep])
    n_generated = len(seq.token_ids) + (1 if seq.finish_reason == "stop" else 0)  # the EOS that ended it
    return FinishedChoice(text, tuple(strings[:keep]), tuple(seq.token_logprobs[:keep]), top, tuple(offsets), finish, n_generated)


def wire_logprob(x: float) -> Optional[float]:
    """A log-probability as JSON can carry it: -inf as vLLM's -9999.0; NaN (a broken model) as
    null, which the client rejects past the first token instead of ranking by a made-up number."""
    if math.isnan(x):
        return None
    return max(float(x), LOGPROB_FLOOR)


def completion_choice(index: int, choice: FinishedChoice, logprobs: Optional[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"index": index, "text": choice.text, "finish_reason": choice.finish_reason, "logprobs": None}
    if logprobs is not None:
        out["logprobs"] = {
            "tokens": list(choice.tokens),
            "token_logprobs": [wire_logprob(x) for x in choice.token_logprobs],
            "top_logprobs": [{t: wire_logprob(x) for t, x in alts.items()} for alts in choice.top_logprobs] if choice.top_logprobs is not None else None,
            "text_offset": list(choice.text_offset),
        }
    return out


def completion_response(request: CompletionRequest, prompt_tokens: Sequence[int], sequences: Sequence[GeneratedSequence], decode: Decode, created: int, response_id: Optional[str] = None) -> dict[str, Any]:
    """The response body; ``sequences`` in choice order (prompt-major), ``prompt_tokens`` per prompt."""
    if len(sequences) != request.n_sequences or len(prompt_tokens) != len(request.prompts):
        raise ValueError(f"{len(sequences)} sequences for {request.n_sequences} choices, {len(prompt_tokens)} prompt counts for {len(request.prompts)} prompts")
    finished = [finalize_choice(s, decode, request.stop, with_top=request.logprobs is not None and request.logprobs > 0) for s in sequences]
    completion_tokens = sum(c.n_tokens for c in finished)
    return {
        "id": response_id or f"cmpl-{uuid.uuid4().hex}",
        "object": "text_completion",
        "created": int(created),
        "model": request.model,
        "choices": [completion_choice(i, c, request.logprobs) for i, c in enumerate(finished)],
        "usage": {"prompt_tokens": int(sum(prompt_tokens)), "completion_tokens": completion_tokens, "total_tokens": int(sum(prompt_tokens)) + completion_tokens},
    }


def embedding_response(model: str, vectors: Sequence[Sequence[float]], prompt_tokens: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": [float(x) for x in v]} for i, v in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": int(prompt_tokens), "total_tokens": int(prompt_tokens)},
    }


def models_response(model: str, created: int, max_model_len: int) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": model, "object": "model", "created": int(created), "owned_by": "burnqed", "max_model_len": int(max_model_len)}]}
