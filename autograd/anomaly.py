"""Anomaly detection: record each op's forward stack and fail on NaN/Inf produced in backward."""

from __future__ import annotations

from typing import Any

from .grad_mode import anomaly_seen, state


class detect_anomaly:  # noqa: N801
    """Context manager: a NaN/Inf gradient raises an error naming the op and where it was created."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._prev = (state.anomaly, state.anomaly_check_nan)
        state.anomaly, state.anomaly_check_nan = True, self.check_nan
        anomaly_seen[0] = True

    def __exit__(self, *exc: Any) -> None:
        state.anomaly, state.anomaly_check_nan = self._prev


class set_detect_anomaly(detect_anomaly):  # noqa: N801
    """Turn anomaly detection on or off (takes effect at once; restores on exit when used with ``with``)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (state.anomaly, state.anomaly_check_nan)
        state.anomaly, state.anomaly_check_nan = bool(mode), check_nan
        if mode:
            anomaly_seen[0] = True

    def __enter__(self) -> None:
        pass


def is_anomaly_enabled() -> bool:
    return state.anomaly
