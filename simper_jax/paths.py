"""The files of a run, on a local disk or in a bucket (``gs://...``).

Every file a run writes or reads goes through here: a local path with
``os`` and ``open`` as before, a URI (``gs://``, ``s3://``, ``az://``)
through ``etils.epath`` (fsspec; ``gcsfs`` for ``gs://``), as TFDS and
Orbax do. Object stores have no rename and no append: an atomic write puts
the object whole (``writers.Appender`` grows a remote file by uploading it
whole).
"""

from __future__ import annotations

import builtins
import os
import posixpath
import re
import shutil
import uuid

from etils import epath

_URI = re.compile(r'^([A-Za-z][A-Za-z0-9+.-]*)://')
_SCHEMES = ('gs', 's3', 'az', 'hf')  # those etils.epath opens


def is_remote(path) -> bool:
  """Whether ``path`` is a URI (``gs://bucket/x``), not a local path."""
  return bool(_URI.match(os.fspath(path)))


def resolve(path) -> str:
  """A local path made absolute (``~`` expanded); a URI as given, without a
  trailing ``/`` (ValueError for a scheme epath cannot open)."""
  path = os.fspath(path)
  if not is_remote(path):
    return os.path.abspath(os.path.expanduser(path))
  if _URI.match(path).group(1) not in _SCHEMES:
    raise ValueError(f'{path}: unsupported scheme; use a local path or '
                     'gs://, s3:// or az://.')
  return path.rstrip('/')


def _module(path):
  return posixpath if is_remote(path) else os.path


def join(path, *parts) -> str:
  return _module(path).join(os.fspath(path), *parts)


def dirname(path) -> str:
  return _module(path).dirname(os.fspath(path))


def exists(path) -> bool:
  return epath.Path(path).exists() if is_remote(path) else (
      os.path.exists(path))


def isdir(path) -> bool:
  return epath.Path(path).is_dir() if is_remote(path) else (
      os.path.isdir(path))


def makedirs(path) -> None:
  """Creates a local folder and its parents. Nothing in an object store: it
  has no folders (names hold the prefix), and gcsfs would create a missing
  bucket."""
  if not is_remote(path):
    os.makedirs(path, exist_ok=True)


def open(path, mode: str = 'r', **kwargs):  # pylint: disable=redefined-builtin
  """``open`` for local files (``kwargs`` passed on), epath's otherwise."""
  if is_remote(path):
    return epath.Path(path).open(mode)
  return builtins.open(path, mode, **kwargs)


def read_bytes(path) -> bytes:
  with open(path, 'rb') as f:
    return f.read()


def read_text(path) -> str:
  return read_bytes(path).decode('utf-8')


def write_bytes(path, data: bytes, *, atomic: bool = False) -> None:
  """``atomic``: a local file appears whole or not at all (``PATH.tmp``
  then ``os.replace``); an object is always replaced whole."""
  path = os.fspath(path)
  target = path + '.tmp' if atomic and not is_remote(path) else path
  with open(target, 'wb') as f:
    f.write(data)
  if target != path:
    os.replace(target, path)


def write_text(path, text: str, *, atomic: bool = False) -> None:
  write_bytes(path, text.encode('utf-8'), atomic=atomic)


def copy(src, dst) -> None:
  if is_remote(src) or is_remote(dst):
    epath.Path(src).copy(dst, overwrite=True)
  else:
    shutil.copy(src, dst)


def remove(path) -> None:
  if is_remote(path):
    epath.Path(path).unlink()
  else:
    os.remove(path)


def is_writable(folder) -> bool:
  """Local: ``os.access``. Remote: a probe object is written and removed
  (an object store's permissions show only when one writes)."""
  if not is_remote(folder):
    return os.access(folder, os.W_OK)
  probe = join(folder, f'.write_test_{uuid.uuid4().hex}')
  try:
    write_bytes(probe, b'')
    remove(probe)
  except Exception:  # pylint: disable=broad-except
    return False  # gcsfs and the others raise their own HTTP errors
  return True


def save_figure(fig, path, **kwargs) -> None:
  """``fig.savefig`` into ``path`` (the format from its extension)."""
  fmt = os.path.splitext(os.fspath(path))[1].lstrip('.') or 'png'
  with open(path, 'wb') as f:
    fig.savefig(f, format=fmt, **kwargs)
