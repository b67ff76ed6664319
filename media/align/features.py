"""Speech features for alignment: MFCCs on 40 ms hops, computed block by block.

Both sides of the alignment (espeak-ng's synthesis and the programme) go through the same
`FeatureStream`, fed any number of sample blocks at their own sample rate: windows and the mel
filter bank are defined in seconds and hertz, so a 22,050 Hz synthesis and a 16 kHz decode
give comparable frames without resampling. Memory is the features (12 floats a frame, 25
frames a second: 13 MB for 3 hours) plus one block of samples.
"""

from __future__ import annotations

import functools

import numpy as np

HOP = 0.040
"""Seconds between frames. A 40 ms grid keeps a 3-hour DTW affordable; the error it adds
(at most half a hop) is small beside the 0.25 s target."""
WINDOW = 0.050
N_MELS = 26
N_CEPS = 12
"""Cepstra 1-12: c0 (loudness) is left out, since the two voices' levels differ."""
F_MIN, F_MAX = 100.0, 3800.0
"""The band both sides have: telephone-like programmes and band-limited voices included."""


@functools.lru_cache(maxsize=8)
def _bank(rate: int, n_fft: int) -> np.ndarray:
    """Triangular mel filters (N_MELS x n_fft//2+1), as in HTK; cached per rate."""
    def mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    edges_mel = np.linspace(mel(np.array(F_MIN)), mel(np.array(F_MAX)), N_MELS + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    bank = np.zeros((N_MELS, len(freqs)))
    for m in range(N_MELS):
        lo, mid, hi = edges[m:m + 3]
        rising = (freqs - lo) / (mid - lo)
        falling = (hi - freqs) / (hi - mid)
        bank[m] = np.clip(np.minimum(rising, falling), 0.0, None)
    return bank


@functools.lru_cache(maxsize=1)
def _dct() -> np.ndarray:
    """DCT-II rows 1..N_CEPS over N_MELS log energies."""
    n = np.arange(N_MELS)
    return np.array([np.cos(np.pi * k * (2 * n + 1) / (2 * N_MELS)) for k in
                     range(1, N_CEPS + 1)])


class FeatureStream:
    """Feed mono float32 sample blocks; collect MFCC and log-energy frames."""

    def __init__(self, rate: int):
        self.rate = rate
        self.hop = round(HOP * rate)
        self.win = round(WINDOW * rate)
        self.n_fft = 1 << (self.win - 1).bit_length()
        self.window = np.hamming(self.win).astype(np.float32)
        self._pending = np.zeros(0, np.float32)
        self._mfcc: list[np.ndarray] = []
        self._energy: list[np.ndarray] = []
        self.samples = 0

    def feed(self, block: np.ndarray) -> None:
        self.samples += len(block)
        data = np.concatenate([self._pending, block]) if len(self._pending) else block
        count = 0 if len(data) < self.win else (len(data) - self.win) // self.hop + 1
        if count:
            frames = np.lib.stride_tricks.sliding_window_view(data, self.win)[::self.hop][:count]
            self._add(frames)
        self._pending = data[count * self.hop:].copy()

    def _add(self, frames: np.ndarray) -> None:
        frames = frames - frames.mean(axis=1, keepdims=True)
        power = np.abs(np.fft.rfft(frames * self.window, self.n_fft)) ** 2
        mel = np.log(power @ _bank(self.rate, self.n_fft).T + 1e-8)
        self._mfcc.append((mel @ _dct().T).astype(np.float32))
        self._energy.append(np.log((frames ** 2).mean(axis=1) + 1e-10).astype(np.float32))

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """(mfcc frames x N_CEPS, log energy per frame); the tail shorter than a window is
        padded with silence so the last samples still get a frame."""
        if len(self._pending):
            samples = self.samples
            self.feed(np.zeros(self.win - len(self._pending), np.float32))
            self._pending = np.zeros(0, np.float32)
            self.samples = samples
        if not self._mfcc:
            return np.zeros((0, N_CEPS), np.float32), np.zeros(0, np.float32)
        return np.concatenate(self._mfcc), np.concatenate(self._energy)


def normalise(mfcc: np.ndarray) -> np.ndarray:
    """Cepstral mean and variance normalisation over the whole stream: removes the channel
    (microphone, codec, voice colour) so two speakers' frames compare."""
    if not len(mfcc):
        return mfcc
    std = mfcc.std(axis=0)
    return ((mfcc - mfcc.mean(axis=0)) / np.where(std > 1e-6, std, 1.0)).astype(np.float32)
