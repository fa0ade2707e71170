"""The shared lower floor: what several rooms above need, so none of them reaches up.

    ids.py        new_id: random ids without a syscall per id
    paths.py      resolve_inside: the allowed-roots rule
    progress.py   ProgressFn, no_progress
    datasets.py   Dataset: what a run read or wrote, for lineage
    stamps.py     FileStamp, stamp, fingerprint, is_fresh: what a cached result depends on
    services.py   ServiceKey, Services: long-lived shared objects behind typed keys
    context.py    ToolContext: what a backend receives for one call
    runs.py       RunInfo, RunOutcome, RunObserver: the observer protocol around every run
    state.py      State: the one state type experiences carry and the policy sees
    breaker.py    CircuitBreaker: the one "try the remote again later" mechanism

Nothing here imports anything of toolorch but `toolorch.errors` and `toolorch.config`.
"""
