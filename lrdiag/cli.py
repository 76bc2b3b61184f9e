"""The ``lrdiag`` console command.

    lrdiag analyze SOURCE [--format text|json|md|html] [--out FILE] [--loss-tag T] [--lr-tag T]
                          [--write-back] [--tracking-uri URI]
    lrdiag analyze --mlflow-experiment NAME [--format ...] [--out FILE] [--tracking-uri URI]
    lrdiag load SOURCE [--loss-tag T] [--lr-tag T]
    lrdiag schedule "OneCycleLR(max_lr=0.1, total_steps=1000)" [...more] [--steps N] [--out plot.png]
    lrdiag sync RUN_DIR [--tracking-uri URI]

Exit status: 0 on success (findings or not), 2 when the input cannot be used (one line on
stderr saying why), 1 on an unexpected internal error.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Sequence

from .errors import LRDiagError


def _tag_overrides(args: argparse.Namespace) -> dict:
    tags = {}
    if getattr(args, "loss_tag", None):
        tags["loss"] = args.loss_tag
    if getattr(args, "lr_tag", None):
        tags["lr"] = args.lr_tag
    return tags


def _emit(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_analyze(args: argparse.Namespace) -> int:
    from .analysis.engine import analyze
    from .render import render_report
    from .sources import load

    if args.mlflow_experiment:
        from .mlflow.experiment import analyze_experiment

        _emit(analyze_experiment(args.mlflow_experiment, tracking_uri=args.tracking_uri, fmt=args.format), args.out)
        return 0
    if not args.source:
        raise LRDiagError("give a SOURCE to analyse (a run directory, event file, CSV/JSONL, trainer_state.json or mlflow:<run_id>), or --mlflow-experiment NAME")
    history = load(args.source, tracking_uri=args.tracking_uri, **_tag_overrides(args)) if args.source.startswith(("mlflow:", "runs:/")) else load(args.source, **_tag_overrides(args))
    report = analyze(history)
    _emit(render_report(report, args.format, history=history), args.out)
    if args.write_back:
        from .mlflow.run_page import write_back

        write_back(args.source, report, history, tracking_uri=args.tracking_uri)
        print(f"wrote the report to MLflow run {args.source}", file=sys.stderr)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from .sources import load

    kwargs = _tag_overrides(args)
    if args.source.startswith(("mlflow:", "runs:/")):
        kwargs["tracking_uri"] = args.tracking_uri
    print(load(args.source, **kwargs).describe())
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from .schedules import schedule_command

    _emit(schedule_command(args.specs, steps=args.steps, out=args.plot_out), None)
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from .mlflow.sync import sync

    n = sync(args.run_dir, tracking_uri=args.tracking_uri)
    print(f"sent {n} values from {args.run_dir} to MLflow")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lrdiag", description="Learning-rate diagnostics for PyTorch runs.")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyze", help="analyse a run and print its report")
    a.add_argument("source", nargs="?", help="run directory, event file, CSV/JSONL, trainer_state.json, mlflow:<run_id>")
    a.add_argument("--format", choices=["text", "json", "md", "html"], default="text")
    a.add_argument("--out", help="write the report to this file instead of stdout")
    a.add_argument("--loss-tag", help="name of the loss series in the source (auto-detected if omitted)")
    a.add_argument("--lr-tag", help="name of the learning-rate series in the source (auto-detected if omitted)")
    a.add_argument("--write-back", action="store_true", help="with mlflow:<run_id>: write the findings to that run")
    a.add_argument("--mlflow-experiment", metavar="NAME", help="analyse every run of this MLflow experiment")
    a.add_argument("--tracking-uri", help="MLflow tracking URI (default: MLflow's own default)")
    a.set_defaults(func=cmd_analyze)

    lo = sub.add_parser("load", help="read a source and describe what it holds")
    lo.add_argument("source")
    lo.add_argument("--loss-tag")
    lo.add_argument("--lr-tag")
    lo.add_argument("--tracking-uri")
    lo.set_defaults(func=cmd_load)

    s = sub.add_parser("schedule", help="preview the LR curve of torch.optim.lr_scheduler schedules")
    s.add_argument("specs", nargs="+", help='e.g. "OneCycleLR(max_lr=0.1, total_steps=1000)"')
    s.add_argument("--steps", type=int, default=None, help="steps to simulate (default: from the schedule)")
    s.add_argument("--out", dest="plot_out", help="write a PNG plot of the curves here")
    s.set_defaults(func=cmd_schedule)

    y = sub.add_parser("sync", help="send values kept in a run's local store to MLflow")
    y.add_argument("run_dir")
    y.add_argument("--tracking-uri")
    y.set_defaults(func=cmd_sync)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            if getattr(args, "format", None) == "json":
                warnings.simplefilter("ignore")  # stdout must hold only the JSON
            return int(args.func(args) or 0)
    except (LRDiagError, FileNotFoundError, PermissionError, IsADirectoryError) as e:
        print(f"lrdiag: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
