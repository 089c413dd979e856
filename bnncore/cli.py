"""The ``bnncore`` command line: ``bnncore train ...``, ``bnncore --version``."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .compare import DEFAULT_METHODS


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bnncore", description=__doc__)
    parser.add_argument("--version", action="version", version=f"bnncore {__version__}")
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="train one model and print a per-epoch table")
    train.add_argument("--dataset", default="digits", choices=["digits"])
    train.add_argument("--model", default="mlp", choices=["mlp", "cnn"])
    train.add_argument("--method", default="ste",
                       help="'float', 'gft', 'fsg', or a weight quantizer name "
                       "(see bnncore.quantizers.available())")
    train.add_argument("--epochs", type=int, default=20)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--optimizer", default="adam", choices=["adam", "sgd"])
    train.add_argument("--lr", type=float, default=None,
                       help="learning rate (default: 1e-3 for adam, 0.05 for sgd)")
    train.add_argument("--ags", type=float, default=None, metavar="DELTA",
                       help="OvSW adaptive gradient scaling with threshold DELTA (e.g. 0.04)")
    train.add_argument("--sad", type=float, default=None, metavar="GAMMA",
                       help="OvSW silence-aware decay with strength GAMMA (e.g. 0.01)")
    train.add_argument("--save", default=None, help="write the trained model to this .npz")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    cmp = sub.add_parser("compare", help="train every method on the same data; table + plots")
    cmp.add_argument("--dataset", default="digits", choices=["digits", "fashion-mnist"])
    cmp.add_argument("--model", default="mlp", choices=["mlp", "cnn"])
    cmp.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                     help="comma-separated method names (default: all)")
    cmp.add_argument("--epochs", type=int, default=10)
    cmp.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per method")
    cmp.add_argument("--subset", type=int, default=None,
                     help="fashion-mnist: number of training samples to keep")
    cmp.add_argument("--jobs", type=int, default=1, help="parallel worker processes")
    cmp.add_argument("--out", default="results", help="folder for compare.json/csv/png")
    cmp.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _compare(args) -> int:
    from . import compare

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    print(f"bnncore compare: {args.dataset}, {args.model}, {len(methods)} methods x "
          f"{args.seeds} seeds, {args.epochs} epochs, jobs={args.jobs}", flush=True)
    results = compare.compare(methods, dataset=args.dataset, model=args.model,
                              epochs=args.epochs, seeds=args.seeds, jobs=args.jobs,
                              subset=args.subset, progress=not args.no_progress)
    print(compare.format_table(compare.summarize(results)))
    title = f"{args.dataset}, {args.model}, {args.epochs} epochs, {args.seeds} seeds"
    for kind, path in compare.write_outputs(results, args.out, title).items():
        print(f"wrote {kind}: {path}")
    return 0


class _Table:
    """Callback printing one row per epoch."""

    def __init__(self, first: str = "train loss", extra: str | None = None) -> None:
        self.extra = extra
        head = f"{'epoch':>5}  {first:>10}  {'train acc':>9}  {'val acc':>7}  {'seconds':>7}"
        print(head + (f"  {extra:>7}" if extra else ""))

    def on_epoch_end(self, epoch, history):
        row = (f"{epoch + 1:>5}  {history.train_loss[-1]:>10.4f}  "
               f"{history.train_accuracy[-1]:>9.4f}  {history.val_accuracy[-1]:>7.4f}  "
               f"{history.seconds[-1]:>7.2f}")
        if self.extra:
            row += f"  {history.extra[self.extra][-1]:>7}"
        print(row, flush=True)


def _train_gft(args) -> int:
    import numpy as np

    from . import data
    from .gft import FullyBinaryMLP, GFTTrainer, binarize

    if args.model != "mlp":
        raise ValueError("--method gft trains a fully binary MLP: use --model mlp")
    Xtr, ytr, Xte, yte = data.load_digits(seed=args.seed)
    Xtr, Xte = binarize(Xtr, 0.5), binarize(Xte, 0.5)
    model = FullyBinaryMLP((64, 256, 10), rng=args.seed)
    trainer = GFTTrainer(model, k0=0.001, k_min=0, margin=16, rng=args.seed + 1000)
    print(f"bnncore train: {args.dataset}, fully binary mlp 64-256-10, method=gft "
          f"(gradient-free), epochs={args.epochs}, seed={args.seed}")
    trainer.fit((Xtr, ytr), val=(Xte, yte), epochs=args.epochs, batch_size=args.batch_size,
                seed=args.seed, callbacks=[_Table("flagged", extra="flips")],
                progress=not args.no_progress)
    print(f"test accuracy: {np.mean(model.predict(Xte) == yte):.4f}  ({len(yte)} samples)")
    if args.save:
        with open(args.save, "wb") as fh:
            np.savez(fh, **model.to_dict())
        print(f"saved model to {args.save} (read back with FullyBinaryMLP.from_dict)")
    return 0


def _train_fsg(args) -> int:
    from . import data
    from .fsg import FSGTrainer
    from .fsg.ablation import digits_task_model

    if args.model != "mlp":
        raise ValueError("--method fsg trains the spec's digits MLP: use --model mlp")
    Xtr, ytr, Xte, yte = data.load_digits(test_size=0.2, seed=0)
    trainer = FSGTrainer(digits_task_model(args.seed), lr=1e-2 if args.lr is None else args.lr,
                         task_optimizer=args.optimizer, seed=args.seed)
    print(f"bnncore train: {args.dataset}, binary mlp 64-32-10 (fsg.md Section 8), method=fsg "
          f"(fast + slow hypernets), {args.optimizer}, epochs={args.epochs}, seed={args.seed}")
    table = _Table()
    history = trainer.fit((Xtr, ytr), val=(Xte, yte), epochs=args.epochs,
                          batch_size=args.batch_size, progress=not args.no_progress)
    for epoch in history.epoch:          # FSGTrainer.fit takes no callbacks: print after
        sub = type(history)(**{k: getattr(history, k)[:epoch + 1] for k in
                               ("epoch", "train_loss", "train_accuracy", "val_loss",
                                "val_accuracy", "seconds")})
        table.on_epoch_end(epoch, sub)
    loss, accuracy = trainer.evaluate(Xte, yte)
    print(f"test accuracy: {accuracy:.4f}  (test loss {loss:.4f}, {len(yte)} samples)")
    return 0


def _train(args) -> int:
    from . import data, io, losses, models, optim
    from .train import evaluate, fit

    if args.method == "gft":
        return _train_gft(args)
    if args.method == "fsg":
        return _train_fsg(args)
    flatten = args.model == "mlp"
    Xtr, ytr, Xte, yte = data.load_digits(seed=args.seed, flatten=flatten)
    build = models.mlp if args.model == "mlp" else models.cnn
    model = build(args.method, rng=args.seed)
    transforms = []                  # OvSW: AGS first, then SAD (shared/spec/ovsw.md 2.2)
    if args.ags is not None:
        transforms.append(optim.AGS(delta=args.ags))
    if args.sad is not None:
        transforms.append(optim.SAD(gamma=args.sad))
    if transforms and args.method == "float":
        raise ValueError("--ags/--sad act on binarized weights: choose a binary --method")
    if args.optimizer == "adam":
        opt = optim.Adam(model.parameters(), lr=1e-3 if args.lr is None else args.lr,
                         transforms=transforms)
    else:
        opt = optim.SGD(model.parameters(), lr=0.05 if args.lr is None else args.lr,
                        momentum=0.9, transforms=transforms)
    loss = losses.SoftmaxCrossEntropy()
    ovsw = "".join(f", {name}={value}" for name, value in (("ags", args.ags), ("sad", args.sad))
                   if value is not None)
    print(f"bnncore train: {args.dataset}, {args.model}, method={args.method}{ovsw}, "
          f"{args.optimizer}, epochs={args.epochs}, seed={args.seed}")
    fit(model, loss, opt, (Xtr, ytr), val=(Xte, yte), epochs=args.epochs,
        batch_size=args.batch_size, seed=args.seed, callbacks=[_Table()],
        progress=not args.no_progress)
    scores = evaluate(model, (Xte, yte), loss)
    print(f"test accuracy: {scores['accuracy']:.4f}  (test loss {scores['loss']:.4f}, "
          f"{len(yte)} samples)")
    if args.save:
        io.save(model, args.save)
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
        return _compare(args) if args.command == "compare" else _train(args)
    except (ValueError, TypeError) as exc:
        print(f"bnncore: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
