"""A small C kernel that does the Monitor's per-parameter passes in fewer trips through memory.

With ``torch._foreach_*`` a ratio step costs about eight passes over the parameters' memory
(grad norm, weight norm, copy for the snapshot, subtract, norm). The two functions here do the
same in the minimum, five:

* ``lrd_pre`` (before ``optimizer.step``): one pass that reads θ and the gradient, writes the
  snapshot θ_before and sums ``Σθ²`` and ``Σg²`` per tensor;
* ``lrd_post`` (after it): one pass that reads θ_after and the snapshot and sums ``Σ(θ_after −
  θ_before)²`` per tensor.

Sums are accumulated in float64 (more exact than the float32 foreach norms). They work on CPU,
dense, contiguous float32 tensors only; everything else keeps the foreach path.

The source is plain C (no torch or Python headers): it compiles with the system C compiler in a
fraction of a second, on first use, in a background thread, into a per-user cache keyed by the
source, the compiler and the platform. Until it is ready, or when there is no compiler, the
compile fails or the loaded library fails its self-test, the Monitor keeps the foreach path;
nothing waits for the compiler and nothing raises.

Settings (environment):

* ``LRDIAG_FUSED=0`` switches the kernel off (``Monitor(fused=False)`` does the same per monitor);
* ``LRDIAG_CC`` (else ``CC``, else ``cc``/``gcc``/``clang`` on PATH): the compiler command;
* ``LRDIAG_CACHE_DIR`` (else ``$XDG_CACHE_HOME/lrdiag``, ``~/.cache/lrdiag``, then a per-user
  directory under the system temp dir): where the compiled library is kept.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .switches import switch

log = logging.getLogger("lrdiag")

#: Bumped whenever the C interface changes (it is part of the cache key through the source).
ABI = 1

SOURCE = r"""
/* lrdiag fused norms: see lrdiag/fused.py. Plain C99 + pthreads, no other headers needed. */
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>

#define LRD_ABI 1
/* Below this many elements per thread, starting a thread costs more than it saves. */
#define MIN_PER_THREAD (1 << 18)
#define MAX_THREADS 32

int lrd_abi(void) { return LRD_ABI; }

/* ---- portable loops: 8 independent float64 lanes (the compiler vectorizes what it can) ---- */
static void pre_generic(const float *restrict p, const float *restrict g, float *restrict s,
                        int64_t n, double *w_out, double *g_out)
{
    double aw[8] = {0}, ag[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        int k;
        if (s) for (k = 0; k < 8; k++) s[i + k] = p[i + k];
        for (k = 0; k < 8; k++) { double x = p[i + k]; aw[k] += x * x; }
        if (g) for (k = 0; k < 8; k++) { double y = g[i + k]; ag[k] += y * y; }
    }
    double tw = 0, tg = 0;
    for (int k = 0; k < 8; k++) { tw += aw[k]; tg += ag[k]; }
    for (; i < n; i++) {
        double x = p[i];
        if (s) s[i] = p[i];
        tw += x * x;
        if (g) { double y = g[i]; tg += y * y; }
    }
    *w_out += tw;
    *g_out += tg;
}

static void post_generic(const float *restrict p, const float *restrict s, int64_t n, double *u_out)
{
    double a[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) { double d = (double)p[i + k] - (double)s[i + k]; a[k] += d * d; }
    double t = 0;
    for (int k = 0; k < 8; k++) t += a[k];
    for (; i < n; i++) { double d = (double)p[i] - (double)s[i]; t += d * d; }
    *u_out += t;
}

/* ---- x86-64 with AVX2+FMA (chosen at run time): 16 floats per iteration, 4 accumulators per
   sum (the FMA latency, not memory, limits 1-2 chains), streaming stores for large snapshots
   (no read-for-ownership of the snapshot's cache lines, and they do not evict θ). ---- */
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__)) && !defined(LRD_NO_X86)
#include <immintrin.h>
#define LRD_X86 1
#define AVX __attribute__((target("avx2,fma")))
#define LO(x) _mm256_cvtps_pd(_mm256_castps256_ps128(x))
#define HI(x) _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1))
#define SQ(acc, v) acc = _mm256_fmadd_pd(v, v, acc)

AVX static double hsum4(__m256d a, __m256d b, __m256d c, __m256d d)
{
    double t[4];
    _mm256_storeu_pd(t, _mm256_add_pd(_mm256_add_pd(a, b), _mm256_add_pd(c, d)));
    return (t[0] + t[1]) + (t[2] + t[3]);
}

AVX static void pre_avx2(const float *restrict p, const float *restrict g, float *restrict s,
                         int64_t n, double *w_out, double *g_out)
{
    __m256d w0 = _mm256_setzero_pd(), w1 = w0, w2 = w0, w3 = w0, g0 = w0, g1 = w0, g2 = w0, g3 = w0;
    int64_t i = 0;
    double tw = 0, tg = 0;
    int stream = s && n >= (1 << 16);
    if (stream) { /* scalar head until the snapshot is 32-byte aligned (streaming stores need it) */
        for (; i < n && ((uintptr_t)(s + i) & 31u); i++) {
            double x = p[i];
            s[i] = p[i];
            tw += x * x;
            if (g) { double y = g[i]; tg += y * y; }
        }
    }
    for (; i + 16 <= n; i += 16) {
        __m256 x = _mm256_loadu_ps(p + i), y = _mm256_loadu_ps(p + i + 8);
        if (stream) { _mm256_stream_ps(s + i, x); _mm256_stream_ps(s + i + 8, y); }
        else if (s) { _mm256_storeu_ps(s + i, x); _mm256_storeu_ps(s + i + 8, y); }
        SQ(w0, LO(x)); SQ(w1, HI(x)); SQ(w2, LO(y)); SQ(w3, HI(y));
        if (g) {
            x = _mm256_loadu_ps(g + i); y = _mm256_loadu_ps(g + i + 8);
            SQ(g0, LO(x)); SQ(g1, HI(x)); SQ(g2, LO(y)); SQ(g3, HI(y));
        }
    }
    if (stream) _mm_sfence();
    tw += hsum4(w0, w1, w2, w3);
    tg += hsum4(g0, g1, g2, g3);
    for (; i < n; i++) {
        double x = p[i];
        if (s) s[i] = p[i];
        tw += x * x;
        if (g) { double y = g[i]; tg += y * y; }
    }
    *w_out += tw;
    *g_out += tg;
}

AVX static void post_avx2(const float *restrict p, const float *restrict s, int64_t n, double *u_out)
{
    __m256d a = _mm256_setzero_pd(), b = a, c = a, d = a;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 x = _mm256_loadu_ps(p + i), y = _mm256_loadu_ps(s + i);
        __m256 z = _mm256_loadu_ps(p + i + 8), w = _mm256_loadu_ps(s + i + 8);
        SQ(a, _mm256_sub_pd(LO(x), LO(y))); SQ(b, _mm256_sub_pd(HI(x), HI(y)));
        SQ(c, _mm256_sub_pd(LO(z), LO(w))); SQ(d, _mm256_sub_pd(HI(z), HI(w)));
    }
    double t = hsum4(a, b, c, d);
    for (; i < n; i++) { double e = (double)p[i] - (double)s[i]; t += e * e; }
    *u_out += t;
}

static int has_avx2(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}
#endif

static void pre_span(const float *p, const float *g, float *s, int64_t n, double *w, double *gg)
{
#ifdef LRD_X86
    if (has_avx2()) { pre_avx2(p, g, s, n, w, gg); return; }
#endif
    pre_generic(p, g, s, n, w, gg);
}

static void post_span(const float *p, const float *s, int64_t n, double *u)
{
#ifdef LRD_X86
    if (has_avx2()) { post_avx2(p, s, n, u); return; }
#endif
    post_generic(p, s, n, u);
}

/* ---- work split: thread k takes elements [lo, hi) of the tensors laid end to end ----
   tab holds 4 rows of `count` int64: θ pointers, gradient pointers (0 = none), snapshot
   pointers (0 = none), element counts. out receives per-tensor sums: pre writes Σθ² to
   out[0:count] and Σg² to out[count:2count]; post writes Σ(θ-s)² to out[0:count]. */
typedef struct {
    int64_t count, lo, hi;
    const int64_t *tab;
    double *out;
    int post;
} job_t;

static void run_job(const job_t *j)
{
    const int64_t c = j->count, *P = j->tab, *G = j->tab + c, *S = j->tab + 2 * c, *N = j->tab + 3 * c;
    int64_t base = 0;
    for (int64_t t = 0; t < c && base < j->hi; t++) {
        int64_t n = N[t], a = j->lo > base ? j->lo - base : 0, b = j->hi - base < n ? j->hi - base : n;
        if (b > a && P[t]) {
            const float *p = (const float *)(intptr_t)P[t] + a;
            if (j->post) {
                if (S[t]) post_span(p, (const float *)(intptr_t)S[t] + a, b - a, j->out + t);
            } else {
                const float *g = G[t] ? (const float *)(intptr_t)G[t] + a : 0;
                float *s = S[t] ? (float *)(intptr_t)S[t] + a : 0;
                pre_span(p, g, s, b - a, j->out + t, j->out + c + t);
            }
        }
        base += n;
    }
}

static void *job_main(void *arg) { run_job((const job_t *)arg); return 0; }

static int run(int64_t count, const int64_t *tab, double *out, int threads, int post)
{
    int64_t width = post ? count : 2 * count, total = 0;
    if (count < 0 || !tab || !out) return -1;
    for (int64_t t = 0; t < count; t++) {
        if (tab[3 * count + t] < 0) return -2;
        total += tab[3 * count + t];
    }
    for (int64_t k = 0; k < width; k++) out[k] = 0.0;
    int64_t most = total / MIN_PER_THREAD;
    int nt = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
    if (nt > most) nt = most < 1 ? 1 : (int)most;
    if (nt == 1) {
        job_t j = {count, 0, total, tab, out, post};
        run_job(&j);
        return 1;
    }
    /* every thread sums into its own slice; the slices are added in a fixed order afterwards */
    double *part = (double *)calloc((size_t)nt * (size_t)width, sizeof(double));
    job_t jobs[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    if (!part) {
        job_t j = {count, 0, total, tab, out, post};
        run_job(&j);
        return 1;
    }
    for (int k = 0; k < nt; k++) {
        /* boundaries on multiples of 64 elements keep each thread's slices 256-byte aligned */
        int64_t lo = (total / nt * k) & ~(int64_t)63, hi = k == nt - 1 ? total : (total / nt * (k + 1)) & ~(int64_t)63;
        job_t j = {count, lo, hi, tab, part + (int64_t)k * width, post};
        jobs[k] = j;
    }
    for (int k = 1; k < nt; k++)
        started[k] = pthread_create(&tid[k], 0, job_main, &jobs[k]) == 0;
    run_job(&jobs[0]);
    for (int k = 1; k < nt; k++) {
        if (started[k]) pthread_join(tid[k], 0);
        else run_job(&jobs[k]); /* no thread to be had: do its share here */
    }
    for (int k = 0; k < nt; k++)
        for (int64_t i = 0; i < width; i++) out[i] += part[(int64_t)k * width + i];
    free(part);
    return nt;
}

int64_t lrd_pre(int64_t count, const int64_t *tab, double *out, int threads) { return run(count, tab, out, threads, 0); }
int64_t lrd_post(int64_t count, const int64_t *tab, double *out, int threads) { return run(count, tab, out, threads, 1); }
"""

FLAGS = ["-O3", "-std=gnu99", "-shared", "-fPIC", "-pthread"]
COMPILE_TIMEOUT = 120.0


def enabled(flag: bool | None = None) -> bool:
    """Whether a Monitor should use the kernel: ``flag`` when given, else ``LRDIAG_FUSED`` (default on)."""
    return switch(flag, "LRDIAG_FUSED")


def compiler() -> list[str] | None:
    """The compiler command: ``LRDIAG_CC``, else ``CC``, else the first of cc/gcc/clang on PATH."""
    for var in ("LRDIAG_CC", "CC"):
        cmd = os.environ.get(var, "").strip()
        if cmd:
            return shlex.split(cmd)
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return [found]
    return None


def cache_dirs() -> list[Path]:
    """Candidate cache directories, most preferred first (the first writable one is used)."""
    out = []
    if os.environ.get("LRDIAG_CACHE_DIR"):
        out.append(Path(os.environ["LRDIAG_CACHE_DIR"]))
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        out.append(Path(xdg) / "lrdiag" if xdg else Path.home() / ".cache" / "lrdiag")
    except RuntimeError:  # no home directory to be found
        pass
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    out.append(Path(tempfile.gettempdir()) / f"lrdiag-{uid}")
    return out


def library_name(cmd: list[str], flags: list[str]) -> str:
    """``fused-<hash>.so``: hash of the source, the compiler command, the flags and the platform."""
    key = "\0".join([SOURCE, " ".join(cmd), " ".join(flags), sys.platform, platform.machine()])
    return f"fused-{hashlib.sha256(key.encode()).hexdigest()[:20]}.so"


class Kernels:
    """The loaded library: ``pre`` and ``post`` on int64 pointer tables (see the C source)."""

    def __init__(self, path: Path):
        lib = ctypes.CDLL(str(path))
        if lib.lrd_abi() != ABI:
            raise OSError(f"{path} has ABI {lib.lrd_abi()}, expected {ABI}")
        for fn in (lib.lrd_pre, lib.lrd_post):
            fn.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
            fn.restype = ctypes.c_int64
        # ctypes.CDLL calls release the GIL: the writer thread and others keep running meanwhile
        self.pre = lib.lrd_pre
        self.post = lib.lrd_post
        self.path = path
        self._lib = lib


def self_test(k: Kernels) -> None:
    """Compare the kernel with float64 numpy on odd sizes, with and without threads; raise if off.

    numpy, not torch: this runs on a daemon thread that may still be running when the interpreter
    exits, and torch's thread pools must not be started from there.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    sizes = [0, 1, 7, 8, 15, 16, 17, 1000, 70_001, 600_003]
    c = len(sizes)
    ps = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    gs = [rng.standard_normal(n).astype(np.float32) if i % 3 else None for i, n in enumerate(sizes)]
    ss = [np.empty(n, np.float32) for n in sizes]
    moved = [p + np.float32(1e-3) * rng.standard_normal(p.size).astype(np.float32) for p in ps]

    def table(*rows):
        ptr = [[a.ctypes.data if a is not None and a.size else 0 for a in row] for row in rows]
        return np.array(ptr + [sizes], dtype=np.int64)

    def sumsq(a):
        return 0.0 if a is None else float(np.sum(np.square(a, dtype=np.float64)))

    for threads in (1, 3):
        tab, out = table(ps, gs, ss), np.full(2 * c, np.nan)
        k.pre(c, tab.ctypes.data, out.ctypes.data, threads)
        want = np.array([sumsq(p) for p in ps] + [sumsq(g) for g in gs])
        if not np.allclose(out, want, rtol=1e-9, atol=0):
            raise OSError("self-test: pre sums differ from numpy")
        if not all(np.array_equal(s, p) for s, p in zip(ss, ps)):
            raise OSError("self-test: snapshot differs from the source")
        tab, out = table(moved, [None] * c, ss), np.full(c, np.nan)
        k.post(c, tab.ctypes.data, out.ctypes.data, threads)
        want = np.array([sumsq(m.astype(np.float64) - s) for m, s in zip(moved, ss)])
        if not np.allclose(out, want, rtol=1e-9, atol=0):
            raise OSError("self-test: post sums differ from numpy")


class BuildError(OSError):
    """The compiler failed, or the compiled library failed its self-test: no other directory helps."""


def _private_dir(d: Path) -> None:
    """Create ``d`` (mode 0700) or check that it is ours and not writable by others.

    The library is loaded into the process: a directory another user could write to (a shared
    temp dir) must not be trusted. Raises OSError (the caller moves on to the next directory).
    """
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = d.stat()
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        raise PermissionError(f"{d} belongs to another user or is writable by others")


def _compile(cmd: list[str], dest: Path) -> None:
    """Compile SOURCE into ``dest`` atomically (temp file + rename: ranks may compile at once)."""
    fd, src = tempfile.mkstemp(prefix=".fused-", suffix=".c", dir=dest.parent)
    with os.fdopen(fd, "w") as f:
        f.write(SOURCE)
    fd, tmp = tempfile.mkstemp(prefix=".fused-", suffix=".so", dir=dest.parent)
    os.close(fd)
    try:
        err = ""
        for flags in (FLAGS, FLAGS + ["-DLRD_NO_X86"]):  # the second: a compiler without AVX2 intrinsics
            try:
                r = subprocess.run(cmd + flags + ["-o", tmp, src], capture_output=True, text=True, timeout=COMPILE_TIMEOUT)
            except (OSError, subprocess.SubprocessError) as e:  # not executable, missing, too slow
                raise BuildError(f"cannot run {' '.join(cmd)} ({type(e).__name__}: {e})") from None
            if r.returncode == 0:
                os.replace(tmp, dest)
                return
            lines = (r.stderr or r.stdout).strip().splitlines()
            err = lines[-1] if lines else f"exit status {r.returncode}"
        raise BuildError(f"{' '.join(cmd)} failed: {err}")
    finally:
        for f in (src, tmp):
            try:
                os.unlink(f)
            except OSError:
                pass


def build() -> Kernels:
    """Load the cached library, compiling it first if needed; self-tested. Raises OSError if impossible.

    A cache directory that cannot be created, written or loaded from (a read-only home, a
    ``noexec`` temp mount) is skipped for the next one; a compiler error or a failed self-test is
    final.
    """
    if sys.platform == "win32":
        raise OSError("the fused kernel is not built on Windows")
    cmd = compiler()
    if cmd is None:
        raise OSError("no C compiler found (set LRDIAG_CC or CC)")
    name = library_name(cmd, FLAGS)
    problems = []
    for d in cache_dirs():
        path = d / name
        try:
            _private_dir(d)
            if not path.exists():
                _compile(cmd, path)
            k = Kernels(path)
        except BuildError:
            raise
        except OSError as e:
            problems.append(f"{d}: {e}")
            continue
        try:
            self_test(k)
        except Exception as e:
            raise BuildError(f"{path} failed its self-test ({e})") from None
        return k
    raise OSError("no usable cache directory (" + "; ".join(problems) + ")")


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kernels: Kernels | None = None
        self.status = "not started"
        self.thread: threading.Thread | None = None


_state = _State()


def _background() -> None:
    try:
        k = build()
    except Exception as e:  # any failure only means: keep the foreach path
        with _state.lock:
            _state.status = f"unavailable: {e}"
        log.info("lrdiag: fused norm kernel unavailable (%s); using torch._foreach_* norms", e)
        return
    with _state.lock:
        _state.kernels = k
        _state.status = "ready"
    log.debug("lrdiag: fused norm kernel loaded from %s", k.path)


def kernels() -> Kernels | None:
    """The kernels if ready, else None; the first call starts building them in a background thread."""
    k = _state.kernels
    if k is not None:
        return k
    with _state.lock:
        if _state.thread is None:
            _state.status = "building"
            _state.thread = threading.Thread(target=_background, name="lrdiag-fused-build", daemon=True)
            _state.thread.start()
    return None


def wait(timeout: float | None = None) -> Kernels | None:
    """Start the build if needed and wait for it (tests, benchmarks); the kernels or None."""
    kernels()
    t = _state.thread
    if t is not None:
        t.join(timeout)
    return _state.kernels


def status() -> str:
    """``"ready"``, ``"building"``, ``"not started"`` or ``"unavailable: <why>"``."""
    return _state.status


def reset() -> None:
    """Forget the loaded kernels and any failure, so the next ``kernels()`` builds again (tests)."""
    t = _state.thread
    if t is not None:
        t.join()
    with _state.lock:
        _state.kernels = None
        _state.thread = None
        _state.status = "not started"
