"""Property: any sequence of queue operations serves the same order as a sorted-list model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.queue.domain.region_queue import RegionQueue
from tests.support.property_depth import examples

ops = st.lists(
    st.one_of(
        st.tuples(st.just("push"), st.integers(1, 5), st.integers(0, 50)),
        st.tuples(st.just("pop"), st.just(0), st.just(0)),
        st.tuples(st.just("remove"), st.integers(0, 200), st.just(0)),
        st.tuples(st.just("reprio"), st.integers(0, 200), st.integers(1, 5)),
        st.tuples(st.just("front"), st.integers(0, 200), st.just(0)),
    ),
    max_size=120,
)


@given(ops)
@settings(max_examples=examples(300), deadline=None)
def test_any_sequence_of_operations_serves_like_a_sorted_list(operations: list[tuple[str, int, int]]) -> None:
    q = RegionQueue("SE-C")
    model: dict[str, tuple[int, int, float, int]] = {}  # case -> (urgency, lane, queued_at, seq)
    seq = 0
    for op, a, b in operations:
        waiting = sorted(model, key=lambda c: (model[c], c))
        if op == "push":
            case = f"c{seq}"
            q.push(case, a, float(b), seq)
            model[case] = (a, 1, float(b), seq)
            seq += 1
        elif op == "pop":
            got = q.pop()
            if not waiting:
                assert got is None
            else:
                assert got is not None and got.case_id == waiting[0]
                del model[waiting[0]]
        elif waiting:
            case = waiting[a % len(waiting)]
            u, lane, t, s = model[case]
            if op == "remove":
                q.remove(case)
                del model[case]
            elif op == "reprio":
                q.change_urgency(case, b)
                model[case] = (b, lane, t, s)
            else:  # a no-show back at the front of its level
                q.remove(case)
                q.push(case, u, t, s, front=True)
                model[case] = (u, 0, t, s)
        order = sorted(model, key=lambda c: (model[c], c))
        assert len(q) == len(model)
        assert [w.case_id for w in q] == order
        for i, c in enumerate(order[:5]):
            assert q.position(c) == i + 1
        for u in range(1, 6):
            assert q.depth(u) == sum(1 for v in model.values() if v[0] == u)
            ts = [v[2] for v in model.values() if v[0] == u]
            assert q.oldest_queued_at(u) == (min(ts) if ts else None)
