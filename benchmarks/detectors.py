"""Labelled benchmark of lrdiag's detectors, plus analysis speed and memory at scale.

    python benchmarks/detectors.py            # every split (about 210 minutes on 2 cores)
    python benchmarks/detectors.py --split fresh -v   # one split, listing misses and labels
    python benchmarks/detectors.py --cache DIR        # keep the real trainings in DIR; a rerun only scores
    python benchmarks/detectors.py --quick    # fewer cases
    python benchmarks/detectors.py --speed    # only the 1,000,000-step x 100-layer timing

Cases
-----
* Synthetic curves: power-law decay ``c + a (1 + t/t0)^-alpha`` times multiplicative noise that is
  white Gaussian, a minibatch mean of 4-256 exponentially distributed per-example losses (skewed,
  heavier upper tail, up to 50% noise), or autocorrelated (AR(1), phi 0.3-0.95),
  with one injected event of varied size, onset and length: a spike, a divergence (exponential
  blow-up, optionally to NaN, or a jump to a high level that stays), a plateau (mid-run stall
  or convergence to a floor), an oscillation (period 2-6 bounce or negatively correlated noise,
  amplitude 0.8-3x the noise), per-layer update ratios 3-30x beyond the optimizer's band edge
  (too low: from the start, with a 30x slower loss decay; too high: from the start or from
  10-30% of the run), with the ratio following the LR schedule; and clean
  curves (no event; their decay over the last tenth of the run is at least 3%, measured on
  loss + 1% of the starting loss as lrdiag does, so they are not converged).
* Real small trainings (scikit-learn's bundled or generated datasets, an MLP of 1-3 hidden
  layers, CPU, seconds each) at the usual tuned LR (400 steps), 10x and 100x above it, 100x
  below it (1500 steps), and a 6000-step cosine run far past convergence. The LR multiplier only
  says what was attempted: each run is labelled from its own loss by ``objective_labels`` (no
  lrdiag detector is used): *unstable* ("LR too high") if the loss became non-finite, ended 25%
  above its best tenth, ended (at an LR not below the tuned one) at 95%+ of what a constant
  predictor scores, or (for a higher LR) ended 1.25x worse than the tuned LR did in 400 steps;
  *lr_too_low* (for a lower LR) if it ended 1.25x worse than the tuned LR did in 400 steps, learnt
  nothing, or (round 25) took 4x the steps the tuned LR took to reach its final level;
  *plateau* over every stretch of at least 15% of the run where the whole-training-set loss
  (measured every ``steps // 160`` steps; lrdiag sees only the minibatch loss) made under 1%
  relative progress, in block means of 2.5% of the run, or stayed under 1% of the constant
  predictor's loss (``flat_stretches``): at a noise floor or near zero alike; otherwise clean.
  With ``-v`` every real case prints the rule that labelled it.

Scoring (per kind)
------------------
A finding matches a label of the same kind when its interval overlaps the label's interval
widened by ``TOL`` (5% of the run, at least 50 steps). Precision = matched findings / findings;
recall = matched labels / labels; false alarms = findings of any kind on clean curves per 10,000
clean steps; delay = finding start - label onset (median over matched labels, 0 if earlier).
Real trainings carry labels for what the condition must produce, plus kinds that are also a
correct description (e.g. a 100x-too-high LR run that diverges may also show lr_too_high);
findings of such kinds are neither counted as true nor as false positives. A finding matches
every label of its kind it overlaps (one plateau finding across two labelled stretches found both).

*Advice* (round 34, real runs only). Each table ends with which way ``recommend`` moves the LR of
the runs labelled lr_too_low (raise it: a peak over 1.5x the run's highest LR), unstable (lower
it, or decay it during the run) and clean (keep it): ``advice_direction``. A glitch run labelled
unstable (round 35) is its own row: the LR it held trained it until the x30 glitch broke it, so
the advice wanted is to keep that LR (and remove the glitch), and its direction is read against
the held LR, not the glitch's. The detector tables do not depend on it.

*Detectable plateaus* (stated before round 3's changes, applied to every split alike). The
plateau labels of real runs come from the whole-training-set loss; lrdiag sees only the minibatch
loss, whose noise can hide a 1% change over a short stretch from anyone. A label is
*detectable* when the standard error of the mean log minibatch loss over the labelled stretch,
with an autocorrelation allowance, is at most ``DETECT_FACTOR`` (1) x the rule's 1%
(``plateau_detectable``). The plateau row gives recall over all labels (the headline) and, in
its "detectable" line, over the detectable ones (synthetic labels get the same test).

*Spikes of a converged loss.* lrdiag does not report a jump of a loss that sits below 1% of its
start and peaks below 10% of it (``detectors.detect_spikes``: a memorised set's per-example
noise, not a training problem); every spike lrdiag does report is scored.

*Real spikes* (round 4). Each task has one more run, at its second optimizer's tuned LR for 800
steps, with the LR multiplied by 30 for 2 steps at a step drawn from 30-70% of the run: a real
training driven into a spike. It carries a spike label when the whole-training-set loss (now
recorded after every step) doubled, far outside its recent band, within 20 steps of the glitch
(``model_spikes``); a glitch the model shrugged off gives no label. Elsewhere a spike finding is
left unscored when the whole-set loss confirms the model got 1.5x worse there (``_model_jumped``:
a real, unlabelled spike, e.g. at 10x the LR) and counts as false when it does not (one hard
minibatch: the model did not change), on clean runs too (there it is no false alarm). Round 15:
likewise an unlabelled divergence, oscillation or lr_too_high finding is left unscored where the
whole-set loss within it reached 3x the constant predictor's loss (``_model_blew_up``: the LR drove
the model there; the labels read only how a run ended, and a 100x run that blew up early and then
trained back is labelled plateau or clean), and counts as false where it did not. Round 16: an
unlabelled oscillation finding on a run above the tuned LR is left unscored where the whole-set
loss alternates inside it (``_model_alternated``: the median lag-1 autocorrelation of its
detrended log over 128-step windows below -0.5; the model itself bounced), false elsewhere.

*Hugging Face view* (round 4). Every real run is also analysed as a ``trainer_state.json`` logs it
(``hf_view``: the mean loss of every 10 steps, the LR and grad norm, no update ratios) and scored
against the same labels in a second table; since round 24 also as a log of every 50 steps
(``logging_steps=50``, the sparse end of what Trainer users set: an 800-step run is 16 points) in
a third.

A real run labelled ``unstable`` ("LR too high") is found by any finding that tells the user to
lower the LR: a divergence, oscillation or lr_too_high finding, or a plateau in state
``stalled_high_lr`` ("stalled with the LR still at X: decay it"). Its row gives recall and delay;
those findings count as true positives in their own kinds' rows.

Splits
------
* ``tuning``: synthetic seeds 0..N-1, real runs on digits (thresholds were set looking at these);
* ``heldout``: synthetic seeds 10_000+, real runs on wine, breast_cancer, diabetes. Held out in
  round 1 until its misses were studied and fixed: tuning data since;
* ``fresh``: synthetic seeds 20_000+, real runs on iris and generated data (make_moons,
  make_classification, make_friedman1), 64 and 128 units, SGD(+Nesterov), Adam(W). Run blind
  once in round 1; its misses were studied in round 2 (label rules, a detector fix): tuning data
  since;
* ``fresh2``: synthetic seeds 30_000+, real runs on generated data used nowhere else
  (make_regression, make_circles, make_blobs, make_gaussian_quantiles, make_hastie_10_2,
  make_friedman3), 1 or 3 hidden layers of 32/96 units, RMSprop, Adagrad and SGD without
  momentum. Written before any run on it (commit 9902c89) and run once, after every round-2
  change (the round-2 blind number). Its misses were studied in round 3: tuning data since;
* ``fresh3``: synthetic seeds 40_000+, real runs on generated data used nowhere else
  (make_friedman2, make_swiss_roll, make_s_curve, make_sparse_uncorrelated,
  make_multilabel_classification), 48/80 units, 1, 2 or 4 hidden layers, NAdam, RAdam, Adamax,
  Adadelta, batch sizes 16 and 64. Written and committed before any run on it; run once, after
  every round-3 change (the round-3 blind number). Its misses were studied in round 4: tuning
  data since;
* ``fresh4``: synthetic seeds 50_000+, real runs on data generated here and used nowhere else (a
  random teacher network's classes, a checkerboard, a sine regression, a low-rank regression),
  LayerNorm+GELU MLPs, AdamW with betas (0.9, 0.95) and weight decay 0.1, Adafactor, ASGD, SGD
  with momentum 0.95 and weight decay, batch sizes 8 and 128, and a warm-up + linear-decay long
  run. Written and committed before any run on it (and before any round-4 change); run once,
  after every round-4 change (the round-4 blind number). Its misses were studied in round 5:
  tuning data since;
* ``fresh5``: synthetic seeds 60_000+, real runs on data generated here and used nowhere else
  (three-arm spirals, a 3-bit parity hidden among 10 features, a random-Fourier-feature
  regression, a heteroscedastic polynomial regression), residual MLPs with BatchNorm, Adam with
  AMSGrad, centred RMSprop with momentum 0.9, SGD with Nesterov momentum and weight decay, batch
  sizes 24 and 256, and one-cycle and multi-step long runs. Written and committed before any run
  on it (and before any round-5 change); run once, after every round-5 change (the round-5
  blind number). Its misses were studied in round 6: tuning data since;
* ``fresh6``: synthetic seeds 70_000+, real runs on data generated here and used nowhere else
  (Gaussian XOR clusters, 5 angle sectors, a radial sinc regression, a discontinuous
  step-function regression), Tanh and Dropout MLPs, Adam with coupled L2 decay and betas
  (0.9, 0.98), NAdam with decoupled weight decay, SGD with momentum 0.9 and dampening 0.5, batch
  sizes 48 and 512, and exponential-decay and warm-restart long runs. Written and committed
  before any run on it (and before any round-6 change); run once, after every round-6 change
  (the round-6 blind number). Its misses were studied in round 7: tuning data since;
* ``fresh7``: synthetic seeds 80_000+, real runs on data generated here and used nowhere else
  (4 concentric rings, a 25%-positive logistic teacher, a periodic regression, a regression with
  Student-t noise), SiLU and BatchNorm+ReLU MLPs, RAdam with decoupled weight decay, Adagrad with
  an initial accumulator and LR decay, Adamax with weight decay, batch sizes 12 and 96, and
  polynomial and halving long runs. Written and committed before any run on it (and before any
  round-7 change); run once, after every round-7 change (the round-7 blind number; round 7 changed
  no detector). Its misses were studied in round 8: tuning data since;
* ``fresh8``: synthetic seeds 90_000+, real runs on data generated here and used nowhere else
  (8 overlapping Gaussian classes, diagonal stripes, a sum of Gaussian bumps, a logistic of a
  projection), ELU and LeakyReLU MLPs, AdamW with betas (0.9, 0.99), eps 1e-6 and weight decay
  0.05, SGD with momentum 0.99, RMSprop with alpha 0.9, batch sizes 20 and 160, and
  inverse-square-root and cyclic long runs. Written and committed after round 8's one change (the
  spike band's upper-tail sigma) and before any run on it; run once, after it (the round-8 blind
  number). Its misses were studied in round 9: tuning data since;
* ``fresh9``: synthetic seeds 100_000+, real runs on data generated here and used nowhere else
  (a sphere's inside / outside, 6 far-apart blobs, a sawtooth, a sum of sines), Mish and
  LayerNorm+ReLU MLPs, Adam with betas (0.8, 0.95), Adadelta with rho 0.95, NAdam with
  momentum_decay 1e-2, batch sizes 40 and 200, and cosine-to-a-floor and linear-decay long runs.
  Written and committed before any run on it and before any round-9 change; run once, after every
  round-9 change (the round-9 blind number). Its misses were studied in round 10: tuning data since;
* ``fresh10``: synthetic seeds 110_000+, real runs on data generated here and used nowhere else
  (a 3-D checkerboard parity, 5 classes by quantile of a quadratic form, a triple-product
  regression, a low signal-to-noise absolute-value regression), GELU and SELU MLPs, AdamW with
  AMSGrad, SGD with momentum 0.8 and weight decay 1e-3, centred RMSprop without momentum, batch
  sizes 28 and 320, and warm-up + cosine and ReduceLROnPlateau long runs. Written and committed
  before any run on it and before any round-10 change; run once, after every round-10 change (the
  round-10 blind number). Its misses were studied in round 11: tuning data since;
* ``fresh11``: synthetic seeds 120_000+, real runs on data generated here and used nowhere else
  (three nested rings, a linearly separable task with a margin, a rational-function regression, a
  piecewise-linear regression), Softplus and Hardswish MLPs, SGD with momentum 0.9, dampening 0.3
  and weight decay 5e-4, NAdam with betas (0.95, 0.999), Adagrad with weight decay 1e-4, batch
  sizes 36 and 144, and warm-up + step-decay and lengthening warm-restart long runs. Written and
  committed before any run on it and before any round-11 change; run once, after every round-11
  change (the round-11 blind number). Its misses were studied in round 12: tuning data since;
* ``fresh12``: synthetic seeds 130_000+, real runs on data generated here and used nowhere else
  (an XOR of radius and angle, 4 ordinal classes of a noisy score, a damped-cosine regression, a
  pairwise-interaction regression), Sigmoid and CELU MLPs, Adam with eps 1e-4, RMSprop with
  momentum 0.5 and alpha 0.95, SGD with Nesterov momentum 0.85 and weight decay 1e-3, batch sizes
  56 and 384, and warm-up-stable-decay and warm-up + exponential long runs. Written and committed
  before any run on it and before any round-12 change; run once, after every round-12 change (the
  round-12 blind number). Its misses were studied in round 13: tuning data since;
* ``fresh13``: synthetic seeds 140_000+, real runs on data generated here and used nowhere else
  (a majority vote of 5 binary features, which of two 3-feature groups has the larger norm, a
  log-sum-exp regression, a multiplicative regression), PReLU and LayerNorm+Tanh MLPs, AdamW with
  betas (0.5, 0.999), SGD with momentum 0.7 and weight decay 2e-4, Adamax with betas (0.8, 0.99),
  batch sizes 44 and 240, and warm-up + inverse-square-root and warm-up + polynomial long runs.
  Written and committed after round 13's first change (no lr_too_low where the loss sits above
  its start) and before any run on it; run once, after every round-13 change (the round-13
  blind number). Its misses were studied in round 14: tuning data since;
* ``fresh14``: synthetic seeds 150_000+, real runs on data generated here and used nowhere else
  (a diamond in 2 of 6 features, the largest of 3 random projections, a ripple regression, a
  staircase regression), ReLU6 and GroupNorm+GELU MLPs, NAdam with betas (0.9, 0.98) and L2
  weight decay 1e-4, SGD with Nesterov momentum 0.6 and weight decay 5e-4, RMSprop with alpha
  0.98, eps 1e-5 and weight decay 1e-4, batch sizes 52 and 192, and warm-up + multi-step and
  warm-up-stable + 1-sqrt cool-down long runs. Written and committed before any run on it and
  before any round-14 change; run once, after every round-14 change (the round-14 blind number);
* ``fresh15``: synthetic seeds 160_000+, real runs on data generated here and used nowhere else
  (an annulus in 2 of 7 features, a sign gated by a third feature, a sum-of-hinges regression, a
  Gaussian-bump regression), Softsign and BatchNorm+Tanh MLPs, Adam with betas (0.9, 0.99), SGD
  with momentum 0.5 and weight decay 1e-4, RAdam with betas (0.95, 0.999), batch sizes 40 and 288,
  and one-cycle with linear annealing and triangular2 cyclic long runs. Written and committed
  at the end of round 14, before any run on it and before any round-15 change; run once, after
  every round-15 change (the round-15 blind number);
* ``fresh16``: synthetic seeds 170_000+, real runs on data generated here and used nowhere else
  (three angular wedges of 2 of 8 features, a cone, a sine-cosine product regression, a
  log-ratio regression), Hardtanh and LayerNorm+SiLU MLPs, AdamW with betas (0.85, 0.995) and
  weight decay 0.02, Adagrad with LR decay 1e-4 and initial accumulator 0.1, RMSprop with alpha
  0.95 and momentum 0.3, batch sizes 30 and 224, and exp_range cyclic and constant-then-linear
  long runs. Written and committed at the end of round 15, before any run on it and before any
  round-16 change; run once, after every round-16 change (the round-16 blind number);
* ``fresh17``: synthetic seeds 180_000+, real runs on data generated here and used nowhere else
  (an ellipse holding half the points in 2 of 6 features, diagonal bands, a tanh-of-a-product
  regression, a root-of-absolute-values regression), RReLU and GroupNorm+SiLU MLPs, AdamW with
  betas (0.9, 0.98), eps 1e-6 and weight decay 0.05, SGD with Nesterov momentum 0.95 and weight
  decay 1e-4, Adadelta with rho 0.8, batch sizes 60 and 352, and three-phase one-cycle and
  warm-up + decaying cosine-restart long runs. Written and committed at the end of round 16,
  before any run on it; run once, blind, on the round-16 code (a second blind sample of it);
* ``fresh18``: synthetic seeds 190_000+, real runs on data generated here and used nowhere else
  (a triangle in 2 of 7 features, an XOR of a half-plane and a band, a cubic-mix regression, a
  softplus-difference regression), Tanhshrink and BatchNorm+GELU MLPs, AdamW with betas (0.9,
  0.95) and weight decay 0.1 (an LLM recipe), SGD with momentum 0.9 and weight decay 1e-2, Adamax
  with betas (0.95, 0.995), batch sizes 26 and 176, and unfinished-cosine (a run stopped half way
  through its schedule) and warm-up + inverse-sqrt + linear cool-down long runs. Written and
  committed in round 16, before any run on it and before any round-17 change; run once, blind,
  after round 17's plateau change (its message change came after and touches no score);
* ``fresh19``: synthetic seeds 200_000+, real runs on data generated here and used nowhere else
  (inside either of two disks in 2 of 6 features, three-class stripes, a sine-cosine mix
  regression, an absolute-difference regression), LayerNorm+Mish and BatchNorm+SiLU MLPs, Adam
  with betas (0.7, 0.99), SGD with Nesterov momentum 0.8 and weight decay 1e-3, RAdam with betas
  (0.9, 0.99) and weight decay 1e-4, batch sizes 34 and 416, and inverse-time (``lr / (1 + 9 t /
  n)``) and square-root polynomial long runs. Written and committed in round 17, before any run
  on it and before any round-18 change; run once, blind, on the round-17 code (a second blind
  sample of it);
* ``fresh20``: synthetic seeds 210_000+, real runs on data generated here and used nowhere else
  (four classes by quadrant, turned by one inside the unit circle; above a parabola; an
  exp-times-sine regression; a max-of-absolute-values regression), GroupNorm+Mish and
  BatchNorm+ELU MLPs, AdamW with betas (0.8, 0.99) and weight decay 0.05, SGD with momentum 0.95
  and weight decay 5e-4, NAdam with betas (0.85, 0.995), batch sizes 22 and 448, and warm-up +
  cosine-to-a-floor and step-every-third long runs. Written and committed in round 17, before any
  run on it and before any round-18 change; run once, blind, after every round-18 change (the
  round-18 blind number);
* ``fresh21``: synthetic seeds 220_000+, real runs on data generated here and used nowhere else
  (three spiral arms, a plus-shaped band, a tanh-of-a-radius regression, a three-way product
  regression), LayerNorm+ELU and GroupNorm+ReLU MLPs, AdamW with betas (0.9, 0.995), eps 1e-7 and
  weight decay 0.01, SGD with momentum 0.85 and weight decay 2e-4, RAdam with betas (0.9, 0.98)
  and decoupled weight decay 0.05, batch sizes 18 and 480, and warm-up + linear-to-a-floor and
  ten-cycle warm-restart long runs. Written and committed in round 18, before any run on it and
  before any round-19 change; run once, blind, on round 19's detectors (before the last, stricter
  gradient-collapse rule, which can only remove findings from Hugging Face views);
* ``fresh22``: synthetic seeds 230_000+, real runs on data generated here and used nowhere else
  (a 3 x 3 checkerboard, a spherical shell, a sinc-of-a-radius regression, a log-cosh-minus-a-
  product regression), LayerNorm+Hardswish and BatchNorm+LeakyReLU MLPs, Adam with betas (0.9,
  0.9) and eps 1e-6, SGD with momentum 0.7, dampening 0.1 and weight decay 1e-3, AdamW with
  AMSGrad, betas (0.9, 0.99) and weight decay 0.02, batch sizes 14 and 336, and warm-up + hold +
  cosine and linear-then-held long runs. Written and committed in round 19, before any run on
  it; run once, blind, on round 20's detectors. Its "checker3" tasks ran on fresh10's checker3
  data (the new 3 x 3 checkerboard reused that name, and fresh10's branch answered first), and
  its AMSGrad AdamW, first written as a second "adamw_ams" that replaced fresh10's, is
  ``adamw_ams_b99`` since round 20 (same configuration);
* ``fresh23``: synthetic seeds 240_000+, real runs on data generated here and used nowhere else
  (the 3 x 3 checkerboard written for fresh22 and never reached, a lens (inside two overlapping
  discs), an arctan-times-a-feature regression, a difference-of-Gaussian-bumps regression),
  LayerNorm+CELU and BatchNorm+Softplus MLPs, NAdam with betas (0.9, 0.97) and weight decay 1e-3,
  Nesterov SGD with momentum 0.75 and weight decay 5e-4, Adamax with betas (0.9, 0.99), batch
  sizes 10 and 272, and warm-up + quadratic-decay and halve-every-quarter long runs. Written and
  committed in round 20, before any run on it; run once, blind, in round 21 on round 20's
  detectors (round 21 changed none: its work was the TensorBoard tab's load time);
* ``fresh24``: synthetic seeds 250_000+, real runs on data generated here and used nowhere else
  (a band about a sine wave, six angular sectors in three classes, a sine-times-cosine
  regression, an absolute-values-plus-a-product regression), GroupNorm+Tanh and
  LayerNorm+Softsign MLPs, AdamW with betas (0.85, 0.98) and weight decay 0.03, SGD with momentum
  0.8 and weight decay 3e-4, RMSprop with alpha 0.95 and momentum 0.5, batch sizes 46 and 400,
  and warm-up + hold + exponential-cool-down and x0.6-every-fifth long runs. Written and
  committed in round 21, before any run on it; run once, blind, in round 22 after its only
  detector change (sparse-log spikes);
* ``fresh25``: synthetic seeds 260_000+, real runs on data generated here and used nowhere else
  (the sign of a three-feature product, four classes by the quadrant of a wavy boundary, a cosine
  of a three-feature radius regression, a tanh-of-a-product regression), BatchNorm+Mish and
  GroupNorm+Softplus MLPs, Adam with betas (0.85, 0.99) and L2 weight decay 1e-4, SGD with
  momentum 0.88 and weight decay 1e-3, RAdam with betas (0.9, 0.97) and weight decay 1e-3, batch
  sizes 50 and 368, and warm-up + cubic-decay and x0.7-every-sixth long runs. Written and
  committed in round 22, before any run on it; run once, blind, in round 23 (round 23 changed no
  detector);
* ``fresh26``: synthetic seeds 270_000+, real runs on data generated here and used nowhere else
  (a cubic decision boundary, three classes by a ratio x0 / (1 + |x1|), a sign-gated quadratic
  and a signed square-root-of-a-product regression), BatchNorm+Hardswish and GroupNorm+ELU MLPs, Adamax
  with betas (0.85, 0.995) and weight decay 1e-3, NAdam with betas (0.9, 0.99) and decoupled
  weight decay 0.02, Nesterov SGD with momentum 0.92 and weight decay 2e-4, batch sizes 42 and
  304, and warm-up + hold + linear-cool-down and x0.75-every-seventh long runs. Written and
  committed in round 23, before any run on it; run once, blind, in round 24, after its spike
  change (short sparse logs; a blow-up that came most of the way back);
* ``fresh27``: synthetic seeds 280_000+, real runs on data generated here and used nowhere else
  (inside a three-petal rose, three classes by the ratio of the distances to two points, a
  log-of-an-absolute-sum and a min-plus-half-a-max regression), LayerNorm+ReLU6 and
  GroupNorm+Hardtanh MLPs, Adagrad with weight decay 1e-3 and an initial accumulator of 0.05,
  centred RMSprop with alpha 0.97 and weight decay 1e-4, SGD with momentum 0.93, dampening 0.05
  and weight decay 5e-4, batch sizes 38 and 232, and warm-up + hold + quadratic-cool-down and
  x0.8-every-eighth long runs. Written and committed in round 24, before any run on it; run once,
  blind, in round 24 after fresh26, on the same code (a second blind sample of it);
* ``fresh28``: synthetic seeds 290_000+, real runs on data generated here and used nowhere else
  (the band between four hyperbola branches, four classes by two pairwise comparisons, a Gaussian
  ridge along a parabola and a clipped-linear regression), LayerNorm+LeakyReLU and GroupNorm+CELU
  MLPs, Adam with AMSGrad, betas (0.9, 0.98) and L2 weight decay 1e-3, ASGD with lambd 1e-3 and
  averaging from step 300, RAdam with betas (0.93, 0.999) and decoupled weight decay 0.01, batch
  sizes 54 and 264, and warm-up + hold + cubic-cool-down and x0.82-every-ninth long runs. Written
  and committed in round 24, before any run on it; run once, blind, in round 25 after its only
  change (the lr_too_low label's speed rule);
* ``fresh29``: synthetic seeds 300_000+, real runs on data generated here and used nowhere else
  (inside a cardioid, two classes by the L1 / L-infinity norm ratio of three features, the gap
  between the L1 and L2 norms and a sigmoid-gated mixture regression), BatchNorm+ReLU6 and
  GroupNorm+Softsign MLPs, AdamW with betas (0.92, 0.995), eps 1e-5 and weight decay 0.05, SGD
  with momentum 0.97 and weight decay 1e-4, Adadelta with rho 0.9 and weight decay 1e-4, batch
  sizes 58 and 312, and warm-up + hold + inverse-decay and x0.85-every-tenth long runs. Written
  and committed in round 25, before any run on it; run once, blind, in round 26 after all
  round-26 changes;
* ``fresh30``: synthetic seeds 310_000+, real runs on data generated here and used nowhere else
  (inside an astroid, two classes by the spread (max - min) of four features, a softmax-weighted
  mixture regression and a soft-absolute-value product regression), BatchNorm+CELU and
  GroupNorm+LeakyReLU MLPs, NAdam with betas (0.88, 0.995) and (coupled) weight decay 0.01,
  RMSprop with alpha 0.97 and momentum 0.8, SGD with Nesterov momentum 0.88 and weight decay
  2e-3, batch sizes 72 and 328, and warm-up + hold + square-root-decay and x0.87-every-eleventh
  long runs. Written and committed in round 26, before any run on it; run once, blind, in round
  27 after that round's only change (the converged test's running median);
* ``fresh31``: synthetic seeds 320_000+, real runs on data generated here and used nowhere else
  (inside a lemniscate, two classes by the sign of cos(2 x0) + cos(2 x1) + cos(2 x2), a
  ratio-to-a-norm and an arctan-of-a-ratio regression), LayerNorm+Hardtanh and BatchNorm+Softsign
  MLPs, Adamax with betas (0.9, 0.995) and weight decay 0.01, RAdam with betas (0.9, 0.995) and
  decoupled weight decay 1e-3, SGD with momentum 0.92, dampening 0.2 and weight decay 1e-4, batch
  sizes 74 and 344, and warm-up + hold + logarithmic-decay and x0.88-every-twelfth long runs.
  Written and committed in round 27, before any run on it; run once, blind, in round 28 after
  that round's only change (the stall after instability and LR blips);
* ``fresh32``: synthetic seeds 330_000+, real runs on data generated here and used nowhere else
  (inside a superellipse, two classes by whether x0 is the middle of (x0, x1, x2), a
  Gaussian-bump-times-a-feature and a ReLU-pair regression), LayerNorm+Softplus and
  GroupNorm+Hardswish MLPs, Adam with betas (0.95, 0.999), eps 1e-6 and (coupled) weight decay
  2e-3, centred RMSprop with alpha 0.93 and momentum 0.6, SGD with momentum 0.85, dampening 0.1
  and weight decay 3e-4, batch sizes 76 and 360, and warm-up + hold + tanh-decay and
  x0.9-every-thirteenth long runs. Written and committed in round 28, before any run on it; run
  once, blind, in round 30 after that round's only change (a divergence's rise timed in steps);
* ``fresh33``: synthetic seeds 340_000+, real runs on data generated here and used nowhere else
  (inside a limacon, two classes by the sign of log(1 + x0^2) - log(1 + x1^2) + x2 / 2, a
  soft-minimum and a sine-of-a-sum-over-a-quadratic regression), GroupNorm+ReLU6 and
  BatchNorm+Hardtanh MLPs, NAdam
  with betas (0.92, 0.998), eps 1e-7 and momentum decay 3e-3, Adagrad with an initial accumulator
  of 0.2 and weight decay 1e-4, SGD with Nesterov momentum 0.87 and weight decay 5e-4, batch sizes
  78 and 376, and warm-up + hold + smoothstep-decay and x0.91-every-fourteenth long runs. Written
  and committed in round 30, before any run on it; run once, blind, in round 31 after that
  round's only change (a 2-point spike scale on sparse logs);
* ``fresh34``: synthetic seeds 350_000+, real runs on data generated here and used nowhere else
  (inside a regular hexagon, two classes by whether x0 x1 exceeds x2 + x3, an asinh-of-a-product
  and a max-of-two-sines regression), LayerNorm+PReLU and GroupNorm+SELU MLPs, Adamax with betas
  (0.92, 0.999) and eps 1e-7, RMSprop with alpha 0.85 and weight decay 1e-4, SGD with momentum
  0.8, dampening 0.2 and weight decay 2e-4, batch sizes 80 and 392, and warm-up + hold +
  sine-decay and x0.92-every-fifteenth long runs. Written and committed in round 31, before any
  run on it; run once, blind, in round 33 after that round's only change (a divergence or a
  lasting loss rise an LR blip set off names the blip);
* ``fresh35``: synthetic seeds 360_000+, real runs on data generated here and used nowhere else
  (a crescent: inside a disk and outside a shifted one, two classes by whether x1 exceeds
  x0^3 - 2 x0, a difference-of-Gaussian-bumps and a softsign-ratio regression), LayerNorm+Sigmoid
  and BatchNorm+SELU MLPs, AdamW with betas (0.93, 0.997) and weight decay 0.02, RAdam with betas
  (0.9, 0.99), eps 1e-6 and coupled weight decay 1e-3, SGD with Nesterov momentum 0.83 and weight
  decay 3e-4, batch sizes 82 and 408, and warm-up + hold + arctan-decay and
  x0.93-every-sixteenth long runs. Written and committed in round 33, before any run on it; run
  once, blind, in round 33 after that round's last change (no lr_too_low after a blow-up);
* ``fresh36``: synthetic seeds 370_000+, real runs on data generated here and used nowhere else
  (inside an elliptic ring, two classes by whether max(x0, x1) exceeds x2 + 0.3, a tanh(x0) x1 +
  0.3 cos(x2) and a sqrt|x0 - x1| regression), GroupNorm+Sigmoid and BatchNorm+PReLU MLPs, NAdam
  with betas (0.94, 0.999) and eps 1e-6, Adagrad with LR decay 1e-3 and weight decay 1e-3, SGD
  with momentum 0.75, dampening 0.3 and weight decay 1e-4, batch sizes 84 and 424, and warm-up +
  hold + Gaussian-decay and x0.935-every-seventeenth long runs. Written and committed in round 33,
  before any run on it; run once, blind, in round 34 after round 33's last change: round 34 changed nothing before it;
* ``fresh37``: synthetic seeds 380_000+, real runs on data generated here and used nowhere else
  (inside a Cassini-like oval, two classes by whether x0 + x1 x2 exceeds x3^2 - 1, a radial sinc
  and a log(1 + x0^2) / (1 + x1^2) regression), LayerNorm+SELU and GroupNorm+PReLU MLPs, AdamW
  with betas (0.91, 0.995) and weight decay 5e-3, centred RMSprop with alpha 0.91 and momentum
  0.3, SGD with Nesterov momentum 0.7 and weight decay 5e-4, batch sizes 86 and 432, and warm-up +
  hold + logistic-decay and x0.94-every-eighteenth long runs. Written and committed in round 34,
  before any run on it; run once, blind, at the start of round 35, before any round-35 change;
* ``fresh38``: synthetic seeds 390_000+, real runs on data generated here and used nowhere else
  (inside a five-lobed curve, two classes by whether x0^3 + x1^3 exceeds x2 x3, an arctan-ridge
  and an exp(-|x0|) cos(2 x1) regression), BatchNorm+Sigmoid and LayerNorm+Tanhshrink MLPs,
  Adamax with betas (0.93, 0.999) and weight decay 1e-3, RAdam with betas (0.92, 0.998) and
  decoupled weight decay 1e-2, SGD with momentum 0.8, dampening 0.1 and weight decay 3e-4, batch
  sizes 88 and 440, and warm-up + hold + exponential-drop and x0.945-every-nineteenth long runs.
  Written and committed in round 35, before any run on it; run once, blind, at the start of round
  36, before any round-36 change;
* ``fresh39``: synthetic seeds 400_000+, real runs on data generated here and used nowhere else
  (two classes by the side of a spiral sin(3 r - angle) > 0, whether x0^4 - x1^2 exceeds x2, a
  tanh(x0 x1) + 0.4 sin(2 x2) and a log cosh(x0 + x1) - 0.3 |x2| regression), LayerNorm+RReLU and
  GroupNorm+Tanhshrink MLPs, NAdam with betas (0.9, 0.996) and momentum decay 5e-3, Adagrad with
  LR decay 1e-3 and initial accumulator 0.05, SGD with Nesterov momentum 0.85 and weight decay
  2e-4, batch sizes 90 and 448, and warm-up + hold + cosine-squared and x0.95-every-twentieth long
  runs. Written and committed in round 36, before any run on it; run once, blind, in round 37,
  after round 37's first change (the raise of a low LR), before its second (Adagrad's constant);
* ``fresh40``: synthetic seeds 410_000+, real runs on data generated here and used nowhere else
  (two classes by whether (x0, x1) lies inside the four-petal rose r < 2 |cos(2 angle)|, the sign
  of x0 x3 - x1 x2, a softplus(2 x0) - softplus(2 x1) + 0.3 sin(x2 x3) and an erf(x0) x1 + 0.2
  x2^2 regression), GroupNorm+RReLU and BatchNorm+Tanhshrink MLPs, AdamW with betas (0.88,
  0.995) and weight decay 0.05, RMSprop with alpha 0.97 and eps 1e-5, SGD with momentum 0.9,
  dampening 0.2 and weight decay 1e-4, batch sizes 92 and 456, and warm-up + hold + quartic and
  x0.955-every-twenty-first long runs. Written and committed in round 37, before any run on it;
  run once, blind, in round 38, after round 38's changes (RMSprop's raise aim, the held LR kept
  after an LR jump's spike);
* ``fresh41``: synthetic seeds 420_000+, real runs on data generated here and used nowhere else
  (two classes by whether (x0, x1) / 1.1 lies inside the heart curve (x^2 + y^2 - 1)^3 < x^2 y^3,
  the sign of x0 x1 x2 + 0.3 x3, a 2 exp(-(x0^2 + x1^2) / 2) - 0.5 x2 |x3| and an arctan(2 x0 /
  (1 + x1^2)) + 0.25 x2 x3 regression), BatchNorm+RReLU and LayerNorm+Softshrink MLPs, Adam with
  AMSGrad and betas (0.85, 0.997), SGD with Nesterov momentum 0.95 and weight decay 3e-4, Adadelta
  with rho 0.85 and weight decay 1e-4, batch sizes 94 and 464, and warm-up + hold + cosh-shaped
  fall and x0.96-every-twenty-second long runs. Written and committed in round 38, before any run
  on it; run once, blind, in round 39, after round 39's changes (RMSprop's band of its own, a low
  Adadelta LR raised to 1 and held);
* ``fresh42``: synthetic seeds 430_000+, real runs on data generated here and used nowhere else
  (two classes by whether (x0, x1) lies inside the three-lobed r < 1.2 (1 + 0.4 cos(3 angle)), the
  sign of x0^2 - x1^2 + x2 x3, a log(1 + x0^2) - log(1 + x1^2) + 0.3 x2 tanh(2 x3) and a sin(2 x0)
  exp(-x1^2 / 2) + 0.2 x2 x3 regression), LayerNorm+Hardshrink and GroupNorm+LogSigmoid MLPs,
  centred RMSprop with alpha 0.95 and momentum 0.4, Adamax with betas (0.87, 0.999) and eps 1e-6,
  SGD with momentum 0.92 and weight decay 5e-5, batch sizes 96 and 472, and warm-up + hold +
  sech-shaped fall and x0.965-every-twenty-third long runs. Written and committed in round 39,
  before any run on it; run once, blind, in round 40, after round 40's changes (a high LR lowered
  by its measured ratio, the optimizer's name read in any case);
* ``fresh43``: synthetic seeds 440_000+, real runs on data generated here and used nowhere else
  (two classes by the sign of sin(angle + 0.8 r) of (x0, x1), a one-armed spiral, and by the sign of
  x0^3 + x1^3 - 1.5 x2, a cos(x0) cos(x1) + 0.3 x2^2 and a softplus(2 x0) - softplus(2 x1) +
  0.25 x2 sin(x3) regression), LayerNorm+Hardsigmoid and BatchNorm+Threshold(0.1) MLPs, AdamW with
  betas (0.9, 0.995) and weight decay 1e-3, Adagrad with an initial accumulator of 0.3 and weight
  decay 5e-5, SGD with Nesterov momentum 0.9 and weight decay 1e-4, batch sizes 98 and 480, and
  warm-up + hold + erf-shaped fall and x0.97-every-twenty-fourth long runs. Written and committed
  in round 40, before any run on it; run once, blind, in round 41, after round 41's changes (no
  "too low" after ratios over the band, a high LR lowered by its first update ratio, the most
  severe finding deciding the advice);
* ``fresh44``: synthetic seeds 450_000+, real runs on data generated here and used nowhere else
  (two classes by (0.7 < r < 1.5) XOR (cos(2 angle) > 0) of (x0, x1), and by the sign of sinh(x0)
  - 1.5 x1 + 0.4 (x2^2 - 1), an atan(2 x0) x1 + 0.3 x2^2 and an exp(-|x0|) - exp(-|x1|) + 0.3 x2
  cos(x3) regression), LayerNorm+GELU(tanh) and BatchNorm+Hardtanh(-2, 2) MLPs, NAdam with betas
  (0.91, 0.999), momentum decay 6e-3 and weight decay 1e-4, Adagrad with an initial accumulator of
  0.5 and weight decay 2e-4, SGD with momentum 0.87, dampening 0.05 and weight decay 1e-4, batch
  sizes 100 and 488, and
  warm-up + hold + rational fall and x0.975-every-twenty-fifth long runs. Written and committed in
  round 41, before any run on it; run once, blind, at the start of round 42, before any round-42
  change (on round 41's code);
* ``fresh45``: synthetic seeds 460_000+, real runs on data generated here and used nowhere else
  (two classes by (x0^2 + x1^2)^2 < 2.2 |x0^2 - x1^2|, a four-leaf clover, and by the sign of cosh(x0) -
  cosh(x1) + 0.5 x2, a tanh(x0 x1) + 0.2 x2 |x2| and a log1p(x0^2) - log1p(x1^2) + 0.3 sin(x2) x3
  regression), GroupNorm+Hardsigmoid and BatchNorm+LogSigmoid MLPs, RAdam with betas (0.88,
  0.995) and decoupled weight decay 1e-2, RMSprop with alpha 0.98, centred, momentum 0.5, SGD with
  Nesterov momentum 0.86 and weight decay 2e-4, batch sizes 102 and 496, and warm-up + hold +
  Lorentzian fall and x0.98-every-twenty-sixth long runs. Written and committed in round 42,
  before any run on it; run once, blind, in round 43, after round 43's first change;
* ``fresh46``: synthetic seeds 470_000+, real runs on data generated here and used nowhere else
  (two classes by |x0|^(2/3) + |x1|^(2/3) < 1.6, inside an astroid, and by the sign of sin(2 x0) +
  sin(2 x1) + 0.4 x2, an asinh(2 x0) x1 + 0.25 x2^3 and an exp(-(x0 - 1)^2) - exp(-(x1 + 1)^2) +
  0.3 x2 x3 regression), BatchNorm+Softshrink and LayerNorm+LogSigmoid MLPs, AdamW with betas
  (0.85, 0.99) and weight decay 5e-2, Adagrad with LR decay 1e-4 and initial accumulator 0.2, SGD
  with momentum 0.91, dampening 0.1 and weight decay 3e-4, batch sizes 104 and 504, and warm-up +
  hold + quarter-circle fall and x0.982-every-twenty-seventh long runs. Written and committed in
  round 43, before any run on it; run once, blind, at the start of round 44, before any round-44
  change;
* ``fresh47``: synthetic seeds 480_000+, real runs on data generated here and used nowhere else
  (two classes by r < 1.1 + 0.5 cos(5 theta) in the (x0, x1) plane, inside a five-pointed star, and
  by the sign of x0 exp(-x1^2 / 2) + 0.3 sin(3 x2), an arctan(x0 x1) + 0.2 x2^3 - 0.3 x3 and a
  sigmoid(3 x0) sin(2 x1) + 0.3 x2 x3 regression), BatchNorm+Hardshrink and GroupNorm+Softshrink
  MLPs, NAdam with betas (0.9, 0.997) and decoupled weight decay 1e-2, Adamax with betas (0.89,
  0.998) and weight decay 5e-4, SGD with Nesterov momentum 0.88 and weight decay 1e-4, batch sizes
  106 and 512, and warm-up + hold + bump-function fall and x0.984-every-twenty-eighth long runs.
  Written and committed in round 44, before any run on it; run once, blind, at the start of round
  45, before any round-45 change;
* ``fresh48``: synthetic seeds 490_000+, real runs on data generated here and used nowhere else
  (two classes by r < 1.18 + 0.35 sin(3 theta) + 0.15 cos(7 theta) in the (x0, x1) plane, inside a
  wobbly ring, and by the sign of x0^3 - 1.5 x0 + tanh(2 x1) + 0.4 x2 x3, an exp(-x0^2) x1 +
  0.3 tanh(x2 x3) + 0.2 x4 and a sqrt(1 + x0^2) sin(x1) - 0.25 x2 |x3| regression), GroupNorm+Hardshrink
  and LayerNorm+Threshold MLPs, AdamW with AMSGrad, betas (0.87, 0.995) and weight decay 2e-2,
  centred RMSprop with alpha 0.94, momentum 0.4 and weight decay 1e-4, SGD with momentum 0.89,
  dampening 0.05 and weight decay 2e-4, batch sizes 108 and 520, and warm-up + hold + cos^3 fall
  and x0.986-every-twenty-ninth long runs. Written and committed in round 45, before any run on
  it; run once, blind, at the start of round 46, before any round-46 change;
* ``fresh49``: synthetic seeds 500_000+, real runs on data generated here and used nowhere else
  (two classes by x0^2 / 1.7 + x1^2 exp(0.35 x0) < 1.2 in the (x0, x1) plane, inside an egg, and
  by the sign of asinh(2 x0) - x1^2 + 0.8 + 0.3 sin(2 x2) x3, a tanh(x0 - x1^2 / 2) + 0.3 exp(-x2^2)
  x3 + 0.15 x4 and a cos(1.5 x0) |x1| / (1 + 0.5 |x2|) + 0.2 x3 regression), GroupNorm+Threshold and
  BatchNorm+Hardsigmoid MLPs, RAdam with betas (0.9, 0.995) and (L2) weight decay 3e-4, Adagrad
  with lr_decay 1e-3, initial accumulator 0.1 and weight decay 2e-4, SGD with Nesterov momentum
  0.91 and weight decay 3e-4, batch sizes 110 and 528, and warm-up + hold + (1 - q)^1.5 fall and
  x0.988-every-thirtieth long runs. Written and committed in round 46, before any run on it; run
  once, blind, at the start of round 47, before any round-47 change;
* ``fresh50``: synthetic seeds 510_000+, real runs on data generated here and used nowhere else
  (two classes by x1^2 < 0.4 (1.4 - x0) (x0 + 1.2)^2 in the (x0, x1) plane, inside a teardrop, and
  by the sign of sin(1.5 x0) + 0.5 x1 |x1| - 0.3 x2 + 0.25 tanh(x3 x4), a softplus(x0) cos(x1) +
  0.25 x2 x3 and an x0 exp(-(x1 - 0.5 x2)^2) + 0.3 sin(2 x3) + 0.1 x4 regression),
  GroupNorm+GELU(tanh) and LayerNorm+Hardtanh(-2, 2) MLPs, NAdam with betas (0.93, 0.998),
  momentum decay 4e-3 and decoupled weight decay 1e-2, Adamax with betas (0.91, 0.997) and weight
  decay 2e-4, SGD with momentum 0.86, dampening 0.15 and weight decay 2e-4, batch sizes 112 and
  536, and warm-up + hold + (1 - q)^2.5 fall and x0.99-every-thirty-first long runs. Written and
  committed in round 47, before any run on it; run once, blind, at the start of round 48, before
  any round-48 change;
* ``fresh51``: synthetic seeds 520_000+, real runs on data generated here and used nowhere else
  (two classes by x1^2 < 0.5 (x0^2 + 0.3) (2.5 - x0^2) in the (x0, x1) plane, inside a peanut, and
  by the sign of x0 cos(x1) + 0.4 arctan(2 x2) - 0.3 x3 x4, an arctan(x0^2 - x1) + 0.3 cos(2 x2) x3
  and an x0 x1 exp(-0.3 x2^2) + 0.4 sin(x3 + x4) + 0.1 x5 regression), BatchNorm+GELU(tanh) and
  GroupNorm+Hardtanh(-2, 2) MLPs, Adam with AMSGrad, betas (0.88, 0.996) and (L2) weight decay
  1e-4, RMSprop with alpha 0.96, momentum 0.5 and weight decay 2e-4, SGD with Nesterov momentum
  0.89 and weight decay 2e-4, batch sizes 114 and 544, and warm-up + hold + smootherstep fall and
  x0.991-every-thirty-second long runs. Written and committed in round 48, before any run on it;
  run once, blind, at the start of round 49, before any round-49 change;
* ``fresh52``: synthetic seeds 530_000+, real runs on data generated here and used nowhere else
  (two classes by |x1| < 0.3 + 0.8 |x0| and |x0| < 1.7 in the (x0, x1) plane, inside a bowtie, and
  by the sign of tanh(2 x0) x1^2 + 0.5 sin(x2 - x3) - 0.3 x4, a sin(x0 + 0.5 x1^2) + 0.3 tanh(x2 +
  x3) x4 and a cos(x0 - x1) x2 + 0.4 arctan(x3 x4) + 0.1 x5 regression), BatchNorm+Softplus(beta=2)
  and LayerNorm+ELU(alpha=0.5) MLPs, AdamW with betas (0.89, 0.997) and weight decay 3e-2, Adagrad
  with lr_decay 5e-4, initial accumulator 0.15 and weight decay 1e-4, SGD with momentum 0.87,
  dampening 0.1 and weight decay 2e-4, batch sizes 116 and 552, and warm-up + hold + (1 - q)
  exp(-2 q) fall and x0.992-every-thirty-third long runs. Written and committed in round 49, before
  any run on it; run once, blind, at the start of round 50, before any round-50 change;
* ``fresh53``: synthetic seeds 540_000+, real runs on data generated here and used nowhere else
  (two classes by 0.4 < r < 2.2 and |angle| < 0.58 pi of (x0, x1), inside a horseshoe (an annulus
  sector), and by the sign of (x0 + 0.5 sin(2 x1)) (x2 + 0.3 x3^2 - 0.3), a 0.5 sinh(clip(x0,
  -1.5, 1.5)) + exp(-(x1 - x2)^2 / 2) + 0.3 |x3| - 0.1 x4 and a log1p(|x0|) cos(x1) + 0.3 x2 / (1 +
  x3^2) + 0.1 x4 regression), GroupNorm+CELU(alpha=0.7) and BatchNorm+LeakyReLU(0.2) MLPs, RAdam
  with betas (0.91, 0.998), eps 1e-7 and decoupled weight decay 5e-3, RMSprop with alpha 0.92,
  momentum 0.6 and weight decay 1e-4, SGD with Nesterov momentum 0.84 and weight decay 3e-4, batch
  sizes 118 and 560, and warm-up + hold + shifted Cauchy (1 / (1 + 4 q^2) - 1/5) / (4/5) fall and
  x0.993-every-thirty-fourth long runs. Written and committed in round 50, before any run on it;
  run once, blind, at the start of round 51, before any round-51 change;
* ``fresh54``: synthetic seeds 550_000+, real runs on data generated here and used nowhere else (two
  classes by |x1 - 0.5 |x0| + 0.1| < 0.7 of (x0, x1), inside a chevron (a V-shaped band), and by the
  sign of sin(1.5 x0 x1) + 0.5 (x2 - x3) x4, a cbrt(x0 + x1) + 0.4 sin(x2) cos(x3) - 0.2 x4 and an
  x0 sqrt(1 + x1^2 / 4) - 0.3 |x2 - x3| + 0.1 x4 regression), LayerNorm+Softplus(beta=0.5) and
  GroupNorm+LeakyReLU(0.05) MLPs, NAdam with betas (0.94, 0.997), momentum decay 5e-3 and weight
  decay 2e-4, Adamax with betas (0.88, 0.996), eps 1e-7 and weight decay 1e-4, SGD with momentum
  0.88, dampening 0.2 and weight decay 3e-4, batch sizes 120 and 568, and warm-up + hold + sinc
  sin(pi q) / (pi q) fall and x0.994-every-thirty-fifth long runs. Written and committed in round
  51, before any run on it: the next blind split.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # training_cache

from lrdiag import names  # noqa: E402
from lrdiag.analysis import signals  # noqa: E402
from lrdiag.analysis.bands import band_for  # noqa: E402
from lrdiag.analysis.engine import analyze  # noqa: E402
from lrdiag.analysis.recommend import recommend  # noqa: E402
from lrdiag.history import History  # noqa: E402

import training_cache  # noqa: E402  (benchmarks/; joblib is imported only with --cache)

KINDS = ("divergence", "spike", "oscillation", "plateau", "lr_too_low", "lr_too_high")


# -- real small trainings -------------------------------------------------------------------

def _dataset(name: str):
    from sklearn import datasets
    from sklearn.preprocessing import StandardScaler

    if name == "digits":
        X, y = datasets.load_digits(return_X_y=True)
        task = "cls"
    elif name == "wine":
        X, y = datasets.load_wine(return_X_y=True)
        task = "cls"
    elif name == "breast_cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)
        task = "cls"
    elif name == "diabetes":
        X, y = datasets.load_diabetes(return_X_y=True)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "iris":
        X, y = datasets.load_iris(return_X_y=True)
        task = "cls"
    elif name == "moons":  # generated: two interleaved half-circles with label noise
        X, y = datasets.make_moons(n_samples=1000, noise=0.25, random_state=7)
        task = "cls"
    elif name == "classification":  # generated: 4 classes, 20 features of which 8 informative
        X, y = datasets.make_classification(n_samples=1500, n_features=20, n_informative=8, n_classes=4,
                                            n_clusters_per_class=2, flip_y=0.05, random_state=7)
        task = "cls"
    elif name == "friedman1":  # generated regression with noise
        X, y = datasets.make_friedman1(n_samples=1000, noise=1.0, random_state=7)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "blobs":  # generated: 5 overlapping Gaussian clusters in 6 dimensions
        X, y = datasets.make_blobs(n_samples=1200, n_features=6, centers=5, cluster_std=2.5, random_state=7)
        task = "cls"
    elif name == "regression":  # generated: linear target with 10 informative of 30 features, noise
        X, y = datasets.make_regression(n_samples=1200, n_features=30, n_informative=10, noise=20.0, random_state=7)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "circles":  # generated: two noisy concentric circles
        X, y = datasets.make_circles(n_samples=1000, noise=0.15, factor=0.5, random_state=7)
        task = "cls"
    elif name == "quantiles":  # generated: 3 classes by quantiles of a 5-d Gaussian's radius
        X, y = datasets.make_gaussian_quantiles(n_samples=1200, n_features=5, n_classes=3, random_state=7)
        task = "cls"
    elif name == "hastie":  # generated: Hastie et al. 10.2, a sum-of-squares threshold in 10 dimensions
        X, y = datasets.make_hastie_10_2(n_samples=1500, random_state=7)
        y = (y > 0).astype(np.int64)
        task = "cls"
    elif name == "friedman2":  # generated regression (fresh3): impedance of an RLC circuit, with noise
        X, y = datasets.make_friedman2(n_samples=1000, noise=10.0, random_state=7)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "swiss_roll":  # generated (fresh3): 3 classes by position along a noisy swiss roll
        X, t = datasets.make_swiss_roll(n_samples=1200, noise=0.5, random_state=7)
        y = np.digitize(t, np.quantile(t, [1 / 3, 2 / 3]))
        task = "cls"
    elif name == "s_curve":  # generated regression (fresh3): the position along a noisy S curve
        X, y = datasets.make_s_curve(n_samples=1000, noise=0.2, random_state=7)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "sparse_uncorrelated":  # generated regression (fresh3): 4 of 10 features matter
        X, y = datasets.make_sparse_uncorrelated(n_samples=1000, n_features=10, random_state=7)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "multilabel":  # generated (fresh3): first label of a 5-class multilabel draw
        X, Y = datasets.make_multilabel_classification(n_samples=1200, n_features=15, n_classes=5, n_labels=1,
                                                       allow_unlabeled=False, random_state=7)
        y = Y.argmax(axis=1)
        task = "cls"
    elif name == "teacher":  # generated (fresh4): 4 classes from a random 2-layer tanh teacher net, 10% labels flipped
        r = np.random.default_rng(7)
        X = r.standard_normal((1200, 12))
        logits = np.tanh(X @ r.standard_normal((12, 16))) @ r.standard_normal((16, 4))
        y = logits.argmax(axis=1)
        flip = r.random(y.size) < 0.1
        y[flip] = r.integers(0, 4, int(flip.sum()))
        task = "cls"
    elif name == "checker":  # generated (fresh4): a 4x4 checkerboard on the unit square, 5% labels flipped
        r = np.random.default_rng(7)
        X = r.random((1200, 2))
        y = ((np.floor(4 * X[:, 0]) + np.floor(4 * X[:, 1])) % 2).astype(np.int64)
        flip = r.random(y.size) < 0.05
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sine":  # generated regression (fresh4): sin(3 x0) cos(2 x1) + x2^2 / 2 of 8 features, noise sd 0.1
        r = np.random.default_rng(7)
        X = r.uniform(-1.5, 1.5, (1000, 8))
        y = np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + 0.5 * X[:, 2] ** 2 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "low_rank":  # generated regression (fresh4): tanh of a linear target over low-rank features
        r = np.random.default_rng(7)
        X = datasets.make_low_rank_matrix(n_samples=1000, n_features=25, effective_rank=5, random_state=7)
        y = np.tanh(3 * (X / X.std()) @ r.standard_normal(25) / 5) + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "spirals":  # generated (fresh5): 3 interleaved spiral arms, radius noise
        r = np.random.default_rng(11)
        arm = r.integers(0, 3, 1200)
        t = r.uniform(0.25, 1.0, 1200)
        ang = 3.5 * math.pi * t + 2 * math.pi * arm / 3
        X = np.stack([t * np.cos(ang), t * np.sin(ang)], axis=1) + 0.04 * r.standard_normal((1200, 2))
        y = arm
        task = "cls"
    elif name == "parity":  # generated (fresh5): the sign product of 3 of 10 features, 5% labels flipped
        r = np.random.default_rng(11)
        X = r.standard_normal((1200, 10))
        y = (np.prod(np.sign(X[:, [1, 4, 7]]), axis=1) > 0).astype(np.int64)
        flip = r.random(y.size) < 0.05
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "rff":  # generated regression (fresh5): a random Fourier-feature function of 6 features
        r = np.random.default_rng(11)
        X = r.standard_normal((1000, 6))
        W, b = r.standard_normal((6, 40)) * 0.8, r.uniform(0, 2 * math.pi, 40)
        y = np.cos(X @ W + b) @ r.standard_normal(40) / math.sqrt(40) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "hetero_poly":  # generated regression (fresh5): a cubic of 5 features, noise growing with |x0|
        r = np.random.default_rng(11)
        X = r.uniform(-1, 1, (1000, 5))
        y = X[:, 0] ** 3 - X[:, 1] * X[:, 2] + 0.5 * X[:, 3] + (0.05 + 0.3 * np.abs(X[:, 0])) * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "gauss_xor":  # generated (fresh6): 4 Gaussian clusters in an XOR layout in 2 of 8 features
        r = np.random.default_rng(13)
        q = r.integers(0, 4, 1200)
        centres = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=np.float64)
        X = 0.45 * r.standard_normal((1200, 8))
        X[:, :2] += centres[q]
        y = (q >= 2).astype(np.int64)
        task = "cls"
    elif name == "angles":  # generated (fresh6): 5 classes by the angle of a noisy 2-D projection of 6 features
        r = np.random.default_rng(13)
        X = r.standard_normal((1200, 6))
        z = X @ r.standard_normal((6, 2)) + 0.3 * r.standard_normal((1200, 2))
        y = np.floor((np.arctan2(z[:, 1], z[:, 0]) + math.pi) / (2 * math.pi) * 5).astype(np.int64) % 5
        task = "cls"
    elif name == "sinc":  # generated regression (fresh6): sinc of the norm of 3 of 7 features, noise sd 0.05
        r = np.random.default_rng(13)
        X = r.uniform(-2, 2, (1000, 7))
        y = np.sinc(np.linalg.norm(X[:, :3], axis=1)) + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "steps":  # generated regression (fresh6): a sum of step functions of 4 features (discontinuous)
        r = np.random.default_rng(13)
        X = r.uniform(-1, 1, (1000, 9))
        y = (np.sign(X[:, 0]) + (X[:, 1] > 0.3) - 2 * (X[:, 2] < -0.5) + np.floor(2 * X[:, 3])
             + 0.1 * r.standard_normal(1000))
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "rings":  # generated (fresh7): 4 concentric noisy rings in 2 of 6 features
        r = np.random.default_rng(17)
        y = r.integers(0, 4, 1200)
        ang = r.uniform(0, 2 * math.pi, 1200)
        rad = 0.5 + 0.5 * y + 0.12 * r.standard_normal(1200)
        X = 0.5 * r.standard_normal((1200, 6))
        X[:, 0], X[:, 1] = rad * np.cos(ang), rad * np.sin(ang)
        task = "cls"
    elif name == "imbalanced":  # generated (fresh7): about 25% positives from a logistic teacher on 15 features
        r = np.random.default_rng(17)
        X = r.standard_normal((1200, 15))
        logit = X @ (r.standard_normal(15) * 0.8) - 3.0
        y = (r.random(1200) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
        task = "cls"
    elif name == "periodic":  # generated regression (fresh7): sin(2 x0) x1 + cos(3 x2) of 6 features, noise sd 0.1
        r = np.random.default_rng(17)
        X = r.uniform(-2, 2, (1000, 6))
        y = np.sin(2 * X[:, 0]) * X[:, 1] + np.cos(3 * X[:, 2]) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "outliers":  # generated regression (fresh7): a linear + quadratic target with Student-t(2) noise
        r = np.random.default_rng(17)
        X = r.standard_normal((1000, 10))
        y = X[:, :4] @ np.array([1.0, -0.5, 0.8, 0.3]) + 0.5 * X[:, 4] ** 2 + 0.3 * r.standard_t(2, 1000)
        y = (y - np.median(y)) / (1.4826 * np.median(np.abs(y - np.median(y))))
        task = "reg"
    elif name == "mixture8":  # generated (fresh8): 8 overlapping Gaussian classes in 10 dimensions
        r = np.random.default_rng(19)
        y = r.integers(0, 8, 1200)
        X = r.standard_normal((8, 10))[y] * 1.2 + r.standard_normal((1200, 10))
        task = "cls"
    elif name == "stripes":  # generated (fresh8): 3 classes in diagonal stripes of 2 of 5 features, 3% labels flipped
        r = np.random.default_rng(19)
        X = r.uniform(-1, 1, (1200, 5))
        y = (np.floor(3 * X[:, 0] + 2 * X[:, 1]) % 3).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = r.integers(0, 3, int(flip.sum()))
        task = "cls"
    elif name == "bumps":  # generated regression (fresh8): a sum of 6 Gaussian bumps over 4 of 8 features
        r = np.random.default_rng(19)
        X = r.uniform(-2, 2, (1000, 8))
        c = r.uniform(-1.5, 1.5, (6, 4))
        y = sum(w * np.exp(-np.sum((X[:, :4] - ci) ** 2, axis=1)) for w, ci in zip(r.uniform(-2, 2, 6), c))
        y = y + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "logistic_proj":  # generated regression (fresh8): a logistic function of a random projection, noise sd 0.05
        r = np.random.default_rng(19)
        X = r.standard_normal((1000, 12))
        y = 1.0 / (1.0 + np.exp(-2.0 * X @ r.standard_normal(12) / math.sqrt(12))) + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "shells":  # generated (fresh9): inside / outside a sphere of radius 1.4 in 3 of 7 features, 5% flipped
        r = np.random.default_rng(23)
        X = r.standard_normal((1200, 7))
        y = (np.linalg.norm(X[:, :3], axis=1) > 1.4).astype(np.int64)
        flip = r.random(y.size) < 0.05
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "far_blobs":  # generated (fresh9): 6 well-separated Gaussian classes in 4 dimensions (learnt to ~0)
        r = np.random.default_rng(23)
        y = r.integers(0, 6, 1200)
        X = 4.0 * r.standard_normal((6, 4))[y] + r.standard_normal((1200, 4))
        task = "cls"
    elif name == "sawtooth":  # generated regression (fresh9): a sawtooth of 2 x0 + x1 over 6 features, noise sd 0.05
        r = np.random.default_rng(23)
        X = r.uniform(-1, 1, (1000, 6))
        y = (2 * X[:, 0] + X[:, 1]) % 1.0 + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "sum_sines":  # generated regression (fresh9): sin(x0) + sin(3 x1) / 2 + sin(7 x2) / 4, noise sd 0.05
        r = np.random.default_rng(23)
        X = r.uniform(-2, 2, (1000, 8))
        y = np.sin(X[:, 0]) + np.sin(3 * X[:, 1]) / 2 + np.sin(7 * X[:, 2]) / 4 + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "checker3":  # generated (fresh10): parity of 3 of 8 features' 0.5-wide cells, 4% flipped
        r = np.random.default_rng(29)
        X = r.uniform(-1, 1, (1200, 8))
        y = (np.floor(2 * X[:, :3]).astype(np.int64).sum(axis=1) % 2).astype(np.int64)
        flip = r.random(y.size) < 0.04
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "quad_quantiles":  # generated (fresh10): 5 classes by quantile of |x|^2 / 3 + x0 x1 in 9 dimensions
        r = np.random.default_rng(29)
        X = r.standard_normal((1200, 9))
        q = np.sum(X[:, :4] ** 2, axis=1) / 3 + X[:, 0] * X[:, 1] + 0.2 * r.standard_normal(1200)
        y = np.searchsorted(np.quantile(q, [0.2, 0.4, 0.6, 0.8]), q).astype(np.int64)
        task = "cls"
    elif name == "triple_product":  # generated regression (fresh10): x0 x1 x2 + x3 / 2 of 7 features, noise sd 0.1
        r = np.random.default_rng(29)
        X = r.uniform(-1.5, 1.5, (1000, 7))
        y = X[:, 0] * X[:, 1] * X[:, 2] + 0.5 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "abs_noisy":  # generated regression (fresh10): |x0| + |x1| - |x2 + x3| of 10 features, noise sd 0.6
        r = np.random.default_rng(29)
        X = r.standard_normal((1000, 10))
        y = np.abs(X[:, 0]) + np.abs(X[:, 1]) - np.abs(X[:, 2] + X[:, 3]) + 0.6 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "nested3":  # generated (fresh11): 3 classes by radius (< 0.9, < 1.6, beyond) in 2 of 5 features
        r = np.random.default_rng(31)
        X = r.standard_normal((1200, 5))
        rad = np.linalg.norm(X[:, :2], axis=1) + 0.1 * r.standard_normal(1200)
        y = np.searchsorted([0.9, 1.6], rad).astype(np.int64)
        task = "cls"
    elif name == "margin":  # generated (fresh11): linearly separable in 20 dimensions with a margin (learnt to ~0)
        r = np.random.default_rng(31)
        w = r.standard_normal(20)
        X = r.standard_normal((1200, 20))
        m = X @ w / np.linalg.norm(w)
        X = X + np.outer(np.sign(m) * 0.5, w / np.linalg.norm(w))
        y = (m > 0).astype(np.int64)
        task = "cls"
    elif name == "rational":  # generated regression (fresh11): x0 / (1 + x1^2) + 0.3 x2 of 6 features, noise sd 0.05
        r = np.random.default_rng(31)
        X = r.uniform(-2, 2, (1000, 6))
        y = X[:, 0] / (1 + X[:, 1] ** 2) + 0.3 * X[:, 2] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "piecewise":  # generated regression (fresh11): relu(x0) - 2 relu(x1 - 0.5) + x2 [x3 > 0] / 2, noise sd 0.1
        r = np.random.default_rng(31)
        X = r.standard_normal((1000, 8))
        y = (np.maximum(0, X[:, 0]) - 2 * np.maximum(0, X[:, 1] - 0.5) + 0.5 * X[:, 2] * (X[:, 3] > 0)
             + 0.1 * r.standard_normal(1000))
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "ring_xor":  # generated (fresh12): XOR of (radius > 1.2) and (x0 x1 > 0) in 2 of 6 features, 3% flipped
        r = np.random.default_rng(37)
        X = r.standard_normal((1200, 6))
        y = ((np.linalg.norm(X[:, :2], axis=1) > 1.2) ^ (X[:, 0] * X[:, 1] > 0)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "ordinal4":  # generated (fresh12): 4 ordered classes by quartile of a noisy linear score in 10 dimensions
        r = np.random.default_rng(37)
        X = r.standard_normal((1200, 10))
        s_ = X @ r.standard_normal(10) / math.sqrt(10) + 0.4 * r.standard_normal(1200)
        y = np.searchsorted(np.quantile(s_, [0.25, 0.5, 0.75]), s_).astype(np.int64)
        task = "cls"
    elif name == "damped_cos":  # generated regression (fresh12): exp(-|x0|) cos(2 x1) + 0.2 x2^2 of 7 features, noise sd 0.1
        r = np.random.default_rng(37)
        X = r.uniform(-2, 2, (1000, 7))
        y = np.exp(-np.abs(X[:, 0])) * np.cos(2 * X[:, 1]) + 0.2 * X[:, 2] ** 2 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "pairwise":  # generated regression (fresh12): sum of the 6 pairwise products of 4 of 9 features / 2, noise sd 0.3
        r = np.random.default_rng(37)
        X = r.standard_normal((1000, 9))
        y = sum(X[:, i] * X[:, j] for i in range(4) for j in range(i + 1, 4)) / 2 + 0.3 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "majority5":  # generated (fresh13): majority of the signs of 5 of 12 features, 5% flipped
        r = np.random.default_rng(41)
        X = r.standard_normal((1200, 12))
        y = ((X[:, :5] > 0).sum(axis=1) >= 3).astype(np.int64)
        flip = r.random(y.size) < 0.05
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "norm_compare":  # generated (fresh13): is |x0..x2| larger than |x3..x5|? (8 features)
        r = np.random.default_rng(41)
        X = r.standard_normal((1200, 8))
        y = (np.linalg.norm(X[:, :3], axis=1) > np.linalg.norm(X[:, 3:6], axis=1)).astype(np.int64)
        task = "cls"
    elif name == "logsumexp":  # generated regression (fresh13): log(sum exp(x0..x3)) of 7 features, noise sd 0.1
        r = np.random.default_rng(41)
        X = r.uniform(-2, 2, (1000, 7))
        y = np.log(np.exp(X[:, :4]).sum(axis=1)) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "multiplicative":  # generated regression (fresh13): x0 exp(x1 / 2) + x2 x3 / 2 of 6 features, noise sd 0.2
        r = np.random.default_rng(41)
        X = r.standard_normal((1000, 6))
        y = X[:, 0] * np.exp(X[:, 1] / 2) + X[:, 2] * X[:, 3] / 2 + 0.2 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "diamond":  # generated (fresh14): inside the diamond |x0| + |x1| < 1.6, uniform on [-2, 2) in 2 of 6 features, 3% flipped
        r = np.random.default_rng(43)
        X = r.uniform(-2, 2, (1200, 6))
        y = (np.abs(X[:, 0]) + np.abs(X[:, 1]) < 1.6).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "argmax3":  # generated (fresh14): 3 classes, the largest of 3 random projections of 9 features, 5% relabelled at random
        r = np.random.default_rng(43)
        X = r.standard_normal((1200, 9))
        y = np.argmax(X @ r.standard_normal((9, 3)), axis=1).astype(np.int64)
        noisy = r.random(y.size) < 0.05
        y[noisy] = r.integers(0, 3, int(noisy.sum()))
        task = "cls"
    elif name == "ripple":  # generated regression (fresh14): sin(x0^2 + x1^2) / 2 + 0.3 x2 of 6 features, uniform on [-2, 2), noise sd 0.05
        r = np.random.default_rng(43)
        X = r.uniform(-2, 2, (1000, 6))
        y = np.sin(X[:, 0] ** 2 + X[:, 1] ** 2) / 2 + 0.3 * X[:, 2] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "staircase":  # generated regression (fresh14): floor(2 x0) / 2 + 0.5 x1 - 0.3 |x2| of 7 features, noise sd 0.1
        r = np.random.default_rng(43)
        X = r.standard_normal((1000, 7))
        y = np.floor(2 * X[:, 0]) / 2 + 0.5 * X[:, 1] - 0.3 * np.abs(X[:, 2]) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "annulus":  # generated (fresh15): radius of (x0, x1) between 0.8 and 1.5, in 7 features, 3% flipped
        r = np.random.default_rng(47)
        X = r.standard_normal((1200, 7))
        rad = np.linalg.norm(X[:, :2], axis=1)
        y = ((rad > 0.8) & (rad < 1.5)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "gated_sign":  # generated (fresh15): sign of x0 where |x1| < 0.7, else sign of x2, in 9 features, 3% flipped
        r = np.random.default_rng(47)
        X = r.standard_normal((1200, 9))
        y = np.where(np.abs(X[:, 1]) < 0.7, X[:, 0] > 0, X[:, 2] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "hinge_sum":  # generated regression (fresh15): sum of relu(x_i - 0.5) over 5 of 8 features, noise sd 0.2
        r = np.random.default_rng(47)
        X = r.standard_normal((1000, 8))
        y = np.maximum(X[:, :5] - 0.5, 0.0).sum(axis=1) + 0.2 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "gauss_bump":  # generated regression (fresh15): exp(-x0^2) x1 + 0.2 x2 of 6 features, uniform on [-2, 2), noise sd 0.05
        r = np.random.default_rng(47)
        X = r.uniform(-2, 2, (1000, 6))
        y = np.exp(-X[:, 0] ** 2) * X[:, 1] + 0.2 * X[:, 2] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "wedge":  # generated (fresh16): which third of the circle the angle of (x0, x1) is in, 8 features, 3% relabelled
        r = np.random.default_rng(53)
        X = r.standard_normal((1200, 8))
        y = (np.floor((np.arctan2(X[:, 1], X[:, 0]) + np.pi) / (2 * np.pi / 3)).astype(np.int64)).clip(0, 2)
        flip = r.random(y.size) < 0.03
        y[flip] = r.integers(0, 3, int(flip.sum()))
        task = "cls"
    elif name == "cone":  # generated (fresh16): x2 above |(x0, x1)| - 0.6, in 6 features, 3% flipped
        r = np.random.default_rng(53)
        X = r.standard_normal((1200, 6))
        y = (X[:, 2] > np.linalg.norm(X[:, :2], axis=1) - 0.6).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sin_product":  # generated regression (fresh16): sin(1.5 x0) cos(x1) + 0.3 x2 of 7 features, uniform on [-2, 2), noise sd 0.05
        r = np.random.default_rng(53)
        X = r.uniform(-2, 2, (1000, 7))
        y = np.sin(1.5 * X[:, 0]) * np.cos(X[:, 1]) + 0.3 * X[:, 2] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "log_ratio":  # generated regression (fresh16): log(1 + x0^2) - log(1 + x1^2) + 0.2 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(53)
        X = r.standard_normal((1000, 6))
        y = np.log1p(X[:, 0] ** 2) - np.log1p(X[:, 1] ** 2) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "ellipse":  # generated (fresh17): inside an ellipse x0^2 / 2 + 2 x1^2 < its median, in 6 features, 3% flipped
        r = np.random.default_rng(59)
        X = r.standard_normal((1200, 6))
        q = X[:, 0] ** 2 / 2 + 2 * X[:, 1] ** 2
        y = (q < np.median(q)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "diag_bands":  # generated (fresh17): parity of floor(x0 + x1), diagonal bands in 7 features, 3% flipped
        r = np.random.default_rng(59)
        X = r.standard_normal((1200, 7))
        y = (np.floor(X[:, 0] + X[:, 1]).astype(np.int64) % 2).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "tanh_product":  # generated regression (fresh17): tanh(x0 x1) + 0.3 x2 of 7 features, uniform on [-2, 2), noise sd 0.05
        r = np.random.default_rng(59)
        X = r.uniform(-2, 2, (1000, 7))
        y = np.tanh(X[:, 0] * X[:, 1]) + 0.3 * X[:, 2] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "root_abs":  # generated regression (fresh17): sqrt(|x0| + |x1|) + 0.2 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(59)
        X = r.standard_normal((1000, 6))
        y = np.sqrt(np.abs(X[:, 0]) + np.abs(X[:, 1])) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "triangle":  # generated (fresh18): inside the triangle (-1.5, -1), (1.5, -1), (0, 1.6) of (x0, x1), in 7 features, 3% flipped
        r = np.random.default_rng(61)
        X = r.standard_normal((1200, 7))
        x0, x1 = X[:, 0], X[:, 1]
        inside = (x1 > -1.0) & (x1 < 1.6 - 2.6 / 1.5 * np.abs(x0))
        y = inside.astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "band_xor":  # generated (fresh18): (x0 > 0) XOR (|x1| < 0.7), in 8 features, 3% flipped
        r = np.random.default_rng(61)
        X = r.standard_normal((1200, 8))
        y = ((X[:, 0] > 0) ^ (np.abs(X[:, 1]) < 0.7)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "cubic_mix":  # generated regression (fresh18): x0^3 / 3 - x0 x1 + 0.2 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(61)
        X = r.standard_normal((1000, 6))
        y = X[:, 0] ** 3 / 3 - X[:, 0] * X[:, 1] + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "softplus_diff":  # generated regression (fresh18): softplus(2 x0) - softplus(2 x1) + 0.2 x2 of 7 features, uniform on [-2, 2), noise sd 0.1
        r = np.random.default_rng(61)
        X = r.uniform(-2, 2, (1000, 7))
        y = np.logaddexp(0, 2 * X[:, 0]) - np.logaddexp(0, 2 * X[:, 1]) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "two_disks":  # generated (fresh19): inside either disk of radius 0.8 at (+-1, 0) of (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(67)
        X = r.standard_normal((1200, 6))
        d = np.minimum((X[:, 0] - 1) ** 2, (X[:, 0] + 1) ** 2) + X[:, 1] ** 2
        y = (d < 0.64).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "stripes3":  # generated (fresh19): three classes, floor(1.5 x0 + 0.5 x1) mod 3, in 7 features, 3% relabelled at random
        r = np.random.default_rng(67)
        X = r.standard_normal((1200, 7))
        y = (np.floor(1.5 * X[:, 0] + 0.5 * X[:, 1]).astype(np.int64) % 3).astype(np.int64)
        noisy = r.random(y.size) < 0.03
        y[noisy] = r.integers(0, 3, int(noisy.sum()))
        task = "cls"
    elif name == "sin_cos_mix":  # generated regression (fresh19): sin(x0) + cos(x1) x2 / 2 of 6 features, noise sd 0.1
        r = np.random.default_rng(67)
        X = r.standard_normal((1000, 6))
        y = np.sin(X[:, 0]) + 0.5 * np.cos(X[:, 1]) * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "abs_diff":  # generated regression (fresh19): |x0 - x1| - |x2| / 2 of 7 features, uniform on [-2, 2), noise sd 0.1
        r = np.random.default_rng(67)
        X = r.uniform(-2, 2, (1000, 7))
        y = np.abs(X[:, 0] - X[:, 1]) - 0.5 * np.abs(X[:, 2]) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "quad_ring":  # generated (fresh20): four classes, the quadrant of (x0, x1), turned by one inside the unit circle, in 6 features, 3% relabelled at random
        r = np.random.default_rng(71)
        X = r.standard_normal((1200, 6))
        q = (X[:, 0] < 0).astype(np.int64) * 2 + (X[:, 1] < 0).astype(np.int64)
        y = np.where(X[:, 0] ** 2 + X[:, 1] ** 2 < 1.0, (q + 1) % 4, q).astype(np.int64)
        noisy = r.random(y.size) < 0.03
        y[noisy] = r.integers(0, 4, int(noisy.sum()))
        task = "cls"
    elif name == "parabola":  # generated (fresh20): x1 > x0^2 - 1, in 6 features, 3% flipped
        r = np.random.default_rng(71)
        X = r.standard_normal((1200, 6))
        y = (X[:, 1] > X[:, 0] ** 2 - 1.0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "exp_sin":  # generated regression (fresh20): exp(-x0^2) sin(2 x1) + 0.2 x2 of 7 features, uniform on [-2, 2), noise sd 0.1
        r = np.random.default_rng(71)
        X = r.uniform(-2, 2, (1000, 7))
        y = np.exp(-X[:, 0] ** 2) * np.sin(2 * X[:, 1]) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "max_abs":  # generated regression (fresh20): max(|x0|, |x1|) + 0.3 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(71)
        X = r.standard_normal((1000, 6))
        y = np.maximum(np.abs(X[:, 0]), np.abs(X[:, 1])) + 0.3 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "spiral3":  # generated (fresh21): three spiral arms in (x0, x1) (r = 0.5 + turn), 7 features, 3% relabelled at random
        r = np.random.default_rng(73)
        n = 1200
        cls = r.integers(0, 3, n)
        turn = r.uniform(0.0, 1.5, n)
        ang = 2 * np.pi * (cls / 3 + turn / 2) + 0.25 * r.standard_normal(n)
        rad = 0.5 + turn
        X = r.standard_normal((n, 7))
        X[:, 0], X[:, 1] = rad * np.cos(ang), rad * np.sin(ang)
        y = cls.astype(np.int64)
        noisy = r.random(n) < 0.03
        y[noisy] = r.integers(0, 3, int(noisy.sum()))
        task = "cls"
    elif name == "plus_band":  # generated (fresh21): |x0| < 0.5 or |x1| < 0.5, a plus-shaped band, in 6 features, 3% flipped
        r = np.random.default_rng(73)
        X = r.standard_normal((1200, 6))
        y = ((np.abs(X[:, 0]) < 0.5) | (np.abs(X[:, 1]) < 0.5)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "tanh_radius":  # generated regression (fresh21): tanh(x0^2 + x1^2 - 2) + 0.2 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(73)
        X = r.standard_normal((1000, 6))
        y = np.tanh(X[:, 0] ** 2 + X[:, 1] ** 2 - 2.0) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "prod3":  # generated regression (fresh21): x0 x1 x2 / 2 + 0.3 x3 of 7 features, uniform on [-2, 2), noise sd 0.1
        r = np.random.default_rng(73)
        X = r.uniform(-2, 2, (1000, 7))
        y = X[:, 0] * X[:, 1] * X[:, 2] / 2 + 0.3 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "checker3x3":  # generated (fresh23): a 3 x 3 checkerboard in (x0, x1) on [-1.5, 1.5), 6 features, 3% flipped
        # (written for fresh22 under the name "checker3", which fresh10's branch above already
        # answered: never reached, so fresh22's checker3 tasks ran on fresh10's data; first used in fresh23)
        r = np.random.default_rng(79)
        X = r.standard_normal((1200, 6))
        X[:, :2] = r.uniform(-1.5, 1.5, (1200, 2))
        y = ((np.floor(X[:, 0] + 1.5) + np.floor(X[:, 1] + 1.5)) % 2).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "lens":  # generated (fresh23): inside both discs of radius 1.2 about (+-0.6, 0) in (x0, x1), 6 features, 3% flipped
        r = np.random.default_rng(83)
        X = r.standard_normal((1200, 6))
        y = ((np.hypot(X[:, 0] - 0.6, X[:, 1]) < 1.2) & (np.hypot(X[:, 0] + 0.6, X[:, 1]) < 1.2)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "atan_mix":  # generated regression (fresh23): arctan(2 x0) x1 + 0.3 x2^2 of 7 features, noise sd 0.1
        r = np.random.default_rng(83)
        X = r.standard_normal((1000, 7))
        y = np.arctan(2 * X[:, 0]) * X[:, 1] + 0.3 * X[:, 2] ** 2 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "gauss_dip":  # generated regression (fresh23): a bump at 0 minus half a bump at (1, -1), + 0.2 x2, 6 features uniform on [-2, 2), noise sd 0.1
        r = np.random.default_rng(83)
        X = r.uniform(-2, 2, (1000, 6))
        y = (np.exp(-(X[:, 0] ** 2 + X[:, 1] ** 2)) - 0.5 * np.exp(-((X[:, 0] - 1) ** 2 + (X[:, 1] + 1) ** 2))
             + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000))
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "cubic_bound":  # generated (fresh26): x0^3 - 2 x1 + 0.5 x2 x3 > 0, a cubic boundary, in 6 features, 3% flipped
        r = np.random.default_rng(101)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] ** 3 - 2.0 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "ratio3":  # generated (fresh26): three classes by t = x0 / (1 + |x1|) below -0.4, within 0.4, above, in 6 features, 3% relabelled at random
        r = np.random.default_rng(101)
        X = r.standard_normal((1200, 6))
        t = X[:, 0] / (1.0 + np.abs(X[:, 1]))
        y = np.digitize(t, [-0.4, 0.4]).astype(np.int64)
        noisy = r.random(y.size) < 0.03
        y[noisy] = r.integers(0, 3, int(noisy.sum()))
        task = "cls"
    elif name == "sign_quad":  # generated regression (fresh26): sign(x0) x1^2 - 0.3 x2 + 0.2 x3 of 6 features, noise sd 0.1
        r = np.random.default_rng(101)
        X = r.standard_normal((1000, 6))
        y = np.sign(X[:, 0]) * X[:, 1] ** 2 - 0.3 * X[:, 2] + 0.2 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "sqrt_prod":  # generated regression (fresh26): sqrt(|x0 x1|) sign(x2) + 0.2 x3 of 7 features, noise sd 0.1
        r = np.random.default_rng(101)
        X = r.standard_normal((1000, 7))
        y = np.sqrt(np.abs(X[:, 0] * X[:, 1])) * np.sign(X[:, 2]) + 0.2 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "rose3":  # generated (fresh27): inside a three-petal rose |(x0, x1)| < 1.6 |cos(3 angle)|, in 6 features, 3% flipped
        r = np.random.default_rng(103)
        X = r.standard_normal((1200, 6))
        rad, ang = np.hypot(X[:, 0], X[:, 1]), np.arctan2(X[:, 1], X[:, 0])
        y = (rad < 1.6 * np.abs(np.cos(3.0 * ang))).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "apollonius3":  # generated (fresh27): three classes by t = log(d1 / d2), the distances of (x0, x1) to (-1, 0) and (1, 0), below -0.35, within 0.35, above (circles of Apollonius), in 6 features, 3% relabelled at random
        r = np.random.default_rng(103)
        X = r.standard_normal((1200, 6))
        t = np.log(np.hypot(X[:, 0] + 1.0, X[:, 1]) / np.hypot(X[:, 0] - 1.0, X[:, 1]))
        y = np.digitize(t, [-0.35, 0.35]).astype(np.int64)
        noisy = r.random(y.size) < 0.03
        y[noisy] = r.integers(0, 3, int(noisy.sum()))
        task = "cls"
    elif name == "log_abs_sum":  # generated regression (fresh27): log(0.1 + |x0 + x1|) - 0.3 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(103)
        X = r.standard_normal((1000, 6))
        y = np.log(0.1 + np.abs(X[:, 0] + X[:, 1])) - 0.3 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "min_max_pair":  # generated regression (fresh27): min(x0, x1) + max(x2, x3) / 2 of 7 features, noise sd 0.1
        r = np.random.default_rng(103)
        X = r.standard_normal((1000, 7))
        y = np.minimum(X[:, 0], X[:, 1]) + 0.5 * np.maximum(X[:, 2], X[:, 3]) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "hyperbola_band":  # generated (fresh28): |x0^2 - x1^2| < 0.8, the band between four hyperbola branches, in 6 features, 3% flipped
        r = np.random.default_rng(107)
        X = r.standard_normal((1200, 6))
        y = (np.abs(X[:, 0] ** 2 - X[:, 1] ** 2) < 0.8).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "pair_compare4":  # generated (fresh28): four classes, (x0 > x1) + 2 (x2 > x3), in 7 features, 3% relabelled at random
        r = np.random.default_rng(107)
        X = r.standard_normal((1200, 7))
        y = ((X[:, 0] > X[:, 1]).astype(np.int64) + 2 * (X[:, 2] > X[:, 3]).astype(np.int64))
        noisy = r.random(y.size) < 0.03
        y[noisy] = r.integers(0, 4, int(noisy.sum()))
        task = "cls"
    elif name == "gaussian_ridge":  # generated regression (fresh28): exp(-(x0 - x1^2)^2) + 0.2 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(107)
        X = r.standard_normal((1000, 6))
        y = np.exp(-((X[:, 0] - X[:, 1] ** 2) ** 2)) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "clip_linear":  # generated regression (fresh28): clip(x0 + x1, -1, 1) - clip(x2, 0, 1) / 2 of 7 features, noise sd 0.1
        r = np.random.default_rng(107)
        X = r.standard_normal((1000, 7))
        y = np.clip(X[:, 0] + X[:, 1], -1.0, 1.0) - 0.5 * np.clip(X[:, 2], 0.0, 1.0) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "five_lobes":  # generated (fresh38): inside r < 1.2 + 0.4 sin(5 angle) of (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(163)
        X = r.standard_normal((1200, 6))
        y = (np.hypot(X[:, 0], X[:, 1]) < 1.2 + 0.4 * np.sin(5.0 * np.arctan2(X[:, 1], X[:, 0]))).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "cube_vs_pair":  # generated (fresh38): is x0^3 + x1^3 above x2 x3? (7 features, 3% flipped)
        r = np.random.default_rng(163)
        X = r.standard_normal((1200, 7))
        y = (X[:, 0] ** 3 + X[:, 1] ** 3 > X[:, 2] * X[:, 3]).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "atan_ridge":  # generated regression (fresh38): atan(2 x0 - x1) + 0.3 x2^2 of 6 features, noise sd 0.05
        r = np.random.default_rng(163)
        X = r.standard_normal((1000, 6))
        y = np.arctan(2.0 * X[:, 0] - X[:, 1]) + 0.3 * X[:, 2] ** 2 + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "exp_cos_decay":  # generated regression (fresh38): exp(-|x0|) cos(2 x1) + 0.25 x2 of 7 features, noise sd 0.1
        r = np.random.default_rng(163)
        X = r.standard_normal((1000, 7))
        y = np.exp(-np.abs(X[:, 0])) * np.cos(2.0 * X[:, 1]) + 0.25 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "rose_petals":  # generated (fresh40): inside the rose r < 2 |cos(2 angle)| of (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(173)
        X = r.standard_normal((1200, 6))
        y = (np.hypot(X[:, 0], X[:, 1]) < 2.0 * np.abs(np.cos(2.0 * np.arctan2(X[:, 1], X[:, 0])))).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "det_sign":  # generated (fresh40): the sign of x0 x3 - x1 x2 (6 features, 3% flipped)
        r = np.random.default_rng(173)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] * X[:, 3] - X[:, 1] * X[:, 2] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "softplus_gap":  # generated regression (fresh40): softplus(2 x0) - softplus(2 x1) + 0.3 sin(x2 x3) of 6 features, noise sd 0.05
        r = np.random.default_rng(173)
        X = r.standard_normal((1000, 6))
        y = (np.logaddexp(0.0, 2.0 * X[:, 0]) - np.logaddexp(0.0, 2.0 * X[:, 1]) + 0.3 * np.sin(X[:, 2] * X[:, 3])
             + 0.05 * r.standard_normal(1000))
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "erf_blend":  # generated regression (fresh40): erf(x0) x1 + 0.2 x2^2 of 7 features, noise sd 0.1
        from scipy.special import erf

        r = np.random.default_rng(173)
        X = r.standard_normal((1000, 7))
        y = erf(X[:, 0]) * X[:, 1] + 0.2 * X[:, 2] ** 2 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "wedge_ring_xor":  # generated (fresh44): (0.7 < r < 1.5) XOR (cos(2 angle) > 0) of (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(185)
        X = r.standard_normal((1200, 6))
        rad, angle = np.hypot(X[:, 0], X[:, 1]), np.arctan2(X[:, 1], X[:, 0])
        y = (((rad > 0.7) & (rad < 1.5)) != (np.cos(2.0 * angle) > 0)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sinh_gap_sign":  # generated (fresh44): the sign of sinh(x0) - 1.5 x1 + 0.4 (x2^2 - 1) (6 features, 3% flipped)
        r = np.random.default_rng(185)
        X = r.standard_normal((1200, 6))
        y = (np.sinh(X[:, 0]) - 1.5 * X[:, 1] + 0.4 * (X[:, 2] ** 2 - 1.0) > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "atan_times_sq":  # generated regression (fresh44): atan(2 x0) x1 + 0.3 x2^2 of 6 features, noise sd 0.1
        r = np.random.default_rng(185)
        X = r.standard_normal((1000, 6))
        y = np.arctan(2.0 * X[:, 0]) * X[:, 1] + 0.3 * X[:, 2] ** 2 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "exp_abs_gap":  # generated regression (fresh44): exp(-|x0|) - exp(-|x1|) + 0.3 x2 cos(x3) of 7 features, noise sd 0.05
        r = np.random.default_rng(185)
        X = r.standard_normal((1000, 7))
        y = np.exp(-np.abs(X[:, 0])) - np.exp(-np.abs(X[:, 1])) + 0.3 * X[:, 2] * np.cos(X[:, 3]) + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "astroid_in":  # generated (fresh46): inside the astroid |x0|^(2/3) + |x1|^(2/3) < 1.6, in 6 features, 3% flipped
        r = np.random.default_rng(189)
        X = r.standard_normal((1200, 6))
        y = (np.abs(X[:, 0]) ** (2 / 3) + np.abs(X[:, 1]) ** (2 / 3) < 1.6).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sin_sum_sign":  # generated (fresh46): the sign of sin(2 x0) + sin(2 x1) + 0.4 x2 (6 features, 3% flipped)
        r = np.random.default_rng(189)
        X = r.standard_normal((1200, 6))
        y = (np.sin(2 * X[:, 0]) + np.sin(2 * X[:, 1]) + 0.4 * X[:, 2] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "asinh_cross":  # generated regression (fresh46): asinh(2 x0) x1 + 0.25 x2^3 of 6 features, noise sd 0.1
        r = np.random.default_rng(189)
        X = r.standard_normal((1000, 6))
        y = np.arcsinh(2 * X[:, 0]) * X[:, 1] + 0.25 * X[:, 2] ** 3 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "rbf_pair_gap":  # generated regression (fresh46): exp(-(x0 - 1)^2) - exp(-(x1 + 1)^2) + 0.3 x2 x3 of 7 features, noise sd 0.05
        r = np.random.default_rng(189)
        X = r.standard_normal((1000, 7))
        y = np.exp(-(X[:, 0] - 1) ** 2) - np.exp(-(X[:, 1] + 1) ** 2) + 0.3 * X[:, 2] * X[:, 3] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "star5_in":  # generated (fresh47): inside the star r < 1.1 + 0.5 cos(5 theta) of (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(191)
        X = r.standard_normal((1200, 6))
        y = (np.hypot(X[:, 0], X[:, 1]) < 1.1 + 0.5 * np.cos(5 * np.arctan2(X[:, 1], X[:, 0]))).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "damped_x_sign":  # generated (fresh47): the sign of x0 exp(-x1^2 / 2) + 0.3 sin(3 x2) (6 features, 3% flipped)
        r = np.random.default_rng(191)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] * np.exp(-X[:, 1] ** 2 / 2) + 0.3 * np.sin(3 * X[:, 2]) > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "atan_prod_cube":  # generated regression (fresh47): arctan(x0 x1) + 0.2 x2^3 - 0.3 x3 of 6 features, noise sd 0.1
        r = np.random.default_rng(191)
        X = r.standard_normal((1000, 6))
        y = np.arctan(X[:, 0] * X[:, 1]) + 0.2 * X[:, 2] ** 3 - 0.3 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "sigmoid_wave":  # generated regression (fresh47): sigmoid(3 x0) sin(2 x1) + 0.3 x2 x3 of 7 features, noise sd 0.05
        r = np.random.default_rng(191)
        X = r.standard_normal((1000, 7))
        y = np.sin(2 * X[:, 1]) / (1 + np.exp(-3 * X[:, 0])) + 0.3 * X[:, 2] * X[:, 3] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "wobble_ring_in":  # generated (fresh48): r < 1.18 + 0.35 sin(3 theta) + 0.15 cos(7 theta) of (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(193)
        X = r.standard_normal((1200, 6))
        theta = np.arctan2(X[:, 1], X[:, 0])
        y = (np.hypot(X[:, 0], X[:, 1]) < 1.18 + 0.35 * np.sin(3 * theta) + 0.15 * np.cos(7 * theta)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "cubic_tanh_sign":  # generated (fresh48): the sign of x0^3 - 1.5 x0 + tanh(2 x1) + 0.4 x2 x3 (6 features, 3% flipped)
        r = np.random.default_rng(193)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] ** 3 - 1.5 * X[:, 0] + np.tanh(2 * X[:, 1]) + 0.4 * X[:, 2] * X[:, 3] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "gauss_cross":  # generated regression (fresh48): exp(-x0^2) x1 + 0.3 tanh(x2 x3) + 0.2 x4 of 6 features, noise sd 0.1
        r = np.random.default_rng(193)
        X = r.standard_normal((1000, 6))
        y = np.exp(-X[:, 0] ** 2) * X[:, 1] + 0.3 * np.tanh(X[:, 2] * X[:, 3]) + 0.2 * X[:, 4] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "soft_abs_sin":  # generated regression (fresh48): sqrt(1 + x0^2) sin(x1) - 0.25 x2 |x3| of 7 features, noise sd 0.05
        r = np.random.default_rng(193)
        X = r.standard_normal((1000, 7))
        y = np.sqrt(1 + X[:, 0] ** 2) * np.sin(X[:, 1]) - 0.25 * X[:, 2] * np.abs(X[:, 3]) + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "egg_in":  # generated (fresh49): x0^2 / 1.7 + x1^2 exp(0.35 x0) < 1.2, in 6 features, 3% flipped
        r = np.random.default_rng(197)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] ** 2 / 1.7 + X[:, 1] ** 2 * np.exp(0.35 * X[:, 0]) < 1.2).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "asinh_parab_sign":  # generated (fresh49): the sign of asinh(2 x0) - x1^2 + 0.8 + 0.3 sin(2 x2) x3 (6 features, 3% flipped)
        r = np.random.default_rng(197)
        X = r.standard_normal((1200, 6))
        y = (np.arcsinh(2 * X[:, 0]) - X[:, 1] ** 2 + 0.8 + 0.3 * np.sin(2 * X[:, 2]) * X[:, 3] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "tanh_parab_bump":  # generated regression (fresh49): tanh(x0 - x1^2 / 2) + 0.3 exp(-x2^2) x3 + 0.15 x4 of 6 features, noise sd 0.1
        r = np.random.default_rng(197)
        X = r.standard_normal((1000, 6))
        y = np.tanh(X[:, 0] - X[:, 1] ** 2 / 2) + 0.3 * np.exp(-X[:, 2] ** 2) * X[:, 3] + 0.15 * X[:, 4] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "cos_abs_ratio":  # generated regression (fresh49): cos(1.5 x0) |x1| / (1 + 0.5 |x2|) + 0.2 x3 of 7 features, noise sd 0.05
        r = np.random.default_rng(197)
        X = r.standard_normal((1000, 7))
        y = np.cos(1.5 * X[:, 0]) * np.abs(X[:, 1]) / (1 + 0.5 * np.abs(X[:, 2])) + 0.2 * X[:, 3] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "teardrop_in":  # generated (fresh50): x1^2 < 0.4 (1.4 - x0) (x0 + 1.2)^2, in 6 features, 3% flipped
        r = np.random.default_rng(199)
        X = r.standard_normal((1200, 6))
        y = (X[:, 1] ** 2 < 0.4 * (1.4 - X[:, 0]) * (X[:, 0] + 1.2) ** 2).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sine_sqabs_sign":  # generated (fresh50): the sign of sin(1.5 x0) + 0.5 x1 |x1| - 0.3 x2 + 0.25 tanh(x3 x4) (6 features, 3% flipped)
        r = np.random.default_rng(199)
        X = r.standard_normal((1200, 6))
        y = (np.sin(1.5 * X[:, 0]) + 0.5 * X[:, 1] * np.abs(X[:, 1]) - 0.3 * X[:, 2] + 0.25 * np.tanh(X[:, 3] * X[:, 4]) > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "softplus_cos":  # generated regression (fresh50): softplus(x0) cos(x1) + 0.25 x2 x3 of 6 features, noise sd 0.1
        r = np.random.default_rng(199)
        X = r.standard_normal((1000, 6))
        y = np.logaddexp(0.0, X[:, 0]) * np.cos(X[:, 1]) + 0.25 * X[:, 2] * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "gauss_ridge_sin":  # generated regression (fresh50): x0 exp(-(x1 - 0.5 x2)^2) + 0.3 sin(2 x3) + 0.1 x4 of 7 features, noise sd 0.05
        r = np.random.default_rng(199)
        X = r.standard_normal((1000, 7))
        y = X[:, 0] * np.exp(-(X[:, 1] - 0.5 * X[:, 2]) ** 2) + 0.3 * np.sin(2 * X[:, 3]) + 0.1 * X[:, 4] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "peanut_in":  # generated (fresh51): x1^2 < 0.5 (x0^2 + 0.3) (2.5 - x0^2), in 6 features, 3% flipped
        r = np.random.default_rng(211)
        X = r.standard_normal((1200, 6))
        y = (X[:, 1] ** 2 < 0.5 * (X[:, 0] ** 2 + 0.3) * (2.5 - X[:, 0] ** 2)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "xcos_atan_sign":  # generated (fresh51): the sign of x0 cos(x1) + 0.4 arctan(2 x2) - 0.3 x3 x4 (6 features, 3% flipped)
        r = np.random.default_rng(211)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] * np.cos(X[:, 1]) + 0.4 * np.arctan(2 * X[:, 2]) - 0.3 * X[:, 3] * X[:, 4] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "atan_parab_cos":  # generated regression (fresh51): arctan(x0^2 - x1) + 0.3 cos(2 x2) x3 of 6 features, noise sd 0.1
        r = np.random.default_rng(211)
        X = r.standard_normal((1000, 6))
        y = np.arctan(X[:, 0] ** 2 - X[:, 1]) + 0.3 * np.cos(2 * X[:, 2]) * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "prod_gauss_sinsum":  # generated regression (fresh51): x0 x1 exp(-0.3 x2^2) + 0.4 sin(x3 + x4) + 0.1 x5 of 7 features, noise sd 0.05
        r = np.random.default_rng(211)
        X = r.standard_normal((1000, 7))
        y = X[:, 0] * X[:, 1] * np.exp(-0.3 * X[:, 2] ** 2) + 0.4 * np.sin(X[:, 3] + X[:, 4]) + 0.1 * X[:, 5] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "bowtie_in":  # generated (fresh52): |x1| < 0.3 + 0.8 |x0| and |x0| < 1.7, in 6 features, 3% flipped
        r = np.random.default_rng(223)
        X = r.standard_normal((1200, 6))
        y = ((np.abs(X[:, 1]) < 0.3 + 0.8 * np.abs(X[:, 0])) & (np.abs(X[:, 0]) < 1.7)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "tanh_sq_sin_sign":  # generated (fresh52): the sign of tanh(2 x0) x1^2 + 0.5 sin(x2 - x3) - 0.3 x4 (6 features, 3% flipped)
        r = np.random.default_rng(223)
        X = r.standard_normal((1200, 6))
        y = (np.tanh(2 * X[:, 0]) * X[:, 1] ** 2 + 0.5 * np.sin(X[:, 2] - X[:, 3]) - 0.3 * X[:, 4] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sin_parab_tanhsum":  # generated regression (fresh52): sin(x0 + 0.5 x1^2) + 0.3 tanh(x2 + x3) x4 of 6 features, noise sd 0.1
        r = np.random.default_rng(223)
        X = r.standard_normal((1000, 6))
        y = np.sin(X[:, 0] + 0.5 * X[:, 1] ** 2) + 0.3 * np.tanh(X[:, 2] + X[:, 3]) * X[:, 4] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "cos_diff_atan":  # generated regression (fresh52): cos(x0 - x1) x2 + 0.4 arctan(x3 x4) + 0.1 x5 of 7 features, noise sd 0.05
        r = np.random.default_rng(223)
        X = r.standard_normal((1000, 7))
        y = np.cos(X[:, 0] - X[:, 1]) * X[:, 2] + 0.4 * np.arctan(X[:, 3] * X[:, 4]) + 0.1 * X[:, 5] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "horseshoe_in":  # generated (fresh53): 0.4 < r < 2.2 and |angle| < 0.58 pi of (x0, x1), an annulus sector, in 6 features, 3% flipped
        r = np.random.default_rng(227)
        X = r.standard_normal((1200, 6))
        rad, ang = np.hypot(X[:, 0], X[:, 1]), np.arctan2(X[:, 1], X[:, 0])
        y = ((rad > 0.4) & (rad < 2.2) & (np.abs(ang) < 0.58 * np.pi)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "wavy_prod_sign":  # generated (fresh53): the sign of (x0 + 0.5 sin(2 x1)) (x2 + 0.3 x3^2 - 0.3) (6 features, 3% flipped)
        r = np.random.default_rng(227)
        X = r.standard_normal((1200, 6))
        y = ((X[:, 0] + 0.5 * np.sin(2 * X[:, 1])) * (X[:, 2] + 0.3 * X[:, 3] ** 2 - 0.3) > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sinh_clip_gauss_abs":  # generated regression (fresh53): 0.5 sinh(clip(x0, -1.5, 1.5)) + exp(-(x1 - x2)^2 / 2) + 0.3 |x3| - 0.1 x4 of 6 features, noise sd 0.1
        r = np.random.default_rng(227)
        X = r.standard_normal((1000, 6))
        y = (0.5 * np.sinh(np.clip(X[:, 0], -1.5, 1.5)) + np.exp(-0.5 * (X[:, 1] - X[:, 2]) ** 2) + 0.3 * np.abs(X[:, 3])
             - 0.1 * X[:, 4] + 0.1 * r.standard_normal(1000))
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "log1p_cos_lorentz":  # generated regression (fresh53): log1p(|x0|) cos(x1) + 0.3 x2 / (1 + x3^2) + 0.1 x4 of 7 features, noise sd 0.05
        r = np.random.default_rng(227)
        X = r.standard_normal((1000, 7))
        y = np.log1p(np.abs(X[:, 0])) * np.cos(X[:, 1]) + 0.3 * X[:, 2] / (1.0 + X[:, 3] ** 2) + 0.1 * X[:, 4] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "chevron_in":  # generated (fresh54): |x1 - 0.5 |x0| + 0.1| < 0.7 of (x0, x1), inside a chevron (a V-shaped band), in 6 features, 3% flipped
        r = np.random.default_rng(229)
        X = r.standard_normal((1200, 6))
        y = (np.abs(X[:, 1] - 0.5 * np.abs(X[:, 0]) + 0.1) < 0.7).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sin_bilin_cross_sign":  # generated (fresh54): the sign of sin(1.5 x0 x1) + 0.5 (x2 - x3) x4 (6 features, 3% flipped)
        r = np.random.default_rng(229)
        X = r.standard_normal((1200, 6))
        y = (np.sin(1.5 * X[:, 0] * X[:, 1]) + 0.5 * (X[:, 2] - X[:, 3]) * X[:, 4] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "cbrt_sum_sincos":  # generated regression (fresh54): cbrt(x0 + x1) + 0.4 sin(x2) cos(x3) - 0.2 x4 of 6 features, noise sd 0.1
        r = np.random.default_rng(229)
        X = r.standard_normal((1000, 6))
        y = np.cbrt(X[:, 0] + X[:, 1]) + 0.4 * np.sin(X[:, 2]) * np.cos(X[:, 3]) - 0.2 * X[:, 4] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "x_hypot_absgap":  # generated regression (fresh54): x0 sqrt(1 + x1^2 / 4) - 0.3 |x2 - x3| + 0.1 x4 of 7 features, noise sd 0.05
        r = np.random.default_rng(229)
        X = r.standard_normal((1000, 7))
        y = X[:, 0] * np.sqrt(1.0 + 0.25 * X[:, 1] ** 2) - 0.3 * np.abs(X[:, 2] - X[:, 3]) + 0.1 * X[:, 4] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "clover_in":  # generated (fresh45): inside the four-leaf clover (x0^2 + x1^2)^2 < 2.2 |x0^2 - x1^2|, in 6 features, 3% flipped
        r = np.random.default_rng(187)
        X = r.standard_normal((1200, 6))
        y = ((X[:, 0] ** 2 + X[:, 1] ** 2) ** 2 < 2.2 * np.abs(X[:, 0] ** 2 - X[:, 1] ** 2)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "cosh_gap_sign":  # generated (fresh45): the sign of cosh(x0) - cosh(x1) + 0.5 x2 (6 features, 3% flipped)
        r = np.random.default_rng(187)
        X = r.standard_normal((1200, 6))
        y = (np.cosh(X[:, 0]) - np.cosh(X[:, 1]) + 0.5 * X[:, 2] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "tanh_cross_cube":  # generated regression (fresh45): tanh(x0 x1) + 0.2 x2 |x2| of 6 features, noise sd 0.1
        r = np.random.default_rng(187)
        X = r.standard_normal((1000, 6))
        y = np.tanh(X[:, 0] * X[:, 1]) + 0.2 * X[:, 2] * np.abs(X[:, 2]) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "log1p_sq_gap":  # generated regression (fresh45): log1p(x0^2) - log1p(x1^2) + 0.3 sin(x2) x3 of 7 features, noise sd 0.05
        r = np.random.default_rng(187)
        X = r.standard_normal((1000, 7))
        y = np.log1p(X[:, 0] ** 2) - np.log1p(X[:, 1] ** 2) + 0.3 * np.sin(X[:, 2]) * X[:, 3] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "spiral_arms":  # generated (fresh43): the sign of sin(angle + 0.8 r) of (x0, x1), a one-armed spiral, in 6 features, 3% flipped
        r = np.random.default_rng(183)
        X = r.standard_normal((1200, 6))
        angle = np.arctan2(X[:, 1], X[:, 0])
        y = (np.sin(angle + 0.8 * np.hypot(X[:, 0], X[:, 1])) > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "cubic_sum_sign":  # generated (fresh43): the sign of x0^3 + x1^3 - 1.5 x2 (6 features, 3% flipped)
        r = np.random.default_rng(183)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] ** 3 + X[:, 1] ** 3 - 1.5 * X[:, 2] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "cos_prod_sq":  # generated regression (fresh43): cos(x0) cos(x1) + 0.3 x2^2 of 6 features, noise sd 0.1
        r = np.random.default_rng(183)
        X = r.standard_normal((1000, 6))
        y = np.cos(X[:, 0]) * np.cos(X[:, 1]) + 0.3 * X[:, 2] ** 2 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "softplus_sin":  # generated regression (fresh43): softplus(2 x0) - softplus(2 x1) + 0.25 x2 sin(x3) of 7 features, noise sd 0.05
        r = np.random.default_rng(183)
        X = r.standard_normal((1000, 7))
        y = np.logaddexp(0.0, 2.0 * X[:, 0]) - np.logaddexp(0.0, 2.0 * X[:, 1]) + 0.25 * X[:, 2] * np.sin(X[:, 3]) + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "trefoil_in":  # generated (fresh42): (x0, x1) inside the three-lobed r < 1.2 (1 + 0.4 cos(3 angle)), in 6 features, 3% flipped
        r = np.random.default_rng(181)
        X = r.standard_normal((1200, 6))
        angle = np.arctan2(X[:, 1], X[:, 0])
        y = (np.hypot(X[:, 0], X[:, 1]) < 1.2 * (1.0 + 0.4 * np.cos(3.0 * angle))).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "quad_form_sign":  # generated (fresh42): the sign of x0^2 - x1^2 + x2 x3 (6 features, 3% flipped)
        r = np.random.default_rng(181)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] ** 2 - X[:, 1] ** 2 + X[:, 2] * X[:, 3] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "log_ratio_tanh":  # generated regression (fresh42): log(1 + x0^2) - log(1 + x1^2) + 0.3 x2 tanh(2 x3) of 7 features, noise sd 0.05
        r = np.random.default_rng(181)
        X = r.standard_normal((1000, 7))
        y = np.log1p(X[:, 0] ** 2) - np.log1p(X[:, 1] ** 2) + 0.3 * X[:, 2] * np.tanh(2.0 * X[:, 3]) + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "sinc_gate":  # generated regression (fresh42): sin(2 x0) exp(-x1^2 / 2) + 0.2 x2 x3 of 6 features, noise sd 0.1
        r = np.random.default_rng(181)
        X = r.standard_normal((1000, 6))
        y = np.sin(2.0 * X[:, 0]) * np.exp(-0.5 * X[:, 1] ** 2) + 0.2 * X[:, 2] * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "heart_curve":  # generated (fresh41): (x0, x1) / 1.1 inside the heart (x^2 + y^2 - 1)^3 < x^2 y^3, in 6 features, 3% flipped
        r = np.random.default_rng(179)
        X = r.standard_normal((1200, 6))
        u, v = X[:, 0] / 1.1, X[:, 1] / 1.1
        y = ((u * u + v * v - 1.0) ** 3 < u * u * v ** 3).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "prod3_sign":  # generated (fresh41): the sign of x0 x1 x2 + 0.3 x3 (6 features, 3% flipped)
        r = np.random.default_rng(179)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] * X[:, 1] * X[:, 2] + 0.3 * X[:, 3] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "bump_absprod":  # generated regression (fresh41): 2 exp(-(x0^2 + x1^2) / 2) - 0.5 x2 |x3| of 7 features, noise sd 0.05
        r = np.random.default_rng(179)
        X = r.standard_normal((1000, 7))
        y = 2.0 * np.exp(-0.5 * (X[:, 0] ** 2 + X[:, 1] ** 2)) - 0.5 * X[:, 2] * np.abs(X[:, 3]) + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "atan_damped":  # generated regression (fresh41): arctan(2 x0 / (1 + x1^2)) + 0.25 x2 x3 of 6 features, noise sd 0.1
        r = np.random.default_rng(179)
        X = r.standard_normal((1000, 6))
        y = np.arctan(2.0 * X[:, 0] / (1.0 + X[:, 1] ** 2)) + 0.25 * X[:, 2] * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "spiral_arm":  # generated (fresh39): sin(3 r - angle) > 0 of (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(167)
        X = r.standard_normal((1200, 6))
        y = (np.sin(3.0 * np.hypot(X[:, 0], X[:, 1]) - np.arctan2(X[:, 1], X[:, 0])) > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "quartic_gap":  # generated (fresh39): is x0^4 - x1^2 above x2? (7 features, 3% flipped)
        r = np.random.default_rng(167)
        X = r.standard_normal((1200, 7))
        y = (X[:, 0] ** 4 - X[:, 1] ** 2 > X[:, 2]).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "tanh_prod_sin":  # generated regression (fresh39): tanh(x0 x1) + 0.4 sin(2 x2) of 6 features, noise sd 0.05
        r = np.random.default_rng(167)
        X = r.standard_normal((1000, 6))
        y = np.tanh(X[:, 0] * X[:, 1]) + 0.4 * np.sin(2.0 * X[:, 2]) + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "log_cosh_sum":  # generated regression (fresh39): log cosh(x0 + x1) - 0.3 |x2| of 7 features, noise sd 0.1
        r = np.random.default_rng(167)
        X = r.standard_normal((1000, 7))
        y = np.log(np.cosh(X[:, 0] + X[:, 1])) - 0.3 * np.abs(X[:, 2]) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "cassini":  # generated (fresh37): (x0^2 + x1^2)^2 - 1.2 (x0^2 - x1^2) < 0.5, in 6 features, 3% flipped
        r = np.random.default_rng(157)
        X = r.standard_normal((1200, 6))
        q = (X[:, 0] ** 2 + X[:, 1] ** 2) ** 2 - 1.2 * (X[:, 0] ** 2 - X[:, 1] ** 2)
        y = (q < 0.5).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sum_vs_square":  # generated (fresh37): is x0 + x1 x2 above x3^2 - 1? (7 features, 3% flipped)
        r = np.random.default_rng(157)
        X = r.standard_normal((1200, 7))
        y = (X[:, 0] + X[:, 1] * X[:, 2] > X[:, 3] ** 2 - 1.0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "radial_sinc":  # generated regression (fresh37): sin(3 r) / (3 r), r = |(x0, x1)|, + 0.2 x2, of 6 features, noise sd 0.05
        r = np.random.default_rng(157)
        X = r.standard_normal((1000, 6))
        rad = 3.0 * np.hypot(X[:, 0], X[:, 1]) + 1e-9
        y = np.sin(rad) / rad + 0.2 * X[:, 2] + 0.05 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "log_over_quad":  # generated regression (fresh37): log(1 + x0^2) / (1 + x1^2) - 0.3 x2 of 7 features, noise sd 0.1
        r = np.random.default_rng(157)
        X = r.standard_normal((1000, 7))
        y = np.log1p(X[:, 0] ** 2) / (1.0 + X[:, 1] ** 2) - 0.3 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "ellipse_ring":  # generated (fresh36): 0.6 < x0^2 / 2 + x1^2 < 2, in 6 features, 3% flipped
        r = np.random.default_rng(151)
        X = r.standard_normal((1200, 6))
        q = X[:, 0] ** 2 / 2.0 + X[:, 1] ** 2
        y = ((q > 0.6) & (q < 2.0)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "max_vs_third":  # generated (fresh36): is max(x0, x1) above x2 + 0.3? (7 features, 3% flipped)
        r = np.random.default_rng(151)
        X = r.standard_normal((1200, 7))
        y = (np.maximum(X[:, 0], X[:, 1]) > X[:, 2] + 0.3).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "tanh_times":  # generated regression (fresh36): tanh(x0) x1 + 0.3 cos(x2) of 6 features, noise sd 0.1
        r = np.random.default_rng(151)
        X = r.standard_normal((1000, 6))
        y = np.tanh(X[:, 0]) * X[:, 1] + 0.3 * np.cos(X[:, 2]) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "root_gap":  # generated regression (fresh36): sqrt|x0 - x1| - 0.2 x2 of 7 features, noise sd 0.1
        r = np.random.default_rng(151)
        X = r.standard_normal((1000, 7))
        y = np.sqrt(np.abs(X[:, 0] - X[:, 1])) - 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "lune":  # generated (fresh35): inside the disk of radius 1.4 and outside the one of radius 1 at (0.7, 0), in 6 features, 3% flipped
        r = np.random.default_rng(149)
        X = r.standard_normal((1200, 6))
        inside = X[:, 0] ** 2 + X[:, 1] ** 2 < 1.4 ** 2
        outside = (X[:, 0] - 0.7) ** 2 + X[:, 1] ** 2 > 1.0
        y = (inside & outside).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "cubic_boundary":  # generated (fresh35): is x1 above x0^3 - 2 x0? (7 features, 3% flipped)
        r = np.random.default_rng(149)
        X = r.standard_normal((1200, 7))
        y = (X[:, 1] > X[:, 0] ** 3 - 2.0 * X[:, 0]).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "gauss_diff":  # generated regression (fresh35): exp(-(x0 - 1)^2) - exp(-(x0 + 1)^2) + 0.3 x1 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(149)
        X = r.standard_normal((1000, 6))
        y = np.exp(-(X[:, 0] - 1.0) ** 2) - np.exp(-(X[:, 0] + 1.0) ** 2) + 0.3 * X[:, 1] * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "softsign_ratio":  # generated regression (fresh35): x0 / (1 + |x1|) + 0.2 x2 of 7 features, noise sd 0.1
        r = np.random.default_rng(149)
        X = r.standard_normal((1000, 7))
        y = X[:, 0] / (1.0 + np.abs(X[:, 1])) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "hexagon":  # generated (fresh34): inside the regular hexagon of apothem 1.1 in (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(139)
        X = r.standard_normal((1200, 6))
        ang = np.array([0.0, np.pi / 3, 2 * np.pi / 3])
        y = (np.abs(X[:, :1] * np.cos(ang) + X[:, 1:2] * np.sin(ang)).max(axis=1) < 1.1).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "prod_vs_sum":  # generated (fresh34): is x0 x1 above x2 + x3? (7 features, 3% flipped)
        r = np.random.default_rng(139)
        X = r.standard_normal((1200, 7))
        y = (X[:, 0] * X[:, 1] > X[:, 2] + X[:, 3]).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "asinh_prod":  # generated regression (fresh34): asinh(2 x0 x1) / 2 + 0.2 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(139)
        X = r.standard_normal((1000, 6))
        y = 0.5 * np.arcsinh(2.0 * X[:, 0] * X[:, 1]) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "max_sines":  # generated regression (fresh34): max(sin x0, cos x1) + 0.2 x2 of 7 features, noise sd 0.1
        r = np.random.default_rng(139)
        X = r.standard_normal((1000, 7))
        y = np.maximum(np.sin(X[:, 0]), np.cos(X[:, 1])) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "limacon":  # generated (fresh33): inside the limacon r < 1 + 0.6 cos(theta) of (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(137)
        X = r.standard_normal((1200, 6))
        y = (np.hypot(X[:, 0], X[:, 1]) < 1.0 + 0.6 * np.cos(np.arctan2(X[:, 1], X[:, 0]))).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "log_sq_diff":  # generated (fresh33): is log(1 + x0^2) - log(1 + x1^2) + x2 / 2 positive? (8 features, 3% flipped)
        r = np.random.default_rng(137)
        X = r.standard_normal((1200, 8))
        y = (np.log1p(X[:, 0] ** 2) - np.log1p(X[:, 1] ** 2) + 0.5 * X[:, 2] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "softmin_pair":  # generated regression (fresh33): -log(exp(-2 x0) + exp(-2 x1)) / 2 + 0.2 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(137)
        X = r.standard_normal((1000, 6))
        y = -0.5 * np.logaddexp(-2.0 * X[:, 0], -2.0 * X[:, 1]) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "sin_sum_ratio":  # generated regression (fresh33): sin(x0 + x1) / (1 + x2^2) + 0.2 x3 of 7 features, noise sd 0.1
        r = np.random.default_rng(137)
        X = r.standard_normal((1000, 7))
        y = np.sin(X[:, 0] + X[:, 1]) / (1.0 + X[:, 2] ** 2) + 0.2 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "superellipse":  # generated (fresh32): inside the superellipse x0^4 / 1.5 + x1^4 < 1.2, in 6 features, 3% flipped
        r = np.random.default_rng(131)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] ** 4 / 1.5 + X[:, 1] ** 4 < 1.2).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "middle_of_three":  # generated (fresh32): is x0 the middle value of (x0, x1, x2)? (7 features, 3% flipped)
        r = np.random.default_rng(131)
        X = r.standard_normal((1200, 7))
        y = (np.median(X[:, :3], axis=1) == X[:, 0]).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "bump_prod":  # generated regression (fresh32): exp(-(x0^2 + x1^2) / 2) x2 + 0.2 x3 of 6 features, noise sd 0.1
        r = np.random.default_rng(131)
        X = r.standard_normal((1000, 6))
        y = np.exp(-0.5 * (X[:, 0] ** 2 + X[:, 1] ** 2)) * X[:, 2] + 0.2 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "relu_pair":  # generated regression (fresh32): max(0, x0 - x1) - max(0, x2) / 2 + 0.2 x3 of 7 features, noise sd 0.1
        r = np.random.default_rng(131)
        X = r.standard_normal((1000, 7))
        y = np.maximum(0.0, X[:, 0] - X[:, 1]) - 0.5 * np.maximum(0.0, X[:, 2]) + 0.2 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "lemniscate":  # generated (fresh31): inside the lemniscate (x0^2 + x1^2)^2 < 2.9 (x0^2 - x1^2), in 6 features, 3% flipped
        r = np.random.default_rng(127)
        X = r.standard_normal((1200, 6))
        q = X[:, 0] ** 2 + X[:, 1] ** 2
        y = (q ** 2 < 2.9 * (X[:, 0] ** 2 - X[:, 1] ** 2)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "cos_vote":  # generated (fresh31): is cos(2 x0) + cos(2 x1) + cos(2 x2) above its median? (7 features, 3% flipped)
        r = np.random.default_rng(127)
        X = r.standard_normal((1200, 7))
        t = np.cos(2.0 * X[:, :3]).sum(axis=1)
        y = (t > np.median(t)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "hypot_ratio":  # generated regression (fresh31): x0 / sqrt(1 + x1^2 + x2^2) + 0.2 x3 of 6 features, noise sd 0.1
        r = np.random.default_rng(127)
        X = r.standard_normal((1000, 6))
        y = X[:, 0] / np.sqrt(1.0 + X[:, 1] ** 2 + X[:, 2] ** 2) + 0.2 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "atan_ratio":  # generated regression (fresh31): arctan(x0 / (0.5 + |x1|)) + 0.2 x2 of 7 features, noise sd 0.1
        r = np.random.default_rng(127)
        X = r.standard_normal((1000, 7))
        y = np.arctan(X[:, 0] / (0.5 + np.abs(X[:, 1]))) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "astroid":  # generated (fresh30): inside the astroid |x0|^(2/3) + |x1|^(2/3) < 1.6, in 6 features, 3% flipped
        r = np.random.default_rng(113)
        X = r.standard_normal((1200, 6))
        y = (np.abs(X[:, 0]) ** (2.0 / 3.0) + np.abs(X[:, 1]) ** (2.0 / 3.0) < 1.6).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "spread4":  # generated (fresh30): is max(x0..x3) - min(x0..x3) above its median? (7 features, 3% flipped)
        r = np.random.default_rng(113)
        X = r.standard_normal((1200, 7))
        t = X[:, :4].max(axis=1) - X[:, :4].min(axis=1)
        y = (t > np.median(t)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "softmax_mix":  # generated regression (fresh30): sum_i softmax(x0, x1, x2)_i x_(3+i) of 7 features, noise sd 0.1
        r = np.random.default_rng(113)
        X = r.standard_normal((1000, 7))
        e = np.exp(X[:, :3] - X[:, :3].max(axis=1, keepdims=True))
        y = (e / e.sum(axis=1, keepdims=True) * X[:, 3:6]).sum(axis=1) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "soft_abs_prod":  # generated regression (fresh30): sqrt(x0^2 + 0.1) x1 + 0.3 sin(2 x2) of 6 features, noise sd 0.1
        r = np.random.default_rng(113)
        X = r.standard_normal((1000, 6))
        y = np.sqrt(X[:, 0] ** 2 + 0.1) * X[:, 1] + 0.3 * np.sin(2.0 * X[:, 2]) + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "cardioid":  # generated (fresh29): inside the cardioid r < 1.1 (1 - cos(theta)) of (x0, x1), in 6 features, 3% flipped
        r = np.random.default_rng(109)
        X = r.standard_normal((1200, 6))
        rad, theta = np.hypot(X[:, 0], X[:, 1]), np.arctan2(X[:, 1], X[:, 0])
        y = (rad < 1.1 * (1.0 - np.cos(theta))).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "l1_linf":  # generated (fresh29): is |x0..x2|_1 / |x0..x2|_inf above its median? (7 features, 3% flipped)
        r = np.random.default_rng(109)
        X = r.standard_normal((1200, 7))
        a = np.abs(X[:, :3])
        t = a.sum(axis=1) / a.max(axis=1)
        y = (t > np.median(t)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "l1_l2_gap":  # generated regression (fresh29): |x0| + |x1| - sqrt(x0^2 + x1^2) + 0.2 x2 of 6 features, noise sd 0.1
        r = np.random.default_rng(109)
        X = r.standard_normal((1000, 6))
        y = np.abs(X[:, 0]) + np.abs(X[:, 1]) - np.hypot(X[:, 0], X[:, 1]) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "sigmoid_gate":  # generated regression (fresh29): g x1 + (1 - g) x2^2 / 2 with g = sigmoid(3 x0), of 7 features, noise sd 0.1
        r = np.random.default_rng(109)
        X = r.standard_normal((1000, 7))
        g = 1.0 / (1.0 + np.exp(-3.0 * X[:, 0]))
        y = g * X[:, 1] + (1.0 - g) * 0.5 * X[:, 2] ** 2 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "parity3d":  # generated (fresh25): the sign of x0 x1 x2, in 6 features, 3% flipped
        r = np.random.default_rng(97)
        X = r.standard_normal((1200, 6))
        y = (X[:, 0] * X[:, 1] * X[:, 2] > 0).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "quadrant4":  # generated (fresh25): four classes, the quadrant of (x0 + 0.3 sin(3 x1), x1), in 6 features, 3% relabelled at random
        r = np.random.default_rng(97)
        X = r.standard_normal((1200, 6))
        y = 2 * (X[:, 0] + 0.3 * np.sin(3 * X[:, 1]) > 0).astype(np.int64) + (X[:, 1] > 0).astype(np.int64)
        noisy = r.random(y.size) < 0.03
        y[noisy] = r.integers(0, 4, int(noisy.sum()))
        task = "cls"
    elif name == "cos_norm":  # generated regression (fresh25): cos(1.5 |(x0, x1, x2)|) + 0.2 x3 of 6 features, noise sd 0.1
        r = np.random.default_rng(97)
        X = r.standard_normal((1000, 6))
        y = np.cos(1.5 * np.linalg.norm(X[:, :3], axis=1)) + 0.2 * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "tanh_pair":  # generated regression (fresh25): tanh(x0 x1) + 0.4 x2 - 0.2 x3^2 of 7 features, noise sd 0.1
        r = np.random.default_rng(97)
        X = r.standard_normal((1000, 7))
        y = np.tanh(X[:, 0] * X[:, 1]) + 0.4 * X[:, 2] - 0.2 * X[:, 3] ** 2 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "wave_band":  # generated (fresh24): |x1 - sin(2 x0)| < 0.5, a band about a sine wave, in 6 features, 3% flipped
        r = np.random.default_rng(89)
        X = r.standard_normal((1200, 6))
        y = (np.abs(X[:, 1] - np.sin(2 * X[:, 0])) < 0.5).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sector3":  # generated (fresh24): six equal angular sectors of (x0, x1), class = sector mod 3, in 7 features, 3% relabelled at random
        r = np.random.default_rng(89)
        X = r.standard_normal((1200, 7))
        sector = np.floor((np.arctan2(X[:, 1], X[:, 0]) + np.pi) / (np.pi / 3)).astype(np.int64) % 6
        y = sector % 3
        noisy = r.random(y.size) < 0.03
        y[noisy] = r.integers(0, 3, int(noisy.sum()))
        task = "cls"
    elif name == "sin_prod":  # generated regression (fresh24): sin(x0) cos(x1) + 0.3 x2 of 6 features, uniform on [-2, 2), noise sd 0.1
        r = np.random.default_rng(89)
        X = r.uniform(-2, 2, (1000, 6))
        y = np.sin(X[:, 0]) * np.cos(X[:, 1]) + 0.3 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "abs_mix":  # generated regression (fresh24): |x0| - |x1| / 2 + 0.3 x2 x3 of 7 features, noise sd 0.1
        r = np.random.default_rng(89)
        X = r.standard_normal((1000, 7))
        y = np.abs(X[:, 0]) - np.abs(X[:, 1]) / 2 + 0.3 * X[:, 2] * X[:, 3] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "shell3d":  # generated (fresh22): 1 <= |(x0, x1, x2)| < 1.6, a spherical shell, in 7 features, 3% flipped
        r = np.random.default_rng(79)
        X = r.standard_normal((1200, 7))
        rad = np.sqrt((X[:, :3] ** 2).sum(axis=1))
        y = ((rad >= 1.0) & (rad < 1.6)).astype(np.int64)
        flip = r.random(y.size) < 0.03
        y[flip] = 1 - y[flip]
        task = "cls"
    elif name == "sinc_radius":  # generated regression (fresh22): sinc(|(x0, x1)|) + 0.2 x2 of 6 features, uniform on [-2, 2), noise sd 0.1
        r = np.random.default_rng(79)
        X = r.uniform(-2, 2, (1000, 6))
        y = np.sinc(np.hypot(X[:, 0], X[:, 1])) + 0.2 * X[:, 2] + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "logcosh":  # generated regression (fresh22): log cosh(2 x0) - x1 x2 / 3 of 7 features, noise sd 0.1
        r = np.random.default_rng(79)
        X = r.standard_normal((1000, 7))
        y = np.log(np.cosh(2 * X[:, 0])) - X[:, 1] * X[:, 2] / 3 + 0.1 * r.standard_normal(1000)
        y = (y - y.mean()) / y.std()
        task = "reg"
    elif name == "friedman3":  # generated regression: arctan of a ratio, with noise
        X, y = datasets.make_friedman3(n_samples=1000, noise=0.1, random_state=7)
        y = (y - y.mean()) / y.std()
        task = "reg"
    else:
        raise ValueError(name)
    X = StandardScaler().fit_transform(X)
    return X.astype(np.float32), y, task


#: The adaptive optimizers the real trainings use: name -> (torch.optim class, extra options).
ADAPTIVE: dict[str, tuple[str, dict]] = {
    "adam": ("Adam", {}), "adamw": ("AdamW", {"weight_decay": 0.01}), "rmsprop": ("RMSprop", {}),
    "adagrad": ("Adagrad", {}), "nadam": ("NAdam", {}), "radam": ("RAdam", {}), "adamax": ("Adamax", {}),
    "adadelta": ("Adadelta", {}),
    # fresh4: AdamW as LLM recipes set it, Adafactor, averaged SGD, SGD with momentum 0.95 and weight decay
    "adamw_lm": ("AdamW", {"betas": (0.9, 0.95), "weight_decay": 0.1}), "adafactor": ("Adafactor", {}),
    "asgd": ("ASGD", {}), "sgd_wd": ("SGD", {"momentum": 0.95, "weight_decay": 5e-4}),
    # fresh5: Adam with AMSGrad, centred RMSprop with momentum, SGD with Nesterov momentum and weight decay
    "amsgrad": ("Adam", {"amsgrad": True}), "rmsprop_mom": ("RMSprop", {"momentum": 0.9, "centered": True}),
    "nesterov_wd": ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}),
    # fresh6: Adam with coupled L2 decay and betas (0.9, 0.98), NAdam with decoupled weight decay,
    # SGD with momentum 0.9 and dampening 0.5
    "adam_l2": ("Adam", {"betas": (0.9, 0.98), "weight_decay": 1e-4}),
    "nadam_dwd": ("NAdam", {"weight_decay": 0.01, "decoupled_weight_decay": True}),
    "sgd_damp": ("SGD", {"momentum": 0.9, "dampening": 0.5}),
    # fresh7: RAdam with decoupled weight decay, Adagrad with an initial accumulator and LR decay,
    # Adamax with weight decay
    "radam_dwd": ("RAdam", {"weight_decay": 0.01, "decoupled_weight_decay": True}),
    "adagrad_acc": ("Adagrad", {"initial_accumulator_value": 0.1, "lr_decay": 1e-4}),
    "adamax_wd": ("Adamax", {"weight_decay": 1e-3}),
    # fresh8: AdamW with betas (0.9, 0.99), eps 1e-6 and weight decay 0.05, SGD with momentum 0.99,
    # RMSprop with alpha 0.9
    "adamw_b99": ("AdamW", {"betas": (0.9, 0.99), "eps": 1e-6, "weight_decay": 0.05}),
    "sgd_m99": ("SGD", {"momentum": 0.99}),
    "rmsprop_a9": ("RMSprop", {"alpha": 0.9}),
    # fresh9: Adam with betas (0.8, 0.95), Adadelta with rho 0.95, NAdam with momentum_decay 1e-2
    "adam_b8": ("Adam", {"betas": (0.8, 0.95)}),
    "adadelta95": ("Adadelta", {"rho": 0.95}),
    "nadam_md": ("NAdam", {"momentum_decay": 1e-2}),
    # fresh10: AdamW with AMSGrad, SGD with momentum 0.8 and weight decay 1e-3, centred RMSprop
    "adamw_ams": ("AdamW", {"amsgrad": True, "weight_decay": 0.01}),
    "sgd_m8_wd": ("SGD", {"momentum": 0.8, "weight_decay": 1e-3}),
    "rmsprop_c": ("RMSprop", {"centered": True}),
    # fresh11: SGD with momentum 0.9, dampening 0.3 and weight decay 5e-4, NAdam with betas (0.95,
    # 0.999), Adagrad with weight decay 1e-4
    "sgd_damp3": ("SGD", {"momentum": 0.9, "dampening": 0.3, "weight_decay": 5e-4}),
    "nadam_b95": ("NAdam", {"betas": (0.95, 0.999)}),
    "adagrad_wd": ("Adagrad", {"weight_decay": 1e-4}),
    # fresh12: Adam with eps 1e-4 (a large eps: small gradients get SGD-like steps), RMSprop with
    # momentum 0.5 and alpha 0.95, SGD with Nesterov momentum 0.85 and weight decay 1e-3
    "adam_eps4": ("Adam", {"eps": 1e-4}),
    "rmsprop_m5": ("RMSprop", {"momentum": 0.5, "alpha": 0.95}),
    "nesterov85_wd": ("SGD", {"momentum": 0.85, "nesterov": True, "weight_decay": 1e-3}),
    # fresh13: AdamW with betas (0.5, 0.999) (GAN recipes), SGD with momentum 0.7 and weight decay
    # 2e-4, Adamax with betas (0.8, 0.99)
    "adamw_b5": ("AdamW", {"betas": (0.5, 0.999), "weight_decay": 0.01}),
    "sgd_m7_wd": ("SGD", {"momentum": 0.7, "weight_decay": 2e-4}),
    "adamax_b8": ("Adamax", {"betas": (0.8, 0.99)}),
    # fresh14: NAdam with betas (0.9, 0.98) and L2 weight decay 1e-4, SGD with Nesterov momentum 0.6
    # and weight decay 5e-4, RMSprop with alpha 0.98, eps 1e-5 and weight decay 1e-4
    "nadam_b98_wd": ("NAdam", {"betas": (0.9, 0.98), "weight_decay": 1e-4}),
    "nesterov6_wd": ("SGD", {"momentum": 0.6, "nesterov": True, "weight_decay": 5e-4}),
    "rmsprop_a98_wd": ("RMSprop", {"alpha": 0.98, "eps": 1e-5, "weight_decay": 1e-4}),
    # fresh15: Adam with betas (0.9, 0.99), SGD with momentum 0.5 and weight decay 1e-4, RAdam with
    # betas (0.95, 0.999)
    "adam_b99": ("Adam", {"betas": (0.9, 0.99)}),
    "sgd_m5_wd": ("SGD", {"momentum": 0.5, "weight_decay": 1e-4}),
    "radam_b95": ("RAdam", {"betas": (0.95, 0.999)}),
    # fresh16: AdamW with betas (0.85, 0.995) and weight decay 0.02, Adagrad with LR decay 1e-4 and
    # initial accumulator 0.1, RMSprop with alpha 0.95 and momentum 0.3
    "adamw_b85": ("AdamW", {"betas": (0.85, 0.995), "weight_decay": 0.02}),
    "adagrad_lrd": ("Adagrad", {"lr_decay": 1e-4, "initial_accumulator_value": 0.1}),
    "rmsprop_a95_m3": ("RMSprop", {"alpha": 0.95, "momentum": 0.3}),
    # fresh17: AdamW with betas (0.9, 0.98), eps 1e-6 and weight decay 0.05 (a transformer recipe),
    # SGD with Nesterov momentum 0.95 and weight decay 1e-4, Adadelta with rho 0.8
    "adamw_b98_e6": ("AdamW", {"betas": (0.9, 0.98), "eps": 1e-6, "weight_decay": 0.05}),
    "sgd_nes95": ("SGD", {"momentum": 0.95, "nesterov": True, "weight_decay": 1e-4}),
    "adadelta_r8": ("Adadelta", {"rho": 0.8}),
    # fresh18: AdamW with betas (0.9, 0.95) and weight decay 0.1 (an LLM recipe), SGD with momentum
    # 0.9 and weight decay 1e-2, Adamax with betas (0.95, 0.995)
    "adamw_llm": ("AdamW", {"betas": (0.9, 0.95), "weight_decay": 0.1}),
    "sgd_m9_wd2": ("SGD", {"momentum": 0.9, "weight_decay": 1e-2}),
    "adamax_b95": ("Adamax", {"betas": (0.95, 0.995)}),
    # fresh19: Adam with betas (0.7, 0.99), SGD with Nesterov momentum 0.8 and weight decay 1e-3,
    # RAdam with betas (0.9, 0.99) and (coupled) weight decay 1e-4
    "adam_b7": ("Adam", {"betas": (0.7, 0.99)}),
    "sgd_nes8_wd": ("SGD", {"momentum": 0.8, "nesterov": True, "weight_decay": 1e-3}),
    "radam_b99_wd": ("RAdam", {"betas": (0.9, 0.99), "weight_decay": 1e-4}),
    # fresh20: AdamW with betas (0.8, 0.99) and weight decay 0.05, SGD with momentum 0.95 and weight
    # decay 5e-4, NAdam with betas (0.85, 0.995)
    "adamw_b8": ("AdamW", {"betas": (0.8, 0.99), "weight_decay": 0.05}),
    "sgd_m95_wd": ("SGD", {"momentum": 0.95, "weight_decay": 5e-4}),
    "nadam_b85": ("NAdam", {"betas": (0.85, 0.995)}),
    # fresh21: AdamW with betas (0.9, 0.995), eps 1e-7 and weight decay 0.01, SGD with momentum 0.85
    # and weight decay 2e-4, RAdam with betas (0.9, 0.98) and decoupled weight decay 0.05
    "adamw_b995_e7": ("AdamW", {"betas": (0.9, 0.995), "eps": 1e-7, "weight_decay": 0.01}),
    "sgd_m85_wd": ("SGD", {"momentum": 0.85, "weight_decay": 2e-4}),
    "radam_b98_dwd": ("RAdam", {"betas": (0.9, 0.98), "weight_decay": 0.05, "decoupled_weight_decay": True}),
    # fresh22: Adam with betas (0.9, 0.9) and eps 1e-6 (a short second-moment memory), SGD with
    # momentum 0.7, dampening 0.1 and weight decay 1e-3, AdamW with AMSGrad, betas (0.9, 0.99) and
    # weight decay 0.02
    "adam_b9_9": ("Adam", {"betas": (0.9, 0.9), "eps": 1e-6}),
    "sgd_m7_d1": ("SGD", {"momentum": 0.7, "dampening": 0.1, "weight_decay": 1e-3}),
    # (written in round 19 as a second "adamw_ams", which silently replaced fresh10's: renamed in
    # round 20; fresh22's blind run used exactly this configuration)
    "adamw_ams_b99": ("AdamW", {"betas": (0.9, 0.99), "weight_decay": 0.02, "amsgrad": True}),
    # fresh23: NAdam with betas (0.9, 0.97) and weight decay 1e-3, Nesterov SGD with momentum 0.75
    # and weight decay 5e-4, Adamax with betas (0.9, 0.99)
    "nadam_b97_wd": ("NAdam", {"betas": (0.9, 0.97), "weight_decay": 1e-3}),
    "sgd_nes75_wd": ("SGD", {"momentum": 0.75, "nesterov": True, "weight_decay": 5e-4}),
    "adamax_b99": ("Adamax", {"betas": (0.9, 0.99)}),
    # fresh24: AdamW with betas (0.85, 0.98) and weight decay 0.03, SGD with momentum 0.8 and weight
    # decay 3e-4, RMSprop with alpha 0.95 and momentum 0.5
    "adamw_b85_wd3": ("AdamW", {"betas": (0.85, 0.98), "weight_decay": 0.03}),
    "sgd_m8_wd3": ("SGD", {"momentum": 0.8, "weight_decay": 3e-4}),
    "rms_a95_m5": ("RMSprop", {"alpha": 0.95, "momentum": 0.5}),
    # fresh25: Adam with betas (0.85, 0.99) and L2 weight decay 1e-4, SGD with momentum 0.88 and
    # weight decay 1e-3, RAdam with betas (0.9, 0.97) and L2 weight decay 1e-3
    "adam_b85_wd4": ("Adam", {"betas": (0.85, 0.99), "weight_decay": 1e-4}),
    "sgd_m88_wd": ("SGD", {"momentum": 0.88, "weight_decay": 1e-3}),
    "radam_b97_wd": ("RAdam", {"betas": (0.9, 0.97), "weight_decay": 1e-3}),
    # fresh26: Adamax with betas (0.85, 0.995) and weight decay 1e-3, NAdam with betas (0.9, 0.99)
    # and decoupled weight decay 0.02, Nesterov SGD with momentum 0.92 and weight decay 2e-4
    "adamax_b85_wd": ("Adamax", {"betas": (0.85, 0.995), "weight_decay": 1e-3}),
    "nadam_b99_dwd2": ("NAdam", {"betas": (0.9, 0.99), "weight_decay": 0.02, "decoupled_weight_decay": True}),
    "sgd_nes92_wd": ("SGD", {"momentum": 0.92, "nesterov": True, "weight_decay": 2e-4}),
    # fresh27: Adagrad with weight decay 1e-3 and an initial accumulator of 0.05, centred RMSprop
    # with alpha 0.97 and weight decay 1e-4, SGD with momentum 0.93, dampening 0.05 and weight
    # decay 5e-4
    "adagrad_wd3_acc": ("Adagrad", {"weight_decay": 1e-3, "initial_accumulator_value": 0.05}),
    "rmsprop_c97_wd": ("RMSprop", {"alpha": 0.97, "centered": True, "weight_decay": 1e-4}),
    "sgd_m93_d05": ("SGD", {"momentum": 0.93, "dampening": 0.05, "weight_decay": 5e-4}),
    # fresh28: Adam with AMSGrad, betas (0.9, 0.98) and L2 weight decay 1e-3, ASGD with lambd 1e-3
    # and averaging from step 300, RAdam with betas (0.93, 0.999) and decoupled weight decay 0.01
    "adam_ams_l2": ("Adam", {"amsgrad": True, "betas": (0.9, 0.98), "weight_decay": 1e-3}),
    "asgd_l3": ("ASGD", {"lambd": 1e-3, "t0": 300.0}),
    "radam_b93_dwd": ("RAdam", {"betas": (0.93, 0.999), "weight_decay": 0.01, "decoupled_weight_decay": True}),
    # fresh29: AdamW with betas (0.92, 0.995), eps 1e-5 and weight decay 0.05, SGD with momentum
    # 0.97 and weight decay 1e-4, Adadelta with rho 0.9 and weight decay 1e-4
    "adamw_b92_e5": ("AdamW", {"betas": (0.92, 0.995), "eps": 1e-5, "weight_decay": 0.05}),
    "sgd_m97_wd4": ("SGD", {"momentum": 0.97, "weight_decay": 1e-4}),
    "adadelta_r9_wd": ("Adadelta", {"rho": 0.9, "weight_decay": 1e-4}),
    # fresh30: NAdam with betas (0.88, 0.995) and (coupled) weight decay 0.01, RMSprop with alpha
    # 0.97 and momentum 0.8, SGD with Nesterov momentum 0.88 and weight decay 2e-3
    "nadam_b88_wd2": ("NAdam", {"betas": (0.88, 0.995), "weight_decay": 1e-2}),
    "rms_a97_m8": ("RMSprop", {"alpha": 0.97, "momentum": 0.8}),
    "sgd_nes88_wd2": ("SGD", {"momentum": 0.88, "nesterov": True, "weight_decay": 2e-3}),
    # fresh31: Adamax with betas (0.9, 0.995) and weight decay 0.01, RAdam with betas (0.9, 0.995)
    # and decoupled weight decay 1e-3, SGD with momentum 0.92, dampening 0.2 and weight decay 1e-4
    "adamax_b995_wd2": ("Adamax", {"betas": (0.9, 0.995), "weight_decay": 1e-2}),
    "radam_b995_dwd3": ("RAdam", {"betas": (0.9, 0.995), "weight_decay": 1e-3, "decoupled_weight_decay": True}),
    "sgd_m92_d2": ("SGD", {"momentum": 0.92, "dampening": 0.2, "weight_decay": 1e-4}),
    # fresh32: Adam with betas (0.95, 0.999), eps 1e-6 and (coupled) weight decay 2e-3, centred
    # RMSprop with alpha 0.93 and momentum 0.6, SGD with momentum 0.85, dampening 0.1 and weight
    # decay 3e-4
    "adam_b95_e6": ("Adam", {"betas": (0.95, 0.999), "eps": 1e-6, "weight_decay": 2e-3}),
    "rms_c93_m6": ("RMSprop", {"alpha": 0.93, "centered": True, "momentum": 0.6}),
    "sgd_m85_d1": ("SGD", {"momentum": 0.85, "dampening": 0.1, "weight_decay": 3e-4}),
    # fresh33: NAdam with betas (0.92, 0.998), eps 1e-7 and momentum decay 3e-3, Adagrad with an
    # initial accumulator of 0.2 and weight decay 1e-4, SGD with Nesterov momentum 0.87 and weight
    # decay 5e-4
    "nadam_b92_md3": ("NAdam", {"betas": (0.92, 0.998), "eps": 1e-7, "momentum_decay": 3e-3}),
    "adagrad_acc2_wd4": ("Adagrad", {"initial_accumulator_value": 0.2, "weight_decay": 1e-4}),
    "sgd_nes87_wd5": ("SGD", {"momentum": 0.87, "nesterov": True, "weight_decay": 5e-4}),
    # fresh34: Adamax with betas (0.92, 0.999) and eps 1e-7, RMSprop with alpha 0.85 and weight
    # decay 1e-4, SGD with momentum 0.8, dampening 0.2 and weight decay 2e-4
    "adamax_b92_e7": ("Adamax", {"betas": (0.92, 0.999), "eps": 1e-7}),
    "rms_a85_wd4": ("RMSprop", {"alpha": 0.85, "weight_decay": 1e-4}),
    "sgd_m8_d2": ("SGD", {"momentum": 0.8, "dampening": 0.2, "weight_decay": 2e-4}),
    # fresh35: AdamW with betas (0.93, 0.997) and weight decay 0.02, RAdam with betas (0.9, 0.99),
    # eps 1e-6 and (coupled) weight decay 1e-3, SGD with Nesterov momentum 0.83 and weight decay 3e-4
    "adamw_b93_wd2": ("AdamW", {"betas": (0.93, 0.997), "weight_decay": 0.02}),
    "radam_b9_e6_l2": ("RAdam", {"betas": (0.9, 0.99), "eps": 1e-6, "weight_decay": 1e-3}),
    "sgd_nes83_wd3": ("SGD", {"momentum": 0.83, "nesterov": True, "weight_decay": 3e-4}),
    # fresh36: NAdam with betas (0.94, 0.999) and eps 1e-6, Adagrad with LR decay 1e-3 and weight
    # decay 1e-3, SGD with momentum 0.75, dampening 0.3 and weight decay 1e-4
    "nadam_b94_e6": ("NAdam", {"betas": (0.94, 0.999), "eps": 1e-6}),
    "adagrad_lrd3_wd3": ("Adagrad", {"lr_decay": 1e-3, "weight_decay": 1e-3}),
    "sgd_m75_d3_wd": ("SGD", {"momentum": 0.75, "dampening": 0.3, "weight_decay": 1e-4}),
    # fresh37: AdamW with betas (0.91, 0.995) and weight decay 5e-3, centred RMSprop with alpha
    # 0.91 and momentum 0.3, SGD with Nesterov momentum 0.7 and weight decay 5e-4
    "adamw_b91_wd5": ("AdamW", {"betas": (0.91, 0.995), "weight_decay": 5e-3}),
    "rms_c91_m3": ("RMSprop", {"alpha": 0.91, "centered": True, "momentum": 0.3}),
    "sgd_nes7_wd5": ("SGD", {"momentum": 0.7, "nesterov": True, "weight_decay": 5e-4}),
    # fresh38: Adamax with betas (0.93, 0.999) and weight decay 1e-3, RAdam with betas (0.92,
    # 0.998) and decoupled weight decay 1e-2, SGD with momentum 0.8, dampening 0.1, weight decay 3e-4
    "adamax_b93_wd3": ("Adamax", {"betas": (0.93, 0.999), "weight_decay": 1e-3}),
    "radam_b92_dwd2": ("RAdam", {"betas": (0.92, 0.998), "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    "sgd_m8_d1_wd3": ("SGD", {"momentum": 0.8, "dampening": 0.1, "weight_decay": 3e-4}),
    # fresh39: NAdam with betas (0.9, 0.996) and momentum decay 5e-3, Adagrad with LR decay 1e-3 and
    # initial accumulator 0.05, SGD with Nesterov momentum 0.85 and weight decay 2e-4
    "nadam_b9_md5": ("NAdam", {"betas": (0.9, 0.996), "momentum_decay": 5e-3}),
    "adagrad_lrd3_acc05": ("Adagrad", {"lr_decay": 1e-3, "initial_accumulator_value": 0.05}),
    "sgd_nes85_wd2": ("SGD", {"momentum": 0.85, "nesterov": True, "weight_decay": 2e-4}),
    # fresh40: AdamW with betas (0.88, 0.995) and weight decay 0.05, RMSprop with alpha 0.97 and
    # eps 1e-5, SGD with momentum 0.9, dampening 0.2 and weight decay 1e-4
    "adamw_b88_wd05": ("AdamW", {"betas": (0.88, 0.995), "weight_decay": 0.05}),
    "rms_a97_e5": ("RMSprop", {"alpha": 0.97, "eps": 1e-5}),
    "sgd_m9_d2_wd4": ("SGD", {"momentum": 0.9, "dampening": 0.2, "weight_decay": 1e-4}),
    # fresh41: Adam with AMSGrad and betas (0.85, 0.997), SGD with Nesterov momentum 0.95 and weight
    # decay 3e-4, Adadelta with rho 0.85 and weight decay 1e-4
    "adam_ams_b85": ("Adam", {"betas": (0.85, 0.997), "amsgrad": True}),
    "sgd_nes95_wd3": ("SGD", {"momentum": 0.95, "nesterov": True, "weight_decay": 3e-4}),
    "adadelta_r85_wd4": ("Adadelta", {"rho": 0.85, "weight_decay": 1e-4}),
    # fresh42: centred RMSprop with alpha 0.95 and momentum 0.4, Adamax with betas (0.87, 0.999) and
    # eps 1e-6, SGD with momentum 0.92 and weight decay 5e-5
    "rms_c95_m4": ("RMSprop", {"alpha": 0.95, "centered": True, "momentum": 0.4}),
    "adamax_b87_e6": ("Adamax", {"betas": (0.87, 0.999), "eps": 1e-6}),
    "sgd_m92_wd5": ("SGD", {"momentum": 0.92, "weight_decay": 5e-5}),
    # fresh43: AdamW with betas (0.9, 0.995) and weight decay 1e-3, Adagrad with an initial
    # accumulator of 0.3 and weight decay 5e-5, SGD with Nesterov momentum 0.9 and weight decay 1e-4
    "adamw_b9_995_wd3": ("AdamW", {"betas": (0.9, 0.995), "weight_decay": 1e-3}),
    "adagrad_acc3_wd5": ("Adagrad", {"initial_accumulator_value": 0.3, "weight_decay": 5e-5}),
    "sgd_nes9_wd4": ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}),
    # fresh44: NAdam with betas (0.91, 0.999), momentum decay 6e-3 and weight decay 1e-4, Adagrad
    # with an initial accumulator of 0.5 and weight decay 2e-4 (the first blind test of Adagrad's
    # band, round 41), SGD with momentum 0.87, dampening 0.05 and weight decay 1e-4
    "nadam_b91_md6_wd4": ("NAdam", {"betas": (0.91, 0.999), "momentum_decay": 6e-3, "weight_decay": 1e-4}),
    "adagrad_acc5_wd2": ("Adagrad", {"initial_accumulator_value": 0.5, "weight_decay": 2e-4}),
    "sgd_m87_d05_wd4": ("SGD", {"momentum": 0.87, "dampening": 0.05, "weight_decay": 1e-4}),
    # fresh45: RAdam with betas (0.88, 0.995) and decoupled weight decay 1e-2, RMSprop with alpha
    # 0.98, centred, momentum 0.5, SGD with Nesterov momentum 0.86 and weight decay 2e-4
    "radam_b88_dwd2": ("RAdam", {"betas": (0.88, 0.995), "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    "rms_c98_m5": ("RMSprop", {"alpha": 0.98, "centered": True, "momentum": 0.5}),
    "sgd_nes86_wd2": ("SGD", {"momentum": 0.86, "nesterov": True, "weight_decay": 2e-4}),
    # fresh46: AdamW with betas (0.85, 0.99) and weight decay 5e-2, Adagrad with LR decay 1e-4 and
    # initial accumulator 0.2, SGD with momentum 0.91, dampening 0.1 and weight decay 3e-4
    "adamw_b85_99_wd5": ("AdamW", {"betas": (0.85, 0.99), "weight_decay": 5e-2}),
    "adagrad_lrd4_acc2": ("Adagrad", {"lr_decay": 1e-4, "initial_accumulator_value": 0.2}),
    "sgd_m91_d1_wd3": ("SGD", {"momentum": 0.91, "dampening": 0.1, "weight_decay": 3e-4}),
    # fresh47: NAdam with betas (0.9, 0.997) and decoupled weight decay 1e-2, Adamax with betas
    # (0.89, 0.998) and weight decay 5e-4, SGD with Nesterov momentum 0.88 and weight decay 1e-4
    "nadam_b9_997_dwd2": ("NAdam", {"betas": (0.9, 0.997), "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    "adamax_b89_wd5": ("Adamax", {"betas": (0.89, 0.998), "weight_decay": 5e-4}),
    "sgd_nes88_wd1": ("SGD", {"momentum": 0.88, "nesterov": True, "weight_decay": 1e-4}),
    # fresh48: AdamW with AMSGrad, betas (0.87, 0.995) and weight decay 2e-2, RMSprop with alpha
    # 0.94, centred, momentum 0.4 and weight decay 1e-4, SGD with momentum 0.89, dampening 0.05 and
    # weight decay 2e-4
    "adamw_ams_b87_995_wd2": ("AdamW", {"betas": (0.87, 0.995), "weight_decay": 2e-2, "amsgrad": True}),
    "rms_c94_m4_wd4": ("RMSprop", {"alpha": 0.94, "centered": True, "momentum": 0.4, "weight_decay": 1e-4}),
    "sgd_m89_d05_wd2": ("SGD", {"momentum": 0.89, "dampening": 0.05, "weight_decay": 2e-4}),
    # fresh49: RAdam with betas (0.9, 0.995) and (L2) weight decay 3e-4, Adagrad with lr_decay 1e-3,
    # initial accumulator 0.1 and weight decay 2e-4, SGD with Nesterov momentum 0.91 and weight
    # decay 3e-4
    "radam_b9_995_wd3": ("RAdam", {"betas": (0.9, 0.995), "weight_decay": 3e-4}),
    "adagrad_lrd3_acc1_wd2": ("Adagrad", {"lr_decay": 1e-3, "initial_accumulator_value": 0.1, "weight_decay": 2e-4}),
    "sgd_nes91_wd3": ("SGD", {"momentum": 0.91, "nesterov": True, "weight_decay": 3e-4}),
    # fresh50: NAdam with betas (0.93, 0.998), momentum decay 4e-3 and decoupled weight decay 1e-2,
    # Adamax with betas (0.91, 0.997) and weight decay 2e-4, SGD with momentum 0.86, dampening 0.15
    # and weight decay 2e-4
    "nadam_b93_md4_dwd2": ("NAdam", {"betas": (0.93, 0.998), "momentum_decay": 4e-3, "weight_decay": 1e-2,
                                     "decoupled_weight_decay": True}),
    "adamax_b91_997_wd2": ("Adamax", {"betas": (0.91, 0.997), "weight_decay": 2e-4}),
    "sgd_m86_d15_wd2": ("SGD", {"momentum": 0.86, "dampening": 0.15, "weight_decay": 2e-4}),
    # fresh51: Adam with AMSGrad, betas (0.88, 0.996) and (L2) weight decay 1e-4, RMSprop with alpha
    # 0.96, momentum 0.5 and weight decay 2e-4, SGD with Nesterov momentum 0.89 and weight decay 2e-4
    "adam_ams_b88_996_wd4": ("Adam", {"betas": (0.88, 0.996), "weight_decay": 1e-4, "amsgrad": True}),
    "rms_a96_m5_wd2": ("RMSprop", {"alpha": 0.96, "momentum": 0.5, "weight_decay": 2e-4}),
    "sgd_nes89_wd2": ("SGD", {"momentum": 0.89, "nesterov": True, "weight_decay": 2e-4}),
    # fresh52: AdamW with betas (0.89, 0.997) and weight decay 3e-2, Adagrad with lr_decay 5e-4,
    # initial accumulator 0.15 and weight decay 1e-4, SGD with momentum 0.87, dampening 0.1 and
    # weight decay 2e-4
    "adamw_b89_997_wd03": ("AdamW", {"betas": (0.89, 0.997), "weight_decay": 3e-2}),
    "adagrad_lrd5_acc15_wd4": ("Adagrad", {"lr_decay": 5e-4, "initial_accumulator_value": 0.15, "weight_decay": 1e-4}),
    "sgd_m87_d1_wd2": ("SGD", {"momentum": 0.87, "dampening": 0.1, "weight_decay": 2e-4}),
    # fresh53: RAdam with betas (0.91, 0.998), eps 1e-7 and decoupled weight decay 5e-3, RMSprop
    # with alpha 0.92, momentum 0.6 and weight decay 1e-4, SGD with Nesterov momentum 0.84 and
    # weight decay 3e-4
    "radam_b91_998_e7_dwd5e3": ("RAdam", {"betas": (0.91, 0.998), "eps": 1e-7, "weight_decay": 5e-3,
                                          "decoupled_weight_decay": True}),
    "rms_a92_m6_wd4": ("RMSprop", {"alpha": 0.92, "momentum": 0.6, "weight_decay": 1e-4}),
    "sgd_nes84_wd3": ("SGD", {"momentum": 0.84, "nesterov": True, "weight_decay": 3e-4}),
    # fresh54: NAdam with betas (0.94, 0.997), momentum decay 5e-3 and (L2) weight decay 2e-4,
    # Adamax with betas (0.88, 0.996), eps 1e-7 and weight decay 1e-4, SGD with momentum 0.88,
    # dampening 0.2 and weight decay 3e-4
    "nadam_b94_997_md5_wd2": ("NAdam", {"betas": (0.94, 0.997), "momentum_decay": 5e-3, "weight_decay": 2e-4}),
    "adamax_b88_996_e7_wd4": ("Adamax", {"betas": (0.88, 0.996), "eps": 1e-7, "weight_decay": 1e-4}),
    "sgd_m88_d2_wd3": ("SGD", {"momentum": 0.88, "dampening": 0.2, "weight_decay": 3e-4}),
}


#: The schedules with a linear warm-up: name -> (warm-up fraction of the run, the LR factor after
#: it as a function of (step t, warm-up steps w, run steps n)).
WARMUP_SCHEDULES: dict[str, tuple[float, object]] = {
    # fresh4: Hugging Face's default shape, 6% warm-up, then linearly to 0
    "warmup_linear": (0.06, lambda t, w, n: max(0.0, (n - t) / (n - w))),
    # fresh10: 5% warm-up, then cosine to 0
    "warmup_cosine": (0.05, lambda t, w, n: 0.5 * (1 + math.cos(math.pi * (t - w) / max(1, n - w)))),
    # fresh11: 10% warm-up, x0.1 from 70% of the run
    "warmup_step": (0.1, lambda t, w, n: 1.0 if t < 0.7 * n else 0.1),
    # fresh12: 5% warm-up, stable, linear decay to 0 over the last 20% (warm-up-stable-decay)
    "wsd": (0.05, lambda t, w, n: 1.0 if t < int(0.8 * n) else max(0.0, (n - t) / (n - int(0.8 * n)))),
    # fresh12: 3% warm-up, then exponentially to 5% of the LR
    "warmup_exp": (0.03, lambda t, w, n: 0.05 ** ((t - w) / max(1, n - w))),
    # fresh13: 4% warm-up, then sqrt(w / t)
    "noam": (0.04, lambda t, w, n: math.sqrt(w / (t + 1))),
    # fresh13: 2% warm-up, then (1 - progress)^1.5 to 0
    "poly_warm": (0.02, lambda t, w, n: max(0.0, 1.0 - (t - w) / max(1, n - w)) ** 1.5),
    # fresh14: 3% warm-up, x0.2 from 60% of the run, x0.04 from 85%
    "warmup_multistep": (0.03, lambda t, w, n: 1.0 if t < 0.6 * n else (0.2 if t < 0.85 * n else 0.04)),
    # fresh14: 1% warm-up, stable, then 1 - sqrt(progress of the last 20%) to 0 (a WSD cool-down)
    "wsd_sqrt": (0.01, lambda t, w, n: 1.0 if t < 0.8 * n else max(0.0, 1.0 - math.sqrt((t - 0.8 * n) / (0.2 * n)))),
    # fresh17: 5% warm-up, then three cosine cycles whose peaks are 1, 0.6 and 0.36
    "warmup_cos_restarts": (0.05, lambda t, w, n: _decaying_restarts((t - w) / max(1, n - w))),
    # fresh18: 4% warm-up, then sqrt(w / t), then linearly to 0 over the last 10% (a cool-down)
    "warmup_rsqrt_cool": (0.04, lambda t, w, n: math.sqrt(w / (t + 1)) * min(1.0, max(0.0, (n - t) / (0.1 * n)))),
    # fresh20: 8% warm-up, then a cosine to 10% of the LR
    "warmup_cos_floor": (0.08, lambda t, w, n: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (t - w) / max(1, n - w)))),
    # fresh21: 5% warm-up, then linearly to 10% of the LR
    "warmup_linear_floor": (0.05, lambda t, w, n: 1.0 - 0.9 * (t - w) / max(1, n - w)),
    # fresh22: 5% warm-up, held to 45% of the run, then a cosine to 0
    "warmup_hold_cosine": (0.05, lambda t, w, n: 1.0 if t < 0.45 * n else 0.5 * (1 + math.cos(math.pi * (t - 0.45 * n) / (0.55 * n)))),
    # fresh23: 5% warm-up, then (1 - progress)^2 to 0
    "warmup_poly2": (0.05, lambda t, w, n: max(0.0, 1.0 - (t - w) / max(1, n - w)) ** 2),
    # fresh24: 4% warm-up, held to 70% of the run, then exponentially to 1% of the LR
    "warmup_hold_exp": (0.04, lambda t, w, n: 1.0 if t < 0.7 * n else 0.01 ** ((t - 0.7 * n) / (0.3 * n))),
    # fresh25: 5% warm-up, then (1 - progress)^3 to 0
    "warmup_cubic": (0.05, lambda t, w, n: max(0.0, 1.0 - (t - w) / max(1, n - w)) ** 3),
    # fresh26: 6% warm-up, held to 60% of the run, then linearly to 5% of the LR
    "warmup_hold_linear": (0.06, lambda t, w, n: 1.0 if t < 0.6 * n else 1.0 - 0.95 * (t - 0.6 * n) / (0.4 * n)),
    # fresh27: 8% warm-up, held to 55% of the run, then (1 - q)^2 to 0 over the rest
    "warmup_hold_quadratic": (0.08, lambda t, w, n: 1.0 if t < 0.55 * n else max(0.0, 1.0 - (t - 0.55 * n) / (0.45 * n)) ** 2),
    # fresh28: 7% warm-up, held to half the run, then (1 - q)^3 to 0 over the rest
    "warmup_hold_cubic": (0.07, lambda t, w, n: 1.0 if t < 0.5 * n else max(0.0, 1.0 - (t - 0.5 * n) / (0.5 * n)) ** 3),
    # fresh29: 6% warm-up, held to 40% of the run, then 1 / (1 + 9 q) to 10% of the LR over the rest
    "warmup_hold_inv": (0.06, lambda t, w, n: 1.0 if t < 0.4 * n else 1.0 / (1.0 + 9.0 * (t - 0.4 * n) / (0.6 * n))),
    # fresh30: 5% warm-up, held to 45% of the run, then 1 - sqrt(q) to 0 over the rest
    "warmup_hold_sqrt": (0.05, lambda t, w, n: 1.0 if t < 0.45 * n else max(0.0, 1.0 - math.sqrt(min(1.0, (t - 0.45 * n) / (0.55 * n))))),
    # fresh31: 4% warm-up, held to half the run, then 1 - log10(1 + 9 q) to 0 over the rest
    "warmup_hold_log": (0.04, lambda t, w, n: 1.0 if t < 0.5 * n else max(0.0, 1.0 - math.log10(1.0 + 9.0 * min(1.0, (t - 0.5 * n) / (0.5 * n))))),
    # fresh32: 5% warm-up, held to 40% of the run, then 1 - tanh(3 q) (to 0.5%) over the rest
    "warmup_hold_tanh": (0.05, lambda t, w, n: 1.0 if t < 0.4 * n else 1.0 - math.tanh(3.0 * min(1.0, (t - 0.4 * n) / (0.6 * n)))),
    # fresh33: 3% warm-up, held to 45% of the run, then 1 - (3 q^2 - 2 q^3) (a smoothstep, to 0) over the rest
    "warmup_hold_smoothstep": (0.03, lambda t, w, n: 1.0 if t < 0.45 * n else 1.0 - (lambda q: 3.0 * q * q - 2.0 * q ** 3)(min(1.0, (t - 0.45 * n) / (0.55 * n)))),
    # fresh34: 4% warm-up, held to 35% of the run, then 1 - sin(pi q / 2) (to 0) over the rest
    "warmup_hold_sine": (0.04, lambda t, w, n: 1.0 if t < 0.35 * n else 1.0 - math.sin(0.5 * math.pi * min(1.0, (t - 0.35 * n) / (0.65 * n)))),
    # fresh35: 6% warm-up, held to half the run, then 1 - (4 / pi) arctan(q) (to 0) over the rest
    "warmup_hold_arctan": (0.06, lambda t, w, n: 1.0 if t < 0.5 * n else max(0.0, 1.0 - 4.0 / math.pi * math.atan(min(1.0, (t - 0.5 * n) / (0.5 * n))))),
    # fresh36: 4% warm-up, held to 40% of the run, then exp(-(3 q)^2) (to 1e-4) over the rest
    "warmup_hold_gauss": (0.04, lambda t, w, n: 1.0 if t < 0.4 * n else math.exp(-(3.0 * min(1.0, (t - 0.4 * n) / (0.6 * n))) ** 2)),
    # fresh37: 5% warm-up, held to 45% of the run, then a logistic step 1 / (1 + exp(10 (q - 1/2)))
    # rescaled to run from 1 to 0 over the rest
    "warmup_hold_logistic": (0.05, lambda t, w, n: 1.0 if t < 0.45 * n else max(0.0, (
        1.0 / (1.0 + math.exp(10.0 * (min(1.0, (t - 0.45 * n) / (0.55 * n)) - 0.5))) - 1.0 / (1.0 + math.exp(5.0)))
        / (1.0 / (1.0 + math.exp(-5.0)) - 1.0 / (1.0 + math.exp(5.0))))),
    # fresh38: 3% warm-up, held to 50% of the run, then 1 - (e^(3 q) - 1) / (e^3 - 1): slow at
    # first, steepest at the end, to 0
    "warmup_hold_expdrop": (0.03, lambda t, w, n: 1.0 if t < 0.5 * n else max(0.0, 1.0 - math.expm1(
        3.0 * min(1.0, (t - 0.5 * n) / (0.5 * n))) / math.expm1(3.0))),
    # fresh39: 4% warm-up, held to 40% of the run, then cos^2(pi q / 2) to 0
    "warmup_hold_cos2": (0.04, lambda t, w, n: 1.0 if t < 0.4 * n else math.cos(
        0.5 * math.pi * min(1.0, (t - 0.4 * n) / (0.6 * n))) ** 2),
    # fresh40: 5% warm-up, held to 45% of the run, then (1 - q)^4 to 0
    "warmup_hold_quartic": (0.05, lambda t, w, n: 1.0 if t < 0.45 * n else max(0.0, 1.0 - (t - 0.45 * n) / (0.55 * n)) ** 4),
    # fresh41: 6% warm-up, held to half the run, then 1 - (cosh(2 q) - 1) / (cosh 2 - 1) to 0
    "warmup_hold_cosh": (0.06, lambda t, w, n: 1.0 if t < 0.5 * n else max(0.0, 1.0 - (math.cosh(
        2.0 * min(1.0, (t - 0.5 * n) / (0.5 * n))) - 1.0) / (math.cosh(2.0) - 1.0))),
    # fresh42: 7% warm-up, held to 45% of the run, then (sech(3 q) - sech 3) / (1 - sech 3) to 0
    "warmup_hold_sech": (0.07, lambda t, w, n: 1.0 if t < 0.45 * n else max(0.0, (1.0 / math.cosh(
        3.0 * min(1.0, (t - 0.45 * n) / (0.55 * n))) - 1.0 / math.cosh(3.0)) / (1.0 - 1.0 / math.cosh(3.0)))),
    # fresh43: 5% warm-up, held to 40% of the run, then 1 - erf(2 q) / erf 2 to 0
    "warmup_hold_erf": (0.05, lambda t, w, n: 1.0 if t < 0.4 * n else max(0.0, 1.0 - math.erf(
        2.0 * min(1.0, (t - 0.4 * n) / (0.6 * n))) / math.erf(2.0))),
    # fresh44: 6% warm-up, held to 42% of the run, then (1 - q) / (1 + 2 q) to 0
    "warmup_hold_rational": (0.06, lambda t, w, n: 1.0 if t < 0.42 * n else max(0.0, (1.0 - (q := min(
        1.0, (t - 0.42 * n) / (0.58 * n)))) / (1.0 + 2.0 * q))),
    # fresh45: 7% warm-up, held to 44% of the run, then (1 - q) / (1 + 8 q^2) to 0
    "warmup_hold_lorentz": (0.07, lambda t, w, n: 1.0 if t < 0.44 * n else max(0.0, (1.0 - (q := min(
        1.0, (t - 0.44 * n) / (0.56 * n)))) / (1.0 + 8.0 * q * q))),
    # fresh46: 8% warm-up, held to 40% of the run, then sqrt(1 - q^2) (a quarter circle) to 0
    "warmup_hold_circle": (0.08, lambda t, w, n: 1.0 if t < 0.40 * n else math.sqrt(max(0.0, 1.0 - min(
        1.0, (t - 0.40 * n) / (0.60 * n)) ** 2))),
    # fresh47: 9% warm-up, held to 38% of the run, then the bump exp(1 - 1 / (1 - q^2)) to 0
    "warmup_hold_bump": (0.09, lambda t, w, n: 1.0 if t < 0.38 * n else (0.0 if (q := min(
        1.0, (t - 0.38 * n) / (0.62 * n))) >= 1.0 else math.exp(1.0 - 1.0 / (1.0 - q * q)))),
    # fresh48: 10% warm-up, held to 36% of the run, then cos(pi q / 2)^3 to 0
    "warmup_hold_cos3": (0.10, lambda t, w, n: 1.0 if t < 0.36 * n else math.cos(0.5 * math.pi * min(
        1.0, (t - 0.36 * n) / (0.64 * n))) ** 3),
    # fresh49: 11% warm-up, held to 34% of the run, then (1 - q)^1.5 to 0
    "warmup_hold_pow15": (0.11, lambda t, w, n: 1.0 if t < 0.34 * n else max(
        0.0, 1.0 - (t - 0.34 * n) / (0.66 * n)) ** 1.5),
    # fresh50: 12% warm-up, held to 33% of the run, then (1 - q)^2.5 to 0
    "warmup_hold_pow25": (0.12, lambda t, w, n: 1.0 if t < 0.33 * n else max(
        0.0, 1.0 - (t - 0.33 * n) / (0.67 * n)) ** 2.5),
    # fresh51: 13% warm-up, held to 32% of the run, then 1 - (6 q^5 - 15 q^4 + 10 q^3) (a
    # smootherstep, flat at both ends) to 0
    "warmup_hold_smootherstep": (0.13, lambda t, w, n: 1.0 if t < 0.32 * n else 1.0 - (
        lambda q: q ** 3 * (q * (6.0 * q - 15.0) + 10.0))(min(1.0, (t - 0.32 * n) / (0.68 * n)))),
    # fresh52: 14% warm-up, held to 31% of the run, then (1 - q) exp(-2 q) (a line damped by an
    # exponential, steep at first) to 0
    "warmup_hold_linexp": (0.14, lambda t, w, n: 1.0 if t < 0.31 * n else (lambda q: (1.0 - q) * math.exp(
        -2.0 * q))(min(1.0, (t - 0.31 * n) / (0.69 * n)))),
    # fresh53: 15% warm-up, held to 30% of the run, then (1 / (1 + 4 q^2) - 1/5) / (4/5) (a Cauchy
    # bell, flat at first, shifted and rescaled to reach 0) to 0
    "warmup_hold_cauchy": (0.15, lambda t, w, n: 1.0 if t < 0.30 * n else (lambda q: (1.0 / (1.0 + 4.0 * q * q)
                                                                           - 0.2) / 0.8)(min(1.0, (t - 0.30 * n) / (0.70 * n)))),
    # fresh54: 16% warm-up, held to 29% of the run, then sin(pi q) / (pi q) (the sinc's main lobe,
    # flat at first, steepest near its end) to 0
    "warmup_hold_sinc": (0.16, lambda t, w, n: 1.0 if t < 0.29 * n else (lambda q: 1.0 if q <= 0.0 else max(
        0.0, math.sin(math.pi * q) / (math.pi * q)))(min(1.0, (t - 0.29 * n) / (0.71 * n)))),
}


#: Long-run schedules that multiply the LR by ``gamma`` after each ``1 / parts`` of the run:
#: ``name: (parts, gamma)``.
STEP_SCHEDULES: dict[str, tuple[int, float]] = {
    "step_thirds": (3, 0.2),  # fresh20
    "step_quarters": (4, 0.5),  # fresh23
    "step_fifths": (5, 0.6),  # fresh24
    "step_sixths": (6, 0.7),  # fresh25
    "step_sevenths": (7, 0.75),  # fresh26
    "step_eighths": (8, 0.8),  # fresh27
    "step_ninths": (9, 0.82),  # fresh28
    "step_tenths": (10, 0.85),  # fresh29
    "step_elevenths": (11, 0.87),  # fresh30
    "step_twelfths": (12, 0.88),  # fresh31
    "step_thirteenths": (13, 0.9),  # fresh32
    "step_fourteenths": (14, 0.91),  # fresh33
    "step_fifteenths": (15, 0.92),  # fresh34
    "step_sixteenths": (16, 0.93),  # fresh35
    "step_seventeenths": (17, 0.935),  # fresh36
    "step_eighteenths": (18, 0.94),  # fresh37
    "step_nineteenths": (19, 0.945),  # fresh38
    "step_twentieths": (20, 0.95),  # fresh39
    "step_twentyfirsts": (21, 0.955),  # fresh40
    "step_twentyseconds": (22, 0.96),  # fresh41
    "step_twentythirds": (23, 0.965),  # fresh42
    "step_twentyfourths": (24, 0.97),  # fresh43
    "step_twentyfifths": (25, 0.975),  # fresh44
    "step_twentysixths": (26, 0.98),  # fresh45
    "step_twentysevenths": (27, 0.982),  # fresh46
    "step_twentyeighths": (28, 0.984),  # fresh47
    "step_twentyninths": (29, 0.986),  # fresh48
    "step_thirtieths": (30, 0.988),  # fresh49
    "step_thirtyfirsts": (31, 0.99),  # fresh50
    "step_thirtyseconds": (32, 0.991),  # fresh51
    "step_thirtythirds": (33, 0.992),  # fresh52
    "step_thirtyfourths": (34, 0.993),  # fresh53
    "step_thirtyfifths": (35, 0.994),  # fresh54
}


def _decaying_restarts(progress: float, cycles: int = 3, decay: float = 0.6) -> float:
    """The LR factor ``decay**k * (1 + cos(pi * f)) / 2`` at ``progress`` (0..1) through
    ``cycles`` equal cosine cycles, ``k`` the cycle and ``f`` the position in it."""
    k = min(int(progress * cycles), cycles - 1)
    f = progress * cycles - k
    return decay**k * 0.5 * (1.0 + math.cos(math.pi * f))


def train_history(*args, **kwargs) -> History:
    """``_record_training`` with flush-to-zero on (a blown-up run is full of denormals, which crawl
    on CPU), restored afterwards: FTZ is process-wide state the caller (a test run) must not inherit."""
    import torch

    torch.set_flush_denormal(True)
    try:
        return _record_training(*args, **kwargs)
    finally:
        torch.set_flush_denormal(False)


def _ResidualMLP(d_in: int, hidden: int, depth: int, out: int):
    """fresh5's model: ``Linear(d_in, hidden)``, then ``depth - 1`` pre-activation residual blocks
    ``x + Linear(ReLU(BatchNorm(x)))``, then ``Linear(ReLU(BatchNorm(x)))`` to the output."""
    from torch import nn

    class ResidualMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(d_in, hidden)
            self.blocks = nn.ModuleList(nn.Sequential(nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, hidden))
                                        for _ in range(depth - 1))
            self.head = nn.Sequential(nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, out))

        def forward(self, x):
            x = self.inp(x)
            for b in self.blocks:
                x = x + b(x)
            return self.head(x)

    return ResidualMLP()


def _record_training(dataset: str = "digits", *, optimizer: str = "sgd", lr: float = 0.05, steps: int = 1500,
                  batch: int = 32, hidden: int = 64, depth: int = 2, momentum: float = 0.9, schedule: str | None = None,
                  seed: int = 0, run: str | None = None, full_loss: np.ndarray | None = None, arch: str = "relu",
                  glitch: tuple[int, int, float] | None = None, clip_grad_norm: float | None = None) -> History:
    """Train a small MLP (``depth`` hidden layers of ``hidden`` ReLU units) on a scikit-learn
    dataset and record what lrdiag's Monitor records.

    ``full_loss``, if given (length ``steps``, NaN-filled), receives the loss on the *whole*
    training set after every step: the benchmark's labels are computed from it (free of
    minibatch noise; plateau labels from every ``plateau_cadence(steps)``-th value, as in rounds
    1-3), while lrdiag only sees the minibatch loss, as a user logs it.

    Per optimizer step: the minibatch loss (``lrdiag/loss``), the LR (``lrdiag/lr/group0``),
    per-layer ``||Δθ|| / ||θ||`` (``lrdiag/update_ratio/<module>``), the global gradient norm.
    A non-finite loss is recorded and training continues (as a real run would, until stopped);
    ``schedule="cosine"`` anneals the LR to 0 over ``steps``; ``"warmup_linear"`` warms it up
    linearly over the first 6% of ``steps`` and decays it linearly to 0 (Hugging Face's default
    shape); ``"onecycle"`` is PyTorch's OneCycleLR peaking at ``lr``; ``"multistep"`` multiplies it
    by 0.1 at 50% and 75% of ``steps``. ``arch="ln_gelu"`` puts a LayerNorm before each GELU
    instead of a bare ReLU; ``arch="res_bn"`` is a residual MLP with BatchNorm (``_ResidualMLP``);
    ``"tanh"`` uses Tanh units and ``"dropout"`` a ReLU followed by Dropout(0.1) (fresh6).
    ``schedule="exp"`` decays the LR exponentially to 1% of ``lr`` over ``steps``; ``"restarts"``
    is PyTorch's CosineAnnealingWarmRestarts with a period of a quarter of ``steps`` (fresh6).
    ``arch="silu"`` uses SiLU units and ``"bn_relu"`` a BatchNorm before each ReLU (fresh7);
    ``schedule="poly"`` is PyTorch's PolynomialLR (power 2) to 0 over ``steps``, ``"halving"``
    halves the LR every sixth of ``steps`` (fresh7). ``arch="elu"`` and ``"leaky"`` (LeakyReLU 0.1)
    (fresh8); ``schedule="inv_sqrt"`` multiplies the LR by ``1 / sqrt(1 + t / 100)``, ``"cyclic"``
    is PyTorch's triangular CyclicLR between ``lr / 10`` and ``lr`` with a period of a sixth of
    ``steps`` (fresh8). ``arch="mish"`` and ``"ln_relu"`` (a LayerNorm before each ReLU) (fresh9);
    ``schedule="cosine_floor"`` anneals to ``lr / 20``, ``"linear_decay"`` decays linearly to
    ``lr / 20`` (fresh9). ``arch="gelu"`` and ``"selu"`` (fresh10); ``schedule="warmup_cosine"``
    warms up linearly over 5% of ``steps`` then anneals to 0, ``"rlrop"`` is PyTorch's
    ReduceLROnPlateau (factor 0.3, patience 250 steps) stepped on the minibatch loss (fresh10).
    ``arch="softplus"`` and ``"hardswish"`` (fresh11); ``schedule="warmup_step"`` warms up linearly
    over 10% of ``steps`` and multiplies the LR by 0.1 at 70%, ``"restarts_mult"`` is PyTorch's
    CosineAnnealingWarmRestarts with a first period of a seventh of ``steps``, doubling (fresh11).
    ``arch="sigmoid"`` and ``"celu"`` (fresh12); ``schedule="wsd"`` (warm-up-stable-decay) warms up
    linearly over 5% of ``steps``, holds ``lr`` and decays linearly to 0 over the last 20%,
    ``"warmup_exp"`` warms up linearly over 3% of ``steps`` then decays exponentially to 5% of
    ``lr`` at the end (fresh12). ``arch="prelu"`` and ``"ln_tanh"`` (a LayerNorm before each Tanh)
    (fresh13); ``schedule="noam"`` warms up linearly over 4% of ``steps`` and then decays as
    ``sqrt(warm / t)``, ``"poly_warm"`` warms up linearly over 2% of ``steps`` and then decays as
    ``(1 - progress)^1.5`` to 0 (fresh13).
    ``arch="relu6"`` and ``"gn_gelu"`` (a GroupNorm of 8 groups before each GELU) (fresh14);
    ``schedule="warmup_multistep"`` warms up linearly over 3% of ``steps``, then multiplies the LR
    by 0.2 at 60% and by 0.04 at 85%, ``"wsd_sqrt"`` warms up over 1%, holds ``lr`` and cools down
    as ``1 - sqrt(progress)`` over the last 20% (fresh14). ``arch="softsign"`` and ``"bn_tanh"`` (a
    BatchNorm before each Tanh) (fresh15); ``schedule="onecycle_lin"`` is OneCycleLR with linear
    annealing peaking at 25% of ``steps``, ``"triangular2"`` is CyclicLR between ``lr / 10`` and
    ``lr`` whose amplitude halves every cycle, four cycles (fresh15). ``arch="hardtanh"`` and
    ``"ln_silu"`` (a LayerNorm before each SiLU) (fresh16); ``schedule="exp_range"`` is CyclicLR
    between ``lr / 10`` and ``lr`` in five cycles whose amplitude decays by ``gamma**step`` to 2%
    at the end, ``"const_linear"`` holds ``lr / 3`` for 5% of ``steps`` (ConstantLR) and then
    decays linearly from ``lr`` to 2% of it (fresh16). ``arch="rrelu"`` (randomized leaky ReLU) and
    ``"gn_silu"`` (a GroupNorm of 8 groups before each SiLU) (fresh17); ``schedule="onecycle_3phase"``
    is OneCycleLR with ``three_phase=True`` (up over 30%, back down over 30%, then annihilation),
    ``"warmup_cos_restarts"`` warms up linearly over 5% of ``steps``, then runs three cosine cycles
    peaking at ``lr``, 0.6 ``lr`` and 0.36 ``lr`` (fresh17). ``arch="tanhshrink"`` (x - tanh x) and
    ``"bn_gelu"`` (a BatchNorm before each GELU) (fresh18); ``schedule="cosine_unfinished"`` is a
    cosine schedule for twice ``steps``, stopped half way (at half the LR), and
    ``"warmup_rsqrt_cool"`` warms up linearly over 4% of ``steps``, decays as ``sqrt(warm / t)`` and
    cools down linearly to 0 over the last 10% (fresh18). ``arch="ln_mish"`` (a LayerNorm before
    each Mish) and ``"bn_silu"`` (a BatchNorm before each SiLU) (fresh19); ``schedule="inverse_time"``
    is ``lr / (1 + 9 t / steps)`` (10% of ``lr`` at the end), ``"poly_sqrt"`` is PolynomialLR with
    power 0.5 to 0 over ``steps`` (fresh19). ``arch="gn_mish"`` (a GroupNorm of 8 groups before
    each Mish) and ``"bn_elu"`` (a BatchNorm before each ELU) (fresh20); ``schedule="warmup_cos_floor"``
    warms up linearly over 8% of ``steps`` and then follows a cosine to 10% of ``lr``,
    ``"step_thirds"`` is StepLR multiplying the LR by 0.2 after each third of ``steps`` (fresh20).
    ``arch="ln_elu"`` (a LayerNorm before each ELU) and ``"gn_relu"`` (a GroupNorm of 8 groups
    before each ReLU) (fresh21); ``schedule="warmup_linear_floor"`` warms up linearly over 5% of
    ``steps`` and then decays linearly to 10% of ``lr``, ``"restarts10"`` is
    CosineAnnealingWarmRestarts with ten equal cycles (fresh21). ``arch="ln_hardswish"`` (a
    LayerNorm before each Hardswish) and ``"bn_leaky"`` (a BatchNorm before each LeakyReLU of slope
    0.1) (fresh22); ``schedule="warmup_hold_cosine"`` warms up linearly over 5% of ``steps``, holds
    ``lr`` to 45% of them and then follows a cosine to 0, ``"linear_half_const"`` decays linearly to
    ``lr / 10`` over the first half and holds it (fresh22). ``arch="ln_celu"`` (a LayerNorm before
    each CELU) and ``"bn_softplus"`` (a BatchNorm before each Softplus) (fresh23);
    ``schedule="warmup_poly2"`` warms up linearly over 5% of ``steps`` and then decays as the square
    of the remaining fraction, ``"step_quarters"`` halves the LR after each quarter (fresh23).
    ``arch="gn_tanh"`` (a GroupNorm of 8 groups before each Tanh) and ``"ln_softsign"`` (a LayerNorm
    before each Softsign) (fresh24); ``schedule="warmup_hold_exp"`` warms up linearly over 4% of
    ``steps``, holds ``lr`` to 70% of them and then decays exponentially to ``lr / 100``,
    ``"step_fifths"`` multiplies the LR by 0.6 after each fifth (fresh24).
    ``arch="bn_mish"`` (a BatchNorm before each Mish) and ``"gn_softplus"`` (a GroupNorm of 8
    groups before each Softplus) (fresh25); ``schedule="warmup_cubic"`` warms up linearly over 5%
    of ``steps`` and then decays as the cube of the remaining fraction, ``"step_sixths"``
    multiplies the LR by 0.7 after each sixth (fresh25).
    ``arch="bn_hardswish"`` (a BatchNorm before each Hardswish) and ``"gn_elu"`` (a GroupNorm of 8
    groups before each ELU) (fresh26); ``schedule="warmup_hold_linear"`` warms up linearly over 6%
    of ``steps``, holds ``lr`` to 60% of them and then decays linearly to ``lr / 20``,
    ``"step_sevenths"`` multiplies the LR by 0.75 after each seventh (fresh26).
    ``arch="ln_relu6"`` (a LayerNorm before each ReLU6) and ``"gn_hardtanh"`` (a GroupNorm of 8
    groups before each Hardtanh) (fresh27); ``schedule="warmup_hold_quadratic"`` warms up linearly
    over 8% of ``steps``, holds ``lr`` to 55% of them and then decays as the square of the
    remaining fraction of the rest, ``"step_eighths"`` multiplies the LR by 0.8 after each eighth (fresh27).
    ``arch="ln_leaky"`` (a LayerNorm before each LeakyReLU) and ``"gn_celu"`` (a GroupNorm of 8
    groups before each CELU) (fresh28); ``schedule="warmup_hold_cubic"`` warms up linearly over 7%
    of ``steps``, holds ``lr`` to half of them and then decays as the cube of the remaining
    fraction of the rest, ``"step_ninths"`` multiplies the LR by 0.82 after each ninth (fresh28).
    ``arch="bn_relu6"`` (a BatchNorm before each ReLU6) and ``"gn_softsign"`` (a GroupNorm of 8
    groups before each Softsign) (fresh29); ``schedule="warmup_hold_inv"`` warms up linearly over
    6% of ``steps``, holds ``lr`` to 40% of them and then decays as ``1 / (1 + 9 q)`` (``q`` the
    fraction of the rest) to ``lr / 10``, ``"step_tenths"`` multiplies the LR by 0.85 after each
    tenth (fresh29). ``arch="bn_celu"`` (a BatchNorm before each CELU) and ``"gn_leaky"`` (a
    GroupNorm of 8 groups before each LeakyReLU(0.01)) (fresh30); ``schedule="warmup_hold_sqrt"``
    warms up linearly over 5% of ``steps``, holds ``lr`` to 45% of them and then decays as
    ``1 - sqrt(q)`` to 0, ``"step_elevenths"`` multiplies the LR by 0.87 after each eleventh
    (fresh30). ``arch="ln_hardtanh"`` (a LayerNorm before each Hardtanh) and ``"bn_softsign"`` (a
    BatchNorm before each Softsign) (fresh31); ``schedule="warmup_hold_log"`` warms up linearly
    over 4% of ``steps``, holds ``lr`` to half of them and then decays as ``1 - log10(1 + 9 q)`` to
    0, ``"step_twelfths"`` multiplies the LR by 0.88 after each twelfth (fresh31).
    ``arch="ln_softplus"`` (a LayerNorm before each Softplus) and ``"gn_hardswish"`` (a GroupNorm of
    8 groups before each Hardswish) (fresh32); ``schedule="warmup_hold_tanh"`` warms up linearly
    over 5% of ``steps``, holds ``lr`` to 40% of them and then decays as ``1 - tanh(3 q)`` (to
    0.5% of ``lr``), ``"step_thirteenths"`` multiplies the LR by 0.9 after each thirteenth (fresh32).
    ``arch="gn_relu6"`` (a GroupNorm of 8 groups before each ReLU6) and ``"bn_hardtanh"`` (a
    BatchNorm before each Hardtanh) (fresh33); ``schedule="warmup_hold_smoothstep"`` warms up
    linearly over 3% of ``steps``, holds ``lr`` to 45% of them and then decays as
    ``1 - (3 q^2 - 2 q^3)`` to 0, ``"step_fourteenths"`` multiplies the LR by 0.91 after each
    fourteenth (fresh33). ``arch="ln_prelu"`` (a LayerNorm before each PReLU) and ``"gn_selu"`` (a
    GroupNorm of 8 groups before each SELU) (fresh34); ``schedule="warmup_hold_sine"`` warms up
    linearly over 4% of ``steps``, holds ``lr`` to 35% of them and then decays as
    ``1 - sin(pi q / 2)`` to 0, ``"step_fifteenths"`` multiplies the LR by 0.92 after each
    fifteenth (fresh34). ``arch="ln_sigmoid"`` (a LayerNorm before each Sigmoid) and ``"bn_selu"``
    (a BatchNorm before each SELU) (fresh35); ``schedule="warmup_hold_arctan"`` warms up linearly
    over 6% of ``steps``, holds ``lr`` to half of them and then decays as ``1 - (4 / pi) arctan(q)``
    to 0, ``"step_sixteenths"`` multiplies the LR by 0.93 after each sixteenth (fresh35).
    ``arch="gn_sigmoid"`` (a GroupNorm of 8 groups before each Sigmoid) and ``"bn_prelu"`` (a
    BatchNorm before each PReLU) (fresh36); ``schedule="warmup_hold_gauss"`` warms up linearly over
    4% of ``steps``, holds ``lr`` to 40% of them and then decays as ``exp(-(3 q)^2)`` (to 1e-4),
    ``"step_seventeenths"`` multiplies the LR by 0.935 after each seventeenth (fresh36).
    ``arch="ln_selu"`` (a LayerNorm before each SELU) and ``"gn_prelu"`` (a GroupNorm of 8 groups
    before each PReLU) (fresh37); ``schedule="warmup_hold_logistic"`` warms up linearly over 5% of
    ``steps``, holds ``lr`` to 45% of them and then follows a logistic step down to 0,
    ``"step_eighteenths"`` multiplies the LR by 0.94 after each eighteenth (fresh37).
    ``arch="bn_sigmoid"`` (a BatchNorm before each Sigmoid) and ``"ln_tanhshrink"`` (a LayerNorm
    before each Tanhshrink) (fresh38); ``schedule="warmup_hold_expdrop"`` warms up linearly over 3%
    of ``steps``, holds ``lr`` to half of them and then falls as ``1 - (e^(3 q) - 1) / (e^3 - 1)``
    to 0, ``"step_nineteenths"`` multiplies the LR by 0.945 after each nineteenth (fresh38).
    ``arch="ln_rrelu"`` (a LayerNorm before each RReLU) and ``"gn_tanhshrink"`` (a GroupNorm of 8
    groups before each Tanhshrink) (fresh39); ``schedule="warmup_hold_cos2"`` warms up linearly over
    4% of ``steps``, holds ``lr`` to 40% of them and then falls as ``cos^2(pi q / 2)`` to 0,
    ``"step_twentieths"`` multiplies the LR by 0.95 after each twentieth (fresh39).
    ``arch="gn_rrelu"`` (a GroupNorm of 8 groups before each RReLU) and ``"bn_tanhshrink"`` (a
    BatchNorm before each Tanhshrink) (fresh40); ``schedule="warmup_hold_quartic"`` warms up
    linearly over 5% of ``steps``, holds ``lr`` to 45% of them and then falls as ``(1 - q)^4`` to 0,
    ``"step_twentyfirsts"`` multiplies the LR by 0.955 after each twenty-first (fresh40).
    ``arch="bn_rrelu"`` (a BatchNorm before each RReLU) and ``"ln_softshrink"`` (a LayerNorm before
    each Softshrink(0.5)) (fresh41); ``schedule="warmup_hold_cosh"`` warms up linearly over 6% of
    ``steps``, holds ``lr`` to half of them and then falls as ``1 - (cosh(2 q) - 1) / (cosh 2 - 1)``
    to 0, ``"step_twentyseconds"`` multiplies the LR by 0.96 after each twenty-second (fresh41).
    ``arch="ln_hardshrink"`` (a LayerNorm before each Hardshrink(0.5)) and ``"gn_logsigmoid"`` (a
    GroupNorm of 8 groups before each LogSigmoid) (fresh42); ``schedule="warmup_hold_sech"`` warms
    up linearly over 7% of ``steps``, holds ``lr`` to 45% of them and then falls as ``(sech(3 q) -
    sech 3) / (1 - sech 3)`` to 0, ``"step_twentythirds"`` multiplies the LR by 0.965 after each
    twenty-third (fresh42).
    ``arch="ln_hardsigmoid"`` (a LayerNorm before each Hardsigmoid) and ``"bn_threshold"`` (a
    BatchNorm before each Threshold(0.1, 0): a ReLU that passes only inputs over 0.1) (fresh43);
    ``schedule="warmup_hold_erf"`` warms up linearly over 5% of ``steps``, holds ``lr`` to 40% of
    them and then falls as ``1 - erf(2 q) / erf 2`` to 0, ``"step_twentyfourths"`` multiplies the
    LR by 0.97 after each twenty-fourth (fresh43).
    ``arch="ln_gelu_tanh"`` (a LayerNorm before each GELU in its tanh approximation) and
    ``"bn_hardtanh2"`` (a BatchNorm before each Hardtanh(-2, 2)) (fresh44);
    ``schedule="warmup_hold_rational"`` warms up linearly over 6% of ``steps``, holds ``lr`` to 42%
    of them and then falls as ``(1 - q) / (1 + 2 q)`` to 0, ``"step_twentyfifths"`` multiplies the
    LR by 0.975 after each twenty-fifth (fresh44).
    ``arch="gn_hardsigmoid"`` (a GroupNorm before each Hardsigmoid) and ``"bn_logsigmoid"`` (a
    BatchNorm before each LogSigmoid) (fresh45); ``schedule="warmup_hold_lorentz"`` warms up
    linearly over 7% of ``steps``, holds ``lr`` to 44% of them and then falls as
    ``(1 - q) / (1 + 8 q^2)`` to 0, ``"step_twentysixths"`` multiplies the LR by 0.98 after each
    twenty-sixth (fresh45).
    ``arch="bn_softshrink"`` (a BatchNorm before each Softshrink(0.5)) and ``"ln_logsigmoid"`` (a
    LayerNorm before each LogSigmoid) (fresh46); ``schedule="warmup_hold_circle"`` warms up linearly
    over 8% of ``steps``, holds ``lr`` to 40% of them and then falls as ``sqrt(1 - q^2)`` to 0,
    ``"step_twentysevenths"`` multiplies the LR by 0.982 after each twenty-seventh (fresh46).
    ``arch="bn_hardshrink"`` (a BatchNorm before each Hardshrink(0.5)) and ``"gn_softshrink"`` (a
    GroupNorm of 8 groups before each Softshrink(0.5)) (fresh47); ``schedule="warmup_hold_bump"``
    warms up linearly over 9% of ``steps``, holds ``lr`` to 38% of them and then falls as the bump
    ``exp(1 - 1 / (1 - q^2))`` to 0, ``"step_twentyeighths"`` multiplies the LR by 0.984 after each
    twenty-eighth (fresh47).
    ``arch="gn_hardshrink"`` (a GroupNorm of 8 groups before each Hardshrink(0.5)) and
    ``"ln_threshold"`` (a LayerNorm before each Threshold(0.1, 0)) (fresh48);
    ``schedule="warmup_hold_cos3"`` warms up linearly over 10% of ``steps``, holds ``lr`` to 36% of
    them and then falls as ``cos(pi q / 2)^3`` to 0, ``"step_twentyninths"`` multiplies the LR by
    0.986 after each twenty-ninth (fresh48).
    ``arch="gn_threshold"`` (a GroupNorm of 8 groups before each Threshold(0.1, 0)) and
    ``"bn_hardsigmoid"`` (a BatchNorm before each Hardsigmoid) (fresh49);
    ``schedule="warmup_hold_pow15"`` warms up linearly over 11% of ``steps``, holds ``lr`` to 34% of
    them and then falls as ``(1 - q)^1.5`` to 0, ``"step_thirtieths"`` multiplies the LR by 0.988
    after each thirtieth (fresh49).
    ``arch="gn_gelu_tanh"`` (a GroupNorm of 8 groups before each GELU in its tanh approximation) and
    ``"ln_hardtanh2"`` (a LayerNorm before each Hardtanh(-2, 2)) (fresh50);
    ``schedule="warmup_hold_pow25"`` warms up linearly over 12% of ``steps``, holds ``lr`` to 33% of
    them and then falls as ``(1 - q)^2.5`` to 0, ``"step_thirtyfirsts"`` multiplies the LR by 0.99
    after each thirty-first (fresh50).
    ``arch="bn_gelu_tanh"`` (a BatchNorm before each GELU in its tanh approximation) and
    ``"gn_hardtanh2"`` (a GroupNorm of 8 groups before each Hardtanh(-2, 2)) (fresh51);
    ``schedule="warmup_hold_smootherstep"`` warms up linearly over 13% of ``steps``, holds ``lr`` to
    32% of them and then falls as ``1 - (6 q^5 - 15 q^4 + 10 q^3)`` to 0, ``"step_thirtyseconds"``
    multiplies the LR by 0.991 after each thirty-second (fresh51).
    ``arch="bn_softplus_b2"`` (a BatchNorm before each Softplus(beta=2)) and ``"ln_elu05"`` (a
    LayerNorm before each ELU(alpha=0.5)) (fresh52); ``schedule="warmup_hold_linexp"`` warms up
    linearly over 14% of ``steps``, holds ``lr`` to 31% of them and then falls as
    ``(1 - q) exp(-2 q)`` to 0, ``"step_thirtythirds"`` multiplies the LR by 0.992 after each
    thirty-third (fresh52).
    ``arch="gn_celu07"`` (a GroupNorm of 8 groups before each CELU(alpha=0.7)) and ``"bn_leaky02"``
    (a BatchNorm before each LeakyReLU(0.2)) (fresh53); ``schedule="warmup_hold_cauchy"`` warms up
    linearly over 15% of ``steps``, holds ``lr`` to 30% of them and then falls as
    ``(1 / (1 + 4 q^2) - 1/5) / (4/5)`` to 0, ``"step_thirtyfourths"`` multiplies the LR by 0.993
    after each thirty-fourth (fresh53).
    ``arch="ln_softplus_b05"`` (a LayerNorm before each Softplus(beta=0.5)) and ``"gn_leaky005"``
    (a GroupNorm of 8 groups before each LeakyReLU(0.05)) (fresh54); ``schedule="warmup_hold_sinc"``
    warms up linearly over 16% of ``steps``, holds ``lr`` to 29% of them and then falls as
    ``sin(pi q) / (pi q)`` to 0, ``"step_thirtyfifths"`` multiplies the LR by 0.994 after each
    thirty-fifth (fresh54).
    ``schedule`` may also be a function of the step that returns the LR (``Recommendation.lr_at``:
    the benchmark's ``--follow``); ``lr`` is then the LR it is divided by for ``LambdaLR``; or a
    ``Recommendation``, whose ``scheduler(opt)`` drives the run (a ``ReduceLROnPlateau`` stepped with
    each minibatch's loss: ``--follow`` since round 43);
    ``clip_grad_norm`` clips the gradients' global norm before each step, as advice may ask.
    ``glitch=(step, length, factor)`` multiplies the LR by ``factor`` for ``length`` steps from
    ``step`` (a bad LR for a moment: the benchmark's real spikes), then restores it; the
    recorded LR shows it.
    """
    import torch
    from torch import nn

    from lrdiag.monitor import _hparams as monitor_hparams

    torch.manual_seed(seed)
    torch.set_num_threads(1)  # a tiny model: threads only add contention
    X, y, task = _dataset(dataset)
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.int64) if task == "cls" else y.astype(np.float32))
    out = int(y.max()) + 1 if task == "cls" else 1
    if arch == "res_bn":
        model = _ResidualMLP(X.shape[1], hidden, depth, out)
    else:
        act = {"ln_gelu": lambda: [nn.LayerNorm(hidden), nn.GELU()], "relu": lambda: [nn.ReLU()],
               "tanh": lambda: [nn.Tanh()], "dropout": lambda: [nn.ReLU(), nn.Dropout(0.1)],
               "silu": lambda: [nn.SiLU()], "bn_relu": lambda: [nn.BatchNorm1d(hidden), nn.ReLU()],
               "elu": lambda: [nn.ELU()], "leaky": lambda: [nn.LeakyReLU(0.1)],
               "mish": lambda: [nn.Mish()], "ln_relu": lambda: [nn.LayerNorm(hidden), nn.ReLU()],
               "gelu": lambda: [nn.GELU()], "selu": lambda: [nn.SELU()],
               "softplus": lambda: [nn.Softplus()], "hardswish": lambda: [nn.Hardswish()],
               "sigmoid": lambda: [nn.Sigmoid()], "celu": lambda: [nn.CELU()],
               "prelu": lambda: [nn.PReLU()], "ln_tanh": lambda: [nn.LayerNorm(hidden), nn.Tanh()],
               "relu6": lambda: [nn.ReLU6()], "gn_gelu": lambda: [nn.GroupNorm(8, hidden), nn.GELU()],
               "softsign": lambda: [nn.Softsign()], "bn_tanh": lambda: [nn.BatchNorm1d(hidden), nn.Tanh()],
               "hardtanh": lambda: [nn.Hardtanh()], "ln_silu": lambda: [nn.LayerNorm(hidden), nn.SiLU()],
               "rrelu": lambda: [nn.RReLU()], "gn_silu": lambda: [nn.GroupNorm(8, hidden), nn.SiLU()],
               "tanhshrink": lambda: [nn.Tanhshrink()], "bn_gelu": lambda: [nn.BatchNorm1d(hidden), nn.GELU()],
               "ln_mish": lambda: [nn.LayerNorm(hidden), nn.Mish()], "bn_silu": lambda: [nn.BatchNorm1d(hidden), nn.SiLU()],
               "gn_mish": lambda: [nn.GroupNorm(8, hidden), nn.Mish()], "bn_elu": lambda: [nn.BatchNorm1d(hidden), nn.ELU()],
               "ln_elu": lambda: [nn.LayerNorm(hidden), nn.ELU()], "gn_relu": lambda: [nn.GroupNorm(8, hidden), nn.ReLU()],
               "ln_hardswish": lambda: [nn.LayerNorm(hidden), nn.Hardswish()],
               "bn_leaky": lambda: [nn.BatchNorm1d(hidden), nn.LeakyReLU(0.1)],
               "ln_celu": lambda: [nn.LayerNorm(hidden), nn.CELU()],
               "bn_softplus": lambda: [nn.BatchNorm1d(hidden), nn.Softplus()],
               "gn_tanh": lambda: [nn.GroupNorm(8, hidden), nn.Tanh()],
               "ln_softsign": lambda: [nn.LayerNorm(hidden), nn.Softsign()],
               "bn_mish": lambda: [nn.BatchNorm1d(hidden), nn.Mish()],
               "gn_softplus": lambda: [nn.GroupNorm(8, hidden), nn.Softplus()],
               "bn_hardswish": lambda: [nn.BatchNorm1d(hidden), nn.Hardswish()],
               "gn_elu": lambda: [nn.GroupNorm(8, hidden), nn.ELU()],
               "ln_relu6": lambda: [nn.LayerNorm(hidden), nn.ReLU6()],
               "gn_hardtanh": lambda: [nn.GroupNorm(8, hidden), nn.Hardtanh()],
               "ln_leaky": lambda: [nn.LayerNorm(hidden), nn.LeakyReLU(0.01)],
               "gn_celu": lambda: [nn.GroupNorm(8, hidden), nn.CELU()],
               "bn_relu6": lambda: [nn.BatchNorm1d(hidden), nn.ReLU6()],
               "gn_softsign": lambda: [nn.GroupNorm(8, hidden), nn.Softsign()],
               "bn_celu": lambda: [nn.BatchNorm1d(hidden), nn.CELU()],
               "gn_leaky": lambda: [nn.GroupNorm(8, hidden), nn.LeakyReLU(0.01)],
               "ln_hardtanh": lambda: [nn.LayerNorm(hidden), nn.Hardtanh()],
               "bn_softsign": lambda: [nn.BatchNorm1d(hidden), nn.Softsign()],
               "ln_softplus": lambda: [nn.LayerNorm(hidden), nn.Softplus()],
               "gn_hardswish": lambda: [nn.GroupNorm(8, hidden), nn.Hardswish()],
               "gn_relu6": lambda: [nn.GroupNorm(8, hidden), nn.ReLU6()],
               "bn_hardtanh": lambda: [nn.BatchNorm1d(hidden), nn.Hardtanh()],
               "ln_prelu": lambda: [nn.LayerNorm(hidden), nn.PReLU()],
               "gn_selu": lambda: [nn.GroupNorm(8, hidden), nn.SELU()],
               "ln_sigmoid": lambda: [nn.LayerNorm(hidden), nn.Sigmoid()],
               "bn_selu": lambda: [nn.BatchNorm1d(hidden), nn.SELU()],
               "gn_sigmoid": lambda: [nn.GroupNorm(8, hidden), nn.Sigmoid()],
               "bn_prelu": lambda: [nn.BatchNorm1d(hidden), nn.PReLU()],
               "ln_selu": lambda: [nn.LayerNorm(hidden), nn.SELU()],
               "gn_prelu": lambda: [nn.GroupNorm(8, hidden), nn.PReLU()],
               "bn_sigmoid": lambda: [nn.BatchNorm1d(hidden), nn.Sigmoid()],
               "ln_tanhshrink": lambda: [nn.LayerNorm(hidden), nn.Tanhshrink()],
               "ln_rrelu": lambda: [nn.LayerNorm(hidden), nn.RReLU()],
               "gn_tanhshrink": lambda: [nn.GroupNorm(8, hidden), nn.Tanhshrink()],
               "gn_rrelu": lambda: [nn.GroupNorm(8, hidden), nn.RReLU()],
               "bn_tanhshrink": lambda: [nn.BatchNorm1d(hidden), nn.Tanhshrink()],
               "bn_rrelu": lambda: [nn.BatchNorm1d(hidden), nn.RReLU()],
               "ln_softshrink": lambda: [nn.LayerNorm(hidden), nn.Softshrink(0.5)],
               "ln_hardshrink": lambda: [nn.LayerNorm(hidden), nn.Hardshrink(0.5)],
               "gn_logsigmoid": lambda: [nn.GroupNorm(8, hidden), nn.LogSigmoid()],
               "ln_hardsigmoid": lambda: [nn.LayerNorm(hidden), nn.Hardsigmoid()],
               "bn_threshold": lambda: [nn.BatchNorm1d(hidden), nn.Threshold(0.1, 0.0)],
               "ln_gelu_tanh": lambda: [nn.LayerNorm(hidden), nn.GELU(approximate="tanh")],
               "bn_hardtanh2": lambda: [nn.BatchNorm1d(hidden), nn.Hardtanh(-2.0, 2.0)],
               "gn_hardsigmoid": lambda: [nn.GroupNorm(8, hidden), nn.Hardsigmoid()],
               "bn_logsigmoid": lambda: [nn.BatchNorm1d(hidden), nn.LogSigmoid()],
               "bn_softshrink": lambda: [nn.BatchNorm1d(hidden), nn.Softshrink(0.5)],
               "ln_logsigmoid": lambda: [nn.LayerNorm(hidden), nn.LogSigmoid()],
               "bn_hardshrink": lambda: [nn.BatchNorm1d(hidden), nn.Hardshrink(0.5)],
               "gn_softshrink": lambda: [nn.GroupNorm(8, hidden), nn.Softshrink(0.5)],
               "gn_hardshrink": lambda: [nn.GroupNorm(8, hidden), nn.Hardshrink(0.5)],
               "ln_threshold": lambda: [nn.LayerNorm(hidden), nn.Threshold(0.1, 0.0)],
               "gn_threshold": lambda: [nn.GroupNorm(8, hidden), nn.Threshold(0.1, 0.0)],
               "bn_hardsigmoid": lambda: [nn.BatchNorm1d(hidden), nn.Hardsigmoid()],
               "gn_gelu_tanh": lambda: [nn.GroupNorm(8, hidden), nn.GELU(approximate="tanh")],
               "ln_hardtanh2": lambda: [nn.LayerNorm(hidden), nn.Hardtanh(-2.0, 2.0)],
               "bn_gelu_tanh": lambda: [nn.BatchNorm1d(hidden), nn.GELU(approximate="tanh")],
               "gn_hardtanh2": lambda: [nn.GroupNorm(8, hidden), nn.Hardtanh(-2.0, 2.0)],
               "bn_softplus_b2": lambda: [nn.BatchNorm1d(hidden), nn.Softplus(beta=2.0)],
               "ln_elu05": lambda: [nn.LayerNorm(hidden), nn.ELU(alpha=0.5)],
               "gn_celu07": lambda: [nn.GroupNorm(8, hidden), nn.CELU(alpha=0.7)],
               "bn_leaky02": lambda: [nn.BatchNorm1d(hidden), nn.LeakyReLU(0.2)],
               "ln_softplus_b05": lambda: [nn.LayerNorm(hidden), nn.Softplus(beta=0.5)],
               "gn_leaky005": lambda: [nn.GroupNorm(8, hidden), nn.LeakyReLU(0.05)]}[arch]
        mods: list = [nn.Linear(X.shape[1], hidden), *act()]
        for _ in range(depth - 1):
            mods += [nn.Linear(hidden, hidden), *act()]
        model = nn.Sequential(*mods, nn.Linear(hidden, out))
    if optimizer == "sgd_plain":
        momentum = 0.0
    if optimizer in ("sgd", "sgd_plain", "nesterov"):
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, nesterov=optimizer == "nesterov")
    elif optimizer in ADAPTIVE:
        opt = getattr(torch.optim, ADAPTIVE[optimizer][0])(model.parameters(), lr=lr, **ADAPTIVE[optimizer][1])
    else:
        raise ValueError(optimizer)
    # the first group's hyper-parameters as the Monitor records them (momentum, dampening, betas, ...)
    group_hp = monitor_hparams(opt.param_groups[0])
    if hasattr(schedule, "scheduler"):  # a Recommendation (--follow): its own torch scheduler, as a user builds it
        sched = schedule.scheduler(opt)
    elif callable(schedule):  # the LR at each step, e.g. a Recommendation's lr_at (--follow)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: schedule(t) / lr)
    elif schedule in WARMUP_SCHEDULES:  # a linear warm-up over a fraction of the run, then a decay
        frac, after = WARMUP_SCHEDULES[schedule]
        warm = max(1, int(frac * steps))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (t + 1) / warm if t < warm else after(t, warm, steps))
    elif schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    elif schedule == "onecycle":  # fresh5: PyTorch's OneCycleLR peaking at ``lr``
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    elif schedule == "onecycle_lin":  # fresh15: OneCycleLR with linear annealing, peak at 25% of the run
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.25,
                                                    anneal_strategy="linear")
    elif schedule == "triangular2":  # fresh15: CyclicLR between lr / 10 and lr, amplitude halved each of 4 cycles
        sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=lr / 10, max_lr=lr, step_size_up=max(1, steps // 8),
                                                  mode="triangular2", cycle_momentum=False)
    elif schedule == "cosine_unfinished":  # fresh18: a cosine over 2 x steps, stopped half way
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2 * steps)
    elif schedule == "onecycle_3phase":  # fresh17: OneCycleLR's three-phase variant (momentum cycled where there is one)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, three_phase=True,
                                                    cycle_momentum="momentum" in opt.defaults or "betas" in opt.defaults)
    elif schedule == "exp_range":  # fresh16: CyclicLR between lr / 10 and lr, 5 cycles, amplitude to 2% at the end
        sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=lr / 10, max_lr=lr, step_size_up=max(1, steps // 10),
                                                  mode="exp_range", gamma=0.02 ** (1 / steps), cycle_momentum=False)
    elif schedule == "const_linear":  # fresh16: lr / 3 for 5% of the run, then linearly from lr to 2% of it
        w = max(1, steps // 20)
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [
            torch.optim.lr_scheduler.ConstantLR(opt, factor=1 / 3, total_iters=w),
            torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.02, total_iters=steps - w)], milestones=[w])
    elif schedule == "multistep":  # fresh5: x0.1 at 50% and again at 75% of the run
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[steps // 2, 3 * steps // 4], gamma=0.1)
    elif schedule == "exp":  # fresh6: to 1% of ``lr`` at the end
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.01 ** (1.0 / steps))
    elif schedule == "restarts":  # fresh6: four cosine cycles
        sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=max(1, steps // 4))
    elif schedule == "poly":  # fresh7: (1 - t / steps)^2
        sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=steps, power=2.0)
    elif schedule == "halving":  # fresh7: x0.5 every sixth of the run
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, steps // 6), gamma=0.5)
    elif schedule == "inv_sqrt":  # fresh8: 1 / sqrt(1 + t / 100)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 / math.sqrt(1.0 + t / 100.0))
    elif schedule == "cosine_floor":  # fresh9: cosine to lr / 20
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr / 20)
    elif schedule == "linear_decay":  # fresh9: linearly to lr / 20
        sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.05, total_iters=steps)
    elif schedule == "cyclic":  # fresh8: triangular between lr / 10 and lr, six cycles
        sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=lr / 10, max_lr=lr, step_size_up=max(1, steps // 12),
                                                  cycle_momentum=False)
    elif schedule == "restarts_mult":  # fresh11: warm restarts after 1/7, 3/7 and 7/7 of the run
        sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=max(1, steps // 7), T_mult=2)
    elif schedule == "inverse_time":  # fresh19: lr / (1 + 9 t / steps)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 / (1.0 + 9.0 * t / steps))
    elif schedule == "poly_sqrt":  # fresh19: (1 - t / steps)^0.5
        sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=steps, power=0.5)
    elif schedule == "restarts10":  # fresh21: ten cosine cycles
        sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=max(1, steps // 10))
    elif schedule == "linear_half_const":  # fresh22: linearly to lr / 10 over the first half, then held there
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: max(0.1, 1.0 - 1.8 * t / steps))
    elif schedule in STEP_SCHEDULES:  # x gamma after each 1/parts of the run
        parts, gamma = STEP_SCHEDULES[schedule]
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, steps // parts), gamma=gamma)
    elif schedule == "rlrop":  # fresh10: x0.3 after 250 steps without a new best minibatch loss
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.3, patience=250)
    else:
        sched = None
    loss_fn = nn.CrossEntropyLoss() if task == "cls" else nn.MSELoss()
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    g = torch.Generator().manual_seed(seed)
    rec_loss = np.full(steps, np.nan)
    rec_lr = np.zeros(steps)
    rec_gn = np.full(steps, np.nan)
    rec_ratio = {n: np.full(steps, np.nan) for n, _ in layers}
    perm = torch.randperm(X.shape[0], generator=g)
    pos = 0
    params = [list(m.parameters()) for _, m in layers]
    flat = lambda ps: torch.cat([p.detach().reshape(-1) for p in ps])  # noqa: E731
    with torch.no_grad():
        prev = [flat(ps) for ps in params]
    for t in range(steps):
        if pos + batch > X.shape[0]:
            perm, pos = torch.randperm(X.shape[0], generator=g), 0
        idx = perm[pos : pos + batch]
        pos += batch
        pred = model(Xt[idx])
        loss = loss_fn(pred.squeeze(-1) if task == "reg" else pred, yt[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        glitching = glitch is not None and glitch[0] <= t < glitch[0] + glitch[1]
        if glitching:
            base_lrs = [g_["lr"] for g_ in opt.param_groups]
            for g_ in opt.param_groups:
                g_["lr"] = g_["lr"] * glitch[2]
        rec_lr[t] = opt.param_groups[0]["lr"]
        with torch.no_grad():
            gn = torch.linalg.vector_norm(torch.cat([p.grad.reshape(-1) for p in model.parameters() if p.grad is not None]))
        if clip_grad_norm is not None:  # as advised (--follow); the logged grad norm is the one before clipping
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        opt.step()
        if glitching:
            for g_, lr0 in zip(opt.param_groups, base_lrs):
                g_["lr"] = lr0
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            sched.step(float(loss.detach()) if torch.isfinite(loss) else float("inf"))
        elif sched:
            sched.step()
        rec_loss[t] = float(loss.detach())
        rec_gn[t] = float(gn)
        if full_loss is not None:
            model.eval()  # BatchNorm (res_bn): its running statistics; Dropout off: as an evaluation sees it
            with torch.no_grad():
                p_all = model(Xt)
                full_loss[t] = float(loss_fn(p_all.squeeze(-1) if task == "reg" else p_all, yt))
            model.train()
        with torch.no_grad():
            for i, ps in enumerate(params):
                cur = flat(ps)
                w = float(torch.linalg.vector_norm(prev[i]))
                rec_ratio[layers[i][0]][t] = float(torch.linalg.vector_norm(cur - prev[i])) / w if w > 0 else np.nan
                prev[i] = cur
    series = {names.LOSS: rec_loss, names.lr("group0"): rec_lr, names.GRAD_NORM: rec_gn}
    series.update({names.update_ratio(n): v for n, v in rec_ratio.items()})
    meta = {"run": run or f"{dataset}-{optimizer}-lr{lr:g}", "optimizer": type(opt).__name__,
            "hparams": {**group_hp, "batch_size": batch, "hidden": hidden, "depth": depth},
            "layers": [n for n, _ in layers], "groups": ["group0"]}
    return History(np.arange(steps), series, meta)


# -- synthetic curves -----------------------------------------------------------------------

@dataclass
class Case:
    history: History
    labels: list[tuple[str, int, int]]  # (kind, start, end) that must be found
    also_ok: tuple[str, ...] = ()  # kinds that are also a correct description (not scored)
    name: str = ""
    clean: bool = False
    full_loss: np.ndarray | None = None  # real runs: whole-training-set loss (see _record_training)
    r0: float | None = None  # real runs: the constant predictor's loss (constant_loss)
    lr_high: bool = False  # real runs: trained at an LR above the tuned one
    glitch_at: int | None = None  # real glitch runs: the step the LR was multiplied at
    train: dict | None = None  # real runs: train_history's arguments, less full_loss (--follow)
    tuned_lr: float | None = None  # real runs: the task's tuned LR for this run's optimizer (--follow)


def _noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, str, float]:
    """Log-scale loss noise ``sigma * eps`` with ``eps`` of unit variance, one of:

    * ``white``: Gaussian;
    * ``batchB``: the log of a minibatch mean of B per-example losses that are exponentially
      distributed (``Gamma(B, 1/B)``): right-skewed, heavier upper tail, B in 4..256 -- what a
      cross-entropy batch mean looks like;
    * ``arPHI``: AR(1) with ``phi`` in 0.3..0.95 (data order, momentum): autocorrelated.
    """
    kind = rng.choice(["white", "batch", "ar"])
    if kind == "white":
        return rng.standard_normal(n), "white", float(rng.uniform(0.02, 0.2))
    if kind == "batch":
        b = int(2 ** rng.integers(2, 9))
        logs = np.log(rng.gamma(b, 1.0 / b, n))
        eps = (logs - logs.mean()) / logs.std()
        return eps, f"batch{b}", float(logs.std())
    from scipy.signal import lfilter

    phi = rng.uniform(0.3, 0.95)
    eps = lfilter([1.0], [1.0, -phi], rng.standard_normal(n)) * math.sqrt(1 - phi**2)
    return eps, f"ar{phi:.2f}", float(rng.uniform(0.02, 0.1))


def _base_curve(rng: np.random.Generator, n: int, slow: float = 1.0) -> np.ndarray:
    """Power-law decay that is still improving >= 3% over the last tenth of the run
    (``slow`` stretches the time scale: a too-low LR learns that much more slowly)."""
    t = np.arange(n, dtype=np.float64)
    while True:
        a, alpha, t0 = rng.uniform(0.5, 3.0), rng.uniform(0.3, 1.0), rng.uniform(20, 300) * slow
        c = a * rng.uniform(0.0, 0.3)
        base = c + a * (1.0 + t / t0) ** -alpha
        # progress as lrdiag measures it: relative to (loss + 1% of the starting loss)
        floor = 0.01 * base[0]
        if (base[int(0.9 * n)] + floor) / (base[-1] + floor) - 1.0 >= 0.03:
            return base


def _lr_curve(rng: np.random.Generator, n: int, lr: float) -> np.ndarray:
    shape = rng.choice(["const", "warmup_cosine", "step"])
    t = np.arange(n)
    if shape == "const":
        return np.full(n, lr)
    if shape == "step":
        return lr * np.where(t < int(0.85 * n), 1.0, 0.1)
    warm = int(0.03 * n)
    cos = 0.5 * (1 + np.cos(np.pi * np.clip((t - warm) / max(1, n - warm), 0, 1)))
    return lr * np.where(t < warm, (t + 1) / max(1, warm), cos)


def _ratios(rng: np.random.Generator, n: int, lr_curve: np.ndarray, center: float, n_layers: int) -> dict[str, np.ndarray]:
    """Healthy per-layer update ratios: log-normal around ``center`` scaled with the LR."""
    out = {}
    rel = lr_curve / lr_curve.max()
    for i in range(n_layers):
        c = center * 10 ** rng.uniform(-0.3, 0.3)
        out[f"layers.{i}"] = c * rel * 10 ** (0.25 * rng.standard_normal(n))
    return out


def make_case(rng: np.random.Generator, kind: str) -> Case:
    """One labelled synthetic run of ``kind`` (one of KINDS, or "clean")."""
    n = int(rng.integers(3000, 12000))
    t = np.arange(n)
    base = _base_curve(rng, n, slow=30.0 if kind == "lr_too_low" else 1.0)
    eps, noise_kind, sigma = _noise(rng, n)
    logl = np.log(base) + sigma * eps
    labels: list[tuple[str, int, int]] = []
    also: tuple[str, ...] = ()
    opt = str(rng.choice(["SGD", "Adam"]))
    lr = 0.1 if opt == "SGD" else 1e-3
    lr_curve = _lr_curve(rng, n, lr)
    center = 3e-3 if opt == "SGD" else 4e-3  # a healthy ratio in the band's middle (bands.FACTORS)
    n_layers = int(rng.integers(3, 9))
    ratios = _ratios(rng, n, lr_curve, center, n_layers) if rng.random() < 0.7 or kind.startswith("lr_") else {}
    detail = noise_kind
    if kind == "spike":
        on = int(rng.integers(int(0.2 * n), int(0.85 * n)))
        jmin = max(math.log(1.8), 10 * sigma)
        jump = rng.uniform(jmin, jmin + 1.5)
        d = rng.uniform(1, 50)
        dt = t - on
        logl = logl + np.where(dt >= 0, jump * np.exp(-np.maximum(dt, 0) / d), 0.0)
        labels.append(("spike", on, on + int(3 * d)))
        detail += f" jump {math.exp(jump):.1f}x recover {d:.0f}"
    elif kind == "divergence":
        on = int(rng.integers(int(0.3 * n), int(0.8 * n)))
        dt = np.maximum(t - on, 0)
        if rng.random() < 0.6:
            r = rng.uniform(0.005, 0.1)
            logl = logl + np.where(t >= on, np.minimum(r * dt, math.log(50)), 0.0)
            if rng.random() < 0.5:
                nan_at = on + int(math.log(20) / r)
                logl[nan_at:] = np.nan if rng.random() < 0.5 else np.inf
            detail += f" exp rate {r:.3f}"
        else:
            lvl = math.log(base[on] * rng.uniform(3, 20))
            logl = np.where(t >= on, lvl + sigma * eps, logl)
            detail += " jump to a high level"
        labels.append(("divergence", on, n - 1))
        also = ("spike", "oscillation")
    elif kind == "plateau":
        on = int(rng.integers(int(0.2 * n), int(0.6 * n)))
        if rng.random() < 0.5:
            p = int(rng.uniform(0.15, 0.35) * n)
            src = np.where(t < on, t, np.where(t < on + p, on, t - p))
            labels.append(("plateau", on, min(n - 1, on + p)))
            detail += f" stall {p}"
        else:
            src = np.minimum(t, on)
            labels.append(("plateau", on, n - 1))
            detail += " converged"
        logl = np.log(base[src]) + sigma * eps
    elif kind == "oscillation":
        on = int(rng.integers(int(0.2 * n), int(0.7 * n)))
        length = int(rng.uniform(max(600, 0.1 * n), max(700, 0.3 * n)))
        end = min(n - 1, on + length)
        m = (t >= on) & (t <= end)
        if rng.random() < 0.7:
            p = int(rng.integers(2, 7))
            amp = rng.uniform(0.8 if p == 2 else 1.2, 3.0) * sigma
            logl = logl + m * amp * np.sign(np.cos(2 * np.pi * t / p + 0.1)) if p == 2 else logl + m * amp * math.sqrt(2) * np.cos(2 * np.pi * t / p + 0.3)
            detail += f" period {p} amp {amp / sigma:.1f} sigma"
        else:
            from scipy.signal import lfilter

            phi = rng.uniform(-0.9, -0.5)
            bounce = lfilter([1.0], [1.0, -phi], rng.standard_normal(n)) * math.sqrt(1 - phi**2)
            k = rng.uniform(1.0, 3.0)
            logl = np.where(m, np.log(base) + k * sigma * bounce, logl)
            detail += f" bounce phi {phi:.2f} x{k:.1f}"
        labels.append(("oscillation", on, end))
    elif kind in ("lr_too_low", "lr_too_high"):
        bad = rng.choice(n_layers, size=int(rng.integers(max(1, n_layers // 2), n_layers + 1)), replace=False)
        # too low: from the start (a mid-run drop is a schedule); too high: from the start or later
        on = 0 if kind == "lr_too_low" or rng.random() < 0.5 else int(rng.integers(int(0.1 * n), int(0.3 * n)))
        # "far outside": 3-30x beyond the band's edge for this optimizer (at the peak LR)
        band = band_for(opt)
        beyond = 10 ** rng.uniform(0.5, 1.5)
        for i in bad:
            r = ratios[f"layers.{i}"]
            c = np.median(r[lr_curve >= 0.99 * lr_curve.max()])
            target = band.low / beyond if kind == "lr_too_low" else band.high * beyond
            ratios[f"layers.{i}"] = np.where(t >= on, r * (target / c), r)
        shift = beyond
        labels.append((kind, on, n - 1))
        also = ("plateau",) if kind == "lr_too_low" else ("oscillation",)
        detail += f" {len(bad)}/{n_layers} layers {shift:.1f}x beyond the band from {on}"
    loss = np.exp(logl)
    series = {names.LOSS: loss, names.lr("group0"): lr_curve}
    series.update({names.update_ratio(k): v for k, v in ratios.items()})
    meta = {"run": f"synthetic-{kind}", "optimizer": opt}
    return Case(History(t, series, meta), labels, also, f"{kind}: {detail}", clean=(kind == "clean"))


# -- real cases -----------------------------------------------------------------------------

class RealSet(NamedTuple):
    """One task of a real-run split: ``opt1`` runs at its tuned LR, 10x, 100x, 1/100 and a 6000-step
    cosine schedule; ``opt2`` at its tuned LR, 100x and 1/100."""

    dataset: str
    seed: int
    hidden: int
    depth: int
    opt1: str
    opt2: str
    lr1: float
    lr2: float
    batch: int = 32
    arch: str = "relu"  # or "ln_gelu" (fresh4), "res_bn" (fresh5), "tanh", "dropout" (fresh6), "silu", "bn_relu" (fresh7), "elu", "leaky" (fresh8), "mish", "ln_relu" (fresh9), "gelu", "selu" (fresh10), "softplus", "hardswish" (fresh11), "sigmoid", "celu" (fresh12), "prelu", "ln_tanh" (fresh13), "relu6", "gn_gelu" (fresh14), "softsign", "bn_tanh" (fresh15), "hardtanh", "ln_silu" (fresh16), "rrelu", "gn_silu" (fresh17), "tanhshrink", "bn_gelu" (fresh18), "ln_mish", "bn_silu" (fresh19), "gn_mish", "bn_elu" (fresh20), "ln_elu", "gn_relu" (fresh21), "ln_hardswish", "bn_leaky" (fresh22), "ln_celu", "bn_softplus" (fresh23), "gn_tanh", "ln_softsign" (fresh24), "bn_mish", "gn_softplus" (fresh25), "bn_hardswish", "gn_elu" (fresh26), "ln_relu6", "gn_hardtanh" (fresh27), "ln_leaky", "gn_celu" (fresh28), "bn_relu6", "gn_softsign" (fresh29), "bn_celu", "gn_leaky" (fresh30), "ln_hardtanh", "bn_softsign" (fresh31), "ln_softplus", "gn_hardswish" (fresh32), "gn_relu6", "bn_hardtanh" (fresh33), "ln_prelu", "gn_selu" (fresh34), "ln_sigmoid", "bn_selu" (fresh35), "gn_sigmoid", "bn_prelu" (fresh36), "ln_selu", "gn_prelu" (fresh37), "bn_sigmoid", "ln_tanhshrink" (fresh38), "ln_rrelu", "gn_tanhshrink" (fresh39), "gn_rrelu", "bn_tanhshrink" (fresh40), "bn_rrelu", "ln_softshrink" (fresh41), "ln_hardshrink", "gn_logsigmoid" (fresh42), "ln_hardsigmoid", "bn_threshold" (fresh43), "ln_gelu_tanh", "bn_hardtanh2" (fresh44), "gn_hardsigmoid", "bn_logsigmoid" (fresh45), "bn_softshrink", "ln_logsigmoid" (fresh46), "bn_hardshrink", "gn_softshrink" (fresh47), "gn_hardshrink", "ln_threshold" (fresh48), "gn_threshold", "bn_hardsigmoid" (fresh49), "gn_gelu_tanh", "ln_hardtanh2" (fresh50), "bn_gelu_tanh", "gn_hardtanh2" (fresh51), "bn_softplus_b2", "ln_elu05" (fresh52), "gn_celu07", "bn_leaky02" (fresh53), "ln_softplus_b05", "gn_leaky005" (fresh54)
    long_schedule: str = "cosine"  # the 6000-step run's schedule; "warmup_linear" (fresh4); "onecycle", "multistep" (fresh5); "exp", "restarts" (fresh6); "poly", "halving" (fresh7); "inv_sqrt", "cyclic" (fresh8); "cosine_floor", "linear_decay" (fresh9); "warmup_cosine", "rlrop" (fresh10); "warmup_step", "restarts_mult" (fresh11); "wsd", "warmup_exp" (fresh12); "noam", "poly_warm" (fresh13); "warmup_multistep", "wsd_sqrt" (fresh14); "onecycle_lin", "triangular2" (fresh15); "exp_range", "const_linear" (fresh16); "onecycle_3phase", "warmup_cos_restarts" (fresh17); "cosine_unfinished", "warmup_rsqrt_cool" (fresh18); "inverse_time", "poly_sqrt" (fresh19); "warmup_cos_floor", "step_thirds" (fresh20); "warmup_linear_floor", "restarts10" (fresh21); "warmup_hold_cosine", "linear_half_const" (fresh22); "warmup_poly2", "step_quarters" (fresh23); "warmup_hold_exp", "step_fifths" (fresh24); "warmup_cubic", "step_sixths" (fresh25); "warmup_hold_linear", "step_sevenths" (fresh26); "warmup_hold_quadratic", "step_eighths" (fresh27); "warmup_hold_cubic", "step_ninths" (fresh28); "warmup_hold_inv", "step_tenths" (fresh29); "warmup_hold_sqrt", "step_elevenths" (fresh30); "warmup_hold_log", "step_twelfths" (fresh31); "warmup_hold_tanh", "step_thirteenths" (fresh32); "warmup_hold_smoothstep", "step_fourteenths" (fresh33); "warmup_hold_sine", "step_fifteenths" (fresh34); "warmup_hold_arctan", "step_sixteenths" (fresh35); "warmup_hold_gauss", "step_seventeenths" (fresh36); "warmup_hold_logistic", "step_eighteenths" (fresh37); "warmup_hold_expdrop", "step_nineteenths" (fresh38); "warmup_hold_cos2", "step_twentieths" (fresh39); "warmup_hold_quartic", "step_twentyfirsts" (fresh40); "warmup_hold_cosh", "step_twentyseconds" (fresh41); "warmup_hold_sech", "step_twentythirds" (fresh42); "warmup_hold_erf", "step_twentyfourths" (fresh43); "warmup_hold_rational", "step_twentyfifths" (fresh44); "warmup_hold_lorentz", "step_twentysixths" (fresh45); "warmup_hold_circle", "step_twentysevenths" (fresh46); "warmup_hold_bump", "step_twentyeighths" (fresh47); "warmup_hold_cos3", "step_twentyninths" (fresh48); "warmup_hold_pow15", "step_thirtieths" (fresh49); "warmup_hold_pow25", "step_thirtyfirsts" (fresh50); "warmup_hold_smootherstep", "step_thirtyseconds" (fresh51); "warmup_hold_linexp", "step_thirtythirds" (fresh52); "warmup_hold_cauchy", "step_thirtyfourths" (fresh53); "warmup_hold_sinc", "step_thirtyfifths" (fresh54)


#: Per split, the tasks. The tuned LRs are the usual defaults (SGD 0.05 with momentum, 0.01 for
#: the regressions, 0.1 without momentum; Adam/AdamW/RMSprop 1e-3; Adagrad 1e-2), fixed before
#: any run. "fresh" used data, model width and optimizers used nowhere else before it; "fresh2"
#: (the blind split) uses generated data, depths (1 and 3 hidden layers) and optimizers (RMSprop,
#: Adagrad, SGD without momentum) used nowhere else.
REAL_SPLITS: dict[str, list[RealSet]] = {
    "tuning": [RealSet("digits", 0, 64, 2, "sgd", "adam", 0.05, 1e-3),
               RealSet("digits", 1, 128, 2, "nesterov", "adamw", 0.05, 1e-3)],
    # round 1's three tasks, and the same data with 128 units, Nesterov and AdamW (seeds 10_003+)
    "heldout": [RealSet(ds, 10_000 + i + 3 * wide, 128 if wide else 64, 2, "nesterov" if wide else "sgd",
                        "adamw" if wide else "adam", lr, 1e-3)
                for wide in (0, 1) for i, (ds, lr) in enumerate((("wine", 0.05), ("breast_cancer", 0.05), ("diabetes", 0.01)))],
    "fresh": [RealSet("iris", 20_000, 128, 2, "nesterov", "adamw", 0.05, 1e-3),
              RealSet("moons", 20_001, 128, 2, "nesterov", "adamw", 0.05, 1e-3),
              RealSet("classification", 20_002, 128, 2, "nesterov", "adamw", 0.05, 1e-3),
              RealSet("friedman1", 20_003, 128, 2, "nesterov", "adamw", 0.01, 1e-3),
              RealSet("moons", 20_004, 64, 2, "sgd", "adam", 0.05, 1e-3),
              RealSet("classification", 20_005, 64, 2, "sgd", "adam", 0.05, 1e-3),
              RealSet("friedman1", 20_006, 64, 2, "sgd", "adam", 0.01, 1e-3)],
    "fresh2": [RealSet("regression", 30_000, 96, 3, "rmsprop", "adagrad", 1e-3, 1e-2),
               RealSet("circles", 30_001, 96, 3, "rmsprop", "adagrad", 1e-3, 1e-2),
               RealSet("blobs", 30_002, 96, 3, "adagrad", "rmsprop", 1e-2, 1e-3),
               RealSet("quantiles", 30_003, 32, 1, "sgd_plain", "rmsprop", 0.1, 1e-3),
               RealSet("hastie", 30_004, 96, 3, "sgd_plain", "adagrad", 0.1, 1e-2),
               RealSet("friedman3", 30_005, 32, 1, "rmsprop", "adagrad", 1e-3, 1e-2),
               RealSet("regression", 30_006, 32, 1, "sgd_plain", "rmsprop", 0.01, 1e-3),
               RealSet("circles", 30_007, 32, 1, "adagrad", "sgd_plain", 1e-2, 0.1)],
    # round 3's blind split: generated data, widths (48, 80), a depth (4), optimizers (NAdam, RAdam,
    # Adamax, Adadelta) and batch sizes (16, 64) used nowhere before; tuned LRs are PyTorch's
    # defaults (NAdam/Adamax 2e-3, RAdam 1e-3, Adadelta 1.0), SGD with momentum 0.05 / 0.01 (regression)
    "fresh3": [RealSet("friedman2", 40_000, 48, 4, "nadam", "adadelta", 2e-3, 1.0, 16),
               RealSet("swiss_roll", 40_001, 80, 2, "radam", "adamax", 1e-3, 2e-3, 64),
               RealSet("s_curve", 40_002, 80, 4, "adamax", "sgd", 2e-3, 0.01, 16),
               RealSet("sparse_uncorrelated", 40_003, 48, 2, "sgd", "nadam", 0.01, 2e-3, 64),
               RealSet("multilabel", 40_004, 48, 4, "adadelta", "radam", 1.0, 1e-3, 64),
               RealSet("swiss_roll", 40_005, 48, 1, "nadam", "sgd", 2e-3, 0.05, 16)],
    # round 4's blind split, written before any run on it: data made here (a random teacher net, a
    # checkerboard, a sine regression, a low-rank regression), LayerNorm+GELU MLPs, optimizers
    # (AdamW with LLM betas and weight decay 0.1, Adafactor, ASGD, SGD momentum 0.95 + weight
    # decay), batch sizes (8, 128) and a warm-up + linear-decay long run used nowhere before.
    # Tuned LRs: PyTorch's default for Adafactor (1e-2), 1e-3 for AdamW, 0.05 / 0.01 (regression)
    # for the SGDs.
    "fresh4": [RealSet("teacher", 50_000, 64, 3, "asgd", "adafactor", 0.05, 1e-2, 128, "ln_gelu", "warmup_linear"),
               RealSet("checker", 50_001, 96, 2, "adamw_lm", "sgd_wd", 1e-3, 0.05, 8, "relu", "warmup_linear"),
               RealSet("sine", 50_002, 64, 2, "adafactor", "asgd", 1e-2, 0.01, 32, "ln_gelu", "cosine"),
               RealSet("low_rank", 50_003, 128, 3, "sgd_wd", "adamw_lm", 0.01, 1e-3, 128, "ln_gelu", "warmup_linear"),
               RealSet("teacher", 50_004, 32, 2, "adamw_lm", "asgd", 1e-3, 0.05, 8, "relu", "cosine"),
               RealSet("checker", 50_005, 64, 3, "asgd", "adafactor", 0.05, 1e-2, 32, "ln_gelu", "warmup_linear")],
    # round 5's blind split, written before any run on it: data made here (spirals, a hidden parity,
    # a random-Fourier-feature regression, a heteroscedastic cubic), residual BatchNorm MLPs,
    # optimizers (Adam+AMSGrad, centred RMSprop with momentum 0.9, SGD Nesterov + weight decay),
    # batch sizes (24, 256) and one-cycle / multi-step long runs used nowhere before. Tuned LRs,
    # fixed before any run: 1e-3 for AMSGrad, 3e-4 for RMSprop with momentum (its step is ~10x
    # the momentum-free one), 0.05 / 0.01 (regression) for the Nesterov SGD.
    "fresh5": [RealSet("spirals", 60_000, 96, 3, "amsgrad", "nesterov_wd", 1e-3, 0.05, 24, "res_bn", "onecycle"),
               RealSet("parity", 60_001, 64, 2, "nesterov_wd", "rmsprop_mom", 0.05, 3e-4, 256, "res_bn", "multistep"),
               RealSet("rff", 60_002, 128, 3, "rmsprop_mom", "amsgrad", 3e-4, 1e-3, 24, "relu", "onecycle"),
               RealSet("hetero_poly", 60_003, 64, 4, "nesterov_wd", "amsgrad", 0.01, 1e-3, 256, "res_bn", "multistep"),
               RealSet("spirals", 60_004, 48, 2, "rmsprop_mom", "nesterov_wd", 3e-4, 0.05, 256, "ln_gelu", "multistep"),
               RealSet("parity", 60_005, 128, 3, "amsgrad", "rmsprop_mom", 1e-3, 3e-4, 24, "res_bn", "onecycle")],
    # round 6's blind split, written before any run on it: data made here (Gaussian XOR clusters,
    # 5 angle sectors, a radial sinc regression, a discontinuous step-function regression), Tanh
    # and Dropout MLPs, optimizers (Adam with coupled L2 and betas (0.9, 0.98), NAdam with
    # decoupled weight decay, SGD momentum 0.9 with dampening 0.5), batch sizes (48, 512) and
    # exponential-decay / warm-restart long runs used nowhere before. Tuned LRs, fixed before any
    # run: 1e-3 for Adam, 2e-3 for NAdam (PyTorch's default), 0.05 / 0.01 (regression) for SGD.
    "fresh6": [RealSet("gauss_xor", 70_000, 64, 2, "adam_l2", "sgd_damp", 1e-3, 0.05, 48, "tanh", "exp"),
               RealSet("angles", 70_001, 96, 3, "sgd_damp", "nadam_dwd", 0.05, 2e-3, 512, "dropout", "restarts"),
               RealSet("sinc", 70_002, 128, 2, "nadam_dwd", "adam_l2", 2e-3, 1e-3, 48, "dropout", "exp"),
               RealSet("steps", 70_003, 64, 3, "sgd_damp", "adam_l2", 0.01, 1e-3, 512, "tanh", "restarts"),
               RealSet("angles", 70_004, 48, 2, "adam_l2", "nadam_dwd", 1e-3, 2e-3, 48, "tanh", "restarts"),
               RealSet("gauss_xor", 70_005, 128, 3, "nadam_dwd", "sgd_damp", 2e-3, 0.05, 512, "dropout", "exp")],
    # round 7's blind split, written before any run on it: data made here (4 concentric rings, a
    # 25%-positive logistic teacher, a periodic regression, a regression with Student-t noise),
    # SiLU and BatchNorm+ReLU MLPs, optimizers (RAdam with decoupled weight decay, Adagrad with an
    # initial accumulator and LR decay, Adamax with weight decay), batch sizes (12, 96) and
    # polynomial / halving long runs used nowhere before. Tuned LRs, fixed before any run:
    # PyTorch's defaults (RAdam 1e-3, Adagrad 1e-2, Adamax 2e-3).
    "fresh7": [RealSet("rings", 80_000, 64, 2, "radam_dwd", "adagrad_acc", 1e-3, 1e-2, 12, "silu", "poly"),
               RealSet("imbalanced", 80_001, 96, 3, "adagrad_acc", "adamax_wd", 1e-2, 2e-3, 96, "bn_relu", "halving"),
               RealSet("periodic", 80_002, 128, 2, "adamax_wd", "radam_dwd", 2e-3, 1e-3, 12, "bn_relu", "poly"),
               RealSet("outliers", 80_003, 48, 3, "radam_dwd", "adamax_wd", 1e-3, 2e-3, 96, "silu", "halving"),
               RealSet("rings", 80_004, 96, 3, "adamax_wd", "adagrad_acc", 2e-3, 1e-2, 96, "bn_relu", "halving"),
               RealSet("imbalanced", 80_005, 64, 2, "adagrad_acc", "radam_dwd", 1e-2, 1e-3, 12, "silu", "poly")],
    # round 8's blind split, written after round 8's one change and before any run on it: data made
    # here (8 overlapping Gaussian classes, diagonal stripes, a sum of Gaussian bumps, a logistic
    # of a projection), ELU and LeakyReLU MLPs, optimizers (AdamW with betas (0.9, 0.99), eps 1e-6,
    # wd 0.05; SGD with momentum 0.99; RMSprop with alpha 0.9), batch sizes (20, 160) and
    # inverse-square-root / cyclic long runs used nowhere before. Tuned LRs, fixed before any run:
    # 1e-3 for AdamW and RMSprop, 0.005 / 0.001 (regression) for SGD at momentum 0.99 (its step
    # is ~10x that at momentum 0.9).
    "fresh8": [RealSet("mixture8", 90_000, 64, 2, "adamw_b99", "sgd_m99", 1e-3, 0.005, 20, "elu", "inv_sqrt"),
               RealSet("stripes", 90_001, 96, 3, "sgd_m99", "rmsprop_a9", 0.005, 1e-3, 160, "leaky", "cyclic"),
               RealSet("bumps", 90_002, 128, 2, "rmsprop_a9", "adamw_b99", 1e-3, 1e-3, 20, "leaky", "inv_sqrt"),
               RealSet("logistic_proj", 90_003, 48, 3, "sgd_m99", "adamw_b99", 0.001, 1e-3, 160, "elu", "cyclic"),
               RealSet("stripes", 90_004, 64, 2, "adamw_b99", "rmsprop_a9", 1e-3, 1e-3, 20, "elu", "cyclic"),
               RealSet("mixture8", 90_005, 128, 3, "rmsprop_a9", "sgd_m99", 1e-3, 0.005, 160, "leaky", "inv_sqrt")],
    # round 9's blind split, written before any run on it and before any round-9 change: data made
    # here (a sphere's inside / outside, 6 far-apart blobs, a sawtooth, a sum of sines), Mish and
    # LayerNorm+ReLU MLPs, optimizers (Adam with betas (0.8, 0.95), Adadelta with rho 0.95, NAdam
    # with momentum_decay 1e-2), batch sizes (40, 200) and cosine-to-a-floor / linear-decay long
    # runs used nowhere before. Tuned LRs, fixed before any run: PyTorch's defaults (Adam 1e-3,
    # Adadelta 1.0, NAdam 2e-3).
    "fresh9": [RealSet("shells", 100_000, 64, 2, "adam_b8", "adadelta95", 1e-3, 1.0, 40, "mish", "cosine_floor"),
               RealSet("far_blobs", 100_001, 96, 3, "adadelta95", "nadam_md", 1.0, 2e-3, 200, "ln_relu", "linear_decay"),
               RealSet("sawtooth", 100_002, 128, 2, "nadam_md", "adam_b8", 2e-3, 1e-3, 40, "ln_relu", "cosine_floor"),
               RealSet("sum_sines", 100_003, 48, 3, "adam_b8", "nadam_md", 1e-3, 2e-3, 200, "mish", "linear_decay"),
               RealSet("shells", 100_004, 96, 3, "nadam_md", "adadelta95", 2e-3, 1.0, 200, "ln_relu", "linear_decay"),
               RealSet("far_blobs", 100_005, 64, 2, "adadelta95", "adam_b8", 1.0, 1e-3, 40, "mish", "cosine_floor")],
    # round 10's blind split, written before any run on it and before any round-10 change: data made
    # here (a 3-D checkerboard parity, quantile classes of a quadratic form, a triple product, a
    # low signal-to-noise absolute-value regression), GELU and SELU MLPs, optimizers (AdamW with
    # AMSGrad, SGD with momentum 0.8 and weight decay 1e-3, centred RMSprop), batch sizes (28, 320)
    # and warm-up + cosine / ReduceLROnPlateau long runs used nowhere before. Tuned LRs, fixed
    # before any run: 1e-3 for AdamW and centred RMSprop, 0.1 / 0.02 (regression) for SGD at
    # momentum 0.8 (the same effective step lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh10": [RealSet("checker3", 110_000, 64, 2, "adamw_ams", "sgd_m8_wd", 1e-3, 0.1, 28, "gelu", "warmup_cosine"),
                RealSet("quad_quantiles", 110_001, 96, 3, "sgd_m8_wd", "rmsprop_c", 0.1, 1e-3, 320, "selu", "rlrop"),
                RealSet("triple_product", 110_002, 128, 2, "rmsprop_c", "adamw_ams", 1e-3, 1e-3, 28, "selu", "warmup_cosine"),
                RealSet("abs_noisy", 110_003, 48, 3, "sgd_m8_wd", "rmsprop_c", 0.02, 1e-3, 320, "gelu", "rlrop"),
                RealSet("checker3", 110_004, 96, 3, "rmsprop_c", "adamw_ams", 1e-3, 1e-3, 320, "selu", "rlrop"),
                RealSet("quad_quantiles", 110_005, 64, 2, "adamw_ams", "sgd_m8_wd", 1e-3, 0.1, 28, "gelu", "warmup_cosine")],
    # round 11's blind split, written before any run on it and before any round-11 change: data made
    # here (three nested rings, a linearly separable task with a margin, a rational function, a
    # piecewise-linear function), Softplus and Hardswish MLPs, optimizers (SGD with momentum 0.9,
    # dampening 0.3 and weight decay 5e-4; NAdam with betas (0.95, 0.999); Adagrad with weight
    # decay 1e-4), batch sizes (36, 144) and warm-up + step-decay / lengthening warm-restart long
    # runs used nowhere before. Tuned LRs, fixed before any run: PyTorch's defaults for NAdam (2e-3)
    # and Adagrad (1e-2), 0.05 / 0.01 (regression) for SGD with momentum 0.9.
    "fresh11": [RealSet("nested3", 120_000, 64, 2, "sgd_damp3", "nadam_b95", 0.05, 2e-3, 36, "softplus", "warmup_step"),
                RealSet("margin", 120_001, 96, 3, "nadam_b95", "adagrad_wd", 2e-3, 1e-2, 144, "hardswish", "restarts_mult"),
                RealSet("rational", 120_002, 128, 2, "adagrad_wd", "sgd_damp3", 1e-2, 0.01, 36, "hardswish", "warmup_step"),
                RealSet("piecewise", 120_003, 48, 3, "sgd_damp3", "adagrad_wd", 0.01, 1e-2, 144, "softplus", "restarts_mult"),
                RealSet("nested3", 120_004, 96, 3, "adagrad_wd", "nadam_b95", 1e-2, 2e-3, 144, "hardswish", "restarts_mult"),
                RealSet("margin", 120_005, 64, 2, "nadam_b95", "sgd_damp3", 2e-3, 0.05, 36, "softplus", "warmup_step")],
    # round 12's blind split, written before any run on it and before any round-12 change: data made
    # here (an XOR of radius and angle, ordinal classes of a noisy score, a damped cosine, pairwise
    # interactions), Sigmoid and CELU MLPs, optimizers (Adam with eps 1e-4; RMSprop with momentum
    # 0.5 and alpha 0.95; SGD with Nesterov momentum 0.85 and weight decay 1e-3), batch sizes (56,
    # 384) and warm-up-stable-decay / warm-up + exponential long runs used nowhere before. Tuned
    # LRs, fixed before any run: 1e-3 for Adam, 5e-4 for RMSprop at momentum 0.5 (its step is ~2x
    # the momentum-free one), 0.075 / 0.015 (regression) for SGD at momentum 0.85 (the same
    # effective step lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh12": [RealSet("ring_xor", 130_000, 64, 2, "adam_eps4", "nesterov85_wd", 1e-3, 0.075, 56, "celu", "wsd"),
                RealSet("ordinal4", 130_001, 96, 3, "nesterov85_wd", "rmsprop_m5", 0.075, 5e-4, 384, "sigmoid", "warmup_exp"),
                RealSet("damped_cos", 130_002, 128, 2, "rmsprop_m5", "adam_eps4", 5e-4, 1e-3, 56, "celu", "wsd"),
                RealSet("pairwise", 130_003, 48, 3, "nesterov85_wd", "rmsprop_m5", 0.015, 5e-4, 384, "sigmoid", "warmup_exp"),
                RealSet("ring_xor", 130_004, 96, 3, "rmsprop_m5", "adam_eps4", 5e-4, 1e-3, 384, "celu", "warmup_exp"),
                RealSet("ordinal4", 130_005, 64, 2, "adam_eps4", "nesterov85_wd", 1e-3, 0.075, 56, "sigmoid", "wsd")],
    # round 13's blind split, written after round 13's first change and before any run on it: data
    # made here (a majority vote, a norm comparison, log-sum-exp, a multiplicative regression),
    # PReLU and LayerNorm+Tanh MLPs, optimizers (AdamW with betas (0.5, 0.999); SGD with momentum 0.7
    # and weight decay 2e-4; Adamax with betas (0.8, 0.99)), batch sizes (44, 240) and warm-up +
    # inverse-square-root / warm-up + polynomial long runs used nowhere before. Tuned LRs, fixed
    # before any run: 1e-3 for AdamW, 2e-3 for Adamax (PyTorch's default), 0.15 / 0.03
    # (regression) for SGD at momentum 0.7 (the same effective step lr / (1 - momentum) as 0.05 /
    # 0.01 at momentum 0.9).
    "fresh13": [RealSet("majority5", 140_000, 64, 2, "adamw_b5", "sgd_m7_wd", 1e-3, 0.15, 44, "prelu", "noam"),
                RealSet("norm_compare", 140_001, 96, 3, "sgd_m7_wd", "adamax_b8", 0.15, 2e-3, 240, "ln_tanh", "poly_warm"),
                RealSet("logsumexp", 140_002, 128, 2, "adamax_b8", "adamw_b5", 2e-3, 1e-3, 44, "ln_tanh", "noam"),
                RealSet("multiplicative", 140_003, 48, 3, "sgd_m7_wd", "adamax_b8", 0.03, 2e-3, 240, "prelu", "poly_warm"),
                RealSet("majority5", 140_004, 96, 3, "adamax_b8", "adamw_b5", 2e-3, 1e-3, 240, "ln_tanh", "poly_warm"),
                RealSet("norm_compare", 140_005, 64, 2, "adamw_b5", "sgd_m7_wd", 1e-3, 0.15, 44, "prelu", "noam")],
    # round 14's blind split, written before any round-14 change and before any run on it: data made
    # here (a diamond, the largest of 3 projections, a ripple, a staircase), ReLU6 and GroupNorm+GELU MLPs,
    # optimizers (NAdam with betas (0.9, 0.98) and L2 decay; SGD with Nesterov momentum 0.6 and
    # weight decay 5e-4; RMSprop with alpha 0.98, eps 1e-5 and weight decay 1e-4), batch sizes (52,
    # 192) and warm-up + multi-step / warm-up-stable + 1-sqrt cool-down long runs used nowhere
    # before. Tuned LRs, fixed before any run: 2e-3 for NAdam (PyTorch's default), 1e-3 for
    # RMSprop, 0.2 / 0.04 (regression) for SGD at momentum 0.6 (the same effective step
    # lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh14": [RealSet("diamond", 150_000, 64, 2, "nadam_b98_wd", "nesterov6_wd", 2e-3, 0.2, 52, "relu6", "warmup_multistep"),
                RealSet("argmax3", 150_001, 96, 3, "nesterov6_wd", "rmsprop_a98_wd", 0.2, 1e-3, 192, "gn_gelu", "wsd_sqrt"),
                RealSet("ripple", 150_002, 128, 2, "rmsprop_a98_wd", "nadam_b98_wd", 1e-3, 2e-3, 52, "gn_gelu", "warmup_multistep"),
                RealSet("staircase", 150_003, 48, 3, "nesterov6_wd", "rmsprop_a98_wd", 0.04, 1e-3, 192, "relu6", "wsd_sqrt"),
                RealSet("diamond", 150_004, 96, 3, "rmsprop_a98_wd", "nadam_b98_wd", 1e-3, 2e-3, 192, "gn_gelu", "wsd_sqrt"),
                RealSet("argmax3", 150_005, 64, 2, "nadam_b98_wd", "nesterov6_wd", 2e-3, 0.2, 52, "relu6", "warmup_multistep")],
    # the next blind split, written at the end of round 14, before any run on it and before any
    # round-15 change: data made here (an annulus, a gated sign, a sum of hinges, a Gaussian bump),
    # Softsign and BatchNorm+Tanh MLPs, optimizers (Adam with betas (0.9, 0.99); SGD with momentum
    # 0.5 and weight decay 1e-4; RAdam with betas (0.95, 0.999)), batch sizes (40, 288) and
    # one-cycle (linear) / triangular2 cyclic long runs used nowhere before. Tuned LRs, fixed before
    # any run: 1e-3 for Adam and RAdam, 0.25 / 0.05 (regression) for SGD at momentum 0.5 (the same
    # effective step lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh15": [RealSet("annulus", 160_000, 64, 2, "adam_b99", "sgd_m5_wd", 1e-3, 0.25, 40, "softsign", "onecycle_lin"),
                RealSet("gated_sign", 160_001, 96, 3, "sgd_m5_wd", "radam_b95", 0.25, 1e-3, 288, "bn_tanh", "triangular2"),
                RealSet("hinge_sum", 160_002, 128, 2, "radam_b95", "adam_b99", 1e-3, 1e-3, 40, "bn_tanh", "onecycle_lin"),
                RealSet("gauss_bump", 160_003, 48, 3, "sgd_m5_wd", "radam_b95", 0.05, 1e-3, 288, "softsign", "triangular2"),
                RealSet("annulus", 160_004, 96, 3, "radam_b95", "adam_b99", 1e-3, 1e-3, 288, "bn_tanh", "triangular2"),
                RealSet("gated_sign", 160_005, 64, 2, "adam_b99", "sgd_m5_wd", 1e-3, 0.25, 40, "softsign", "onecycle_lin")],
    # the next blind split, written at the end of round 15, before any run on it and before any
    # round-16 change: data made here (three wedges, a cone, a sine-cosine product, a log ratio),
    # Hardtanh and LayerNorm+SiLU MLPs, optimizers (AdamW with betas (0.85, 0.995) and weight decay
    # 0.02; Adagrad with LR decay 1e-4 and initial accumulator 0.1; RMSprop with alpha 0.95 and
    # momentum 0.3), batch sizes (30, 224) and exp_range cyclic / constant-then-linear long runs
    # used nowhere before. Tuned LRs, fixed before any run: 1e-3 for AdamW, 0.01 for Adagrad (its
    # tuned LR on circles and blobs), 7e-4 for RMSprop at momentum 0.3 (its steady step
    # lr / (1 - 0.3) is then 1e-3, RMSprop's tuned LR without momentum).
    "fresh16": [RealSet("wedge", 170_000, 64, 2, "adamw_b85", "adagrad_lrd", 1e-3, 0.01, 30, "hardtanh", "exp_range"),
                RealSet("cone", 170_001, 96, 3, "adagrad_lrd", "rmsprop_a95_m3", 0.01, 7e-4, 224, "ln_silu", "const_linear"),
                RealSet("sin_product", 170_002, 128, 2, "rmsprop_a95_m3", "adamw_b85", 7e-4, 1e-3, 30, "ln_silu", "exp_range"),
                RealSet("log_ratio", 170_003, 48, 3, "adamw_b85", "rmsprop_a95_m3", 1e-3, 7e-4, 224, "hardtanh", "const_linear"),
                RealSet("wedge", 170_004, 96, 3, "rmsprop_a95_m3", "adagrad_lrd", 7e-4, 0.01, 224, "ln_silu", "exp_range"),
                RealSet("cone", 170_005, 64, 2, "adagrad_lrd", "adamw_b85", 0.01, 1e-3, 30, "hardtanh", "const_linear")],
    # the next blind split, written at the end of round 16, before any run on it and before any
    # round-17 change: data made here (an ellipse, diagonal bands, tanh of a product, a root of
    # absolute values), RReLU and GroupNorm+SiLU MLPs, optimizers (AdamW with betas (0.9, 0.98),
    # eps 1e-6 and weight decay 0.05; SGD with Nesterov momentum 0.95 and weight decay 1e-4;
    # Adadelta with rho 0.8), batch sizes (60, 352) and three-phase one-cycle / warm-up + decaying
    # cosine-restart long runs used nowhere before. Tuned LRs, fixed before any run: 1e-3 for AdamW,
    # 1.0 for Adadelta (its tuned LR in fresh3 and fresh9), 0.025 / 0.005 (regression) for SGD at
    # momentum 0.95 (the same effective step lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh17": [RealSet("ellipse", 180_000, 64, 2, "adamw_b98_e6", "sgd_nes95", 1e-3, 0.025, 60, "rrelu", "onecycle_3phase"),
                RealSet("diag_bands", 180_001, 96, 3, "sgd_nes95", "adadelta_r8", 0.025, 1.0, 352, "gn_silu", "warmup_cos_restarts"),
                RealSet("tanh_product", 180_002, 128, 2, "adadelta_r8", "adamw_b98_e6", 1.0, 1e-3, 60, "gn_silu", "onecycle_3phase"),
                RealSet("root_abs", 180_003, 48, 3, "sgd_nes95", "adadelta_r8", 0.005, 1.0, 352, "rrelu", "warmup_cos_restarts"),
                RealSet("ellipse", 180_004, 96, 3, "adadelta_r8", "adamw_b98_e6", 1.0, 1e-3, 352, "gn_silu", "warmup_cos_restarts"),
                RealSet("diag_bands", 180_005, 64, 2, "adamw_b98_e6", "sgd_nes95", 1e-3, 0.025, 60, "rrelu", "onecycle_3phase")],
    # the next blind split, written in round 16 before any run on it and before any round-17
    # change: data made here (a triangle, an XOR of a half-plane and a band, a cubic mix, a
    # softplus difference), Tanhshrink and BatchNorm+GELU MLPs, optimizers (AdamW with betas (0.9,
    # 0.95) and weight decay 0.1; SGD with momentum 0.9 and weight decay 1e-2; Adamax with betas
    # (0.95, 0.995)), batch sizes (26, 176) and unfinished-cosine / warm-up + inverse-sqrt +
    # cool-down long runs used nowhere before. Tuned LRs, fixed before any run: 1e-3 for AdamW,
    # 2e-3 for Adamax (its tuned LR in fresh3, fresh7 and fresh13), 0.05 / 0.01 (regression) for
    # SGD at momentum 0.9 (as every momentum-0.9 SGD before).
    "fresh18": [RealSet("triangle", 190_000, 64, 2, "adamw_llm", "sgd_m9_wd2", 1e-3, 0.05, 26, "tanhshrink", "cosine_unfinished"),
                RealSet("band_xor", 190_001, 96, 3, "sgd_m9_wd2", "adamax_b95", 0.05, 2e-3, 176, "bn_gelu", "warmup_rsqrt_cool"),
                RealSet("cubic_mix", 190_002, 128, 2, "adamax_b95", "adamw_llm", 2e-3, 1e-3, 26, "bn_gelu", "cosine_unfinished"),
                RealSet("softplus_diff", 190_003, 48, 3, "sgd_m9_wd2", "adamax_b95", 0.01, 2e-3, 176, "tanhshrink", "warmup_rsqrt_cool"),
                RealSet("triangle", 190_004, 96, 3, "adamax_b95", "adamw_llm", 2e-3, 1e-3, 176, "bn_gelu", "warmup_rsqrt_cool"),
                RealSet("band_xor", 190_005, 64, 2, "adamw_llm", "sgd_m9_wd2", 1e-3, 0.05, 26, "tanhshrink", "cosine_unfinished")],
    # the next blind split, written in round 17 before any run on it and before any round-18
    # change: data made here (two disks, three-class stripes, a sine-cosine mix, an absolute
    # difference), LayerNorm+Mish and BatchNorm+SiLU MLPs, optimizers (Adam with betas (0.7, 0.99);
    # SGD with Nesterov momentum 0.8 and weight decay 1e-3; RAdam with betas (0.9, 0.99) and weight
    # decay 1e-4), batch sizes (34, 416) and inverse-time / square-root polynomial long runs used
    # nowhere before. Tuned LRs, fixed before any run: 1e-3 for Adam and RAdam (RAdam's in fresh5,
    # fresh7 and fresh15), 0.1 / 0.02 (regression) for SGD at momentum 0.8 (the same effective step
    # lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh19": [RealSet("two_disks", 200_000, 64, 2, "adam_b7", "sgd_nes8_wd", 1e-3, 0.1, 34, "ln_mish", "inverse_time"),
                RealSet("stripes3", 200_001, 96, 3, "sgd_nes8_wd", "radam_b99_wd", 0.1, 1e-3, 416, "bn_silu", "poly_sqrt"),
                RealSet("sin_cos_mix", 200_002, 128, 2, "radam_b99_wd", "adam_b7", 1e-3, 1e-3, 34, "bn_silu", "inverse_time"),
                RealSet("abs_diff", 200_003, 48, 3, "sgd_nes8_wd", "radam_b99_wd", 0.02, 1e-3, 416, "ln_mish", "poly_sqrt"),
                RealSet("two_disks", 200_004, 96, 3, "radam_b99_wd", "adam_b7", 1e-3, 1e-3, 416, "bn_silu", "poly_sqrt"),
                RealSet("stripes3", 200_005, 64, 2, "adam_b7", "sgd_nes8_wd", 1e-3, 0.1, 34, "ln_mish", "inverse_time")],
    # the next blind split, written in round 17 (after fresh19's blind run) before any run on it
    # and before any round-18 change: data made here (quadrants turned inside a circle, a parabola,
    # an exp-times-sine, a max of absolute values), GroupNorm+Mish and BatchNorm+ELU MLPs,
    # optimizers (AdamW with betas (0.8, 0.99) and weight decay 0.05; SGD with momentum 0.95 and
    # weight decay 5e-4; NAdam with betas (0.85, 0.995)), batch sizes (22, 448) and warm-up +
    # cosine-to-a-floor / step-every-third long runs used nowhere before. Tuned LRs, fixed before any
    # run: 1e-3 for AdamW, 2e-3 for NAdam (its tuned LR in fresh3, fresh6 and fresh9), 0.025 /
    # 0.005 (regression) for SGD at momentum 0.95 (the same effective step lr / (1 - momentum) as
    # 0.05 / 0.01 at momentum 0.9).
    "fresh20": [RealSet("quad_ring", 210_000, 64, 2, "adamw_b8", "sgd_m95_wd", 1e-3, 0.025, 22, "gn_mish", "warmup_cos_floor"),
                RealSet("parabola", 210_001, 96, 3, "sgd_m95_wd", "nadam_b85", 0.025, 2e-3, 448, "bn_elu", "step_thirds"),
                RealSet("exp_sin", 210_002, 128, 2, "nadam_b85", "adamw_b8", 2e-3, 1e-3, 22, "bn_elu", "warmup_cos_floor"),
                RealSet("max_abs", 210_003, 48, 3, "sgd_m95_wd", "nadam_b85", 0.005, 2e-3, 448, "gn_mish", "step_thirds"),
                RealSet("quad_ring", 210_004, 96, 3, "nadam_b85", "adamw_b8", 2e-3, 1e-3, 448, "bn_elu", "step_thirds"),
                RealSet("parabola", 210_005, 64, 2, "adamw_b8", "sgd_m95_wd", 1e-3, 0.025, 22, "gn_mish", "warmup_cos_floor")],
    # the next blind split, written in round 18 before any run on it and before any round-19
    # change: data made here (three spiral arms, a plus-shaped band, a tanh of a radius, a
    # three-way product), LayerNorm+ELU and GroupNorm+ReLU MLPs, optimizers (AdamW with betas (0.9,
    # 0.995), eps 1e-7 and weight decay 0.01; SGD with momentum 0.85 and weight decay 2e-4; RAdam
    # with betas (0.9, 0.98) and decoupled weight decay 0.05), batch sizes (18, 480) and warm-up +
    # linear-to-a-floor / ten-cycle warm-restart long runs used nowhere before. Tuned LRs, fixed
    # before any run: 1e-3 for AdamW and RAdam, 0.075 / 0.015 (regression) for SGD at momentum
    # 0.85 (the same effective step lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh21": [RealSet("spiral3", 220_000, 64, 2, "adamw_b995_e7", "sgd_m85_wd", 1e-3, 0.075, 18, "ln_elu", "warmup_linear_floor"),
                RealSet("plus_band", 220_001, 96, 3, "sgd_m85_wd", "radam_b98_dwd", 0.075, 1e-3, 480, "gn_relu", "restarts10"),
                RealSet("tanh_radius", 220_002, 128, 2, "radam_b98_dwd", "adamw_b995_e7", 1e-3, 1e-3, 18, "gn_relu", "warmup_linear_floor"),
                RealSet("prod3", 220_003, 48, 3, "sgd_m85_wd", "radam_b98_dwd", 0.015, 1e-3, 480, "ln_elu", "restarts10"),
                RealSet("spiral3", 220_004, 96, 3, "radam_b98_dwd", "adamw_b995_e7", 1e-3, 1e-3, 480, "gn_relu", "restarts10"),
                RealSet("plus_band", 220_005, 64, 2, "adamw_b995_e7", "sgd_m85_wd", 1e-3, 0.075, 18, "ln_elu", "warmup_linear_floor")],
    # the next blind split, written in round 19 before any run on it (its code changes were made
    # looking only at the earlier splits): data made here (a 3 x 3 checkerboard, a spherical
    # shell, a sinc of a radius, a log-cosh minus a product), LayerNorm+Hardswish and
    # BatchNorm+LeakyReLU MLPs, optimizers (Adam with betas (0.9, 0.9) and eps 1e-6; SGD with
    # momentum 0.7, dampening 0.1 and weight decay 1e-3; AdamW with AMSGrad, betas (0.9, 0.99) and
    # weight decay 0.02), batch sizes (14, 336) and warm-up + hold + cosine / linear-then-held long
    # runs used nowhere before. Tuned LRs, fixed before any run: 1e-3 for Adam and AdamW, 0.15 /
    # 0.03 (regression) for SGD at momentum 0.7 (the same effective step lr / (1 - momentum) as
    # 0.05 / 0.01 at momentum 0.9).
    "fresh22": [RealSet("checker3", 230_000, 64, 2, "adam_b9_9", "sgd_m7_d1", 1e-3, 0.15, 14, "ln_hardswish", "warmup_hold_cosine"),
                RealSet("shell3d", 230_001, 96, 3, "sgd_m7_d1", "adamw_ams_b99", 0.15, 1e-3, 336, "bn_leaky", "linear_half_const"),
                RealSet("sinc_radius", 230_002, 128, 2, "adamw_ams_b99", "adam_b9_9", 1e-3, 1e-3, 14, "bn_leaky", "warmup_hold_cosine"),
                RealSet("logcosh", 230_003, 48, 3, "sgd_m7_d1", "adamw_ams_b99", 0.03, 1e-3, 336, "ln_hardswish", "linear_half_const"),
                RealSet("checker3", 230_004, 96, 3, "adamw_ams_b99", "adam_b9_9", 1e-3, 1e-3, 336, "bn_leaky", "linear_half_const"),
                RealSet("shell3d", 230_005, 64, 2, "adam_b9_9", "sgd_m7_d1", 1e-3, 0.15, 14, "ln_hardswish", "warmup_hold_cosine")],
    # the next blind split, written in round 20 before any run on it (its code changes were made
    # looking only at the earlier splits): data made here (the 3 x 3 checkerboard written for
    # fresh22 and never reached, a lens, arctan(2 x0) x1 + 0.3 x2^2, a difference of Gaussian
    # bumps), LayerNorm+CELU and BatchNorm+Softplus MLPs, optimizers (NAdam with betas (0.9,
    # 0.97) and weight decay 1e-3; Nesterov SGD with momentum 0.75 and weight decay 5e-4; Adamax
    # with betas (0.9, 0.99)), batch sizes (10, 272) and warm-up + quadratic-decay /
    # halve-every-quarter long runs used nowhere before. Tuned LRs, fixed before any run: 1e-3 for
    # NAdam, 2e-3 for Adamax (its PyTorch default), 0.125 / 0.025 (regression) for SGD at momentum
    # 0.75 (the same effective step lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh23": [RealSet("checker3x3", 240_000, 64, 2, "nadam_b97_wd", "sgd_nes75_wd", 1e-3, 0.125, 10, "ln_celu", "warmup_poly2"),
                RealSet("lens", 240_001, 96, 3, "sgd_nes75_wd", "adamax_b99", 0.125, 2e-3, 272, "bn_softplus", "step_quarters"),
                RealSet("atan_mix", 240_002, 128, 2, "adamax_b99", "nadam_b97_wd", 2e-3, 1e-3, 10, "bn_softplus", "warmup_poly2"),
                RealSet("gauss_dip", 240_003, 48, 3, "sgd_nes75_wd", "adamax_b99", 0.025, 2e-3, 272, "ln_celu", "step_quarters"),
                RealSet("lens", 240_004, 96, 3, "adamax_b99", "nadam_b97_wd", 2e-3, 1e-3, 272, "bn_softplus", "step_quarters"),
                RealSet("checker3x3", 240_005, 64, 2, "nadam_b97_wd", "sgd_nes75_wd", 1e-3, 0.125, 10, "ln_celu", "warmup_poly2")],
    # the next blind split, written in round 21 before any run on it (round 21 changed no
    # detector): data made here (a band about a sine wave, six angular sectors in three classes,
    # sin(x0) cos(x1) + 0.3 x2, |x0| - |x1| / 2 + 0.3 x2 x3), GroupNorm+Tanh and LayerNorm+Softsign
    # MLPs, optimizers (AdamW with betas (0.85, 0.98) and weight decay 0.03; SGD with momentum 0.8
    # and weight decay 3e-4; RMSprop with alpha 0.95 and momentum 0.5), batch sizes (46, 400) and
    # warm-up + hold + exponential cool-down / x0.6-every-fifth long runs used nowhere before.
    # Tuned LRs, fixed before any run: 1e-3 for AdamW, 5e-4 for RMSprop (1e-3, halved for the
    # doubling momentum 0.5 gives its step), 0.1 / 0.02 (regression) for SGD at momentum 0.8 (the
    # same effective step lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh24": [RealSet("wave_band", 250_000, 64, 2, "adamw_b85_wd3", "sgd_m8_wd3", 1e-3, 0.1, 46, "gn_tanh", "warmup_hold_exp"),
                RealSet("sector3", 250_001, 96, 3, "sgd_m8_wd3", "rms_a95_m5", 0.1, 5e-4, 400, "ln_softsign", "step_fifths"),
                RealSet("sin_prod", 250_002, 128, 2, "rms_a95_m5", "adamw_b85_wd3", 5e-4, 1e-3, 46, "ln_softsign", "warmup_hold_exp"),
                RealSet("abs_mix", 250_003, 48, 3, "sgd_m8_wd3", "rms_a95_m5", 0.02, 5e-4, 400, "gn_tanh", "step_fifths"),
                RealSet("sector3", 250_004, 96, 3, "rms_a95_m5", "adamw_b85_wd3", 5e-4, 1e-3, 400, "ln_softsign", "step_fifths"),
                RealSet("wave_band", 250_005, 64, 2, "adamw_b85_wd3", "sgd_m8_wd3", 1e-3, 0.1, 46, "gn_tanh", "warmup_hold_exp")],
    # the next blind split, written in round 22 before any run on it: data made here (the sign of
    # x0 x1 x2, four classes by the quadrant of (x0 + 0.3 sin(3 x1), x1), cos(1.5 |x0..x2|) + 0.2 x3,
    # tanh(x0 x1) + 0.4 x2 - 0.2 x3^2), BatchNorm+Mish and GroupNorm+Softplus MLPs, optimizers (Adam
    # with betas (0.85, 0.99) and L2 weight decay 1e-4; SGD with momentum 0.88 and weight decay 1e-3;
    # RAdam with betas (0.9, 0.97) and weight decay 1e-3), batch sizes (50, 368) and warm-up + cubic
    # decay / x0.7-every-sixth long runs used nowhere before. Tuned LRs, fixed before any run: 1e-3
    # for Adam and RAdam, 0.06 / 0.012 (regression) for SGD at momentum 0.88 (the same effective step
    # lr / (1 - momentum) as 0.05 / 0.01 at momentum 0.9).
    "fresh25": [RealSet("parity3d", 260_000, 64, 2, "adam_b85_wd4", "sgd_m88_wd", 1e-3, 0.06, 50, "bn_mish", "warmup_cubic"),
                RealSet("quadrant4", 260_001, 96, 3, "sgd_m88_wd", "radam_b97_wd", 0.06, 1e-3, 368, "gn_softplus", "step_sixths"),
                RealSet("cos_norm", 260_002, 128, 2, "radam_b97_wd", "adam_b85_wd4", 1e-3, 1e-3, 50, "gn_softplus", "warmup_cubic"),
                RealSet("tanh_pair", 260_003, 48, 3, "sgd_m88_wd", "radam_b97_wd", 0.012, 1e-3, 368, "bn_mish", "step_sixths"),
                RealSet("quadrant4", 260_004, 96, 3, "radam_b97_wd", "adam_b85_wd4", 1e-3, 1e-3, 368, "gn_softplus", "step_sixths"),
                RealSet("parity3d", 260_005, 64, 2, "adam_b85_wd4", "sgd_m88_wd", 1e-3, 0.06, 50, "bn_mish", "warmup_cubic")],
    # the next blind split, written in round 23 before any run on it: data made here (x0^3 - 2 x1 +
    # 0.5 x2 x3 > 0, three classes by x0 / (1 + |x1|) against -0.4 and 0.4, sign(x0) x1^2 - 0.3 x2 +
    # 0.2 x3, sqrt(|x0 x1|) sign(x2) + 0.2 x3), BatchNorm+Hardswish and GroupNorm+ELU MLPs, optimizers (Adamax
    # with betas (0.85, 0.995) and weight decay 1e-3; NAdam with betas (0.9, 0.99) and decoupled
    # weight decay 0.02; Nesterov SGD with momentum 0.92 and weight decay 2e-4), batch sizes (42,
    # 304) and warm-up + hold + linear cool-down / x0.75-every-seventh long runs used nowhere before.
    # Tuned LRs, fixed before any run: 2e-3 for Adamax and NAdam (their defaults), 0.04 / 0.008
    # (regression) for SGD at momentum 0.92 (the same effective step lr / (1 - momentum) as
    # 0.05 / 0.01 at momentum 0.9).
    "fresh26": [RealSet("cubic_bound", 270_000, 64, 2, "adamax_b85_wd", "sgd_nes92_wd", 2e-3, 0.04, 42, "bn_hardswish", "warmup_hold_linear"),
                RealSet("ratio3", 270_001, 96, 3, "sgd_nes92_wd", "nadam_b99_dwd2", 0.04, 2e-3, 304, "gn_elu", "step_sevenths"),
                RealSet("sign_quad", 270_002, 128, 2, "nadam_b99_dwd2", "adamax_b85_wd", 2e-3, 2e-3, 42, "gn_elu", "warmup_hold_linear"),
                RealSet("sqrt_prod", 270_003, 48, 3, "sgd_nes92_wd", "nadam_b99_dwd2", 0.008, 2e-3, 304, "bn_hardswish", "step_sevenths"),
                RealSet("ratio3", 270_004, 96, 3, "nadam_b99_dwd2", "adamax_b85_wd", 2e-3, 2e-3, 304, "gn_elu", "step_sevenths"),
                RealSet("cubic_bound", 270_005, 64, 2, "adamax_b85_wd", "sgd_nes92_wd", 2e-3, 0.04, 42, "bn_hardswish", "warmup_hold_linear")],
    # the next blind split, written in round 24 before any run on it: data made here (inside a
    # three-petal rose, three classes by the log-ratio of the distances to two points, log(0.1 + |x0 + x1|) - 0.3 x2,
    # min(x0, x1) + max(x2, x3) / 2), LayerNorm+ReLU6 and GroupNorm+Hardtanh MLPs, optimizers
    # (Adagrad with weight decay 1e-3 and an initial accumulator of 0.05; centred RMSprop with alpha
    # 0.97 and weight decay 1e-4; SGD with momentum 0.93, dampening 0.05 and weight decay 5e-4),
    # batch sizes (38, 232) and warm-up + hold + quadratic cool-down / x0.8-every-eighth long runs
    # used nowhere before. Tuned LRs, fixed before any run: 0.01 for Adagrad and 1e-3 for RMSprop
    # (their defaults), 0.035 / 0.007 (regression) for SGD (the effective step
    # lr (1 - dampening) / (1 - momentum) of 0.05 / 0.01 at momentum 0.9).
    "fresh27": [RealSet("rose3", 280_000, 64, 2, "adagrad_wd3_acc", "sgd_m93_d05", 0.01, 0.035, 38, "ln_relu6", "warmup_hold_quadratic"),
                RealSet("apollonius3", 280_001, 96, 3, "sgd_m93_d05", "rmsprop_c97_wd", 0.035, 1e-3, 232, "gn_hardtanh", "step_eighths"),
                RealSet("log_abs_sum", 280_002, 128, 2, "rmsprop_c97_wd", "adagrad_wd3_acc", 1e-3, 0.01, 38, "gn_hardtanh", "warmup_hold_quadratic"),
                RealSet("min_max_pair", 280_003, 48, 3, "sgd_m93_d05", "rmsprop_c97_wd", 0.007, 1e-3, 232, "ln_relu6", "step_eighths"),
                RealSet("apollonius3", 280_004, 96, 3, "rmsprop_c97_wd", "adagrad_wd3_acc", 1e-3, 0.01, 232, "gn_hardtanh", "step_eighths"),
                RealSet("rose3", 280_005, 64, 2, "adagrad_wd3_acc", "sgd_m93_d05", 0.01, 0.035, 38, "ln_relu6", "warmup_hold_quadratic")],
    # the next blind split, written in round 24 before any run on it: data made here
    # (|x0^2 - x1^2| < 0.8, four classes by (x0 > x1) + 2 (x2 > x3), exp(-(x0 - x1^2)^2) + 0.2 x2,
    # clip(x0 + x1, -1, 1) - clip(x2, 0, 1) / 2), LayerNorm+LeakyReLU and GroupNorm+CELU MLPs,
    # optimizers (Adam with AMSGrad, betas (0.9, 0.98) and L2 weight decay 1e-3; ASGD with lambd 1e-3
    # and averaging from step 300; RAdam with betas (0.93, 0.999) and decoupled weight decay 0.01),
    # batch sizes (54, 264) and warm-up + hold + cubic cool-down / x0.82-every-ninth long runs used
    # nowhere before. Tuned LRs, fixed before any run: 1e-3 for Adam and RAdam (their defaults),
    # 0.05 / 0.01 (regression) for ASGD (fresh4's tuned ASGD LRs).
    "fresh28": [RealSet("hyperbola_band", 290_000, 64, 2, "adam_ams_l2", "asgd_l3", 1e-3, 0.05, 54, "ln_leaky", "warmup_hold_cubic"),
                RealSet("pair_compare4", 290_001, 96, 3, "asgd_l3", "radam_b93_dwd", 0.05, 1e-3, 264, "gn_celu", "step_ninths"),
                RealSet("gaussian_ridge", 290_002, 128, 2, "radam_b93_dwd", "adam_ams_l2", 1e-3, 1e-3, 54, "gn_celu", "warmup_hold_cubic"),
                RealSet("clip_linear", 290_003, 48, 3, "asgd_l3", "radam_b93_dwd", 0.01, 1e-3, 264, "ln_leaky", "step_ninths"),
                RealSet("pair_compare4", 290_004, 96, 3, "radam_b93_dwd", "adam_ams_l2", 1e-3, 1e-3, 264, "gn_celu", "step_ninths"),
                RealSet("hyperbola_band", 290_005, 64, 2, "adam_ams_l2", "asgd_l3", 1e-3, 0.05, 54, "ln_leaky", "warmup_hold_cubic")],
    # the next blind split, written in round 25 before any run on it: data made here (inside the
    # cardioid r < 1.1 (1 - cos(theta)), |x0..x2|_1 / |x0..x2|_inf above its median,
    # |x0| + |x1| - sqrt(x0^2 + x1^2) + 0.2 x2, sigmoid(3 x0) x1 + (1 - sigmoid(3 x0)) x2^2 / 2),
    # BatchNorm+ReLU6 and GroupNorm+Softsign MLPs, optimizers (AdamW with betas (0.92, 0.995), eps
    # 1e-5 and weight decay 0.05; SGD with momentum 0.97 and weight decay 1e-4; Adadelta with rho
    # 0.9 and weight decay 1e-4), batch sizes (58, 312) and warm-up + hold + inverse-decay /
    # x0.85-every-tenth long runs used nowhere before. Tuned LRs, fixed before any run: 1e-3 for
    # AdamW (its default), 1.0 for Adadelta (its default), 0.01 / 0.003 (regression) for SGD with
    # momentum 0.97 (an effective step lr / (1 - momentum) of 0.33 / 0.1, as fresh20's momentum-0.95
    # SGD at 0.025 / 0.005 had 0.5 / 0.1).
    "fresh29": [RealSet("cardioid", 300_000, 64, 2, "adamw_b92_e5", "sgd_m97_wd4", 1e-3, 0.01, 58, "bn_relu6", "warmup_hold_inv"),
                RealSet("l1_linf", 300_001, 96, 3, "sgd_m97_wd4", "adadelta_r9_wd", 0.01, 1.0, 312, "gn_softsign", "step_tenths"),
                RealSet("l1_l2_gap", 300_002, 128, 2, "adadelta_r9_wd", "adamw_b92_e5", 1.0, 1e-3, 58, "gn_softsign", "warmup_hold_inv"),
                RealSet("sigmoid_gate", 300_003, 48, 3, "sgd_m97_wd4", "adadelta_r9_wd", 0.003, 1.0, 312, "bn_relu6", "step_tenths"),
                RealSet("l1_linf", 300_004, 96, 3, "adadelta_r9_wd", "adamw_b92_e5", 1.0, 1e-3, 312, "gn_softsign", "step_tenths"),
                RealSet("cardioid", 300_005, 64, 2, "adamw_b92_e5", "sgd_m97_wd4", 1e-3, 0.01, 58, "bn_relu6", "warmup_hold_inv")],
    # the next blind split, written in round 26 before any run on it: data made here (inside the
    # astroid |x0|^(2/3) + |x1|^(2/3) < 1.6, max(x0..x3) - min(x0..x3) above its median,
    # sum_i softmax(x0, x1, x2)_i x_(3+i), sqrt(x0^2 + 0.1) x1 + 0.3 sin(2 x2)), BatchNorm+CELU and
    # GroupNorm+LeakyReLU MLPs, optimizers (NAdam with betas (0.88, 0.995) and weight decay 0.01;
    # RMSprop with alpha 0.97 and momentum 0.8; SGD with Nesterov momentum 0.88 and weight decay
    # 2e-3), batch sizes (72, 328) and warm-up + hold + square-root-decay / x0.87-every-eleventh
    # long runs used nowhere before. Tuned LRs, fixed before any run: 2e-3 for NAdam (its default),
    # 3e-4 for RMSprop with momentum 0.8 (an effective lr / (1 - momentum) of 1.5e-3, as fresh24's
    # momentum-0.5 RMSprop at 5e-4 had 1e-3), 0.05 / 0.01 (regression) for SGD (the usual defaults).
    "fresh30": [RealSet("astroid", 310_000, 64, 2, "nadam_b88_wd2", "sgd_nes88_wd2", 2e-3, 0.05, 72, "bn_celu", "warmup_hold_sqrt"),
                RealSet("spread4", 310_001, 96, 3, "sgd_nes88_wd2", "rms_a97_m8", 0.05, 3e-4, 328, "gn_leaky", "step_elevenths"),
                RealSet("softmax_mix", 310_002, 128, 2, "rms_a97_m8", "nadam_b88_wd2", 3e-4, 2e-3, 72, "gn_leaky", "warmup_hold_sqrt"),
                RealSet("soft_abs_prod", 310_003, 48, 3, "sgd_nes88_wd2", "rms_a97_m8", 0.01, 3e-4, 328, "bn_celu", "step_elevenths"),
                RealSet("spread4", 310_004, 96, 3, "nadam_b88_wd2", "rms_a97_m8", 2e-3, 3e-4, 328, "gn_leaky", "step_elevenths"),
                RealSet("astroid", 310_005, 64, 2, "rms_a97_m8", "sgd_nes88_wd2", 3e-4, 0.05, 72, "bn_celu", "warmup_hold_sqrt")],
    # run blind in round 28, written in round 27 before any run on it: data made here (inside the
    # lemniscate (x0^2 + x1^2)^2 < 2.9 (x0^2 - x1^2), cos(2 x0) + cos(2 x1) + cos(2 x2) above its
    # median, x0 / sqrt(1 + x1^2 + x2^2) + 0.2 x3, arctan(x0 / (0.5 + |x1|)) + 0.2 x2),
    # LayerNorm+Hardtanh and BatchNorm+Softsign MLPs, optimizers (Adamax with betas (0.9, 0.995)
    # and weight decay 0.01; RAdam with betas (0.9, 0.995) and decoupled weight decay 1e-3; SGD
    # with momentum 0.92, dampening 0.2 and weight decay 1e-4), batch sizes (74, 344) and warm-up +
    # hold + logarithmic-decay / x0.88-every-twelfth long runs used nowhere before. Tuned LRs, fixed
    # before any run: 2e-3 for Adamax (its default), 1e-3 for RAdam (its default), 0.05 / 0.01
    # (regression) for SGD (an effective step lr (1 - dampening) / (1 - momentum) of 0.5 / 0.1, as
    # fresh20's momentum-0.95 SGD at 0.025 / 0.005 had 0.5 / 0.1).
    "fresh31": [RealSet("lemniscate", 320_000, 64, 2, "adamax_b995_wd2", "sgd_m92_d2", 2e-3, 0.05, 74, "ln_hardtanh", "warmup_hold_log"),
                RealSet("cos_vote", 320_001, 96, 3, "sgd_m92_d2", "radam_b995_dwd3", 0.05, 1e-3, 344, "bn_softsign", "step_twelfths"),
                RealSet("hypot_ratio", 320_002, 128, 2, "radam_b995_dwd3", "adamax_b995_wd2", 1e-3, 2e-3, 74, "bn_softsign", "warmup_hold_log"),
                RealSet("atan_ratio", 320_003, 48, 3, "sgd_m92_d2", "radam_b995_dwd3", 0.01, 1e-3, 344, "ln_hardtanh", "step_twelfths"),
                RealSet("cos_vote", 320_004, 96, 3, "adamax_b995_wd2", "radam_b995_dwd3", 2e-3, 1e-3, 344, "bn_softsign", "step_twelfths"),
                RealSet("lemniscate", 320_005, 64, 2, "radam_b995_dwd3", "sgd_m92_d2", 1e-3, 0.05, 74, "ln_hardtanh", "warmup_hold_log")],
    # run blind in round 30, written in round 28 before any run on it: data made here (inside the
    # superellipse x0^4 / 1.5 + x1^4 < 1.2, whether x0 is the middle of (x0, x1, x2),
    # exp(-(x0^2 + x1^2) / 2) x2 + 0.2 x3, max(0, x0 - x1) - max(0, x2) / 2 + 0.2 x3),
    # LayerNorm+Softplus and GroupNorm+Hardswish MLPs, optimizers (Adam with betas (0.95, 0.999),
    # eps 1e-6 and weight decay 2e-3; centred RMSprop with alpha 0.93 and momentum 0.6; SGD with
    # momentum 0.85, dampening 0.1 and weight decay 3e-4), batch sizes (76, 360) and warm-up + hold
    # + tanh-decay / x0.9-every-thirteenth long runs used nowhere before. Tuned LRs, fixed before
    # any run: 1e-3 for Adam (its default), 3e-4 for RMSprop with momentum (as fresh30's momentum-0.8
    # RMSprop), 0.08 / 0.016 (regression) for SGD (an effective step lr (1 - dampening) /
    # (1 - momentum) of 0.48 / 0.096, as fresh31's SGD had 0.5 / 0.1).
    "fresh32": [RealSet("superellipse", 330_000, 64, 2, "adam_b95_e6", "sgd_m85_d1", 1e-3, 0.08, 76, "ln_softplus", "warmup_hold_tanh"),
                RealSet("middle_of_three", 330_001, 96, 3, "sgd_m85_d1", "rms_c93_m6", 0.08, 3e-4, 360, "gn_hardswish", "step_thirteenths"),
                RealSet("bump_prod", 330_002, 128, 2, "rms_c93_m6", "adam_b95_e6", 3e-4, 1e-3, 76, "gn_hardswish", "warmup_hold_tanh"),
                RealSet("relu_pair", 330_003, 48, 3, "sgd_m85_d1", "rms_c93_m6", 0.016, 3e-4, 360, "ln_softplus", "step_thirteenths"),
                RealSet("middle_of_three", 330_004, 96, 3, "adam_b95_e6", "rms_c93_m6", 1e-3, 3e-4, 360, "gn_hardswish", "step_thirteenths"),
                RealSet("superellipse", 330_005, 64, 2, "rms_c93_m6", "sgd_m85_d1", 3e-4, 0.08, 76, "ln_softplus", "warmup_hold_tanh")],
    # run blind in round 31, written in round 30 before any run on it: data made here (inside the
    # limacon r < 1 + 0.6 cos(theta), the sign of log(1 + x0^2) - log(1 + x1^2) + x2 / 2,
    # -log(exp(-2 x0) + exp(-2 x1)) / 2 + 0.2 x2, sin(x0 + x1) / (1 + x2^2) + 0.2 x3),
    # GroupNorm+ReLU6 and BatchNorm+Hardtanh MLPs, optimizers (NAdam with betas (0.92, 0.998), eps
    # 1e-7 and momentum decay 3e-3; Adagrad with an initial accumulator of 0.2 and weight decay
    # 1e-4; SGD with Nesterov momentum 0.87 and weight decay 5e-4), batch sizes (78, 376) and
    # warm-up + hold + smoothstep-decay / x0.91-every-fourteenth long runs used nowhere before.
    # Tuned LRs, fixed before any run: 2e-3 for NAdam and 0.01 for Adagrad (their defaults), 0.065
    # / 0.013 (regression) for SGD (an effective step lr / (1 - momentum) of 0.5 / 0.1, as
    # fresh31's SGD had).
    "fresh33": [RealSet("limacon", 340_000, 64, 2, "nadam_b92_md3", "sgd_nes87_wd5", 2e-3, 0.065, 78, "gn_relu6", "warmup_hold_smoothstep"),
                RealSet("log_sq_diff", 340_001, 96, 3, "sgd_nes87_wd5", "adagrad_acc2_wd4", 0.065, 0.01, 376, "bn_hardtanh", "step_fourteenths"),
                RealSet("softmin_pair", 340_002, 128, 2, "adagrad_acc2_wd4", "nadam_b92_md3", 0.01, 2e-3, 78, "bn_hardtanh", "warmup_hold_smoothstep"),
                RealSet("sin_sum_ratio", 340_003, 48, 3, "sgd_nes87_wd5", "adagrad_acc2_wd4", 0.013, 0.01, 376, "gn_relu6", "step_fourteenths"),
                RealSet("log_sq_diff", 340_004, 96, 3, "nadam_b92_md3", "adagrad_acc2_wd4", 2e-3, 0.01, 376, "bn_hardtanh", "step_fourteenths"),
                RealSet("limacon", 340_005, 64, 2, "adagrad_acc2_wd4", "sgd_nes87_wd5", 0.01, 0.065, 78, "gn_relu6", "warmup_hold_smoothstep")],
    # run blind in round 33, written in round 31 before any run on it: data made here (inside the
    # regular hexagon of apothem 1.1, whether x0 x1 exceeds x2 + x3, asinh(2 x0 x1) / 2 + 0.2 x2,
    # max(sin x0, cos x1) + 0.2 x2), LayerNorm+PReLU and GroupNorm+SELU MLPs, optimizers (Adamax
    # with betas (0.92, 0.999) and eps 1e-7; RMSprop with alpha 0.85 and weight decay 1e-4; SGD
    # with momentum 0.8, dampening 0.2 and weight decay 2e-4), batch sizes (80, 392) and warm-up +
    # hold + sine-decay / x0.92-every-fifteenth long runs used nowhere before. Tuned LRs, fixed
    # before any run: 2e-3 for Adamax and 1e-3 for RMSprop (their defaults), 0.125 / 0.025
    # (regression) for SGD (an effective step lr (1 - dampening) / (1 - momentum) of 0.5 / 0.1, as
    # fresh31's SGD had).
    "fresh34": [RealSet("hexagon", 350_000, 64, 2, "adamax_b92_e7", "sgd_m8_d2", 2e-3, 0.125, 80, "ln_prelu", "warmup_hold_sine"),
                RealSet("prod_vs_sum", 350_001, 96, 3, "sgd_m8_d2", "rms_a85_wd4", 0.125, 1e-3, 392, "gn_selu", "step_fifteenths"),
                RealSet("asinh_prod", 350_002, 128, 2, "rms_a85_wd4", "adamax_b92_e7", 1e-3, 2e-3, 80, "gn_selu", "warmup_hold_sine"),
                RealSet("max_sines", 350_003, 48, 3, "sgd_m8_d2", "rms_a85_wd4", 0.025, 1e-3, 392, "ln_prelu", "step_fifteenths"),
                RealSet("prod_vs_sum", 350_004, 96, 3, "adamax_b92_e7", "rms_a85_wd4", 2e-3, 1e-3, 392, "gn_selu", "step_fifteenths"),
                RealSet("hexagon", 350_005, 64, 2, "rms_a85_wd4", "sgd_m8_d2", 1e-3, 0.125, 80, "ln_prelu", "warmup_hold_sine")],
    # run blind in round 33, written in round 33 before any run on it: data made here (a crescent
    # inside the disk of radius 1.4 and outside the one of radius 1 at (0.7, 0), whether x1
    # exceeds x0^3 - 2 x0, exp(-(x0 - 1)^2) - exp(-(x0 + 1)^2) + 0.3 x1 x2, x0 / (1 + |x1|) +
    # 0.2 x2), LayerNorm+Sigmoid and BatchNorm+SELU MLPs, optimizers (AdamW with betas (0.93,
    # 0.997) and weight decay 0.02; RAdam with betas (0.9, 0.99), eps 1e-6 and coupled weight decay
    # 1e-3; SGD with Nesterov momentum 0.83 and weight decay 3e-4), batch sizes (82, 408) and
    # warm-up + hold + arctan-decay / x0.93-every-sixteenth long runs used nowhere before. Tuned
    # LRs, fixed before any run: 1e-3 for AdamW and RAdam (their defaults), 0.085 / 0.017
    # (regression) for SGD (an effective step lr / (1 - momentum) of 0.5 / 0.1, as fresh31's SGD had).
    "fresh35": [RealSet("lune", 360_000, 64, 2, "adamw_b93_wd2", "sgd_nes83_wd3", 1e-3, 0.085, 82, "ln_sigmoid", "warmup_hold_arctan"),
                RealSet("cubic_boundary", 360_001, 96, 3, "sgd_nes83_wd3", "radam_b9_e6_l2", 0.085, 1e-3, 408, "bn_selu", "step_sixteenths"),
                RealSet("gauss_diff", 360_002, 128, 2, "radam_b9_e6_l2", "adamw_b93_wd2", 1e-3, 1e-3, 82, "bn_selu", "warmup_hold_arctan"),
                RealSet("softsign_ratio", 360_003, 48, 3, "sgd_nes83_wd3", "radam_b9_e6_l2", 0.017, 1e-3, 408, "ln_sigmoid", "step_sixteenths"),
                RealSet("cubic_boundary", 360_004, 96, 3, "adamw_b93_wd2", "radam_b9_e6_l2", 1e-3, 1e-3, 408, "bn_selu", "step_sixteenths"),
                RealSet("lune", 360_005, 64, 2, "radam_b9_e6_l2", "sgd_nes83_wd3", 1e-3, 0.085, 82, "ln_sigmoid", "warmup_hold_arctan")],
    # run blind in round 34, written in round 33 before any run on it: data made here (inside the
    # elliptic ring 0.6 < x0^2 / 2 + x1^2 < 2, whether max(x0, x1) exceeds x2 + 0.3, tanh(x0) x1 +
    # 0.3 cos(x2), sqrt|x0 - x1| - 0.2 x2), GroupNorm+Sigmoid and BatchNorm+PReLU MLPs, optimizers
    # (NAdam with betas (0.94, 0.999) and eps 1e-6; Adagrad with LR decay 1e-3 and weight decay
    # 1e-3; SGD with momentum 0.75, dampening 0.3 and weight decay 1e-4), batch sizes (84, 424) and
    # warm-up + hold + Gaussian-decay / x0.935-every-seventeenth long runs used nowhere before.
    # Tuned LRs, fixed before any run: 2e-3 for NAdam and 0.01 for Adagrad (their defaults), 0.18
    # / 0.036 (regression) for SGD (an effective step lr (1 - dampening) / (1 - momentum) of 0.5 /
    # 0.1, as fresh31's SGD had).
    "fresh36": [RealSet("ellipse_ring", 370_000, 64, 2, "nadam_b94_e6", "sgd_m75_d3_wd", 2e-3, 0.18, 84, "gn_sigmoid", "warmup_hold_gauss"),
                RealSet("max_vs_third", 370_001, 96, 3, "sgd_m75_d3_wd", "adagrad_lrd3_wd3", 0.18, 0.01, 424, "bn_prelu", "step_seventeenths"),
                RealSet("tanh_times", 370_002, 128, 2, "adagrad_lrd3_wd3", "nadam_b94_e6", 0.01, 2e-3, 84, "bn_prelu", "warmup_hold_gauss"),
                RealSet("root_gap", 370_003, 48, 3, "sgd_m75_d3_wd", "adagrad_lrd3_wd3", 0.036, 0.01, 424, "gn_sigmoid", "step_seventeenths"),
                RealSet("max_vs_third", 370_004, 96, 3, "nadam_b94_e6", "adagrad_lrd3_wd3", 2e-3, 0.01, 424, "bn_prelu", "step_seventeenths"),
                RealSet("ellipse_ring", 370_005, 64, 2, "adagrad_lrd3_wd3", "sgd_m75_d3_wd", 0.01, 0.18, 84, "gn_sigmoid", "warmup_hold_gauss")],
    # run blind at the start of round 35, written in round 34 before any run on it: data made here (inside the
    # oval (x0^2 + x1^2)^2 - 1.2 (x0^2 - x1^2) < 0.5, whether x0 + x1 x2 exceeds x3^2 - 1, a radial
    # sinc, log(1 + x0^2) / (1 + x1^2) - 0.3 x2), LayerNorm+SELU and GroupNorm+PReLU MLPs,
    # optimizers (AdamW with betas (0.91, 0.995) and weight decay 5e-3; centred RMSprop with alpha
    # 0.91 and momentum 0.3; SGD with Nesterov momentum 0.7 and weight decay 5e-4), batch sizes
    # (86, 432) and warm-up + hold + logistic-decay / x0.94-every-eighteenth long runs used nowhere
    # before. Tuned LRs, fixed before any run: 1e-3 for AdamW (its default), 5e-4 for RMSprop (a
    # twentieth of its default; fresh32's centred RMSprop with momentum 0.6 had 3e-4), 0.15 / 0.03 (regression) for SGD (an
    # effective step lr / (1 - momentum) of 0.5 / 0.1, as fresh31's SGD had).
    "fresh37": [RealSet("cassini", 380_000, 64, 2, "adamw_b91_wd5", "sgd_nes7_wd5", 1e-3, 0.15, 86, "ln_selu", "warmup_hold_logistic"),
                RealSet("sum_vs_square", 380_001, 96, 3, "sgd_nes7_wd5", "rms_c91_m3", 0.15, 5e-4, 432, "gn_prelu", "step_eighteenths"),
                RealSet("radial_sinc", 380_002, 128, 2, "rms_c91_m3", "adamw_b91_wd5", 5e-4, 1e-3, 86, "gn_prelu", "warmup_hold_logistic"),
                RealSet("log_over_quad", 380_003, 48, 3, "sgd_nes7_wd5", "rms_c91_m3", 0.03, 5e-4, 432, "ln_selu", "step_eighteenths"),
                RealSet("sum_vs_square", 380_004, 96, 3, "adamw_b91_wd5", "rms_c91_m3", 1e-3, 5e-4, 432, "gn_prelu", "step_eighteenths"),
                RealSet("cassini", 380_005, 64, 2, "rms_c91_m3", "sgd_nes7_wd5", 5e-4, 0.15, 86, "ln_selu", "warmup_hold_logistic")],
    # run blind at the start of round 36, written in round 35 before any run on it: data made here (inside the
    # five-lobed curve r < 1.2 + 0.4 sin(5 angle), whether x0^3 + x1^3 exceeds x2 x3,
    # atan(2 x0 - x1) + 0.3 x2^2, exp(-|x0|) cos(2 x1) + 0.25 x2), BatchNorm+Sigmoid and
    # LayerNorm+Tanhshrink MLPs, optimizers (Adamax with betas (0.93, 0.999) and weight decay 1e-3;
    # RAdam with betas (0.92, 0.998) and decoupled weight decay 1e-2; SGD with momentum 0.8,
    # dampening 0.1 and weight decay 3e-4), batch sizes (88, 440) and warm-up + hold +
    # exponential-drop / x0.945-every-nineteenth long runs used nowhere before. Tuned LRs, fixed
    # before any run: 2e-3 for Adamax (its default), 1e-3 for RAdam (its default), 0.1 / 0.02
    # (regression) for SGD (an effective step lr (1 - dampening) / (1 - momentum) of 0.45 / 0.09).
    "fresh38": [RealSet("five_lobes", 390_000, 64, 2, "radam_b92_dwd2", "sgd_m8_d1_wd3", 1e-3, 0.1, 88, "bn_sigmoid", "warmup_hold_expdrop"),
                RealSet("cube_vs_pair", 390_001, 96, 3, "sgd_m8_d1_wd3", "adamax_b93_wd3", 0.1, 2e-3, 440, "ln_tanhshrink", "step_nineteenths"),
                RealSet("atan_ridge", 390_002, 128, 2, "adamax_b93_wd3", "radam_b92_dwd2", 2e-3, 1e-3, 88, "ln_tanhshrink", "warmup_hold_expdrop"),
                RealSet("exp_cos_decay", 390_003, 48, 3, "sgd_m8_d1_wd3", "adamax_b93_wd3", 0.02, 2e-3, 440, "bn_sigmoid", "step_nineteenths"),
                RealSet("cube_vs_pair", 390_004, 96, 3, "radam_b92_dwd2", "adamax_b93_wd3", 1e-3, 2e-3, 440, "ln_tanhshrink", "step_nineteenths"),
                RealSet("five_lobes", 390_005, 64, 2, "adamax_b93_wd3", "sgd_m8_d1_wd3", 2e-3, 0.1, 88, "bn_sigmoid", "warmup_hold_expdrop")],
    # run blind in round 37 (after its first change), written in round 36 before any run on it: data made here (the side of
    # the spiral sin(3 r - angle) > 0, whether x0^4 - x1^2 exceeds x2, tanh(x0 x1) + 0.4 sin(2 x2),
    # log cosh(x0 + x1) - 0.3 |x2|), LayerNorm+RReLU and GroupNorm+Tanhshrink MLPs, optimizers
    # (NAdam with betas (0.9, 0.996) and momentum decay 5e-3; Adagrad with LR decay 1e-3 and initial
    # accumulator 0.05; SGD with Nesterov momentum 0.85 and weight decay 2e-4), batch sizes (90, 448)
    # and warm-up + hold + cosine-squared / x0.95-every-twentieth long runs used nowhere before.
    # Tuned LRs, fixed before any run: 2e-3 for NAdam (its default), 0.01 for Adagrad (its
    # default), 0.08 / 0.016 (regression) for SGD (an effective step lr / (1 - momentum) of 0.53 / 0.11).
    "fresh39": [RealSet("spiral_arm", 400_000, 64, 2, "nadam_b9_md5", "sgd_nes85_wd2", 2e-3, 0.08, 90, "ln_rrelu", "warmup_hold_cos2"),
                RealSet("quartic_gap", 400_001, 96, 3, "sgd_nes85_wd2", "adagrad_lrd3_acc05", 0.08, 0.01, 448, "gn_tanhshrink", "step_twentieths"),
                RealSet("tanh_prod_sin", 400_002, 128, 2, "adagrad_lrd3_acc05", "nadam_b9_md5", 0.01, 2e-3, 90, "gn_tanhshrink", "warmup_hold_cos2"),
                RealSet("log_cosh_sum", 400_003, 48, 3, "sgd_nes85_wd2", "adagrad_lrd3_acc05", 0.016, 0.01, 448, "ln_rrelu", "step_twentieths"),
                RealSet("quartic_gap", 400_004, 96, 3, "nadam_b9_md5", "adagrad_lrd3_acc05", 2e-3, 0.01, 448, "gn_tanhshrink", "step_twentieths"),
                RealSet("spiral_arm", 400_005, 64, 2, "adagrad_lrd3_acc05", "sgd_nes85_wd2", 0.01, 0.08, 90, "ln_rrelu", "warmup_hold_cos2")],
    # run blind in round 38 (after its changes), written in round 37 before any run on it: data made here (inside the
    # four-petal rose r < 2 |cos(2 angle)|, the sign of x0 x3 - x1 x2, softplus(2 x0) - softplus(2 x1)
    # + 0.3 sin(x2 x3), erf(x0) x1 + 0.2 x2^2), GroupNorm+RReLU and BatchNorm+Tanhshrink MLPs,
    # optimizers (AdamW with betas (0.88, 0.995) and weight decay 0.05; RMSprop with alpha 0.97 and
    # eps 1e-5; SGD with momentum 0.9, dampening 0.2 and weight decay 1e-4), batch sizes (92, 456)
    # and warm-up + hold + quartic / x0.955-every-twenty-first long runs used nowhere before.
    # Tuned LRs, fixed before any run: 1e-3 for AdamW and RMSprop (the usual defaults), 0.05 / 0.01
    # (regression) for SGD (an effective step lr (1 - dampening) / (1 - momentum) of 0.4 / 0.08).
    "fresh40": [RealSet("rose_petals", 410_000, 64, 2, "adamw_b88_wd05", "sgd_m9_d2_wd4", 1e-3, 0.05, 92, "gn_rrelu", "warmup_hold_quartic"),
                RealSet("det_sign", 410_001, 96, 3, "sgd_m9_d2_wd4", "rms_a97_e5", 0.05, 1e-3, 456, "bn_tanhshrink", "step_twentyfirsts"),
                RealSet("softplus_gap", 410_002, 128, 2, "rms_a97_e5", "adamw_b88_wd05", 1e-3, 1e-3, 92, "bn_tanhshrink", "warmup_hold_quartic"),
                RealSet("erf_blend", 410_003, 48, 3, "sgd_m9_d2_wd4", "rms_a97_e5", 0.01, 1e-3, 456, "gn_rrelu", "step_twentyfirsts"),
                RealSet("det_sign", 410_004, 96, 3, "adamw_b88_wd05", "rms_a97_e5", 1e-3, 1e-3, 456, "bn_tanhshrink", "step_twentyfirsts"),
                RealSet("rose_petals", 410_005, 64, 2, "rms_a97_e5", "sgd_m9_d2_wd4", 1e-3, 0.05, 92, "gn_rrelu", "warmup_hold_quartic")],
    # run blind in round 39 (after its changes), written in round 38 before any run on it: data made here (inside the
    # heart curve, the sign of x0 x1 x2 + 0.3 x3, 2 exp(-(x0^2 + x1^2) / 2) - 0.5 x2 |x3|,
    # arctan(2 x0 / (1 + x1^2)) + 0.25 x2 x3), BatchNorm+RReLU and LayerNorm+Softshrink MLPs,
    # optimizers (Adam with AMSGrad and betas (0.85, 0.997); SGD with Nesterov momentum 0.95 and
    # weight decay 3e-4; Adadelta with rho 0.85 and weight decay 1e-4), batch sizes (94, 464) and
    # warm-up + hold + cosh-shaped fall / x0.96-every-twenty-second long runs used nowhere before.
    # Tuned LRs, fixed before any run: 1e-3 for Adam and 1.0 for Adadelta (the usual defaults), 0.02 /
    # 0.004 (regression) for Nesterov SGD (an effective step lr / (1 - momentum) of 0.4 / 0.08).
    "fresh41": [RealSet("heart_curve", 420_000, 64, 2, "adam_ams_b85", "sgd_nes95_wd3", 1e-3, 0.02, 94, "bn_rrelu", "warmup_hold_cosh"),
                RealSet("prod3_sign", 420_001, 96, 3, "sgd_nes95_wd3", "adadelta_r85_wd4", 0.02, 1.0, 464, "ln_softshrink", "step_twentyseconds"),
                RealSet("bump_absprod", 420_002, 128, 2, "adadelta_r85_wd4", "adam_ams_b85", 1.0, 1e-3, 94, "ln_softshrink", "warmup_hold_cosh"),
                RealSet("atan_damped", 420_003, 48, 3, "sgd_nes95_wd3", "adadelta_r85_wd4", 0.004, 1.0, 464, "bn_rrelu", "step_twentyseconds"),
                RealSet("prod3_sign", 420_004, 96, 3, "adam_ams_b85", "adadelta_r85_wd4", 1e-3, 1.0, 464, "ln_softshrink", "step_twentyseconds"),
                RealSet("heart_curve", 420_005, 64, 2, "adadelta_r85_wd4", "sgd_nes95_wd3", 1.0, 0.02, 94, "bn_rrelu", "warmup_hold_cosh")],
    # run blind in round 40 (after its changes), written in round 39 before any run on it: data made here (inside the
    # three-lobed r < 1.2 (1 + 0.4 cos(3 angle)), the sign of x0^2 - x1^2 + x2 x3, log(1 + x0^2) -
    # log(1 + x1^2) + 0.3 x2 tanh(2 x3), sin(2 x0) exp(-x1^2 / 2) + 0.2 x2 x3), LayerNorm+Hardshrink
    # and GroupNorm+LogSigmoid MLPs, optimizers (centred RMSprop with alpha 0.95 and momentum 0.4;
    # Adamax with betas (0.87, 0.999) and eps 1e-6; SGD with momentum 0.92 and weight decay 5e-5),
    # batch sizes (96, 472) and warm-up + hold + sech-shaped fall / x0.965-every-twenty-third long
    # runs used nowhere before. Tuned LRs, fixed before any run: 2e-3 for Adamax (its default), 5e-4
    # for RMSprop (as fresh37's centred RMSprop with momentum 0.3), 0.04 / 0.008 (regression) for SGD
    # (an effective step lr / (1 - momentum) of 0.5 / 0.1).
    "fresh42": [RealSet("trefoil_in", 430_000, 64, 2, "adamax_b87_e6", "sgd_m92_wd5", 2e-3, 0.04, 96, "ln_hardshrink", "warmup_hold_sech"),
                RealSet("quad_form_sign", 430_001, 96, 3, "sgd_m92_wd5", "rms_c95_m4", 0.04, 5e-4, 472, "gn_logsigmoid", "step_twentythirds"),
                RealSet("log_ratio_tanh", 430_002, 128, 2, "rms_c95_m4", "adamax_b87_e6", 5e-4, 2e-3, 96, "gn_logsigmoid", "warmup_hold_sech"),
                RealSet("sinc_gate", 430_003, 48, 3, "sgd_m92_wd5", "rms_c95_m4", 0.008, 5e-4, 472, "ln_hardshrink", "step_twentythirds"),
                RealSet("quad_form_sign", 430_004, 96, 3, "adamax_b87_e6", "rms_c95_m4", 2e-3, 5e-4, 472, "gn_logsigmoid", "step_twentythirds"),
                RealSet("trefoil_in", 430_005, 64, 2, "rms_c95_m4", "sgd_m92_wd5", 5e-4, 0.04, 96, "ln_hardshrink", "warmup_hold_sech")],
    # run blind in round 41 (after its changes), written in round 40 before any run on it: data made here (the sign of
    # sin(angle + 0.8 r), a one-armed spiral; the sign of x0^3 + x1^3 - 1.5 x2; cos(x0) cos(x1) +
    # 0.3 x2^2; softplus(2 x0) - softplus(2 x1) + 0.25 x2 sin(x3)), LayerNorm+Hardsigmoid and
    # BatchNorm+Threshold(0.1) MLPs, optimizers (AdamW with betas (0.9, 0.995) and weight decay 1e-3;
    # Adagrad with an initial accumulator of 0.3 and weight decay 5e-5; SGD with Nesterov momentum
    # 0.9 and weight decay 1e-4), batch sizes (98, 480) and warm-up + hold + erf-shaped fall /
    # x0.97-every-twenty-fourth long runs used nowhere before. Tuned LRs, fixed before any run: 1e-3
    # for AdamW, 0.01 for Adagrad (its default), 0.05 / 0.01 (regression) for SGD (an effective step
    # lr / (1 - momentum) of 0.5 / 0.1).
    "fresh43": [RealSet("spiral_arms", 440_000, 64, 2, "adamw_b9_995_wd3", "sgd_nes9_wd4", 1e-3, 0.05, 98, "ln_hardsigmoid", "warmup_hold_erf"),
                RealSet("cubic_sum_sign", 440_001, 96, 3, "sgd_nes9_wd4", "adagrad_acc3_wd5", 0.05, 0.01, 480, "bn_threshold", "step_twentyfourths"),
                RealSet("cos_prod_sq", 440_002, 128, 2, "adagrad_acc3_wd5", "adamw_b9_995_wd3", 0.01, 1e-3, 98, "bn_threshold", "warmup_hold_erf"),
                RealSet("softplus_sin", 440_003, 48, 3, "sgd_nes9_wd4", "adagrad_acc3_wd5", 0.01, 0.01, 480, "ln_hardsigmoid", "step_twentyfourths"),
                RealSet("cubic_sum_sign", 440_004, 96, 3, "adamw_b9_995_wd3", "adagrad_acc3_wd5", 1e-3, 0.01, 480, "bn_threshold", "step_twentyfourths"),
                RealSet("spiral_arms", 440_005, 64, 2, "adagrad_acc3_wd5", "sgd_nes9_wd4", 0.01, 0.05, 98, "ln_hardsigmoid", "warmup_hold_erf")],
    # run blind at the start of round 42 (on round 41's code), written in round 41 before any run on it: data made here ((0.7 < r <
    # 1.5) XOR (cos(2 angle) > 0); the sign of sinh(x0) - 1.5 x1 + 0.4 (x2^2 - 1); atan(2 x0) x1 +
    # 0.3 x2^2; exp(-|x0|) - exp(-|x1|) + 0.3 x2 cos(x3)), LayerNorm+GELU(tanh) and
    # BatchNorm+Hardtanh(-2, 2) MLPs, optimizers (NAdam with betas (0.91, 0.999), momentum decay
    # 6e-3 and weight decay 1e-4; Adagrad with an initial accumulator of 0.5 and weight decay 2e-4; SGD with momentum
    # 0.87, dampening 0.05 and weight decay 1e-4), batch sizes (100, 488) and warm-up + hold +
    # rational fall / x0.975-every-twenty-fifth long runs used nowhere before. Tuned LRs, fixed
    # before any run: 2e-3 for NAdam and 0.01 for Adagrad (their defaults), 0.05 / 0.01 (regression) for
    # SGD (an effective step lr (1 - dampening) / (1 - momentum) of 0.37 / 0.07).
    "fresh44": [RealSet("wedge_ring_xor", 450_000, 64, 2, "nadam_b91_md6_wd4", "sgd_m87_d05_wd4", 2e-3, 0.05, 100, "ln_gelu_tanh", "warmup_hold_rational"),
                RealSet("sinh_gap_sign", 450_001, 96, 3, "sgd_m87_d05_wd4", "adagrad_acc5_wd2", 0.05, 0.01, 488, "bn_hardtanh2", "step_twentyfifths"),
                RealSet("atan_times_sq", 450_002, 128, 2, "adagrad_acc5_wd2", "nadam_b91_md6_wd4", 0.01, 2e-3, 100, "bn_hardtanh2", "warmup_hold_rational"),
                RealSet("exp_abs_gap", 450_003, 48, 3, "sgd_m87_d05_wd4", "adagrad_acc5_wd2", 0.01, 0.01, 488, "ln_gelu_tanh", "step_twentyfifths"),
                RealSet("sinh_gap_sign", 450_004, 96, 3, "nadam_b91_md6_wd4", "adagrad_acc5_wd2", 2e-3, 0.01, 488, "bn_hardtanh2", "step_twentyfifths"),
                RealSet("wedge_ring_xor", 450_005, 64, 2, "sgd_m87_d05_wd4", "nadam_b91_md6_wd4", 0.05, 2e-3, 100, "ln_gelu_tanh", "warmup_hold_rational")],
    # run blind in round 43 (after round 43's first change), written in round 42 before any run on it: data made here (a four-leaf
    # clover (x0^2 + x1^2)^2 < 2.2 |x0^2 - x1^2|; the sign of cosh(x0) - cosh(x1) + 0.5 x2; tanh(x0 x1) + 0.2
    # x2 |x2|; log1p(x0^2) - log1p(x1^2) + 0.3 sin(x2) x3), GroupNorm+Hardsigmoid and
    # BatchNorm+LogSigmoid MLPs, optimizers (RAdam with betas (0.88, 0.995) and decoupled weight
    # decay 1e-2; RMSprop with alpha 0.98, centred, momentum 0.5; SGD with Nesterov momentum 0.86
    # and weight decay 2e-4), batch sizes (102, 496) and warm-up + hold + Lorentzian fall /
    # x0.98-every-twenty-sixth long runs used nowhere before. Tuned LRs, fixed before any run: 1e-3
    # for RAdam (its default), 5e-4 for RMSprop (as the benchmark's other centred RMSprop runs), 0.05
    # / 0.01 (regression) for SGD (an effective step lr / (1 - momentum) of 0.36 / 0.07).
    "fresh45": [RealSet("clover_in", 460_000, 64, 2, "radam_b88_dwd2", "sgd_nes86_wd2", 1e-3, 0.05, 102, "gn_hardsigmoid", "warmup_hold_lorentz"),
                RealSet("cosh_gap_sign", 460_001, 96, 3, "sgd_nes86_wd2", "rms_c98_m5", 0.05, 5e-4, 496, "bn_logsigmoid", "step_twentysixths"),
                RealSet("tanh_cross_cube", 460_002, 128, 2, "rms_c98_m5", "radam_b88_dwd2", 5e-4, 1e-3, 102, "bn_logsigmoid", "warmup_hold_lorentz"),
                RealSet("log1p_sq_gap", 460_003, 48, 3, "sgd_nes86_wd2", "rms_c98_m5", 0.01, 5e-4, 496, "gn_hardsigmoid", "step_twentysixths"),
                RealSet("cosh_gap_sign", 460_004, 96, 3, "radam_b88_dwd2", "rms_c98_m5", 1e-3, 5e-4, 496, "bn_logsigmoid", "step_twentysixths"),
                RealSet("clover_in", 460_005, 64, 2, "sgd_nes86_wd2", "radam_b88_dwd2", 0.05, 1e-3, 102, "gn_hardsigmoid", "warmup_hold_lorentz")],
    # run blind at the start of round 44 (before any round-44 change), written in round 43 before any run on it: data made here (inside an
    # astroid |x0|^(2/3) + |x1|^(2/3) < 1.6; the sign of sin(2 x0) + sin(2 x1) + 0.4 x2; asinh(2 x0) x1
    # + 0.25 x2^3; exp(-(x0 - 1)^2) - exp(-(x1 + 1)^2) + 0.3 x2 x3), BatchNorm+Softshrink and
    # LayerNorm+LogSigmoid MLPs, optimizers (AdamW with betas (0.85, 0.99) and weight decay 5e-2;
    # Adagrad with LR decay 1e-4 and initial accumulator 0.2; SGD with momentum 0.91, dampening 0.1
    # and weight decay 3e-4), batch sizes (104, 504) and warm-up + hold + quarter-circle fall /
    # x0.982-every-twenty-seventh long runs used nowhere before. Tuned LRs, fixed before any run:
    # 1e-3 for AdamW (its default), 0.01 for Adagrad (its default), 0.05 / 0.01 (regression) for SGD
    # (an effective step lr (1 - dampening) / (1 - momentum) of 0.5 / 0.1).
    "fresh46": [RealSet("astroid_in", 470_000, 64, 2, "adamw_b85_99_wd5", "sgd_m91_d1_wd3", 1e-3, 0.05, 104, "bn_softshrink", "warmup_hold_circle"),
                RealSet("sin_sum_sign", 470_001, 96, 3, "sgd_m91_d1_wd3", "adagrad_lrd4_acc2", 0.05, 0.01, 504, "ln_logsigmoid", "step_twentysevenths"),
                RealSet("asinh_cross", 470_002, 128, 2, "adagrad_lrd4_acc2", "adamw_b85_99_wd5", 0.01, 1e-3, 104, "ln_logsigmoid", "warmup_hold_circle"),
                RealSet("rbf_pair_gap", 470_003, 48, 3, "sgd_m91_d1_wd3", "adagrad_lrd4_acc2", 0.01, 0.01, 504, "bn_softshrink", "step_twentysevenths"),
                RealSet("sin_sum_sign", 470_004, 96, 3, "adamw_b85_99_wd5", "adagrad_lrd4_acc2", 1e-3, 0.01, 504, "ln_logsigmoid", "step_twentysevenths"),
                RealSet("astroid_in", 470_005, 64, 2, "sgd_m91_d1_wd3", "adamw_b85_99_wd5", 0.05, 1e-3, 104, "bn_softshrink", "warmup_hold_circle")],
    # run blind at the start of round 45 (before any round-45 change),
    # written in round 44 before any run on it: data made here (inside a five-pointed star r < 1.1 + 0.5 cos(5 theta); the sign of x0 exp(-x1^2 / 2) + 0.3 sin(3 x2);
    # arctan(x0 x1) + 0.2 x2^3 - 0.3 x3; sigmoid(3 x0) sin(2 x1) + 0.3 x2 x3), BatchNorm+Hardshrink
    # and GroupNorm+Softshrink MLPs, optimizers (NAdam with betas (0.9, 0.997) and decoupled weight
    # decay 1e-2; Adamax with betas (0.89, 0.998) and weight decay 5e-4; SGD with Nesterov momentum
    # 0.88 and weight decay 1e-4), batch sizes (106, 512) and warm-up + hold + bump-function fall /
    # x0.984-every-twenty-eighth long runs used nowhere before. Tuned LRs, fixed before any run:
    # 2e-3 for NAdam and Adamax (their defaults), 0.05 / 0.01 (regression) for SGD.
    "fresh47": [RealSet("star5_in", 480_000, 64, 2, "nadam_b9_997_dwd2", "sgd_nes88_wd1", 2e-3, 0.05, 106, "bn_hardshrink", "warmup_hold_bump"),
                RealSet("damped_x_sign", 480_001, 96, 3, "sgd_nes88_wd1", "adamax_b89_wd5", 0.05, 2e-3, 512, "gn_softshrink", "step_twentyeighths"),
                RealSet("atan_prod_cube", 480_002, 128, 2, "adamax_b89_wd5", "nadam_b9_997_dwd2", 2e-3, 2e-3, 106, "gn_softshrink", "warmup_hold_bump"),
                RealSet("sigmoid_wave", 480_003, 48, 3, "sgd_nes88_wd1", "adamax_b89_wd5", 0.01, 2e-3, 512, "bn_hardshrink", "step_twentyeighths"),
                RealSet("damped_x_sign", 480_004, 96, 3, "nadam_b9_997_dwd2", "adamax_b89_wd5", 2e-3, 2e-3, 512, "gn_softshrink", "step_twentyeighths"),
                RealSet("star5_in", 480_005, 64, 2, "sgd_nes88_wd1", "nadam_b9_997_dwd2", 0.05, 2e-3, 106, "bn_hardshrink", "warmup_hold_bump")],
    # run blind at the start of round 46 (before any round-46 change),
    # written in round 45 before any run on it: data made here (inside a
    # wobbly ring r < 1.18 + 0.35 sin(3 theta) + 0.15 cos(7 theta); the sign of x0^3 - 1.5 x0 +
    # tanh(2 x1) + 0.4 x2 x3; exp(-x0^2) x1 + 0.3 tanh(x2 x3) + 0.2 x4; sqrt(1 + x0^2) sin(x1) -
    # 0.25 x2 |x3|), GroupNorm+Hardshrink and LayerNorm+Threshold MLPs, optimizers (AdamW with
    # AMSGrad, betas (0.87, 0.995) and weight decay 2e-2; centred RMSprop with alpha 0.94, momentum
    # 0.4 and weight decay 1e-4; SGD with momentum 0.89, dampening 0.05 and weight decay 2e-4), batch
    # sizes (108, 520) and warm-up + hold + cos^3 fall / x0.986-every-twenty-ninth long runs used
    # nowhere before. Tuned LRs, fixed before any run: 1e-3 for AdamW, 5e-4 for RMSprop (as
    # fresh45's), 0.05 / 0.01 (regression) for SGD.
    "fresh48": [RealSet("wobble_ring_in", 490_000, 64, 2, "adamw_ams_b87_995_wd2", "sgd_m89_d05_wd2", 1e-3, 0.05, 108, "gn_hardshrink", "warmup_hold_cos3"),
                RealSet("cubic_tanh_sign", 490_001, 96, 3, "sgd_m89_d05_wd2", "rms_c94_m4_wd4", 0.05, 5e-4, 520, "ln_threshold", "step_twentyninths"),
                RealSet("gauss_cross", 490_002, 128, 2, "rms_c94_m4_wd4", "adamw_ams_b87_995_wd2", 5e-4, 1e-3, 108, "ln_threshold", "warmup_hold_cos3"),
                RealSet("soft_abs_sin", 490_003, 48, 3, "sgd_m89_d05_wd2", "rms_c94_m4_wd4", 0.01, 5e-4, 520, "gn_hardshrink", "step_twentyninths"),
                RealSet("cubic_tanh_sign", 490_004, 96, 3, "adamw_ams_b87_995_wd2", "rms_c94_m4_wd4", 1e-3, 5e-4, 520, "ln_threshold", "step_twentyninths"),
                RealSet("wobble_ring_in", 490_005, 64, 2, "sgd_m89_d05_wd2", "adamw_ams_b87_995_wd2", 0.05, 1e-3, 108, "gn_hardshrink", "warmup_hold_cos3")],
    # run blind at the start of round 47 (before any round-47 change),
    # written in round 46 before any run on it: data made here (inside an egg
    # x0^2 / 1.7 + x1^2 exp(0.35 x0) < 1.2; the sign of asinh(2 x0) - x1^2 + 0.8 + 0.3 sin(2 x2) x3;
    # tanh(x0 - x1^2 / 2) + 0.3 exp(-x2^2) x3 + 0.15 x4; cos(1.5 x0) |x1| / (1 + 0.5 |x2|) + 0.2 x3),
    # GroupNorm+Threshold and BatchNorm+Hardsigmoid MLPs, optimizers (RAdam with betas (0.9, 0.995)
    # and weight decay 3e-4; Adagrad with lr_decay 1e-3, initial accumulator 0.1 and weight decay
    # 2e-4; SGD with Nesterov momentum 0.91 and weight decay 3e-4), batch sizes (110, 528) and
    # warm-up + hold + (1 - q)^1.5 fall / x0.988-every-thirtieth long runs used nowhere before.
    # Tuned LRs, fixed before any run: 1e-3 for RAdam, 0.01 for Adagrad (as fresh46's), 0.05 / 0.01
    # (regression) for SGD.
    "fresh49": [RealSet("egg_in", 500_000, 64, 2, "radam_b9_995_wd3", "sgd_nes91_wd3", 1e-3, 0.05, 110, "gn_threshold", "warmup_hold_pow15"),
                RealSet("asinh_parab_sign", 500_001, 96, 3, "sgd_nes91_wd3", "adagrad_lrd3_acc1_wd2", 0.05, 0.01, 528, "bn_hardsigmoid", "step_thirtieths"),
                RealSet("tanh_parab_bump", 500_002, 128, 2, "adagrad_lrd3_acc1_wd2", "radam_b9_995_wd3", 0.01, 1e-3, 110, "bn_hardsigmoid", "warmup_hold_pow15"),
                RealSet("cos_abs_ratio", 500_003, 48, 3, "sgd_nes91_wd3", "adagrad_lrd3_acc1_wd2", 0.01, 0.01, 528, "gn_threshold", "step_thirtieths"),
                RealSet("asinh_parab_sign", 500_004, 96, 3, "radam_b9_995_wd3", "adagrad_lrd3_acc1_wd2", 1e-3, 0.01, 528, "bn_hardsigmoid", "step_thirtieths"),
                RealSet("egg_in", 500_005, 64, 2, "sgd_nes91_wd3", "radam_b9_995_wd3", 0.05, 1e-3, 110, "gn_threshold", "warmup_hold_pow15")],
    # run blind at the start of round 48 (before any round-48 change),
    # written in round 47 before any run on it: data made here (inside a
    # teardrop x1^2 < 0.4 (1.4 - x0) (x0 + 1.2)^2; the sign of sin(1.5 x0) + 0.5 x1 |x1| - 0.3 x2 +
    # 0.25 tanh(x3 x4); softplus(x0) cos(x1) + 0.25 x2 x3; x0 exp(-(x1 - 0.5 x2)^2) + 0.3 sin(2 x3) +
    # 0.1 x4), GroupNorm+GELU(tanh) and LayerNorm+Hardtanh(-2, 2) MLPs, optimizers (NAdam with betas
    # (0.93, 0.998), momentum decay 4e-3 and decoupled weight decay 1e-2; Adamax with betas (0.91,
    # 0.997) and weight decay 2e-4; SGD with momentum 0.86, dampening 0.15 and weight decay 2e-4),
    # batch sizes (112, 536) and warm-up + hold + (1 - q)^2.5 fall / x0.99-every-thirty-first long
    # runs used nowhere before. Tuned LRs, fixed before any run: 2e-3 for NAdam (as fresh47's), 2e-3
    # for Adamax (as fresh47's), 0.05 / 0.01 (regression) for SGD.
    "fresh50": [RealSet("teardrop_in", 510_000, 64, 2, "nadam_b93_md4_dwd2", "sgd_m86_d15_wd2", 2e-3, 0.05, 112, "gn_gelu_tanh", "warmup_hold_pow25"),
                RealSet("sine_sqabs_sign", 510_001, 96, 3, "sgd_m86_d15_wd2", "adamax_b91_997_wd2", 0.05, 2e-3, 536, "ln_hardtanh2", "step_thirtyfirsts"),
                RealSet("softplus_cos", 510_002, 128, 2, "adamax_b91_997_wd2", "nadam_b93_md4_dwd2", 2e-3, 2e-3, 112, "ln_hardtanh2", "warmup_hold_pow25"),
                RealSet("gauss_ridge_sin", 510_003, 48, 3, "sgd_m86_d15_wd2", "adamax_b91_997_wd2", 0.01, 2e-3, 536, "gn_gelu_tanh", "step_thirtyfirsts"),
                RealSet("sine_sqabs_sign", 510_004, 96, 3, "nadam_b93_md4_dwd2", "adamax_b91_997_wd2", 2e-3, 2e-3, 536, "ln_hardtanh2", "step_thirtyfirsts"),
                RealSet("teardrop_in", 510_005, 64, 2, "sgd_m86_d15_wd2", "nadam_b93_md4_dwd2", 0.05, 2e-3, 112, "gn_gelu_tanh", "warmup_hold_pow25")],
    # run blind at the start of round 49 (before any round-49 change),
    # written in round 48 before any run on it: data made here (inside a
    # peanut x1^2 < 0.5 (x0^2 + 0.3) (2.5 - x0^2); the sign of x0 cos(x1) + 0.4 arctan(2 x2) -
    # 0.3 x3 x4; arctan(x0^2 - x1) + 0.3 cos(2 x2) x3; x0 x1 exp(-0.3 x2^2) + 0.4 sin(x3 + x4) +
    # 0.1 x5), BatchNorm+GELU(tanh) and GroupNorm+Hardtanh(-2, 2) MLPs, optimizers (Adam with
    # AMSGrad, betas (0.88, 0.996) and (L2) weight decay 1e-4; RMSprop with alpha 0.96, momentum 0.5
    # and weight decay 2e-4; SGD with Nesterov momentum 0.89 and weight decay 2e-4), batch sizes
    # (114, 544) and warm-up + hold + smootherstep fall / x0.991-every-thirty-second long runs used
    # nowhere before. Tuned LRs, fixed before any run: 1e-3 for Adam (as fresh41's AMSGrad Adam),
    # 5e-4 for RMSprop (as fresh12's RMSprop with momentum 0.5), 0.05 / 0.01 (regression) for SGD
    # (as fresh49's Nesterov SGD).
    "fresh51": [RealSet("peanut_in", 520_000, 64, 2, "adam_ams_b88_996_wd4", "sgd_nes89_wd2", 1e-3, 0.05, 114, "bn_gelu_tanh", "warmup_hold_smootherstep"),
                RealSet("xcos_atan_sign", 520_001, 96, 3, "sgd_nes89_wd2", "rms_a96_m5_wd2", 0.05, 5e-4, 544, "gn_hardtanh2", "step_thirtyseconds"),
                RealSet("atan_parab_cos", 520_002, 128, 2, "rms_a96_m5_wd2", "adam_ams_b88_996_wd4", 5e-4, 1e-3, 114, "gn_hardtanh2", "warmup_hold_smootherstep"),
                RealSet("prod_gauss_sinsum", 520_003, 48, 3, "sgd_nes89_wd2", "rms_a96_m5_wd2", 0.01, 5e-4, 544, "bn_gelu_tanh", "step_thirtyseconds"),
                RealSet("xcos_atan_sign", 520_004, 96, 3, "adam_ams_b88_996_wd4", "rms_a96_m5_wd2", 1e-3, 5e-4, 544, "gn_hardtanh2", "step_thirtyseconds"),
                RealSet("peanut_in", 520_005, 64, 2, "sgd_nes89_wd2", "adam_ams_b88_996_wd4", 0.05, 1e-3, 114, "bn_gelu_tanh", "warmup_hold_smootherstep")],
    # run blind at the start of round 50 (before any round-50 change),
    # written in round 49 before any run on it: data made here (inside a
    # bowtie |x1| < 0.3 + 0.8 |x0|, |x0| < 1.7; the sign of tanh(2 x0) x1^2 + 0.5 sin(x2 - x3) -
    # 0.3 x4; sin(x0 + 0.5 x1^2) + 0.3 tanh(x2 + x3) x4; cos(x0 - x1) x2 + 0.4 arctan(x3 x4) +
    # 0.1 x5), BatchNorm+Softplus(beta=2) and LayerNorm+ELU(alpha=0.5) MLPs, optimizers (AdamW with
    # betas (0.89, 0.997) and weight decay 3e-2; Adagrad with lr_decay 5e-4, initial accumulator
    # 0.15 and weight decay 1e-4; SGD with momentum 0.87, dampening 0.1 and weight decay 2e-4),
    # batch sizes (116, 552) and warm-up + hold + (1 - q) exp(-2 q) fall / x0.992-every-thirty-third
    # long runs used nowhere before. Tuned LRs, fixed before any run: 1e-3 for AdamW (as fresh46's
    # AdamW), 0.01 for Adagrad (as fresh49's Adagrad with lr_decay, accumulator and weight decay),
    # 0.05 / 0.01 (regression) for SGD (as fresh50's dampened SGD; an effective step lr (1 -
    # dampening) / (1 - momentum) of 0.35 / 0.07).
    "fresh52": [RealSet("bowtie_in", 530_000, 64, 2, "adamw_b89_997_wd03", "sgd_m87_d1_wd2", 1e-3, 0.05, 116, "bn_softplus_b2", "warmup_hold_linexp"),
                RealSet("tanh_sq_sin_sign", 530_001, 96, 3, "sgd_m87_d1_wd2", "adagrad_lrd5_acc15_wd4", 0.05, 0.01, 552, "ln_elu05", "step_thirtythirds"),
                RealSet("sin_parab_tanhsum", 530_002, 128, 2, "adagrad_lrd5_acc15_wd4", "adamw_b89_997_wd03", 0.01, 1e-3, 116, "ln_elu05", "warmup_hold_linexp"),
                RealSet("cos_diff_atan", 530_003, 48, 3, "sgd_m87_d1_wd2", "adagrad_lrd5_acc15_wd4", 0.01, 0.01, 552, "bn_softplus_b2", "step_thirtythirds"),
                RealSet("tanh_sq_sin_sign", 530_004, 96, 3, "adamw_b89_997_wd03", "adagrad_lrd5_acc15_wd4", 1e-3, 0.01, 552, "ln_elu05", "step_thirtythirds"),
                RealSet("bowtie_in", 530_005, 64, 2, "sgd_m87_d1_wd2", "adamw_b89_997_wd03", 0.05, 1e-3, 116, "bn_softplus_b2", "warmup_hold_linexp")],
    # run blind at the start of round 51 (before any round-51 change),
    # written in round 50 before any run on it: data made here (inside a
    # horseshoe, the annulus sector 0.4 < r < 2.2, |angle| < 0.58 pi; the sign of (x0 + 0.5 sin(2
    # x1)) (x2 + 0.3 x3^2 - 0.3); 0.5 sinh(clip(x0, -1.5, 1.5)) + exp(-(x1 - x2)^2 / 2) + 0.3 |x3| -
    # 0.1 x4; log1p(|x0|) cos(x1) + 0.3 x2 / (1 + x3^2) + 0.1 x4), GroupNorm+CELU(alpha=0.7) and
    # BatchNorm+LeakyReLU(0.2) MLPs, optimizers (RAdam with betas (0.91, 0.998), eps 1e-7 and
    # decoupled weight decay 5e-3; RMSprop with alpha 0.92, momentum 0.6 and weight decay 1e-4; SGD
    # with Nesterov momentum 0.84 and weight decay 3e-4), batch sizes (118, 560) and warm-up + hold
    # + shifted Cauchy (1 / (1 + 4 q^2) - 1/5) / (4/5) fall / x0.993-every-thirty-fourth long runs
    # used nowhere before. Tuned LRs, fixed before any run: 1e-3 for RAdam (as fresh45's RAdam with
    # decoupled weight decay), 5e-4 for RMSprop (as fresh51's RMSprop with momentum and weight
    # decay), 0.05 / 0.01 (regression) for SGD (as fresh51's Nesterov SGD).
    "fresh53": [RealSet("horseshoe_in", 540_000, 64, 2, "radam_b91_998_e7_dwd5e3", "sgd_nes84_wd3", 1e-3, 0.05, 118, "gn_celu07", "warmup_hold_cauchy"),
                RealSet("wavy_prod_sign", 540_001, 96, 3, "sgd_nes84_wd3", "rms_a92_m6_wd4", 0.05, 5e-4, 560, "bn_leaky02", "step_thirtyfourths"),
                RealSet("sinh_clip_gauss_abs", 540_002, 128, 2, "rms_a92_m6_wd4", "radam_b91_998_e7_dwd5e3", 5e-4, 1e-3, 118, "bn_leaky02", "warmup_hold_cauchy"),
                RealSet("log1p_cos_lorentz", 540_003, 48, 3, "sgd_nes84_wd3", "rms_a92_m6_wd4", 0.01, 5e-4, 560, "gn_celu07", "step_thirtyfourths"),
                RealSet("wavy_prod_sign", 540_004, 96, 3, "radam_b91_998_e7_dwd5e3", "rms_a92_m6_wd4", 1e-3, 5e-4, 560, "bn_leaky02", "step_thirtyfourths"),
                RealSet("horseshoe_in", 540_005, 64, 2, "sgd_nes84_wd3", "radam_b91_998_e7_dwd5e3", 0.05, 1e-3, 118, "gn_celu07", "warmup_hold_cauchy")],
    # the next blind split, written in round 51 before any run on it: data made here (inside a
    # chevron, the V-shaped band |x1 - 0.5 |x0| + 0.1| < 0.7; the sign of sin(1.5 x0 x1) + 0.5 (x2 -
    # x3) x4; cbrt(x0 + x1) + 0.4 sin(x2) cos(x3) - 0.2 x4; x0 sqrt(1 + x1^2 / 4) - 0.3 |x2 - x3| +
    # 0.1 x4), LayerNorm+Softplus(beta=0.5) and GroupNorm+LeakyReLU(0.05) MLPs, optimizers (NAdam
    # with betas (0.94, 0.997), momentum decay 5e-3 and (L2) weight decay 2e-4; Adamax with betas
    # (0.88, 0.996), eps 1e-7 and weight decay 1e-4; SGD with momentum 0.88, dampening 0.2 and
    # weight decay 3e-4), batch sizes (120, 568) and warm-up + hold + sinc sin(pi q) / (pi q) fall /
    # x0.994-every-thirty-fifth long runs used nowhere before. Tuned LRs, fixed before any run: 2e-3
    # for NAdam (as fresh50's NAdam), 2e-3 for Adamax (as fresh50's Adamax), 0.05 / 0.01
    # (regression) for SGD (as fresh52's dampened SGD; an effective step lr (1 - dampening) / (1 -
    # momentum) of 0.33 / 0.067).
    "fresh54": [RealSet("chevron_in", 550_000, 64, 2, "nadam_b94_997_md5_wd2", "sgd_m88_d2_wd3", 2e-3, 0.05, 120, "ln_softplus_b05", "warmup_hold_sinc"),
                RealSet("sin_bilin_cross_sign", 550_001, 96, 3, "sgd_m88_d2_wd3", "adamax_b88_996_e7_wd4", 0.05, 2e-3, 568, "gn_leaky005", "step_thirtyfifths"),
                RealSet("cbrt_sum_sincos", 550_002, 128, 2, "adamax_b88_996_e7_wd4", "nadam_b94_997_md5_wd2", 2e-3, 2e-3, 120, "gn_leaky005", "warmup_hold_sinc"),
                RealSet("x_hypot_absgap", 550_003, 48, 3, "sgd_m88_d2_wd3", "adamax_b88_996_e7_wd4", 0.01, 2e-3, 568, "ln_softplus_b05", "step_thirtyfifths"),
                RealSet("sin_bilin_cross_sign", 550_004, 96, 3, "nadam_b94_997_md5_wd2", "adamax_b88_996_e7_wd4", 2e-3, 2e-3, 568, "gn_leaky005", "step_thirtyfifths"),
                RealSet("chevron_in", 550_005, 64, 2, "sgd_m88_d2_wd3", "nadam_b94_997_md5_wd2", 0.05, 2e-3, 120, "ln_softplus_b05", "warmup_hold_sinc")],
}

#: Objective-label thresholds (see ``objective_labels``).
ROSE, NOTHING_LEARNT, WORSE_THAN_TUNED, CONVERGED, CONVERGED_SPAN = 1.25, 0.95, 1.25, 0.01, 0.15
#: Round 25: a lower LR is also "too low" when the tuned LR reached its final level ``SLOWER`` (4)
#: times sooner, levels read as medians of ``REACH_WINDOW`` (40) steps (``steps_to_reach``).
SLOWER, REACH_WINDOW = 4.0, 40
#: Round 26: how ``objective_labels`` says that a run at the tuned LR learnt nothing and no higher LR did either.
#: Round 29 (U5): how far above its best tenth the whole-set loss may end before the run "ended blown up".
ENDED_BLOWN_UP = 2.0
SIDE_UNKNOWN = "learnt nothing at the tuned LR, and no higher LR in the sweep learnt"
#: Plateau label: under this relative progress over a stretch of ``CONVERGED_SPAN`` of the run,
#: measured on block means of ``BLOCK_FRAC`` of the run.
FLAT_PROGRESS, BLOCK_FRAC = 0.01, 0.025


#: Spike label (``model_spikes``): the whole-training-set loss after a step is ``SPIKE_JUMP`` (2) x
#: its median over the previous ``SPIKE_WINDOW`` (50) steps, ``SPIKE_Z`` (4) robust sd of their
#: log above it, and above it by ``SPIKE_MIN_ABS`` (1%) of ``r0``; steps under ``SPIKE_GAP``
#: (10) apart are one event.
SPIKE_JUMP, SPIKE_WINDOW, SPIKE_Z, SPIKE_MIN_ABS, SPIKE_GAP = 2.0, 50, 4.0, 0.01, 10
#: A glitch's spike must start within this many steps of it; an unlabelled spike finding is
#: neutral when the whole-set loss rose ``CONFIRM_JUMP`` x over its recent median within
#: ``CONFIRM_SPAN`` steps of the finding (the model did get worse there).
SPIKE_RESPONSE, CONFIRM_JUMP, CONFIRM_SPAN = 20, 1.5, 5
#: Round 15: an unlabelled "LR too high" finding (``UNSTABLE``) is neutral when the whole-set
#: loss within ``CONFIRM_SPAN`` steps of it reached ``BLOWN_UP`` (3) x ``r0``: the LR had driven
#: the model to three times the loss of one that learnt nothing (``_model_blew_up``). An untrained
#: model starts under 2x ``r0`` on every task (1.94x at most over the first 5 steps of the 445
#: tuned and too-low runs of the first 15 splits).
BLOWN_UP = 3.0
#: Round 16: an unlabelled oscillation finding on a run at an LR above the tuned one is neutral
#: when the whole-set loss alternates inside it: the median lag-1 autocorrelation of its detrended
#: log over the finding's 128-step windows (``signals.window_oscillation_tests``, the detector's
#: own statistic) is below ``ALTERNATES`` (-0.5; white noise through the same 9-point detrending
#: gives -0.14 with a standard deviation of 0.09).
ALTERNATES = -0.5
#: The glitch of each task's "glitch" run: LR x ``GLITCH_FACTOR`` for ``GLITCH_STEPS`` steps.
GLITCH_FACTOR, GLITCH_STEPS, GLITCH_RUN_STEPS = 30.0, 2, 800


def plateau_cadence(n: int) -> int:
    """Every how many steps the plateau labels read the whole-training-set loss (rounds 1-3
    measured it only there; the labels are unchanged since)."""
    return max(1, n // 160)


def on_cadence(full: np.ndarray) -> np.ndarray:
    """``full`` with every value off the ``plateau_cadence`` set to NaN."""
    out = np.full(full.shape, np.nan)
    e = plateau_cadence(full.size)
    out[e - 1 :: e] = full[e - 1 :: e]
    return out


def model_spikes(full: np.ndarray, r0: float) -> list[tuple[int, int, float]]:
    """Steps where *the model* got suddenly worse, from the whole-training-set loss after every
    step (no minibatch noise, no lrdiag code): ``(first, last, peak jump)`` per event, as steps of
    the minibatch loss (the loss logged at step ``t + 1`` is the first to see step ``t``'s update).

    With ``m`` and ``sd`` the median and robust sd (1.4826 MAD, at least 0.05) of the log
    whole-set loss over the previous ``SPIKE_WINDOW`` (50) steps (at least 10 of them), a step is
    a spike when its log whole-set loss is above ``m`` by ``log SPIKE_JUMP`` (2x) and by
    ``SPIKE_Z`` (4) ``sd`` (far outside its own recent band: a high-LR run whose whole-set loss
    keeps bouncing 2x has no spike at every bounce), and its loss is above ``exp(m)`` by
    ``SPIKE_MIN_ABS`` (1%) of ``r0`` (a memorised loss doubling from 1e-4 is no event). Spike
    steps under ``SPIKE_GAP`` (10) apart are one event. A jump in one minibatch's loss that the
    whole set does not share (a hard batch) is not a label: the model did not change.
    """
    f = np.asarray(full, dtype=np.float64)
    n = f.size
    if n < 11:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(np.isfinite(f) & (f > 0), np.log(f), np.nan)
    win = np.lib.stride_tricks.sliding_window_view(np.concatenate([np.full(SPIKE_WINDOW, np.nan), y])[:-1], SPIKE_WINDOW)
    enough = np.count_nonzero(np.isfinite(win), axis=1) >= 10
    with warnings.catch_warnings():  # all-NaN rows (the first steps) give NaN, which `enough` drops
        warnings.simplefilter("ignore", RuntimeWarning)
        m = np.nanmedian(win, axis=1)
        sd = np.maximum(1.4826 * np.nanmedian(np.abs(win - m[:, None]), axis=1), 0.05)
    with np.errstate(invalid="ignore"):
        hit = (enough & np.isfinite(y) & (y - m >= math.log(SPIKE_JUMP)) & (y - m >= SPIKE_Z * sd)
               & (f - np.exp(m) > SPIKE_MIN_ABS * r0))
    out: list[tuple[int, int, float]] = []
    for t in np.nonzero(hit)[0]:
        step, jump = min(n - 1, int(t) + 1), float(np.exp(y[t] - m[t]))
        if out and step - out[-1][1] < SPIKE_GAP:
            out[-1] = (out[-1][0], step, max(out[-1][2], jump))
        else:
            out.append((step, step, jump))
    return out


def constant_loss(dataset: str) -> float:
    """Loss of the best constant predictor on the whole training set: the entropy of the class
    frequencies (cross-entropy), or the target's variance (MSE; 1 for the standardised targets)."""
    X, y, task = _dataset(dataset)
    if task == "reg":
        return float(np.var(y))
    p = np.bincount(y.astype(np.int64)) / y.size
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _level(loss: np.ndarray, a: int, b: int) -> float:
    v = loss[a:b]
    return float(np.median(v)) if np.isfinite(v).all() else float("inf")


def flat_stretches(loss: np.ndarray, r0: float) -> list[tuple[int, int, str]]:
    """Stretches where the loss made no progress, by definition (no statistical test):
    ``(first step, last step, why)``.

    ``loss`` is per step, NaN where not measured (the whole-training-set loss every few steps;
    the minibatch loss is too noisy for a 1% rule: a 10-step block mean of a batch-32
    cross-entropy varies by 10-30%). It is averaged over blocks of ``BLOCK_FRAC`` (2.5%) of the run; a window of
    ``CONVERGED_SPAN`` (15%) of the run (6 blocks) is *flat* when

    * its best block mean is not ``FLAT_PROGRESS`` (1%) below the best block mean before it:
      ReduceLROnPlateau's rule (``mode='min', threshold=0.01, threshold_mode='rel'``, patience
      15% of the run), the definition lrdiag's plateau findings are phrased in. A loss that rose
      and came back made no progress either; or
    * every block mean in it is below ``CONVERGED`` (1%) of ``r0``: 99% of what a constant
      predictor gets wrong has been learnt (near zero, relative changes are no progress worth
      training for).

    Overlapping flat windows form one stretch.
    """
    n = loss.size
    blk = max(1, int(round(BLOCK_FRAC * n)))
    nb = n // blk
    w = max(2, int(math.ceil(CONVERGED_SPAN * n / blk)))
    if nb < w:
        return []
    m = np.nanmean(loss[: nb * blk].reshape(nb, blk), axis=1)
    why = np.zeros(nb, dtype=np.int8)  # per block: 1 in a flat window, 2 in a near-zero one
    best_before = np.minimum.accumulate(np.concatenate([[np.inf], m]))  # [i]: best of m[:i]
    for i in range(nb - w + 1):
        seg = m[i : i + w]
        no_new_best = seg.min() > (1.0 - FLAT_PROGRESS) * best_before[i]
        why[i : i + w] |= (1 if no_new_best else 0) | (2 if (seg < CONVERGED * r0).all() else 0)
    flat = why > 0
    out = []
    i = 0
    while i < nb:
        if not flat[i]:
            i += 1
            continue
        j = i
        while j + 1 < nb and flat[j + 1]:
            j += 1
        last = n - 1 if j == nb - 1 else (j + 1) * blk - 1
        bits = int(np.bitwise_or.reduce(why[i : j + 1]))
        out.append((i * blk, last, "+".join(w for b, w in ((1, "flat"), (2, "near zero")) if bits & b)))
        i = j + 1
    return out


def steps_to_reach(loss: np.ndarray, level: float, window: int = REACH_WINDOW) -> int | None:
    """The middle step of the first ``window``-step stretch (stepped by 5) whose median loss is at
    or below ``level``; None if none is."""
    loss = np.asarray(loss, dtype=np.float64)
    for a in range(0, loss.size - window + 1, 5):
        if _level(loss, a, a + window) <= level:
            return a + window // 2
    return None


def objective_labels(h: History, *, lr_side: str, tuned_final: float | None, r0: float,
                     full_loss: np.ndarray | None = None, glitch_at: int | None = None,
                     tuned_loss: np.ndarray | None = None,
                     higher_level: float | None = None) -> tuple[list[tuple[str, int, int]], str]:
    """Labels for a real training, from its loss curve alone (no lrdiag detector is used).

    ``level(a, b)`` is the median loss over steps ``[a, b)``; ``n`` steps; a tenth is ``n // 10``
    steps; ``r0`` is ``constant_loss`` (what a model that learnt nothing scores); ``tuned_final`` is
    the last-tenth level of the same task's run at the tuned LR after 400 steps.

    * ``unstable`` (whole run) if any of: (U1) a non-finite loss; (U2) *it got worse*: the last
      tenth's level is above ``ROSE`` (1.25) x the lowest level of any tenth (tenths stepped by
      half a tenth) and above it by 1% of ``r0``; (U3) *it learnt nothing*, at an LR not below the
      tuned one: the last tenth's level is at least ``NOTHING_LEARNT`` (95%) of ``r0`` (at a lower
      LR, learning nothing is the next rule's "too low"); (U4) for an LR above the tuned one, *it
      ended worse than the tuned LR*: the last tenth's level is over ``WORSE_THAN_TUNED`` (1.25) x
      ``tuned_final``, although it trained 3.75x longer. "LR too high" is what these say.
      Round 26: at the tuned LR itself (``lr_side="tuned"``), when ``higher_level`` is given (the
      lowest level, steps 360-400, that a run of the same optimizer at 10x or 100x the LR reached
      in the same 400 steps), U3 says nothing of the LR's side on its own: a run there that learnt
      nothing is ``lr_too_low`` when a higher LR got ``WORSE_THAN_TUNED`` (1.25x) below this run's
      own 400-step level (the sweep shows the LR was too low), and otherwise gets no LR label (no
      LR in the sweep learnt: the sweep cannot say which side the LR is on; its flat stretches
      label it, and ``labelled_case`` leaves an "LR too high" or "LR too low" finding on it
      unscored). Until round 25 both were "unstable" ("LR too high").
      (U5, round 29) *it ended blown up*: the whole-set loss (``full_loss``) over the last 2% of
      the run (at least 10 steps) has a median over ``ENDED_BLOWN_UP`` (2) x the lowest median of
      any of its tenths, and above it by 1% of ``r0``; not on a run given an LR glitch (the glitch
      has its own label), nor under 100 steps. The last-tenth median of U2 cannot see a blow-up
      in the last few percent of a run: SGD at its tuned LR whose whole-set loss went 0.030 ->
      0.245 over the last 15 of 400 steps was "clean" until round 28.
    * ``lr_too_low`` (whole run), for an LR below the tuned one that is not unstable, if it ended
      worse than the tuned LR did in 400 steps (the last tenth over 1.25 x ``tuned_final``), or
      (round 10) if it learnt nothing (the last tenth at least ``NOTHING_LEARNT`` of ``r0``, U3's
      test): until round 9 such a run was labelled only by its flat stretches when the tuned LR
      had learnt little in 400 steps too, and an ``lr_too_low`` finding on it counted as false;
      or (round 25) if it was ``SLOWER`` (4x) slower: the tuned LR's run (``tuned_loss``, 400 steps)
      reached this run's last-tenth level in a quarter of the steps this run took to reach it
      (``steps_to_reach``, 40-step medians, for both). Until round 24 a run at 1/100 of the LR
      that needed 5-22x the steps but got there by step 1500 was clean, and the ratio detector's
      "LR too low" on it a false alarm.
    * ``plateau`` over each of ``flat_stretches`` of ``full_loss`` (the whole-training-set loss,
      read every ``plateau_cadence`` steps; the minibatch loss if not given): at least 15% of the
      run with under 1% relative progress, at a noise floor or near zero alike.
    * ``spike`` (round 4), on a run given an LR glitch at step ``glitch_at``, if it is not
      unstable: the first of ``model_spikes`` of ``full_loss`` within ``SPIKE_RESPONSE`` (20)
      steps of the glitch (the whole-set loss doubled, far outside its recent band). A glitch the
      model shrugged off is no label.
    * none of these: a clean run (every finding on it is a false alarm).

    Returns the labels and one line on which rule gave them.
    """
    loss = np.asarray(h.loss, dtype=np.float64)
    n = loss.size
    tenth = max(1, n // 10)
    final = _level(loss, n - tenth, n)
    why: list[str] = []
    learnt_nothing_too_low, side_unknown = None, ""
    if not np.isfinite(loss).all():
        why.append("U1 non-finite loss")
    else:
        best = min(_level(loss, a, a + tenth) for a in range(0, n - tenth + 1, max(1, tenth // 2)))
        if final > ROSE * best and final - best > 0.01 * r0:
            # (a best tenth of exactly 0: a float32 loss that underflowed on a memorised set)
            why.append(f"U2 rose to {final / best:.2f}x its best tenth" if best > 0 else f"U2 rose from 0 to {final:.3g}")
        if full_loss is not None and glitch_at is None and n >= 100:
            whole = np.asarray(full_loss, dtype=np.float64)
            k = max(10, n // 50)
            end = float(np.nanmedian(whole[-k:]))
            wbest = min(float(np.nanmedian(whole[a:a + tenth])) for a in range(0, n - tenth + 1, max(1, tenth // 2)))
            if end > ENDED_BLOWN_UP * wbest and end - wbest > 0.01 * r0:
                why.append(f"U5 the whole-set loss ended at {end / wbest:.2f}x its best tenth (median of the last {k} steps)")
        if lr_side != "low" and final >= NOTHING_LEARNT * r0:
            own = _level(loss, 360, 400) if n >= 400 else final
            if lr_side != "tuned" or higher_level is None:
                why.append(f"U3 ended at {final / r0:.0%} of the constant predictor's loss")
            elif higher_level * WORSE_THAN_TUNED < own:
                learnt_nothing_too_low = (f"learnt nothing at the tuned LR (ended at {final / r0:.0%} of the constant "
                                          f"predictor's loss); a higher LR reached {higher_level / own:.2f}x its level by step 400")
            else:
                side_unknown = f"; {SIDE_UNKNOWN} (it ended at {final / r0:.0%} of the constant predictor's loss)"
        if lr_side == "high" and tuned_final is not None and final > WORSE_THAN_TUNED * tuned_final:
            why.append(f"U4 ended {final / tuned_final:.1f}x worse than the tuned LR")
    if why:
        return [("unstable", 0, n - 1)], "; ".join(why)
    spikes = []
    if glitch_at is not None and full_loss is not None:
        spikes = [e for e in model_spikes(full_loss, r0) if glitch_at <= e[0] <= glitch_at + SPIKE_RESPONSE][:1]
    spike_labels = [("spike", a, b) for a, b, _ in spikes]
    spike_why = ("; " + ", ".join(f"spike {a}-{b} ({j:.1f}x the whole-set loss)" for a, b, j in spikes)) if spikes else ""
    if learnt_nothing_too_low:
        return [("lr_too_low", 0, n - 1)] + spike_labels, learnt_nothing_too_low + spike_why
    if lr_side == "low":
        low_why = (f"ended {final / tuned_final:.1f}x worse than the tuned LR in 400 steps"
                   if tuned_final is not None and final > WORSE_THAN_TUNED * tuned_final else
                   f"learnt nothing: ended at {final / r0:.0%} of the constant predictor's loss"
                   if final >= NOTHING_LEARNT * r0 else None)
        if low_why is None and tuned_loss is not None:
            ours, theirs = steps_to_reach(loss, final), steps_to_reach(tuned_loss, final)
            if ours is not None and theirs is not None and ours >= SLOWER * theirs:
                low_why = f"{ours / theirs:.1f}x slower: reached its final level at step {ours}, the tuned LR by step {theirs}"
        if low_why:
            return [("lr_too_low", 0, n - 1)] + spike_labels, low_why + spike_why
    flats = flat_stretches(loss if full_loss is None else on_cadence(np.asarray(full_loss, dtype=np.float64)), r0)
    if flats:
        return ([("plateau", a, b) for a, b, _ in flats] + spike_labels,
                "plateau: " + ", ".join(f"{a}-{b} ({w})" for a, b, w in flats) + spike_why + side_unknown)
    if spikes:
        return spike_labels, spike_why[2:] + side_unknown
    return [], ("trains fine" + side_unknown + (f"; the LR glitch at step {glitch_at} made no spike" if glitch_at is not None else "") + (f" (ended {final / tuned_final:.2f}x the tuned LR's 400-step loss)" if tuned_final else ""))


def labelled_case(h: History, full: np.ndarray | None, *, lr_side: str, tuned_final: float | None, r0: float,
                  what: str, glitch_at: int | None = None, tuned_loss: np.ndarray | None = None,
                  higher_level: float | None = None) -> Case:
    """A real run as a benchmark case: ``objective_labels`` plus the kinds that are also a correct
    description of it (not scored): any sign of a too-high LR (spikes included) on an unstable
    run, a plateau on a too-low one. (Until round 3 spikes on the long runs were accepted too:
    real runs had no spike labels. Round 4 drives one run per task into a spike with an LR glitch,
    and ``score`` leaves a spike finding the whole-set loss confirms unscored.)"""
    labels, why = objective_labels(h, lr_side=lr_side, tuned_final=tuned_final, r0=r0, full_loss=full, glitch_at=glitch_at,
                                   tuned_loss=tuned_loss, higher_level=higher_level)
    also_ok: tuple[str, ...] = ()
    if labels and labels[0][0] == "unstable":
        also_ok = ("spike", "lr_too_high", "oscillation", "divergence")
    elif labels and labels[0][0] == "lr_too_low":
        also_ok = ("plateau",)
    elif SIDE_UNKNOWN in why:
        also_ok = ("lr_too_high", "lr_too_low")  # round 26: the sweep cannot say which side the LR is on
    kinds = "+".join(dict.fromkeys(k for k, _, _ in labels)) or "clean"
    return Case(h, labels, also_ok, f"{what} -> {kinds} ({why})", clean=not labels,
                full_loss=full, r0=r0, lr_high=lr_side == "high", glitch_at=glitch_at)


def training_fingerprint() -> str:
    """A hash of everything a real training depends on besides its arguments: the training and
    data code, the optimizer and schedule tables, and the torch and numpy versions. A cached
    training (``--cache``) is reused only under the same fingerprint, so editing any of them
    retrains instead of scoring stale runs."""
    import hashlib
    import inspect

    import torch

    from lrdiag.monitor import _hparams as monitor_hparams

    parts = [inspect.getsource(f) for f in (train_history, _record_training, _dataset, _ResidualMLP, _decaying_restarts,
                                            monitor_hparams)]
    parts += [repr(ADAPTIVE), repr(STEP_SCHEDULES), torch.__version__, np.__version__]
    parts += [f"{name}:{frac}:{inspect.getsource(f)}" for name, (frac, f) in sorted(WARMUP_SCHEDULES.items())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


#: Set by ``--cache DIR``: ``training_cache.cached(DIR)``, which keeps each real training keyed by
#: its arguments and ``training_fingerprint()``; None trains every run afresh.
TRAINING_CACHE = None


def use_training_cache(location: str | os.PathLike | None) -> None:
    """Keep real trainings in ``location`` (a directory; None: no cache). Labels and scores are
    always computed afresh from the kept runs: only the training is skipped."""
    global TRAINING_CACHE
    if location is None:
        TRAINING_CACHE = None
        return
    TRAINING_CACHE = training_cache.cached(location)


def real_cases(split: str) -> list[Case]:
    """Small trainings driven into each condition (``REAL_SPLITS[split]``), labelled by
    ``objective_labels`` (the LR multiplier only says what was attempted)."""
    cases = []
    train = TRAINING_CACHE or training_cache.trained
    fingerprint = training_fingerprint() if TRAINING_CACHE is not None else ""
    for ds, seed, hidden, depth, opt1, opt2, lr1, lr2, batch, arch, long_schedule in REAL_SPLITS[split]:
        r0 = constant_loss(ds)
        tag = f"{ds}/{seed}"

        def run(name, steps, **kw):
            args = dict(seed=seed, hidden=hidden, depth=depth, batch=batch, arch=arch, run=f"{ds}-{name}", steps=steps, **kw)
            return (*train(fingerprint, train_history, ds, **args), {"dataset": ds, **args})

        # every run is trained first and labelled after: a run at the tuned LR is labelled with what the
        # higher LRs reached (round 26); the order of the cases is the order of the runs
        runs: list[tuple] = []

        def add(hf, lr_side, tuned_final, what, glitch_at=None, tuned_loss=None, opt=None):
            runs.append((hf, dict(lr_side=lr_side, tuned_final=tuned_final, r0=r0, what=what, glitch_at=glitch_at,
                                  tuned_loss=tuned_loss), opt))

        tuned, tuned_loss, higher = {}, {}, {}
        for opt, lr in ((opt1, lr1), (opt2, lr2)):
            # tuned runs stop at 400 steps (the "long" case below trains far past convergence)
            h = run(f"tuned-{opt}", 400, optimizer=opt, lr=lr)
            tuned[opt], tuned_loss[opt] = _level(h[0].loss, 360, 400), np.asarray(h[0].loss, dtype=np.float64)
            add(h, "tuned", None, f"{tag} {opt} tuned LR {lr:g}", opt=opt)
        for opt, lr, mult in ((opt1, lr1, 10), (opt1, lr1, 100), (opt2, lr2, 100)):
            h = run(f"{opt}-x{mult}", 1500, optimizer=opt, lr=lr * mult)
            higher[opt] = min(higher.get(opt, math.inf), _level(h[0].loss, 360, 400))
            add(h, "high", tuned[opt], f"{tag} {opt} LR {mult}x the tuned one ({lr * mult:g})")
        for opt, lr in ((opt1, lr1), (opt2, lr2)):
            h = run(f"{opt}-low", 1500, optimizer=opt, lr=lr / 100)
            add(h, "low", tuned[opt], f"{tag} {opt} LR 1/100 of the tuned one", tuned_loss=tuned_loss[opt])
        h = run("long", 6000, optimizer=opt1, lr=lr1, schedule=long_schedule)
        add(h, "tuned", None, f"{tag} {opt1} {long_schedule}, 6000 steps", opt=opt1)
        # round 4: a real spike with a known cause: the LR x30 for 2 steps, 30-70% into the run
        g = int(np.random.default_rng(seed).integers(int(0.3 * GLITCH_RUN_STEPS), int(0.7 * GLITCH_RUN_STEPS)))
        h = run("glitch", GLITCH_RUN_STEPS, optimizer=opt2, lr=lr2, glitch=(g, GLITCH_STEPS, GLITCH_FACTOR))
        add(h, "tuned", None, f"{tag} {opt2} tuned LR, x{GLITCH_FACTOR:g} for {GLITCH_STEPS} steps at {g}", glitch_at=g, opt=opt2)
        for hf, kw, opt in runs:
            case = labelled_case(*hf[:2], higher_level=higher.get(opt) if opt else None, **kw)
            case.train, case.tuned_lr = hf[2], {opt1: lr1, opt2: lr2}[hf[2]["optimizer"]]
            cases.append(case)
    return cases


# -- scoring --------------------------------------------------------------------------------

#: Label kinds: the detectors' kinds, plus "unstable" for real runs (matched by any UNSTABLE kind).
LABEL_KINDS = KINDS + ("unstable",)


#: A plateau label is *detectable* when the standard error of the mean log minibatch loss over
#: the labelled stretch is at most this many times the rule's 1% change (``plateau_detectable``).
DETECT_FACTOR = 1.0


def plateau_detectable(h: History, a: int, b: int) -> tuple[bool, float]:
    """Whether an oracle that sees only the minibatch loss (as lrdiag does) could show the
    labelled stretch ``[a, b]`` flat in the 1% sense of its label: ``(detectable, se)``.

    On lrdiag's own scale ``y = log(loss + 1% of the starting loss)`` (``Series.y``; a change
    below 1% of the start is no change there, as in the "near zero" label), inside the stretch:

        u     = y - (straight-line fit of y over the stretch)
        sigma = 1.4826 * MAD(u)                           (robust per-point noise)
        n_eff = n / (1 + 2 * sum_k rho_k(u))              (signals.effective_sample_size: the
                                                            autocorrelation allowance)
        se    = sigma / sqrt(n_eff)                       (standard error of the stretch's mean)

    (The scale of first differences, ``MAD(diff(y)) / sqrt(2)``, would be blind to a slow drift,
    but it shrinks with positive autocorrelation by ``sqrt(1 - rho_1)``, exactly where ``n_eff``
    shrinks too: combined with ``n_eff`` it would undercount an AR(0.9) noise's error 3x.)

    and the label is detectable when ``se <= DETECT_FACTOR * 0.01``: only then is the mean level
    known to within the 1% that "no progress" is defined by, the least any test needs to show a
    change under 1%. A batch-32 cross-entropy (sigma ~0.3 in log units) needs ~900 effective
    points; a stall of 60-180 steps at such a noise floor is not detectable by anyone.
    """
    from lrdiag.analysis.detectors import Series

    ser = Series.from_history(h)
    m = (ser.fsteps >= a) & (ser.fsteps <= b)
    y = ser.y[m]
    if y.size < 3:
        return False, float("inf")
    x = np.arange(y.size, dtype=np.float64)
    resid = y - np.polyval(np.polyfit(x, y, 1), x)
    sigma = signals.MAD_TO_SIGMA * float(np.median(np.abs(resid - np.median(resid))))
    se = sigma / math.sqrt(signals.effective_sample_size(resid))
    return se <= DETECT_FACTOR * FLAT_PROGRESS, float(se)


#: Which way the recommendation of a real run should move its LR (round 34), by the row
#: ``_advice_side`` puts it in: up for a run labelled lr_too_low, down (a lower peak, or a decay
#: during the run) for one labelled unstable, nowhere for a clean one, and (round 35) nowhere for a
#: glitch run labelled unstable (``lr_blip``: the LR it held trained it, the glitch broke it).
#: Plateau- and spike-labelled runs are not scored: decaying and keeping are both fair there.
ADVICE_WANTED = {"lr_too_low": ("raise",), "unstable": ("lower", "decay"), "lr_blip": ("keep",), "clean": ("keep",)}


def advice_direction(rec: dict | None, history: History, held_lr: float | None = None) -> str:
    """Which way a recommendation (``Recommendation.to_dict()``) moves a run's LR: ``keep``;
    ``decay`` (ReduceLROnPlateau, or a step decay from a step of the run); ``raise`` or ``lower``
    (a new peak over 1.5x above or below the highest LR the run logged, or ``held_lr`` where given:
    a glitch run's LR outside its glitch); ``same`` (a new schedule at about that peak, e.g. a
    warm-up added); ``none`` (no recommendation or no LR logged)."""
    if not rec:
        return "none"
    kind = rec.get("kind")
    if kind == "keep":
        return "keep"
    if kind in ("reduce_on_plateau", "step_decay"):
        return "decay"
    peak = (rec.get("params") or {}).get("peak_lr")
    lr = history.lr()
    if not peak or lr is None or not np.isfinite(lr).any():
        return "none"
    top = float(held_lr) if held_lr else float(np.nanmax(lr))
    return "raise" if peak > 1.5 * top else "lower" if peak < top / 1.5 else "same"


def _advice_side(case: Case) -> str | None:
    """The ``ADVICE_WANTED`` row a real run is scored in, or None (plateau- and spike-only labels)."""
    kinds = {k for k, _, _ in case.labels}
    if "lr_too_low" in kinds:
        return "lr_too_low"
    if "unstable" in kinds:
        return "lr_blip" if case.glitch_at is not None else "unstable"
    return "clean" if case.clean else None


def _held_lr(case: Case) -> float | None:
    """A glitch run's LR just before its glitch (what the schedule held), from its per-step log."""
    if case.glitch_at is None:
        return None
    lr = case.history.lr()
    i = int(np.searchsorted(case.history.steps, case.glitch_at)) - 1
    return float(lr[i]) if lr is not None and 0 <= i < lr.size and np.isfinite(lr[i]) else None


def _score_advice(case: Case, report, tally: "Tally", history: History) -> None:
    """Count whether a real run's recommendation moves the LR the way its label says."""
    if case.full_loss is None:
        return  # synthetic curves: their LR series is a stand-in
    side = _advice_side(case)
    if side is None:
        return
    try:
        rec = recommend(report, total_steps=max(1, len(history))).to_dict()
    except Exception:  # no LR in the finding: no advice to score
        rec = None
    tally.advice[side][1] += 1
    tally.advice[side][0] += advice_direction(rec, history, _held_lr(case)) in ADVICE_WANTED[side]


#: ``--follow`` (round 36): the advice rows whose advice is trained, and how close to the tuned LR's
#: loss a run must end to count as "as good". Clean runs (round 43) are trained where their advice
#: changes the run, and compared with the run as it was (``follow_clean``).
FOLLOW_ROWS = ("lr_too_low", "unstable")
FOLLOW_AS_GOOD = 1.25
#: Whole-set losses under this are all zero to ``--follow`` (a regression fitted to float32's floor).
FOLLOW_ZERO = 1e-8


def _train_final(**kw) -> float:
    """``train_history(**kw)``'s whole-set loss at the end (the median of its last 50 steps; inf if
    any of them is not finite)."""
    full = np.full(kw["steps"], np.nan)
    train_history(full_loss=full, **kw)
    return _level(full, kw["steps"] - 50, kw["steps"])


def _task_args(case: Case) -> dict:
    """A real run's training arguments less its LR, schedule, glitch and name: the task, model,
    seed, optimizer and length that advice is trained on and the tuned LR is compared at."""
    return {k: v for k, v in case.train.items() if k not in ("lr", "schedule", "glitch", "run")}


def _advice(case: Case):
    """A real run's per-step advice for its length (None where it has no LR to advise on)."""
    try:
        return recommend(analyze(case.history, recommend=False, **OPTIONS), total_steps=int(case.train["steps"]))
    except Exception:  # no LR in the finding: no advice to follow
        return None


def _train_advice(case: Case, rec, as_run: float) -> float:
    """The whole-set loss at the end of ``case``'s training redone as ``rec`` advises: its schedule
    (``Recommendation.lr_at``; for ``reduce_on_plateau`` the real scheduler stepped with each
    minibatch's loss, as its rationale says: ``lr_at`` is a preview that assumes the loss stays flat
    from the plateau on) and the gradient clipping it asks for; a ``keep`` is ``as_run``, retrained
    only when the advice adds clipping."""
    base = _task_args(case)
    clip = rec.params.get("clip_grad_norm")
    if rec.kind == "keep":
        return as_run if clip is None else _train_final(**base, lr=case.train["lr"], schedule=case.train.get("schedule"),
                                                        glitch=case.train.get("glitch"), clip_grad_norm=clip)
    schedule = rec if rec.kind == "reduce_on_plateau" else rec.lr_at
    return _train_final(**base, lr=rec.params["peak_lr"], schedule=schedule, clip_grad_norm=clip)


def follow_advice(case: Case, references: dict) -> tuple[float, float, float] | None:
    """What following a real run's per-step advice gives: ``(as run, followed, reference)``, each
    the whole-set loss at the end of the same number of steps. *Followed* trains the same task,
    model, seed and optimizer as the advice says (``_train_advice``). The *reference* is the tuned
    LR held for the same steps, trained once per task, optimizer and length (kept in
    ``references``). None for a run without its training arguments."""
    if case.train is None or case.full_loss is None or case.tuned_lr is None:
        return None
    steps = int(case.train["steps"])
    as_run = _level(case.full_loss, steps - 50, steps)
    base = _task_args(case)
    key = tuple(sorted(base.items()))
    if key not in references:
        references[key] = _train_final(**base, lr=case.tuned_lr)
    rec = _advice(case)
    return as_run, as_run if rec is None else _train_advice(case, rec, as_run), references[key]


def follow_clean(case: Case) -> tuple[float, float] | None:
    """A clean run's advice trained where it changes the run (anything but a plain ``keep``):
    ``(as run, followed)``, whole-set losses at the end of the same steps; None where the advice
    leaves the run as it was (or the run has no training arguments). A clean run's advice should
    cost nothing: it is scored against the run as it was, not against the tuned LR."""
    if case.train is None or case.full_loss is None:
        return None
    rec = _advice(case)
    if rec is None or (rec.kind == "keep" and rec.params.get("clip_grad_norm") is None):
        return None
    steps = int(case.train["steps"])
    as_run = _level(case.full_loss, steps - 50, steps)
    return as_run, _train_advice(case, rec, as_run)


def _ratio(a: float, b: float) -> float:
    return max(a, FOLLOW_ZERO) / max(b, FOLLOW_ZERO)


def follow_line(results: dict[str, list[tuple[float, ...]]], clean_runs: int = 0) -> str:
    """The ``--follow`` summary: per row, how many runs end as good as the tuned LR (within
    ``FOLLOW_AS_GOOD``) as run and with the advice followed, and the median ratios; for the
    ``clean_runs`` clean runs, how many had advice that changed the run (``results["clean"]``) and
    how many of those, followed, ended within ``FOLLOW_AS_GOOD`` of the run as it was."""
    parts = []
    for side in FOLLOW_ROWS:
        rows = results.get(side) or []
        if not rows:
            continue
        ratio = np.array([[_ratio(a, r), _ratio(f, r)] for a, f, r in rows])
        good = (ratio <= FOLLOW_AS_GOOD).sum(axis=0)
        med = np.median(ratio, axis=0)
        parts.append(f"{side}: as good as the tuned LR (within {FOLLOW_AS_GOOD:g}x) {good[0]}/{len(rows)} as run -> "
                     f"{good[1]}/{len(rows)} followed, median {med[0]:.3g}x -> {med[1]:.3g}x")
    if clean_runs:
        rows = results.get("clean") or []
        ratio = np.array([_ratio(f, a) for a, f in rows])
        worse = f", {int((ratio <= FOLLOW_AS_GOOD).sum())}/{len(rows)} of those within {FOLLOW_AS_GOOD:g}x of the run as it " \
                f"was when followed (median {np.median(ratio):.3g}x, worst {ratio.max():.3g}x)" if rows else ""
        parts.append(f"clean: advice changes the run {len(rows)}/{clean_runs}{worse}")
    return ("advice followed (the per-step advice trained for the same steps; the whole-set loss at the end against "
            "the tuned LR's held for as long): " + ("; ".join(parts) or "no run in these rows"))


@dataclass
class Tally:
    det_labels: int = 0  # plateau labels that are detectable (plateau_detectable)
    det_found: int = 0
    tp: dict[str, int] = field(default_factory=lambda: {k: 0 for k in LABEL_KINDS})
    fp: dict[str, int] = field(default_factory=lambda: {k: 0 for k in LABEL_KINDS})
    found: dict[str, int] = field(default_factory=lambda: {k: 0 for k in LABEL_KINDS})
    labels: dict[str, int] = field(default_factory=lambda: {k: 0 for k in LABEL_KINDS})
    delays: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in LABEL_KINDS})
    clean_steps: int = 0
    clean_alarms: int = 0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # real runs: [agreeing, all] recommendations per side of ``ADVICE_WANTED`` (round 34)
    advice: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in ADVICE_WANTED})


UNSTABLE = ("divergence", "oscillation", "lr_too_high")


def says_lr_too_high(f) -> bool:
    """A finding that tells the user the LR is too high (lower or decay it): one of ``UNSTABLE``,
    or a plateau in state ``stalled_high_lr`` ("stalled with the LR still at X: decay the LR")."""
    return f.kind in UNSTABLE or (f.kind == "plateau" and f.evidence.get("state") == "stalled_high_lr")


def _also_correct(case: Case, f) -> bool:
    """A finding that is also a correct description of the run (unscored): a kind in
    ``case.also_ok``, unless it tells the user to lower the LR of a run labelled ``lr_too_low``
    (round 13: a plateau "stalled at a high LR: decay it" on a too-low run was left unscored as
    a plateau, and 76 of them on the Hugging Face views went uncounted); and a plateau in state
    ``nothing_learnt`` (no update ratios to tell which side the LR is on) on a run labelled
    ``unstable`` or ``lr_too_low``, which learnt little or nothing."""
    kinds = {k for k, _, _ in case.labels}
    if f.kind == "plateau" and f.evidence.get("state") == "nothing_learnt" and kinds & {"unstable", "lr_too_low"}:
        return True
    return f.kind in case.also_ok and not ("lr_too_low" in kinds and says_lr_too_high(f))


#: Detector options passed to analyze() (empty: the library defaults). For tuning experiments.
OPTIONS: dict = {}


def _near(full: np.ndarray, a: int, b: int) -> np.ndarray:
    """The finite whole-set losses within ``CONFIRM_SPAN`` steps of a finding's ``[a, b]``
    (``full[t]`` is measured after update ``t``, which the minibatch loss of step ``t + 1`` is the
    first to see)."""
    near = full[max(0, a - 1 - CONFIRM_SPAN) : b + CONFIRM_SPAN]
    return near[np.isfinite(near)]


def _model_jumped(full: np.ndarray | None, a: int, b: int, r0: float | None = None) -> bool:
    """Whether the whole-training-set loss rose ``CONFIRM_JUMP`` (1.5) x over its median of the
    previous ``SPIKE_WINDOW`` steps within ``CONFIRM_SPAN`` (5) steps of ``[a, b]``: a spike
    finding there is a real jump of the model, unlabelled (only glitch runs carry spike labels).

    In a run's first steps (fewer than 10 earlier values; round 12, for lrdiag's early blow-ups)
    the reference is ``r0``, the constant predictor's loss, which an untrained model scores about:
    the whole-set loss rising 1.5x above it is the model blowing up, not the start of training."""
    if full is None:
        return False
    ref = full[max(0, a - 1 - SPIKE_WINDOW) : max(0, a - 1)]
    ref = ref[np.isfinite(ref)]
    near = _near(full, a, b)
    level = float(np.median(ref)) if ref.size >= 10 else r0
    return bool(level is not None and near.size and near.max() >= CONFIRM_JUMP * level)


def _model_blew_up(full: np.ndarray | None, a: int, b: int, r0: float | None) -> bool:
    """Whether the whole-training-set loss reached ``BLOWN_UP`` (3) x ``r0`` within
    ``CONFIRM_SPAN`` steps of ``[a, b]``: an "LR too high" finding there describes what the LR
    did to the model, although the run's labels (which read only how it ended) carry none. A
    100x-LR run that blew up early and then trained back to within 1.25x of the tuned loss is
    labelled plateau or clean; "the LR is too high" is true of it all the same."""
    if full is None or r0 is None:
        return False
    near = _near(full, a, b)
    return bool(near.size and near.max() >= BLOWN_UP * r0)


def _model_alternated(full: np.ndarray | None, a: int, b: int) -> bool:
    """Whether the whole-training-set loss alternates up and down inside ``[a, b]``: the median
    lag-1 autocorrelation of its detrended log over 128-step windows is below ``ALTERNATES``
    (the model itself bounced, not only the minibatch loss; labels read only how a run ended, so
    a 100x-LR run that bounced at a fine level carries no label for it)."""
    if full is None:
        return False
    seg = full[a : b + 1]
    if seg.size < 128 or not (np.isfinite(seg).all() and (seg > 0).all()):
        return False
    rho1 = signals.window_oscillation_tests(np.log(seg)).rho1
    return bool(rho1.size and np.median(rho1) < ALTERNATES)


def _confirmed(case: Case, f, interval: int = 1) -> bool:
    """An unlabelled finding the whole-set loss confirms (left unscored, on clean runs too): a
    spike where the model jumped (``_model_jumped``), an ``UNSTABLE`` kind where it blew up
    (``_model_blew_up``), an oscillation at an LR above the tuned one where it alternated
    (``_model_alternated``; momentum SGD at its tuned LR can alternate near convergence too, and
    "the LR is too high" would not be true of it).

    In a sparse view (``interval`` steps per logged point; round 32) a finding starts at the step
    that labels a logged mean, the *last* of its interval, and the event it saw can lie up to
    ``interval - 1`` steps earlier: the whole-set loss is read from the interval's first step.
    (Read from the labelled step, a jump in the first steps of a 50-step interval was in the
    "recent level" it was compared with: a 16,000x jump of the whole-set loss scored as a false
    spike.)"""
    a = max(0, f.start_step - (interval - 1))
    if f.kind == "spike":
        return _model_jumped(case.full_loss, a, f.end_step, case.r0)
    if f.kind == "oscillation" and case.lr_high and _model_alternated(case.full_loss, a, f.end_step):
        return True
    return f.kind in UNSTABLE and _model_blew_up(case.full_loss, a, f.end_step, case.r0)


def score(case: Case, tally: Tally, history: History | None = None) -> None:
    """Add one case's findings to the tally (see the module docstring for the rules);
    ``history`` replaces the case's own (the sparse view of the same run, same labels)."""
    t0 = time.perf_counter()
    report = analyze(case.history if history is None else history, recommend=False, **OPTIONS)
    tally.seconds += time.perf_counter() - t0
    # steps per logged point of the analysed log (1 per step; 10 or 50 for the sparse views)
    interval = 1 if history is None or len(history) < 2 else max(1, int(np.median(np.diff(history.steps))))
    n = len(case.history)
    tol = max(50, int(0.05 * n))
    _score_advice(case, report, tally, case.history if history is None else history)
    if case.clean:
        tally.clean_steps += n
        for f in report.findings:
            if _confirmed(case, f, interval):
                continue  # a real, unlabelled event of the model (see the module docstring)
            tally.clean_alarms += 1
            tally.false.append(f"{case.name}: {f.kind} {f.start_step}-{f.end_step} {f.message[:90]}")
            if f.kind in tally.fp:
                tally.fp[f.kind] += 1
        return
    matched_labels = set()
    for f in report.findings:
        hits = [i for i, (k, a, b) in enumerate(case.labels)
                if (f.kind == k or (k == "unstable" and says_lr_too_high(f))) and f.start_step <= b + tol and f.end_step >= a - tol]
        if f.kind not in KINDS:
            continue
        if hits:
            tally.tp[f.kind] += 1
            for hit in hits:  # one finding spanning two labelled stretches found both
                if hit not in matched_labels:
                    matched_labels.add(hit)
                    tally.delays[case.labels[hit][0]].append(max(0, f.start_step - case.labels[hit][1]))
        elif _also_correct(case, f) or _confirmed(case, f, interval):
            continue
        else:
            tally.fp[f.kind] += 1
            tally.false.append(f"{case.name}: {f.kind} {f.start_step}-{f.end_step} {f.message[:90]}")
    for i, (k, a, b) in enumerate(case.labels):
        tally.labels[k] += 1
        det, se = plateau_detectable(case.history, a, b) if k == "plateau" else (True, 0.0)
        if k == "plateau" and det:
            tally.det_labels += 1
            tally.det_found += i in matched_labels
        if i in matched_labels:
            tally.found[k] += 1
        else:
            got = ", ".join(f"{f.kind}@{f.start_step}" for f in report.findings) or "nothing"
            why = f" [{'detectable' if det else 'not detectable'}: se {se:.3f}]" if k == "plateau" else ""
            tally.misses.append(f"{case.name}: missed {k} {a}-{b}{why}; found {got}")


#: The sparse view's logging interval (Hugging Face Trainer's ``logging_steps``).
HF_LOGGING_STEPS = 10
#: A sparser Hugging Face log (round 24): ``logging_steps=50``, the other end of the usual range.
HF_SPARSE_LOGGING_STEPS = 50


def hf_view(h: History, every: int = HF_LOGGING_STEPS) -> History:
    """A real run as a Hugging Face ``trainer_state.json`` would log it (round 4): every
    ``every`` steps, the *mean* training loss over those steps (non-finite if any was), the LR
    and the gradient norm of that step, and no update ratios (the Trainer logs none)."""
    n = (len(h) // every) * every
    idx = np.arange(every - 1, n, every)
    loss = np.asarray(h.loss[:n], dtype=np.float64).reshape(-1, every)
    with np.errstate(invalid="ignore", over="ignore"):
        mean = np.where(np.isfinite(loss).all(axis=1), loss.mean(axis=1), np.inf)
    series = {names.LOSS: mean}
    for name in (names.lr("group0"), names.GRAD_NORM):
        if name in h.series:
            series[name] = np.asarray(h.series[name])[idx]
    meta = {k: v for k, v in h.meta.items() if k != "layers"}
    meta["run"] = f"{h.meta.get('run', 'run')} (logged every {every} steps)"
    return History(h.steps[idx], series, meta)


def print_table(title: str, tally: Tally) -> None:
    print(f"\n{title}")
    print(f"{'kind':<12} {'labels':>6} {'found':>6} {'recall':>7} {'findings':>8} {'precision':>9} {'median delay':>13}")
    for k in LABEL_KINDS:
        if k == "unstable" and not tally.labels[k]:
            continue
        nf = tally.tp[k] + tally.fp[k]
        rec = tally.found[k] / tally.labels[k] if tally.labels[k] else float("nan")
        prec = tally.tp[k] / nf if nf else float("nan")
        delay = f"{np.median(tally.delays[k]):.0f} steps" if tally.delays[k] else "-"
        print(f"{k:<12} {tally.labels[k]:>6} {tally.found[k]:>6} {rec:>7.3f} {nf:>8} {prec:>9.3f} {delay:>13}")
        if k == "plateau":
            drec = tally.det_found / tally.det_labels if tally.det_labels else float("nan")
            print(f"{'  detectable':<12} {tally.det_labels:>6} {tally.det_found:>6} {drec:>7.3f}"
                  f"   (plateau labels an oracle could show flat from the minibatch loss: se <= {DETECT_FACTOR:g} x 1%)")
    rate = 1e4 * tally.clean_alarms / tally.clean_steps if tally.clean_steps else float("nan")
    print(f"false alarms on clean runs: {tally.clean_alarms} in {tally.clean_steps} steps = {rate:.3f} per 10,000 clean steps")
    adv = tally.advice
    if any(total for _, total in adv.values()):
        print(f"advice (which way the recommendation moves the LR): runs labelled lr_too_low told to raise it "
              f"{adv['lr_too_low'][0]}/{adv['lr_too_low'][1]}, unstable told to lower or decay it "
              f"{adv['unstable'][0]}/{adv['unstable'][1]}, unstable after an LR glitch told to keep the held LR "
              f"{adv['lr_blip'][0]}/{adv['lr_blip'][1]}, clean told to keep it {adv['clean'][0]}/{adv['clean'][1]}")
    print(f"analysis time: {tally.seconds:.2f} s in all")


real_cases_cache: dict[str, list[Case]] = {}

#: First synthetic seed of each split.
SEED0 = {"tuning": 0, "heldout": 10_000, "fresh": 20_000, "fresh2": 30_000, "fresh3": 40_000, "fresh4": 50_000,
         "fresh5": 60_000, "fresh6": 70_000, "fresh7": 80_000, "fresh8": 90_000, "fresh9": 100_000,
         "fresh10": 110_000, "fresh11": 120_000, "fresh12": 130_000, "fresh13": 140_000, "fresh14": 150_000, "fresh15": 160_000,
         "fresh16": 170_000, "fresh17": 180_000, "fresh18": 190_000, "fresh19": 200_000, "fresh20": 210_000, "fresh21": 220_000,
         "fresh22": 230_000, "fresh23": 240_000, "fresh24": 250_000, "fresh25": 260_000,
         "fresh26": 270_000, "fresh27": 280_000, "fresh28": 290_000, "fresh29": 300_000, "fresh30": 310_000, "fresh31": 320_000,
         "fresh32": 330_000, "fresh33": 340_000, "fresh34": 350_000, "fresh35": 360_000, "fresh36": 370_000, "fresh37": 380_000,
         "fresh38": 390_000, "fresh39": 400_000, "fresh40": 410_000, "fresh41": 420_000,
         "fresh42": 430_000, "fresh43": 440_000, "fresh44": 450_000, "fresh45": 460_000,
         "fresh46": 470_000, "fresh47": 480_000, "fresh48": 490_000,
         "fresh49": 500_000, "fresh50": 510_000, "fresh51": 520_000,
         "fresh52": 530_000, "fresh53": 540_000, "fresh54": 550_000}
#: How each split was used (printed with its tables).
SPLIT_NOTE = {"tuning": "tuning split (thresholds set looking at it)",
              "heldout": "old held-out split (looked at while fixing its misses: now tuning data too)",
              "fresh": "first fresh split (run blind once in round 1; its misses were studied: now tuning data too)",
              "fresh2": "split fresh2 (run blind once in round 2; its misses were studied in round 3: now tuning data too)",
              "fresh3": "split fresh3 (run blind once in round 3; its misses were studied in round 4: now tuning data too)",
              "fresh4": "split fresh4 (run blind once in round 4; its misses were studied in round 5: now tuning data too)",
              "fresh5": "split fresh5 (run blind once in round 5; its misses were studied in round 6: now tuning data too)",
              "fresh6": "split fresh6 (run blind once in round 6; its misses were studied in round 7: now tuning data too)",
              "fresh7": "split fresh7 (run blind once in round 7; its misses were studied in round 8: now tuning data too)",
              "fresh8": "split fresh8 (run blind once in round 8; its misses were studied in round 9: now tuning data too)",
              "fresh9": "split fresh9 (run blind once in round 9; its misses were studied in round 10: now tuning data too)",
              "fresh10": "split fresh10 (run blind once in round 10; its misses were studied in round 11: now tuning data too)",
              "fresh11": "split fresh11 (run blind once in round 11; its misses were studied in round 12: now tuning data too)",
              "fresh12": "split fresh12 (run blind once in round 12; its misses were studied in round 13: now tuning data too)",
              "fresh13": "split fresh13 (run blind once in round 13; its misses were studied in round 14: now tuning data too)",
              "fresh14": "split fresh14 (run blind once in round 14; tuning data in round 15)",
              "fresh15": "split fresh15 (run blind once in round 15, after all round-15 changes)",
              "fresh16": "split fresh16 (run blind once in round 16, after all round-16 changes)",
              "fresh17": "split fresh17 (run blind once in round 16, on the round-16 code: a second blind sample of it)",
              "fresh18": "split fresh18 (run blind once in round 17, after its plateau change)",
              "fresh19": "split fresh19 (run blind once in round 17, on the round-17 code: a second blind sample of it)",
              "fresh20": "split fresh20 (run blind once in round 18, after all round-18 changes)",
              "fresh21": "split fresh21 (run blind once in round 19, on its detectors before the last, stricter gradient-collapse rule)",
              "fresh22": "split fresh22 (run blind once in round 20, after all round-20 detector changes)",
              "fresh23": "split fresh23 (run blind once in round 21, on round 20's detectors: round 21 changed none)",
              "fresh24": "split fresh24 (run blind once in round 22, after its only detector change)",
              "fresh25": "split fresh25 (run blind once in round 23, on round 22's detectors: round 23 changed none)",
              "fresh26": "split fresh26 (run blind once in round 24, after all round-24 changes)",
              "fresh27": "split fresh27 (run blind once in round 24, on the round-24 code: a second blind sample of it)",
              "fresh28": "split fresh28 (run blind once in round 25, after its only change: the lr_too_low label's speed rule)",
              "fresh29": "split fresh29 (run blind once in round 26, after all round-26 changes)",
              "fresh30": "split fresh30 (run blind once in round 27, after its only change: the converged test's running median)",
              "fresh31": "split fresh31 (run blind once in round 28, after its only change: the stall after instability and LR blips)",
              "fresh32": "split fresh32 (run blind once in round 30, after its only change: a divergence's rise timed in steps)",
              "fresh33": "split fresh33 (run blind once in round 31, after its only change: a 2-point spike scale on sparse logs)",
              "fresh34": "split fresh34 (run blind once in round 33, after its only change: LR blips named in divergence and loss-rise findings)",
              "fresh35": "split fresh35 (run blind once in round 33, after its last change: no lr_too_low after a blow-up)",
              "fresh36": "split fresh36 (run blind once in round 34, after round 33's last change: round 34 changed nothing before it)",
              "fresh37": "split fresh37 (run blind once at the start of round 35, before any round-35 change)",
              "fresh38": "split fresh38 (run blind once at the start of round 36, before any round-36 change)",
              "fresh39": "split fresh39 (run blind once in round 37, after its first change, the raise of a low LR, before its second, Adagrad's constant)",
              "fresh40": "split fresh40 (run blind once in round 38, after round 38's changes: RMSprop's raise aim, the held LR after an LR jump's spike)",
              "fresh41": "split fresh41 (run blind once in round 39, after round 39's changes: RMSprop's band, Adadelta's raise to 1)",
              "fresh42": "split fresh42 (run blind once in round 40, after round 40's changes: a high LR lowered by its measured ratio, names in any case)",
              "fresh43": "split fresh43 (run blind once in round 41, after round 41's changes: no 'too low' after ratios over the band, a high LR lowered by its first update ratio, the most severe finding deciding)",
              "fresh44": "split fresh44 (run blind once at the start of round 42, before any round-42 change)",
              "fresh45": "split fresh45 (run blind once in round 43, after round 43's first change: a stall the run left is escaped, --follow with a real ReduceLROnPlateau)",
              "fresh46": "split fresh46 (run blind once at the start of round 44, before any round-44 change)",
              "fresh47": "split fresh47 (run blind once at the start of round 45, before any round-45 change)",
              "fresh48": "split fresh48 (run blind once at the start of round 46, before any round-46 change)",
              "fresh49": "split fresh49 (run blind once at the start of round 47, before any round-47 change)",
              "fresh50": "split fresh50 (run blind once at the start of round 48, before any round-48 change)",
              "fresh51": "split fresh51 (run blind once at the start of round 49, before any round-49 change)",
              "fresh52": "split fresh52 (run blind once at the start of round 50, before any round-50 change)",
              "fresh53": "split fresh53 (run blind once at the start of round 51, before any round-51 change)",
              "fresh54": "BLIND split fresh54 (written in round 51, before any run on it: run it once, after all round-52 changes)"}


def run_split(split: str, n_per_kind: int, real: bool, verbose: bool, follow: bool = False) -> Tally:
    tally = Tally()
    seed0 = SEED0[split]
    for j, kind in enumerate(KINDS + ("clean",)):
        for i in range(n_per_kind * (3 if kind == "clean" else 1)):
            rng = np.random.default_rng([seed0 + i, j])
            score(make_case(rng, kind), tally)
    synth = Tally(**{k: v for k, v in vars(tally).items()})
    print_table(f"== {SPLIT_NOTE[split]}: synthetic ({n_per_kind} per kind, {3 * n_per_kind} clean)", synth)
    if real:
        rt, sparse, sparser = Tally(), Tally(), Tally()
        real_cases_cache[split] = real_cases(split)
        for case in real_cases_cache[split]:
            score(case, rt)
            score(case, tally)
            score(case, sparse, hf_view(case.history))
            score(case, sparser, hf_view(case.history, HF_SPARSE_LOGGING_STEPS))
        print_table(f"== {SPLIT_NOTE[split]}: real small trainings, {len(REAL_SPLITS[split])} tasks "
                    f"(unstable = LR too high: found by {', '.join(UNSTABLE)} or a stalled_high_lr plateau; "
                    "those findings count in their own rows' precision)", rt)
        print_table(f"== {split}: the same real runs as a Hugging Face log: the mean loss of every {HF_LOGGING_STEPS} "
                    "steps, the LR and grad norm, no update ratios", sparse)
        print_table(f"== {split}: the same as a Hugging Face log of every {HF_SPARSE_LOGGING_STEPS} steps "
                    "(an 800-step run is 16 points)", sparser)
        if follow:
            followed: dict[str, list] = {}
            references: dict = {}
            clean_runs = 0
            for case in real_cases_cache[split]:
                side = _advice_side(case)
                clean_runs += side == "clean" and case.train is not None
                out = (follow_advice(case, references) if side in FOLLOW_ROWS else
                       follow_clean(case) if side == "clean" else None)
                if out is not None:
                    followed.setdefault(side, []).append(out)
                    if verbose:
                        print(f"    [followed] {case.name}: as run {out[0]:.4g}, followed {out[1]:.4g}"
                              + (f", tuned LR {out[2]:.4g}" if len(out) > 2 else ""))
            print(follow_line(followed, clean_runs))
        if verbose:
            for case in real_cases_cache[split]:
                print("   ", case.name)
        if verbose:
            for line in rt.misses + rt.false:
                print("   ", line)
            for line in sparse.misses + sparse.false:
                print("    [HF view]", line)
            for line in sparser.misses + sparser.false:
                print(f"    [HF view, every {HF_SPARSE_LOGGING_STEPS}]", line)
    if verbose:
        for line in tally.misses[:30] + tally.false[:30]:
            print("   ", line)
    return tally


# -- scale ----------------------------------------------------------------------------------

def scale_history(n_steps: int, n_layers: int, seed: int = 0, ratio: float = 1e-3, learning: bool = True) -> History:
    """A healthy-looking per-step run with float32 columns (what the local store reads back);
    ``ratio`` sets every layer's typical update ratio, and ``learning=False`` keeps the loss at its
    start (0.3 and False: a run at too high an LR that learns nothing, where the band, plateau and
    stall detectors read every layer over the whole run)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps, dtype=np.int64)
    trend = 0.1 + 2.0 * (1 + t / 500.0) ** -0.5 if learning else np.full(n_steps, 2.1)
    loss = trend * np.exp(0.1 * rng.standard_normal(n_steps))
    series = {names.LOSS: loss.astype(np.float32), names.lr("group0"): np.full(n_steps, 0.1, np.float32),
              names.GRAD_NORM: np.exp(rng.standard_normal(n_steps)).astype(np.float32)}
    for i in range(n_layers):
        series[names.update_ratio(f"layers.{i}")] = (ratio * np.exp(0.3 * rng.standard_normal(n_steps))).astype(np.float32)
    return History(t, series, {"run": "scale", "optimizer": "SGD"})


def speed(n_steps: int = 1_000_000, n_layers: int = 100) -> None:
    print(f"\n== speed: {n_steps:,} steps x {n_layers} layers")
    sizes = [n_steps // 4, n_steps // 2, n_steps]
    for n in sizes:
        h = scale_history(n, n_layers)
        data = sum(v.nbytes for v in h.series.values())
        analyze(h.select(0, 20_000), recommend=False)  # warm caches (white-noise baselines, imports)
        t0 = time.perf_counter()
        rep = analyze(h, recommend=False)
        dt = time.perf_counter() - t0
        tracemalloc.start()
        analyze(h, recommend=False)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{n:>9,} steps: analyze {dt:.2f} s, peak extra memory {peak / 2**20:.0f} MiB "
              f"(history itself {data / 2**20:.0f} MiB, ratio {peak / data:.2f}), findings {[f.kind for f in rep.findings]}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10 cases per kind instead of 40")
    ap.add_argument("--speed", action="store_true", help="only the scale timing")
    ap.add_argument("--no-real", action="store_true", help="skip the real trainings")
    ap.add_argument("--no-speed", action="store_true", help="skip the scale timing")
    ap.add_argument("--split", choices=list(SEED0) + ["all"], default="all",
                    help="tuning; heldout, fresh, fresh2, fresh3, fresh4 to fresh15 (earlier held-out splits, now tuning data); fresh16 and fresh17 (run blind in round 16); fresh18 and fresh19 (run blind in round 17); fresh20 (run blind in round 18); fresh21 (run blind in round 19); fresh22 (run blind in round 20); fresh23 (run blind in round 21); fresh24 (run blind in round 22); fresh25 (run blind in round 23); fresh26 and fresh27 (run blind in round 24); fresh28 (run blind in round 25); fresh29 (run blind in round 26); fresh30 (run blind in round 27); fresh31 (run blind in round 28); fresh32 (run blind in round 30); fresh33 (run blind in round 31); fresh34 and fresh35 (run blind in round 33); fresh36 (run blind in round 34); fresh37 (run blind in round 35); fresh38 (run blind in round 36); fresh39 (run blind in round 37); fresh40 (run blind in round 38); fresh41 (run blind in round 39); fresh42 (run blind in round 40); fresh43 (run blind in round 41); fresh44 (run blind in round 42); fresh45 (run blind in round 43); fresh46 (run blind in round 44); fresh47 (run blind in round 45); fresh48 (run blind in round 46); fresh49 (run blind in round 47); fresh50 (run blind in round 48); fresh51 (run blind in round 49); fresh52 (run blind in round 50); fresh53 (run blind in round 51); fresh54 (the next blind split); all")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and false alarms")
    ap.add_argument("--follow", action="store_true", help="also train the per-step advice of the real runs labelled "
                    "lr_too_low or unstable, and print how they end against the tuned LR, and of the clean runs whose advice "
                    "changes the run, against the run as it was (about 1 minute per split)")
    ap.add_argument("--cache", metavar="DIR", help="keep the real trainings in DIR and reuse them on the next run "
                    "(labels and scores are recomputed; a change to the training code or data retrains)")
    args = ap.parse_args(argv)
    use_training_cache(args.cache)
    if not args.speed:
        n = 10 if args.quick else 40
        for split in (list(SEED0) if args.split == "all" else [args.split]):
            run_split(split, n, not args.no_real, args.verbose, args.follow)
    if not args.no_speed:
        speed()
        speed_one(1_000_000, 200)
        speed_one(1_000_000, 100, ratio=0.3, learning=False)


def speed_one(n_steps: int, n_layers: int, ratio: float = 1e-3, learning: bool = True) -> None:
    """One timing at the scale of the hardening issue (1M steps x 200 layers), or of a run whose
    every layer sits far above the band (``ratio``; round 40: 3.9 s before the band detectors'
    medians were taken over strided samples)."""
    h = scale_history(n_steps, n_layers, ratio=ratio, learning=learning)
    data = sum(v.nbytes for v in h.series.values())
    t0 = time.perf_counter()
    rep = analyze(h, recommend=False)
    what = "" if learning else (f", a loss that never leaves its start and every layer's update ratio about {ratio:g} "
                                f"(far above the band): findings {[f.kind for f in rep.findings]}")
    print(f"{n_steps:,} steps x {n_layers} layers: analyze {time.perf_counter() - t0:.2f} s (history {data / 2**20:.0f} MiB){what}")


if __name__ == "__main__":
    main()
