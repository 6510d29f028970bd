"""The DOT result object: its text, atomic saving, and rendering through graphviz's ``dot`` program."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif", "ps", "eps", "json", "plain")

_INSTALL_HINT = (
    "Install graphviz: `apt-get install graphviz` (Debian/Ubuntu, or `make system-deps` in the embergrad "
    "repository), `brew install graphviz` (macOS) or `conda install graphviz`; the pip package "
    "'graphviz' alone does not provide the program. The DOT text needs no graphviz: use `.source` or "
    "`.save(path)`."
)


class GraphvizNotFoundError(RuntimeError):
    """Rendering was asked for but graphviz's ``dot`` program is not on PATH."""


def find_dot() -> str:
    """The path of graphviz's ``dot`` program, or a clear error saying how to install it."""
    path = shutil.which("dot")
    if path is None:
        raise GraphvizNotFoundError(
            f"autograd.viz: rendering needs graphviz's `dot` program, which is not installed "
            f"(not found on PATH). {_INSTALL_HINT}"
        )
    return path


def dot_available() -> bool:
    """Whether graphviz's ``dot`` program is on PATH (so ``render`` can work)."""
    return shutil.which("dot") is not None


def atomic_write(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file and a rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777  # keep an existing file's permissions
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


class Digraph:
    """A drawn autograd graph: ``.source`` is DOT text; ``.render`` runs graphviz's ``dot`` when installed.

    ``graphviz.Source(g.source)`` also works for users of the python-graphviz package.
    """

    def __init__(self, source: str, *, notes: tuple[str, ...] = (), num_ops: int = 0, total_ops: int = 0):
        self._source = source
        self.notes = tuple(notes)  # what the drawing leaves out or cannot show (truncation, freed graph)
        self.num_ops = num_ops  # op nodes drawn
        self.total_ops = total_ops  # op nodes reachable from the outputs
        self.truncated = total_ops > num_ops

    @property
    def source(self) -> str:
        return self._source

    def __str__(self) -> str:
        return self._source

    def __repr__(self) -> str:
        extra = f", {self.total_ops - self.num_ops} not drawn" if self.truncated else ""
        return f"<autograd.viz.Digraph: {self.num_ops} ops{extra}>"

    def save(self, path: str | os.PathLike) -> Path:
        """Write the DOT text to ``path`` (atomically); needs no graphviz."""
        return atomic_write(path, self._source.encode("utf-8"))

    def pipe(self, format: str = "svg", *, timeout: float | None = None) -> bytes:
        """The graph rendered by ``dot -T<format>``, as bytes."""
        fmt = _check_format(format)
        dot = find_dot()
        try:
            res = subprocess.run(
                [dot, f"-T{fmt}"],
                input=self._source.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(
                f"autograd.viz: `dot -T{fmt}` did not finish within {timeout} s for {self.num_ops} ops; "
                "draw fewer with make_dot(..., max_nodes=N) or pass a larger timeout"
            ) from e
        if res.returncode != 0:
            err = res.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(f"autograd.viz: `dot -T{fmt}` failed with exit code {res.returncode}: {err}")
        return res.stdout

    def render(
        self, path: str | os.PathLike, format: str | None = None, *, timeout: float | None = None
    ) -> Path:
        """Render to an image file with graphviz's ``dot`` (format from ``format`` or the file suffix).

        Fails before writing anything when ``dot`` is not installed. Returns the written path.
        """
        path = Path(path)
        suffix = path.suffix[1:].lower()
        if format is None:
            format = suffix if suffix in FORMATS else "svg"
        fmt = _check_format(format)
        if not path.suffix:
            path = path.with_name(f"{path.name}.{fmt}")
        elif suffix in FORMATS and suffix != fmt and {suffix, fmt} != {"jpg", "jpeg"}:
            raise ValueError(
                f"render: the path {str(path)!r} ends in .{suffix} but format={fmt!r} was asked for"
            )
        find_dot()  # fail early, before any work
        return atomic_write(path, self.pipe(fmt, timeout=timeout))

    def _repr_svg_(self) -> str | None:
        """Inline display in Jupyter when ``dot`` is installed."""
        if not dot_available():
            return None
        return self.pipe("svg").decode("utf-8")


def _check_format(format: str) -> str:
    fmt = str(format).lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"render: unsupported format {format!r}; expected one of {', '.join(FORMATS)}")
    return fmt
