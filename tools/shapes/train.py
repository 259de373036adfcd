"""Train shapes-vgg or shapes-alexnet on freshly generated images (never the same image twice).

    python tools/shapes/train.py --model shapes-vgg --steps 4000 --out tools/shapes/runs

Multi-label: per-class sigmoid + binary cross-entropy on the 5 logits. Training images are
split 0, indices 0, 1, 2, ... in order; validation is split 1 (first --val images). Writes
`<out>/<model>.pt` (state_dict + metrics) and prints validation mAP and per-class AP.
"""

import argparse
import os
import resource
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from sklearn.metrics import average_precision_score
from torch import nn

from generate import CLASSES, generate, present
from models import MODELS, preprocess

TRAIN_SEED, VAL_SEED = 0, 1


class Shapes(torch.utils.data.Dataset):
    """Image i of a split, preprocessed for a model; training mixes resize filters for robustness."""

    def __init__(self, seed, count, size, train):
        self.seed, self.count, self.size, self.train = seed, count, size, train

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        image, _, shapes = generate(self.seed, index)
        interpolation = cv2.INTER_LINEAR
        if self.train and index % 2:
            interpolation = cv2.INTER_AREA
        return preprocess(image, self.size, interpolation), torch.from_numpy(present(shapes))


def worker_init(_):
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def evaluate(model, loader):
    """(mAP, per-class AP) of the model's scores on a loader."""
    model.eval()
    scores, targets = [], []
    with torch.no_grad():
        for x, y in loader:
            scores.append(torch.sigmoid(model(x)))
            targets.append(y)
    model.train()
    scores, targets = torch.cat(scores).numpy(), torch.cat(targets).numpy()
    ap = [average_precision_score(targets[:, c], scores[:, c]) for c in range(len(CLASSES))]
    return float(np.mean(ap)), ap


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=MODELS, required=True)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--val", type=int, default=1000, help="validation images")
    parser.add_argument("--eval-every", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="weight initialisation and dropout")
    parser.add_argument("--out", default="tools/shapes/runs")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    model = MODELS[args.model]()
    size = model.input_size
    train = torch.utils.data.DataLoader(Shapes(TRAIN_SEED, args.steps * args.batch, size, True),
                                        batch_size=args.batch, num_workers=1, worker_init_fn=worker_init)
    val = torch.utils.data.DataLoader(Shapes(VAL_SEED, args.val, size, False), batch_size=100,
                                      num_workers=1, worker_init_fn=worker_init)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=args.steps, pct_start=0.1)
    loss_fn = nn.BCEWithLogitsLoss()
    print(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters, input {size}x{size}")

    start, running, loads = time.time(), 0.0, []
    model.train()
    for step, (x, y) in enumerate(train, 1):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        running += loss.item()
        if step % 100 == 0:
            loads.append(os.getloadavg()[0])
            print(f"step {step} loss {running / 100:.4f} {time.time() - start:.0f}s load {loads[-1]:.1f}", flush=True)
            running = 0.0
        if step % args.eval_every == 0 or step == args.steps:
            mean_ap, _ = evaluate(model, val)
            print(f"step {step} val mAP {mean_ap:.4f}", flush=True)
    train_seconds = time.time() - start
    cpu_seconds = sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage,
                                                            (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))

    mean_ap, ap = evaluate(model, val)
    print(f"final val mAP {mean_ap:.4f}  " + "  ".join(f"{c} {a:.4f}" for c, a in zip(CLASSES, ap)))
    print(f"training time {train_seconds:.0f}s wall, {cpu_seconds:.0f}s CPU (trainer + data worker), "
          f"load average during training {np.mean(loads):.1f} (min {min(loads):.1f}, max {max(loads):.1f})")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    torch.save({"model": args.model, "state_dict": model.state_dict(), "args": vars(args),
                "val_map": mean_ap, "val_ap": dict(zip(CLASSES, ap)), "train_seconds": train_seconds,
                "cpu_seconds": cpu_seconds, "load_average": float(np.mean(loads))},
               Path(args.out) / f"{args.model}.pt")


if __name__ == "__main__":
    main()
