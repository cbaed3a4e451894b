"""Loaded by every Tempest process that scripts/tempest starts (PYTHONPATH).

Debian's tempest package patches `SubnetsClient.delete_subnet` to sleep 10 s before every call
("avoids failures when it takes time to teardown some ports"); upstream Tempest has no such sleep.
It only delays cleanups (one class of network tests spends minutes in it) and changes no assertion,
so the sleep inside that one function is skipped: the request is sent at once, which can only make a
slow teardown fail, never hide one. See docs/adr/0018-network-tempest.md.
"""
import importlib.abc
import importlib.util
import sys
import time
import types

_TARGET = "tempest.lib.services.network.subnets_client"


class _NoSleepInSubnetsClient(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != _TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            shim = types.ModuleType("time")
            shim.__dict__.update(time.__dict__)
            shim.sleep = lambda _seconds: None
            module.time = shim

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _NoSleepInSubnetsClient())
