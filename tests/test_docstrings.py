"""Every module and every public object of the library documents itself."""

import importlib
import inspect
import pkgutil

import pytest

import nnrnn_edu

MODULES = {
    info.name: importlib.import_module(info.name)
    for info in pkgutil.walk_packages(nnrnn_edu.__path__, "nnrnn_edu.")
    if not info.name.endswith("__main__")
}


def _public_objects():
    for mod_name, module in MODULES.items():
        if mod_name.rsplit(".", 1)[-1].startswith("_"):
            continue
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) != module.__name__:
                continue  # imported, documented where defined
            yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if inspect.isfunction(member) or isinstance(member, (property, classmethod, staticmethod)):
                        yield f"{module.__name__}.{name}.{attr}", member


OBJECTS = dict(_public_objects())


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_says_what_it_is_for(name):
    doc = inspect.getdoc(MODULES[name]) or ""
    assert len(doc) > 40, f"module {name} needs a docstring that says what it is for"


@pytest.mark.parametrize("qualname", sorted(OBJECTS))
def test_every_public_object_has_a_docstring(qualname):
    obj = OBJECTS[qualname]
    target = obj.__func__ if isinstance(obj, (classmethod, staticmethod)) else obj
    doc = inspect.getdoc(target.fget if isinstance(target, property) else target) or ""
    assert len(doc) > 15, f"{qualname} needs a docstring"


def test_the_package_docstring_maps_every_module():
    doc = inspect.getdoc(nnrnn_edu)
    for name in MODULES:
        parts = name.removeprefix("nnrnn_edu.").split(".")
        mentioned = f"nnrnn_edu.{parts[0]}" in doc and all(f"``{p}``" in doc for p in parts[1:])
        assert mentioned, f"the package docstring does not mention {name}"
