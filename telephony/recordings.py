"""Stand-in call recordings for the simulator: short 8 kHz mono WAV files of synthetic, speech-like audio."""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
import wave
from array import array
from pathlib import Path

SAMPLE_RATE = 8000  # narrow-band telephony
MAX_RECORDING_S = 20.0  # a clip per call, capped so a long simulation stays small on disk
TABLE_SIZE = 1024
ENVELOPE_SIZE = 512
# A syllable rises and falls smoothly; looked up rather than computed per sample.
ENVELOPE = [math.sin(math.pi * (i + 0.5) / ENVELOPE_SIZE) ** 1.5 for i in range(ENVELOPE_SIZE)]
# First two formants (Hz) of a few vowels: what makes a harmonic buzz sound like a voice.
VOWELS = ((730, 1090), (270, 2290), (300, 870), (530, 1840), (570, 840), (660, 1720))
# Two speakers taking turns, as on a call: a lower and a higher voice (fundamental range in Hz).
VOICES = ((105.0, 140.0), (175.0, 220.0))


def _vowel_table(formants: tuple[int, int], f0: float) -> list[float]:
    """One period of a voiced sound: harmonics of f0 weighted by two formant resonances and a tilt."""
    weights = []
    harmonic = 1
    while harmonic * f0 < 3400:  # the telephone band; also keeps the glide below Nyquist
        frequency = harmonic * f0
        resonance = sum(1.0 / (1.0 + ((frequency - peak) / 90.0) ** 2) for peak in formants)
        weights.append((harmonic, (0.3 + resonance) / harmonic**0.5))
        harmonic += 1
    table = [
        sum(weight * math.sin(2 * math.pi * h * i / TABLE_SIZE) for h, weight in weights)
        for i in range(TABLE_SIZE)
    ]
    peak = max(abs(value) for value in table) or 1.0
    return [value / peak for value in table]


def speech_like_samples(*, duration_s: float, seed: int) -> array:
    """16-bit samples of alternating 'talkers': syllables (voiced harmonics under a rise-and-fall
    envelope, pitch gliding, a little breath noise at the onset) separated by short and phrase pauses."""
    rng = random.Random(seed)
    total = max(0, int(duration_s * SAMPLE_RATE))
    samples = array("h", bytes(2 * total))
    tables: dict[tuple[int, int], list[float]] = {}
    position = int(rng.uniform(0.05, 0.3) * SAMPLE_RATE)
    speaker = rng.randrange(len(VOICES))
    while position < total:
        low, high = VOICES[speaker]
        for _syllable in range(rng.randint(3, 12)):  # one phrase
            if position >= total:
                break
            length = int(rng.uniform(0.12, 0.32) * SAMPLE_RATE)
            vowel = rng.randrange(len(VOWELS))
            key = (vowel, speaker)
            if key not in tables:
                tables[key] = _vowel_table(VOWELS[vowel], high)
            table = tables[key]
            f_start, f_end = rng.uniform(low, high), rng.uniform(low, high)
            loudness = rng.uniform(0.35, 0.7) * 32767
            phase = rng.random()
            onset = int(length * rng.uniform(0.0, 0.15))  # a consonant-like burst of noise
            count = min(length, total - position)
            step, glide = f_start / SAMPLE_RATE, (f_end - f_start) / SAMPLE_RATE / length
            scale = ENVELOPE_SIZE / length
            out = []
            for i in range(count):
                phase = (phase + step + glide * i) % 1.0
                out.append(table[int(phase * TABLE_SIZE)] * ENVELOPE[int(i * scale)] * loudness)
            for i in range(min(onset, count)):
                out[i] = out[i] * 0.3 + rng.uniform(-0.25, 0.25) * loudness * ENVELOPE[int(i * scale)]
            samples[position : position + count] = array("h", [int(value) for value in out])
            position += length + int(rng.uniform(0.03, 0.12) * SAMPLE_RATE)
        position += int(rng.uniform(0.3, 0.9) * SAMPLE_RATE)  # a turn of the conversation
        speaker = 1 - speaker if len(VOICES) == 2 else rng.randrange(len(VOICES))
    return samples


def recording_write_wav(path: Path | str, *, duration_s: float, seed: int) -> float:
    """Write a speech-like 8 kHz, 16-bit mono WAV of `duration_s` (capped at MAX_RECORDING_S) at `path`.

    The same seed gives the same audio. Parent folders are created; the file appears whole or not at
    all (written aside, then renamed). Returns the length written, in seconds.
    """
    seconds = max(0.0, min(float(duration_s), MAX_RECORDING_S))
    samples = speech_like_samples(duration_s=seconds, seed=seed)
    if sys.byteorder == "big":
        samples.byteswap()  # WAV data is little-endian
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".rec-", suffix=".wav")
    try:
        with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(samples.tobytes())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(samples) / SAMPLE_RATE
