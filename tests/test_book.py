"""nnlab.book.show: a chapter shows the package's own code, as text and as a highlighted block."""
import inspect

import pytest

from nnlab import book, train
from nnlab.activations import Sigmoid


def test_show_gives_the_source_as_text_and_markdown():
    shown = book.show(train.train_step)
    assert repr(shown) == inspect.getsource(train.train_step).rstrip() + "\n"
    md = shown._repr_markdown_()
    assert md.startswith("```python\ndef train_step(") and md.endswith("```\n")


def test_methods_are_dedented():
    assert repr(book.show(Sigmoid.f)).startswith("def f(self, z):")


def test_only_code_can_be_shown():
    with pytest.raises(TypeError, match="obj must be a function, method or class"):
        book.show("train_step")
