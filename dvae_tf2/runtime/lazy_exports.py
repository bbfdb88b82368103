"""A package's public names imported on first use (PEP 562), so that importing the package loads no TensorFlow."""
import importlib
import sys


def lazy_exports(package, exports):
    """The module-level (__getattr__, __dir__) of `package`, whose public names `exports` maps to the modules that
    define them (a name that is its module's last component is the module itself)."""

    def __getattr__(name):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(exports[name])
        value = module if module.__name__.endswith("." + name) else getattr(module, name)
        setattr(sys.modules[package], name, value)   # later look-ups skip __getattr__
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
