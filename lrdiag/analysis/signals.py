"""Signal helpers shared by the detectors: smoothing, robust statistics, trend and noise tests.

Everything here is plain numpy/scipy over 1-D float arrays and runs in O(n) or O(n log n), so a
1,000,000-step run is analysed in well under a second.

Conventions: ``x`` is a series of *observed* values (NaN already removed) in step order; where a
test needs the steps themselves they are passed as ``t``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d
from scipy.special import fdtrc, ndtri

#: Scale that turns a median absolute deviation into a standard deviation for Gaussian data.
MAD_TO_SIGMA = 1.4826


#: ``start_level(interval_means=True)``: a first interval mean this many times the next ones is a blow-up.
SPARSE_BLOWUP = 10.0


def start_level(x: np.ndarray, *, interval_means: bool = False) -> float:
    """Where a loss started: its first value ``x[0]`` (the loss before any update, or, in a log
    that writes means over ``logging_steps`` as Hugging Face does, the mean over the first
    interval), or the median of its first ``k`` values (``k`` = 2% of them, 1 to 20) when that is
    higher by no more than the noise can explain:

        start = head_median  if x[0] < head_median <= x[0] * exp(3 * sigma)  else  x[0]

    with ``sigma`` the noise of the log-loss, ``1.4826 * MAD(diff(log x)) / sqrt(2)`` over the
    whole run (robust to a few jumps, see ``diff_noise_sd``).

    The head median wins only when the first value is a *low draw* of a noisy loss (a batch of
    4). A plain median of the first ``k`` values is biased low when the loss drops fast at the
    start (a regression whose loss falls 2.5x within 20 steps); the median, and any maximum, of
    the first values is inflated by an early blow-up (Adagrad at 100x its LR: 1.6, then 40, 300
    within the first 2% of the run), which made a blown-up run read "converged below 1% of its
    start". The LR has acted by the second step; only noise can lift the start above ``x[0]``.

    ``interval_means``: each value is the mean over a logging interval (a sparse log, as the
    Hugging Face Trainer writes), so the LR has already acted inside the first one and a blow-up
    there inflates ``x[0]`` itself (SGD at 100x its LR: a first mean of 226 for a loss that starts
    near 1). When ``x[0]`` is over ``SPARSE_BLOWUP`` (10x) the median of the next three values,
    the start is hidden inside that interval and NaN is returned: nothing is then judged
    relative to it ("under 1% of where it started"). The next values are no substitute: after a
    blow-up they are a recovery (RMSprop at 100x: 3.6e10, then 1.2e6 falling to 2e3, for a loss
    that started at 1.1), and a loss that learns 90% within one logging interval could not be
    told apart from one.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return float("nan")
    if interval_means and first_interval_blowup(x) is not None:
        return float("nan")
    x0, head = float(x[0]), _head_median(x)
    if not (head > x0 > 0):
        return float(max(x0, head))
    pos = x[np.isfinite(x) & (x > 0)]
    sigma = diff_noise_sd(np.log(pos)) if pos.size > 2 else 0.0
    return float(head if head <= x0 * math.exp(3.0 * sigma) else x0)


def first_interval_blowup(x: np.ndarray) -> float | None:
    """``x[0]`` over the median of the next three values when that is over ``SPARSE_BLOWUP``
    (in a log of interval means: a blow-up inside the first interval, see ``start_level``), else
    None."""
    if x.size < 4:
        return None
    nxt = float(np.median(x[1:4]))
    return float(x[0]) / nxt if nxt > 0 and x[0] > SPARSE_BLOWUP * nxt else None


def differences_sd(d: np.ndarray, axis: int = -1) -> np.ndarray | float:
    """Noise sd that point-to-point differences ``d`` imply, along ``axis``:
    ``1.4826 * median(|d - median(d)|) / sqrt(2)`` (see ``diff_noise_sd``)."""
    dev = np.abs(d - np.median(d, axis=axis, keepdims=True))
    return MAD_TO_SIGMA * np.median(dev, axis=axis) / math.sqrt(2.0)


def diff_noise_sd(y: np.ndarray) -> float:
    """Robust standard deviation of the point-to-point noise of ``y``:
    ``1.4826 * median(|diff(y) - median(diff(y))|) / sqrt(2)`` (a difference of two independent
    draws has twice the variance; a trend barely moves the median of the differences; a few
    jumps do not move the MAD). Positively autocorrelated noise is underestimated by it (its
    differences cancel): callers that need the error of a mean multiply by an allowance."""
    d = np.diff(np.asarray(y, dtype=np.float64))
    d = d[np.isfinite(d)]
    if d.size == 0:
        return 0.0
    return float(differences_sd(d))


def _head_median(x: np.ndarray) -> float:
    return float(np.median(x[: max(1, min(20, x.size // 50))]))


def log_loss(x: np.ndarray, floor_frac: float = 0.0) -> tuple[np.ndarray, bool]:
    """``(log(x + floor), True)`` when every value is positive (or, with ``floor > 0``, every
    value is non-negative), else ``(x, False)``.

    Relative changes are what matter for a loss (a jump from 0.1 to 0.3 is as large as one from
    1 to 3), so detectors work on log-loss when they can. ``floor = floor_frac * x0`` with
    ``x0`` the median of the first 2% of the points (3 to 20; a typical level, not
    ``start_level``'s early maximum: the floor is about noise, and the maximum of a very noisy
    start sits high): relative changes far
    below the starting level (a memorised training set bouncing between 1e-4 and 1e-3) are not
    blown up into events.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size and np.all(x > 0):
        floor = floor_frac * _head_median(x) if floor_frac > 0 else 0.0
        return np.log(x + floor), True
    if x.size and floor_frac > 0 and np.all(x >= 0):
        # A loss that underflows to exactly 0 (float32 cross-entropy of a memorised batch) is
        # still a non-negative loss: with a positive floor its log is defined, and treating the
        # whole run as a signed series because of one 0 would lose every relative threshold.
        floor = floor_frac * _head_median(x)
        if floor > 0:
            return np.log(x + floor), True
    return x, False


def rolling_median(x: np.ndarray, window: int) -> np.ndarray:
    """Centred running median over ``window`` points (edges use the nearest value)."""
    window = max(1, min(int(window), x.size))
    if window <= 1 or x.size == 0:
        return x.copy()
    return median_filter(x, size=window, mode="nearest")


def moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Centred running mean over ``window`` points (edges reflect)."""
    window = max(1, min(int(window), x.size))
    if window <= 1 or x.size == 0:
        return x.copy()
    return uniform_filter1d(x, size=window, mode="nearest")


def block_robust_stats(x: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD-sigma (``1.4826 * median|x - median|``) of consecutive blocks of ``block``.

    The last partial block is dropped; returns two arrays of length ``x.size // block``.
    """
    nb = x.size // block
    if nb == 0:
        return np.zeros(0), np.zeros(0)
    b = x[: nb * block].reshape(nb, block)
    med = np.median(b, axis=1)
    mad = np.median(np.abs(b - med[:, None]), axis=1) * MAD_TO_SIGMA
    return med, mad


def block_upper_sigma(x: np.ndarray, block: int, q: float = 0.95) -> np.ndarray:
    """Per consecutive block, the noise sigma its point-to-point *upper tail* implies:
    ``(quantile q - median) of diff(x) / (z_q * sqrt(2))`` (``z_q`` = 1.645 for q = 0.95).

    For Gaussian noise this equals the MAD-sigma; for a heavy-tailed loss (a minibatch of 12 whose
    mean is dominated by its rare hard examples) it is several times larger, which the MAD, a
    statistic of the bulk, does not see. Differences make it blind to a trend across the block
    (the steep start of training), and one spike in the block moves only two of its differences.
    """
    nb = x.size // block
    if nb == 0 or block < 3:
        return np.zeros(nb)
    d = np.diff(x[: nb * block].reshape(nb, block), axis=1)
    hi, med = np.quantile(d, [q, 0.5], axis=1)
    return (hi - med) / (float(ndtri(q)) * math.sqrt(2.0))


def block_diff_sigma(x: np.ndarray, block: int) -> np.ndarray:
    """Per consecutive block, the noise sigma of its point-to-point differences:
    ``1.4826 * MAD(diff(x)) / sqrt(2)``. Blind to a trend across the block (a steady descent
    shifts every difference alike), unlike the MAD around the block's median; for white noise
    both equal its sigma."""
    nb = x.size // block
    if nb == 0 or block < 3:
        return np.zeros(nb)
    d = np.diff(x[: nb * block].reshape(nb, block), axis=1)
    return differences_sd(d, axis=1)


def trailing_robust_band(x: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the median and MAD-sigma of the *preceding* complete block.

    A point in block ``k`` is compared with block ``k - 1`` (so the reference never contains the
    point itself, nor a spike that starts in block ``k``). Points of the first block get NaN.
    A fixed-block reference (rather than a sliding window) keeps this O(n) with one vectorised
    median, which is what makes a million steps cheap.
    """
    med, mad = block_robust_stats(x, block)
    n = x.size
    ref_med = np.full(n, np.nan)
    ref_mad = np.full(n, np.nan)
    if med.size == 0:
        return ref_med, ref_mad
    # block index of each point; the trailing reference is the previous block
    k = np.arange(n) // block - 1
    ok = (k >= 0) & (k < med.size)
    k_last = np.minimum(k, med.size - 1)
    ref_med[ok | (k >= med.size)] = med[k_last[ok | (k >= med.size)]]
    ref_mad[ok | (k >= med.size)] = mad[k_last[ok | (k >= med.size)]]
    return ref_med, ref_mad


def newey_west_slope(t: np.ndarray, y: np.ndarray, lags: int | None = None) -> tuple[float, float]:
    """OLS slope of ``y`` on ``t`` with a Newey-West (HAC) standard error.

    Loss values next to each other are correlated (same weights, overlapping data order,
    momentum), so the plain OLS standard error is far too small and a t-test would call noise a
    trend. Newey-West estimates the long-run variance of ``x_i * e_i`` (``x`` the centred
    regressor, ``e`` the residuals) with Bartlett weights ``1 - l / (L + 1)`` up to ``L`` lags:

        Var(slope) = sum_{|l|<=L} w_l * sum_i x_i e_i x_{i-l} e_{i-l} / (sum_i x_i^2)^2

    ``lags`` defaults to ``floor(4 * (n / 100) ** (2 / 9))`` (Newey & West, 1994), raised to
    twice the lag where the residual autocorrelation first drops below 0.1 (strongly
    autocorrelated noise needs more lags). The result is never below the AR(1)-inflated OLS
    error (see the comment in the code). Returns ``(slope, standard error)``.
    """
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    if n < 3:
        return float("nan"), float("nan")
    xc = t - t.mean()
    sxx = float(np.dot(xc, xc))
    if sxx <= 0:
        return float("nan"), float("nan")
    slope = float(np.dot(xc, y - y.mean()) / sxx)
    e = (y - y.mean()) - slope * xc
    if lags is None:
        lags = int(4 * (n / 100.0) ** (2.0 / 9.0))
        # Bartlett weights shrink the long-run variance: twice the decorrelation lag keeps
        # strongly autocorrelated noise (phi ~ 0.9) from looking like a precise trend.
        lags = max(lags, 2 * decorrelation_lag(e, max_lag=max(1, min(200, n // 8))))
    lags = int(min(max(lags, 0), n - 1))
    u = xc * e
    # sum_i u_i u_{i-l} for l = 0..lags in one FFT (a loop of dot products costs O(n * lags))
    gam = _autocov_sums(u, lags)
    w = 1.0 - np.arange(1, lags + 1) / (lags + 1.0)
    s = float(gam[0] + 2.0 * np.dot(w, gam[1 : lags + 1]))
    var = max(s, 0.0) / sxx**2
    # Bartlett-weighted HAC errors are biased low in short windows of strongly autocorrelated
    # noise (z-scores of pure AR(0.95) noise over 600 points spread ~1.7x too wide). The AR(1)
    # inflation of the OLS error, sqrt((1 + r) / (1 - r)) with the lag-1 residual correlation
    # r corrected for its small-sample bias (+ (1 + 3r) / n), is the floor.
    r = float(np.dot(e[1:], e[:-1]) / max(float(np.dot(e, e)), 1e-300))
    r = min(0.99, r + (1.0 + 3.0 * r) / n) if r > 0 else r
    if r > 0:
        ols_var = float(np.dot(e, e)) / (n - 2) / sxx
        var = max(var, ols_var * (1.0 + r) / (1.0 - r))
    return slope, math.sqrt(var)


def _autocov_sums(u: np.ndarray, max_lag: int) -> np.ndarray:
    """``[sum_i u_i u_{i-l} for l in 0..max_lag]`` (not centred, not normalised)."""
    n = u.size
    if max_lag < 16:
        return np.array([float(np.dot(u, u))] + [float(np.dot(u[lag:], u[:-lag])) for lag in range(1, max_lag + 1)])
    size = 1 << int(math.ceil(math.log2(n + max_lag + 1)))
    f = np.fft.rfft(u, size)
    return np.fft.irfft(f * np.conj(f), size)[: max_lag + 1]


def autocorr(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation at lags ``0..max_lag`` (FFT, biased estimator)."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    n = x.size
    max_lag = int(min(max_lag, n - 1))
    if n < 2:
        return np.ones(1)
    size = 1 << int(math.ceil(math.log2(2 * n)))
    f = np.fft.rfft(x, size)
    ac = np.fft.irfft(f * np.conj(f), size)[: max_lag + 1]
    return ac / ac[0] if ac[0] > 0 else np.zeros(max_lag + 1)


def decorrelation_lag(x: np.ndarray, max_lag: int = 200, level: float = 0.1) -> int:
    """First lag at which the autocorrelation of ``x`` drops below ``level`` (capped)."""
    ac = autocorr(x, max_lag)
    below = np.nonzero(ac[1:] < level)[0]
    return int(below[0] + 1) if below.size else int(max_lag)


def effective_sample_size(x: np.ndarray, max_lag: int = 200) -> float:
    """``n / (1 + 2 * sum_k rho_k)`` summing autocorrelations until they first turn negative."""
    n = x.size
    if n < 3:
        return float(n)
    ac = autocorr(x, min(max_lag, n - 1))[1:]
    neg = np.nonzero(ac <= 0)[0]
    ac = ac[: neg[0]] if neg.size else ac
    return float(n / max(1.0, 1.0 + 2.0 * ac.sum()))


@dataclass
class WindowTests:
    """Per-window oscillation statistics (arrays of length ``n_windows``)."""

    start: np.ndarray  # index of the first point of each window
    rho1: np.ndarray  # lag-1 autocorrelation of the detrended series
    z_rho1: np.ndarray  # (rho1 - white baseline) / baseline sd; negative = alternation
    z_tp: np.ndarray  # turning-point count z-score against white noise; positive = alternation
    z_hf: np.ndarray  # share of power at periods < 4 steps, z-score against white noise
    fisher_p: np.ndarray  # Fisher's g-test p-value for one strong period of 2..8 steps
    period: np.ndarray  # that period, in points
    resid_std: np.ndarray  # std of the detrended series in the window


def _raw_window_stats(x: np.ndarray, window: int, detrend: int) -> dict[str, np.ndarray]:
    resid = x - moving_average(x, detrend)
    nw = resid.size // window
    r = resid[: nw * window].reshape(nw, window)
    r = r - r.mean(axis=1, keepdims=True)
    var = np.einsum("ij,ij->i", r, r)
    safe = np.where(var > 0, var, 1.0)
    rho1 = np.einsum("ij,ij->i", r[:, 1:], r[:, :-1]) / safe
    d = np.diff(r, axis=1)
    tp = np.count_nonzero((d[:, 1:] * d[:, :-1]) < 0, axis=1).astype(np.float64)
    spec = np.abs(np.fft.rfft(r, axis=1)) ** 2
    freqs = np.fft.rfftfreq(window)
    tot = spec[:, 1:].sum(axis=1)
    hf = spec[:, freqs > 0.25].sum(axis=1) / np.where(tot > 0, tot, 1.0)
    # Pre-whitened spectrum for the periodicity test: positively autocorrelated (red) noise is
    # flattened by e_t = r_t - rho1 * r_{t-1}; a negative rho1 is itself a sign of bouncing and
    # is left alone.
    phi = np.clip(rho1, 0.0, 0.99)[:, None]
    w = np.concatenate([r[:, :1], r[:, 1:] - phi * r[:, :-1]], axis=1)
    wspec = np.abs(np.fft.rfft(w, axis=1)) ** 2
    return {"rho1": rho1, "tp": tp, "hf": hf, "spec": spec, "wspec": wspec, "freqs": freqs, "var": var}


def pair_phase_ratio(x: np.ndarray, detrend: int = 9) -> float:
    """Variance of the sums of aligned step pairs over that of the other pairing (<= 1).

    ``x`` is detrended by a centred mean of ``detrend`` points, cut into pairs starting at
    index 0 and at index 1, and the two variances of the pair sums compared: the smaller over
    the larger. Any stationary series, an alternating one included, pairs alike at both phases
    (ratio ~1). A series built of epochs of two minibatches drawn without replacement does not:
    the two losses of one epoch share a fixed total, so their deviations cancel at one phase
    and not at the other (ratio ~ the share of the variance *not* due to the split). Returns
    1.0 for fewer than 8 points.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size < 8:
        return 1.0
    r = x - moving_average(x, detrend)
    v = []
    for p in (0, 1):
        m = (r.size - p) // 2
        v.append(float(r[p : p + 2 * m].reshape(m, 2).sum(axis=1).var()))
    return min(v) / max(v) if max(v) > 0 else 1.0


def _whole_period_residual(x: np.ndarray, period: int) -> np.ndarray:
    """``x`` less its centred mean over whole periods (``period * ceil(16 / period)`` points)."""
    x = np.asarray(x, dtype=np.float64)
    return x - moving_average(x, period * math.ceil(16 / period)) if x.size else x


@dataclass
class LockedPattern:
    """A pattern that repeats every ``period`` steps in step with the step count."""

    period: int
    profile: np.ndarray  # mean residual at each phase ``step % period`` (centred)
    p_value: float  # F test of the phase means against none
    share: float  # share of the residual variance the profile explains


def locked_pattern(x: np.ndarray, steps: np.ndarray, period: int) -> LockedPattern:
    """How strongly ``x`` repeats every ``period`` steps at a fixed phase.

    ``x`` is detrended by a centred mean over whole periods (``period * ceil(16 / period)``
    points, so every phase weighs alike in it: a 9-point mean correlates the residuals of nearby
    phases, and the F test then gave p < 1e-3 to 0.7-2.8% of white or AR noise at periods 5-8,
    against about 0.3% this way). Its points are grouped by ``steps % period`` and the group
    means tested against none by a one-way F test (p-value from the F distribution with
    ``period - 1`` and ``n - period`` degrees of freedom). A pattern whose phase wanders (a
    bounce the dynamics make, restarted by every disturbance) averages out over many repeats;
    one fixed to the step count (a fixed data order: the same minibatches every epoch, or tasks
    taken in turn) does not.
    """
    r = _whole_period_residual(x, period)
    phase = np.asarray(steps, dtype=np.int64) % period
    n = r.size
    counts = np.bincount(phase, minlength=period).astype(np.float64)
    sums = np.bincount(phase, weights=r, minlength=period)
    means = np.divide(sums, counts, out=np.zeros(period), where=counts > 0)
    mean = float(r.mean()) if n else 0.0
    between = float(np.sum(counts * (means - mean) ** 2))
    total = float(np.sum((r - mean) ** 2))
    within = total - between
    if n <= period or np.count_nonzero(counts) < 2 or within <= 0:
        p = 0.0 if n > period and between > 0 and within <= 0 else 1.0
    else:
        f = (between / (period - 1)) / (within / (n - period))
        p = float(fdtrc(period - 1, n - period, f))
    prof = np.where(counts > 0, means - mean, 0.0)
    return LockedPattern(period, prof, p, between / total if total > 0 else 0.0)


def window_phase_profiles(x: np.ndarray, steps: np.ndarray, period: int, window: int) -> np.ndarray:
    """The phase means (centred) of ``x`` at ``period`` in each whole window of ``window`` points:
    an array ``(n_windows, period)``, ``x`` detrended over whole periods as in ``locked_pattern``.
    One pass over the series, whatever the number of windows."""
    x = np.asarray(x, dtype=np.float64)
    nw = x.size // window
    if nw == 0:
        return np.zeros((0, period))
    r = _whole_period_residual(x, period)[: nw * window]
    cell = np.repeat(np.arange(nw) * period, window) + np.asarray(steps[: nw * window], dtype=np.int64) % period
    counts = np.bincount(cell, minlength=nw * period).reshape(nw, period).astype(np.float64)
    sums = np.bincount(cell, weights=r, minlength=nw * period).reshape(nw, period)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    centre = r.reshape(nw, window).mean(axis=1, keepdims=True)
    return np.where(counts > 0, means - centre, 0.0)


def strongest_locked_pattern(x: np.ndarray, steps: np.ndarray, periods: range = range(2, 17), *, p_max: float = 1e-8,
                             near: float = 0.9) -> LockedPattern | None:
    """The period of ``periods`` whose ``locked_pattern`` is the data's: None if none has an F-test
    p under ``p_max``. Of those that do, the shortest that explains at least ``near`` of the
    largest share: a pattern of 4 steps is also one of 8, 12 and 16 (which explain a little more
    by fitting noise), and it may be mostly one of 2."""
    found = [locked_pattern(x, steps, k) for k in periods if x.size >= 4 * k]
    found = [lp for lp in found if lp.p_value < p_max]
    if not found:
        return None
    top = max(lp.share for lp in found)
    return next(lp for lp in found if lp.share >= near * top)


@lru_cache(maxsize=16)
def white_noise_baseline(window: int, detrend: int, n_sim: int = 4000) -> dict[str, object]:
    """Mean and sd of each window statistic, and the mean periodogram shape, for white noise.

    Taken by simulation (fixed seed) through exactly the same detrending and windowing as the
    data, so the detrending filter's own effect (a slightly negative lag-1 correlation, a
    high-pass spectrum) is part of the baseline and is never mistaken for oscillation.
    """
    rng = np.random.default_rng(12345)
    st = _raw_window_stats(rng.standard_normal(window * n_sim), window, detrend)
    shape = st["wspec"].mean(axis=0)
    return {
        "rho1": (float(st["rho1"].mean()), float(st["rho1"].std())),
        "tp": (float(st["tp"].mean()), float(st["tp"].std())),
        "hf": (float(st["hf"].mean()), float(st["hf"].std())),
        "wshape": shape / shape[1:].mean(),
    }


def window_oscillation_tests(x: np.ndarray, window: int = 128, detrend: int = 9) -> WindowTests:
    """Alternation tests of the detrended series in consecutive non-overlapping windows.

    The series is detrended by subtracting a centred ``detrend``-point moving average, then in
    every window of ``window`` points three statistics are compared with their white-noise
    baselines (``white_noise_baseline``: same filter, same window):

    * lag-1 autocorrelation ``rho1``: excess *negative* correlation means the loss goes
      up-down-up-down more than independent minibatch noise does;
    * the turning-point count (points above or below both neighbours): more than noise has;
    * the share of power at periods shorter than 4 steps;
    * Fisher's g test (``g = max I_k / sum I_k`` over frequencies ``>= 1/8``, each periodogram
      bin divided by the white-noise shape; positively autocorrelated noise is pre-whitened
      first; ``P(g > x) ~ K (1 - x)^(K-1)``) for a narrow periodic bounce of 2..8 steps.
    """
    x = np.asarray(x, dtype=np.float64)
    nw = x.size // window
    if nw == 0:
        e = np.zeros(0)
        return WindowTests(e.astype(int), e, e, e, e, e, e, e)
    st = _raw_window_stats(x, window, detrend)
    base = white_noise_baseline(window, detrend)
    z = {k: (st[k] - base[k][0]) / max(base[k][1], 1e-12) for k in ("rho1", "tp", "hf")}
    freqs = st["freqs"]
    band = freqs >= 1.0 / 8.0
    norm = st["wspec"][:, band] / base["wshape"][band]
    tot = norm.sum(axis=1)
    g = norm.max(axis=1) / np.where(tot > 0, tot, 1.0)
    k = int(band.sum())
    fisher_p = np.minimum(1.0, k * np.power(np.clip(1.0 - g, 0.0, 1.0), k - 1))
    period = 1.0 / freqs[band][norm.argmax(axis=1)]
    return WindowTests(
        start=np.arange(nw) * window,
        rho1=st["rho1"],
        z_rho1=z["rho1"],
        z_tp=z["tp"],
        z_hf=z["hf"],
        fisher_p=fisher_p,
        period=period,
        resid_std=np.sqrt(st["var"] / window),
    )


def bin_means(t: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Average ``(t, y)`` over equal-count bins so at most ``max_points`` remain (no-op if fewer)."""
    n = y.size
    if n <= max_points:
        return t, y
    edges = np.linspace(0, n, max_points + 1).astype(np.int64)
    cnt = np.diff(edges)
    return np.add.reduceat(t.astype(np.float64), edges[:-1]) / cnt, np.add.reduceat(y, edges[:-1]) / cnt


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, end_inclusive), ...]`` of the runs of True in a boolean array."""
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.view(np.int8), [0]]))
    starts = np.nonzero(d == 1)[0]
    ends = np.nonzero(d == -1)[0] - 1
    return list(zip(starts.tolist(), ends.tolist()))


def merge_runs(spans: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Merge spans separated by at most ``gap`` indices."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s - out[-1][1] - 1 <= gap:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
