"""Differentiable ops. Each module holds Function classes and the functions/methods built on them."""
