"""The compiled SimPer train step: views, encoder, loss, optax update.

One ``jax.jit`` over the ``('data',)`` mesh, with the train state donated:

    key   = fold_in(root, step); per-clip keys = fold_in(key, global index)
    views = vmap(method.make_views)(keys, clips)        (on device)
    loss, aux = method.compute_loss(learner, views, batch, cfg)
                                  (encoder inside; methods.base.Method)
    grads -> optax update; method.after_update(learner, cfg)

Per-clip keys depend only on the step and the clip's global index, so the
augmentations, and hence the whole step, do not depend on how many devices
the batch is split over, and a resumed run draws what an uninterrupted one
would.
"""

from __future__ import annotations

import time
from typing import Any, Callable, NamedTuple

import jax
import ml_collections
import numpy as np
import optax
from flax import nnx

from simper_jax import checkpointing
from simper_jax import datasets
from simper_jax import health
from simper_jax import input_pipeline
from simper_jax import methods
from simper_jax import models
from simper_jax import partitioning
from simper_jax import paths
from simper_jax import writers
from simper_jax.evaluation import evaluator

Array = jax.Array


_log = writers.log


class StepFns(NamedTuple):
  """A compiled step and what is needed to turn its state back into objects.

  Attributes:
    graphdef: static structure of ``(model, optimizer)``.
    step: jitted ``step(state, batch, root_key) -> (state, metrics)``;
      ``state`` is donated.
  """
  graphdef: Any
  step: Callable


def split_state(model: nnx.Module, optimizer: nnx.Optimizer):
  """``(graphdef, state)`` of the model and optimizer together."""
  return nnx.split((model, optimizer))


def merge_state(graphdef, state):
  """Inverse of :func:`split_state`: ``(model, optimizer)``."""
  return nnx.merge(graphdef, state)


def clip_keys(root_key: Array, step: Array, index: Array) -> Array:
  """Per-clip keys ``fold_in(fold_in(root, step), global_index)``."""
  step_key = jax.random.fold_in(root_key, step)
  return jax.vmap(lambda i: jax.random.fold_in(step_key, i))(index)


def make_train_step(graphdef, *, method, method_cfg, mesh,
                    donate: bool = True,
                    layout: partitioning.BatchLayout = partitioning.BatchLayout()
                    ) -> StepFns:
  """Builds the jitted train step.

  Args:
    graphdef: from :func:`split_state` (model in train mode).
    method: a method (``simper_jax.methods.base.Method``): the step calls
      its ``make_views``, ``compute_loss`` and ``after_update``, and
      differentiates the variables its ``TRAINABLE`` filter selects.
    method_cfg: its static config.
    mesh: the ``('data',)`` mesh; state replicated, batch sharded.
    donate: donate the input state buffers (the caller must not reuse it).
    layout: how the batch arrives when it does not divide over the
      devices (``partitioning.pack``; unpacked first thing in the step).

  Returns:
    :class:`StepFns`. The step takes ``state``, ``batch`` (a dict with
    ``clip`` uint8/float ``[B, T, H, W, C]``, ``index`` int ``[B]``, the
    clips' global indices, and ``label`` ``[B]`` for supervised methods) and
    ``root_key``, and returns the new state and ``{'loss', 'grad_norm'}``
    plus the method's own metrics.
  """
  repl = partitioning.replicated(mesh)
  data = partitioning.data_sharded(mesh)
  trainable = method.TRAINABLE

  def step_fn(state, batch, root_key):
    with partitioning.step_mesh(mesh):
      return traced_step(state, batch, root_key)

  def traced_step(state, batch, root_key):
    model, optimizer = nnx.merge(graphdef, state)
    batch = partitioning.unpack(batch, layout)
    keys = clip_keys(root_key, optimizer.step[...], batch['index'])
    views = jax.vmap(lambda k, c: method.make_views(k, c, method_cfg))(
        keys, batch['clip'])
    # The encoder's work is split over B, or B x 2 (sets), or B x 2 x M
    # (views), whichever divides over the devices first.
    views = views._replace(views=partitioning.constrain_leading(
        views.views, mesh, 3))

    def loss_fn(model):
      return method.compute_loss(model, views, batch, method_cfg)

    (loss, aux), grads = nnx.value_and_grad(
        loss_fn, argnums=nnx.DiffState(0, trainable), has_aux=True)(model)
    optimizer.update(model, grads)
    method.after_update(model, method_cfg)  # e.g. EMA targets, queues
    metrics = {'loss': loss, 'grad_norm': optax.tree.norm(grads), **aux}
    return nnx.state((model, optimizer)), metrics

  step = jax.jit(step_fn, in_shardings=(repl, data, repl),
                 out_shardings=(repl, repl),
                 donate_argnums=(0,) if donate else ())
  return StepFns(graphdef=graphdef, step=step)


# --- train_and_evaluate: the whole run, as orchestration of named helpers.


def make_optimizer(cfg: ml_collections.ConfigDict, *, steps_per_epoch: int,
                   total_steps: int
                   ) -> tuple[optax.GradientTransformation, optax.Schedule]:
  """The optax optimizer and learning-rate schedule of ``cfg`` (``optim``).

  ``step`` reproduces the tutorial: ``learning_rate`` times
  ``decay_factors[i]`` from epoch ``decay_epochs[i]`` on.
  """
  lr = cfg.learning_rate
  if not lr > 0:
    raise ValueError(f'optim.learning_rate must be > 0, got {lr}.')
  if cfg.schedule == 'constant':
    schedule = optax.constant_schedule(lr)
  elif cfg.schedule == 'step':
    if len(cfg.decay_epochs) != len(cfg.decay_factors):
      raise ValueError('optim.decay_epochs and optim.decay_factors must have '
                       f'the same length, got {cfg.decay_epochs} and '
                       f'{cfg.decay_factors}.')
    bounds = [int(round(e * steps_per_epoch)) for e in cfg.decay_epochs]
    if bounds != sorted(bounds):
      raise ValueError(f'optim.decay_epochs must increase: {cfg.decay_epochs}')
    # optax multiplies the scales cumulatively; ours are absolute factors.
    scales, prev = {}, 1.0
    for b, f in zip(bounds, cfg.decay_factors):
      scales[b] = scales.get(b, 1.0) * f / prev
      prev = f
    schedule = optax.piecewise_constant_schedule(lr, scales)
  elif cfg.schedule == 'cosine':
    schedule = optax.cosine_decay_schedule(lr, max(1, total_steps))
  else:
    raise ValueError(f'optim.schedule={cfg.schedule!r}; choose step, cosine '
                     'or constant.')
  if cfg.warmup_steps > 0:
    schedule = optax.join_schedules(
        [optax.linear_schedule(0.0, lr, cfg.warmup_steps), schedule],
        [cfg.warmup_steps])
  if cfg.name == 'adam':
    tx = optax.adam(schedule)
  elif cfg.name == 'adamw':
    tx = optax.adamw(schedule, weight_decay=cfg.weight_decay)
  elif cfg.name == 'sgd':
    tx = optax.sgd(schedule, momentum=0.9)
  else:
    raise ValueError(f'optim.name={cfg.name!r}; choose adam, adamw or sgd.')
  if cfg.grad_clip_norm > 0:
    tx = optax.chain(optax.clip_by_global_norm(cfg.grad_clip_norm), tx)
  return tx, schedule


def num_train_steps(config: ml_collections.ConfigDict,
                    num_train_records: int) -> tuple[int, int]:
  """``(steps_per_epoch, total_steps)`` for ``num_train_records`` clips."""
  steps_per_epoch = num_train_records // config.batch_size
  if steps_per_epoch < 1:
    raise ValueError(f'batch_size {config.batch_size} exceeds the '
                     f'{num_train_records} training clips.')
  if config.num_train_steps > 0:
    return steps_per_epoch, int(config.num_train_steps)
  if not config.num_epochs > 0:
    raise ValueError('set num_epochs > 0 or num_train_steps > 0.')
  return steps_per_epoch, int(round(config.num_epochs * steps_per_epoch))


def _check_workdir(workdir: str) -> None:
  """A clear error before any work when the workdir (local, gs://...)
  cannot be written or hold checkpoints."""
  try:
    if paths.exists(workdir) and not paths.isdir(workdir):
      raise ValueError(f'--workdir={workdir} is a file, not a folder; '
                       'choose another --workdir.')
    paths.makedirs(workdir)
  except OSError as e:
    raise ValueError(f'cannot create --workdir={workdir}: '
                     f'{e.strerror or e}.') from e
  except ImportError as e:  # fsspec: "Install gcsfs to access ..."
    raise ValueError(f'cannot use --workdir={workdir}: {e}') from e
  if not paths.is_writable(workdir):
    raise ValueError(f'cannot write to --workdir={workdir} (permission '
                     'denied); choose a folder you can write to.')
  checkpointing.check_directory(paths.join(workdir, 'checkpoints'))


def _format_eta(seconds: float) -> str:
  seconds = int(max(0, seconds))
  return f'{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'


def _check_config(config, method_cfg, clip_frames: int, mesh) -> None:
  """Stops impossible configs before anything is compiled."""
  need = method_cfg.views.min_clip_frames()
  if clip_frames < need:
    raise ValueError(
        f'clips have {clip_frames} frames but {method_cfg.views.num_frames}-'
        f'frame views at speed up to {method_cfg.views.speed_range[1]} need '
        f'{need}: lower method.num_frames or method.speed_range, or use '
        'longer clips (data.num_frames).')
  # Any device count: a batch that does not divide over the devices is
  # packed (partitioning.BatchLayout); each process reads its own share.
  for name, size in (('batch_size', config.batch_size),
                     ('eval.batch_size', config.eval.batch_size)):
    partitioning.check_divisible(name, size, jax.process_count(),
                                 'processes')
  if config.log_every_steps < 1 or config.checkpoint_every_steps < 1:
    raise ValueError('log_every_steps and checkpoint_every_steps must be '
                     '>= 1.')


def _init(config, method_cfg, mesh, tx, in_channels: int):
  """A fresh model and optimizer, split, with the state on the mesh."""
  method = methods.get(config.method.name)
  rngs = nnx.Rngs(config.seed)
  encoder = models.create(config.model, in_channels=in_channels, rngs=rngs)
  model = method.build(encoder, method_cfg, rngs=rngs)
  model.train()
  optimizer = nnx.Optimizer(model, tx, wrt=method.TRAINABLE)
  graphdef, state = split_state(model, optimizer)
  return graphdef, partitioning.replicate(state, mesh)


def _train_loop(fns, state, data_iter, *, root_key, start: int, total: int,
                config, schedule, writer, ckpt) -> Any:
  """Runs steps ``start .. total-1``; returns the final state.

  ``data_iter`` yields global batches already on the devices
  (``input_pipeline.Prefetch``).
  """
  pending, t0, t_first = [], time.perf_counter(), None
  zero_grads, losses = 0, []
  for step in range(start, total):
    state, metrics = fns.step(state, next(data_iter), root_key)
    pending.append((step, metrics))
    done = step + 1
    if step == start:  # rates exclude the first step's compilation
      jax.block_until_ready(metrics)
      t_first = time.perf_counter()
      _log(f'  first step (compilation included): {t_first - t0:.1f} s')
    if done % config.log_every_steps == 0 or done == total:
      fetched = jax.device_get(pending)
      for s, m in fetched:
        health.check_finite(m, s + 1)
        zero_grads += int(float(m['grad_norm']) == 0.0)
        losses.append(float(m['loss']))
      pending = []
      rows = {k: float(np.mean([m[k] for _, m in fetched]))
              for k in fetched[0][1]}
      rows['learning_rate'] = float(schedule(step))
      rate = (step - start) / max(time.perf_counter() - t_first, 1e-9)
      if step > start:
        rows['steps_per_sec'] = rate
      writer.write_scalars(done, rows)
      eta = _format_eta((total - done) / rate) if step > start else '?'
      _log(f'  step {done:6d}/{total}  loss {rows["loss"]:.4f}  grad '
           f'{rows["grad_norm"]:.3f}  lr {rows["learning_rate"]:.2e}  '
           f'{rate:.2f} steps/s  ETA {eta}')
    if done % config.checkpoint_every_steps == 0 or done == total:
      for s, m in jax.device_get(pending):  # never save an unchecked state
        health.check_finite(m, s + 1)
      # The metrics come from before the update: check what is saved.
      if not checkpointing.all_finite(state):
        raise FloatingPointError(
            f'the train state holds non-finite values after step {done}. '
            + health.NON_FINITE_ADVICE)
      writer.flush()  # rows up to a checkpoint survive (a bucket's too)
      ckpt.save(done, state, data_iter)
  return state, health.training_warnings(zero_grads, losses, total - start)


def train_and_evaluate(config: ml_collections.ConfigDict,
                       workdir: str) -> dict[str, Any]:
  """Trains SimPer (or a baseline) as configured, then evaluates it.

  Resumes from the latest checkpoint in ``WORKDIR/checkpoints`` if there is
  one (model, optimizer, step and data position). Writes
  ``WORKDIR/metrics.jsonl``, TensorBoard events in ``WORKDIR/tensorboard``,
  ``WORKDIR/config.json`` and the evaluation (``WORKDIR/eval/metrics.json``
  and a PNG figure; ``WORKDIR/eval_init`` for the untrained encoder when
  ``eval.compare_init``).

  Args:
    config: an experiment config (``experiments/*.py``).
    workdir: the run's output directory (created if missing).

  Returns:
    ``{'eval': metrics}`` plus ``'eval_init'`` when ``eval.compare_init``;
    metrics map split -> readout -> metric.

  Raises:
    ValueError: impossible config; FloatingPointError: a non-finite loss.
  """
  workdir = paths.resolve(workdir)
  is_main = jax.process_index() == 0
  _check_workdir(workdir)
  config = datasets.resolved(config)
  mesh = partitioning.make_mesh()
  method = methods.get(config.method.name)
  method_cfg = method.config_from(config.method, fps=config.data.fps)
  plugin = datasets.plugin(config.data)
  builder = datasets.prepare(config.data)
  train_source, subset_note = input_pipeline.select(
      builder.as_data_source(config.data.train_split), config.data,
      role='train', seed=config.seed, target=plugin.target)
  clip_shape = builder.info.features[plugin.clip].shape
  _check_config(config, method_cfg, clip_shape[0], mesh)
  steps_per_epoch, total = num_train_steps(config, len(train_source))
  if config.eval.init_only:
    total = 0
  tx, schedule = make_optimizer(config.optim,
                                steps_per_epoch=steps_per_epoch,
                                total_steps=total)
  graphdef, state = _init(config, method_cfg, mesh, tx, clip_shape[-1])
  if is_main:
    writers.note_config_changes(paths.join(workdir, 'config.json'), config)
  ckpt = checkpointing.Checkpointer(paths.join(workdir, 'checkpoints'),
                                    max_to_keep=config.keep_checkpoints)
  loader = input_pipeline.train_loader(
      train_source, global_batch_size=config.batch_size, seed=config.seed,
      label_key=plugin.target if method.NEEDS_LABELS else None,
      video_key=plugin.clip, normalize=tuple(config.data.input_normalize),
      worker_count=config.data.worker_count)
  layout = partitioning.batch_layout(
      config.batch_size // jax.process_count(),
      partitioning.local_device_count(mesh), clip_shape)
  data_iter = input_pipeline.Prefetch(
      iter(loader), config.data.prefetch,
      transform=lambda b: input_pipeline.to_global(b, mesh, layout))
  start = 0
  if total and ckpt.latest_step() is not None:
    if ckpt.latest_step() > total:
      raise ValueError(
          f'{ckpt.directory} holds a checkpoint at step '
          f'{ckpt.latest_step()}, past this run\'s {total} steps; raise '
          'num_train_steps or use a new --workdir.')
    start, state = ckpt.restore_intact(state, data_iter, log=_log)
    _log(f'Resuming from checkpoint {start} in {ckpt.directory}')
  # An init_only evaluation beside a trained run must not replace the
  # run's config or evaluation: it goes to eval_init/ there.
  beside_a_run = bool(config.eval.init_only and ckpt.latest_step())
  if is_main and not beside_a_run:
    writers.write_json(paths.join(workdir, 'config.json'),
                       config.to_dict())
  warnings = []
  if total > start:
    _log(f'Training {config.method.name} on {builder.info.full_name} '
         f'{config.data.train_split} ({subset_note}; '
         f'{len(train_source)} clips of {clip_shape}, {steps_per_epoch} '
         f'steps/epoch) for steps {start + 1}..{total} on '
         f'{mesh.size} {jax.default_backend()} device(s)')
    if layout.factor > 1:
      _log(f'  {config.batch_size} clips per step on {mesh.size} devices: '
           f'each clip travels as {layout.factor} '
           + (f'parts (axis {layout.split_axis} of [B, T, H, W, C])'
              if layout.split_axis else 'copies')
           + '; the views are split over the devices')
    fns = make_train_step(graphdef, method=method, method_cfg=method_cfg,
                          mesh=mesh, layout=layout)
    writer = writers.MetricWriter(workdir, enabled=is_main, resume_step=start)
    try:
      state, warnings = _train_loop(fns, state, data_iter,
                                    root_key=jax.random.key(config.seed),
                                    start=start,
                                    total=total, config=config,
                                    schedule=schedule, writer=writer,
                                    ckpt=ckpt)
    finally:
      data_iter.close()
      writer.close()
      ckpt.wait()
  ckpt.close()
  model = method.encoder_of(merge_state(graphdef, state)[0])
  out = 'eval_init' if beside_a_run else 'eval'
  result = {'eval_dir': paths.join(workdir, out),
            'eval': evaluator.evaluate(model, config, builder, mesh,
                                      paths.join(workdir, out),
                                      label='untrained' if config.eval
                                      .init_only else f'step {total}',
                                      warnings=warnings)}
  if config.eval.compare_init and not config.eval.init_only:
    init_model = method.encoder_of(merge_state(*_init(
        config, method_cfg, mesh, tx, clip_shape[-1]))[0])
    result['eval_init'] = evaluator.evaluate(
        init_model, config, builder, mesh,
        paths.join(workdir, 'eval_init'), label='untrained')
  return result


def restore_encoder(config: ml_collections.ConfigDict, workdir: str, *,
                    in_channels: int, mesh) -> tuple[nnx.Module, int]:
  """The trained encoder of the run in ``workdir`` (its latest checkpoint).

  Args:
    config: the run's config (``WORKDIR/config.json``).
    workdir: the run's directory.
    in_channels: channels of its clips.
    mesh: where to place the state.

  Returns:
    ``(encoder, step)``.

  Raises:
    FileNotFoundError: when the workdir holds no checkpoint.
  """
  ckpt = checkpointing.Checkpointer(paths.join(workdir, 'checkpoints'))
  step = ckpt.latest_step()
  if step is None:
    raise FileNotFoundError(
        f'{workdir} holds no trained run (no checkpoint in '
        f'{ckpt.directory}); train one with python -m simper_jax.main '
        f'--config=... --workdir={workdir}.')
  method = methods.get(config.method.name)
  method_cfg = method.config_from(config.method, fps=config.data.fps)
  tx, _ = make_optimizer(config.optim, steps_per_epoch=1,
                         total_steps=max(1, step))
  graphdef, state = _init(config, method_cfg, mesh, tx, in_channels)
  state = ckpt.restore_state(step, state)
  ckpt.close()
  return method.encoder_of(merge_state(graphdef, state)[0]), step
