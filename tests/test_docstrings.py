"""Every public function and class documents itself and points to the chapter that explains it."""

import importlib
import inspect
import pkgutil

import pytest

import nnrnn_edu


def _public_objects():
    for info in pkgutil.walk_packages(nnrnn_edu.__path__, "nnrnn_edu."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) != module.__name__:
                continue  # imported, documented where defined
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                continue
            yield f"{module.__name__}.{name}", obj


OBJECTS = dict(_public_objects())


@pytest.mark.parametrize("qualname", sorted(OBJECTS))
def test_public_api_is_documented_with_chapter_pointer(qualname):
    doc = inspect.getdoc(OBJECTS[qualname]) or ""
    assert len(doc) > 40, f"{qualname} needs a NumPy-style docstring"
    assert "chapter" in doc.lower(), f"{qualname}: docstring should point to the chapter that explains it"
