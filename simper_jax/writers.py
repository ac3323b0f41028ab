"""Training metrics on disk: JSON lines and TensorBoard event files.

Written through ``simper_jax.paths`` (a local folder or ``gs://...``).
TensorBoard event files are written here (TFRecord framing of ``Event``
protocol buffers, tensorboardX's classes; no TensorFlow). Only process 0
writes; on other processes the writer does nothing.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import time
from typing import Any, Mapping

from simper_jax import paths

# A growing remote file is uploaded at most this often (GCS allows one
# write per second per object), and whenever it is flushed or closed.
REMOTE_FLUSH_SECS = 30.0


def log(msg: str) -> None:
  """Progress for the user, printed by process 0 only."""
  import jax  # pylint: disable=g-import-not-at-top
  if jax.process_index() == 0:
    print(msg, flush=True)


def jsonable(x: Any) -> Any:
  """``x`` with NaN/inf floats mapped to ``None`` (strict JSON) and NumPy /
  JAX scalars turned into Python numbers, recursively."""
  if isinstance(x, Mapping):
    return {str(k): jsonable(v) for k, v in x.items()}
  if isinstance(x, (list, tuple)):
    return [jsonable(v) for v in x]
  if hasattr(x, 'item') and getattr(x, 'size', 2) == 1:
    x = x.item()
  if isinstance(x, float) and not math.isfinite(x):
    return None
  return x


def write_json(path: str, obj: Any) -> None:
  """Writes ``obj`` as strict, indented JSON, atomically (a local file:
  tmp + rename; an object is replaced whole)."""
  paths.makedirs(paths.dirname(path) or '.')
  text = json.dumps(jsonable(obj), indent=2, sort_keys=True, allow_nan=False)
  paths.write_text(path, text + '\n', atomic=True)


class Appender:
  """A file grown by appends (``metrics.jsonl``, TensorBoard events): a
  local one is appended to and flushed at each write; a remote one is kept
  in memory and uploaded whole (``REMOTE_FLUSH_SECS``).

  ``initial`` replaces the file's content first (``None``: appends to it).
  """

  def __init__(self, path, initial: bytes | None = None):
    self.path, self._dirty = path, True
    self._remote = paths.is_remote(path)
    if not self._remote:
      if initial is not None:
        paths.write_bytes(path, initial)
      self._file = paths.open(path, 'ab')
      return
    if initial is None and paths.exists(path):
      initial = paths.read_bytes(path)
    self._data = bytearray(initial or b'')
    self.flush()

  def write(self, data: bytes) -> None:
    if not self._remote:
      self._file.write(data)
      self._file.flush()
      return
    self._data += data
    self._dirty = True
    if time.monotonic() - self._uploaded >= REMOTE_FLUSH_SECS:
      self.flush()

  def flush(self) -> None:
    if not self._remote:
      self._file.flush()
    elif self._dirty:
      paths.write_bytes(self.path, bytes(self._data))
      self._dirty, self._uploaded = False, time.monotonic()

  def close(self) -> None:
    self.flush()
    if not self._remote:
      self._file.close()


class EventFile:
  """A TensorBoard event file ``FOLDER/events.out.tfevents.TIME.HOST`` (as
  tensorboardX names it) of scalar summaries, each record framed as a
  TFRecord: length, its masked CRC32C, the ``Event``, its masked CRC32C."""

  def __init__(self, folder: str):
    from tensorboardX.proto import event_pb2  # pylint: disable=g-import-not-at-top
    paths.makedirs(folder)
    self.path = paths.join(folder, f'events.out.tfevents.'
                           f'{str(time.time())[:10]}.{socket.gethostname()}')
    self._file = Appender(self.path, initial=b'')
    self._write(event_pb2.Event(wall_time=time.time(),
                                file_version='brain.Event:2'))

  def scalars(self, step: int, scalars: Mapping[str, float]) -> None:
    from tensorboardX.proto import event_pb2  # pylint: disable=g-import-not-at-top
    from tensorboardX.proto import summary_pb2  # pylint: disable=g-import-not-at-top
    for k, v in scalars.items():
      self._write(event_pb2.Event(
          wall_time=time.time(), step=int(step),
          summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(
              tag=k, simple_value=float(v))])))

  def _write(self, event) -> None:
    from tensorboardX.record_writer import masked_crc32c  # pylint: disable=g-import-not-at-top
    data = event.SerializeToString()
    header = struct.pack('<Q', len(data))
    self._file.write(header + struct.pack('<I', masked_crc32c(header)) + data
                     + struct.pack('<I', masked_crc32c(data)))

  def flush(self) -> None:
    self._file.flush()

  def close(self) -> None:
    self._file.close()


class MetricWriter:
  """Appends scalars to ``WORKDIR/metrics.jsonl`` and TensorBoard events.

  Args:
    workdir: the run's directory; events go to ``WORKDIR/tensorboard``.
    enabled: write anything at all (``jax.process_index() == 0``).
    resume_step: the step training resumes from; JSON lines of later steps
      (logged before an interruption, then redone) are removed so each step
      appears once. TensorBoard shows the redone steps over the old ones.
  """

  def __init__(self, workdir: str, *, enabled: bool = True,
               resume_step: int = 0):
    self.enabled = enabled
    self._jsonl = self._tb = None
    if not enabled:
      return
    paths.makedirs(workdir)
    self.jsonl_path = paths.join(workdir, 'metrics.jsonl')
    keep = None
    if paths.exists(self.jsonl_path):
      keep = ''.join(ln for ln in paths.read_text(self.jsonl_path)
                     .splitlines(keepends=True)
                     if ln.strip() and json.loads(ln)['step'] <= resume_step)
    self._jsonl = Appender(self.jsonl_path,
                                 None if keep is None else keep.encode())
    self._tb = EventFile(paths.join(workdir, 'tensorboard'))

  def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
    if not self.enabled:
      return
    row = {'step': int(step), **{k: float(v) for k, v in scalars.items()}}
    self._jsonl.write(
        (json.dumps(jsonable(row), allow_nan=False) + '\n').encode())
    self._tb.scalars(step, scalars)

  def flush(self) -> None:
    """Everything written so far on disk or in the bucket (a remote file
    is otherwise uploaded every ``REMOTE_FLUSH_SECS``)."""
    if self._jsonl is not None:
      self._jsonl.flush()
      self._tb.flush()

  def close(self) -> None:
    if self._jsonl is not None:
      self._jsonl.close()
      self._tb.close()
      self._jsonl = self._tb = None


def note_config_changes(path: str, config) -> None:
  """Says which fields differ from the config a workdir was started with
  (a resumed run then continues under the new values)."""
  if not paths.exists(path):
    return
  old = _flatten(json.loads(paths.read_text(path)))
  new = _flatten(jsonable(config.to_dict()))
  changed = sorted(k for k in old.keys() | new.keys()
                   if old.get(k) != new.get(k))
  if changed:
    log('Note: the config differs from the one in '
         f'{path}: ' + ', '.join(f'{k}: {old.get(k)!r} -> {new.get(k)!r}'
                                 for k in changed))


def _flatten(tree, prefix: str = '') -> dict[str, Any]:
  if isinstance(tree, dict):
    return {k: v for key, sub in tree.items()
            for k, v in _flatten(sub, f'{prefix}{key}.').items()}
  return {prefix[:-1]: tree}
