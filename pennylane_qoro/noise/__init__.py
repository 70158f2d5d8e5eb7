"""Noisy simulation on Maestro from PennyLane (qoro-api.md §2.13).

* :class:`NoiseBuilder` -- Maestro's noise families in PennyLane wire labels;
* :class:`DeviceNoise` -- the device's ``noise_model`` / ``noise_realizations`` /
  ``noise_seed`` options, and the per-batch ``maestro_config`` noise keys;
* ``translate`` -- ``qml.NoiseModel`` -> Maestro setter calls (exact, or refused);
* ``channels`` -- PennyLane channels as Maestro's per-qubit layers.

The wire form and its validation live in ``protocol/noise.py`` (shared with the service).
"""

from .builder import NoiseBuilder
from .device_noise import DeviceNoise, reject_noise_channels, reject_rotated_samples

__all__ = ["DeviceNoise", "NoiseBuilder", "reject_noise_channels", "reject_rotated_samples"]
