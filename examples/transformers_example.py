"""lrdiag with the Hugging Face ``Trainer``: per-step diagnostics of a tiny GPT-2, no download.

The model is a 2-layer GPT-2 built from a ``GPT2Config`` with random weights, and the data is a
generated toy language: each sequence counts up from a random start by a random stride (mod the
vocabulary), so the model must read the stride from the first tokens. ``HF_HUB_OFFLINE=1``:
nothing is fetched from the Hub.

``LRDiagCallback()`` is the only change to a standard ``Trainer`` script. The Trainer logs its
loss every ``logging_steps``; lrdiag records LR, loss and per-layer update ratios at *every*
optimizer step, into the TensorBoard run the Trainer writes (``report_to=["tensorboard"]``), and
writes the report to ``output_dir/lrdiag/report.json``.

    python examples/transformers_example.py             # writes ./runs/transformers_example
    tensorboard --logdir runs/transformers_example/runs

About a minute on a laptop CPU (LRDIAG_EXAMPLE_QUICK=1: fewer steps).
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # this example never downloads anything

import torch  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments  # noqa: E402

import lrdiag  # noqa: E402
from lrdiag.integrations.transformers import LRDiagCallback  # noqa: E402

VOCAB, SEQ = 64, 16


class StrideSequences(torch.utils.data.Dataset):
    """``s, s+k, s+2k, ... (mod VOCAB)`` with random start ``s`` and stride ``k`` in 1..5."""

    def __init__(self, n: int, seed: int):
        g = torch.Generator().manual_seed(seed)
        start = torch.randint(0, VOCAB, (n, 1), generator=g)
        stride = torch.randint(1, 6, (n, 1), generator=g)
        self.ids = (start + stride * torch.arange(SEQ)) % VOCAB

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def tiny_gpt2() -> GPT2LMHeadModel:
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=VOCAB, n_positions=SEQ, n_embd=64, n_layer=2, n_head=4,
                        bos_token_id=0, eos_token_id=0, pad_token_id=0)
    return GPT2LMHeadModel(config)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/transformers_example", help="the Trainer's output_dir")
    quick = bool(os.environ.get("LRDIAG_EXAMPLE_QUICK"))
    parser.add_argument("--steps", type=int, default=60 if quick else 150)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args(argv)

    training_args = TrainingArguments(
        output_dir=args.out, max_steps=args.steps, per_device_train_batch_size=32, learning_rate=args.lr,
        lr_scheduler_type="cosine", warmup_steps=args.steps // 10, logging_steps=10, eval_strategy="steps",
        eval_steps=args.steps // 3, per_device_eval_batch_size=64, report_to=["tensorboard"], save_strategy="no",
        use_cpu=True, disable_tqdm=True, seed=0)
    lrdiag_callback = LRDiagCallback()
    trainer = Trainer(model=tiny_gpt2(), args=training_args, train_dataset=StrideSequences(4096, seed=1),
                      eval_dataset=StrideSequences(256, seed=2), callbacks=[lrdiag_callback])
    trainer.train()
    metrics = trainer.evaluate()

    report = lrdiag_callback.report
    history = lrdiag.load(str(lrdiag_callback.run_dir))
    logged = [h for h in trainer.state.log_history if "loss" in h]
    print(f"\nThe Trainer logged its loss {len(logged)} times (every {training_args.logging_steps} steps); "
          f"lrdiag recorded {len(history)} steps, each with its LR, loss and {len(history.layers)} layers' update ratios.")
    print(f"Eval loss {metrics['eval_loss']:.4f}")
    print(f"lrdiag verdict: {report.verdict}\n{report.summary}")
    print(f"\nReport: {lrdiag_callback.report_path}\nTensorBoard run: {lrdiag_callback.run_dir} "
          f"(tensorboard --logdir {os.path.join(args.out, 'runs')})")
    return {"run_dir": str(lrdiag_callback.run_dir), "report_path": str(lrdiag_callback.report_path),
            "steps": trainer.state.global_step, "logged": len(logged), "recorded": len(history),
            "verdict": report.verdict, "eval_loss": metrics["eval_loss"]}


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
