"""The package's layering, read from the source with ``ast``.

* ``tfds_builders`` (the datasets) never imports ``simper_jax`` (the model,
  training and evaluation): the builders stand alone.
* No module (tests aside) is longer than 450 lines.
* Generic code (training, the entry points, data, evaluation, studies)
  never tests a unit string: what a unit means belongs to the task kinds
  (simper_jax/tasks).
"""

from __future__ import annotations

import ast
import os

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PACKAGES = ('simper_jax', 'tfds_builders')
MAX_LINES = 450
# data.target_unit values and the units they show: only simper_jax.tasks
# may name them.
UNIT_STRINGS = frozenset({'hz', 'bpm', 'count', 'kelvin', 'Hz'})
_GENERIC = ('simper_jax/train.py', 'simper_jax/main.py',
            'simper_jax/studies.py', 'simper_jax/datasets.py',
            'simper_jax/input_pipeline.py', 'simper_jax/prepare.py',
            'simper_jax/evaluation')


def _modules(*roots):
  """Repository-relative paths of the .py files under ``roots``."""
  out = []
  for root in roots:
    top = os.path.join(_ROOT, root)
    if os.path.isfile(top):
      out.append(root)
      continue
    for d, dirs, files in os.walk(top):
      dirs[:] = sorted(x for x in dirs if x != '__pycache__')
      out += [os.path.relpath(os.path.join(d, f), _ROOT)
              for f in sorted(files) if f.endswith('.py')]
  assert out, f'no modules under {roots}'
  return out


def _is_test(path):
  name = os.path.basename(path)
  return name.startswith('test_') or name.endswith('_test.py')


def _parse(path):
  with open(os.path.join(_ROOT, path), encoding='utf-8') as f:
    return ast.parse(f.read(), filename=path)


def _imports(tree, path):
  """Every module an ``import`` or ``from`` names, at any depth (inside
  functions too), relative imports resolved against ``path``."""
  package = os.path.dirname(path).replace(os.sep, '.').split('.')
  out = set()
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      out.update(a.name for a in node.names)
    elif isinstance(node, ast.ImportFrom):
      if node.level:
        base = package[:len(package) - node.level + 1]
        module = '.'.join(base + ([node.module] if node.module else []))
      else:
        module = node.module or ''
      out.add(module)
      out.update(f'{module}.{a.name}' for a in node.names)
  return out


def test_import_walk_sees_nested_and_relative_imports():
  tree = ast.parse('def f():\n  from simper_jax import tasks\n'
                   'from . import common\nimport a.b as c\n')
  got = _imports(tree, os.path.join('tfds_builders', 'x', 'mod.py'))
  assert {'simper_jax', 'simper_jax.tasks', 'tfds_builders.x.common',
          'a.b'} <= got


def test_tfds_builders_never_import_simper_jax():
  offenders = {}
  for path in _modules('tfds_builders'):
    bad = sorted(m for m in _imports(_parse(path), path)
                 if m == 'simper_jax' or m.startswith('simper_jax.'))
    if bad:
      offenders[path] = bad
  assert not offenders, (
      f'tfds_builders must not depend on simper_jax; these modules import '
      f'it: {offenders}')


def test_no_module_is_longer_than_450_lines():
  offenders = {}
  for path in _modules(*_PACKAGES):
    if _is_test(path):
      continue
    with open(os.path.join(_ROOT, path), encoding='utf-8') as f:
      n = len(f.read().splitlines())
    if n > MAX_LINES:
      offenders[path] = n
  assert not offenders, (
      f'modules over {MAX_LINES} lines (split them by responsibility): '
      f'{offenders}')


def test_generic_code_never_tests_a_unit_string():
  offenders = {}
  for path in _modules(*_GENERIC):
    hits = sorted({(node.lineno, node.value)
                   for node in ast.walk(_parse(path))
                   if isinstance(node, ast.Constant)
                   and isinstance(node.value, str)
                   and node.value in UNIT_STRINGS})
    if hits:
      offenders[path] = hits
  assert not offenders, (
      f'unit strings in generic code (ask the task kind instead, '
      f'simper_jax.tasks): {offenders}')
