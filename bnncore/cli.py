"""The ``bnncore`` command line: ``bnncore train``, ``compare``, ``claims``, ``--version``."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .compare import DEFAULT_METHODS
from .flips import FlipCounter


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bnncore", description=__doc__)
    parser.add_argument("--version", action="version", version=f"bnncore {__version__}")
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="train one model and print a per-epoch table")
    train.add_argument("--dataset", default="digits", choices=["digits"])
    train.add_argument("--model", default="mlp", choices=["mlp", "cnn"])
    train.add_argument("--method", default="ste",
                       help="'float', 'ags+sad', 'gft', 'fsg', or a weight quantizer name "
                       "(see bnncore.quantizers.available())")
    train.add_argument("--epochs", type=int, default=20)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--optimizer", default=None, choices=["adam", "sgd"],
                       help="gradient methods and fsg (default: adam; sgd for ags+sad)")
    train.add_argument("--lr", type=float, default=None,
                       help="learning rate (default: 1e-3 for adam, 0.05 for sgd, 1e-2 fsg)")
    train.add_argument("--ags", type=float, default=None, metavar="DELTA",
                       help="OvSW adaptive gradient scaling with threshold DELTA (e.g. 0.04)")
    train.add_argument("--sad", type=float, default=None, metavar="GAMMA",
                       help="OvSW silence-aware decay with strength GAMMA (e.g. 0.01)")
    train.add_argument("--save", default=None, help="write the trained model to this .npz")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    cmp = sub.add_parser("compare", help="train every method on the same data; table + plots")
    cmp.add_argument("--dataset", default="digits",
                     choices=["digits", "fashion-mnist", "teacher-student"])
    cmp.add_argument("--model", default="mlp", choices=["mlp", "cnn", "small-cnn"])
    cmp.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                     help="comma-separated method names (default: all)")
    cmp.add_argument("--epochs", type=int, default=10)
    cmp.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per method")
    cmp.add_argument("--subset", type=int, default=None,
                     help="fashion-mnist: number of training samples to keep")
    cmp.add_argument("--jobs", type=int, default=1, help="parallel worker processes")
    cmp.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="run on a Dask cluster, e.g. tcp://127.0.0.1:8786 "
                     "(pip install 'bnncore[cluster]')")
    cmp.add_argument("--out", default="results",
                     help="folder for compare.json/csv/png; finished runs are kept in "
                     "OUT/runs/, so the same command again resumes")
    cmp.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    clm = sub.add_parser("claims", help="run the papers' claims grid: paired seeds, 95%% CIs, "
                         "verdicts (claims.md/json/png)")
    clm.add_argument("--out", default="results", help="folder for claims.json/md/png; "
                     "finished runs are kept in OUT/runs/, so the same command resumes")
    clm.add_argument("--jobs", type=int, default=1, help="parallel worker processes")
    clm.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="run on a Dask cluster, e.g. tcp://127.0.0.1:8786")
    clm.add_argument("--smoke", action="store_true",
                     help="the reduced grid (3 seeds, 1 epoch, 1,000 Fashion-MNIST samples)")
    clm.add_argument("--seeds", type=int, default=None,
                     help="seeds per claim (default: each claim's own count)")
    clm.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _claims(args) -> int:
    from .experiments.claims import plan, run_claims

    p = plan(smoke=args.smoke, seeds=args.seeds)
    where = f"scheduler={args.scheduler}" if args.scheduler else f"jobs={args.jobs}"
    print(f"bnncore claims: {len(p.claims)} claims, {len(p.specs)} runs "
          f"({'smoke' if args.smoke else 'full'} grid), {where}, records in "
          f"{args.out}/runs/", flush=True)
    run_claims(args.out, smoke=args.smoke, seeds=args.seeds, jobs=args.jobs,
               scheduler=args.scheduler, progress=not args.no_progress)
    with open(f"{args.out}/claims.md") as fh:
        print(fh.read())
    for kind in ("md", "json", "png"):
        print(f"wrote {kind}: {args.out}/claims.{kind}")
    return 0


def _compare(args) -> int:
    from . import compare

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    where = f"scheduler={args.scheduler}" if args.scheduler else f"jobs={args.jobs}"
    print(f"bnncore compare: {args.dataset}, {args.model}, {len(methods)} methods x "
          f"{args.seeds} seeds, {args.epochs} epochs, {where}, records in "
          f"{args.out}/runs/", flush=True)
    results = compare.compare(methods, dataset=args.dataset, model=args.model,
                              epochs=args.epochs, seeds=args.seeds, jobs=args.jobs,
                              subset=args.subset, progress=not args.no_progress,
                              out=args.out, scheduler=args.scheduler)
    print(compare.format_table(compare.summarize(results)))
    title = f"{args.dataset}, {args.model}, {args.epochs} epochs, {args.seeds} seeds"
    for kind, path in compare.write_outputs(results, args.out, title).items():
        print(f"wrote {kind}: {path}")
    return 0


class _Table:
    """Callback printing one row per epoch, the same columns for every method."""

    def __init__(self) -> None:
        self.flips = FlipCounter()
        print(f"{'epoch':>5}  {'train loss':>10}  {'train acc':>9}  {'val acc':>7}  "
              f"{'seconds':>7}  {'flips':>7}")

    def on_train_begin(self, model) -> None:
        self.flips.on_train_begin(model)

    def on_step_end(self, step: int) -> None:
        self.flips.on_step_end(step)

    def on_epoch_end(self, epoch, history):
        self.flips.on_epoch_end(epoch, history)
        print(f"{epoch + 1:>5}  {history.train_loss[-1]:>10.4f}  "
              f"{history.train_accuracy[-1]:>9.4f}  {history.val_accuracy[-1]:>7.4f}  "
              f"{history.seconds[-1]:>7.2f}  {self.flips.per_epoch[-1]:>7}", flush=True)


def _train(args) -> int:
    from . import io
    from .experiments import RunSpec, setup_for

    spec = RunSpec(args.method, dataset=args.dataset, model=args.model, epochs=args.epochs,
                   seed=args.seed, batch_size=args.batch_size, optimizer=args.optimizer,
                   lr=args.lr, ags=args.ags, sad=args.sad)
    trainer, train, test = setup_for(spec.method)(spec)
    options = "".join(f", {name}={value}" for name, value in
                      (("ags", args.ags), ("sad", args.sad)) if value is not None)
    optimizer = getattr(trainer, "optimizer", None)
    opt_name = f", {type(optimizer).__name__.lower()}" if optimizer is not None else ""
    print(f"bnncore train: {args.dataset}, {args.model}, method={args.method}{options}"
          f"{opt_name}, epochs={args.epochs}, seed={args.seed}  ({type(trainer).__name__})")
    trainer.fit(train, val=test, epochs=args.epochs, batch_size=args.batch_size,
                seed=args.seed, callbacks=[_Table()], progress=not args.no_progress)
    scores = trainer.evaluate(test)
    print(f"test accuracy: {scores['accuracy']:.4f}  (test loss {scores['loss']:.4f}, "
          f"{len(test[1])} samples)")
    if args.save:
        io.save(trainer.model, args.save)
        print(f"saved model to {args.save}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bnncore`` console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        commands = {"compare": _compare, "claims": _claims, "train": _train}
        return commands[args.command](args)
    except (ValueError, TypeError) as exc:
        print(f"bnncore: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        out = getattr(args, "out", None)
        kept = (f"; finished runs are kept in {out}/runs/: run the same command again to "
                f"resume" if out and args.command != "train" else "")
        print(f"bnncore: interrupted{kept}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
