"""`PolicyRunner`: the one object the engine talks to for RL_OPTIMIZED.

    runner = PolicyRunner(registry, settings, embed_fn, store=experience_store)
    await anyio.to_thread.run_sync(runner.start)         # loads torch + the latest checkpoint
    choice = runner.choose(State.of(goal, inputs, artifacts, history), explore=True)
    ... run choice.action, label it ...
    runner.observe([experience, ...])                    # queue put; training runs in a thread
    runner.metrics(); runner.close()

Importing this module does not import torch; the first `start`/`choose`/`observe` does (≈ 1–2 s,
so call `start` from a worker thread in the server's lifespan). Inference uses a frozen copy of
the policy that the trainer thread swaps when it publishes a version, so `choose` never waits for
training, and `choose` also picks up versions written by other processes (`maybe_reload`, at most
every `reload_interval_s`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolorch.core.state import State
from toolorch.rl.checkpoint import CheckpointDir
from toolorch.rl.state import EmbedFn

if TYPE_CHECKING:
    import torch

    from toolorch.config import Settings
    from toolorch.registry.registry import Registry
    from toolorch.rl.online import OnlineTrainer
    from toolorch.rl.policy import KTOPolicy, PolicyConfig
    from toolorch.rl.shared import RedisCheckpoints
    from toolorch.rl.state import StateEncoder
    from toolorch.rl.trainer import TrainerConfig
    from toolorch.stores.experience import Experience, ExperienceStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Choice:
    """The policy's decision for one state."""

    action: str                 # a tool name or STOP
    prob: float                 # π(action|s) at the sampling temperature: the propensity to log
    probs: dict[str, float]     # every action's probability (0.0 for infeasible ones)
    version: int                # checkpoint version that decided (0 = untrained initial weights)
    value: float                # V(s): estimated probability that the workflow succeeds


def annealed_temperature(temperature: float, decay: float, floor: float, rounds: int) -> float:
    """Exploration that anneals with training: temperature · decay^rounds, never below `floor`."""
    return max(floor, temperature * decay ** rounds)


class PolicyRunner:
    """Facade over encoder, inference copy, online trainer and checkpoints."""

    def __init__(
        self,
        registry: Registry,
        settings: Settings,
        embed_fn: EmbedFn,
        *,
        store: ExperienceStore | None = None,
        policy_config: PolicyConfig | None = None,
        trainer_config: TrainerConfig | None = None,
        train: bool = True,
        background: bool = True,
        persist: bool = True,
        temperature: float = 1.0,
        temperature_decay: float = 0.97,
        min_temperature: float = 0.5,
        reload_interval_s: float = 2.0,
        seed: int = 0,
    ) -> None:
        """`train=False`: inference only (still picks up new versions). `background=False`:
        train inline in `observe` (deterministic; for benchmarks). `persist=False`: no checkpoint
        files at all (benchmarks)."""
        self.registry, self.settings, self.store = registry, settings, store
        self._embed_fn = embed_fn
        self._policy_config, self._trainer_config = policy_config, trainer_config
        self._train, self._background, self._persist = train, background, persist
        self.temperature, self.reload_interval_s, self.seed = temperature, reload_interval_s, seed
        self.temperature_decay, self.min_temperature = temperature_decay, min(min_temperature, temperature)
        self.checkpoints = CheckpointDir(settings.home / "policy") if persist else None
        self.shared: RedisCheckpoints | None = None   # with TOOLORCH_REDIS_URL (rl/shared.py)
        self._lock = threading.Lock()        # guards start and the actor swap
        self._act_lock = threading.Lock()    # the sampling generator is not thread-safe
        self._started = False
        self._closed = False
        self._next_reload = 0.0
        self.version = 0
        self.encoder: StateEncoder | None = None
        self.trainer: OnlineTrainer | None = None
        self._actor: KTOPolicy | None = None
        self._generator: torch.Generator | None = None

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> PolicyRunner:
        """Import torch, build the policy, load the newest good checkpoint. Idempotent."""
        with self._lock:
            if self._started:
                return self
            if self._closed:
                raise RuntimeError("PolicyRunner is closed")
            import torch

            from toolorch.rl.online import OnlineTrainer, adopt_newer, shared_checkpoints
            from toolorch.rl.policy import PolicyConfig
            from toolorch.rl.state import StateEncoder
            from toolorch.rl.trainer import Learner, TrainerConfig

            torch.set_num_threads(1)  # batch-1 inference: two threads collapse on a busy core
            policy_config = self._policy_config or PolicyConfig()
            trainer_config = self._trainer_config or TrainerConfig.from_settings(self.settings)
            if self.checkpoints is not None:
                self.checkpoints.keep = trainer_config.keep_checkpoints
            self.encoder = StateEncoder(
                self.registry, self._embed_fn, goal_dim=policy_config.goal_dim, max_history=policy_config.max_history
            )
            learner = Learner(self.encoder, policy_config, trainer_config, self.store)
            if self.checkpoints is not None:
                from toolorch.rl import shipped

                if self.settings.policy_warm_start:   # a fresh data dir starts from the shipped warm start
                    shipped.install(self.checkpoints, registry=self.registry)
                self.shared = shared_checkpoints(self.settings, trainer_config.keep_checkpoints)
                if self.shared is not None:
                    self.shared.pull_into(self.checkpoints)
                adopt_newer(learner, self.checkpoints)
            if self.store is not None and trainer_config.refresh_from_store:
                learner.buffer.refresh()
            self._actor, self.version = learner.actor(), learner.version
            self._generator = torch.Generator().manual_seed(self.seed)
            if self._train:
                self.trainer = OnlineTrainer(learner, self.checkpoints, self._publish, self._background, self.shared)
            self._started = True
            logger.info("policy ready: version %d, %s", self.version, policy_config)
            return self

    def close(self) -> None:
        with self._lock:
            self._closed = True
        if self.trainer is not None:
            self.trainer.close()

    def _publish(self, version: int, actor: KTOPolicy) -> None:
        with self._lock:
            if version > self.version:
                self._actor, self.version = actor, version

    # -- deciding -----------------------------------------------------------------------------
    def sampling_temperature(self, version: int | None = None) -> float:
        """Exploration anneals with training: temperature · decay^version, never below
        `min_temperature` (version = training rounds so far, so it survives restarts)."""
        v = self.version if version is None else version
        return annealed_temperature(self.temperature, self.temperature_decay, self.min_temperature, v)

    def choose(self, state: State, explore: bool = True) -> Choice:
        """Sample the next action (explore) or take the most probable one (greedy)."""
        return self.choose_batch([state], explore)[0]

    def choose_batch(self, states: Sequence[State], explore: bool = True) -> list[Choice]:
        """One decision per state in a single forward pass (vectorised environments)."""
        import torch

        from toolorch.rl.policy import collate, sample_actions

        self.start()
        if time.monotonic() >= self._next_reload:
            self.maybe_reload()
        assert self.encoder is not None and self._actor is not None
        batch = collate(self.encoder.encode_many(states))
        actor, version = self._actor, self.version
        with self._act_lock, torch.inference_mode():
            logits, values = actor(batch)
            action, prob, probs = sample_actions(logits, self.sampling_temperature(version), not explore,
                                                 self._generator)
        names = self.encoder.vocab.actions
        rows = probs.tolist()
        return [
            Choice(names[a], p, dict(zip(names, row, strict=True)), version, v)
            for a, p, row, v in zip(action.tolist(), prob.tolist(), rows, values.tolist(), strict=True)
        ]

    def maybe_reload(self) -> bool:
        """Adopt a newer checkpoint written by another process; True when the version changed."""
        self._next_reload = time.monotonic() + self.reload_interval_s
        if self.checkpoints is None:
            return False
        if self.shared is not None:
            self.shared.pull_into(self.checkpoints)
        if self.checkpoints.latest_version() <= self.version:
            return False
        from toolorch.rl.policy import PolicyConfig, policy_for
        from toolorch.rl.trainer import checkpoint_mismatch

        self.start()
        assert self.encoder is not None
        payload = self.checkpoints.load_latest(newer_than=self.version)
        if payload is None:
            return False
        if self.trainer is not None:
            config = self.trainer.learner.policy_config
        else:
            config = PolicyConfig.from_dict(payload.get("policy_config", {}))
        why = checkpoint_mismatch(payload, config)
        if why:
            logger.warning("not loading policy checkpoint v%s: %s", payload.get("version"), why)
            return False
        vocab = payload.get("vocab", {})
        actor = policy_for(self.encoder, config)
        actor.load_named_state(payload["policy"], vocab.get("tokens", []),
                               [a for a in vocab.get("actions", []) if a != "STOP"])
        actor.eval().requires_grad_(False)
        before = self.version
        self._publish(int(payload["version"]), actor)
        return self.version != before

    # -- learning -----------------------------------------------------------------------------
    def observe(self, experiences: Sequence[Experience]) -> None:
        """Feed new experiences to the online trainer (no-op when training is off)."""
        if not self._train or not experiences:
            return
        self.start()
        assert self.trainer is not None
        self.trainer.observe(experiences)

    def relabel(self, workflow_id: str, desirable: bool) -> int:
        """Apply agent feedback to the replay buffer (the engine relabels the store)."""
        if self.trainer is None:
            return 0
        return self.trainer.learner.buffer.relabel(workflow_id, desirable)

    def wait_idle(self, timeout: float | None = None) -> bool:
        return True if self.trainer is None else self.trainer.wait_idle(timeout)

    def metrics(self) -> dict[str, Any]:
        """RL metrics for the status resource; cheap and torch-free before the first use."""
        out: dict[str, Any] = {"policy/loaded": self._started, "policy/version": self.version}
        if self.checkpoints is not None:
            info = self.checkpoints.latest_info()
            out["checkpoint/latest_version"] = info.get("version", 0)
            out["checkpoint/dir"] = str(self.checkpoints.directory)
            if not self._started:
                out.update(info.get("metrics", {}))
        if self.trainer is not None:
            out.update(self.trainer.metrics())
            out["policy/version"] = self.version
        return out


def policy_status(settings: Settings) -> dict[str, Any]:
    """`toolorch status`: the newest checkpoint and its round's metrics, without importing torch."""
    from toolorch.registry import Registry
    from toolorch.rl import shipped

    checkpoints = CheckpointDir(settings.home / "policy")
    info = checkpoints.latest_info()
    out = {
        "available": True,
        "enabled": settings.policy_enabled,
        "checkpoint_dir": str(checkpoints.directory),
        "version": info.get("version", 0),
        "source": shipped.source_of(info),
        "versions_on_disk": checkpoints.versions(),
        "trained_at": info.get("ts"),
        "metrics": {k: v for k, v in info.get("metrics", {}).items() if k != "shipped"},
    }
    ship = shipped.info() if settings.policy_warm_start else None
    if ship is not None and not shipped.fits(Registry.for_settings(settings), ship):
        ship = None
    if not info and ship is not None:
        out["version"] = ship["version"]
        out["source"] = (f"shipped with the package (v{ship['version']}, `{ship['command']}`); installed into "
                         "the data dir when a server or orchestrate first starts the policy")
    return out
