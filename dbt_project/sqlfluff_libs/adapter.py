"""`adapter.dispatch` for the linter: the project's `default__<macro>` (the DuckDB form)."""

from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


def dispatch(macro_name: str, macro_namespace: str | None = None) -> Callable[..., Any]:
    @pass_context
    def call(context: Context, *args: Any, **kwargs: Any) -> Any:
        return context.resolve(f"default__{macro_name}")(*args, **kwargs)

    return call
