"""An in-memory ``gs://`` for tests, without network.

* :class:`FakeGCS`: an fsspec filesystem registered for ``gs``/``gcs``, so
  ``etils.epath`` (no TensorFlow here: its fsspec backend) and everything
  built on it (``simper_jax.paths``, Orbax's metadata, grain's iterator
  state) read and write memory. It keeps an object store's rules, as gcsfs
  does: no append, an object appears when its writer closes, folders are
  only prefixes of objects (``makedirs`` creates nothing).
* A local HTTP server speaking the subset of the GCS JSON API that
  TensorStore's ``gcs`` driver uses (media GET/POST, DELETE, list, with
  generation preconditions and ranges), on the same objects, so Orbax's
  array writes (TensorStore, OCDBT) land there too. TensorStore is pointed
  at it with ``TENSORSTORE_GCS_HTTP_URL`` and a fixed test token.
"""

from __future__ import annotations

import collections
import contextlib
import http.server
import importlib
import io
import itertools
import json
import threading
import urllib.parse

import fsspec
from etils.epath import backend as epath_backend
from fsspec.implementations import memory

_GENERATIONS = itertools.count(1)
_LOCK = threading.RLock()
# Requests the fake JSON API answered, by method (TensorStore's traffic).
REQUESTS = collections.Counter()


class FakeGCS(memory.MemoryFileSystem):
  """``gs://bucket/a/b`` -> key ``bucket/a/b`` in :attr:`store`."""

  protocol = ('gs', 'gcs')
  root_marker = ''
  store: dict = {}
  pseudo_dirs = ['']

  @classmethod
  def _strip_protocol(cls, path):
    path = str(path)
    for prefix in ('gs://', 'gcs://'):
      path = path.removeprefix(prefix)
    return path.strip('/')

  def mkdir(self, path, create_parents=True, **kwargs):
    del path, create_parents, kwargs  # no folders in an object store

  def makedirs(self, path, exist_ok=False):
    del path, exist_ok

  def _open(self, path, mode='rb', **kwargs):
    key = self._strip_protocol(path)
    if 'a' in mode or '+' in mode:
      raise NotImplementedError(f'{mode!r} on {path}: an object cannot be '
                                'appended to')
    if 'x' in mode and key in self.store:
      raise FileExistsError(path)
    if 'w' in mode or 'x' in mode:
      return _Upload(key)
    return io.BytesIO(self.cat_file(key))


class _Upload(io.BytesIO):
  """An object written whole when closed."""

  def __init__(self, key):
    super().__init__()
    self.key = key

  def close(self):
    if not self.closed:
      put(self.key, self.getvalue())
    super().close()


def put(key: str, data: bytes) -> int:
  """Stores ``data`` at ``key`` as a new generation; returns it."""
  f = memory.MemoryFile(None, key, data)
  f.generation = next(_GENERATIONS)
  with _LOCK:
    FakeGCS.store[key] = f
  return f.generation


def generation(f) -> int:
  if not hasattr(f, 'generation'):  # written by a copy inside fsspec
    f.generation = next(_GENERATIONS)
  return f.generation


class _Handler(http.server.BaseHTTPRequestHandler):
  protocol_version = 'HTTP/1.1'

  def log_message(self, *args):
    del args

  def _reply(self, code, body=b'', headers=()):
    if isinstance(body, dict):
      body = json.dumps(body).encode()
    self.send_response(code)
    for k, v in headers:
      self.send_header(k, v)
    self.send_header('Content-Length', str(len(body)))
    self.end_headers()
    self.wfile.write(body)

  def _parse(self):
    REQUESTS[self.command] += 1
    url = urllib.parse.urlsplit(self.path)
    query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
    parts = url.path.split('/')  # '', [upload,] storage, v1, b, B, o[, O]
    if parts[1] == 'upload':
      parts = parts[1:]
    bucket = parts[4]
    name = urllib.parse.unquote(parts[6]) if len(parts) > 6 else None
    return bucket, name, query

  @staticmethod
  def _precondition(f, query) -> bool:
    gen = generation(f) if f is not None else 0
    if 'ifGenerationMatch' in query and int(query['ifGenerationMatch']) != gen:
      return False
    return True

  def do_GET(self):  # pylint: disable=invalid-name
    bucket, name, query = self._parse()
    with _LOCK:
      if name is None:  # list
        prefix = f'{bucket}/{query.get("prefix", "")}'
        lo, hi = query.get('startOffset', ''), query.get('endOffset')
        items = []
        for key in sorted(FakeGCS.store):
          short = key[len(bucket) + 1:]
          if (key.startswith(prefix) and short >= lo
              and (hi is None or short < hi)):
            f = FakeGCS.store[key]
            items.append({'name': short, 'size': str(f.size),
                          'generation': str(generation(f))})
        return self._reply(200, {'kind': 'storage#objects', 'items': items})
      f = FakeGCS.store.get(f'{bucket}/{name}')
      if f is None:
        return self._reply(404)
      if not self._precondition(f, query):
        return self._reply(412)
      gen = generation(f)
      if int(query.get('ifGenerationNotMatch', -1)) == gen:
        return self._reply(304, headers=[('x-goog-generation', str(gen))])
      data = f.getvalue()
    meta = {'kind': 'storage#object', 'bucket': bucket, 'name': name,
            'size': str(len(data)), 'generation': str(gen),
            'metageneration': '1'}
    if query.get('alt') != 'media':
      return self._reply(200, meta)
    headers = [('x-goog-generation', str(gen)), ('x-goog-metageneration', '1')]
    rng = self.headers.get('Range')
    if rng:
      a, _, b = rng.removeprefix('bytes=').partition('-')
      if not a:
        lo, hi = max(0, len(data) - int(b)), len(data)
      else:
        lo, hi = int(a), min(int(b) + 1, len(data)) if b else len(data)
      if lo >= len(data) > 0:
        return self._reply(416)
      headers.append(('Content-Range', f'bytes {lo}-{hi - 1}/{len(data)}'))
      return self._reply(206, data[lo:hi], headers)
    return self._reply(200, data, headers)

  def do_POST(self):  # pylint: disable=invalid-name
    bucket, _, query = self._parse()
    data = self.rfile.read(int(self.headers.get('Content-Length') or 0))
    key = f'{bucket}/{query["name"]}'
    with _LOCK:
      if not self._precondition(FakeGCS.store.get(key), query):
        return self._reply(412)
      gen = put(key, data)
    self._reply(200, {'kind': 'storage#object', 'bucket': bucket,
                      'name': query['name'], 'size': str(len(data)),
                      'generation': str(gen), 'metageneration': '1'})

  def do_DELETE(self):  # pylint: disable=invalid-name
    bucket, name, query = self._parse()
    key = f'{bucket}/{name}'
    with _LOCK:
      f = FakeGCS.store.get(key)
      if f is None:
        return self._reply(404)
      if not self._precondition(f, query):
        return self._reply(412)
      del FakeGCS.store[key]
    self._reply(204)


_SERVER = None


def server_url() -> str:
  """The fake JSON API's URL (one server per test process)."""
  global _SERVER
  if _SERVER is None:
    _SERVER = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    _SERVER.daemon_threads = True
    threading.Thread(target=_SERVER.serve_forever, daemon=True).start()
  return f'http://127.0.0.1:{_SERVER.server_port}'


@contextlib.contextmanager
def installed(*buckets: str):
  """``gs://`` and ``gcs://`` go to a fresh, empty :class:`FakeGCS` holding
  ``buckets``; fsspec's registry and epath's cached filesystems are
  restored afterwards."""
  registry = importlib.import_module('fsspec.registry')._registry  # pylint: disable=protected-access
  before = {p: registry.get(p) for p in FakeGCS.protocol}
  saved = FakeGCS.store, FakeGCS.pseudo_dirs
  FakeGCS.store, FakeGCS.pseudo_dirs = {}, ['', *buckets]
  for p in FakeGCS.protocol:
    fsspec.register_implementation(p, FakeGCS, clobber=True)
  epath_backend.fsspec_backend._get_filesystem.cache_clear()  # pylint: disable=protected-access
  try:
    yield FakeGCS.store
  finally:
    for p, cls in before.items():
      if cls is None:
        registry.pop(p, None)
      else:
        registry[p] = cls
    FakeGCS.store, FakeGCS.pseudo_dirs = saved
    epath_backend.fsspec_backend._get_filesystem.cache_clear()  # pylint: disable=protected-access
