"""The builder harness itself: it must reject what does not match."""

from __future__ import annotations

from absl.testing import absltest
import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import testing_harness

_SPECS = tfds.features.FeaturesDict({
    'video': tfds.features.Tensor(shape=(2, None, 3), dtype=np.uint8),
    'rate': tfds.features.Scalar(dtype=np.float32),
    'index': tfds.features.Scalar(dtype=np.int32),
    'flag': tfds.features.Scalar(dtype=np.bool_),
    'name': tfds.features.Text(),
}).get_tensor_info()


def _example(**changes):
  # As `as_data_source` decodes: arrays, Python scalars, bytes.
  example = {'video': np.zeros((2, 5, 3), np.uint8), 'rate': 0.5,
             'index': 7, 'flag': True, 'name': b'a'}
  example.update(changes)
  return example


class CheckExampleTest(absltest.TestCase):

  def test_accepts_a_matching_example(self):
    testing_harness.check_example(_example(), _SPECS, 'x')
    testing_harness.check_example(_example(rate=float('nan')), _SPECS, 'x')

  def test_rejects(self):
    cases = {
        'keys': _example(extra=1),
        'video dtype': _example(video=np.zeros((2, 5, 3), np.int32)),
        'video shape': _example(video=np.zeros((3, 5, 3), np.uint8)),
        'video rank': _example(video=np.zeros((2, 5), np.uint8)),
        'not a float32': _example(rate=0.1),
        'int out of range': _example(index=2**40),
        'float for int': _example(index=1.5),
        'int for bool': _example(flag=2),
        'number for text': _example(name=3),
        'array for scalar': _example(rate=np.zeros(2, np.float32)),
    }
    for what, example in cases.items():
      with self.assertRaises(AssertionError, msg=what):
        testing_harness.check_example(example, _SPECS, what)


class AssertSameTest(absltest.TestCase):

  def test_same(self):
    testing_harness.assert_same([_example(), _example(index=2)],
                                [_example(), _example(index=2)], 'x')

  def test_differences(self):
    one, two = _example(), _example(index=2)
    video = np.ones((2, 5, 3), np.uint8)
    for what, other in {'order': [two, one], 'length': [one],
                        'value': [one, _example(index=2, video=video)],
                        'type': [one, _example(index=2.0)]}.items():
      with self.assertRaises(AssertionError, msg=what):
        testing_harness.assert_same([one, two], other, what)


if __name__ == '__main__':
  absltest.main()
