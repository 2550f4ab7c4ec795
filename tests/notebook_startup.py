"""PYTHONSTARTUP of the kernels that run the chapters under nbval (set by ``book/conftest.py``).

It runs in the notebook's namespace, so it only loads ``tests/notebook_checks.py`` as a module and
registers its checks, leaving no names behind.
"""


def _nnrnn_edu_register_checks():
    import importlib.util
    import os
    import sys

    path = os.path.join(os.path.dirname(os.path.abspath(os.environ["PYTHONSTARTUP"])), "notebook_checks.py")
    spec = importlib.util.spec_from_file_location("nnrnn_edu_notebook_checks", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.register(get_ipython())  # noqa: F821 (IPython's startup namespace)


_nnrnn_edu_register_checks()
del _nnrnn_edu_register_checks
