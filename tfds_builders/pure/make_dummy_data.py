"""Writes ``dummy_data/``: three tiny PURE recordings.

    python tfds_builders/pure/make_dummy_data.py

01-01 and 02-01 (train; 66 and 90 bpm) and 08-01 (test; 120 bpm): about
0.8 s of a 32x40 pulsing face as Image<ns>.png at ~30 Hz, and the PPG at an
uneven ~60 Hz in <name>.json, both with nanosecond time stamps.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))
from tfds_builders import rppg_synthetic  # pylint: disable=g-import-not-at-top,wrong-import-position

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dummy_data')
RECORDINGS = (('01-01', 66.0), ('02-01', 90.0), ('08-01', 120.0))
START_NS = 1_392_643_993_642_815_000


def main():
  for i, (name, hr) in enumerate(RECORDINGS):
    frame_ts = rppg_synthetic.uneven_times_ns(START_NS, 0.8, 30.0, 0.05,
                                              seed=2 * i)
    # The oximeter starts a little before and stops a little after.
    ppg_ts = rppg_synthetic.uneven_times_ns(START_NS - 50_000_000, 0.9, 60.0,
                                            0.3, seed=2 * i + 1)
    t = (frame_ts - START_NS) * 1e-9
    frames = rppg_synthetic.face_frames(t, hr, height=32, width=40, noise=0,
                                        seed=i)
    wave = 128 + 40 * rppg_synthetic.ppg((ppg_ts - START_NS) * 1e-9, hr)
    rppg_synthetic.write_pure_recording(HERE, name, frames, frame_ts, ppg_ts,
                                        wave)


if __name__ == '__main__':
  main()
