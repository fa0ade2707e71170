"""The one state type: immutable, hashable, and how a session's state moves on."""

from __future__ import annotations

from toolorch.core.state import HISTORY, State


def test_sequences_become_tuples_and_states_are_values() -> None:
    s = State("g", ["a"], ["x"], [("t", 1)])  # type: ignore[list-item]
    assert s == State("g", ("a",), ("x",), (("t", True),)) and hash(s) == hash(State.of("g", ["a"], ["x"], [("t", True)]))
    assert s.available == {"a", "x", "goal"} and State("").available == set()


def test_after_appends_history_adds_new_artifacts_in_first_seen_order() -> None:
    s = State("", (), ("b",), ()).after("t1", True, ["a", "b"]).after("t2", False)
    assert s.artifacts == ("b", "a") and s.history == (("t1", True), ("t2", False))
    assert s == State("", [], ["b", "a"], [("t1", True), ("t2", False)]) and hash(s) == hash(State("", (), ("b", "a"), s.history))


def test_history_keeps_the_newest_sixteen() -> None:
    assert HISTORY == 16
    s = State("")
    for i in range(20):
        s = s.after(f"t{i}", True)
    assert len(s.history) == 16 and s.history[0] == ("t4", True) and s.history[-1] == ("t19", True)
    assert len(State("").after("a", True).after("b", True, history=1).history) == 1


def test_context_and_failed_calls_carry_over_and_extras_hold_only_what_is_set() -> None:
    from toolorch.core.context_features import Context

    ctx = Context("rust", "small", deliverable=True)
    s = State("g", (), (), (), ctx, [["t", "k"]], [])  # type: ignore[list-item]
    assert s.failed_calls == (("t", "k"),) and s.call_keys == ()
    nxt = s.after("t", False)
    assert nxt.context is ctx and nxt.failed_calls == (("t", "k"),) and nxt.history == (("t", False),)
    assert State("g").extras() == {} and State("g").with_extras({}) == State("g")
    assert s.extras() == {"context": ctx.to_dict(), "failed_calls": [["t", "k"]]}
    assert State("g").with_extras(s.extras()) == s
    assert State("g") == State.of("g") and hash(State("g", context=ctx)) != hash(State("g"))
