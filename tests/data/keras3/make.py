"""Writes the event files beside it: two small Keras 3 trainings (Adam, an exponentially decaying LR,
200 training rows, 60 epochs: it overfits) logged by keras.callbacks.TensorBoard, with its default
update_freq="epoch" and with update_freq="batch". Needs tensorflow-cpu, keras and tensorboard; the
tests only read what it wrote (Keras 3.15.1, TensorFlow backend)."""
import os, shutil, numpy as np
os.environ["KERAS_BACKEND"] = "tensorflow"
import keras
here = os.path.dirname(os.path.abspath(__file__))
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
X = rng.standard_normal((600, 10)).astype("float32"); y = ((X[:, 0] * X[:, 1] > 0) ^ (rng.random(600) < 0.2)).astype("float32")
for name, uf in (("epoch", "epoch"), ("batch", "batch")):
    d = f"{here}/{name}"; shutil.rmtree(d, ignore_errors=True)
    m = keras.Sequential([keras.Input((10,)), keras.layers.Dense(256, activation="relu"), keras.layers.Dense(256, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])
    sched = keras.optimizers.schedules.ExponentialDecay(2e-3, decay_steps=200, decay_rate=0.9)
    m.compile(keras.optimizers.Adam(sched), "binary_crossentropy")
    h = m.fit(X[:200], y[:200], validation_data=(X[200:], y[200:]), epochs=60, batch_size=20, verbose=0,
          callbacks=[keras.callbacks.TensorBoard(d, update_freq=uf, write_graph=False)])
    v = h.history["val_loss"]; print(name, keras.__version__, "val min", min(v), "at", int(np.argmin(v)), "last", v[-1], "train last", h.history["loss"][-1])
