"""Graph visualization for debugging: the recorded graph as DOT text, rendered by graphviz's ``dot``.

``make_dot(loss, params=model)`` draws ops, tensors (name/shape/dtype/device), named parameters and,
on request, saved tensors and gradient norms; ``trace_modules(model)`` lets it group ops by module.
backward() frees the graph, so draw before it or use ``backward(retain_graph=True)`` (needed anyway
to see gradient norms next to the graph). ``grad_flow(model)`` / ``format_grad_flow`` tabulate each
parameter's gradient after backward (vanishing or exploding gradients, layer by layer).
"""

from ._flow import format_grad_flow, grad_flow
from ._graph import DEFAULT_MAX_NODES, make_dot
from ._render import Digraph, GraphvizNotFoundError, dot_available, find_dot
from ._trace import ModuleCall, ModuleTrace, trace_modules

__all__ = [
    "DEFAULT_MAX_NODES",
    "Digraph",
    "GraphvizNotFoundError",
    "ModuleCall",
    "ModuleTrace",
    "dot_available",
    "find_dot",
    "format_grad_flow",
    "grad_flow",
    "make_dot",
    "trace_modules",
]
