"""Bounded LRU caches kept per runtime (a served process has one; tests make many, each with its own
catalogs), shared by the request threads of the process.

What a path request reads that does not depend on the employee (retrieval per skill, the candidates
per skill and language) is kept here under keys that hold everything it is made of (snapshot and
tags versions among them), so nothing is ever invalidated by hand: a new version is a new key, and
the old entries age out. `cachetools` gives the LRU (a maintained library); the lock makes it safe
for the threads that serve requests.
"""

from __future__ import annotations

import threading
import weakref
from typing import Generic, TypeVar

from cachetools import LRUCache

from service.core.runtime import Runtime

V = TypeVar("V")


class ProcessCache(Generic[V]):
    """A bounded LRU guarded by a lock."""

    def __init__(self, size: int) -> None:
        self._entries: LRUCache[tuple[object, ...], V] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> V | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: tuple[object, ...], value: V) -> None:
        with self._lock:
            self._entries[key] = value


_CACHES: weakref.WeakKeyDictionary[Runtime, dict[str, ProcessCache[object]]] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def process_cache(runtime: Runtime, name: str, size: int) -> ProcessCache[object]:
    """The runtime's cache called `name`, made with room for `size` entries on first use."""
    with _CACHES_LOCK:
        caches = _CACHES.setdefault(runtime, {})
        cache = caches.get(name)
        if cache is None:
            cache = caches[name] = ProcessCache(size)
        return cache
