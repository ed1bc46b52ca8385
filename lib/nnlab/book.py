"""Show the package's code inside a chapter: ``show(obj)`` displays its source, highlighted.

In a notebook and on the built page the source appears as a Python code block (Markdown output);
its plain-text form is the source itself, so what a chapter shows is always the package's code.
"""
import inspect
import textwrap


class Source:
    """The source of a function, class or method, displayed as a highlighted code block."""

    def __init__(self, obj):
        if not (inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.isclass(obj)):
            raise TypeError(f"obj must be a function, method or class of the package, got {type(obj).__name__}")
        self.text = textwrap.dedent(inspect.getsource(obj)).rstrip() + "\n"

    def __repr__(self):
        return self.text

    def _repr_markdown_(self):
        return f"```python\n{self.text}```\n"


def show(obj):
    """Source(obj): the last expression of a cell, it displays the code of obj."""
    return Source(obj)
