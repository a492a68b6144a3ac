"""What one `authorize` call costs from Python (a benchmark, not a test): fgac beside a Python
function that does one dict lookup (the floor of any Python call that decides something) and,
when it installs, cedarpy deciding the same request on the same 20-grant policy.

    python bindings/python/bench/authorize.py

Each figure is the median of 7 runs of a timed loop (timeit), per call. The Rust side of the
same decision is criterion's `authorize` benchmark (BENCHMARKS.md).
"""

from __future__ import annotations

import statistics
import timeit

import fgac

GRANTS = 20
ACTIONS = ["get", "set", "delete"]
NOW = 1_800_000_000


def fgac_policy() -> str:
    rules = "\n".join(
        f'    allow readwrite cache "tenant-{i}" items prefix "user:{i}:"' for i in range(GRANTS)
    )
    return f'key "svc" {{\n    expires never\n{rules}\n}}\n'


def cedar_policies() -> str:
    actions = ", ".join(f'Action::"{a}"' for a in ACTIONS)
    return "\n".join(
        f'permit(principal == Key::"svc", action in [{actions}], resource is Item) '
        f'when {{ resource.cache == "tenant-{i}" && resource.key like "user:{i}:*" }};'
        for i in range(GRANTS)
    )


def per_call(stmt: object, number: int) -> float:
    """Seconds per call: the median of 7 timed loops of `number` calls."""
    runs = timeit.repeat(stmt, number=number, repeat=7)  # type: ignore[arg-type]
    return statistics.median(runs) / number


def main() -> None:
    credential = fgac.compile(fgac_policy())["svc"]
    # The last grant decides: the request walks past the 19 others in a linear evaluator.
    last = GRANTS - 1
    cache, item = f"tenant-{last}", f"user:{last}:cart"
    assert credential.authorize("get", cache=cache, item=item, now=NOW)
    rows = [
        (
            "fgac: Credential.authorize (20 grants)",
            per_call(lambda: credential.authorize("get", cache=cache, item=item, now=NOW), 200_000),
        )
    ]
    table = {(cache, item): True}
    rows.append(("Python: a function doing one dict lookup", per_call(lambda: table.get((cache, item)), 1_000_000)))
    try:
        import cedarpy  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        rows.append(("cedarpy: not installed here", float("nan")))
    else:
        policies = cedarpy.PolicySet.from_str(cedar_policies()) if hasattr(cedarpy, "PolicySet") else cedar_policies()
        uid = {"type": "Item", "id": f"{cache}/{item}"}
        entities = [{"uid": {"__entity": uid}, "attrs": {"cache": cache, "key": item}, "parents": []}]
        if hasattr(cedarpy, "Entities"):
            entities = cedarpy.Entities.from_json_str(__import__("json").dumps(entities))
        request = {"principal": 'Key::"svc"', "action": 'Action::"get"', "resource": uid, "context": {}}
        result = cedarpy.is_authorized(request, policies, entities)
        assert result.allowed, result
        rows.append(
            (
                "cedarpy: is_authorized (20 policies, parsed once)",
                per_call(lambda: cedarpy.is_authorized(request, policies, entities), 5_000),
            )
        )
    width = max(len(name) for name, _ in rows)
    floor = rows[1][1]
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1e9:10.0f} ns  {seconds / floor:6.1f}x the floor")
    if len(rows) == 3 and rows[2][1] == rows[2][1]:
        print(f"cedarpy / fgac: {rows[2][1] / rows[0][1]:.1f}x")


if __name__ == "__main__":
    main()
